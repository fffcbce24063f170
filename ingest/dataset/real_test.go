package dataset_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/dataset"
	"github.com/regime-engine/regime/sqlite"
)

// realDir is the research dataset, relative to this package.
const realDir = "../../../shared/data"

func TestRealDataset(t *testing.T) {
	if _, err := os.Stat(filepath.Join(realDir, dataset.FileUniverse)); err != nil {
		t.Skip("research dataset not present:", err)
	}
	if testing.Short() {
		t.Skip("full dataset import skipped in -short mode")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := dataset.Import(ctx, st, dataset.Options{Dir: realDir})
	if err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("REGIME_REPORT"); out != "" {
		f, _ := os.Create(out)
		rep.WriteText(f)
		f.Close()
	}
	_ = regime.SourceCMC
}
