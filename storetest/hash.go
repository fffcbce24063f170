package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// contentHash computes, independently of any store, the Stats hash of a
// store holding exactly these records (no two with the same key, KnownAt
// already normalized). Every store must produce the same hash for the
// same content, so a SQLite file and a PostgreSQL database can be
// compared. The encoding: for each table in the order assets,
// asset_aliases, bars, observations, constituents, candles, "T" and the
// table name as a string; then per row, in ascending primary-key order
// with text compared bytewise, "R" and the columns in schema order: a
// string is "s<byte length>:<bytes>", an integer "i<decimal>;", a float
// "f" + strconv.FormatFloat(v, 'g', -1, 64) + ";" and a missing float "n".
func contentHash(assets []regime.Asset, bars []regime.Bar, obs []regime.Observation,
	cons []regime.Constituent, candles []regime.Candle) string {
	h := sha256.New()
	var b []byte
	str := func(s string) {
		b = append(strconv.AppendInt(append(b, 's'), int64(len(s)), 10), ':')
		b = append(b, s...)
	}
	num := func(v int64) { b = append(strconv.AppendInt(append(b, 'i'), v, 10), ';') }
	flt := func(v float64) {
		if math.IsNaN(v) {
			b = append(b, 'n')
			return
		}
		b = append(strconv.AppendFloat(append(b, 'f'), v, 'g', -1, 64), ';')
	}
	flush := func() { h.Write(b); b = b[:0] }
	table := func(name string) { b = append(b, 'T'); str(name); flush() }
	less := func(a, b []string) bool { return strings.Join(a, "\x00") < strings.Join(b, "\x00") }
	bool01 := func(v bool) int64 {
		if v {
			return 1
		}
		return 0
	}

	as := append([]regime.Asset(nil), assets...)
	sort.Slice(as, func(i, j int) bool { return as[i].ID < as[j].ID })
	table("assets")
	for _, a := range as {
		b = append(b, 'R')
		str(a.ID)
		str(a.Symbol)
		str(a.Name)
		str(string(a.Kind))
		flush()
	}

	type aliasRow struct {
		id string
		al regime.Alias
	}
	var als []aliasRow
	for _, a := range assets {
		for _, al := range a.Aliases {
			als = append(als, aliasRow{a.ID, al})
		}
	}
	key := func(r aliasRow) []string { return []string{r.id, r.al.Source, r.al.SourceID, r.al.Symbol, r.al.Name} }
	sort.Slice(als, func(i, j int) bool { return less(key(als[i]), key(als[j])) })
	table("asset_aliases")
	for _, r := range als {
		b = append(b, 'R')
		for _, s := range key(r) {
			str(s)
		}
		num(int64(r.al.From))
		num(int64(r.al.To))
		flush()
	}

	bs := append([]regime.Bar(nil), bars...)
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].AssetID != bs[j].AssetID || bs[i].Source != bs[j].Source {
			return less([]string{bs[i].AssetID, bs[i].Source}, []string{bs[j].AssetID, bs[j].Source})
		}
		return bs[i].Date < bs[j].Date
	})
	table("bars")
	for _, x := range bs {
		b = append(b, 'R')
		str(x.AssetID)
		str(x.Source)
		num(int64(x.Date))
		for _, v := range []float64{x.Open, x.High, x.Low, x.Close, x.VolumeUSD, x.MarketCapUSD, x.Supply} {
			flt(v)
		}
		num(bool01(x.CapEstimated))
		num(int64(x.KnownAt))
		flush()
	}

	ob := append([]regime.Observation(nil), obs...)
	sort.Slice(ob, func(i, j int) bool {
		if ob[i].Series != ob[j].Series {
			return ob[i].Series < ob[j].Series
		}
		return ob[i].Date < ob[j].Date
	})
	table("observations")
	for _, o := range ob {
		b = append(b, 'R')
		str(o.Series)
		num(int64(o.Date))
		flt(o.Value)
		str(o.Source)
		num(int64(o.KnownAt))
		flush()
	}

	cs := append([]regime.Constituent(nil), cons...)
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Source != cs[j].Source {
			return cs[i].Source < cs[j].Source
		}
		if cs[i].Date != cs[j].Date {
			return cs[i].Date < cs[j].Date
		}
		return cs[i].AssetID < cs[j].AssetID
	})
	table("constituents")
	for _, c := range cs {
		b = append(b, 'R')
		str(c.Source)
		num(int64(c.Date))
		str(c.AssetID)
		num(int64(c.Rank))
		for _, v := range []float64{c.MarketCapUSD, c.PriceUSD, c.Supply, c.VolumeUSD} {
			flt(v)
		}
		flush()
	}

	ks := append([]regime.Candle(nil), candles...)
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].AssetID != ks[j].AssetID || ks[i].Source != ks[j].Source {
			return less([]string{ks[i].AssetID, ks[i].Source}, []string{ks[j].AssetID, ks[j].Source})
		}
		return ks[i].Time < ks[j].Time
	})
	table("candles")
	for _, c := range ks {
		b = append(b, 'R')
		str(c.AssetID)
		str(c.Source)
		num(c.Time)
		for _, v := range []float64{c.Open, c.High, c.Low, c.Close, c.VolumeBase, c.VolumeQuote, c.Trades} {
			flt(v)
		}
		flush()
	}
	return hex.EncodeToString(h.Sum(nil))
}
