// Package coinmetrics ingests daily network metrics from the Coin Metrics
// community API (/v4/timeseries/asset-metrics) as the observation series
// "onchain:<asset id>:<Metric>" (for example "onchain:bitcoin:AdrActCnt"),
// the names the dataset importer and the factor engine use. Each metric of
// each asset is requested on its own, paged with next_page_token, and has
// its own watermark; a metric the community API refuses (not free) is
// skipped and counted, not fatal.
package coinmetrics

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

// DefaultBaseURL is the community API.
const DefaultBaseURL = "https://community-api.coinmetrics.io/v4"

// DefaultAssets maps Coin Metrics asset tickers to Regime asset ids, used
// when no stored asset carries the ticker as a coinmetrics alias.
var DefaultAssets = map[string]string{"btc": "bitcoin", "eth": "ethereum"}

// DefaultMetrics are requested for every asset: active addresses,
// transactions, hash rate, market cap, realised cap, supply and exchange
// flows (those not free are skipped with a counted reason).
var DefaultMetrics = []string{"AdrActCnt", "TxCnt", "HashRate", "CapMrktCurUSD", "CapRealUSD", "SplyCur", "FlowInExUSD", "FlowOutExUSD"}

// DefaultStart is the first day backfilled without --from.
var DefaultStart = regime.MustDate("2010-07-18")

// Source ingests Coin Metrics.
type Source struct {
	Client   *live.Client
	Assets   map[string]string // Coin Metrics ticker -> asset id
	Metrics  []string
	PageSize int // rows per page (default 1000)
}

var (
	_ live.Source      = (*Source)(nil)
	_ live.StatsSource = (*Source)(nil)
)

// New returns a Source of DefaultMetrics for DefaultAssets; cfg's zero
// fields default to the community API and its limit of 10 requests per 6
// seconds.
func New(cfg live.Config) *Source {
	cfg = cfg.ForProvider("coinmetrics", DefaultBaseURL, live.Budget{Cost: 10, Per: 6 * time.Second})
	return &Source{Client: live.NewClient(cfg), Assets: DefaultAssets, Metrics: DefaultMetrics, PageSize: 1000}
}

// ClientStats returns the counters of the source's HTTP client.
func (s *Source) ClientStats() live.ClientStats { return s.Client.Stats() }

// Name returns "coinmetrics".
func (s *Source) Name() string { return "coinmetrics" }

// Row is one asset-day of an answer: the metrics present with a value.
type Row struct {
	Asset  string
	Time   time.Time
	Values map[string]float64
}

// Page is one decoded answer.
type Page struct {
	Rows          []Row
	NextPageToken string
}

// ParseAssetMetrics decodes /v4/timeseries/asset-metrics: {"data": [{"asset":
// "btc", "time": RFC 3339, "<Metric>": "<decimal string>" | null, ...}],
// "next_page_token": ..., "next_page_url": ...}. A null or absent metric is
// left out of Values; a value that is not a finite number is an error.
func ParseAssetMetrics(body []byte) (Page, error) {
	var p struct {
		Data          []map[string]json.RawMessage `json:"data"`
		NextPageToken string                       `json:"next_page_token"`
		Error         *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Page{}, fmt.Errorf("coinmetrics: %w", err)
	}
	if p.Error != nil {
		return Page{}, fmt.Errorf("coinmetrics: %s: %s", p.Error.Type, p.Error.Message)
	}
	if p.Data == nil {
		return Page{}, fmt.Errorf("coinmetrics: no data array")
	}
	out := Page{NextPageToken: p.NextPageToken, Rows: make([]Row, 0, len(p.Data))}
	for i, m := range p.Data {
		var r Row
		if err := json.Unmarshal(m["asset"], &r.Asset); err != nil || r.Asset == "" {
			return Page{}, fmt.Errorf("coinmetrics: row %d: no asset", i+1)
		}
		var ts string
		if err := json.Unmarshal(m["time"], &ts); err != nil {
			return Page{}, fmt.Errorf("coinmetrics: row %d: no time", i+1)
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return Page{}, fmt.Errorf("coinmetrics: row %d: bad time %q", i+1, ts)
		}
		r.Time = t.UTC()
		r.Values = map[string]float64{}
		for k, raw := range m {
			if k == "asset" || k == "time" || string(raw) == "null" {
				continue
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return Page{}, fmt.Errorf("coinmetrics: row %d: %s is not a string", i+1, k)
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return Page{}, fmt.Errorf("coinmetrics: row %d: %s = %q is not a number", i+1, k, s)
			}
			r.Values[k] = v
		}
		out.Rows = append(out.Rows, r)
	}
	return out, nil
}

// Sync fetches every (asset, metric) from the day after its watermark to
// yesterday.
func (s *Source) Sync(ctx context.Context, sess *live.Session) error {
	tickers := make([]string, 0, len(s.Assets))
	for t := range s.Assets {
		tickers = append(tickers, t)
	}
	sortStrings(tickers)
	total := int64(len(tickers) * len(s.Metrics))
	done := int64(0)
	for _, t := range tickers {
		// An imported store names the asset that carries the Coin Metrics
		// ticker as an alias; otherwise the configured id is used.
		asset := s.Assets[t]
		if id, found, err := sess.AssetID(ctx, regime.SourceCoinMetrics, t); err != nil {
			return err
		} else if found {
			asset = id
		}
		for _, m := range s.Metrics {
			sess.Step(done, total)
			if err := s.sync(ctx, sess, t, asset, m); err != nil {
				if regime.ErrorCode(err) == regime.EINVALID && ctx.Err() == nil {
					sess.Repair("metric refused by the API (not free?): skipped", 1)
				} else {
					return fmt.Errorf("%s %s: %w", t, m, err)
				}
			}
			done++
		}
	}
	sess.Step(total, total)
	return nil
}

func (s *Source) sync(ctx context.Context, sess *live.Session, ticker, assetID, metric string) error {
	series := "onchain:" + assetID + ":" + metric
	_, start, err := sess.Start(ctx, regime.SourceCoinMetrics, series, DefaultStart)
	if err != nil {
		return err
	}
	today := sess.Today()
	if start >= today {
		return nil
	}
	size := s.PageSize
	if size <= 0 {
		size = 1000
	}
	q := url.Values{"assets": {ticker}, "metrics": {metric}, "frequency": {"1d"}, "start_time": {start.String()},
		"end_time": {(today - 1).String()}, "page_size": {strconv.Itoa(size)}, "paging_from": {"start"}}
	seenTokens := map[string]bool{}
	for {
		var p Page
		if err := s.Client.Get(ctx, "/timeseries/asset-metrics", q, 1, func(b []byte, _ http.Header) error {
			var err error
			if p, err = ParseAssetMetrics(b); err != nil {
				return err
			}
			// A page holding days before the ones asked for is a
			// repeated page: ask again.
			for _, r := range p.Rows {
				if regime.DateOf(r.Time) < start {
					sess.Repair("rejected page: repeats earlier days", 1)
					return fmt.Errorf("page starts at %s, before %s", r.Time.Format(time.DateOnly), start)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		var obs []regime.Observation
		for _, r := range p.Rows {
			d := regime.DateOf(r.Time)
			v, ok := r.Values[metric]
			switch {
			case !strings.EqualFold(r.Asset, ticker):
				sess.Repair("row for another asset", 1)
			case !r.Time.Equal(d.Time()):
				sess.Repair("misaligned timestamp", 1)
			case !ok:
				sess.Repair("metric missing on a day", 1)
			default:
				obs = append(obs, regime.Observation{Series: series, Date: d, Value: v, Source: regime.SourceCoinMetrics, KnownAt: d})
			}
		}
		obs = live.CleanDays(sess, obs, func(o regime.Observation) regime.Date { return o.Date },
			func(a, b regime.Observation) bool { return a == b }, start, today)
		if len(obs) > 0 {
			if err := sess.CommitObservations(ctx, regime.SourceCoinMetrics, series, obs, len(obs)); err != nil {
				return err
			}
			start = obs[len(obs)-1].Date + 1
		}
		if p.NextPageToken == "" {
			return nil
		}
		if seenTokens[p.NextPageToken] {
			sess.Repair("repeated next_page_token: paging stopped", 1)
			return nil
		}
		seenTokens[p.NextPageToken] = true
		q.Set("next_page_token", p.NextPageToken)
	}
}
