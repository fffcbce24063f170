package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/feature"
)

// AssetView is an asset as the API shows it.
type AssetView struct {
	ID      string      `json:"id" doc:"Stable asset id."`
	Symbol  string      `json:"symbol"`
	Name    string      `json:"name"`
	Kind    string      `json:"kind" enum:"coin,stablecoin,wrapped,staked,pegged,exchange_token"`
	Rank    int         `json:"rank,omitempty" doc:"Market-cap rank on the requested date (only with max_rank)."`
	Aliases []AliasView `json:"aliases,omitempty"`
}

// AliasView is one (source, id, symbol, name) an asset was known under.
type AliasView struct {
	Source   string      `json:"source"`
	SourceID string      `json:"source_id"`
	Symbol   string      `json:"symbol"`
	Name     string      `json:"name"`
	From     regime.Date `json:"from"`
	To       regime.Date `json:"to"`
}

func assetView(a regime.Asset, withAliases bool) AssetView {
	v := AssetView{ID: a.ID, Symbol: a.Symbol, Name: a.Name, Kind: string(a.Kind)}
	if withAliases {
		for _, al := range a.Aliases {
			v.Aliases = append(v.Aliases, AliasView{al.Source, al.SourceID, al.Symbol, al.Name, al.From, al.To})
		}
	}
	return v
}

// BarView is one reconciled daily bar; missing values are null.
type BarView struct {
	Date         regime.Date `json:"date"`
	Source       string      `json:"source" doc:"Source of the close."`
	Open         Num         `json:"open"`
	High         Num         `json:"high"`
	Low          Num         `json:"low"`
	Close        Num         `json:"close"`
	VolumeUSD    Num         `json:"volume_usd"`
	MarketCapUSD Num         `json:"market_cap_usd"`
	Supply       Num         `json:"supply"`
	CapEstimated bool        `json:"cap_estimated"`
	KnownAt      regime.Date `json:"known_at" doc:"First day the values were available."`
}

// SeriesView summarises a stored observation series.
type SeriesView struct {
	Series string      `json:"series"`
	Source string      `json:"source"`
	Count  int         `json:"count"`
	From   regime.Date `json:"from"`
	To     regime.Date `json:"to"`
}

// ObservationView is one observation.
type ObservationView struct {
	Date    regime.Date `json:"date"`
	Value   Num         `json:"value"`
	Source  string      `json:"source"`
	KnownAt regime.Date `json:"known_at"`
}

// ConstituentView is one row of a universe snapshot.
type ConstituentView struct {
	Rank         int         `json:"rank"`
	AssetID      string      `json:"asset_id"`
	Symbol       string      `json:"symbol" doc:"Ticker on the snapshot date."`
	Date         regime.Date `json:"date" doc:"Date of the snapshot used."`
	Source       string      `json:"source"`
	MarketCapUSD Num         `json:"market_cap_usd"`
	PriceUSD     Num         `json:"price_usd"`
	VolumeUSD    Num         `json:"volume_usd"`
}

// StatsView describes the store's content.
type StatsView struct {
	Tables map[string]int64 `json:"tables" doc:"Rows per table."`
	Hash   string           `json:"hash" doc:"SHA-256 of the whole content: equal hashes mean equal stores."`
}

// FactorInfo is one factor of the registry.
type FactorInfo struct {
	Name    string   `json:"name"`
	Family  string   `json:"family"`
	Level   string   `json:"level" enum:"token,market"`
	Warmup  int      `json:"warmup_days"`
	Inputs  []string `json:"inputs"`
	Formula string   `json:"formula"`
}

// FactorPage is a page of factor rows for one subject (an asset or the
// market).
type FactorPage struct {
	Subject    string            `json:"subject" doc:"Asset id, or market."`
	Factors    []string          `json:"factors" doc:"Factor names, the keys of each row's values."`
	Missing    map[string]string `json:"missing,omitempty" doc:"Why an entirely missing factor is missing."`
	Items      []FactorRow       `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// FactorRow is the factor values of one day; missing values are null.
type FactorRow struct {
	Date   regime.Date    `json:"date"`
	Values map[string]Num `json:"values"`
}

// PhaseView is one dated bull or bear phase.
type PhaseView struct {
	From        regime.Date `json:"from"`
	To          regime.Date `json:"to"`
	State       string      `json:"state" enum:"bull,bear"`
	FromPrice   Num         `json:"from_price"`
	ToPrice     Num         `json:"to_price"`
	Change      Num         `json:"change" doc:"Price change over the phase, as a fraction."`
	Days        int         `json:"days"`
	Truncated   bool        `json:"truncated" doc:"First phase: starts at the first price, not a turning point."`
	Provisional bool        `json:"provisional" doc:"Last phase: its end is not dated yet."`
}

// Health is the body of the health endpoints.
type Health struct {
	Status string `json:"status" enum:"ok,unavailable"`
	Detail string `json:"detail,omitempty"`
}

// --- parameter structs ---

type assetListParams struct {
	Kind    string      `query:"kind" enum:"coin,stablecoin,wrapped,staked,pegged,exchange_token" doc:"Only assets of this kind."`
	Search  string      `query:"search" doc:"Case-insensitive substring of id, symbol or name."`
	MaxRank int         `query:"max_rank" min:"1" max:"10000" doc:"Only assets ranked at most this by market cap on date."`
	Date    regime.Date `query:"date" doc:"Day of the ranking for max_rank (default: latest snapshot)."`
	PageParams
}

type assetParams struct {
	ID string `path:"id" doc:"Asset id, symbol or source id."`
}

type assetRangeParams struct {
	ID string `path:"id" doc:"Asset id, symbol or source id."`
	RangeParams
	PageParams
}

func (p *assetRangeParams) check() error { return p.RangeParams.check() }

type factorParams struct {
	ID    string   `path:"id" doc:"Asset id, symbol or source id."`
	Names []string `query:"names" doc:"Only these factors (comma-separated)."`
	RangeParams
	PageParams
}

func (p *factorParams) check() error { return p.RangeParams.check() }

type marketFactorParams struct {
	Names []string `query:"names" doc:"Only these factors (comma-separated)."`
	RangeParams
	PageParams
}

func (p *marketFactorParams) check() error { return p.RangeParams.check() }

type seriesParams struct {
	Name string `path:"name" doc:"Series name, e.g. fred:DGS10."`
	RangeParams
	PageParams
}

func (p *seriesParams) check() error { return p.RangeParams.check() }

type universeParams struct {
	Date   regime.Date `query:"date" doc:"Day of the universe (default: today); the latest snapshot on or before it is used."`
	Source string      `query:"source" doc:"Snapshot source (default: any, latest wins)."`
	PageParams
}

type phaseParams struct {
	Asset string `query:"asset" doc:"Asset whose closes are dated (default: bitcoin)."`
	RangeParams
	PageParams
}

func (p *phaseParams) check() error { return p.RangeParams.check() }

type rangePageParams struct {
	RangeParams
	PageParams
}

func (p *rangePageParams) check() error { return p.RangeParams.check() }

type tradeParams struct {
	Reason []string `query:"reason" enum:"scheduled_rebalance,regime_change,constituent_change,depeg,delisted,no_price" doc:"Only trades of these reasons (comma-separated)."`
	RangeParams
	PageParams
}

func (p *tradeParams) check() error { return p.RangeParams.check() }

type rangeOnly struct{ RangeParams }

func (p *rangeOnly) check() error { return p.RangeParams.check() }

type signalParams struct {
	Asset string `query:"asset" doc:"Only this asset's signals."`
	RangeParams
	PageParams
}

func (p *signalParams) check() error { return p.RangeParams.check() }

type dateParams struct {
	Date regime.Date `query:"date" doc:"Day (default: latest)."`
}

type jobParams struct {
	ID string `path:"id" doc:"Job id."`
}

type noParams struct{}
type noBody struct{}

// --- registration ---

func (s *Server) registerRoutes() {
	open, read, jobs, admin := regime.Scope(""), regime.ScopeRead, regime.ScopeJobs, regime.ScopeAdmin

	handle(s, Route{Method: "GET", Path: "/healthz", Scope: open, Tag: "health", Summary: "Liveness: the process serves requests."},
		func(r *http.Request, _ *noParams, _ *noBody) (Health, error) { return Health{Status: "ok"}, nil })
	s.add(Route{Method: "GET", Path: "/readyz", Scope: open, Tag: "health", Summary: "Readiness: the store answers.",
		Response: typeOf[Health](), handler: http.HandlerFunc(s.readyz)})
	s.add(Route{Method: "GET", Path: "/openapi.json", Scope: open, Tag: "docs", Summary: "This OpenAPI 3.1 document.",
		ContentType: "application/json", handler: http.HandlerFunc(s.serveSpec)})
	s.add(Route{Method: "GET", Path: "/docs", Scope: open, Tag: "docs", Summary: "Interactive API documentation.",
		ContentType: "text/html", handler: http.HandlerFunc(serveDocs)})
	s.add(Route{Method: "GET", Path: "/metrics", Scope: admin, Tag: "operations", Summary: "Prometheus metrics.",
		ContentType: "text/plain", handler: s.metrics.handler()})

	handle(s, Route{Method: "GET", Path: "/v1/assets", Scope: read, Tag: "assets", Summary: "List assets (filter by kind, rank, search)."}, s.listAssets)
	handle(s, Route{Method: "GET", Path: "/v1/assets/{id}", Scope: read, Tag: "assets", Summary: "Get an asset by id, symbol or source id."}, s.getAsset)
	handle(s, Route{Method: "GET", Path: "/v1/assets/{id}/bars", Scope: read, Tag: "assets", Summary: "An asset's reconciled daily bars."}, s.listBars)
	handle(s, Route{Method: "GET", Path: "/v1/assets/{id}/factors", Scope: read, Tag: "factors", Summary: "An asset's token-level factor values."}, s.assetFactors)
	handle(s, Route{Method: "GET", Path: "/v1/assets/{id}/signals", Scope: read, Tag: "signals", Summary: "An asset's token signals."},
		func(r *http.Request, p *signalParams, _ *noBody) (Page[Signal], error) {
			p.Asset = r.PathValue("id")
			return s.listSignals(r, p, nil)
		})
	handle(s, Route{Method: "GET", Path: "/v1/factors", Scope: read, Tag: "factors", Summary: "The factor registry."}, s.listFactors)
	handle(s, Route{Method: "GET", Path: "/v1/market/factors", Scope: read, Tag: "factors", Summary: "Market-level factor values."}, s.marketFactors)
	handle(s, Route{Method: "GET", Path: "/v1/series", Scope: read, Tag: "series", Summary: "List stored observation series."}, s.listSeries)
	handle(s, Route{Method: "GET", Path: "/v1/series/{name}/observations", Scope: read, Tag: "series", Summary: "One series' observations."}, s.listObservations)
	handle(s, Route{Method: "GET", Path: "/v1/universe", Scope: read, Tag: "universe", Summary: "Top assets by market cap as known on a date."}, s.listUniverse)
	handle(s, Route{Method: "GET", Path: "/v1/stats", Scope: read, Tag: "store", Summary: "Row counts and content hash of the store."}, s.stats)
	handle(s, Route{Method: "GET", Path: "/v1/phases", Scope: read, Tag: "phases", Summary: "Dated bull and bear phases (ex post, for research and scoring)."}, s.listPhases)

	s.add(Route{Method: "GET", Path: "/v1/gauge", Scope: read, Tag: "gauge", Summary: "The latest Market Gauge reading.",
		Response: typeOf[Gauge](), Cacheable: true, handler: http.HandlerFunc(s.gaugeLatest)})
	handle(s, Route{Method: "GET", Path: "/v1/gauge/history", Scope: read, Tag: "gauge", Summary: "Market Gauge history."}, s.gaugeHistory)
	handle(s, Route{Method: "GET", Path: "/v1/signals", Scope: read, Tag: "signals", Summary: "Token signals."}, s.listSignals)
	handle(s, Route{Method: "GET", Path: "/v1/index", Scope: read, Tag: "index", Summary: "Index composition and weights."}, s.indexComposition)
	handle(s, Route{Method: "GET", Path: "/v1/index/nav", Scope: read, Tag: "index", Summary: "Index NAV history."}, s.indexNAV)
	handle(s, Route{Method: "GET", Path: "/v1/index/trades", Scope: read, Tag: "index", Summary: "Index transaction log."}, s.indexTrades)
	handle(s, Route{Method: "GET", Path: "/v1/index/allocation", Scope: read, Tag: "index", Summary: "Index allocation over time: stablecoins, cash and the largest holdings as shares of NAV."}, s.indexAllocation)
	handle(s, Route{Method: "GET", Path: "/v1/index/performance", Scope: read, Tag: "index", Summary: "Index performance analytics."}, s.indexPerformance)
	handle(s, Route{Method: "GET", Path: "/v1/evaluations", Scope: read, Tag: "evaluations", Summary: "Evaluation results."}, s.listEvaluations)
	s.add(Route{Method: "GET", Path: "/v1/events", Scope: read, Tag: "events", Summary: "Server-Sent Events: gauge updates, new signals, job progress (Last-Event-ID resume, heartbeats).",
		Params: typeOf[EventParams](), ContentType: "text/event-stream", handler: http.HandlerFunc(s.events0)})

	handle(s, Route{Method: "POST", Path: "/v1/jobs", Scope: jobs, Tag: "jobs", Summary: "Submit an asynchronous job.", Status: http.StatusAccepted}, s.submitJob)
	handle(s, Route{Method: "POST", Path: "/v1/backtests", Scope: jobs, Tag: "jobs", Summary: "Submit a backtest as an asynchronous job.", Status: http.StatusAccepted},
		func(r *http.Request, _ *noParams, b *json.RawMessage) (Job, error) {
			return s.jobs.submit(keyOf(r.Context()).ID, "backtest", *b)
		})
	handle(s, Route{Method: "GET", Path: "/v1/jobs", Scope: jobs, Tag: "jobs", Summary: "List your jobs.", Cacheable: false}, s.listJobs)
	handle(s, Route{Method: "GET", Path: "/v1/jobs/{id}", Scope: jobs, Tag: "jobs", Summary: "A job's status and progress."}, s.getJob)
	handle(s, Route{Method: "DELETE", Path: "/v1/jobs/{id}", Scope: jobs, Tag: "jobs", Summary: "Cancel a job.", Status: http.StatusAccepted},
		func(r *http.Request, p *jobParams, _ *noBody) (Job, error) {
			j, err := s.jobs.get(p.ID, keyOf(r.Context()))
			if err != nil {
				return Job{}, err
			}
			return s.jobs.cancelJob(j), nil
		})
	s.add(Route{Method: "GET", Path: "/v1/jobs/{id}/result", Scope: jobs, Tag: "jobs", Summary: "A finished job's result (409 until it succeeds).",
		Params: typeOf[jobParams](), Response: typeOf[any](), Cacheable: true, handler: http.HandlerFunc(s.jobResult)})
	s.add(Route{Method: "GET", Path: "/v1/jobs/{id}/events", Scope: jobs, Tag: "jobs", Summary: "Server-Sent Events of one job's progress.",
		Params: typeOf[jobParams](), ContentType: "text/event-stream", handler: http.HandlerFunc(s.jobEvents)})
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// --- health and docs ---

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logError(r, err)
		writeJSON(w, r, http.StatusServiceUnavailable, Health{Status: "unavailable", Detail: "store not reachable"}, false)
		return
	}
	writeJSON(w, r, http.StatusOK, Health{Status: "ok"}, false)
}

func (s *Server) serveSpec(w http.ResponseWriter, r *http.Request) {
	if err := decodeParams(r, &noParams{}); err != nil {
		writeProblem(w, r, err)
		return
	}
	writeCached(w, r, http.StatusOK, s.spec, etagOf(s.spec))
}

// --- store-backed handlers ---

func (s *Server) lookup(ctx context.Context, ref string) (regime.Asset, error) {
	if ref == "" || len(ref) > 200 {
		return regime.Asset{}, regime.Errorf(regime.ENOTFOUND, "asset %q not found", truncate(ref))
	}
	a, err := s.store.LookupAsset(ctx, ref)
	if regime.ErrorCode(err) == regime.ENOTFOUND {
		return regime.Asset{}, regime.Errorf(regime.ENOTFOUND, "asset %q not found", truncate(ref))
	}
	return a, err
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func (s *Server) listAssets(r *http.Request, p *assetListParams, _ *noBody) (Page[AssetView], error) {
	ctx := r.Context()
	as, err := s.store.FindAssets(ctx, regime.AssetFilter{Kind: regime.AssetKind(p.Kind), Search: p.Search})
	if err != nil {
		return Page[AssetView]{}, err
	}
	rank := map[string]int{}
	if p.MaxRank > 0 {
		d := p.Date
		if d == regime.NoDate {
			d = regime.DateOf(s.now())
		}
		cs, err := s.store.Constituents(ctx, "", d)
		if err != nil && regime.ErrorCode(err) != regime.ENOTFOUND {
			return Page[AssetView]{}, err
		}
		for _, c := range cs {
			if c.Rank <= p.MaxRank {
				rank[c.AssetID] = c.Rank
			}
		}
	} else if p.Date != regime.NoDate {
		return Page[AssetView]{}, invalid(FieldError{"query", "date", "only meaningful with max_rank"})
	}
	views := make([]AssetView, 0, len(as))
	for _, a := range as {
		if p.MaxRank > 0 && rank[a.ID] == 0 {
			continue
		}
		v := assetView(a, false)
		v.Rank = rank[a.ID]
		views = append(views, v)
	}
	return paginate(views, func(v AssetView) string { return v.ID }, p.PageParams)
}

func (s *Server) getAsset(r *http.Request, p *assetParams, _ *noBody) (AssetView, error) {
	a, err := s.lookup(r.Context(), p.ID)
	if err != nil {
		return AssetView{}, err
	}
	return assetView(a, true), nil
}

func (s *Server) listBars(r *http.Request, p *assetRangeParams, _ *noBody) (Page[BarView], error) {
	a, err := s.lookup(r.Context(), p.ID)
	if err != nil {
		return Page[BarView]{}, err
	}
	bars, err := s.store.Bars(r.Context(), a.ID, p.Range())
	if err != nil {
		return Page[BarView]{}, err
	}
	out := make([]BarView, len(bars))
	for i, b := range bars {
		out[i] = BarView{b.Date, b.Source, Num(b.Open), Num(b.High), Num(b.Low), Num(b.Close), Num(b.VolumeUSD),
			Num(b.MarketCapUSD), Num(b.Supply), b.CapEstimated, b.KnownAt}
	}
	return paginate(out, func(b BarView) string { return dateKey(b.Date) }, p.PageParams)
}

func (s *Server) listSeries(r *http.Request, p *PageParams, _ *noBody) (Page[SeriesView], error) {
	ss, err := s.store.Series(r.Context())
	if err != nil {
		return Page[SeriesView]{}, err
	}
	out := make([]SeriesView, len(ss))
	for i, si := range ss {
		out[i] = SeriesView{si.Series, si.Source, si.Count, si.From, si.To}
	}
	return paginate(out, func(v SeriesView) string { return v.Series }, *p)
}

func (s *Server) listObservations(r *http.Request, p *seriesParams, _ *noBody) (Page[ObservationView], error) {
	if len(p.Name) > 200 {
		return Page[ObservationView]{}, regime.Errorf(regime.ENOTFOUND, "series %q not found", truncate(p.Name))
	}
	obs, err := s.store.Observations(r.Context(), p.Name, p.Range())
	if err != nil {
		return Page[ObservationView]{}, err
	}
	out := make([]ObservationView, len(obs))
	for i, o := range obs {
		out[i] = ObservationView{o.Date, Num(o.Value), o.Source, o.KnownAt}
	}
	return paginate(out, func(v ObservationView) string { return dateKey(v.Date) }, p.PageParams)
}

func (s *Server) listUniverse(r *http.Request, p *universeParams, _ *noBody) (Page[ConstituentView], error) {
	d := p.Date
	if d == regime.NoDate {
		d = regime.DateOf(s.now())
	}
	cs, err := s.store.Constituents(r.Context(), p.Source, d)
	if err != nil {
		return Page[ConstituentView]{}, err
	}
	out := make([]ConstituentView, 0, len(cs))
	for _, c := range cs {
		sym := ""
		if a, err := s.store.Asset(r.Context(), c.AssetID); err == nil {
			sym, _ = a.NameAt("", c.Date)
		}
		out = append(out, ConstituentView{c.Rank, c.AssetID, sym, c.Date, c.Source, Num(c.MarketCapUSD), Num(c.PriceUSD), Num(c.VolumeUSD)})
	}
	return paginate(out, func(v ConstituentView) string { return fmt.Sprintf("%08d", v.Rank) }, p.PageParams)
}

func (s *Server) stats(r *http.Request, _ *noParams, _ *noBody) (StatsView, error) {
	st, err := s.store.Stats(r.Context())
	if err != nil {
		return StatsView{}, err
	}
	return StatsView{Tables: st.Tables, Hash: st.Hash}, nil
}

func (s *Server) listFactors(r *http.Request, p *PageParams, _ *noBody) (Page[FactorInfo], error) {
	reg := feature.Registry()
	out := make([]FactorInfo, len(reg))
	for i, f := range reg {
		out[i] = FactorInfo{f.Name, f.Family, f.Level.String(), f.Warmup, f.Inputs, f.Formula}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return paginate(out, func(v FactorInfo) string { return v.Name }, *p)
}

// contentVersion caches the store's content hash for Config.ContentTTL,
// the key of every computed-resource cache.
type contentVersion struct {
	mu      sync.Mutex
	hash    string
	expires time.Time
}

func (s *Server) version(ctx context.Context) (string, error) {
	s.content.mu.Lock()
	defer s.content.mu.Unlock()
	now := s.now()
	if s.content.hash != "" && now.Before(s.content.expires) {
		return s.content.hash, nil
	}
	st, err := s.store.Stats(ctx)
	if err != nil {
		return "", err
	}
	s.content.hash, s.content.expires = st.Hash, now.Add(s.cfg.ContentTTL)
	return st.Hash, nil
}

// factorCache memoises computed values per (store content hash, subject),
// computing each once even under concurrent requests.
type factorCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	once sync.Once
	val  any
	err  error
}

func newFactorCache(max int) *factorCache {
	return &factorCache{max: max, entries: map[string]*cacheEntry{}}
}

func (c *factorCache) get(key string, compute func() (any, error)) (any, error) {
	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
		e = &cacheEntry{}
		c.entries[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.val, e.err = compute() })
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e.val, e.err
}

func (s *Server) cached(ctx context.Context, subject string, compute func(ctx context.Context) (any, error)) (any, error) {
	v, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	// The computation outlives a cancelled request: other requests wait
	// for the same entry.
	return s.factors.get(v+"|"+subject, func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		return compute(cctx)
	})
}

func (s *Server) assetFactors(r *http.Request, p *factorParams, _ *noBody) (FactorPage, error) {
	a, err := s.lookup(r.Context(), p.ID)
	if err != nil {
		return FactorPage{}, err
	}
	v, err := s.cached(r.Context(), "token:"+a.ID, func(ctx context.Context) (any, error) {
		pan, err := engine.LoadAssetPanel(ctx, s.store, regime.DateRange{}, a)
		if err != nil {
			return nil, err
		}
		ts, err := engine.TokenSeries(ctx, s.store, pan, 0)
		if err != nil {
			return nil, err
		}
		return feature.Build(ts, feature.ByLevel(feature.LevelToken))
	})
	if err != nil {
		return FactorPage{}, err
	}
	return factorPage(a.ID, v.(*feature.Matrix), p.Names, p.RangeParams, p.PageParams)
}

func (s *Server) marketFactors(r *http.Request, p *marketFactorParams, _ *noBody) (FactorPage, error) {
	v, err := s.cached(r.Context(), "market", func(ctx context.Context) (any, error) {
		pan, err := engine.LoadPanel(ctx, s.store, regime.DateRange{})
		if err != nil {
			return nil, err
		}
		in, err := engine.MarketInputs(ctx, s.store, pan)
		if err != nil {
			return nil, err
		}
		return feature.BuildMarket(in, feature.ByLevel(feature.LevelMarket))
	})
	if err != nil {
		return FactorPage{}, err
	}
	return factorPage("market", v.(*feature.Matrix), p.Names, p.RangeParams, p.PageParams)
}

func factorPage(subject string, m *feature.Matrix, names []string, rp RangeParams, pp PageParams) (FactorPage, error) {
	cols := make([]int, 0, len(m.Names))
	if len(names) == 0 {
		for j := range m.Names {
			cols = append(cols, j)
		}
	} else {
		for _, n := range names {
			j := m.Index(n)
			if j < 0 {
				return FactorPage{}, invalid(FieldError{"query", "names", fmt.Sprintf("unknown factor %q for %s (see /v1/factors)", truncate(n), subject)})
			}
			cols = append(cols, j)
		}
	}
	r := rp.Range()
	var rows []int
	for i, d := range m.Dates {
		if r.Contains(d) {
			rows = append(rows, i)
		}
	}
	pg, err := paginate(rows, func(i int) string { return dateKey(m.Dates[i]) }, pp)
	if err != nil {
		return FactorPage{}, err
	}
	out := FactorPage{Subject: subject, Items: make([]FactorRow, 0, len(pg.Items)), NextCursor: pg.NextCursor}
	for _, j := range cols {
		out.Factors = append(out.Factors, m.Names[j])
		if m.Missing[j] != "" {
			if out.Missing == nil {
				out.Missing = map[string]string{}
			}
			out.Missing[m.Names[j]] = m.Missing[j]
		}
	}
	for _, i := range pg.Items {
		row := FactorRow{Date: m.Dates[i], Values: make(map[string]Num, len(cols))}
		for _, j := range cols {
			row.Values[m.Names[j]] = Num(m.Col(j)[i])
		}
		out.Items = append(out.Items, row)
	}
	return out, nil
}

func (s *Server) listPhases(r *http.Request, p *phaseParams, _ *noBody) (Page[PhaseView], error) {
	ref := p.Asset
	if ref == "" {
		ref = "bitcoin"
	}
	a, err := s.lookup(r.Context(), ref)
	if err != nil && p.Asset == "" {
		a, err = s.marketLeader(r.Context())
	}
	if err != nil {
		return Page[PhaseView]{}, err
	}
	v, err := s.cached(r.Context(), "phases:"+a.ID, func(ctx context.Context) (any, error) {
		bars, err := s.store.Bars(ctx, a.ID, regime.DateRange{})
		if err != nil {
			return nil, err
		}
		dates := make([]regime.Date, len(bars))
		closes := make([]float64, len(bars))
		for i, b := range bars {
			dates[i], closes[i] = b.Date, b.Close
			if !(b.Close > 0) {
				closes[i] = regime.NaN
			}
		}
		if len(bars) == 0 {
			return []PhaseView{}, nil
		}
		d, err := detect.DateCycles(dates, closes, detect.DefaultDatingParams())
		if err != nil {
			return nil, err
		}
		out := make([]PhaseView, len(d.Phases))
		for i, ph := range d.Phases {
			out[i] = PhaseView{ph.From, ph.To, ph.State.String(), Num(ph.FromPrice), Num(ph.ToPrice), Num(ph.Change()),
				ph.Days(), ph.Truncated, ph.Provisional}
		}
		return out, nil
	})
	if err != nil {
		return Page[PhaseView]{}, err
	}
	rg := p.Range()
	var sel []PhaseView
	for _, ph := range v.([]PhaseView) {
		if (rg.To == regime.NoDate || ph.From <= rg.To) && (rg.From == regime.NoDate || ph.To >= rg.From) {
			sel = append(sel, ph)
		}
	}
	return paginate(sel, func(v PhaseView) string { return dateKey(v.From) }, p.PageParams)
}

// --- pluggable sources ---

func (s *Server) gaugeLatest(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > 0 {
		if err := decodeParams(r, &noParams{}); err != nil {
			writeProblem(w, r, err)
			return
		}
	}
	if s.deps.Gauge == nil {
		writeProblem(w, r, notWired("the Market Gauge"))
		return
	}
	e, err := s.latestGauge(r.Context())
	if err != nil {
		s.logError(r, err)
		writeProblem(w, r, err)
		return
	}
	writeCachedHeader(w, r, http.StatusOK, e.body, e.etag, e.length)
}

func (s *Server) gaugeHistory(r *http.Request, p *rangePageParams, _ *noBody) (Page[Gauge], error) {
	if s.deps.Gauge == nil {
		return Page[Gauge]{}, notWired("the Market Gauge")
	}
	gs, err := s.deps.Gauge.History(r.Context(), p.Range())
	if err != nil {
		return Page[Gauge]{}, err
	}
	return paginate(gs, func(g Gauge) string { return dateKey(g.Date) }, p.PageParams)
}

func (s *Server) listSignals(r *http.Request, p *signalParams, _ *noBody) (Page[Signal], error) {
	if s.deps.Signals == nil {
		return Page[Signal]{}, notWired("token signals")
	}
	q := SignalQuery{Range: p.Range()}
	if p.Asset != "" {
		a, err := s.lookup(r.Context(), p.Asset)
		if err != nil {
			return Page[Signal]{}, err
		}
		q.AssetID = a.ID
	}
	sig, err := s.deps.Signals.Signals(r.Context(), q)
	if err != nil {
		return Page[Signal]{}, err
	}
	return paginate(sig, func(v Signal) string { return dateKey(v.Date) + "|" + v.AssetID }, p.PageParams)
}

func (s *Server) indexComposition(r *http.Request, p *dateParams, _ *noBody) (Composition, error) {
	if s.deps.Index == nil {
		return Composition{}, notWired("the index")
	}
	return s.deps.Index.Composition(r.Context(), p.Date)
}

func (s *Server) indexNAV(r *http.Request, p *rangePageParams, _ *noBody) (Page[NAVPoint], error) {
	if s.deps.Index == nil {
		return Page[NAVPoint]{}, notWired("the index")
	}
	nav, err := s.deps.Index.NAV(r.Context(), p.Range())
	if err != nil {
		return Page[NAVPoint]{}, err
	}
	return paginate(nav, func(v NAVPoint) string { return dateKey(v.Date) }, p.PageParams)
}

func (s *Server) indexTrades(r *http.Request, p *tradeParams, _ *noBody) (Page[Trade], error) {
	if s.deps.Index == nil {
		return Page[Trade]{}, notWired("the index")
	}
	ts, err := s.deps.Index.Trades(r.Context(), p.Range())
	if err != nil {
		return Page[Trade]{}, err
	}
	if len(p.Reason) > 0 {
		kept := ts[:0:0]
		for _, t := range ts {
			if contains(p.Reason, t.Reason) {
				kept = append(kept, t)
			}
		}
		ts = kept
	}
	type seq struct {
		i int
		t Trade
	}
	items := make([]seq, len(ts))
	for i, t := range ts {
		items[i] = seq{i, t}
	}
	pg, err := paginate(items, func(v seq) string { return fmt.Sprintf("%012d", v.i) }, p.PageParams)
	if err != nil {
		return Page[Trade]{}, err
	}
	out := Page[Trade]{Items: make([]Trade, len(pg.Items)), NextCursor: pg.NextCursor}
	for i, v := range pg.Items {
		out.Items[i] = v.t
	}
	return out, nil
}

func (s *Server) indexAllocation(r *http.Request, p *rangePageParams, _ *noBody) (Page[AllocationPoint], error) {
	if s.deps.Index == nil {
		return Page[AllocationPoint]{}, notWired("the index")
	}
	al, err := s.deps.Index.Allocation(r.Context(), p.Range())
	if err != nil {
		return Page[AllocationPoint]{}, err
	}
	return paginate(al, func(v AllocationPoint) string { return dateKey(v.Date) }, p.PageParams)
}

func (s *Server) indexPerformance(r *http.Request, p *rangeOnly, _ *noBody) (Performance, error) {
	if s.deps.Index == nil {
		return Performance{}, notWired("the index")
	}
	return s.deps.Index.Performance(r.Context(), p.Range())
}

func (s *Server) listEvaluations(r *http.Request, p *PageParams, _ *noBody) (Page[Evaluation], error) {
	if s.deps.Evaluations == nil {
		return Page[Evaluation]{}, notWired("evaluation results")
	}
	ev, err := s.deps.Evaluations.Evaluations(r.Context())
	if err != nil {
		return Page[Evaluation]{}, err
	}
	return paginate(ev, func(v Evaluation) string { return v.ID }, *p)
}

// --- events and jobs ---

func (s *Server) events0(w http.ResponseWriter, r *http.Request) {
	var p EventParams
	if err := decodeParams(r, &p); err != nil {
		writeProblem(w, r, err)
		return
	}
	key := keyOf(r.Context())
	owner := key.ID
	if key.Allows(regime.ScopeAdmin) {
		owner = "*"
	}
	if p.Job != "" {
		if _, err := s.jobs.get(p.Job, key); err != nil {
			writeProblem(w, r, err)
			return
		}
	}
	s.serveEvents(w, r, p, owner)
}

func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	var p jobParams
	if err := decodeParams(r, &p); err != nil {
		writeProblem(w, r, err)
		return
	}
	if _, err := s.jobs.get(p.ID, keyOf(r.Context())); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.serveEvents(w, r, EventParams{Job: p.ID}, "*")
}

func (s *Server) submitJob(r *http.Request, _ *noParams, b *JobRequest) (Job, error) {
	if b.Kind == "" {
		return Job{}, invalid(FieldError{"body", "kind", "required"})
	}
	return s.jobs.submit(keyOf(r.Context()).ID, b.Kind, b.Params)
}

func (s *Server) listJobs(r *http.Request, p *PageParams, _ *noBody) (Page[Job], error) {
	return paginate(s.jobs.list(keyOf(r.Context())), func(j Job) string { return j.ID }, *p)
}

func (s *Server) getJob(r *http.Request, p *jobParams, _ *noBody) (Job, error) {
	j, err := s.jobs.get(p.ID, keyOf(r.Context()))
	if err != nil {
		return Job{}, err
	}
	return s.jobs.snapshot(j), nil
}

func (s *Server) jobResult(w http.ResponseWriter, r *http.Request) {
	var p jobParams
	if err := decodeParams(r, &p); err != nil {
		writeProblem(w, r, err)
		return
	}
	j, err := s.jobs.get(p.ID, keyOf(r.Context()))
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	snap := s.jobs.snapshot(j)
	if snap.State != JobSucceeded {
		msg := "job " + snap.ID + " is " + snap.State
		if snap.Error != "" {
			msg += ": " + snap.Error
		}
		writeProblem(w, r, regime.Errorf(regime.ECONFLICT, "%s", msg))
		return
	}
	writeCached(w, r, http.StatusOK, j.result, etagOf(j.result))
}

// marshalJSON encodes v without HTML escaping, with a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marketLeader is the asset whose phases are dated by default: bitcoin,
// else BTC, else the investable asset ranked first in the latest
// universe snapshot.
func (s *Server) marketLeader(ctx context.Context) (regime.Asset, error) {
	if a, err := s.lookup(ctx, "BTC"); err == nil {
		return a, nil
	}
	cs, err := s.store.Constituents(ctx, "", regime.DateOf(s.now()))
	if err != nil && regime.ErrorCode(err) != regime.ENOTFOUND {
		return regime.Asset{}, err
	}
	for _, c := range cs {
		a, err := s.store.Asset(ctx, c.AssetID)
		if err == nil && a.Kind.Investable() {
			return a, nil
		}
	}
	return regime.Asset{}, regime.Errorf(regime.ENOTFOUND, "no market leader to date phases on: pass ?asset=")
}
