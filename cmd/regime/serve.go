package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/httpapi"
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
}

func (c serveCmd) Help() string {
	return "Serves the /v1 HTTP API on the store: assets, bars, factors, dated phases, the universe and\n" +
		"jobs. Every /v1 route needs an API key (create one with `regime keys create`), sent as\n" +
		"Authorization: Bearer <key> or X-API-Key. /healthz, /readyz, /openapi.json and /docs are open.\n" +
		"SIGINT/SIGTERM stop accepting, finish running requests and checkpoint unfinished jobs to\n" +
		"<db>.jobs.json, which the next start requeues.\n\n" +
		"Example:\n  regime keys create --name me --scopes read,jobs\n  regime serve --addr 127.0.0.1:8080\n" +
		"  curl -H \"Authorization: Bearer $KEY\" localhost:8080/v1/assets?limit=5"
}

func (c serveCmd) Run(g *globals) error {
	if c.WebhookSecret == "" && c.WebhookURL != "" {
		return regime.Errorf(regime.EINVALID, "--webhook-url needs a secret: set REGIME_WEBHOOK_SECRET")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return regime.Errorf(regime.EINVALID, "--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
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
	// are wired here as their packages land (httpapi.Deps fields); until
	// then their routes answer 501.
	cpPath := g.DB + ".jobs.json"
	checkpoint := func(_ context.Context, cps []httpapi.JobCheckpoint) error {
		b, err := json.MarshalIndent(cps, "", "  ")
		if err != nil {
			return err
		}
		log.Info("checkpointed unfinished jobs", "jobs", len(cps), "file", cpPath)
		return os.WriteFile(cpPath, b, 0o600)
	}
	srv, err := httpapi.New(cfg, httpapi.Deps{Store: st, Keys: st, Logger: log, Version: version, Checkpoint: checkpoint})
	if err != nil {
		return err
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
	return srv.Serve(g.ctx, l)
}
