// Package fred ingests macro series from FRED/ALFRED (St. Louis Fed) as
// the observation series "fred:<SERIES ID>", point in time: every
// observation is stored with the value of its first vintage and KnownAt
// set to that vintage's publication date (realtime_start), so a backtest
// sees only what was published then. Revisions published later are not
// stored (the store keeps one value per day and the first release is the
// one a trader could have acted on).
//
// Observations older than a series' vintage history (ALFRED records
// vintages only from some date on, so their first realtime_start is years
// after the observation) get KnownAt = date + the series' documented
// publication lag instead, counted as a repair.
package fred

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/live"
)

// DefaultBaseURL is the FRED API.
const DefaultBaseURL = "https://api.stlouisfed.org"

// Series is one FRED series and its publication lag in days, used when
// the vintage is unknown. The lags match the dataset importer's.
type Series struct {
	ID  string
	Lag int
}

// DefaultSeries are the macro inputs of the factor engine.
var DefaultSeries = []Series{
	{"BAMLH0A0HYM2", 1}, {"DFF", 1}, {"DGS10", 1}, {"DGS2", 1}, {"DTWEXBGS", 7}, {"M2SL", 56}, {"SP500", 1}, {"VIXCLS", 1},
}

// DefaultStart is the first day backfilled without --from.
var DefaultStart = regime.MustDate("2010-01-01")

// maxVintageDelay is the largest plausible delay between an observation
// and its first publication; a longer one means the vintage is unknown.
const maxVintageDelay = 400

// Source ingests FRED series.
type Source struct {
	Client *live.Client
	APIKey string
	Series []Series
}

var (
	_ live.Source      = (*Source)(nil)
	_ live.StatsSource = (*Source)(nil)
)

// New returns a Source of DefaultSeries; cfg's zero fields default to the
// FRED API and a budget of 100 requests a minute (FRED allows 120).
func New(cfg live.Config, apiKey string) *Source {
	cfg = cfg.ForProvider("fred", DefaultBaseURL, live.Budget{Cost: 100, Per: time.Minute})
	return &Source{Client: live.NewClient(cfg), APIKey: apiKey, Series: DefaultSeries}
}

// ClientStats returns the counters of the source's HTTP client.
func (s *Source) ClientStats() live.ClientStats { return s.Client.Stats() }

// Name returns "fred".
func (s *Source) Name() string { return "fred" }

// Vintage is one row of an observations answer: the value of Date valid
// from RealtimeStart to RealtimeEnd. A missing value (".") is NaN.
type Vintage struct {
	Date          regime.Date
	RealtimeStart regime.Date
	RealtimeEnd   regime.Date
	Value         float64
}

// Page is one decoded /fred/series/observations answer.
type Page struct {
	Count, Offset, Limit int
	Rows                 []Vintage
}

// ParseObservations decodes /fred/series/observations?file_type=json.
func ParseObservations(body []byte) (Page, error) {
	var p struct {
		Count        *int `json:"count"`
		Offset       int  `json:"offset"`
		Limit        int  `json:"limit"`
		Observations []struct {
			RealtimeStart string `json:"realtime_start"`
			RealtimeEnd   string `json:"realtime_end"`
			Date          string `json:"date"`
			Value         string `json:"value"`
		} `json:"observations"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Page{}, fmt.Errorf("fred: %w", err)
	}
	if p.Count == nil || p.Observations == nil || *p.Count < 0 || p.Offset < 0 {
		return Page{}, fmt.Errorf("fred: not an observations answer (no count or observations)")
	}
	out := Page{Count: *p.Count, Offset: p.Offset, Limit: p.Limit, Rows: make([]Vintage, len(p.Observations))}
	for i, o := range p.Observations {
		var v Vintage
		var err error
		if v.Date, err = regime.ParseDate(o.Date); err != nil {
			return Page{}, fmt.Errorf("fred: observation %d: %w", i+1, err)
		}
		if v.RealtimeStart, err = regime.ParseDate(o.RealtimeStart); err != nil {
			return Page{}, fmt.Errorf("fred: observation %d: %w", i+1, err)
		}
		if v.RealtimeEnd, err = regime.ParseDate(o.RealtimeEnd); err != nil {
			return Page{}, fmt.Errorf("fred: observation %d: %w", i+1, err)
		}
		if v.RealtimeEnd < v.RealtimeStart {
			return Page{}, fmt.Errorf("fred: observation %d: realtime_end %s before realtime_start %s", i+1, v.RealtimeEnd, v.RealtimeStart)
		}
		v.Value = math.NaN()
		if s := strings.TrimSpace(o.Value); s != "." {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return Page{}, fmt.Errorf("fred: observation %d: bad value %q", i+1, o.Value)
			}
			v.Value = f
		}
		out.Rows[i] = v
	}
	return out, nil
}

// FirstReleases reduces vintages to one observation per date: the first
// vintage with a value, known at its realtime_start (or, when that is more
// than maxVintageDelay days after the date, at date + lag; counted in
// unknown). Dates whose every vintage is missing are counted in missing.
// The result is sorted by date.
func FirstReleases(series string, lag int, rows []Vintage) (obs []regime.Observation, unknown, missing int) {
	first := map[regime.Date]Vintage{}
	seenDate := map[regime.Date]bool{}
	for _, r := range rows {
		seenDate[r.Date] = true
		if math.IsNaN(r.Value) {
			continue
		}
		if f, ok := first[r.Date]; !ok || r.RealtimeStart < f.RealtimeStart {
			first[r.Date] = r
		}
	}
	for d := range seenDate {
		r, ok := first[d]
		if !ok {
			missing++
			continue
		}
		known := max(r.RealtimeStart, d)
		if int(r.RealtimeStart-d) > maxVintageDelay {
			known = d.AddDays(lag)
			unknown++
		}
		obs = append(obs, regime.Observation{Series: "fred:" + series, Date: d, Value: r.Value, Source: regime.SourceFRED, KnownAt: known})
	}
	sortObs(obs)
	return obs, unknown, missing
}

// Sync fetches every series from the day after its watermark, all
// vintages, paging with offset.
func (s *Source) Sync(ctx context.Context, sess *live.Session) error {
	if s.APIKey == "" {
		return regime.Errorf(regime.EINVALID, "fred: no API key: set FRED_API_KEY (free at https://fred.stlouisfed.org/docs/api/api_key.html)")
	}
	for i, ser := range s.Series {
		sess.Step(int64(i), int64(len(s.Series)))
		if err := s.sync(ctx, sess, ser); err != nil {
			return fmt.Errorf("series %s: %w", ser.ID, err)
		}
	}
	sess.Step(int64(len(s.Series)), int64(len(s.Series)))
	return nil
}

const pageLimit = 100000

func (s *Source) sync(ctx context.Context, sess *live.Session, ser Series) error {
	name := "fred:" + ser.ID
	_, start, err := sess.Start(ctx, regime.SourceFRED, name, DefaultStart)
	if err != nil {
		return err
	}
	today := sess.Today()
	if start > today {
		return nil
	}
	var rows []Vintage
	for offset := 0; ; {
		q := url.Values{"series_id": {ser.ID}, "api_key": {s.APIKey}, "file_type": {"json"},
			"observation_start": {start.String()}, "realtime_start": {"1776-07-04"}, "realtime_end": {"9999-12-31"},
			"sort_order": {"asc"}, "limit": {strconv.Itoa(pageLimit)}, "offset": {strconv.Itoa(offset)}}
		var p Page
		if err := s.Client.Get(ctx, "/fred/series/observations", q, 1, func(b []byte, _ http.Header) error {
			var err error
			if p, err = ParseObservations(b); err != nil {
				return err
			}
			if p.Offset != offset {
				return fmt.Errorf("answer for offset %d, asked %d", p.Offset, offset)
			}
			return nil
		}); err != nil {
			return err
		}
		rows = append(rows, p.Rows...)
		offset += len(p.Rows)
		if len(p.Rows) == 0 || offset >= p.Count {
			break
		}
	}
	obs, unknown, missing := FirstReleases(ser.ID, ser.Lag, rows)
	sess.Repair("vintage predates ALFRED: publication lag applied", unknown)
	sess.Repair("missing value (.) in every vintage", missing)
	obs = live.CleanDays(sess, obs, func(o regime.Observation) regime.Date { return o.Date },
		func(a, b regime.Observation) bool { return a == b }, start, today+1)
	return sess.CommitObservations(ctx, regime.SourceFRED, name, obs, 0)
}
