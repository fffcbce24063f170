package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/storetest"
)

// openPath opens a store on path, failing t on error and closing it at
// the end of the test.
func openPath(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTemp opens a store on a new file in t's temporary directory.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	return openPath(t, filepath.Join(t.TempDir(), "regime.db"))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) regime.Store { return openTemp(t) })
}

// testBars returns n daily bars of asset from source starting 2015-01-01.
func testBars(asset, source string, n int) []regime.Bar {
	start := regime.MustDate("2015-01-01")
	out := make([]regime.Bar, n)
	for i := range out {
		c := 100 + float64(i%97)
		out[i] = regime.Bar{AssetID: asset, Date: start.AddDays(i), Source: source, Open: c - 1, High: c + 2, Low: c - 2,
			Close: c, VolumeUSD: c * 1e6, MarketCapUSD: c * 1e9, Supply: regime.NaN, KnownAt: start.AddDays(i)}
	}
	return out
}

// testAssets returns n coin assets with ids a0000, a0001...
func testAssets(n int) []regime.Asset {
	out := make([]regime.Asset, n)
	for i := range out {
		id := fmt.Sprintf("a%04d", i)
		out[i] = regime.Asset{ID: id, Symbol: strings.ToUpper(id), Name: id, Kind: regime.KindCoin,
			Aliases: []regime.Alias{{Source: regime.SourceCMC, SourceID: id, Symbol: strings.ToUpper(id), Name: id,
				From: regime.MustDate("2020-01-01"), To: regime.MustDate("2020-02-01")}}}
	}
	return out
}

// fill writes a few assets with bars to s.
func fill(t testing.TB, s regime.Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.UpsertAssets(ctx, testAssets(3)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a0000", "a0001", "a0002"} {
		if err := s.UpsertBars(ctx, testBars(id, regime.SourceCoinGecko, 100)); err != nil {
			t.Fatal(err)
		}
	}
}

// stats returns s's Stats or fails t.
func stats(t testing.TB, s regime.Reader) regime.Stats {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rawDB opens path with database/sql directly, bypassing the store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regime.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	want := stats(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := openPath(t, path)
	got := stats(t, r)
	if got.Hash != want.Hash || got.Tables["bars"] != 300 || got.Tables["assets"] != 3 {
		t.Errorf("after reopening: %+v, want %+v", got, want)
	}
	if r.Path() != path {
		t.Errorf("Path() = %q, want %q", r.Path(), path)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regime.db")
	for i := 0; i < 3; i++ {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		if i == 0 {
			fill(t, s)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db := rawDB(t, path)
	var n, maxv int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&n, &maxv); err != nil {
		t.Fatal(err)
	}
	if want := sqlite.SchemaVersion(); n != want || maxv != want {
		t.Errorf("schema_version has %d rows, max %d; want %d and %d", n, maxv, want, want)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	s := openPath(t, path)
	if n := stats(t, s).Tables["bars"]; n != 300 {
		t.Errorf("bars after reopening three times: %d, want 300", n)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("this is not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	s := openPath(t, newer)
	s.Close()
	if _, err := rawDB(t, newer).Exec(`INSERT INTO schema_version (version, name) VALUES (999, '0999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, code, msg string
	}{
		{"text file", text, regime.EINVALID, "is not a SQLite database"},
		{"newer schema", newer, regime.EINVALID, "schema version 999, newer than"},
		{"directory", dir, regime.EINVALID, "is a directory"},
		{"missing directory", filepath.Join(dir, "nope", "regime.db"), regime.EINVALID, "cannot open database"},
		{"empty path", "", regime.EINVALID, "empty database path"},
		{"in-memory", ":memory:", regime.EINVALID, "want a file path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.Open(context.Background(), tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
			var re *regime.Error
			if !errors.As(err, &re) || re.Code != tt.code {
				t.Fatalf("Open(%q) = %v (%T), want a *regime.Error with code %s", tt.path, err, err, tt.code)
			}
			if !strings.Contains(re.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", re.Message, tt.msg)
			}
		})
	}
	t.Run("text file untouched", func(t *testing.T) {
		b, err := os.ReadFile(text)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "this is not a database") {
			t.Errorf("Open modified a file that is not a database")
		}
	})
}

func TestPathWithSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?name#with%chars.db")
	s := openPath(t, path)
	fill(t, s)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not created at %q: %v", path, err)
	}
}

// TestConcurrentReadersWhileWriting checks that readers never fail and
// always see whole transactions while a writer commits batches.
func TestConcurrentReadersWhileWriting(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if err := s.UpsertAssets(ctx, testAssets(1)); err != nil {
		t.Fatal(err)
	}
	const batches, size = 40, 100
	all := testBars("a0000", regime.SourceCoinGecko, batches*size)
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, 16)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := 0; i < batches; i++ {
			err := s.Update(ctx, func(w regime.Writer) error {
				return w.UpsertBars(ctx, all[i*size:(i+1)*size])
			})
			if err != nil {
				errs <- fmt.Errorf("writer: %w", err)
				return
			}
		}
	}()
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				bars, err := s.Bars(ctx, "a0000", regime.DateRange{})
				if err != nil {
					errs <- fmt.Errorf("reader: %w", err)
					return
				}
				if len(bars)%size != 0 {
					errs <- fmt.Errorf("reader saw %d bars, a partial transaction", len(bars))
					return
				}
				st, err := s.Stats(ctx)
				if err != nil {
					errs <- fmt.Errorf("reader stats: %w", err)
					return
				}
				if st.Tables["bars"]%size != 0 {
					errs <- fmt.Errorf("Stats saw %d bars, a partial transaction", st.Tables["bars"])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := stats(t, s).Tables["bars"]; n != batches*size {
		t.Errorf("bars = %d, want %d", n, batches*size)
	}
}

// TestConcurrentWriters checks that writers through one store and through
// a second store on the same file (as a second process would) queue
// instead of failing with "database is locked".
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "regime.db")
	a, b := openPath(t, path), openPath(t, path)
	if err := a.UpsertAssets(ctx, testAssets(8)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("a%04d", i)
			for k := 0; k < 5; k++ {
				bars := testBars(id, regime.SourceCoinGecko, 200)[k*40 : (k+1)*40]
				if err := s.UpsertBars(ctx, bars); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := stats(t, b).Tables["bars"]; n != 8*200 {
		t.Errorf("bars = %d, want %d", n, 8*200)
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := openTemp(t)
	fill(t, s)
	cancel()
	if err := s.UpsertBars(ctx, testBars("a0000", regime.SourceCSV, 10)); err == nil {
		t.Errorf("UpsertBars with a canceled context succeeded")
	}
	if _, err := s.Bars(ctx, "a0000", regime.DateRange{}); err == nil {
		t.Errorf("Bars with a canceled context succeeded")
	}
	if n := stats(t, s).Tables["bars"]; n != 300 {
		t.Errorf("bars = %d after a canceled write, want 300", n)
	}
}

// TestMigrateFromVersion1 turns a current database back into schema
// version 1 and checks that Open brings it forward again, data intact.
func TestMigrateFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regime.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	want := stats(t, s)
	s.Close()
	db := rawDB(t, path)
	for _, q := range []string{
		`DELETE FROM schema_version WHERE version > 1`,
		`DROP INDEX assets_symbol_lower`,
		`DROP INDEX asset_aliases_symbol_lower`,
		`DROP INDEX asset_aliases_source_id_lower`,
		`CREATE INDEX asset_aliases_symbol ON asset_aliases (symbol)`,
		`CREATE INDEX asset_aliases_source_id ON asset_aliases (source_id)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	r := openPath(t, path)
	if got := stats(t, r); got.Hash != want.Hash {
		t.Errorf("content changed by the migration: %+v, want %+v", got, want)
	}
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'assets_symbol_lower'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("migration 2 not applied: index assets_symbol_lower missing")
	}
	if a, err := r.LookupAsset(context.Background(), "A0001"); err != nil || a.ID != "a0001" {
		t.Errorf("LookupAsset after migration = %q, %v", a.ID, err)
	}
}

// TestConcurrentOpen opens one new file from several goroutines at once,
// as several processes starting together would: every Open succeeds and
// the migrations run once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regime.db")
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	stores := make(chan *sqlite.Store, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				errs <- err
				return
			}
			stores <- s
		}()
	}
	wg.Wait()
	close(errs)
	close(stores)
	for err := range errs {
		t.Error(err)
	}
	for s := range stores {
		if err := s.Ping(context.Background()); err != nil {
			t.Error(err)
		}
		s.Close()
	}
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != sqlite.SchemaVersion() {
		t.Errorf("schema_version has %d rows, want %d", n, sqlite.SchemaVersion())
	}
}

func TestClose(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "regime.db"))
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Ping(context.Background()); regime.ErrorCode(err) != regime.EUNAVAILABLE {
		t.Errorf("Ping after Close = %v, want an %s error", err, regime.EUNAVAILABLE)
	}
	if _, err := s.Bars(context.Background(), "a0000", regime.DateRange{}); err == nil {
		t.Errorf("Bars after Close succeeded")
	}
}
