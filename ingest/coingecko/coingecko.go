// Package coingecko ingests CoinGecko: the daily top-N universe by market
// cap (stored as regime.Constituent snapshots with Source "coingecko", so
// from the first run on the point-in-time universe is exact), the assets
// of that universe identified by their CoinGecko id (stable across ticker
// renames; every symbol seen is kept as an alias) and classified with
// dataset.Classify plus CoinGecko categories and platforms, and each
// asset's daily history (price, market cap, volume) from
// /coins/{id}/market_chart/range as bars of source "coingecko".
//
// A CoinGecko daily point stamped 00:00 UTC is the close of the previous
// day; bars are dated by the day they close, like the dataset importer
// does, and today's still-moving point is never stored.
package coingecko

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/dataset"
	"github.com/regime-engine/regime/ingest/live"
)

// Base URLs of the public/demo and the pro API.
const (
	DefaultBaseURL = "https://api.coingecko.com/api/v3"
	ProBaseURL     = "https://pro-api.coingecko.com/api/v3"
)

// UniverseSeries is the watermark series of the daily snapshot.
const UniverseSeries = "universe"

// DefaultCategories map CoinGecko category ids to the asset kind they
// imply for coins dataset.Classify calls plain coins.
var DefaultCategories = map[string]regime.AssetKind{
	"stablecoins":           regime.KindStablecoin,
	"wrapped-tokens":        regime.KindWrapped,
	"liquid-staking-tokens": regime.KindStaked,
	"tokenized-gold":        regime.KindPegged,
}

// Key is a CoinGecko API key.
type Key struct {
	Value string
	Pro   bool // a pro key (pro-api host, x-cg-pro-api-key); else a demo key
}

// Source ingests CoinGecko.
type Source struct {
	Client *live.Client
	// TopN is the universe size snapshotted daily (default 100).
	TopN int
	// History fetches daily history for every universe member.
	History bool
	// HistoryDays is how far back history is backfilled when
	// Options.From is not set (default 365, the demo plan's limit).
	HistoryDays int
	// ChunkDays is the length of one market_chart/range request
	// (default 365; at least 91 so CoinGecko answers with daily points).
	ChunkDays int
	// PageSize is the rows per /coins/markets page (default and maximum
	// 250).
	PageSize   int
	Categories map[string]regime.AssetKind
}

var (
	_ live.Source      = (*Source)(nil)
	_ live.StatsSource = (*Source)(nil)
)

// New returns a Source for the top 100 with history. key selects the
// header and, for a pro key, the pro host; the default budget is 10
// requests a minute without a key, 30 with a demo key and 250 with a pro
// key.
func New(cfg live.Config, key Key) *Source {
	if cfg.Header == nil {
		cfg.Header = http.Header{}
	}
	base, budget := DefaultBaseURL, 10
	switch {
	case key.Value != "" && key.Pro:
		cfg.Header.Set("x-cg-pro-api-key", key.Value)
		base, budget = ProBaseURL, 250
	case key.Value != "":
		cfg.Header.Set("x-cg-demo-api-key", key.Value)
		budget = 30
	}
	cfg = cfg.ForProvider("coingecko", base, live.Budget{Cost: budget, Per: time.Minute})
	return &Source{Client: live.NewClient(cfg), TopN: 100, History: true, HistoryDays: 365, ChunkDays: 365, Categories: DefaultCategories}
}

// ClientStats returns the counters of the source's HTTP client.
func (s *Source) ClientStats() live.ClientStats { return s.Client.Stats() }

// Name returns "coingecko".
func (s *Source) Name() string { return "coingecko" }

func (s *Source) get(ctx context.Context, path string, q url.Values, parse func([]byte) error) error {
	return s.Client.Get(ctx, path, q, 1, func(b []byte, _ http.Header) error { return parse(b) })
}

// Sync snapshots today's universe once a day, then brings every member's
// history up to yesterday.
func (s *Source) Sync(ctx context.Context, sess *live.Session) error {
	today := sess.Today()
	wm, err := sess.Store.Watermark(ctx, regime.SourceCoinGecko, UniverseSeries)
	if err != nil && !errors.Is(err, regime.ErrNotFound) {
		return err
	}
	if err != nil || wm.Through < today {
		if err := s.snapshot(ctx, sess, today); err != nil {
			return err
		}
	}
	if !s.History {
		return nil
	}
	cs, err := sess.Store.Constituents(ctx, regime.SourceCoinGecko, today)
	if err != nil {
		return err
	}
	for i, c := range cs {
		sess.Step(int64(i), int64(len(cs)))
		cgID := c.AssetID
		if a, err := sess.Store.Asset(ctx, c.AssetID); err == nil {
			cgID = coingeckoID(a)
		}
		if err := s.history(ctx, sess, c.AssetID, cgID, today); err != nil {
			if regime.ErrorCode(err) == regime.EINVALID && ctx.Err() == nil {
				sess.Repair("coin history refused (4xx): skipped", 1)
				continue
			}
			return err
		}
	}
	sess.Step(int64(len(cs)), int64(len(cs)))
	return nil
}

// coingeckoID returns the CoinGecko id of an asset: its most recent
// coingecko alias, else its id.
func coingeckoID(a regime.Asset) string {
	id, last := a.ID, regime.Date(-1)
	for _, al := range a.Aliases {
		if al.Source == regime.SourceCoinGecko && al.SourceID != "" && al.To > last {
			id, last = al.SourceID, al.To
		}
	}
	return id
}

// snapshot stores today's top N as constituents with their assets.
func (s *Source) snapshot(ctx context.Context, sess *live.Session, today regime.Date) error {
	n := max(s.TopN, 1)
	per := min(n, 250)
	if s.PageSize > 0 {
		per = min(per, s.PageSize)
	}
	// Pages are fetched until n distinct coins with a market cap are
	// seen: the ranking moves while paging, so a coin may appear twice.
	seen := map[string]bool{}
	var ms []Market
	for page := 1; len(ms) < n && page <= (n+per-1)/per+3; page++ {
		q := url.Values{"vs_currency": {"usd"}, "order": {"market_cap_desc"}, "per_page": {strconv.Itoa(per)}, "page": {strconv.Itoa(page)}}
		var got []Market
		if err := s.get(ctx, "/coins/markets", q, func(b []byte) error {
			var err error
			got, err = ParseMarkets(b)
			return err
		}); err != nil {
			return err
		}
		for _, m := range got {
			switch {
			case seen[m.ID]:
				sess.Repair("duplicate coin in markets pages", 1)
			case !(m.MarketCap > 0) || !(m.Price > 0):
				sess.Repair("no market cap or price", 1)
			default:
				seen[m.ID] = true
				ms = append(ms, m)
			}
		}
		if len(got) < per {
			break
		}
	}
	if !sort.SliceIsSorted(ms, func(i, j int) bool { return ms[i].MarketCap > ms[j].MarketCap }) {
		sess.Repair("markets not sorted by market cap (re-ranked)", 1)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].MarketCap > ms[j].MarketCap })
	}
	if len(ms) > n {
		ms = ms[:n]
	}
	if len(ms) == 0 {
		return regime.Errorf(regime.EUNAVAILABLE, "coingecko: /coins/markets returned no usable coin")
	}
	cats, err := s.categories(ctx, sess)
	if err != nil {
		return err
	}
	platforms, err := s.platforms(ctx, seen)
	if err != nil {
		return err
	}
	assets := make([]regime.Asset, 0, len(ms))
	cons := make([]regime.Constituent, 0, len(ms))
	for i, m := range ms {
		id, found, err := sess.AssetID(ctx, regime.SourceCoinGecko, m.ID)
		if err != nil {
			return err
		}
		sym := strings.ToUpper(m.Symbol)
		kind := Kind(m.ID, m.Name, sym, cats[m.ID], platforms[m.ID])
		if found {
			if a, err := sess.Store.Asset(ctx, id); err == nil {
				kind = a.Kind // a stored (possibly curated) kind wins
			}
		}
		assets = append(assets, regime.Asset{ID: id, Symbol: sym, Name: m.Name, Kind: kind,
			Aliases: []regime.Alias{{Source: regime.SourceCoinGecko, SourceID: m.ID, Symbol: sym, Name: m.Name, From: today, To: today}}})
		cons = append(cons, regime.Constituent{Date: today, Source: regime.SourceCoinGecko, Rank: i + 1, AssetID: id,
			MarketCapUSD: m.MarketCap, PriceUSD: m.Price, Supply: m.CirculatingSupply, VolumeUSD: m.Volume})
	}
	return sess.Commit(ctx, func(w regime.Writer) (live.Rows, error) {
		if err := w.UpsertAssets(ctx, assets); err != nil {
			return nil, err
		}
		return live.Rows{"assets": len(assets), UniverseSeries: len(cons)}, w.UpsertConstituents(ctx, cons)
	}, regime.Watermark{Source: regime.SourceCoinGecko, Series: UniverseSeries, Through: today})
}

// Kind classifies a coin: dataset.Classify first (the curated table),
// then the CoinGecko category, then a wrapped/bridged name on a token
// that lives on another chain's platform.
func Kind(id, name, symbol string, category regime.AssetKind, platforms map[string]string) regime.AssetKind {
	if k := dataset.Classify(name, symbol); k != regime.KindCoin {
		return k
	}
	if category != "" {
		return category
	}
	low := strings.ToLower(name)
	hasPlatform := false
	for chain, addr := range platforms {
		if chain != "" && addr != "" {
			hasPlatform = true
		}
	}
	if hasPlatform && (strings.HasPrefix(low, "wrapped ") || strings.Contains(low, "bridged") || strings.HasPrefix(id, "wrapped-")) {
		return regime.KindWrapped
	}
	return regime.KindCoin
}

// categories returns coin id -> kind from the first page of each
// configured category. A category the API refuses (renamed, plan) is
// skipped and counted: classification then rests on the curated table.
func (s *Source) categories(ctx context.Context, sess *live.Session) (map[string]regime.AssetKind, error) {
	out := map[string]regime.AssetKind{}
	names := make([]string, 0, len(s.Categories))
	for c := range s.Categories {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		q := url.Values{"vs_currency": {"usd"}, "category": {c}, "order": {"market_cap_desc"}, "per_page": {"250"}, "page": {"1"}}
		var ms []Market
		if err := s.get(ctx, "/coins/markets", q, func(b []byte) error {
			var err error
			ms, err = ParseMarkets(b)
			return err
		}); err != nil {
			if regime.ErrorCode(err) == regime.EINVALID && ctx.Err() == nil {
				sess.Repair("category refused by the API: skipped", 1)
				continue
			}
			return nil, err
		}
		for _, m := range ms {
			if _, ok := out[m.ID]; !ok {
				out[m.ID] = s.Categories[c]
			}
		}
	}
	return out, nil
}

// platforms returns the platforms of the given ids from the coin list.
func (s *Source) platforms(ctx context.Context, ids map[string]bool) (map[string]map[string]string, error) {
	var cs []Coin
	if err := s.get(ctx, "/coins/list", url.Values{"include_platform": {"true"}}, func(b []byte) error {
		var err error
		cs, err = ParseCoinList(b)
		return err
	}); err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, c := range cs {
		if ids[c.ID] {
			out[c.ID] = c.Platforms
		}
	}
	return out, nil
}

// DayOf returns the day whose close a point stamped ms represents: a
// point at 00:00 UTC closes the previous day, a point during a day is
// that day's latest value.
func DayOf(ms int64) regime.Date {
	return regime.DateOf(time.UnixMilli(ms - 1).UTC())
}

// history brings the bars of one asset up to yesterday.
func (s *Source) history(ctx context.Context, sess *live.Session, assetID, cgID string, today regime.Date) error {
	series := "bars:" + assetID
	_, start, err := sess.Start(ctx, regime.SourceCoinGecko, series, today.AddDays(-max(s.HistoryDays, 1)))
	if err != nil {
		return err
	}
	chunk := max(s.ChunkDays, 91)
	for start < today {
		end := min(start.AddDays(chunk), today) // exclusive
		from := min(start, end.AddDays(-91))    // >90 days: daily granularity
		q := url.Values{"vs_currency": {"usd"}, "from": {strconv.FormatInt(from.Time().Unix(), 10)},
			"to": {strconv.FormatInt(end.Time().Unix(), 10)}}
		var ch Chart
		if err := s.get(ctx, "/coins/"+url.PathEscape(cgID)+"/market_chart/range", q, func(b []byte) error {
			var err error
			ch, err = ParseChart(b)
			return err
		}); err != nil {
			return fmt.Errorf("history of %s: %w", cgID, err)
		}
		sess.Repair("misaligned chart timestamp (field missing)", ch.Misaligned)
		sess.Repair("duplicate chart timestamp", ch.Duplicates)
		bars := s.bars(sess, assetID, ch.Points, start, end, today)
		through := end - 1
		if err := sess.Commit(ctx, func(w regime.Writer) (live.Rows, error) {
			return live.Rows{series: len(bars)}, w.UpsertBars(ctx, bars)
		}, regime.Watermark{Source: regime.SourceCoinGecko, Series: series, Through: through}); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// bars turns chart points into one bar per closed day in [start, end):
// the day's latest point wins (counted when a day had several), days
// without a positive price are dropped and counted, a zero market cap or
// volume is missing (NaN).
func (s *Source) bars(sess *live.Session, assetID string, pts []Point, start, end, today regime.Date) []regime.Bar {
	var out []regime.Bar
	for i, p := range pts {
		d := DayOf(p.Time)
		if i+1 < len(pts) && DayOf(pts[i+1].Time) == d {
			sess.Repair("intraday point superseded by the day's later one", 1)
			continue
		}
		switch {
		case d < start:
			continue // the overlap requested for daily granularity
		case d >= today:
			sess.Repair("day not closed", 1)
			continue
		case d >= end:
			continue
		case !(p.Price > 0):
			sess.Repair("no price", 1)
			continue
		}
		mc, vol := p.MarketCap, p.Volume
		if mc == 0 {
			mc = math.NaN()
			sess.Repair("zero market cap stored as missing", 1)
		}
		if vol < 0 {
			vol = math.NaN()
			sess.Repair("negative volume stored as missing", 1)
		}
		out = append(out, regime.Bar{AssetID: assetID, Date: d, Source: regime.SourceCoinGecko, Open: math.NaN(), High: math.NaN(),
			Low: math.NaN(), Close: p.Price, VolumeUSD: vol, MarketCapUSD: mc, Supply: math.NaN(), KnownAt: d})
	}
	if n := live.Gaps(out, func(b regime.Bar) regime.Date { return b.Date }); n > 0 {
		sess.Repair("gap days (missing upstream)", n)
	}
	return out
}

func sortPoints(p []Point) { sort.Slice(p, func(i, j int) bool { return p[i].Time < p[j].Time }) }
