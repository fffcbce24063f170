package synth_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
)

// TestScale writes a large market to the CSV sink when SYNTH_SCALE_DIR is
// set; it is the harness for the documented scale measurement:
//
//	go test -c -o /tmp/synth.test ./synth
//	SYNTH_SCALE_DIR=/tmp/synth5000 SYNTH_SCALE_TOKENS=5000 \
//	  /usr/bin/time -v /tmp/synth.test -test.run TestScale -test.v
func TestScale(t *testing.T) {
	dir := os.Getenv("SYNTH_SCALE_DIR")
	if dir == "" {
		t.Skip("set SYNTH_SCALE_DIR (and SYNTH_SCALE_TOKENS, SYNTH_SCALE_DAYS) to run")
	}
	cfg := synth.Config{Seed: 1, Tokens: envInt(t, "SYNTH_SCALE_TOKENS", 5000), Days: envInt(t, "SYNTH_SCALE_DAYS", 3650)}
	sink, err := synth.NewCSVSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Generate(cfg, sink); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir + "/bars.csv")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bars.csv: %d bytes", st.Size())
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// TestScaleStore generates a market into a SQLite store when
// SYNTH_SCALE_DB names a (new) database file:
//
//	SYNTH_SCALE_DB=/tmp/synth.db SYNTH_SCALE_TOKENS=300 /usr/bin/time -v /tmp/synth.test -test.run TestScaleStore -test.v
func TestScaleStore(t *testing.T) {
	path := os.Getenv("SYNTH_SCALE_DB")
	if path == "" {
		t.Skip("set SYNTH_SCALE_DB (and SYNTH_SCALE_TOKENS, SYNTH_SCALE_DAYS, SYNTH_SCALE_BATCH) to run")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := synth.Config{Seed: 1, Tokens: envInt(t, "SYNTH_SCALE_TOKENS", 300), Days: envInt(t, "SYNTH_SCALE_DAYS", 3650)}
	sink := synth.NewStoreSink(ctx, st)
	sink.Batch = envInt(t, "SYNTH_SCALE_BATCH", sink.Batch)
	if err := synth.Generate(cfg, sink); err != nil {
		t.Fatal(err)
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tables: %v", stats.Tables)
}
