package csv_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime/ingest/csv"
	"github.com/regime-engine/regime/sqlite"
)

// TestImportScale imports the directory named by CSV_SCALE_DIR (for
// example the output of synth's TestScale) into a fresh SQLite store; it
// is the harness for measuring import speed:
//
//	go test -c -o /tmp/csv.test ./ingest/csv
//	CSV_SCALE_DIR=/tmp/synth300 /usr/bin/time -v /tmp/csv.test -test.run TestImportScale -test.v
func TestImportScale(t *testing.T) {
	dir := os.Getenv("CSV_SCALE_DIR")
	if dir == "" {
		t.Skip("set CSV_SCALE_DIR to run")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scale.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := csv.Import(ctx, st, dir, csv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Files {
		t.Logf("%s: %d rows", f.Name, f.Rows)
	}
}
