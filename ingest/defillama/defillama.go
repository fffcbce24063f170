// Package defillama ingests the total stablecoin supply from DefiLlama
// (https://stablecoins.llama.fi/stablecoincharts/all) as the observation
// series "stablecoins:total_circulating_usd": the USD value of all
// stablecoins in circulation, summed over peg types (peggedUSD,
// peggedEUR...). A point stamped 00:00 UTC is the supply at the close of
// the previous day and is dated that day, like CoinGecko's.
package defillama

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/live"
)

// DefaultBaseURL is the stablecoins API host.
const DefaultBaseURL = "https://stablecoins.llama.fi"

// Series is the observation series written.
const Series = "stablecoins:total_circulating_usd"

// Source ingests the stablecoin supply.
type Source struct {
	Client *live.Client
}

var (
	_ live.Source      = (*Source)(nil)
	_ live.StatsSource = (*Source)(nil)
)

// New returns a Source; cfg's zero fields default to the public API and a
// budget of 30 requests a minute.
func New(cfg live.Config) *Source {
	cfg = cfg.ForProvider("defillama", DefaultBaseURL, live.Budget{Cost: 30, Per: time.Minute})
	return &Source{Client: live.NewClient(cfg)}
}

// ClientStats returns the counters of the source's HTTP client.
func (s *Source) ClientStats() live.ClientStats { return s.Client.Stats() }

// Name returns "defillama".
func (s *Source) Name() string { return "defillama" }

// Point is one entry of the chart.
type Point struct {
	Time     int64   // Unix seconds as published
	TotalUSD float64 // sum of totalCirculatingUSD over peg types
}

// ParseChart decodes /stablecoincharts/all: an array of {"date": unix
// seconds (string or number), "totalCirculatingUSD": {"peggedUSD": v,
// ...}, ...}. An entry without a date or totalCirculatingUSD, or with a
// value that is not a finite non-negative number, is an error.
func ParseChart(body []byte) ([]Point, error) {
	var rows []struct {
		Date  json.RawMessage     `json:"date"`
		Total map[string]*float64 `json:"totalCirculatingUSD"`
	}
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, fmt.Errorf("defillama: %w", err)
	}
	out := make([]Point, 0, len(rows))
	for i, r := range rows {
		var ts int64
		var s string
		if err := json.Unmarshal(r.Date, &s); err == nil {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("defillama: entry %d: bad date %q", i+1, s)
			}
			ts = v
		} else if err := json.Unmarshal(r.Date, &ts); err != nil {
			return nil, fmt.Errorf("defillama: entry %d: no date", i+1)
		}
		if ts <= 0 || ts > 1<<40 {
			return nil, fmt.Errorf("defillama: entry %d: date %d out of range", i+1, ts)
		}
		if r.Total == nil {
			return nil, fmt.Errorf("defillama: entry %d: no totalCirculatingUSD", i+1)
		}
		keys := make([]string, 0, len(r.Total))
		for k := range r.Total {
			keys = append(keys, k)
		}
		sort.Strings(keys) // a fixed summation order: the same bytes, the same total
		sum := 0.0
		for _, k := range keys {
			v := r.Total[k]
			if v == nil {
				continue
			}
			if *v < 0 || math.IsInf(*v, 0) || math.IsNaN(*v) {
				return nil, fmt.Errorf("defillama: entry %d: %s = %v", i+1, k, *v)
			}
			sum += *v
		}
		if math.IsInf(sum, 0) {
			return nil, fmt.Errorf("defillama: entry %d: total overflows", i+1)
		}
		out = append(out, Point{Time: ts, TotalUSD: sum})
	}
	return out, nil
}

// DayOf returns the day a point closes: 00:00 UTC closes the previous day.
func DayOf(ts int64) regime.Date { return regime.DateOf(time.Unix(ts-1, 0)) }

// Sync fetches the whole chart (the API has no range parameter) and
// stores the days after the watermark up to yesterday.
func (s *Source) Sync(ctx context.Context, sess *live.Session) error {
	_, start, err := sess.Start(ctx, regime.SourceDefiLlama, Series, regime.NoDate)
	if err != nil {
		return err
	}
	today := sess.Today()
	sess.Step(0, 1)
	var pts []Point
	if err := s.Client.Get(ctx, "/stablecoincharts/all", nil, 1, func(b []byte, _ http.Header) error {
		var err error
		pts, err = ParseChart(b)
		return err
	}); err != nil {
		return err
	}
	var obs []regime.Observation
	for _, p := range pts {
		if p.Time%86400 != 0 {
			sess.Repair("misaligned timestamp", 1)
			continue
		}
		if p.TotalUSD == 0 {
			sess.Repair("zero supply", 1)
			continue
		}
		d := DayOf(p.Time)
		obs = append(obs, regime.Observation{Series: Series, Date: d, Value: p.TotalUSD, Source: regime.SourceDefiLlama, KnownAt: d})
	}
	obs = live.CleanDays(sess, obs, func(o regime.Observation) regime.Date { return o.Date },
		func(a, b regime.Observation) bool { return a == b }, start, today)
	if err := sess.CommitObservations(ctx, regime.SourceDefiLlama, Series, obs, 0); err != nil {
		return err
	}
	sess.Step(1, 1)
	return nil
}
