package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/httpapi"
	"github.com/regime-engine/regime/sqlite"
)

// fixedGauge is a GaugeSource with one reading.
type fixedGauge struct{ g httpapi.Gauge }

func (f fixedGauge) Latest(context.Context) (httpapi.Gauge, error) { return f.g, nil }
func (f fixedGauge) History(context.Context, regime.DateRange) ([]httpapi.Gauge, error) {
	return []httpapi.Gauge{f.g}, nil
}

func sampleGauge() httpapi.Gauge {
	g := httpapi.Gauge{Date: regime.MustDate("2026-01-01"), Value: 63.5, Level: "bullish", Regime: "bullish"}
	for i, fam := range []string{"trend", "momentum", "volatility", "breadth", "sentiment", "onchain", "macro"} {
		w := 1.0 / 7
		sc := 40 + 5*float64(i)
		g.Families = append(g.Families, httpapi.FamilyContribution{Family: fam, Score: httpapi.Num(sc), Weight: httpapi.Num(w), Contribution: httpapi.Num(sc * w)})
	}
	return g
}

func (r *runner) api() error {
	const sec = "api"
	ctx := r.ctx
	dir, err := os.MkdirTemp(r.o.TempDir, "regime-bench-")
	if err != nil {
		return regime.Errorf(regime.EINVALID, "bench api: temporary directory: %v", err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "regime.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	key, token, err := regime.NewAPIKey(rand.NewChaCha8([32]byte{1}), "bench", []regime.Scope{regime.ScopeRead}, now)
	if err != nil {
		return err
	}
	if err := st.CreateKey(ctx, key); err != nil {
		return err
	}
	cfg := httpapi.DefaultConfig()
	cfg.GaugeCacheTTL = time.Hour
	cfg.KeyCacheTTL = time.Hour
	cfg.RateLimit = 0
	cfg.GaugePoll = 0
	cfg.AccessLog = false
	srv, err := httpapi.New(cfg, httpapi.Deps{Store: st, Keys: st, Gauge: fixedGauge{sampleGauge()}, Version: "bench"})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	res, err := httpapi.BenchLoad(ctx, srv.Handler(), httpapi.BenchOptions{
		Path:        "/v1/gauge",
		Header:      http.Header{"Authorization": {"Bearer " + token}},
		Concurrency: r.o.LoadClients,
		Duration:    r.o.LoadDuration,
	})
	if err != nil {
		return err
	}
	note := fmt.Sprintf("%d clients on loopback for %s each, client and server on this machine; %d requests, %d errors (reference %d errors)",
		r.o.LoadClients, r.o.LoadDuration, res.Target.Requests, res.Target.Errors, res.Reference.Errors)
	row := newRow(sec, "GET /v1/gauge (cached latest) throughput", res.Target.ReqPerSec, "req/s").
		vs("net/http", res.Reference.ReqPerSec, "value/ref").want("value", ">=", 50000)
	row.Note = note
	if res.Target.Errors > 0 || res.Target.Requests == 0 {
		row.Status = NA
	}
	r.add(row)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	row = newRow(sec, "GET /v1/gauge (cached latest) p99 latency", ms(res.Target.P99), "ms").
		vs("net/http", ms(res.Reference.P99), "value/ref").want("value", "<=", 5)
	row.Note = fmt.Sprintf("p50 %.3f ms (reference %.3f ms); reference serves a pre-encoded 2 KB body", ms(res.Target.P50), ms(res.Reference.P50))
	if res.Target.Errors > 0 || res.Target.Requests == 0 {
		row.Status = NA
	}
	r.add(row)
	return nil
}
