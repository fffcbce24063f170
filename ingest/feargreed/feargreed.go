// Package feargreed ingests the Crypto Fear & Greed Index of alternative.me
// (https://alternative.me/crypto/fear-and-greed-index/) as the
// observation series "feargreed:value" (0 = extreme fear, 100 = extreme
// greed), one value per UTC day, known on its day.
package feargreed

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/live"
)

// Series is the observation series written.
const Series = "feargreed:value"

// DefaultBaseURL is the public API.
const DefaultBaseURL = "https://api.alternative.me"

// DefaultStart is the first day of the index.
var DefaultStart = regime.MustDate("2018-02-01")

// Point is one day of the index as published.
type Point struct {
	Date  regime.Date
	Value float64
	Time  int64 // the payload's Unix timestamp
}

// Source ingests the index.
type Source struct {
	Client *live.Client
}

var (
	_ live.Source      = (*Source)(nil)
	_ live.StatsSource = (*Source)(nil)
)

// New returns a Source; cfg's zero fields default to the public API with a
// budget of 30 requests a minute.
func New(cfg live.Config) *Source {
	cfg = cfg.ForProvider("feargreed", DefaultBaseURL, live.Budget{Cost: 30, Per: time.Minute})
	return &Source{Client: live.NewClient(cfg)}
}

// ClientStats returns the counters of the source's HTTP client.
func (s *Source) ClientStats() live.ClientStats { return s.Client.Stats() }

// Name returns "feargreed".
func (s *Source) Name() string { return "feargreed" }

type payload struct {
	Name string `json:"name"`
	Data []struct {
		Value          string `json:"value"`
		Classification string `json:"value_classification"`
		Timestamp      string `json:"timestamp"`
	} `json:"data"`
	Metadata struct {
		Error *string `json:"error"`
	} `json:"metadata"`
}

// Parse decodes a /fng/ answer (format=json, unix timestamps). It rejects
// a payload that is not the documented object, reports an error, or has a
// value or timestamp that is not a number; it does not sort or dedupe.
func Parse(body []byte) ([]Point, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("feargreed: %w", err)
	}
	if p.Metadata.Error != nil && *p.Metadata.Error != "" {
		return nil, fmt.Errorf("feargreed: upstream error %q", *p.Metadata.Error)
	}
	if p.Data == nil {
		return nil, fmt.Errorf("feargreed: no data array")
	}
	out := make([]Point, 0, len(p.Data))
	for i, d := range p.Data {
		ts, err := strconv.ParseInt(d.Timestamp, 10, 64)
		if err != nil || ts < 0 || ts > 1<<40 {
			return nil, fmt.Errorf("feargreed: row %d: bad timestamp %q", i+1, d.Timestamp)
		}
		v, err := strconv.ParseFloat(d.Value, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("feargreed: row %d: bad value %q", i+1, d.Value)
		}
		out = append(out, Point{Date: regime.DateOf(time.Unix(ts, 0)), Value: v, Time: ts})
	}
	return out, nil
}

// Sync fetches the whole history the first time (limit=0), then only the
// days after the watermark. Values outside 0..100 and timestamps that are
// not midnight UTC are dropped and counted.
func (s *Source) Sync(ctx context.Context, sess *live.Session) error {
	_, start, err := sess.Start(ctx, regime.SourceFearGreed, Series, DefaultStart)
	if err != nil {
		return err
	}
	sess.Step(0, 1)
	end := sess.Today() + 1 // today's value is published at 00:00 UTC
	if start >= end {
		sess.Step(1, 1)
		return nil
	}
	limit := 0
	if int(end-start) < 1000 {
		limit = int(end-start) + 2
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}, "format": {"json"}}
	var pts []Point
	if err := s.Client.Get(ctx, "/fng/", q, 1, func(b []byte, _ http.Header) error {
		var err error
		pts, err = Parse(b)
		return err
	}); err != nil {
		return err
	}
	// The API lists the newest day first: that documented order is not
	// a repair.
	if sort.SliceIsSorted(pts, func(i, j int) bool { return pts[i].Time > pts[j].Time }) {
		slices.Reverse(pts)
	}
	kept := pts[:0]
	for _, p := range pts {
		switch {
		case p.Time%86400 != 0:
			sess.Repair("misaligned timestamp", 1)
		case p.Value < 0 || p.Value > 100:
			sess.Repair("value out of range", 1)
		default:
			kept = append(kept, p)
		}
	}
	pts = live.CleanDays(sess, kept, func(p Point) regime.Date { return p.Date },
		func(a, b Point) bool { return a.Value == b.Value }, start, end)
	sess.Repair("gap days (missing upstream)", live.Gaps(pts, func(p Point) regime.Date { return p.Date }))
	obs := make([]regime.Observation, len(pts))
	for i, p := range pts {
		obs[i] = regime.Observation{Series: Series, Date: p.Date, Value: p.Value, Source: regime.SourceFearGreed, KnownAt: p.Date}
	}
	if err := sess.CommitObservations(ctx, regime.SourceFearGreed, Series, obs, 0); err != nil {
		return err
	}
	sess.Step(1, 1)
	return nil
}
