package csv_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/csv"
	"github.com/regime-engine/regime/sqlite"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "regime.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// copyDir copies the files of testdata/src into a fresh directory, then
// writes extra files (name -> content) over them.
func copyDir(t *testing.T, src string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if src != "" {
		ents, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, e.Name(), string(b))
		}
	}
	for name, content := range extra {
		writeFile(t, dir, name, content)
	}
	return dir
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "bad", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestImportGood(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var events []regime.Progress
	rep, err := csv.Import(ctx, st, "testdata/good", csv.Options{Progress: func(p regime.Progress) { events = append(events, p) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		file string
		rows int64
	}{{csv.AssetsFile, 4}, {csv.BarsFile, 7}, {csv.ObservationsFile, 4}, {csv.ConstituentsFile, 3}, {csv.TruthFile, 3}} {
		if got := rep.Rows(want.file); got != want.rows {
			t.Errorf("Rows(%s) = %d, want %d", want.file, got, want.rows)
		}
	}
	finals := 0
	for _, e := range events {
		if e.Final {
			finals++
		}
	}
	if finals != 5 {
		t.Errorf("got %d final progress events, want 5 (one per file): %+v", finals, events)
	}

	a, err := st.Asset(ctx, "tether")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Tether, USD" || a.Kind != regime.KindStablecoin {
		t.Errorf("tether = %+v", a)
	}
	bars, err := st.SourceBars(ctx, "ether", regime.SourceCSV, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bars) != 2 {
		t.Fatalf("ether bars = %+v", bars)
	}
	if b := bars[0]; b.Close != 2352.04 || !math.IsNaN(b.Open) || !math.IsNaN(b.VolumeUSD) || !math.IsNaN(b.Supply) {
		t.Errorf("ether 2024-01-01 = %+v, want close 2352.04 and NaN for empty cells", b)
	}
	if b := bars[1]; !math.IsNaN(b.MarketCapUSD) {
		t.Errorf("ether 2024-01-02 market cap = %v, want NaN (0 means missing)", b.MarketCapUSD)
	}
	obs, err := st.Observations(ctx, "fred:DGS10", regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 || obs[0].KnownAt != regime.MustDate("2024-01-03") || obs[0].Value != 3.95 {
		t.Errorf("fred:DGS10 = %+v", obs)
	}
	truth, err := st.Observations(ctx, csv.TruthSeries, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	if len(truth) != 3 || truth[0].Value != 1 || truth[1].Value != 0 || truth[2].Value != -1 {
		t.Errorf("truth = %+v", truth)
	}
	cs, err := st.Constituents(ctx, regime.SourceCSV, regime.MustDate("2024-01-15"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 || cs[0].AssetID != "bitcoin" || !math.IsNaN(cs[2].MarketCapUSD) {
		t.Errorf("constituents = %+v", cs)
	}

	// Importing again changes nothing; a custom source label is used.
	before, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := csv.Import(ctx, st, "testdata/good", csv.Options{}); err != nil {
		t.Fatal(err)
	}
	after, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Hash != after.Hash {
		t.Error("re-importing the same directory changed the store")
	}
	if _, err := csv.Import(ctx, st, "testdata/good", csv.Options{Source: "mine"}); err != nil {
		t.Fatal(err)
	}
	if bars, err := st.SourceBars(ctx, "bitcoin", "mine", regime.DateRange{}); err != nil || len(bars) != 2 {
		t.Errorf("SourceBars(mine) = %v, %v; want 2 bars", bars, err)
	}
}

func TestImportErrors(t *testing.T) {
	const assets = "id,symbol,name,kind\nbitcoin,BTC,Bitcoin,coin\nether,ETH,Ether,coin\n"
	tests := []struct {
		name  string
		file  string // file written next to assets
		body  string
		want  string // substring of the error message
		extra bool   // the broken file is assets.csv itself
	}{
		{"truncated row", csv.BarsFile, fixture(t, "bars_truncated.csv"), "bars.csv:3:1: wrong number of fields", false},
		{"open quote", csv.BarsFile, fixture(t, "bars_open_quote.csv"), `bars.csv:4:23: extraneous or missing " in quoted-field (in the record starting on line 3)`, false},
		{"extra field", csv.BarsFile, fixture(t, "bars_extra_field.csv"), "bars.csv:3:1: wrong number of fields", false},
		{"empty file", csv.BarsFile, fixture(t, "bars_empty.csv"), "bars.csv:1:1: empty file", false},
		{"unknown column", csv.BarsFile, "asset_id,date,close,clsoe\n", `bars.csv:1:21: unknown column "clsoe"`, false},
		{"duplicate column", csv.BarsFile, "asset_id,date,close,date\n", `bars.csv:1:21: duplicate column "date"`, false},
		{"missing column", csv.BarsFile, "asset_id,date\n", `bars.csv:1:1: missing required column "close"`, false},
		{"bad date", csv.BarsFile, "asset_id,date,close\nbitcoin,2023-02-29,1\n", `bars.csv:2:9: date: invalid date "2023-02-29"`, false},
		{"close zero", csv.BarsFile, "asset_id,date,close\nbitcoin,2023-02-28,0\n", "bars.csv:2:20: close: 0 must be > 0", false},
		{"close empty", csv.BarsFile, "asset_id,date,close\nbitcoin,2023-02-28,\n", "bars.csv:2:20: close: required value is empty", false},
		{"close NaN", csv.BarsFile, "asset_id,date,close\nbitcoin,2023-02-28,NaN\n", `close: invalid number "NaN"`, false},
		{"close comma", csv.BarsFile, "asset_id,date,close\nbitcoin,2023-02-28,\"1,5\"\n", `close: invalid number "1,5"`, false},
		{"close hex", csv.BarsFile, "asset_id,date,close\nbitcoin,2023-02-28,0x10\n", `close: invalid number "0x10"`, false},
		{"close overflow", csv.BarsFile, "asset_id,date,close\nbitcoin,2023-02-28,1e999\n", `close: invalid number "1e999"`, false},
		{"high below close", csv.BarsFile, "asset_id,date,high,close\nbitcoin,2023-02-28,9,10\n", "bars.csv:2:20: high: 9 is below open, low or close", false},
		{"low above open", csv.BarsFile, "asset_id,date,open,low,close\nbitcoin,2023-02-28,9,9.5,10\n", "bars.csv:2:22: low: 9.5 is above open or close", false},
		{"negative volume", csv.BarsFile, "asset_id,date,close,volume_usd\nbitcoin,2023-02-28,10,-1\n", "volume_usd: -1 must be >= 0", false},
		{"unknown asset", csv.BarsFile, "asset_id,date,close\ndogecoin,2023-02-28,10\n", `bars.csv:2:1: asset_id: unknown asset "dogecoin"`, false},
		{"spaced id", csv.BarsFile, "asset_id,date,close\n bitcoin,2023-02-28,10\n", "leading or trailing spaces", false},
		{"duplicate bar", csv.BarsFile, "asset_id,date,close\nbitcoin,2023-02-28,10\nether,2023-02-28,1\nbitcoin,2023-02-28,11\n", `bars.csv:4:9: date: duplicate row for asset "bitcoin" on 2023-02-28`, false},
		{"known_at before date", csv.ObservationsFile, fixture(t, "observations_known_before.csv"), "observations.csv:3:31: known_at: 2024-01-01 is before date 2024-01-02", false},
		{"empty value", csv.ObservationsFile, "series,date,value\nx:y,2024-01-01,\n", "observations.csv:2:16: value: required value is empty", false},
		{"duplicate observation", csv.ObservationsFile, "series,date,value\nx:y,2024-01-01,1\nx:y,2024-01-01,2\n", `duplicate row for series "x:y"`, false},
		{"constituent unknown asset", csv.ConstituentsFile, fixture(t, "constituents_unknown_asset.csv"), `constituents.csv:3:14: asset_id: unknown asset "dogecoin"`, false},
		{"rank zero", csv.ConstituentsFile, "date,rank,asset_id\n2024-01-01,0,bitcoin\n", `constituents.csv:2:12: rank: invalid rank "0"`, false},
		{"rank fraction", csv.ConstituentsFile, "date,rank,asset_id\n2024-01-01,1.5,bitcoin\n", `rank: invalid rank "1.5"`, false},
		{"truth label", csv.TruthFile, fixture(t, "truth_label.csv"), `truth.csv:3:12: regime: unknown regime "sideways"`, false},
		{"duplicate asset", csv.AssetsFile, fixture(t, "assets_duplicate.csv"), `assets.csv:3:1: id: duplicate id "bitcoin"`, true},
		{"unknown kind", csv.AssetsFile, "id,symbol,name,kind\nbitcoin,BTC,Bitcoin,token\n", `assets.csv:2:21: kind: unknown kind "token"`, true},
		{"empty name", csv.AssetsFile, "id,symbol,name,kind\nbitcoin,BTC,,coin\n", "assets.csv:2:13: name: required value is empty", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			files := map[string]string{csv.AssetsFile: assets, tc.file: tc.body}
			if tc.extra {
				files = map[string]string{csv.AssetsFile: tc.body, csv.BarsFile: "asset_id,date,close\nbitcoin,2024-01-01,1\n"}
			}
			dir := copyDir(t, "", files)
			_, err := csv.Import(ctx, st, dir, csv.Options{})
			if err == nil {
				t.Fatalf("Import succeeded, want error containing %q", tc.want)
			}
			if regime.ErrorCode(err) != regime.EINVALID {
				t.Errorf("code = %q, want %q (%v)", regime.ErrorCode(err), regime.EINVALID, err)
			}
			msg := regime.ErrorMessage(err)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if !strings.HasPrefix(msg, filepath.Join(dir, tc.file)+":") {
				t.Errorf("error %q does not start with the file path", msg)
			}
			stats, err := st.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for table, n := range stats.Tables {
				if n != 0 && !(table == "assets" && !tc.extra) {
					t.Errorf("table %s has %d rows after a failed import of %s", table, n, tc.file)
				}
			}
		})
	}
}

func TestImportNotSchemaDir(t *testing.T) {
	_, err := csv.Import(context.Background(), openStore(t), t.TempDir(), csv.Options{})
	if regime.ErrorCode(err) != regime.EINVALID || !strings.Contains(err.Error(), "no assets.csv") {
		t.Errorf("err = %v, want EINVALID naming assets.csv", err)
	}
}

// A bad row after the first batches (more than 10,000 rows) leaves the
// store exactly as it was: the file is one transaction.
func TestImportBadFileLeavesStoreUnchanged(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if _, err := csv.Import(ctx, st, "testdata/good", csv.Options{}); err != nil {
		t.Fatal(err)
	}
	before, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("asset_id,date,close\n")
	d := regime.MustDate("2000-01-01")
	for i := 0; i < 25000; i++ {
		b.WriteString("bitcoin," + d.AddDays(i).String() + ",100\n")
	}
	b.WriteString("bitcoin,1999-01-01,-5\n")
	dir := copyDir(t, "testdata/good", map[string]string{csv.BarsFile: b.String()})
	_, err = csv.Import(ctx, st, dir, csv.Options{})
	if err == nil || !strings.Contains(err.Error(), "bars.csv:25002:20: close: -5 must be > 0") {
		t.Fatalf("err = %v, want a close error on line 25002", err)
	}
	after, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Hash != after.Hash {
		t.Errorf("store changed after a failed import: %v -> %v", before.Tables, after.Tables)
	}
}

func TestImportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := csv.Import(ctx, openStore(t), "testdata/good", csv.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
