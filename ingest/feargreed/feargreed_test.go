package feargreed_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/feargreed"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/ingest/live/livetest"
	"github.com/regime-engine/regime/sqlite"
)

func TestParseRecorded(t *testing.T) {
	pts, err := feargreed.Parse(livetest.Recorded(t, "fng.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		date string
		v    float64
	}{{"2024-01-02", 72}, {"2024-01-01", 65}, {"2024-01-01", 65}, {"2023-12-31", 70}, {"2023-12-29", 8}}
	if len(pts) != len(want) {
		t.Fatalf("got %d points, want %d", len(pts), len(want))
	}
	for i, w := range want {
		if pts[i].Date.String() != w.date || pts[i].Value != w.v {
			t.Errorf("point %d = %s %v, want %s %v", i, pts[i].Date, pts[i].Value, w.date, w.v)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for name, body := range map[string]string{
		"truncated":  `{"name":"Fear and Greed Index","data":[{"value":"7`,
		"no data":    `{"name":"x","metadata":{"error":null}}`,
		"error":      `{"data":[],"metadata":{"error":"rate limited"}}`,
		"bad value":  `{"data":[{"value":"high","timestamp":"1704067200"}]}`,
		"bad time":   `{"data":[{"value":"1","timestamp":"yesterday"}]}`,
		"not object": `[1,2]`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := feargreed.Parse([]byte(body)); err == nil {
				t.Errorf("Parse accepted %s", body)
			}
		})
	}
}

// fake serves days [first, last] of a deterministic index, newest first,
// honouring limit like alternative.me, with one duplicated day.
func fake(first, last regime.Date) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := 0
		fmt.Sscan(r.URL.Query().Get("limit"), &limit)
		var rows []string
		for d := last; d >= first; d-- {
			if limit > 0 && len(rows) >= limit {
				break
			}
			row := fmt.Sprintf(`{"value":"%d","value_classification":"Neutral","timestamp":"%d"}`, value(d), d.Time().Unix())
			rows = append(rows, row)
			if d == last-3 {
				rows = append(rows, row) // duplicate
			}
		}
		fmt.Fprintf(w, `{"name":"Fear and Greed Index","data":[%s],"metadata":{"error":null}}`, strings.Join(rows, ","))
	})
}

func value(d regime.Date) int { return int(d*7) % 101 }

func TestSyncFaultsAndIncremental(t *testing.T) {
	ctx := context.Background()
	first := regime.MustDate("2023-01-01")
	today := regime.MustDate("2024-06-30")
	clock := live.NewFakeClock(today.Time().Add(9 * time.Hour))
	srv := livetest.NewServer(clock, fake(first, today))
	defer srv.Close()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := feargreed.New(live.Config{BaseURL: srv.URL, Clock: clock, Timeout: 200 * time.Millisecond})
	srv.Inject(livetest.TooManyRetry7, livetest.ServerError, livetest.Truncated, livetest.Hang)
	sum, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock, From: first})
	if err != nil {
		t.Fatal(err)
	}
	hits := srv.Hits()
	if len(hits) != 5 {
		t.Fatalf("%d requests, want 5 (4 faults + 1 success)", len(hits))
	}
	if d := hits[1].Time.Sub(hits[0].Time); d < 7*time.Second {
		t.Errorf("request after Retry-After: 7 came %s later", d)
	}
	check(t, st, first, today)
	if got := sum.Sources[0].Repairs; got["duplicate day"] != 1 || got["out of order"] != 0 {
		t.Errorf("repairs = %v, want one duplicate day and newest-first accepted as documented", got)
	}
	// Next day: only the new day is requested and stored.
	clock.Advance(24 * time.Hour)
	srv2 := livetest.NewServer(clock, fake(first, today+1))
	defer srv2.Close()
	src = feargreed.New(live.Config{BaseURL: srv2.URL, Clock: clock})
	sum, err = live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Sources[0].Rows[feargreed.Series]; got != 1 {
		t.Errorf("incremental run wrote %d rows, want 1", got)
	}
	if q := srv2.Hits()[0].Path; !strings.Contains(q, "limit=3") {
		t.Errorf("incremental request %s, want limit=3", q)
	}
	check(t, st, first, today+1)
}

func check(t *testing.T, st *sqlite.Store, first, last regime.Date) {
	t.Helper()
	obs, err := st.Observations(context.Background(), feargreed.Series, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != int(last-first)+1 {
		t.Fatalf("stored %d days, want %d", len(obs), int(last-first)+1)
	}
	for i, o := range obs {
		d := first + regime.Date(i)
		if o.Date != d || o.Value != float64(value(d)) || o.KnownAt != d || o.Source != regime.SourceFearGreed {
			t.Fatalf("obs %d = %+v, want %s %d", i, o, d, value(d))
		}
	}
	wm, err := st.Watermark(context.Background(), regime.SourceFearGreed, feargreed.Series)
	if err != nil || wm.Through != last {
		t.Errorf("watermark %+v, %v; want through %s", wm, err, last)
	}
}
