package index_test

import (
	"fmt"
	"strings"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/index"
)

// Capped market-cap weights: the largest constituent is held at 30% and
// the others at 20%, the excess spread over the rest.
func ExampleWeights() {
	w := index.Weights(index.DefaultWeights(), []float64{600, 200, 100, 50, 30, 20})
	fmt.Printf("%.2f\n", w)
	// Output: [0.30 0.20 0.20 0.15 0.09 0.06]
}

// A stablecoin is never selected, a coin without a daily close is skipped
// (and measured), and an incumbent inside the rank buffer keeps its place.
func ExampleSelect() {
	coin := func(id string, cap float64, priced, incumbent bool) index.Candidate {
		return index.Candidate{AssetID: id, MarketCapUSD: cap, VolumeUSD: 1e9, Kind: regime.KindCoin, HistoryDays: 365, Priced: priced, Incumbent: incumbent}
	}
	cands := []index.Candidate{
		coin("bitcoin", 1000, true, true),
		{AssetID: "tether", MarketCapUSD: 500, Kind: regime.KindStablecoin, Priced: true},
		coin("ethereum", 400, true, true),
		coin("unlisted", 300, false, false),
		coin("solana", 200, true, false),
		coin("dogecoin", 100, true, true),
	}
	s := index.Select(index.UniverseRules{N: 3, Buffer: 0.34}, cands)
	var ids []string
	for _, m := range s.Members {
		ids = append(ids, m.AssetID)
	}
	fmt.Println(strings.Join(ids, " "))
	fmt.Printf("missing-price share %.2f\n", s.MissingPriceShare)
	// Output:
	// bitcoin ethereum dogecoin
	// missing-price share 0.18
}
