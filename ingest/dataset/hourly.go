package dataset

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/regime-engine/regime"
)

// readBinance reads Binance 1-hour klines (CryptoDataDownload format) as
// SourceBinance candles of the asset with symbol sym. The open time must
// agree with unix_s; an empty trade_count is missing (NaN).
func (im *importer) readBinance(sym, ticker string) func(*csvFile, *batch) error {
	return func(c *csvFile, b *batch) error {
		if err := need(c, "open_time_utc", "unix_s", "open", "high", "low", "close", "volume_base", "volume_quote", "trade_count"); err != nil {
			return err
		}
		id := im.assetFor(ticker, sym, nil)
		rep := b.rep
		seen := map[int64]bool{}
		pair := sym + "USDT"
		var first, last regime.Date
		err := im.rows(c, func(rec []string) error {
			rep.Rows++
			ts, err := strconv.ParseInt(c.get(rec, "unix_s"), 10, 64)
			if err != nil {
				rep.note("bad_time", true, c.pos(), fmt.Sprintf("unix_s %q", c.get(rec, "unix_s")))
				return nil
			}
			if t, err := time.Parse(time.RFC3339, c.get(rec, "open_time_utc")); err != nil || t.Unix() != ts {
				rep.note("bad_time", true, c.pos(), fmt.Sprintf("open_time_utc %q does not match unix_s %d", c.get(rec, "open_time_utc"), ts))
				return nil
			}
			v, bad := nums(c.get(rec, "open"), c.get(rec, "high"), c.get(rec, "low"), c.get(rec, "close"),
				c.get(rec, "volume_base"), c.get(rec, "volume_quote"), c.get(rec, "trade_count"))
			if bad >= 0 {
				rep.note("bad_number", true, c.pos(), "not a number")
				return nil
			}
			if r := ohlc(v[0], v[1], v[2], v[3], math.Max(v[4], v[5])); r != "" {
				rep.note(r, true, c.pos(), fmt.Sprintf("o/h/l/c %v/%v/%v/%v", v[0], v[1], v[2], v[3]))
				return nil
			}
			if seen[ts] {
				rep.note("duplicate_row", true, c.pos(), c.get(rec, "open_time_utc")+" repeated")
				return nil
			}
			seen[ts] = true
			if id == "" {
				return nil
			}
			d := regime.DateOf(time.Unix(ts, 0))
			if first == 0 || d < first {
				first = d
			}
			last = max(last, d)
			if !im.inRange(rep, d) {
				return nil
			}
			b.candles = append(b.candles, regime.Candle{AssetID: id, Source: regime.SourceBinance, Time: ts,
				Open: v[0], High: v[1], Low: v[2], Close: v[3], VolumeBase: v[4], VolumeQuote: v[5], Trades: v[6]})
			return nil
		})
		if err != nil {
			return err
		}
		if id == "" {
			rep.noteN("unmapped_symbol", true, rep.Rows-rep.Rejected, c.rel, "no asset with symbol "+sym)
			return nil
		}
		if first != 0 {
			im.reg.assets[id].addAlias(regime.SourceBinance, pair, sym, "", first, last)
		}
		return nil
	}
}
