package dataset

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// maxRank is the size of a CMC snapshot: a row ranked outside 1..maxRank
// does not belong to the top-200 snapshot it sits in.
const maxRank = 200

// readCMC reads the CMC monthly top-200 snapshots: assets (identity by
// name+symbol, see registry), constituents and one SourceCMC bar per row.
//
// The rank-201 EDLC row of 2024-08-01 is rejected ("rank_out_of_range"):
// a rank outside the snapshot's 1..200 with a market cap ($6.2e9) that
// would have ranked it about 20th is self-contradictory, and keeping it
// would put a phantom coin into a top-100 universe. Out-of-order ranks are
// kept as CMC ranked them and counted in Report.RankInversions.
func (im *importer) readCMC(c *csvFile, b *batch) error {
	if err := need(c, "date", "rank", "name", "symbol", "market_cap_usd", "price_usd", "circulating_supply", "volume_24h_usd"); err != nil {
		return err
	}
	rep := b.rep
	byDate := map[regime.Date][]cmcRow{}
	err := im.datedRows(c, rep, func(rec []string, d regime.Date) error {
		rank, err := strconv.Atoi(c.get(rec, "rank"))
		if err != nil {
			rep.note("bad_rank", true, c.pos(), fmt.Sprintf("rank %q", c.get(rec, "rank")))
			return nil
		}
		name, sym := strings.TrimSpace(c.get(rec, "name")), strings.TrimSpace(c.get(rec, "symbol"))
		if name == "" || sym == "" {
			rep.note("missing_name_or_symbol", true, c.pos(), "empty name or symbol")
			return nil
		}
		v, bad := nums(c.get(rec, "market_cap_usd"), c.get(rec, "price_usd"), c.get(rec, "circulating_supply"), c.get(rec, "volume_24h_usd"))
		if bad >= 0 {
			rep.note("bad_number", true, c.pos(), fmt.Sprintf("%s %s: not a number", name, sym))
			return nil
		}
		if rank < 1 || rank > maxRank {
			rep.note("rank_out_of_range", true, c.pos(), fmt.Sprintf("%s %s rank %d outside 1..%d (market cap %.3g)", name, sym, rank, maxRank, v[0]))
			return nil
		}
		if !(v[1] > 0) {
			rep.note("nonpositive_price", true, c.pos(), fmt.Sprintf("%s %s price %v", name, sym, v[1]))
			return nil
		}
		for i := range v {
			if v[i] < 0 {
				rep.note("negative_value", true, c.pos(), fmt.Sprintf("%s %s negative cap/supply/volume", name, sym))
				return nil
			}
		}
		if v[0] == 0 {
			v[0] = math.NaN()
			rep.note("zero_market_cap", false, c.pos(), name+" "+sym+": 0 treated as missing")
		}
		byDate[d] = append(byDate[d], cmcRow{line: c.line, name: name, sym: sym, rank: rank, cap: v[0], price: v[1], supply: v[2], volume: v[3]})
		return nil
	})
	if err != nil {
		return err
	}
	dates := make([]regime.Date, 0, len(byDate))
	for d := range byDate {
		dates = append(dates, d)
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i] < dates[j] })
	for _, d := range dates {
		rows := byDate[d]
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].rank < rows[j].rank })
		for i := 1; i < len(rows); i++ {
			if rows[i].cap > rows[i-1].cap {
				im.rep.RankInversions++
			}
		}
		// identities use every snapshot, whatever the range, so ids do
		// not depend on Options.Range
		ids := im.reg.resolveSnapshot(d, rows)
		for i, r := range rows {
			pos := fmt.Sprintf("%s:%d", c.rel, r.line)
			if ids[i] == "" {
				rep.note("duplicate_asset_in_snapshot", true, pos, fmt.Sprintf("%s %s is already in the %s snapshot", r.name, r.sym, d))
				continue
			}
			if !im.inRange(rep, d) {
				continue
			}
			b.cons = append(b.cons, regime.Constituent{Date: d, Source: regime.SourceCMC, Rank: r.rank, AssetID: ids[i],
				MarketCapUSD: r.cap, PriceUSD: r.price, Supply: r.supply, VolumeUSD: r.volume})
			b.bars = append(b.bars, regime.Bar{AssetID: ids[i], Date: d, Source: regime.SourceCMC,
				Open: math.NaN(), High: math.NaN(), Low: math.NaN(), Close: r.price,
				VolumeUSD: r.volume, MarketCapUSD: r.cap, Supply: r.supply, KnownAt: d})
		}
	}
	return nil
}

// cmAsset describes a Coin Metrics ticker: the asset it belongs to (its
// symbol and a name used only if no CMC asset matches) and, for a
// single-chain slice, the chain suffix of its on-chain series.
type cmAsset struct {
	Symbol, Name string
	Chain        string // "" for the native chain
}

// cmAssets names the 77 tickers of the Coin Metrics panel. Slices of one
// asset share its symbol.
var cmAssets = map[string]cmAsset{
	"ada": {"ADA", "Cardano", ""}, "ant": {"ANT", "Aragon", ""}, "bat": {"BAT", "Basic Attention Token", ""},
	"bch": {"BCH", "Bitcoin Cash", ""}, "bnb": {"BNB", "Binance Coin", "eth"}, "bnb_mainnet": {"BNB", "Binance Coin", ""},
	"bsv": {"BSV", "Bitcoin SV", ""}, "btc": {"BTC", "Bitcoin", ""}, "btg": {"BTG", "Bitcoin Gold", ""},
	"busd": {"BUSD", "Binance USD", ""}, "cro": {"CRO", "Crypto.com Coin", ""}, "cvc": {"CVC", "Civic", ""},
	"dai": {"DAI", "Dai", ""}, "dash": {"DASH", "Dash", ""}, "dcr": {"DCR", "Decred", ""},
	"dgb": {"DGB", "DigiByte", ""}, "doge": {"DOGE", "Dogecoin", ""}, "drgn": {"DRGN", "Dragonchain", ""},
	"elf": {"ELF", "aelf", ""}, "eng": {"ENG", "Enigma", ""}, "eos": {"EOS", "EOS", ""},
	"eos_eth": {"EOS", "EOS", "eth"}, "etc": {"ETC", "Ethereum Classic", ""}, "eth": {"ETH", "Ethereum", ""},
	"ethos": {"ETHOS", "Ethos", ""}, "ftt": {"FTT", "FTX Token", ""}, "fun": {"FUN", "FunFair", ""},
	"gas": {"GAS", "Gas", ""}, "gno": {"GNO", "Gnosis", ""}, "gnt": {"GNT", "Golem", ""},
	"grin": {"GRIN", "Grin", ""}, "gusd": {"GUSD", "Gemini Dollar", ""}, "ht": {"HT", "Huobi Token", ""},
	"husd": {"HUSD", "HUSD", ""}, "kcs": {"KCS", "KuCoin Shares", ""}, "knc": {"KNC", "Kyber Network", ""},
	"leo_eos": {"LEO", "UNUS SED LEO", "eos"}, "leo_eth": {"LEO", "UNUS SED LEO", "eth"}, "link": {"LINK", "Chainlink", ""},
	"loom": {"LOOM", "Loom Network", ""}, "lsk": {"LSK", "Lisk", ""}, "ltc": {"LTC", "Litecoin", ""},
	"maid": {"MAID", "MaidSafeCoin", ""}, "mana": {"MANA", "Decentraland", ""}, "mco": {"MCO", "MCO", ""},
	"mkr": {"MKR", "Maker", ""}, "neo": {"NEO", "Neo", ""}, "omg": {"OMG", "OmiseGO", ""},
	"pax": {"PAX", "Paxos Standard", ""}, "paxg": {"PAXG", "PAX Gold", ""}, "pay": {"PAY", "TenX", ""},
	"pivx": {"PIVX", "PIVX", ""}, "poly": {"POLY", "Polymath", ""}, "powr": {"POWR", "Power Ledger", ""},
	"ppt": {"PPT", "Populous", ""}, "qash": {"QASH", "QASH", ""}, "rep": {"REP", "Augur", ""},
	"sai": {"SAI", "Single Collateral DAI", ""}, "snt": {"SNT", "Status", ""}, "trx": {"TRX", "TRON", ""},
	"trx_eth": {"TRX", "TRON", "eth"}, "tusd": {"TUSD", "TrueUSD", ""}, "usdc": {"USDC", "USD Coin", ""},
	"usdk": {"USDK", "USDK", ""}, "usdt": {"USDT", "Tether", "omni"}, "usdt_eth": {"USDT", "Tether", "eth"},
	"usdt_trx": {"USDT", "Tether", "trx"}, "vtc": {"VTC", "Vertcoin", ""}, "waves": {"WAVES", "Waves", ""},
	"wtc": {"WTC", "Waltonchain", ""}, "xaut": {"XAUT", "Tether Gold", ""}, "xem": {"XEM", "NEM", ""},
	"xlm": {"XLM", "Stellar", ""}, "xmr": {"XMR", "Monero", ""}, "xrp": {"XRP", "XRP", ""},
	"xtz": {"XTZ", "Tezos", ""}, "xvg": {"XVG", "Verge", ""}, "zec": {"ZEC", "Zcash", ""},
	"zrx": {"ZRX", "0x", ""},
}

// cmGroups lists the assets whose Coin Metrics data is split into
// single-chain slices, in priority order for the price. With sumCaps the
// market caps and supplies of the slices present on a day are added (USDT
// on Omni + Ethereum + Tron; LEO on Ethereum + EOS): Coin Metrics' "usdt"
// is Omni-only ($1.34B of ~$10B on 2020-07-27) and must never stand for
// total USDT. Without sumCaps the first slice with a price wins (the EOS
// and TRX ERC-20 tokens before their mainnets; BNB's ERC-20 token until
// its mainnet swap, whose overlap days would otherwise double count).
var cmGroups = []struct {
	members []string
	sumCaps bool
}{
	{[]string{"usdt", "usdt_eth", "usdt_trx"}, true},
	{[]string{"leo_eth", "leo_eos"}, true},
	{[]string{"eos", "eos_eth"}, false},
	{[]string{"trx", "trx_eth"}, false},
	{[]string{"bnb_mainnet", "bnb"}, false},
}

// cmMetrics maps the panel's on-chain columns to Coin Metrics metric ids.
var cmMetrics = []struct{ col, metric string }{
	{"active_addresses", "AdrActCnt"},
	{"tx_count", "TxCnt"},
	{"adj_transfer_value_usd", "TxTfrValAdjUSD"},
	{"nvt_adj", "NVTAdj"},
	{"vty_30d", "VtyDayRet30d"},
}

type cmRow struct {
	line               int
	d                  regime.Date
	price, cap, supply float64
	metrics            [5]float64
}

// readCMPanel reads the Coin Metrics daily panel: SourceCoinMetrics bars
// for each asset (slices combined per cmGroups) and observations
// "onchain:<asset>:<Metric>" for its on-chain columns, with "@<chain>"
// appended for a single-chain slice ("onchain:tether:AdrActCnt@omni").
func (im *importer) readCMPanel(c *csvFile, b *batch) error {
	if err := need(c, "date", "asset", "price_usd", "market_cap_usd", "supply_native"); err != nil {
		return err
	}
	rep := b.rep
	byTicker := map[string][]cmRow{}
	seen := map[string]map[regime.Date]bool{}
	err := im.datedRows(c, rep, func(rec []string, d regime.Date) error {
		t := strings.ToLower(c.get(rec, "asset"))
		if _, ok := cmAssets[t]; !ok {
			rep.note("unknown_asset", true, c.pos(), fmt.Sprintf("ticker %q is not in the panel's asset list", t))
			return nil
		}
		v, bad := nums(c.get(rec, "price_usd"), c.get(rec, "market_cap_usd"), c.get(rec, "supply_native"))
		if bad >= 0 {
			rep.note("bad_number", true, c.pos(), t+": price, cap or supply is not a number")
			return nil
		}
		var m [5]float64
		for i, x := range cmMetrics {
			val, err := num(c.get(rec, x.col))
			if err != nil {
				rep.note("bad_number", true, c.pos(), t+": "+x.col+" is not a number")
				return nil
			}
			m[i] = val
		}
		if v[0] <= 0 || v[1] < 0 || v[2] < 0 {
			rep.note("nonpositive_price", true, c.pos(), fmt.Sprintf("%s: price %v cap %v", t, v[0], v[1]))
			return nil
		}
		if v[1] == 0 {
			v[1] = math.NaN()
			rep.note("zero_market_cap", false, c.pos(), t+": 0 treated as missing")
		}
		if seen[t] == nil {
			seen[t] = map[regime.Date]bool{}
		}
		if seen[t][d] {
			rep.note("duplicate_row", true, c.pos(), fmt.Sprintf("%s %s repeated", t, d))
			return nil
		}
		seen[t][d] = true
		byTicker[t] = append(byTicker[t], cmRow{line: c.line, d: d, price: v[0], cap: v[1], supply: v[2], metrics: m})
		return nil
	})
	if err != nil {
		return err
	}
	// group tickers: slices with their asset, everything else alone
	grouped := map[string]bool{}
	type group struct {
		members []string
		sum     bool
	}
	var groups []group
	for _, g := range cmGroups {
		groups = append(groups, group{g.members, g.sumCaps})
		for _, m := range g.members {
			grouped[m] = true
		}
	}
	for _, t := range sortedKeys(byTicker) {
		if !grouped[t] {
			groups = append(groups, group{[]string{t}, false})
		}
	}
	for _, g := range groups {
		// combine the members day by day
		type day struct {
			price, cap, supply float64
			n                  int
		}
		days := map[regime.Date]*day{}
		var first, last regime.Date
		total := 0
		for _, t := range g.members {
			for _, r := range byTicker[t] {
				total++
				dd := days[r.d]
				if dd == nil {
					dd = &day{price: math.NaN(), cap: math.NaN(), supply: math.NaN()}
					days[r.d] = dd
				}
				if math.IsNaN(dd.price) && !math.IsNaN(r.price) {
					dd.price = r.price
					if !g.sum {
						dd.cap, dd.supply = r.cap, r.supply
					}
				}
				if g.sum {
					if !math.IsNaN(r.cap) {
						dd.cap = nanAdd(dd.cap, r.cap)
						dd.n++
					}
					if !math.IsNaN(r.supply) {
						dd.supply = nanAdd(dd.supply, r.supply)
					}
				}
				if first == 0 || r.d < first {
					first = r.d
				}
				if r.d > last {
					last = r.d
				}
			}
		}
		if total == 0 {
			continue
		}
		info := cmAssets[g.members[0]]
		closes := map[regime.Date]float64{}
		for d, dd := range days {
			if !math.IsNaN(dd.price) {
				closes[d] = dd.price
			}
		}
		id := im.mapOrCreate(info.Symbol, info.Name, "coinmetrics "+strings.Join(g.members, "+"), closes, first, last)
		for _, t := range g.members {
			rows := byTicker[t]
			if len(rows) == 0 {
				continue
			}
			im.cmID[t] = id
			from, to := rows[0].d, rows[0].d
			for _, r := range rows {
				from, to = min(from, r.d), max(to, r.d)
			}
			im.reg.assets[id].addAlias(regime.SourceCoinMetrics, t, info.Symbol, "", from, to)
		}
		if id == "" {
			continue
		}
		if g.sum && len(g.members) > 1 {
			n := 0
			for _, dd := range days {
				if dd.n > 1 {
					n++
				}
			}
			rep.noteN("chain_slices_summed", false, n, c.rel, fmt.Sprintf("%s market cap and supply = sum of %s", id, strings.Join(g.members, "+")))
		}
		ds := make([]regime.Date, 0, len(days))
		for d := range days {
			ds = append(ds, d)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		for _, d := range ds {
			dd := days[d]
			if math.IsNaN(dd.price) || !im.inRange(rep, d) {
				continue
			}
			b.bars = append(b.bars, regime.Bar{AssetID: id, Date: d, Source: regime.SourceCoinMetrics,
				Open: math.NaN(), High: math.NaN(), Low: math.NaN(), Close: dd.price, VolumeUSD: math.NaN(),
				MarketCapUSD: dd.cap, Supply: dd.supply, KnownAt: d})
		}
		for _, t := range g.members {
			suffix := ""
			if ch := cmAssets[t].Chain; ch != "" {
				suffix = "@" + ch
			}
			for _, r := range byTicker[t] {
				if !im.opt.Range.Contains(r.d) {
					continue
				}
				for i, x := range cmMetrics {
					if math.IsNaN(r.metrics[i]) {
						continue
					}
					b.obs = append(b.obs, regime.Observation{Series: "onchain:" + id + ":" + x.metric + suffix, Date: r.d,
						Value: r.metrics[i], Source: regime.SourceCoinMetrics, KnownAt: r.d})
				}
			}
		}
	}
	return nil
}

func nanAdd(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	return a + b
}

// mapOrCreate maps a named series onto a CMC asset, or creates an asset
// for it when no CMC asset matches (the series has a trusted name).
func (im *importer) mapOrCreate(symbol, name, what string, closes map[regime.Date]float64, first, last regime.Date) string {
	m := im.reg.mapSeries(symbol, closes, first, last)
	// no CMC snapshot overlaps the series: a unique symbol whose CMC name
	// matches the series' curated name is the same asset
	if cands := im.reg.bySymbol[strings.ToUpper(symbol)]; m.id == "" && m.reason == "unverified_symbol" &&
		len(cands) == 1 && im.reg.nameMatches(cands[0], name) {
		m = mapping{id: cands[0], reason: "symbol_and_name"}
	}
	if m.id != "" {
		if m.reason != "price_checked" {
			im.reg.notes = append(im.reg.notes, fmt.Sprintf("%s: mapped to %s by %s (%s..%s)", what, m.id, m.reason, first, last))
		}
		return m.id
	}
	id := im.reg.uniqueID(name, symbol)
	a := im.reg.create(id)
	a.name, a.symbol = name, symbol
	im.reg.notes = append(im.reg.notes, fmt.Sprintf("%s: new asset %s (%s, %s..%s)", what, id, m.reason, first, last))
	return id
}

// seriesRows collects one source series (a coin id, a pair, a ticker)
// before it is mapped to an asset.
type seriesRows struct {
	symbol      string
	first, last regime.Date
	closes      map[regime.Date]float64
	bars        []regime.Bar
	firstPos    string
}

// addRow adds a bar to the series key of m; it reports false for a
// duplicate date.
func addRow(m map[string]*seriesRows, key, symbol string, bar regime.Bar, pos string) bool {
	s := m[key]
	if s == nil {
		s = &seriesRows{symbol: symbol, first: bar.Date, last: bar.Date, closes: map[regime.Date]float64{}, firstPos: pos}
		m[key] = s
	}
	if _, dup := s.closes[bar.Date]; dup {
		return false
	}
	s.closes[bar.Date] = bar.Close
	s.bars = append(s.bars, bar)
	s.first = min(s.first, bar.Date)
	s.last = max(s.last, bar.Date)
	return true
}

// emitSeries maps every collected series to an asset and appends its bars
// to b; series that cannot be mapped safely are rejected with the mapping
// reason (a reused or unknown ticker never borrows another coin's id).
func (im *importer) emitSeries(b *batch, source string, m map[string]*seriesRows) {
	for _, key := range sortedKeys(m) {
		s := m[key]
		mp := im.reg.mapSeries(s.symbol, s.closes, s.first, s.last)
		if mp.id == "" {
			b.rep.noteN(mp.reason, true, len(s.bars), s.firstPos, fmt.Sprintf("%s %s (%s..%s) not mapped to a CMC asset", source, key, s.first, s.last))
			im.reg.notes = append(im.reg.notes, fmt.Sprintf("%s %s: skipped, %s (%s..%s)", source, key, mp.reason, s.first, s.last))
			continue
		}
		if mp.reason != "price_checked" {
			im.reg.notes = append(im.reg.notes, fmt.Sprintf("%s %s: mapped to %s by %s (%s..%s)", source, key, mp.id, mp.reason, s.first, s.last))
		}
		im.reg.assets[mp.id].addAlias(source, key, s.symbol, "", s.first, s.last)
		for _, x := range s.bars {
			if !im.inRange(b.rep, x.Date) {
				continue
			}
			x.AssetID = mp.id
			b.bars = append(b.bars, x)
		}
	}
}

// readCoinGecko reads the CoinGecko exports. CoinGecko's snapped_at is
// 00:00 UTC of `date`, i.e. the close of the previous day, so each bar is
// dated one day earlier. A zero or empty market cap or volume is missing.
func (im *importer) readCoinGecko(c *csvFile, b *batch) error {
	if err := need(c, "date", "coin_id", "symbol", "close_usd", "volume_usd", "market_cap_usd"); err != nil {
		return err
	}
	rep := b.rep
	m := map[string]*seriesRows{}
	err := im.datedRows(c, rep, func(rec []string, d regime.Date) error {
		id, sym := c.get(rec, "coin_id"), strings.ToUpper(c.get(rec, "symbol"))
		if id == "" || sym == "" {
			rep.note("missing_name_or_symbol", true, c.pos(), "empty coin_id or symbol")
			return nil
		}
		v, bad := nums(c.get(rec, "close_usd"), c.get(rec, "volume_usd"), c.get(rec, "market_cap_usd"))
		if bad >= 0 {
			rep.note("bad_number", true, c.pos(), id+": not a number")
			return nil
		}
		if !(v[0] > 0) {
			rep.note("nonpositive_price", true, c.pos(), fmt.Sprintf("%s close %v", id, v[0]))
			return nil
		}
		if v[1] < 0 || v[2] < 0 {
			rep.note("negative_value", true, c.pos(), id+": negative volume or market cap")
			return nil
		}
		if !(v[2] > 0) {
			v[2] = math.NaN()
			rep.note("zero_market_cap", false, c.pos(), id+": 0 or empty treated as missing")
		}
		if v[1] == 0 {
			v[1] = math.NaN()
			rep.note("zero_volume", false, c.pos(), id+": 0 treated as missing")
		}
		day := d - 1 // snapped_at 00:00 UTC = previous day's close
		bar := regime.Bar{Date: day, Source: regime.SourceCoinGecko, Open: math.NaN(), High: math.NaN(), Low: math.NaN(),
			Close: v[0], VolumeUSD: v[1], MarketCapUSD: v[2], Supply: math.NaN(), KnownAt: day}
		if !addRow(m, id, sym, bar, c.pos()) {
			rep.note("duplicate_row", true, c.pos(), fmt.Sprintf("%s %s repeated", id, d))
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.noteN("date_shifted", false, rep.Rows-rep.Rejected, c.rel, "all rows dated one day earlier (snapped_at 00:00 UTC = previous close)")
	im.emitSeries(b, regime.SourceCoinGecko, m)
	return nil
}

// datedRows calls fn for each row of c with its parsed "date" column,
// counting every row in rep.Rows and rejecting one whose date does not
// parse ("bad_date") without calling fn.
func (im *importer) datedRows(c *csvFile, rep *FileReport, fn func(rec []string, d regime.Date) error) error {
	return im.rows(c, func(rec []string) error {
		rep.Rows++
		d, err := parseDay(c.get(rec, "date"))
		if err != nil {
			rep.note("bad_date", true, c.pos(), fmt.Sprintf("date %q", c.get(rec, "date")))
			return nil
		}
		return fn(rec, d)
	})
}

// ohlc validates one OHLC row: close > 0, no negative price or volume and
// high/low consistent with open and close. It returns a reason or "".
func ohlc(o, h, l, cl, vol float64) string {
	switch {
	case math.IsNaN(cl):
		return "missing_price"
	case cl <= 0:
		return "nonpositive_price"
	case o < 0 || h < 0 || l < 0 || vol < 0:
		return "negative_value"
	case !math.IsNaN(h) && (h < cl || h < o || h < l):
		return "inconsistent_ohlc"
	case !math.IsNaN(l) && (l > cl || l > o):
		return "inconsistent_ohlc"
	}
	return ""
}

// readCoinbase reads Coinbase daily candles of USD pairs (volume in USD is
// close x base volume, Coinbase only). Pairs quoted in anything but USD are
// rejected.
func (im *importer) readCoinbase(c *csvFile, b *batch) error {
	if err := need(c, "date", "pair", "base", "open", "high", "low", "close", "volume_usd_approx"); err != nil {
		return err
	}
	rep := b.rep
	m := map[string]*seriesRows{}
	err := im.datedRows(c, rep, func(rec []string, d regime.Date) error {
		pair, base := c.get(rec, "pair"), strings.ToUpper(c.get(rec, "base"))
		if !strings.HasSuffix(pair, "/USD") || base == "" {
			rep.note("non_usd_quote", true, c.pos(), "pair "+pair)
			return nil
		}
		v, bad := nums(c.get(rec, "open"), c.get(rec, "high"), c.get(rec, "low"), c.get(rec, "close"), c.get(rec, "volume_usd_approx"))
		if bad >= 0 {
			rep.note("bad_number", true, c.pos(), pair+": not a number")
			return nil
		}
		if r := ohlc(v[0], v[1], v[2], v[3], v[4]); r != "" {
			rep.note(r, true, c.pos(), fmt.Sprintf("%s o/h/l/c %v/%v/%v/%v", pair, v[0], v[1], v[2], v[3]))
			return nil
		}
		bar := regime.Bar{Date: d, Source: regime.SourceCoinbase, Open: v[0], High: v[1], Low: v[2], Close: v[3],
			VolumeUSD: v[4], MarketCapUSD: math.NaN(), Supply: math.NaN(), KnownAt: d}
		if !addRow(m, pair, base, bar, c.pos()) {
			rep.note("duplicate_row", true, c.pos(), fmt.Sprintf("%s %s repeated", pair, d))
		}
		return nil
	})
	if err != nil {
		return err
	}
	im.emitSeries(b, regime.SourceCoinbase, m)
	return nil
}

// readYahoo reads Yahoo Finance XXX-USD daily candles. Rows without a
// close (SHIB's early rows) are rejected; a zero volume is missing. The
// "HYPE" series (2021-2024) is not Hyperliquid: like any series whose
// prices do not match a CMC asset with its ticker, it is not mapped.
func (im *importer) readYahoo(c *csvFile, b *batch) error {
	if err := need(c, "date", "symbol", "open", "high", "low", "close", "volume_usd"); err != nil {
		return err
	}
	rep := b.rep
	m := map[string]*seriesRows{}
	err := im.datedRows(c, rep, func(rec []string, d regime.Date) error {
		sym := strings.ToUpper(c.get(rec, "symbol"))
		if sym == "" {
			rep.note("missing_name_or_symbol", true, c.pos(), "empty symbol")
			return nil
		}
		v, bad := nums(c.get(rec, "open"), c.get(rec, "high"), c.get(rec, "low"), c.get(rec, "close"), c.get(rec, "volume_usd"))
		if bad >= 0 {
			rep.note("bad_number", true, c.pos(), sym+": not a number")
			return nil
		}
		if v[3] == 0 && math.IsNaN(v[0]) {
			v[3] = math.NaN() // Yahoo writes close 0 for days without a quote
		}
		if r := ohlc(v[0], v[1], v[2], v[3], v[4]); r != "" {
			rep.note(r, true, c.pos(), fmt.Sprintf("%s o/h/l/c %v/%v/%v/%v", sym, v[0], v[1], v[2], v[3]))
			return nil
		}
		if v[4] == 0 {
			v[4] = math.NaN()
			rep.note("zero_volume", false, c.pos(), sym+": 0 treated as missing")
		}
		bar := regime.Bar{Date: d, Source: regime.SourceYahoo, Open: v[0], High: v[1], Low: v[2], Close: v[3],
			VolumeUSD: v[4], MarketCapUSD: math.NaN(), Supply: math.NaN(), KnownAt: d}
		if !addRow(m, sym+"-USD", sym, bar, c.pos()) {
			rep.note("duplicate_row", true, c.pos(), fmt.Sprintf("%s %s repeated", sym, d))
		}
		return nil
	})
	if err != nil {
		return err
	}
	im.emitSeries(b, regime.SourceYahoo, m)
	return nil
}
