package regime_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/regime-engine/regime"
)

func TestDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want regime.Date
		ok   bool
	}{
		{"1970-01-01", 0, true},
		{"1970-01-02", 1, true},
		{"2024-02-29", 19782, true},
		{"2023-02-29", 0, false},
		{"2024-1-01", 0, false},
		{"", 0, false},
		{"2024-01-01T00:00:00Z", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			d, err := regime.ParseDate(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseDate(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if !tc.ok {
				if regime.ErrorCode(err) != regime.EINVALID {
					t.Errorf("code = %q, want invalid", regime.ErrorCode(err))
				}
				return
			}
			if d != tc.want || d.String() != tc.in {
				t.Errorf("ParseDate(%q) = %d (%s), want %d", tc.in, d, d, tc.want)
			}
		})
	}
	b, err := json.Marshal(struct{ D regime.Date }{regime.MustDate("2021-11-08")})
	if err != nil || string(b) != `{"D":"2021-11-08"}` {
		t.Fatalf("json = %s, %v", b, err)
	}
	var back struct{ D regime.Date }
	if err := json.Unmarshal(b, &back); err != nil || back.D != regime.MustDate("2021-11-08") {
		t.Fatalf("unmarshal = %v, %v", back.D, err)
	}
}

func TestDateRange(t *testing.T) {
	r := regime.DateRange{From: regime.MustDate("2020-01-01"), To: regime.MustDate("2020-12-31")}
	if !r.Contains(regime.MustDate("2020-06-01")) || r.Contains(regime.MustDate("2021-01-01")) || r.Contains(regime.MustDate("2019-12-31")) {
		t.Error("Contains is wrong")
	}
	if !(regime.DateRange{}).Contains(regime.MustDate("2030-01-01")) {
		t.Error("open range must contain everything")
	}
	bad := regime.DateRange{From: r.To, To: r.From}
	if err := bad.Validate(); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("Validate(from > to) = %v, want invalid", err)
	}
	if err := r.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
}

func TestErrors(t *testing.T) {
	nf := fmt.Errorf("store: asset x: %w", regime.Errorf(regime.ENOTFOUND, "asset %q not found", "x"))
	if !errors.Is(nf, regime.ErrNotFound) {
		t.Error("an ENOTFOUND *Error must match ErrNotFound")
	}
	if regime.ErrorMessage(nf) != `asset "x" not found` {
		t.Errorf("message = %q", regime.ErrorMessage(nf))
	}
	inv := regime.Errorf(regime.EINVALID, "bad")
	if errors.Is(inv, regime.ErrNotFound) {
		t.Error("EINVALID must not match ErrNotFound")
	}
	plain := errors.New("disk on fire")
	if regime.ErrorCode(plain) != regime.EINTERNAL || regime.ErrorMessage(plain) != "internal error" {
		t.Errorf("plain error: code %q message %q", regime.ErrorCode(plain), regime.ErrorMessage(plain))
	}
	if regime.ErrorCode(nil) != "" {
		t.Error("nil has no code")
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Bitcoin":            "bitcoin",
		"Binance Coin":       "binance-coin",
		"BinaryX (old)":      "binaryx-old",
		"  Wrapped  BTC  ":   "wrapped-btc",
		"Flow (Dapper Labs)": "flow-dapper-labs",
		"XRP":                "xrp",
		"Ñandú":              "and",
	} {
		if got := regime.Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameAt(t *testing.T) {
	a := regime.Asset{ID: "terra", Symbol: "LUNC", Name: "Terra Classic", Aliases: []regime.Alias{
		{Source: "cmc", SourceID: "Terra|LUNA", Symbol: "LUNA", Name: "Terra", From: regime.MustDate("2020-01-01"), To: regime.MustDate("2022-05-01")},
		{Source: "cmc", SourceID: "Terra Classic|LUNC", Symbol: "LUNC", Name: "Terra Classic", From: regime.MustDate("2022-06-01"), To: regime.MustDate("2024-12-01")},
	}}
	for _, tc := range []struct{ src, day, sym string }{
		{"cmc", "2021-06-01", "LUNA"},
		{"", "2021-06-01", "LUNA"},
		{"cmc", "2023-01-01", "LUNC"},
		{"cmc", "2022-05-15", "LUNC"}, // between aliases: the current name
		{"coingecko", "2021-06-01", "LUNC"},
	} {
		if sym, _ := a.NameAt(tc.src, regime.MustDate(tc.day)); sym != tc.sym {
			t.Errorf("NameAt(%q, %s) = %s, want %s", tc.src, tc.day, sym, tc.sym)
		}
	}
}

func TestMergeBars(t *testing.T) {
	d := regime.MustDate("2021-01-01")
	nan := math.NaN()
	bar := func(src string, day regime.Date, close, vol, cap float64, est bool) regime.Bar {
		return regime.Bar{AssetID: "a", Date: day, Source: src, Open: close, High: close, Low: close, Close: close,
			VolumeUSD: vol, MarketCapUSD: cap, Supply: nan, CapEstimated: est, KnownAt: day}
	}
	rows := []regime.Bar{
		bar(regime.SourceEstimate, d, nan, nan, 900, true),
		bar(regime.SourceYahoo, d, 10.5, 5, nan, false),
		bar(regime.SourceCoinGecko, d, 10, nan, nan, false),
		bar(regime.SourceCMC, d, 11, 7, 1000, false),
		bar(regime.SourceYahoo, d+1, 12, 6, nan, false),
		bar(regime.SourceEstimate, d+1, nan, nan, 1200, true),
	}
	got := regime.MergeBars(rows)
	if len(got) != 2 {
		t.Fatalf("got %d merged bars, want 2", len(got))
	}
	// Day 1: close from CoinGecko (ranks above Yahoo and CMC), volume from
	// Yahoo (first source with one), reported cap from CMC beats the estimate.
	if g := got[0]; g.Source != regime.SourceCoinGecko || g.Close != 10 || g.VolumeUSD != 5 || g.MarketCapUSD != 1000 || g.CapEstimated {
		t.Errorf("day 1 = %+v", g)
	}
	// Day 2: only an estimate for the cap, flagged.
	if g := got[1]; g.Source != regime.SourceYahoo || g.Close != 12 || g.MarketCapUSD != 1200 || !g.CapEstimated {
		t.Errorf("day 2 = %+v", g)
	}
	if regime.MergeBars(nil) != nil {
		t.Error("MergeBars(nil) must be nil")
	}
	if regime.SourceRank("nobody") != len(regime.BarPriority) {
		t.Error("unknown sources rank last")
	}
}

func TestNum(t *testing.T) {
	b, err := json.Marshal([]regime.Num{1.5, regime.Num(math.NaN()), regime.Num(math.Inf(1)), 0.1})
	if err != nil || string(b) != "[1.5,null,null,0.1]" {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var back []regime.Num
	if err := json.Unmarshal([]byte("[2,null]"), &back); err != nil || back[0] != 2 || !math.IsNaN(float64(back[1])) {
		t.Fatalf("unmarshal = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`["x"]`), &back); err == nil {
		t.Error("a string is not a number")
	}
}
