package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regime-engine/regime"
)

// fakeProviders serves the last 30 days of the Fear & Greed index and of
// the DefiLlama stablecoin chart, relative to the real clock.
func fakeProviders(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		today := regime.DateOf(time.Now())
		var rows []string
		switch r.URL.Path {
		case "/fng/":
			for d := today; d > today-30; d-- {
				rows = append(rows, fmt.Sprintf(`{"value":"%d","value_classification":"Fear","timestamp":"%d"}`, int(d)%100, d.Time().Unix()))
			}
			fmt.Fprintf(w, `{"name":"Fear and Greed Index","data":[%s],"metadata":{"error":null}}`, strings.Join(rows, ","))
		case "/stablecoincharts/all":
			for d := today - 30; d <= today; d++ {
				rows = append(rows, fmt.Sprintf(`{"date":"%d","totalCirculatingUSD":{"peggedUSD":%d}}`, d.Time().Unix(), 1e9+int(d)))
			}
			fmt.Fprint(w, "["+strings.Join(rows, ",")+"]")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestIngestCommand(t *testing.T) {
	srv := fakeProviders(t)
	db := filepath.Join(t.TempDir(), "live.db")
	args := []string{"ingest", "feargreed", "defillama", "--db", db, "--feargreed-url", srv.URL, "--defillama-url", srv.URL, "--json"}
	var out []struct {
		Source string           `json:"source"`
		Rows   map[string]int64 `json:"rows"`
		Error  string           `json:"error"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, args...)), &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Rows["feargreed:value"] != 30 || out[1].Rows["stablecoins:total_circulating_usd"] != 31 {
		t.Fatalf("first run summary %+v", out)
	}
	// A second run finds everything up to date.
	out = nil
	if err := json.Unmarshal([]byte(mustRun(t, args...)), &out); err != nil {
		t.Fatal(err)
	}
	if len(out[0].Rows)+len(out[1].Rows) != 0 {
		t.Errorf("second run wrote %+v, want nothing", out)
	}
	text := mustRun(t, "series", "--db", db)
	if !strings.Contains(text, "feargreed:value") || !strings.Contains(text, "stablecoins:total_circulating_usd") {
		t.Errorf("series after ingest:\n%s", text)
	}
}

func TestIngestErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "e.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ingest", "--budget", "coingecko=abc"}, "--budget"},
		{[]string{"ingest", "binance", "--pairs", "BTCUSDT"}, "--pairs"},
		{[]string{"ingest", "--from", "2024-13-01"}, "--from"},
		{[]string{"ingest", "fred", "--fred-key", ""}, "FRED_API_KEY"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Setenv("FRED_API_KEY", "")
			code, _, errs := runCLI(t, append(tc.args, "--db", db)...)
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Errorf("regime %v: exit %d, stderr %q; want an error naming %s", tc.args, code, errs, tc.want)
			}
		})
	}
}
