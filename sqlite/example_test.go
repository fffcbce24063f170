package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/sqlite"
)

// Example opens a store, imports an asset and two sources of bars in one
// transaction and reads the reconciled bars back.
func Example() {
	dir, err := os.MkdirTemp("", "regime-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "regime.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	day := regime.MustDate("2024-01-01")
	err = s.Update(ctx, func(w regime.Writer) error {
		btc := regime.Asset{ID: "bitcoin", Symbol: "BTC", Name: "Bitcoin", Kind: regime.KindCoin}
		if err := w.UpsertAssets(ctx, []regime.Asset{btc}); err != nil {
			return err
		}
		return w.UpsertBars(ctx, []regime.Bar{
			{AssetID: "bitcoin", Date: day, Source: regime.SourceBinance, Open: 42300, High: 44200, Low: 42200,
				Close: 44180, VolumeUSD: 1.2e9, MarketCapUSD: regime.NaN, Supply: regime.NaN},
			{AssetID: "bitcoin", Date: day, Source: regime.SourceCoinGecko, Open: regime.NaN, High: regime.NaN,
				Low: regime.NaN, Close: 44170, VolumeUSD: 2.1e10, MarketCapUSD: 8.65e11, Supply: regime.NaN},
		})
	})
	if err != nil {
		log.Fatal(err)
	}
	bars, err := s.Bars(ctx, "bitcoin", regime.DateRange{From: day, To: day})
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range bars {
		fmt.Printf("%s close %g from %s, volume %g, market cap %g\n", b.Date, b.Close, b.Source, b.VolumeUSD, b.MarketCapUSD)
	}
	_, err = s.Bars(ctx, "dogecoin", regime.DateRange{})
	fmt.Println(regime.ErrorCode(err), regime.ErrorMessage(err))
	// Output:
	// 2024-01-01 close 44170 from coingecko, volume 2.1e+10, market cap 8.65e+11
	// not_found asset "dogecoin" not found
}
