package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/binance"
	"github.com/regime-engine/regime/ingest/coingecko"
	"github.com/regime-engine/regime/ingest/coinmetrics"
	"github.com/regime-engine/regime/ingest/defillama"
	"github.com/regime-engine/regime/ingest/feargreed"
	"github.com/regime-engine/regime/ingest/fred"
	"github.com/regime-engine/regime/ingest/live"
)

// ingestSources lists the live sources in the order `regime ingest` runs
// them.
var ingestSources = []string{"coingecko", "binance", "feargreed", "fred", "coinmetrics", "defillama"}

// ingestCmd pulls current data from the providers' APIs into the store.
type ingestCmd struct {
	Sources []string `arg:"" optional:"" enum:"coingecko,binance,feargreed,fred,coinmetrics,defillama" help:"Sources to ingest (default: all; fred only when FRED_API_KEY is set)."`
	From    string   `help:"First day to backfill (YYYY-MM-DD) for series never ingested; later runs resume at each series' watermark." placeholder:"DATE"`
	Top     int      `help:"CoinGecko universe size snapshotted daily." default:"100"`

	NoHistory  bool          `name:"no-history" help:"CoinGecko: snapshot the universe only, no per-coin daily history."`
	Hourly     bool          `help:"Binance: also ingest hourly candles."`
	NoDepth    bool          `name:"no-depth" help:"Binance: no order-book depth snapshot."`
	Pairs      []string      `help:"Binance pairs as ASSET=SYMBOL (e.g. bitcoin=BTCUSDT); default: BTC, ETH, BNB, SOL, XRP against USDT." placeholder:"ASSET=SYMBOL"`
	FREDSeries []string      `name:"fred-series" help:"FRED series as ID or ID:LAG_DAYS (default: the factor engine's macro inputs)." placeholder:"ID[:LAG]"`
	CMMetrics  []string      `name:"coinmetrics-metrics" help:"Coin Metrics metrics (default: AdrActCnt, TxCnt, HashRate, CapMrktCurUSD, CapRealUSD, SplyCur, FlowInExUSD, FlowOutExUSD)." placeholder:"METRIC"`
	Timeout    time.Duration `help:"Timeout of each HTTP request." default:"30s"`
	MaxRetries int           `name:"max-retries" help:"Retries of a failed request (429, 5xx, timeouts, malformed payloads)." default:"5"`
	Budget     []string      `help:"Client-side rate limit per source as SOURCE=N/DURATION (e.g. coingecko=30/1m)." placeholder:"SOURCE=N/DUR"`

	CoinGeckoURL   string `name:"coingecko-url" help:"Base URL of the CoinGecko API (tests, proxies)." placeholder:"URL"`
	BinanceURL     string `name:"binance-url" help:"Base URL of the Binance API." placeholder:"URL"`
	FearGreedURL   string `name:"feargreed-url" help:"Base URL of the alternative.me API." placeholder:"URL"`
	FREDURL        string `name:"fred-url" help:"Base URL of the FRED API." placeholder:"URL"`
	CoinMetricsURL string `name:"coinmetrics-url" help:"Base URL of the Coin Metrics API (ending in /v4)." placeholder:"URL"`
	DefiLlamaURL   string `name:"defillama-url" help:"Base URL of the DefiLlama stablecoins API." placeholder:"URL"`

	CoinGeckoKey    string `name:"coingecko-key" env:"COINGECKO_API_KEY" help:"CoinGecko demo API key (prefer the environment variable)." placeholder:"KEY"`
	CoinGeckoProKey string `name:"coingecko-pro-key" env:"COINGECKO_PRO_API_KEY" help:"CoinGecko pro API key (uses the pro host)." placeholder:"KEY"`
	FREDKey         string `name:"fred-key" env:"FRED_API_KEY" help:"FRED API key (prefer the environment variable)." placeholder:"KEY"`

	JSON bool `name:"json" help:"Print the summary as JSON."`
}

func (c ingestCmd) Help() string {
	return "Backfills every series of the chosen sources (from --from, or each source's default start) and\n" +
		"then updates it incrementally from its stored watermark: run it daily. Each page of records is\n" +
		"written in one transaction together with its watermark, so an interrupted run resumes without\n" +
		"losing or duplicating rows. Requests are rate limited per source, retried with backoff on 429,\n" +
		"5xx and timeouts (honouring Retry-After), and stopped on a ban (HTTP 418). Every dropped or\n" +
		"repaired row is counted in the summary.\n\n" +
		"Examples:\n  regime ingest --from 2024-01-01\n  COINGECKO_API_KEY=... regime ingest coingecko --top 200\n" +
		"  FRED_API_KEY=... regime ingest fred feargreed\n\nDaily cron (00:30 UTC):\n" +
		"  30 0 * * *  cd /srv/regime && regime ingest --db regime.db --quiet >> ingest.log 2>&1"
}

// summaryJSON is the --json form of a live.Summary.
type summaryJSON struct {
	Source  string           `json:"source"`
	Pages   int64            `json:"pages"`
	Rows    map[string]int64 `json:"rows"`
	Repairs map[string]int64 `json:"repairs"`
	HTTP    httpJSON         `json:"http"`
	Error   string           `json:"error,omitempty"`
}

type httpJSON struct {
	Requests  int64 `json:"requests"`
	Retries   int64 `json:"retries"`
	Throttled int64 `json:"throttled"`
	Failures  int64 `json:"failures"`
	Bans      int64 `json:"bans"`
}

func (c ingestCmd) Run(g *globals) error {
	var from regime.Date
	if c.From != "" {
		d, err := regime.ParseDate(c.From)
		if err != nil {
			return fmt.Errorf("--from: %w", err)
		}
		from = d
	}
	budgets, err := parseBudgets(c.Budget)
	if err != nil {
		return err
	}
	names := c.Sources
	explicit := len(names) > 0
	if !explicit {
		names = ingestSources
	}
	var srcs []live.Source
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		cfg := live.Config{Timeout: c.Timeout, MaxRetries: c.MaxRetries, Budget: budgets[name]}
		if c.MaxRetries == 0 {
			cfg.MaxRetries = -1
		}
		switch name {
		case "coingecko":
			key := coingecko.Key{Value: c.CoinGeckoKey}
			if c.CoinGeckoProKey != "" {
				key = coingecko.Key{Value: c.CoinGeckoProKey, Pro: true}
			}
			cfg.BaseURL = c.CoinGeckoURL
			s := coingecko.New(cfg, key)
			s.TopN, s.History = c.Top, !c.NoHistory
			srcs = append(srcs, s)
		case "binance":
			cfg.BaseURL = c.BinanceURL
			s := binance.New(cfg)
			s.Hourly, s.Depth = c.Hourly, !c.NoDepth
			if len(c.Pairs) > 0 {
				if s.Pairs, err = parsePairs(c.Pairs); err != nil {
					return err
				}
			}
			srcs = append(srcs, s)
		case "feargreed":
			cfg.BaseURL = c.FearGreedURL
			srcs = append(srcs, feargreed.New(cfg))
		case "fred":
			if c.FREDKey == "" && !explicit {
				fmt.Fprintln(g.stdout, "fred: skipped (set FRED_API_KEY to ingest macro series)")
				continue
			}
			cfg.BaseURL = c.FREDURL
			s := fred.New(cfg, c.FREDKey)
			if len(c.FREDSeries) > 0 {
				if s.Series, err = parseFREDSeries(c.FREDSeries); err != nil {
					return err
				}
			}
			srcs = append(srcs, s)
		case "coinmetrics":
			cfg.BaseURL = c.CoinMetricsURL
			s := coinmetrics.New(cfg)
			if len(c.CMMetrics) > 0 {
				s.Metrics = c.CMMetrics
			}
			srcs = append(srcs, s)
		case "defillama":
			cfg.BaseURL = c.DefiLlamaURL
			srcs = append(srcs, defillama.New(cfg))
		}
	}
	st, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, runErr := live.Run(g.ctx, st, srcs, live.Options{From: from, Progress: g.ui.Func()})
	g.ui.Wait()
	if c.JSON {
		out := make([]summaryJSON, 0, len(sum.Sources))
		for _, s := range sum.Sources {
			h := s.HTTP
			j := summaryJSON{Source: s.Source, Pages: s.Pages, Rows: s.Rows, Repairs: s.Repairs,
				HTTP: httpJSON{Requests: h.Requests, Retries: h.Retries, Throttled: h.Throttled, Failures: h.Failures, Bans: h.Bans}}
			if s.Err != nil {
				j.Error = s.Err.Error()
			}
			out = append(out, j)
		}
		if err := writeJSON(g.stdout, out); err != nil {
			return err
		}
	} else if err := live.WriteSummary(g.stdout, sum); err != nil {
		return err
	}
	if runErr != nil {
		var failed []string
		for _, s := range sum.Sources {
			if s.Err != nil {
				failed = append(failed, s.Source)
			}
		}
		return &regime.Error{Code: regime.ErrorCode(runErr), Message: fmt.Sprintf("ingest: %s failed (other sources were stored)", strings.Join(failed, ", ")), Err: runErr}
	}
	return nil
}

// parseBudgets reads SOURCE=N/DURATION flags.
func parseBudgets(flags []string) (map[string]live.Budget, error) {
	out := map[string]live.Budget{}
	for _, f := range flags {
		name, spec, ok := strings.Cut(f, "=")
		n, per, ok2 := strings.Cut(spec, "/")
		cost, err := strconv.Atoi(n)
		d, err2 := time.ParseDuration(per)
		if !ok || !ok2 || err != nil || err2 != nil || cost <= 0 || d <= 0 || !contains(ingestSources, name) {
			return nil, regime.Errorf(regime.EINVALID, "--budget %q: want SOURCE=N/DURATION with SOURCE one of %s (e.g. coingecko=30/1m)", f, strings.Join(ingestSources, ", "))
		}
		out[name] = live.Budget{Cost: cost, Per: d}
	}
	return out, nil
}

// parsePairs reads ASSET=SYMBOL flags; the base ticker is the symbol
// without its USDT/USDC/BUSD/FDUSD quote.
func parsePairs(flags []string) ([]binance.Pair, error) {
	var out []binance.Pair
	for _, f := range flags {
		asset, sym, ok := strings.Cut(f, "=")
		asset, sym = strings.TrimSpace(asset), strings.ToUpper(strings.TrimSpace(sym))
		if !ok || asset == "" || sym == "" {
			return nil, regime.Errorf(regime.EINVALID, "--pairs %q: want ASSET=SYMBOL (e.g. bitcoin=BTCUSDT)", f)
		}
		base := sym
		for _, q := range []string{"FDUSD", "USDT", "USDC", "BUSD"} {
			if strings.HasSuffix(sym, q) && len(sym) > len(q) {
				base = strings.TrimSuffix(sym, q)
				break
			}
		}
		out = append(out, binance.Pair{Asset: asset, Symbol: sym, Base: base, Name: base})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Asset < out[j].Asset })
	return out, nil
}

// parseFREDSeries reads ID or ID:LAG flags (lag default 1 day).
func parseFREDSeries(flags []string) ([]fred.Series, error) {
	var out []fred.Series
	for _, f := range flags {
		id, lagText, hasLag := strings.Cut(strings.ToUpper(strings.TrimSpace(f)), ":")
		lag := 1
		if hasLag {
			n, err := strconv.Atoi(lagText)
			if err != nil || n < 0 {
				return nil, regime.Errorf(regime.EINVALID, "--fred-series %q: want ID or ID:LAG_DAYS", f)
			}
			lag = n
		}
		if id == "" {
			return nil, regime.Errorf(regime.EINVALID, "--fred-series %q: empty series id", f)
		}
		out = append(out, fred.Series{ID: id, Lag: lag})
	}
	return out, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
