package live_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/binance"
	"github.com/regime-engine/regime/ingest/feargreed"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/ingest/live/livetest"
	"github.com/regime-engine/regime/sqlite"
)

// The crash scenario: Binance daily and hourly klines for two pairs and
// the Fear & Greed history, served by an in-process fake upstream with
// small pages and seeded faults, ingested at a fixed fake time.
var (
	crashNow   = regime.MustDate("2024-06-30").Time().Add(15*time.Hour + 30*time.Minute)
	crashFirst = crashStart()
	crashPairs = []binance.Pair{{Asset: "bitcoin", Symbol: "BTCUSDT", Base: "BTC", Name: "Bitcoin"}, {Asset: "ethereum", Symbol: "ETHUSDT", Base: "ETH", Name: "Ethereum"}}
	hourFrom   = crashFirst.Time().Unix()
)

const crashEnv = "REGIME_LIVE_CRASH_DB"

// crashStart is the first day of the scenario: less history under the
// race detector, where everything runs several times slower.
func crashStart() regime.Date {
	if raceEnabled {
		return regime.MustDate("2024-01-01")
	}
	return regime.MustDate("2022-09-01")
}

// upstream serves klines (pages of 40 days or 500 hours) and the index from crashFirst.
func upstream(now time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/api/v3/klines":
			step := int64(86400000)
			if q.Get("interval") == "1h" {
				step = 3600000
			}
			sym := q.Get("symbol")
			start, _ := strconv.ParseInt(q.Get("startTime"), 10, 64)
			t0 := max(start, int64(crashFirst)*86400000)
			t0 = (t0 + step - 1) / step * step
			page := 40
			if step == 3600000 {
				page = 500
			}
			var rows [][]any
			for t := t0; t <= now.UnixMilli() && len(rows) < page; t += step {
				p := float64(100+(t/step)%37) * float64(len(sym))
				rows = append(rows, []any{t, f8(p), f8(p + 2), f8(p - 2), f8(p + 1), "10", t + step - 1, f8(10 * p), 3, "0", "0", "0"})
			}
			json.NewEncoder(w).Encode(rows)
		case "/api/v3/depth":
			w.Write([]byte(`{"lastUpdateId":1,"bids":[["100.0","1.0"],["97.0","1.0"]],"asks":[["100.2","2.0"],["103.0","1.0"]]}`))
		case "/fng/":
			var rows []string
			for d := regime.DateOf(now); d >= crashFirst; d-- {
				rows = append(rows, fmt.Sprintf(`{"value":"%d","value_classification":"x","timestamp":"%d"}`, int(d)%101, d.Time().Unix()))
			}
			fmt.Fprintf(w, `{"name":"Fear and Greed Index","data":[%s],"metadata":{"error":null}}`, strings.Join(rows, ","))
		default:
			http.NotFound(w, r)
		}
	})
}

func f8(v float64) string { return strconv.FormatFloat(v, 'f', 8, 64) }

// ingest runs the crash scenario into the store at path.
func ingest(ctx context.Context, path string, seed uint64) error {
	clock := live.NewFakeClock(crashNow)
	srv := livetest.NewServer(clock, upstream(crashNow))
	defer srv.Close()
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 200 {
		f := livetest.None
		switch rng.IntN(12) {
		case 0:
			f = livetest.ServerError
		case 1:
			f = livetest.TooMany
		case 2:
			f = livetest.Truncated
		}
		srv.Inject(f)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	b := binance.New(live.Config{BaseURL: srv.URL, Clock: clock, Seed: seed, MaxRetries: 12})
	b.Pairs, b.Hourly = crashPairs, true
	fg := feargreed.New(live.Config{BaseURL: srv.URL, Clock: clock, Seed: seed, MaxRetries: 12})
	_, err = live.Run(ctx, st, []live.Source{b, fg}, live.Options{Clock: clock, From: crashFirst})
	return err
}

// TestCrashChild is the child process of TestCrashResume; it does
// nothing unless started by it.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child of TestCrashResume only")
	}
	seed, _ := strconv.ParseUint(os.Getenv(crashEnv+"_SEED"), 10, 64)
	if err := ingest(context.Background(), path, seed); err != nil {
		t.Fatal(err)
	}
}

// TestCrashResume kills an ingesting child process with SIGKILL at seeded
// random moments and checks after every kill that the store is intact and
// consistent with its watermarks, then that a final run completes to
// exactly the content of an uninterrupted run.
func TestCrashResume(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	kills := 30
	if testing.Short() || raceEnabled {
		kills = 6
	}
	ctx := context.Background()
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.db")
	start := time.Now()
	if err := ingest(ctx, clean, 99); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	want := statsOf(t, clean)
	path := filepath.Join(dir, "crash.db")
	rng := rand.New(rand.NewPCG(20261207, 7))
	// Episodes: restart a killed child until one completes, check the
	// result, then start again from an empty store, until kills children
	// have been killed.
	killed, midway, episodes := 0, 0, 0
	for i := 0; killed < kills; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, crashEnv+"_SEED="+strconv.Itoa(i))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The kill moment is random; the checks below do not depend on it.
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("child %d failed: %v\n%s", i, err, out.String())
			}
			checkIntegrity(t, path)
			if got := statsOf(t, path); got.Hash != want.Hash {
				t.Fatalf("episode %d: after kills and a completed run the store differs from an uninterrupted run: %v, want %v", episodes, got.Tables, want.Tables)
			}
			episodes++
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		case <-time.After(time.Duration(rng.Int64N(int64(took/3))) + 30*time.Millisecond):
			cmd.Process.Kill() // SIGKILL
			<-done
			killed++
			if _, err := os.Stat(path); err != nil || statsOf(t, path).Hash != want.Hash {
				midway++
			}
			checkIntegrity(t, path)
		}
	}
	if err := ingest(ctx, path, 1234); err != nil {
		t.Fatal(err)
	}
	checkIntegrity(t, path)
	if got := statsOf(t, path); got.Hash != want.Hash {
		t.Errorf("after %d kills the store differs from an uninterrupted run: %v, want %v", killed, got.Tables, want.Tables)
	}
	t.Logf("uninterrupted ingest: %s; kills at random in [30ms, 30ms+%s) after start", took.Round(time.Millisecond), (took / 3).Round(time.Millisecond))
	t.Logf("%d children killed with SIGKILL (%d before their ingest was complete) over %d completed episodes; store intact after each kill, exact after each episode", killed, midway, episodes)
}

func statsOf(t *testing.T, path string) regime.Stats {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkIntegrity runs PRAGMA integrity_check, looks for duplicate keys
// and checks every watermark against the rows it covers: the rows of its
// series run without a hole from the first day to the watermark and none
// lies beyond it.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return // killed before the store was created
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer st.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
	for _, q := range []string{
		`SELECT COUNT(*) FROM (SELECT 1 FROM bars GROUP BY asset_id, source, date HAVING COUNT(*) > 1)`,
		`SELECT COUNT(*) FROM (SELECT 1 FROM candles GROUP BY asset_id, source, time HAVING COUNT(*) > 1)`,
		`SELECT COUNT(*) FROM (SELECT 1 FROM observations GROUP BY series, date HAVING COUNT(*) > 1)`,
	} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%s = %d, %v", q, n, err)
		}
	}
	ctx := context.Background()
	wms, err := st.Watermarks(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, wm := range wms {
		var n, lo, hi int64
		var q string
		var args []any
		switch {
		case strings.HasPrefix(wm.Series, "bars:"):
			q, args = `SELECT COUNT(*), COALESCE(MIN(date),0), COALESCE(MAX(date),0) FROM bars WHERE asset_id = ? AND source = ?`, []any{wm.Series[5:], wm.Source}
		case strings.HasPrefix(wm.Series, "candles:"):
			q, args = `SELECT COUNT(*), COALESCE(MIN(time),0), COALESCE(MAX(time),0) FROM candles WHERE asset_id = ? AND source = ?`, []any{wm.Series[8:], wm.Source}
		case strings.HasPrefix(wm.Series, "depth:"):
			continue
		default:
			q, args = `SELECT COUNT(*), COALESCE(MIN(date),0), COALESCE(MAX(date),0) FROM observations WHERE series = ?`, []any{wm.Series}
		}
		covered[wm.Series] = true
		if err := db.QueryRow(q, args...).Scan(&n, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(wm.Series, "candles:"):
			if lo != hourFrom || hi != wm.Time || n != (hi-lo)/3600+1 {
				t.Fatalf("%s: %d candles %d..%d, watermark %d (from %d)", wm.Series, n, lo, hi, wm.Time, hourFrom)
			}
		default:
			if lo != int64(crashFirst) || hi != int64(wm.Through) || n != hi-lo+1 {
				t.Fatalf("%s: %d rows %s..%s, watermark %s", wm.Series, n, regime.Date(lo), regime.Date(hi), wm.Through)
			}
		}
	}
	// Every stored series has a watermark: no row was written outside a
	// page transaction.
	rows, err := db.Query(`SELECT DISTINCT 'bars:' || asset_id FROM bars UNION SELECT DISTINCT 'candles:' || asset_id FROM candles
		UNION SELECT DISTINCT series FROM observations WHERE series NOT LIKE 'liquidity:%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if !covered[s] {
			t.Fatalf("series %s has rows but no watermark", s)
		}
	}
}
