package dataset_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/dataset"
)

// checkStore is a regime.Store whose writer only validates what the
// importer writes (every bar and observation keeps KnownAt >= Date and a
// positive close when present). Reader methods are not used by Import.
type checkStore struct {
	regime.Store
	t testing.TB
}

func (s checkStore) Update(ctx context.Context, fn func(w regime.Writer) error) error {
	return fn(checkWriter(s))
}

type checkWriter checkStore

func (w checkWriter) UpsertAssets(ctx context.Context, as []regime.Asset) error {
	for _, a := range as {
		if a.ID == "" || !a.Kind.Valid() {
			w.t.Errorf("invalid asset %+v", a)
		}
	}
	return nil
}

func (w checkWriter) UpsertBars(ctx context.Context, bs []regime.Bar) error {
	for _, b := range bs {
		if b.AssetID == "" || b.KnownAt < b.Date || b.Close <= 0 {
			w.t.Errorf("invalid bar %+v", b)
		}
	}
	return nil
}

func (w checkWriter) UpsertObservations(ctx context.Context, os []regime.Observation) error {
	for _, o := range os {
		if o.Series == "" || o.KnownAt < o.Date {
			w.t.Errorf("invalid observation %+v", o)
		}
	}
	return nil
}

func (w checkWriter) UpsertConstituents(ctx context.Context, cs []regime.Constituent) error {
	for _, c := range cs {
		if c.Rank < 1 || c.Rank > 200 || c.AssetID == "" {
			w.t.Errorf("invalid constituent %+v", c)
		}
	}
	return nil
}

func (w checkWriter) UpsertCandles(ctx context.Context, cs []regime.Candle) error { return nil }

// FuzzImport replaces one file of the mini dataset with arbitrary bytes:
// Import must either succeed with valid records or fail with an EINVALID
// error naming that file, and never panic.
func FuzzImport(f *testing.F) {
	files := []string{dataset.FileUniverse, dataset.FileCoinGecko, dataset.FileYahoo, dataset.FileFRED, dataset.FileFlowByEx,
		dataset.FileFearGreed, dataset.FileTrends, dataset.FileFlowTotal}
	for i, rel := range files {
		b, err := os.ReadFile(filepath.Join(miniDir, rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(0), []byte("date,rank,name,symbol,market_cap_usd,price_usd,circulating_supply,volume_24h_usd\n2020-01-01,1,\"Bit\ncoin\",BTC,1e12,NaN,1,1\n"))
	f.Add(uint8(6), []byte("date,bitcoin_search_interest_0_100\n"))
	f.Add(uint8(1), []byte("date,coin_id,symbol,close_usd,volume_usd,market_cap_usd\n2020-01-01,x,X,1e400,,\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		rel := files[int(which)%len(files)]
		dir := copyDir(t, miniDir)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := dataset.Import(context.Background(), checkStore{t: t}, dataset.Options{Dir: dir})
		if err != nil && (regime.ErrorCode(err) != regime.EINVALID || !strings.Contains(err.Error(), rel)) {
			t.Errorf("error %q (code %s) does not name %s as invalid", err, regime.ErrorCode(err), rel)
		}
	})
}
