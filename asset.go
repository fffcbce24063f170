package regime

import (
	"strings"
	"unicode"
)

// AssetKind classifies an asset. The index excludes every kind but
// KindCoin and KindExchangeToken from its risky universe.
type AssetKind string

// Asset kinds.
const (
	KindCoin          AssetKind = "coin"           // a native coin or ordinary token
	KindStablecoin    AssetKind = "stablecoin"     // pegged to a fiat currency (USDT, USDC, DAI...)
	KindWrapped       AssetKind = "wrapped"        // a wrapped or bridged copy of another asset (WBTC, WETH...)
	KindStaked        AssetKind = "staked"         // a liquid-staking receipt (STETH...)
	KindPegged        AssetKind = "pegged"         // pegged to a commodity or another asset (PAXG, XAUT...)
	KindExchangeToken AssetKind = "exchange_token" // issued by an exchange (BNB, FTT, LEO...)
)

// Kinds lists every AssetKind in a fixed order.
var Kinds = []AssetKind{KindCoin, KindStablecoin, KindWrapped, KindStaked, KindPegged, KindExchangeToken}

// Valid reports whether k is one of Kinds.
func (k AssetKind) Valid() bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// Investable reports whether assets of kind k may be index constituents.
func (k AssetKind) Investable() bool { return k == KindCoin || k == KindExchangeToken }

// Alias is one name under which a source knows an asset during a period.
// Tickers are reused and coins are renamed, so an asset's identity is its
// ID, never its symbol; every (source, source id, symbol, name) seen is
// kept as an alias with the first and last day it was seen.
type Alias struct {
	Source   string // data source, one of the Source* constants or a user label
	SourceID string // the source's own identifier (CoinGecko id, Coin Metrics ticker, "Name|SYMBOL" for CMC)
	Symbol   string
	Name     string
	From     Date // first day seen
	To       Date // last day seen
}

// Asset is a tradeable or tracked crypto asset with a stable identity.
type Asset struct {
	ID      string // stable, ticker-independent id (a slug of the first name seen, made unique)
	Symbol  string // the most recent ticker
	Name    string // the most recent name
	Kind    AssetKind
	Aliases []Alias // sorted by (Source, SourceID, From, Symbol, Name)
}

// Slug turns a name into an id candidate: lower case ASCII letters and
// digits separated by single dashes ("Binance Coin" -> "binance-coin").
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	return b.String()
}

// AssetFilter selects assets in Reader.FindAssets. Zero fields match all.
type AssetFilter struct {
	Kind   AssetKind // only this kind
	Search string    // case-insensitive substring of id, symbol or name (any alias)
	Limit  int       // at most this many (0 = no limit)
}

// NameAt returns the symbol and name the asset carried on day d: from the
// alias of the given source (any source if empty) whose period covers d,
// the latest-starting one winning; the current Symbol and Name otherwise.
// Use it to show a point-in-time universe with the tickers of its day
// (LUNA in 2021, not LUNC).
func (a Asset) NameAt(source string, d Date) (symbol, name string) {
	symbol, name = a.Symbol, a.Name
	var best *Alias
	for i := range a.Aliases {
		al := &a.Aliases[i]
		if (source != "" && al.Source != source) || d < al.From || (al.To != NoDate && d > al.To) || al.Symbol == "" {
			continue
		}
		if best == nil || al.From > best.From {
			best = al
		}
	}
	if best != nil {
		symbol, name = best.Symbol, best.Name
	}
	return symbol, name
}
