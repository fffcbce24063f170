package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/regime-engine/regime"
)

// metrics are the server's Prometheus collectors, registered on the
// registry given in Deps (never the global one).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	store    *prometheus.HistogramVec
	queue    prometheus.Gauge
	running  prometheus.Gauge
	streams  prometheus.Gauge
	webhooks *prometheus.CounterVec
	series   sync.Map // seriesKey -> *series, so a request costs no label hashing
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "regime_http_requests_total",
			Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "regime_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"route", "method"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "regime_store_duration_seconds",
			Help: "Store call latency by operation.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"op"}),
		queue:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "regime_jobs_queue_depth", Help: "Jobs waiting for a worker."}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{Name: "regime_jobs_running", Help: "Jobs running."}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{Name: "regime_sse_clients", Help: "Open event streams."}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "regime_webhook_deliveries_total",
			Help: "Webhook delivery attempts by result (ok, retry, failed)."}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.store, m.queue, m.running, m.streams, m.webhooks} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// seriesKey identifies the request series of one route, method and
// status.
type seriesKey struct {
	route, method string
	status        int
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	k := seriesKey{route, method, status}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, &series{
			count:   m.requests.WithLabelValues(route, method, strconv.Itoa(status)),
			latency: m.latency.WithLabelValues(route, method),
		})
	}
	s := v.(*series)
	s.count.Inc()
	s.latency.Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// timedStore records the latency of every store call.
type timedStore struct {
	Store
	m *metrics
}

func (t *timedStore) since(op string, start time.Time) {
	t.m.store.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (t *timedStore) Asset(ctx context.Context, id string) (regime.Asset, error) {
	defer t.since("asset", time.Now())
	return t.Store.Asset(ctx, id)
}

func (t *timedStore) LookupAsset(ctx context.Context, ref string) (regime.Asset, error) {
	defer t.since("lookup_asset", time.Now())
	return t.Store.LookupAsset(ctx, ref)
}

func (t *timedStore) FindAssets(ctx context.Context, f regime.AssetFilter) ([]regime.Asset, error) {
	defer t.since("find_assets", time.Now())
	return t.Store.FindAssets(ctx, f)
}

func (t *timedStore) Bars(ctx context.Context, id string, r regime.DateRange) ([]regime.Bar, error) {
	defer t.since("bars", time.Now())
	return t.Store.Bars(ctx, id, r)
}

func (t *timedStore) SourceBars(ctx context.Context, id, source string, r regime.DateRange) ([]regime.Bar, error) {
	defer t.since("source_bars", time.Now())
	return t.Store.SourceBars(ctx, id, source, r)
}

func (t *timedStore) Observations(ctx context.Context, series string, r regime.DateRange) ([]regime.Observation, error) {
	defer t.since("observations", time.Now())
	return t.Store.Observations(ctx, series, r)
}

func (t *timedStore) Series(ctx context.Context) ([]regime.SeriesInfo, error) {
	defer t.since("series", time.Now())
	return t.Store.Series(ctx)
}

func (t *timedStore) Constituents(ctx context.Context, source string, d regime.Date) ([]regime.Constituent, error) {
	defer t.since("constituents", time.Now())
	return t.Store.Constituents(ctx, source, d)
}

func (t *timedStore) SnapshotDates(ctx context.Context, source string) ([]regime.Date, error) {
	defer t.since("snapshot_dates", time.Now())
	return t.Store.SnapshotDates(ctx, source)
}

func (t *timedStore) Candles(ctx context.Context, id, source string, from, to int64) ([]regime.Candle, error) {
	defer t.since("candles", time.Now())
	return t.Store.Candles(ctx, id, source, from, to)
}

func (t *timedStore) Stats(ctx context.Context) (regime.Stats, error) {
	defer t.since("stats", time.Now())
	return t.Store.Stats(ctx)
}

func (t *timedStore) Ping(ctx context.Context) error {
	defer t.since("ping", time.Now())
	return t.Store.Ping(ctx)
}
