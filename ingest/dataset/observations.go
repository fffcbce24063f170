package dataset

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/regime-engine/regime"
)

// assetFor returns the asset id of a Coin Metrics ticker (from the panel
// mapping), else the only CMC asset with symbol, else a price-checked
// mapping of closes; "" if none.
func (im *importer) assetFor(ticker, symbol string, closes map[regime.Date]float64) string {
	if id := im.cmID[ticker]; id != "" {
		return id
	}
	if len(closes) > 0 {
		first, last := regime.Date(math.MaxInt32), regime.Date(0)
		for d := range closes {
			first, last = min(first, d), max(last, d)
		}
		if m := im.reg.mapSeries(symbol, closes, first, last); m.id != "" {
			return m.id
		}
	}
	if ids := im.reg.bySymbol[symbol]; len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// wideRow is one parsed row of a date + metrics file.
type wideRow struct {
	line int
	d    regime.Date
	v    []float64
}

// readWide reads a file with a date column (dateCol) and numeric metric
// columns, rejecting rows with a bad date or number and duplicate dates.
func (im *importer) readWide(c *csvFile, rep *FileReport, dateCol string, cols []string) ([]wideRow, error) {
	if err := need(c, append([]string{dateCol}, cols...)...); err != nil {
		return nil, err
	}
	var out []wideRow
	seen := map[regime.Date]bool{}
	err := im.rows(c, func(rec []string) error {
		rep.Rows++
		d, err := parseDay(c.get(rec, dateCol))
		if err != nil {
			rep.note("bad_date", true, c.pos(), fmt.Sprintf("date %q", c.get(rec, dateCol)))
			return nil
		}
		v := make([]float64, len(cols))
		for i, col := range cols {
			x, err := num(c.get(rec, col))
			if err != nil {
				rep.note("bad_number", true, c.pos(), fmt.Sprintf("%s %q is not a number", col, c.get(rec, col)))
				return nil
			}
			v[i] = x
		}
		if seen[d] {
			rep.note("duplicate_row", true, c.pos(), d.String()+" repeated")
			return nil
		}
		seen[d] = true
		out = append(out, wideRow{line: c.line, d: d, v: v})
		return nil
	})
	return out, err
}

// metricCols returns the header columns except the date column.
func metricCols(c *csvFile, dateCol string) []string {
	var out []string
	for _, h := range c.header {
		if h != dateCol && h != "" {
			out = append(out, h)
		}
	}
	return out
}

// fullMetrics records, per ticker, the metrics the full (to 2024) files
// carry, so the 2020 vintage adds only the others.
func (im *importer) readCMFull(ticker string) func(*csvFile, *batch) error {
	return func(c *csvFile, b *batch) error {
		cols := metricCols(c, "date")
		if err := need(c, "date", "PriceUSD"); err != nil {
			return err
		}
		rows, err := im.readWide(c, b.rep, "date", cols)
		if err != nil {
			return err
		}
		ix := map[string]int{}
		for i, col := range cols {
			ix[col] = i
		}
		closes := map[regime.Date]float64{}
		for _, r := range rows {
			if p := r.v[ix["PriceUSD"]]; p > 0 {
				closes[r.d] = p
			}
		}
		if len(rows) == 0 {
			return nil
		}
		sym := cmAssets[ticker].Symbol
		id := im.assetFor(ticker, sym, closes)
		if id == "" {
			b.rep.noteN("unmapped_symbol", true, len(rows), c.rel, "no asset for "+sym)
			return nil
		}
		im.fullCols[ticker] = cols
		first, last := rows[0].d, rows[0].d
		for _, r := range rows {
			first, last = min(first, r.d), max(last, r.d)
		}
		im.reg.assets[id].addAlias(regime.SourceCoinMetrics, ticker, sym, "", first, last)
		capIx, supIx, hasCap, hasSup := ix["CapMrktCurUSD"], ix["SplyCur"], false, false
		_, hasCap = ix["CapMrktCurUSD"]
		_, hasSup = ix["SplyCur"]
		for _, r := range rows {
			if !im.inRange(b.rep, r.d) {
				continue
			}
			for i, col := range cols {
				if math.IsNaN(r.v[i]) {
					continue
				}
				b.obs = append(b.obs, regime.Observation{Series: "onchain:" + id + ":" + col, Date: r.d, Value: r.v[i],
					Source: regime.SourceCoinMetrics, KnownAt: r.d})
			}
			// the full files continue the panel's price, cap and supply to 2024
			p := r.v[ix["PriceUSD"]]
			if !(p > 0) {
				continue
			}
			bar := regime.Bar{AssetID: id, Date: r.d, Source: regime.SourceCoinMetrics, Open: math.NaN(), High: math.NaN(),
				Low: math.NaN(), Close: p, VolumeUSD: math.NaN(), MarketCapUSD: math.NaN(), Supply: math.NaN(), KnownAt: r.d}
			if hasCap && r.v[capIx] > 0 {
				bar.MarketCapUSD = r.v[capIx]
			}
			if hasSup && r.v[supIx] > 0 {
				bar.Supply = r.v[supIx]
			}
			b.bars = append(b.bars, bar)
		}
		return nil
	}
}

// readCMRaw reads a 2020-vintage Coin Metrics file: every metric becomes
// "onchain:<asset>:<Metric>", except those the full file of the same asset
// already provides. USDT's file is Omni-only, so its series carry "@omni"
// (its market cap and supply are not total USDT).
func (im *importer) readCMRaw(ticker string) func(*csvFile, *batch) error {
	return func(c *csvFile, b *batch) error {
		cols := metricCols(c, "time")
		rows, err := im.readWide(c, b.rep, "time", cols)
		if err != nil {
			return err
		}
		skip := map[string]bool{}
		for _, col := range im.fullCols[ticker] {
			skip[col] = true
		}
		closes := map[regime.Date]float64{}
		for i, col := range cols {
			if col != "PriceUSD" {
				continue
			}
			for _, r := range rows {
				if r.v[i] > 0 {
					closes[r.d] = r.v[i]
				}
			}
		}
		info := cmAssets[ticker]
		id := im.assetFor(ticker, info.Symbol, closes)
		if id == "" {
			b.rep.noteN("unmapped_symbol", true, len(rows), c.rel, "no asset for "+info.Symbol)
			return nil
		}
		suffix := ""
		if info.Chain != "" {
			suffix = "@" + info.Chain
		}
		for _, r := range rows {
			if !im.inRange(b.rep, r.d) {
				continue
			}
			for i, col := range cols {
				if skip[col] || math.IsNaN(r.v[i]) {
					continue
				}
				b.obs = append(b.obs, regime.Observation{Series: "onchain:" + id + ":" + col + suffix, Date: r.d, Value: r.v[i],
					Source: regime.SourceCoinMetrics, KnownAt: r.d})
			}
		}
		return nil
	}
}

// bitcoinID is the asset id of BTC in this import.
func (im *importer) bitcoinID() string {
	if id := im.assetFor("btc", "BTC", nil); id != "" {
		return id
	}
	return "bitcoin"
}

// readFlowTotal reads the summed exchange flows: "flows:<btc>:inflow",
// "outflow", "netflow", "exchange_supply" and "n_exchanges" (native BTC).
func (im *importer) readFlowTotal(c *csvFile, b *batch) error {
	cols := []string{"inflow_btc", "outflow_btc", "netflow_btc", "exchange_supply_btc", "n_exchanges"}
	names := []string{"inflow", "outflow", "netflow", "exchange_supply", "n_exchanges"}
	rows, err := im.readWide(c, b.rep, "date", cols)
	if err != nil {
		return err
	}
	id := im.bitcoinID()
	for _, r := range rows {
		if !im.inRange(b.rep, r.d) {
			continue
		}
		for i := range cols {
			if math.IsNaN(r.v[i]) {
				continue
			}
			b.obs = append(b.obs, regime.Observation{Series: "flows:" + id + ":" + names[i], Date: r.d, Value: r.v[i],
				Source: regime.SourceCoinMetrics, KnownAt: r.d})
		}
	}
	return nil
}

// readFlowByExchange reads per-exchange flows as
// "flows:<btc>:<exchange>:inflow|outflow|supply". An exchange's leading
// all-zero days (before Coin Metrics tracked it, e.g. Binance) are missing,
// not zero.
func (im *importer) readFlowByExchange(c *csvFile, b *batch) error {
	type exCols struct{ name, in, out, sply string }
	var exs []exCols
	for _, h := range c.header {
		if strings.HasPrefix(h, "exch.sply.") && strings.HasSuffix(h, ".ntv") {
			ex := strings.TrimSuffix(strings.TrimPrefix(h, "exch.sply."), ".ntv")
			exs = append(exs, exCols{ex, "exch." + ex + ".flow.in.ntv", "exch." + ex + ".flow.out.ntv", h})
		}
	}
	sort.Slice(exs, func(i, j int) bool { return exs[i].name < exs[j].name })
	if len(exs) == 0 {
		return structural(c.rel, 1, "no exch.sply.<exchange>.ntv columns")
	}
	var cols []string
	for _, e := range exs {
		cols = append(cols, e.in, e.out, e.sply)
	}
	rows, err := im.readWide(c, b.rep, "date", cols)
	if err != nil {
		return err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].d < rows[j].d })
	id := im.bitcoinID()
	for k, e := range exs {
		tracked := false
		untracked := 0
		for _, r := range rows {
			in, out, sply := r.v[3*k], r.v[3*k+1], r.v[3*k+2]
			if !tracked && in == 0 && out == 0 && sply == 0 {
				untracked++
				continue
			}
			tracked = true
			if !im.opt.Range.Contains(r.d) {
				continue
			}
			for i, name := range []string{"inflow", "outflow", "supply"} {
				v := r.v[3*k+i]
				if math.IsNaN(v) {
					continue
				}
				b.obs = append(b.obs, regime.Observation{Series: "flows:" + id + ":" + e.name + ":" + name, Date: r.d, Value: v,
					Source: regime.SourceCoinMetrics, KnownAt: r.d})
			}
		}
		b.rep.noteN("untracked_exchange_zero", false, untracked, c.rel, e.name+": leading zero days treated as missing")
	}
	return nil
}

// readFearGreed reads the Crypto Fear & Greed Index as "feargreed:value"
// (0-100, known the day it is dated: alternative.me publishes at 00:00
// UTC from the previous day's data).
func (im *importer) readFearGreed(c *csvFile, b *batch) error {
	return im.readScore(c, b, "value", "feargreed:value", regime.SourceFearGreed, func(d regime.Date) regime.Date { return d })
}

// readTrends reads monthly Google Trends interest as "trends:bitcoin",
// dated the first of the month it measures and known on the first day of
// the next month (a month's interest is only complete when it ends).
func (im *importer) readTrends(c *csvFile, b *batch) error {
	return im.readScore(c, b, "bitcoin_search_interest_0_100", "trends:bitcoin", regime.SourceTrends, func(d regime.Date) regime.Date {
		t := d.Time()
		return regime.DateOf(t.AddDate(0, 1, 1-t.Day()))
	})
}

// readScore reads one 0-100 column of a dated file as series, rejecting
// values outside 0..100 with a counted reason; knownAt gives the day each
// value became known.
func (im *importer) readScore(c *csvFile, b *batch, col, series, source string, knownAt func(regime.Date) regime.Date) error {
	rows, err := im.readWide(c, b.rep, "date", []string{col})
	if err != nil {
		return err
	}
	for _, r := range rows {
		v := r.v[0]
		if math.IsNaN(v) || v < 0 || v > 100 {
			b.rep.note("value_out_of_range", true, fmt.Sprintf("%s:%d", c.rel, r.line), fmt.Sprintf("value %v outside 0..100", v))
			continue
		}
		if !im.inRange(b.rep, r.d) {
			continue
		}
		b.obs = append(b.obs, regime.Observation{Series: series, Date: r.d, Value: v, Source: source, KnownAt: knownAt(r.d)})
	}
	return nil
}

// fredLag is the publication lag of each FRED series in days: an
// observation dated D is first known on D + lag. Lags follow each
// release's schedule, rounded up so a backtest never acts on a value
// before it was published.
var fredLag = map[string]int{
	// Daily series published the next business morning.
	"DGS10":        1, // H.15 Treasury constant maturity
	"DGS2":         1,
	"DGS3MO":       1,
	"T10Y2Y":       1, // DGS10 - DGS2
	"T10YIE":       1, // breakeven inflation
	"DFF":          1, // NY Fed effective fed funds, next morning
	"VIXCLS":       1, // CBOE close
	"SP500":        1, // S&P close
	"BAMLH0A0HYM2": 1, // ICE BofA HY OAS, posted next morning
	"RRPONTSYD":    1, // NY Fed reverse repo, same afternoon
	// Daily series released in weekly batches.
	"DCOILWTICO": 7, // EIA spot prices, weekly release
	"DTWEXBGS":   7, // H.10 broad dollar index, released Mondays for the prior week
	// Weekly series.
	"WALCL":   1,  // H.4.1, dated Wednesday, released Thursday 16:30 ET
	"STLFSI4": 7,  // St. Louis Fed stress index, dated Friday, released next Thursday
	"WM2NS":   35, // H.6 weekly M2, released monthly about four weeks after the week
	// Monthly series, dated the first of the month they measure.
	"FEDFUNDS": 32, // monthly average, published the first business day of the next month
	"UNRATE":   38, // Employment Situation, first Friday of the next month
	"CPIAUCSL": 46, // CPI, around the 10th-15th of the next month
	"M2SL":     56, // H.6, fourth Tuesday of the next month
}

// readFRED reads macro/fred_long.csv as "fred:<SERIES>" with KnownAt from
// fredLag. Series without a documented lag are rejected
// ("unknown_series") rather than given a guessed one.
func (im *importer) readFRED(c *csvFile, b *batch) error {
	if err := need(c, "date", "series_id", "value"); err != nil {
		return err
	}
	rep := b.rep
	seen := map[string]map[regime.Date]bool{}
	return im.rows(c, func(rec []string) error {
		rep.Rows++
		d, err := parseDay(c.get(rec, "date"))
		if err != nil {
			rep.note("bad_date", true, c.pos(), fmt.Sprintf("date %q", c.get(rec, "date")))
			return nil
		}
		id := strings.ToUpper(c.get(rec, "series_id"))
		lag, ok := fredLag[id]
		if !ok {
			rep.note("unknown_series", true, c.pos(), fmt.Sprintf("series %q has no documented publication lag", id))
			return nil
		}
		v, err := num(c.get(rec, "value"))
		if err != nil {
			rep.note("bad_number", true, c.pos(), fmt.Sprintf("%s value %q", id, c.get(rec, "value")))
			return nil
		}
		if math.IsNaN(v) {
			rep.note("missing_value", true, c.pos(), id+": empty value")
			return nil
		}
		if seen[id] == nil {
			seen[id] = map[regime.Date]bool{}
		}
		if seen[id][d] {
			rep.note("duplicate_row", true, c.pos(), fmt.Sprintf("%s %s repeated", id, d))
			return nil
		}
		seen[id][d] = true
		if !im.inRange(rep, d) {
			return nil
		}
		b.obs = append(b.obs, regime.Observation{Series: "fred:" + id, Date: d, Value: v, Source: regime.SourceFRED, KnownAt: d.AddDays(lag)})
		return nil
	})
}
