package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// namer invents pronounceable asset names with unique ids. Symbols may
// repeat across assets, as real tickers do; ids never do.
type namer struct {
	r    *rand.Rand
	used map[string]bool // ids handed out (lookup only, never iterated)
}

func newNamer(r *rand.Rand) *namer { return &namer{r: r, used: map[string]bool{}} }

const (
	consonants = "bcdfgklmnprstvxz"
	vowels     = "aeiou"
)

var tokenSuffixes = []string{"", "", "", " Coin", " Network", " Protocol", " Chain", " Finance", " Token"}

func (n *namer) word() string {
	var b strings.Builder
	for k := 2 + n.r.IntN(2); k > 0; k-- {
		b.WriteByte(consonants[n.r.IntN(len(consonants))])
		b.WriteByte(vowels[n.r.IntN(len(vowels))])
	}
	if n.r.IntN(3) == 0 {
		b.WriteByte(consonants[n.r.IntN(len(consonants))])
	}
	w := b.String()
	return strings.ToUpper(w[:1]) + w[1:]
}

func (n *namer) unique(name, symbol string, kind regime.AssetKind) regime.Asset {
	id := regime.Slug(name)
	for k := 2; n.used[id]; k++ {
		id = regime.Slug(name) + "-" + strconv.Itoa(k)
	}
	n.used[id] = true
	return regime.Asset{ID: id, Symbol: symbol, Name: name, Kind: kind}
}

func (n *namer) fixed(name, symbol string) regime.Asset {
	return n.unique(name, symbol, regime.KindCoin)
}

func (n *namer) token() regime.Asset {
	w := n.word()
	sym := strings.ToUpper(w[:min(len(w), 3+n.r.IntN(2))])
	return n.unique(w+tokenSuffixes[n.r.IntN(len(tokenSuffixes))], sym, regime.KindCoin)
}

func (n *namer) stable() regime.Asset {
	w := n.word()
	return n.unique(w+" Dollar", strings.ToUpper(w[:1])+"USD", regime.KindStablecoin)
}
