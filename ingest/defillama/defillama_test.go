package defillama_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/defillama"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/ingest/live/livetest"
	"github.com/regime-engine/regime/sqlite"
)

func TestParseRecorded(t *testing.T) {
	pts, err := defillama.ParseChart(livetest.Recorded(t, "stablecoincharts_all.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].TotalUSD != 130150012345.25+104910001.75 || pts[1].TotalUSD != 130300000000.5+105000000.5 {
		t.Errorf("points = %+v", pts)
	}
	if d := defillama.DayOf(pts[0].Time); d.String() != "2023-12-31" {
		t.Errorf("00:00 2024-01-01 closes %s, want 2023-12-31", d)
	}
}

func TestParseRejects(t *testing.T) {
	for name, body := range map[string]string{
		"truncated": `[{"date":"1704067200","totalCirculatingUSD":{"peggedUSD":1`,
		"no date":   `[{"totalCirculatingUSD":{"peggedUSD":1}}]`,
		"bad date":  `[{"date":"yesterday","totalCirculatingUSD":{"peggedUSD":1}}]`,
		"no total":  `[{"date":"1704067200"}]`,
		"negative":  `[{"date":"1704067200","totalCirculatingUSD":{"peggedUSD":-1}}]`,
		"object":    `{"message":"Internal server error"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := defillama.ParseChart([]byte(body)); err == nil {
				t.Errorf("accepted %s", body)
			}
		})
	}
}

func supply(d regime.Date) float64 { return 1e11 + float64(d) }

// chart serves days first..today (the last being today's partial value),
// out of order at the end and with one duplicated entry.
func chart(clock *live.FakeClock, first regime.Date) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		today := regime.DateOf(clock.Now())
		var rows []string
		for d := first; d <= today; d++ { // the entry at 00:00 of d+1 closes d
			rows = append(rows, fmt.Sprintf(`{"date":"%d","totalCirculatingUSD":{"peggedUSD":%v}}`, d.AddDays(1).Time().Unix(), supply(d)))
		}
		n := len(rows)
		rows[n-2], rows[n-3] = rows[n-3], rows[n-2]
		rows = append(rows, rows[5])
		fmt.Fprint(w, "["+strings.Join(rows, ",")+"]")
	})
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	clock := live.NewFakeClock(regime.MustDate("2024-03-01").Time().Add(6 * time.Hour))
	first := regime.MustDate("2023-01-01")
	srv := livetest.NewServer(clock, chart(clock, first))
	defer srv.Close()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := defillama.New(live.Config{BaseURL: srv.URL, Clock: clock})
	srv.Inject(livetest.Truncated, livetest.TooManyRetry7)
	sum, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	obs, err := st.Observations(ctx, defillama.Series, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	today := regime.DateOf(clock.Now())
	if len(obs) != int(today-first) {
		t.Fatalf("%d observations, want %d (through yesterday)", len(obs), int(today-first))
	}
	for i, o := range obs {
		d := first + regime.Date(i)
		if o.Date != d || o.Value != supply(d) || o.KnownAt != d {
			t.Fatalf("obs %+v, want %s = %v", o, d, supply(d))
		}
	}
	rep := sum.Sources[0].Repairs
	if rep["out of order"] != 2 || rep["duplicate day"] != 1 || rep["day not closed"] != 1 {
		t.Errorf("repairs %v", rep)
	}
}
