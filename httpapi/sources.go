package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regime-engine/regime"
)

// GaugeSource supplies the Market Gauge. Errors follow regime error codes
// (ENOTFOUND when no gauge has been computed, EUNAVAILABLE...).
type GaugeSource interface {
	// Latest returns the most recent gauge reading.
	Latest(ctx context.Context) (Gauge, error)
	// History returns the readings dated in r, by date.
	History(ctx context.Context, r regime.DateRange) ([]Gauge, error)
}

// SignalSource supplies per-token signals.
type SignalSource interface {
	// Signals returns the signals matching q, sorted by (date, asset id).
	Signals(ctx context.Context, q SignalQuery) ([]Signal, error)
}

// IndexSource supplies the regime-switching index.
type IndexSource interface {
	// Composition returns the holdings as of date (NoDate = latest).
	Composition(ctx context.Context, date regime.Date) (Composition, error)
	// NAV returns the daily net asset value in r, by date.
	NAV(ctx context.Context, r regime.DateRange) ([]NAVPoint, error)
	// Trades returns the transaction log in r, by date then asset.
	Trades(ctx context.Context, r regime.DateRange) ([]Trade, error)
	// Performance returns performance analytics over r.
	Performance(ctx context.Context, r regime.DateRange) (Performance, error)
	// Allocation returns the index's actual holdings as shares of its NAV
	// on the days of r it samples (at least every rebalance), by date.
	Allocation(ctx context.Context, r regime.DateRange) ([]AllocationPoint, error)
}

// EvaluationSource supplies evaluation results (model and baseline
// scores against dated phases).
type EvaluationSource interface {
	// Evaluations returns every stored evaluation, sorted by ID.
	Evaluations(ctx context.Context) ([]Evaluation, error)
}

// Gauge is one Market Gauge reading.
type Gauge struct {
	Date     regime.Date          `json:"date" doc:"Day of the reading (close)."`
	Value    Num                  `json:"value" doc:"Gauge value, 0 (deep bear) to 100 (strong bull); null if unknown."`
	Level    string               `json:"level" doc:"Named band of the value (e.g. bear, neutral, bull)."`
	Regime   string               `json:"regime" doc:"Regime the index acts on."`
	Families []FamilyContribution `json:"families" doc:"Contribution of each factor family."`
}

// FamilyContribution is one factor family's part of a gauge reading.
type FamilyContribution struct {
	Family       string `json:"family"`
	Score        Num    `json:"score" doc:"Family score, 0..100."`
	Weight       Num    `json:"weight" doc:"Weight of the family in the gauge."`
	Contribution Num    `json:"contribution" doc:"Points the family adds to the gauge."`
}

// SignalQuery selects signals.
type SignalQuery struct {
	AssetID string           // "" = every asset
	Range   regime.DateRange // days
}

// Signal is one token's signal on one day.
type Signal struct {
	AssetID string      `json:"asset_id"`
	Date    regime.Date `json:"date"`
	State   string      `json:"state" doc:"bull, bear or neutral." enum:"bull,bear,neutral"`
	Score   Num         `json:"score" doc:"Signal strength, 0..1."`
	Reason  string      `json:"reason,omitempty"`
}

// Composition is the index's holdings on a day.
type Composition struct {
	Date     regime.Date `json:"date"`
	Regime   string      `json:"regime"`
	Exposure Num         `json:"exposure" doc:"Fraction of NAV in risky assets."`
	Weights  []Weight    `json:"weights"`
}

// Weight is one holding of the index.
type Weight struct {
	AssetID string `json:"asset_id"`
	Symbol  string `json:"symbol,omitempty"`
	Weight  Num    `json:"weight"`
}

// NAVPoint is the index's value on a day, next to its benchmarks, all in
// USD from the same initial NAV.
type NAVPoint struct {
	Date       regime.Date `json:"date"`
	NAV        Num         `json:"nav" doc:"Regime index NAV in USD at the close, after that day's trades."`
	Exposure   Num         `json:"exposure" doc:"Risky share of the NAV at the close, 0..1."`
	Level      *string     `json:"level" doc:"Gauge level in effect that day (e.g. bearish, bullish); null before the first."`
	Benchmarks Benchmarks  `json:"benchmarks" doc:"The benchmarks' NAV in USD on the same day."`
}

// Benchmarks are the NAVs of the index's benchmarks on one day; a
// benchmark not yet started is null.
type Benchmarks struct {
	BuyAndHold Num `json:"buy_and_hold" doc:"The same index, always invested."`
	BTCHold    Num `json:"btc_hold" doc:"Bitcoin bought and held."`
	SMA200     Num `json:"sma200" doc:"The same index, invested while BTC closes above its 200-day mean."`
}

// TradeReasons are the values of Trade.Reason, the reasons of the
// backtest's transaction log.
var TradeReasons = []string{"scheduled_rebalance", "regime_change", "constituent_change", "depeg", "delisted", "no_price"}

// Trade is one row of the index's transaction log.
type Trade struct {
	Date     regime.Date `json:"date" doc:"Execution day (the close the trade is priced at)."`
	AssetID  string      `json:"asset_id"`
	Side     string      `json:"side" enum:"buy,sell"`
	Quantity Num         `json:"quantity" doc:"Units traded, > 0."`
	Price    Num         `json:"price" doc:"USD price: the close of date (the recovery price of a write-off)."`
	Value    Num         `json:"value" doc:"quantity x price in USD."`
	Fee      Num         `json:"fee" doc:"Fee in USD."`
	Slippage Num         `json:"slippage" doc:"Slippage in USD."`
	Cost     Num         `json:"cost" doc:"Fees and slippage in USD (fee + slippage)."`
	Reason   string      `json:"reason" enum:"scheduled_rebalance,regime_change,constituent_change,depeg,delisted,no_price" doc:"Why the trade happened."`
}

// AllocationPoint is the index's actual holdings on a day, as shares of
// its NAV (value / NAV at the close).
type AllocationPoint struct {
	Date   regime.Date     `json:"date"`
	Stable Num             `json:"stable" doc:"Share held in stablecoins."`
	Cash   Num             `json:"cash" doc:"Share held in US dollar cash."`
	Top    []HoldingWeight `json:"top" doc:"The largest risky holdings (at most 8), by weight, largest first."`
	Other  Num             `json:"other" doc:"Share of the other risky holdings."`
}

// HoldingWeight is one holding's share of the NAV.
type HoldingWeight struct {
	AssetID string `json:"asset_id"`
	Symbol  string `json:"symbol"`
	Weight  Num    `json:"weight"`
}

// Performance holds index performance analytics.
type Performance struct {
	From    regime.Date    `json:"from"`
	To      regime.Date    `json:"to"`
	Metrics map[string]Num `json:"metrics" doc:"Named metrics (cagr, sharpe, max_drawdown...)."`
}

// Evaluation is one evaluation result.
type Evaluation struct {
	ID      string         `json:"id"`
	Subject string         `json:"subject" doc:"Model or baseline evaluated."`
	From    regime.Date    `json:"from"`
	To      regime.Date    `json:"to"`
	Metrics map[string]Num `json:"metrics"`
}

// notWired is the problem of a route whose source is not configured.
func notWired(what string) error {
	return &apiError{status: http.StatusNotImplemented, code: codeNotImplemented,
		msg: what + " is not available on this server (not configured)"}
}

// gaugeCache keeps the latest gauge pre-encoded.
type gaugeCache struct {
	mu         sync.Mutex
	cur        atomic.Pointer[encodedGauge]
	refreshing atomic.Bool
}

type encodedGauge struct {
	g       Gauge
	body    []byte
	etag    []string // header value
	length  []string // header value
	expires time.Time
}

// latestGauge returns the cached latest gauge. A stale entry is served
// while one background refresh runs, so expiry never stalls requests;
// only the very first request waits for the source.
func (s *Server) latestGauge(ctx context.Context) (*encodedGauge, error) {
	now := s.now()
	e := s.gauge.cur.Load()
	if e != nil {
		if !now.Before(e.expires) && s.gauge.refreshing.CompareAndSwap(false, true) {
			go func() {
				defer s.gauge.refreshing.Store(false)
				rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if g, err := s.deps.Gauge.Latest(rctx); err == nil {
					s.storeGauge(g, s.now())
				} else {
					s.log.Warn("gauge refresh failed", "error", err.Error())
				}
			}()
		}
		return e, nil
	}
	s.gauge.mu.Lock()
	defer s.gauge.mu.Unlock()
	if e := s.gauge.cur.Load(); e != nil {
		return e, nil
	}
	g, err := s.deps.Gauge.Latest(ctx)
	if err != nil {
		return nil, err
	}
	return s.storeGauge(g, now), nil
}

func (s *Server) storeGauge(g Gauge, now time.Time) *encodedGauge {
	body, err := marshalJSON(g)
	if err != nil {
		body = []byte("{}\n")
	}
	e := &encodedGauge{g: g, body: body, etag: []string{etagOf(body)}, length: []string{strconv.Itoa(len(body))},
		expires: now.Add(s.cfg.GaugeCacheTTL)}
	s.gauge.cur.Store(e)
	return e
}

// pollGauge polls the gauge source, publishing changes to SSE and changes
// of the regime state or the gauge level to the webhook.
func (s *Server) pollGauge() {
	defer s.bg.Done()
	t := time.NewTicker(s.cfg.GaugePoll)
	defer t.Stop()
	var last *Gauge
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		g, err := s.deps.Gauge.Latest(ctx)
		cancel()
		if err == nil {
			s.storeGauge(g, s.now())
			if last == nil || last.Date != g.Date || float64(last.Value) != float64(g.Value) || last.Regime != g.Regime {
				s.events.publish(TopicGauge, g)
			}
			if last != nil && (last.Regime != g.Regime || last.Level != g.Level) && s.hook != nil {
				s.hook.send(RegimeChange{Type: "regime.changed", From: last.Regime, To: g.Regime,
					FromLevel: last.Level, ToLevel: g.Level, StateChanged: last.Regime != g.Regime, Date: g.Date, Gauge: g})
			}
			gg := g
			last = &gg
		} else {
			s.log.Warn("gauge poll failed", "error", err.Error())
		}
		select {
		case <-s.closing:
			return
		case <-t.C:
		}
	}
}
