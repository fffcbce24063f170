package dataset_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime/ingest/dataset"
)

// BenchmarkImportReal imports ../shared/data into a fresh SQLite store
// per iteration:
//
//	go test ./ingest/dataset -run '^$' -bench ImportReal -benchtime 1x
func BenchmarkImportReal(b *testing.B) {
	if _, err := os.Stat(filepath.Join(realDir, dataset.FileUniverse)); err != nil {
		b.Skip("research dataset not present:", err)
	}
	benchImport(b, realDir)
}

// BenchmarkImportMini imports the mini fixture dataset.
func BenchmarkImportMini(b *testing.B) { benchImport(b, miniDir) }

func benchImport(b *testing.B, dir string) {
	var records int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openStore(b)
		b.StartTimer()
		rep, err := dataset.Import(context.Background(), st, dataset.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		records = rep.Bars + rep.Observations + rep.Constituents + rep.Candles
		b.ReportMetric(rep.ElapsedReadWall.Seconds(), "read-s")
	}
	b.ReportMetric(float64(records), "records")
}

// TestRealDatasetIdempotent imports the real dataset twice and compares
// the store statistics. It takes two full imports, so it only runs when
// REGIME_SLOW_TESTS is set.
func TestRealDatasetIdempotent(t *testing.T) {
	skipWithoutReal(t)
	if os.Getenv("REGIME_SLOW_TESTS") == "" {
		t.Skip("set REGIME_SLOW_TESTS=1 to import the real dataset twice")
	}
	st := openStore(t)
	importDir(t, st, dataset.Options{Dir: realDir})
	s1 := stats(t, st)
	importDir(t, st, dataset.Options{Dir: realDir})
	s2 := stats(t, st)
	if s1.Hash != s2.Hash {
		t.Errorf("hash changed on re-import: %s -> %s", s1.Hash, s2.Hash)
	}
	for k, n := range s1.Tables {
		if s2.Tables[k] != n {
			t.Errorf("table %s: %d rows, then %d", k, n, s2.Tables[k])
		}
	}
	t.Logf("tables %v hash %s", s1.Tables, s1.Hash)
}
