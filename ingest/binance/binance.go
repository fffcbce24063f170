// Package binance ingests Binance spot market data: daily klines as bars
// (source "binance"), hourly klines as candles, and a daily order-book
// depth snapshot (USD value of bids and asks within ±2% of the mid price)
// as the observation series "liquidity:<asset>:bid_depth_2pct_usd" and
// "liquidity:<asset>:ask_depth_2pct_usd", stored going forward (Binance
// has no history of its book).
//
// Klines are paged with startTime (limit 1000). The still-open last
// candle is never stored. Request weights follow the Binance docs (klines
// 2, depth by limit) and the client pauses until the next minute when the
// X-MBX-USED-WEIGHT-1M header nears the limit; HTTP 418 (IP ban) opens
// the client's circuit breaker.
package binance

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/dataset"
	"github.com/regime-engine/regime/ingest/live"
)

// DefaultBaseURL is the public spot API.
const DefaultBaseURL = "https://api.binance.com"

// DefaultStart is the first day of Binance spot trading.
var DefaultStart = regime.MustDate("2017-07-14")

// Pair maps a Binance symbol to a Regime asset. Quote volume of a USDT
// pair is stored as USD volume.
type Pair struct {
	// Asset is the store's asset id. When empty or not stored, the asset
	// is found by its CoinGecko id (an alias of source coingecko, as
	// `regime import` and the coingecko source record them), else created
	// under that id.
	Asset       string
	CoinGeckoID string // CoinGecko id ("binancecoin"); defaults to Asset
	Symbol      string // Binance symbol ("BNBUSDT")
	Base        string // base ticker ("BNB"), used when the asset must be created
	Name        string // asset name used when the asset must be created
}

// DefaultPairs are the pairs ingested when none are configured.
var DefaultPairs = []Pair{
	{CoinGeckoID: "bitcoin", Symbol: "BTCUSDT", Base: "BTC", Name: "Bitcoin"},
	{CoinGeckoID: "ethereum", Symbol: "ETHUSDT", Base: "ETH", Name: "Ethereum"},
	{CoinGeckoID: "binancecoin", Symbol: "BNBUSDT", Base: "BNB", Name: "BNB"},
	{CoinGeckoID: "solana", Symbol: "SOLUSDT", Base: "SOL", Name: "Solana"},
	{CoinGeckoID: "ripple", Symbol: "XRPUSDT", Base: "XRP", Name: "XRP"},
}

// Source ingests Binance. Daily, Hourly and Depth select what is fetched.
type Source struct {
	Client *live.Client
	Pairs  []Pair
	Daily  bool
	Hourly bool
	Depth  bool
	// HourlyDays is how far back hourly candles are backfilled when
	// Options.From is not set (default 90).
	HourlyDays int
	// DepthLimit is the number of book levels per side fetched (default
	// 1000, weight 50).
	DepthLimit int
}

var (
	_ live.Source      = (*Source)(nil)
	_ live.StatsSource = (*Source)(nil)
)

// New returns a Source of daily klines and depth for DefaultPairs; cfg's
// zero fields default to the public API, a budget of 1200 weight a minute
// and weight-header awareness (limit 6000).
func New(cfg live.Config) *Source {
	cfg = cfg.ForProvider("binance", DefaultBaseURL, live.Budget{Cost: 1200, Per: time.Minute})
	if cfg.WeightHeader == "" {
		cfg.WeightHeader = "X-Mbx-Used-Weight-1m"
		cfg.WeightLimit = 6000
	}
	return &Source{Client: live.NewClient(cfg), Pairs: DefaultPairs, Daily: true, Depth: true, HourlyDays: 90, DepthLimit: 1000}
}

// ClientStats returns the counters of the source's HTTP client.
func (s *Source) ClientStats() live.ClientStats { return s.Client.Stats() }

// Name returns "binance".
func (s *Source) Name() string { return "binance" }

// Kline is one decoded kline.
type Kline struct {
	OpenTime, CloseTime int64 // milliseconds
	Open, High, Low     float64
	Close               float64
	Volume              float64 // base asset
	QuoteVolume         float64
	Trades              int64
}

// ParseKlines decodes a /api/v3/klines answer: an array of 12-element
// arrays [open time, open, high, low, close, volume, close time, quote
// volume, trades, taker buy base, taker buy quote, ignore] with prices as
// strings. It rejects rows that are short, non-numeric or non-finite.
func ParseKlines(body []byte) ([]Kline, error) {
	var rows [][]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, fmt.Errorf("klines: %w", err)
	}
	out := make([]Kline, 0, len(rows))
	for i, r := range rows {
		if len(r) < 9 {
			return nil, fmt.Errorf("klines: row %d has %d fields, want 12", i+1, len(r))
		}
		var k Kline
		var err error
		num := func(j int) float64 {
			if err != nil {
				return 0
			}
			var s string
			if err = json.Unmarshal(r[j], &s); err != nil {
				return 0
			}
			var v float64
			v, err = strconv.ParseFloat(s, 64)
			if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				err = fmt.Errorf("non-finite %q", s)
			}
			return v
		}
		integer := func(j int) int64 {
			if err != nil {
				return 0
			}
			var v int64
			err = json.Unmarshal(r[j], &v)
			return v
		}
		k.OpenTime = integer(0)
		k.Open, k.High, k.Low, k.Close, k.Volume = num(1), num(2), num(3), num(4), num(5)
		k.CloseTime = integer(6)
		k.QuoteVolume = num(7)
		k.Trades = integer(8)
		if err != nil {
			return nil, fmt.Errorf("klines: row %d: %w", i+1, err)
		}
		if k.OpenTime < 0 || k.CloseTime < k.OpenTime || k.CloseTime > 1<<50 {
			return nil, fmt.Errorf("klines: row %d: bad times %d..%d", i+1, k.OpenTime, k.CloseTime)
		}
		out = append(out, k)
	}
	return out, nil
}

// Book is a decoded order-book snapshot.
type Book struct {
	LastUpdateID int64
	Bids, Asks   [][2]float64 // price, quantity; bids descending, asks ascending
}

// ParseDepth decodes a /api/v3/depth answer.
func ParseDepth(body []byte) (Book, error) {
	var p struct {
		LastUpdateID *int64      `json:"lastUpdateId"`
		Bids         [][2]string `json:"bids"`
		Asks         [][2]string `json:"asks"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Book{}, fmt.Errorf("depth: %w", err)
	}
	if p.LastUpdateID == nil {
		return Book{}, fmt.Errorf("depth: no lastUpdateId")
	}
	b := Book{LastUpdateID: *p.LastUpdateID}
	conv := func(side string, in [][2]string) ([][2]float64, error) {
		out := make([][2]float64, len(in))
		for i, l := range in {
			for j := range 2 {
				v, err := strconv.ParseFloat(l[j], 64)
				if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					return nil, fmt.Errorf("depth: %s level %d: bad number %q", side, i+1, l[j])
				}
				out[i][j] = v
			}
		}
		return out, nil
	}
	var err error
	if b.Bids, err = conv("bid", p.Bids); err != nil {
		return Book{}, err
	}
	if b.Asks, err = conv("ask", p.Asks); err != nil {
		return Book{}, err
	}
	return b, nil
}

// DepthWithin returns the quote value (price x quantity) of the bids
// priced at or above mid x (1-band) and of the asks at or below
// mid x (1+band), and whether the snapshot reached the band's edge on both
// sides (a shallower snapshot understates the depth). mid is the mean of
// the best bid and ask; ok is false for an empty or crossed book.
func DepthWithin(b Book, band float64) (bid, ask float64, complete, ok bool) {
	if len(b.Bids) == 0 || len(b.Asks) == 0 || b.Bids[0][0] <= 0 || b.Asks[0][0] < b.Bids[0][0] {
		return 0, 0, false, false
	}
	mid := (b.Bids[0][0] + b.Asks[0][0]) / 2
	lo, hi := mid*(1-band), mid*(1+band)
	reachedBid, reachedAsk := false, false
	for _, l := range b.Bids {
		if l[0] < lo {
			reachedBid = true
			break
		}
		bid += l[0] * l[1]
	}
	for _, l := range b.Asks {
		if l[0] > hi {
			reachedAsk = true
			break
		}
		ask += l[0] * l[1]
	}
	return bid, ask, reachedBid && reachedAsk, true
}

// Sync ingests every selected kind for every pair.
func (s *Source) Sync(ctx context.Context, sess *live.Session) error {
	n := int64(len(s.Pairs))
	for i, p := range s.Pairs {
		sess.Step(int64(i), n)
		asset, err := s.resolve(ctx, sess, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Symbol, err)
		}
		p.Asset = asset
		if s.Daily {
			if err := s.daily(ctx, sess, p); err != nil {
				return fmt.Errorf("%s daily: %w", p.Symbol, err)
			}
		}
		if s.Hourly {
			if err := s.hourly(ctx, sess, p); err != nil {
				return fmt.Errorf("%s hourly: %w", p.Symbol, err)
			}
		}
		if s.Depth {
			if err := s.depth(ctx, sess, p); err != nil {
				return fmt.Errorf("%s depth: %w", p.Symbol, err)
			}
		}
	}
	sess.Step(n, n)
	return nil
}

// resolve returns the store's asset id of a pair, creating the asset
// (classified like the dataset importer does) when the store does not
// know it.
func (s *Source) resolve(ctx context.Context, sess *live.Session, p Pair) (string, error) {
	if p.Asset != "" {
		if _, err := sess.Store.Asset(ctx, p.Asset); err == nil {
			return p.Asset, nil
		}
	}
	key := p.CoinGeckoID
	if key == "" {
		key = p.Asset
	}
	if key == "" {
		return "", regime.Errorf(regime.EINVALID, "binance: pair %s names no asset", p.Symbol)
	}
	id, found, err := sess.AssetID(ctx, regime.SourceCoinGecko, key)
	if err != nil || found {
		return id, err
	}
	name := p.Name
	if name == "" {
		name = p.Base
	}
	today := sess.Today()
	a := regime.Asset{ID: id, Symbol: p.Base, Name: name, Kind: dataset.Classify(name, p.Base),
		Aliases: []regime.Alias{{Source: regime.SourceBinance, SourceID: p.Symbol, Symbol: p.Base, Name: name, From: today, To: today}}}
	return id, sess.Store.Update(ctx, func(w regime.Writer) error { return w.UpsertAssets(ctx, []regime.Asset{a}) })
}

const klinesWeight = 2

// fetchKlines gets one page of closed klines of interval starting at
// startMs. A page that starts before startMs (a repeated page) or, for
// strict continuity, skips an interval, is rejected and re-requested;
// after two rejections a gap is accepted and counted.
func (s *Source) fetchKlines(ctx context.Context, sess *live.Session, symbol, interval string, step, startMs int64) ([]Kline, error) {
	q := url.Values{"symbol": {symbol}, "interval": {interval}, "startTime": {strconv.FormatInt(startMs, 10)}, "limit": {"1000"}}
	var ks []Kline
	calls := 0
	err := s.Client.Get(ctx, "/api/v3/klines", q, klinesWeight, func(b []byte, _ http.Header) error {
		calls++
		var err error
		if ks, err = ParseKlines(b); err != nil {
			sess.Repair("rejected page: malformed", 1)
			return err
		}
		if len(ks) > 0 && ks[0].OpenTime < startMs {
			sess.Repair("rejected page: starts before startTime (repeated page)", 1)
			return fmt.Errorf("page starts at %d, before startTime %d", ks[0].OpenTime, startMs)
		}
		for i := 1; i < len(ks); i++ {
			if ks[i].OpenTime-ks[i-1].OpenTime != step && calls <= 2 {
				sess.Repair("rejected page: gap or disorder", 1)
				return fmt.Errorf("klines %d and %d are not one interval apart", ks[i-1].OpenTime, ks[i].OpenTime)
			}
		}
		return nil
	})
	return ks, err
}

// closed keeps well-formed closed klines aligned to step, counting the
// rest.
func closed(sess *live.Session, ks []Kline, step int64, nowMs int64) []Kline {
	out := ks[:0]
	for _, k := range ks {
		switch {
		case k.CloseTime >= nowMs:
			sess.Repair("unclosed candle", 1)
		case k.OpenTime%step != 0 || k.CloseTime != k.OpenTime+step-1:
			sess.Repair("misaligned candle", 1)
		case k.Low <= 0 || k.High < k.Low || k.Open < k.Low || k.Open > k.High || k.Close < k.Low || k.Close > k.High || k.Volume < 0 || k.QuoteVolume < 0:
			sess.Repair("inconsistent OHLCV", 1)
		default:
			out = append(out, k)
		}
	}
	return out
}

const day = int64(86400000)

func (s *Source) daily(ctx context.Context, sess *live.Session, p Pair) error {
	series := "bars:" + p.Asset
	_, start, err := sess.Start(ctx, regime.SourceBinance, series, DefaultStart)
	if err != nil {
		return err
	}
	today := sess.Today()
	for start < today {
		ks, err := s.fetchKlines(ctx, sess, p.Symbol, "1d", day, int64(start)*day)
		if err != nil {
			return err
		}
		ks = closed(sess, ks, day, sess.Clock.Now().UnixMilli())
		date := func(k Kline) regime.Date { return regime.Date(k.OpenTime / day) }
		ks = live.CleanDays(sess, ks, date, func(a, b Kline) bool { return a == b }, start, today)
		if len(ks) == 0 {
			return nil
		}
		sess.Repair("gap days (missing upstream)", live.Gaps(ks, date))
		bars := make([]regime.Bar, len(ks))
		for i, k := range ks {
			d := date(k)
			bars[i] = regime.Bar{AssetID: p.Asset, Date: d, Source: regime.SourceBinance, Open: k.Open, High: k.High, Low: k.Low,
				Close: k.Close, VolumeUSD: k.QuoteVolume, MarketCapUSD: regime.NaN, Supply: regime.NaN, KnownAt: d}
		}
		last := bars[len(bars)-1].Date
		if err := sess.Commit(ctx, func(w regime.Writer) (live.Rows, error) {
			return live.Rows{series: len(bars)}, w.UpsertBars(ctx, bars)
		}, regime.Watermark{Source: regime.SourceBinance, Series: series, Through: last}); err != nil {
			return err
		}
		start = last + 1
	}
	return nil
}

const hour = int64(3600000)

func (s *Source) hourly(ctx context.Context, sess *live.Session, p Pair) error {
	series := "candles:" + p.Asset
	wm, err := sess.Store.Watermark(ctx, regime.SourceBinance, series)
	var startMs int64
	switch {
	case err == nil:
		startMs = wm.Time*1000 + hour
	case sess.From != regime.NoDate:
		startMs = int64(sess.From) * day
	default:
		startMs = int64(sess.Today().AddDays(-max(s.HourlyDays, 1))) * day
	}
	for {
		nowMs := sess.Clock.Now().UnixMilli()
		if startMs+hour > nowMs {
			return nil
		}
		ks, err := s.fetchKlines(ctx, sess, p.Symbol, "1h", hour, startMs)
		if err != nil {
			return err
		}
		ks = closed(sess, ks, hour, nowMs)
		ks = live.CleanDays(sess, ks, func(k Kline) regime.Date { return regime.Date(k.OpenTime / hour) },
			func(a, b Kline) bool { return a == b }, regime.Date(startMs/hour), 0)
		if len(ks) == 0 {
			return nil
		}
		cs := make([]regime.Candle, len(ks))
		for i, k := range ks {
			cs[i] = regime.Candle{AssetID: p.Asset, Source: regime.SourceBinance, Time: k.OpenTime / 1000, Open: k.Open, High: k.High,
				Low: k.Low, Close: k.Close, VolumeBase: k.Volume, VolumeQuote: k.QuoteVolume, Trades: float64(k.Trades)}
		}
		last := cs[len(cs)-1].Time
		if err := sess.Commit(ctx, func(w regime.Writer) (live.Rows, error) {
			return live.Rows{series: len(cs)}, w.UpsertCandles(ctx, cs)
		}, regime.Watermark{Source: regime.SourceBinance, Series: series, Through: regime.Date(last / 86400), Time: last}); err != nil {
			return err
		}
		startMs = last*1000 + hour
	}
}

// DepthSeries returns the two depth series of an asset.
func DepthSeries(asset string) (bid, ask string) {
	return "liquidity:" + asset + ":bid_depth_2pct_usd", "liquidity:" + asset + ":ask_depth_2pct_usd"
}

func depthWeight(limit int) int {
	switch {
	case limit <= 100:
		return 5
	case limit <= 500:
		return 25
	case limit <= 1000:
		return 50
	default:
		return 250
	}
}

func (s *Source) depth(ctx context.Context, sess *live.Session, p Pair) error {
	series := "depth:" + p.Asset
	wm, err := sess.Store.Watermark(ctx, regime.SourceBinance, series)
	today := sess.Today()
	if err == nil && wm.Through >= today {
		return nil // today's snapshot is stored
	}
	limit := s.DepthLimit
	if limit <= 0 {
		limit = 1000
	}
	q := url.Values{"symbol": {p.Symbol}, "limit": {strconv.Itoa(limit)}}
	var book Book
	if err := s.Client.Get(ctx, "/api/v3/depth", q, depthWeight(limit), func(b []byte, _ http.Header) error {
		var err error
		book, err = ParseDepth(b)
		return err
	}); err != nil {
		return err
	}
	bid, ask, complete, ok := DepthWithin(book, 0.02)
	if !ok {
		sess.Repair("empty or crossed book", 1)
		return nil
	}
	if !complete {
		sess.Repair("book snapshot shallower than ±2% (depth understated)", 1)
	}
	bs, as := DepthSeries(p.Asset)
	obs := []regime.Observation{
		{Series: bs, Date: today, Value: bid, Source: regime.SourceBinance, KnownAt: today},
		{Series: as, Date: today, Value: ask, Source: regime.SourceBinance, KnownAt: today},
	}
	return sess.Commit(ctx, func(w regime.Writer) (live.Rows, error) {
		return live.Rows{bs: 1, as: 1}, w.UpsertObservations(ctx, obs)
	}, regime.Watermark{Source: regime.SourceBinance, Series: series, Through: today})
}
