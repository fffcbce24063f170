package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/alecthomas/kong"
	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/httpapi"
	"github.com/regime-engine/regime/serve"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/web"
)

type serveCmd struct {
	Addr              string        `default:"127.0.0.1:8080" env:"REGIME_ADDR" help:"Listen address."`
	CORSOrigins       []string      `name:"cors-origin" env:"REGIME_CORS_ORIGINS" sep:"," help:"Origins allowed to call the API from a browser (repeat or comma-separate; * for any). None by default."`
	RateLimit         float64       `default:"50" env:"REGIME_RATE_LIMIT" help:"Requests per second per API key (0 disables)."`
	RateBurst         int           `default:"100" env:"REGIME_RATE_BURST" help:"Requests an API key may send at once."`
	MaxJobsPerKey     int           `default:"2" env:"REGIME_MAX_JOBS_PER_KEY" help:"Queued plus running jobs per API key."`
	JobWorkers        int           `default:"2" env:"REGIME_JOB_WORKERS" help:"Jobs running at once."`
	MaxBodyBytes      int64         `default:"1048576" env:"REGIME_MAX_BODY_BYTES" help:"Largest request body (bigger ones get 413)."`
	ReadHeaderTimeout time.Duration `default:"5s" env:"REGIME_READ_HEADER_TIMEOUT" help:"Time to read request headers."`
	ReadTimeout       time.Duration `default:"30s" env:"REGIME_READ_TIMEOUT" help:"Time to read a whole request."`
	WriteTimeout      time.Duration `default:"60s" env:"REGIME_WRITE_TIMEOUT" help:"Time to write a response (event streams are exempt)."`
	IdleTimeout       time.Duration `default:"120s" env:"REGIME_IDLE_TIMEOUT" help:"Keep-alive idle time."`
	ShutdownTimeout   time.Duration `default:"30s" env:"REGIME_SHUTDOWN_TIMEOUT" help:"Grace period for running requests and jobs on shutdown."`
	KeyCacheTTL       time.Duration `default:"10s" env:"REGIME_KEY_CACHE_TTL" help:"How long a verified key is trusted before the key store is asked again (a revocation takes effect within it)."`
	GaugePoll         time.Duration `default:"1m" env:"REGIME_GAUGE_POLL" help:"How often the gauge is checked for SSE updates and the webhook."`
	WebhookURL        string        `env:"REGIME_WEBHOOK_URL" help:"POST a signed JSON payload here when the regime changes."`
	WebhookSecret     string        `env:"REGIME_WEBHOOK_SECRET" help:"HMAC-SHA256 key of the webhook signature (prefer the environment variable to the flag)."`
	LogLevel          string        `default:"info" env:"REGIME_LOG_LEVEL" enum:"debug,info,warn,error" help:"Log level (JSON logs on stderr)."`
	NoAccessLog       bool          `env:"REGIME_NO_ACCESS_LOG" help:"Do not log one line per request."`
	Split             string        `default:"2021-01-01" env:"REGIME_SPLIT" help:"First out-of-sample day of the index performance and the evaluations ('none' for the whole run only)." placeholder:"DATE"`
	HashTTL           time.Duration `default:"30s" env:"REGIME_HASH_TTL" help:"How long the store's content hash is trusted before it is checked again for changes (the gauge, signals and index are recomputed when it changes)."`
	Update            string        `default:"none" env:"REGIME_UPDATE" enum:"none,daily" help:"daily: run the daily pipeline (regime ingest, then recompute gauge, signals and index, publish and alert) at --update-at."`
	UpdateAt          string        `default:"00:30" env:"REGIME_UPDATE_AT" help:"UTC time of day of the daily update (HH:MM)." placeholder:"HH:MM"`
}

func (c serveCmd) Help() string {
	return "Serves the /v1 HTTP API on the store: assets, bars, factors, dated phases, the universe,\n" +
		"the Market Gauge, token signals, the regime index, evaluations and backtest jobs. The gauge,\n" +
		"signals and index are computed once per store content and recomputed when it changes (checked\n" +
		"every --hash-ttl); new readings go to /v1/events and a change of regime or gauge level to the webhook.\n" +
		"--update daily also runs `regime ingest` every day at --update-at (UTC) and recomputes. Every /v1 route needs an API key (create one with `regime keys create`), sent as\n" +
		"Authorization: Bearer <key> or X-API-Key. /healthz, /readyz, /openapi.json, /docs and the dashboard's\n" +
		"static files at / are open (the dashboard asks for a key and calls /v1 with it).\n" +
		"SIGINT/SIGTERM stop accepting, finish running requests and checkpoint unfinished jobs to\n" +
		"<db>.jobs.json, which the next start requeues.\n\n" +
		"Example:\n  regime keys create --name me --scopes read,jobs\n  regime serve --addr 127.0.0.1:8080\n" +
		"  curl -H \"Authorization: Bearer $KEY\" localhost:8080/v1/assets?limit=5"
}

func (c serveCmd) Run(g *globals) error {
	if err := c.check(); err != nil {
		return err
	}
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	return c.serve(g, st, nil)
}

// check validates the flags that need no store.
func (c serveCmd) check() error {
	if c.WebhookSecret == "" && c.WebhookURL != "" {
		return regime.Errorf(regime.EINVALID, "--webhook-url needs a secret: set REGIME_WEBHOOK_SECRET")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return regime.Errorf(regime.EINVALID, "--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// defaultServeCmd returns serveCmd with its flags' defaults (and their
// environment variables), for commands that start the server themselves
// (`regime demo --serve`).
func defaultServeCmd() (serveCmd, error) {
	var v struct {
		Serve serveCmd `embed:""`
	}
	p, err := kong.New(&v, kong.Name("regime serve"), kong.Exit(func(int) {}))
	if err != nil {
		return serveCmd{}, err
	}
	if _, err := p.Parse(nil); err != nil {
		return serveCmd{}, regime.Errorf(regime.EINVALID, "serve settings: %v", err)
	}
	return v.Serve, nil
}

// serve runs the API and the dashboard on the open store st until g.ctx is
// cancelled, then shuts down gracefully. ready, when set, is called with
// the listening address before the first connection is accepted.
func (c serveCmd) serve(g *globals, st *sqlite.Store, ready func(addr net.Addr)) error {
	if err := c.check(); err != nil {
		return err
	}
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.LogLevel))
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	var err error
	cfg := httpapi.DefaultConfig()
	cfg.Addr = c.Addr
	cfg.CORSOrigins = c.CORSOrigins
	cfg.RateLimit, cfg.RateBurst = c.RateLimit, c.RateBurst
	cfg.MaxJobsPerKey, cfg.JobWorkers = c.MaxJobsPerKey, c.JobWorkers
	cfg.MaxBodyBytes = c.MaxBodyBytes
	cfg.ReadHeaderTimeout, cfg.ReadTimeout, cfg.WriteTimeout, cfg.IdleTimeout = c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout
	cfg.ShutdownTimeout, cfg.KeyCacheTTL, cfg.GaugePoll = c.ShutdownTimeout, c.KeyCacheTTL, c.GaugePoll
	cfg.AccessLog = !c.NoAccessLog
	cfg.Webhook.URL, cfg.Webhook.Secret = c.WebhookURL, c.WebhookSecret
	// The gauge, signals, index, evaluations and the backtest job runner
	// are computed from the store by serve.Sources, once per content hash.
	split := regime.NoDate
	if c.Split != "" && c.Split != "none" {
		if split, err = regime.ParseDate(c.Split); err != nil {
			return fmt.Errorf("--split: %w", err)
		}
	}
	var at time.Duration
	if c.Update == "daily" {
		if at, err = serve.ParseTimeOfDay(c.UpdateAt); err != nil {
			return fmt.Errorf("--update-at: %w", err)
		}
	}
	var srv *httpapi.Server
	srcOpt := serve.DefaultOptions()
	srcOpt.Split, srcOpt.HashTTL, srcOpt.Logger = split, c.HashTTL, log
	if c.HashTTL <= 0 {
		srcOpt.HashTTL = -1
	}
	srcOpt.OnUpdate = func(u serve.Update) { publishUpdate(srv, log, u) }
	src := serve.New(st, srcOpt)
	defer src.Close()
	cpPath := g.DB + ".jobs.json"
	checkpoint := func(_ context.Context, cps []httpapi.JobCheckpoint) error {
		b, err := json.MarshalIndent(cps, "", "  ")
		if err != nil {
			return err
		}
		log.Info("checkpointed unfinished jobs", "jobs", len(cps), "file", cpPath)
		return os.WriteFile(cpPath, b, 0o600)
	}
	srv, err = httpapi.New(cfg, withSources(httpapi.Deps{Store: st, Keys: st, Logger: log, Version: version, Checkpoint: checkpoint,
		UI: web.Handler()}, src))
	if err != nil {
		return err
	}
	go func() {
		// Compute the first results in the background so the first
		// requests find them ready.
		if _, err := src.Refresh(g.ctx); err != nil && g.ctx.Err() == nil {
			log.Warn("first computation of the gauge failed; requests will retry", "error", regime.ErrorMessage(err))
		}
	}()
	if c.Update == "daily" {
		d := serve.Daily{At: at, Update: func(ctx context.Context) error { return dailyIngest(ctx, g) }, Refresh: src.Refresh, Logger: log}
		go d.Run(g.ctx)
	}
	if b, err := os.ReadFile(cpPath); err == nil {
		var cps []httpapi.JobCheckpoint
		if err := json.Unmarshal(b, &cps); err != nil {
			return regime.Errorf(regime.EINVALID, "job checkpoint %s is corrupt (%v): move it away to start", cpPath, err)
		}
		n := srv.Restore(cps)
		log.Info("restored checkpointed jobs", "restored", n, "checkpointed", len(cps), "file", cpPath)
		if err := os.Remove(cpPath); err != nil {
			return err
		}
	}
	if keys, err := st.ListKeys(g.ctx); err == nil && len(keys) == 0 {
		log.Warn("no API keys: every /v1 route will answer 401; create one with `regime keys create`")
	}
	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return regime.Errorf(regime.EINVALID, "cannot listen on %s: %v", c.Addr, err)
	}
	if ready != nil {
		ready(l.Addr())
	}
	return srv.Serve(g.ctx, l)
}

// withSources wires the engine-backed sources into d: the gauge, signals,
// index, evaluations and the "backtest" job kind.
func withSources(d httpapi.Deps, src *serve.Sources) httpapi.Deps {
	d.Gauge, d.Signals, d.Index, d.Evaluations = src, src, src, src
	d.Jobs = map[string]httpapi.JobRunner{"backtest": src.BacktestJob}
	return d
}

// publishUpdate sends the new signals of a recomputation to the SSE
// stream. The new gauge reading reaches the stream, and a change of regime
// state or gauge level the webhook, through the server's gauge poll
// (--gauge-poll), which reads the recomputed gauge.
func publishUpdate(srv *httpapi.Server, log *slog.Logger, u serve.Update) {
	log.Info("store changed: gauge and signals recomputed", "hash", u.Hash, "date", u.Gauge.Date.String(),
		"gauge", float64(u.Gauge.Value), "level", u.Gauge.Level, "regime", u.Gauge.Regime, "regime_changed", u.RegimeChanged())
	if srv != nil {
		srv.Publish(httpapi.TopicSignals, u.Signals)
	}
}

// dailyIngest runs `regime ingest` with its defaults (API keys from the
// environment) for the daily update.
func dailyIngest(ctx context.Context, g *globals) error {
	gg := *g
	gg.ctx, gg.stdout, gg.Quiet = ctx, io.Discard, true
	gg.ui = newProgressUI(true)
	c := ingestCmd{Top: 100, Timeout: 30 * time.Second, MaxRetries: 5, CoinGeckoKey: os.Getenv("COINGECKO_API_KEY"),
		CoinGeckoProKey: os.Getenv("COINGECKO_PRO_API_KEY"), FREDKey: os.Getenv("FRED_API_KEY")}
	return c.Run(&gg)
}
