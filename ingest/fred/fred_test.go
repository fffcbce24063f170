package fred_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/fred"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/ingest/live/livetest"
	"github.com/regime-engine/regime/sqlite"
)

func TestFirstReleasesRecorded(t *testing.T) {
	p, err := fred.ParseObservations(livetest.Recorded(t, "observations.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 6 || len(p.Rows) != 6 {
		t.Fatalf("page = %+v", p)
	}
	obs, unknown, missing := fred.FirstReleases("DGS10", 1, p.Rows)
	if unknown != 0 || missing != 1 {
		t.Errorf("unknown %d missing %d, want 0 and 1 (the holiday)", unknown, missing)
	}
	want := []struct {
		date, known string
		v           float64
	}{{"2024-01-02", "2024-01-03", 3.95}, {"2024-01-03", "2024-01-04", 3.91}, {"2024-01-04", "2024-01-05", 3.99}, {"2024-01-05", "2024-01-08", 4.05}}
	if len(obs) != len(want) {
		t.Fatalf("obs = %+v", obs)
	}
	for i, w := range want {
		o := obs[i]
		if o.Series != "fred:DGS10" || o.Date.String() != w.date || o.KnownAt.String() != w.known || o.Value != w.v {
			t.Errorf("obs %d = %+v, want %s known %s value %v (the first release, not the revision)", i, o, w.date, w.known, w.v)
		}
	}
	// A vintage years after the date predates ALFRED: the lag applies.
	old := []fred.Vintage{{Date: regime.MustDate("1990-01-02"), RealtimeStart: regime.MustDate("2011-06-01"), RealtimeEnd: regime.MustDate("9999-12-31"), Value: 8}}
	obs, unknown, _ = fred.FirstReleases("DGS10", 1, old)
	if unknown != 1 || obs[0].KnownAt.String() != "1990-01-03" {
		t.Errorf("pre-ALFRED vintage: %+v unknown %d", obs, unknown)
	}
}

func TestParseRejects(t *testing.T) {
	for name, body := range map[string]string{
		"truncated":  `{"count":2,"observations":[{"date":"2024-01-01"`,
		"error":      `{"error_code":400,"error_message":"Bad Request.  The value for variable api_key is not registered."}`,
		"bad date":   `{"count":1,"observations":[{"realtime_start":"2024-01-02","realtime_end":"2024-01-02","date":"01/01/2024","value":"1"}]}`,
		"bad value":  `{"count":1,"observations":[{"realtime_start":"2024-01-02","realtime_end":"2024-01-02","date":"2024-01-01","value":"n/a"}]}`,
		"bad period": `{"count":1,"observations":[{"realtime_start":"2024-01-05","realtime_end":"2024-01-02","date":"2024-01-01","value":"1"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := fred.ParseObservations([]byte(body)); err == nil {
				t.Errorf("accepted %s", body)
			}
		})
	}
}

// fake serves a daily series from 2024-01-01 with one revision per ten
// days and 7 rows per page whatever the limit, like a paged FRED answer.
type obsRow struct {
	RS string `json:"realtime_start"`
	RE string `json:"realtime_end"`
	D  string `json:"date"`
	V  string `json:"value"`
}

func rows(last regime.Date) []obsRow {
	var out []obsRow
	for d := regime.MustDate("2024-01-01"); d <= last; d++ {
		v := strconv.Itoa(int(d) % 17)
		if d.Time().Weekday() == time.Sunday {
			v = "."
		}
		out = append(out, obsRow{(d + 1).String(), "9999-12-31", d.String(), v})
		if int(d)%10 == 0 && v != "." {
			out[len(out)-1].RE = (d + 5).String()
			out = append(out, obsRow{(d + 6).String(), "9999-12-31", d.String(), "99"})
		}
	}
	return out
}

func handler(clock *live.FakeClock) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("api_key") != "secret" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error_code":400,"error_message":"Bad Request.  The value for variable api_key is not registered."}`))
			return
		}
		start, _ := regime.ParseDate(q.Get("observation_start"))
		var all []obsRow
		for _, o := range rows(regime.DateOf(clock.Now()) - 1) {
			if d, _ := regime.ParseDate(o.D); d >= start {
				all = append(all, o)
			}
		}
		off, _ := strconv.Atoi(q.Get("offset"))
		page := all[min(off, len(all)):min(off+7, len(all))]
		if page == nil {
			page = []obsRow{}
		}
		json.NewEncoder(w).Encode(map[string]any{"count": len(all), "offset": off, "limit": 100000, "observations": page})
	})
}

func TestSyncPagedVintages(t *testing.T) {
	ctx := context.Background()
	clock := live.NewFakeClock(regime.MustDate("2024-03-01").Time().Add(8 * time.Hour))
	srv := livetest.NewServer(clock, handler(clock))
	defer srv.Close()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := fred.New(live.Config{BaseURL: srv.URL, Clock: clock}, "secret")
	src.Series = []fred.Series{{ID: "DGS10", Lag: 1}}
	srv.Inject(livetest.None, livetest.Truncated, livetest.ServerError)
	from := regime.MustDate("2024-01-01")
	if _, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock, From: from}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(72 * time.Hour)
	if _, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock}); err != nil {
		t.Fatal(err)
	}
	last := regime.DateOf(clock.Now()) - 1
	obs, err := st.Observations(ctx, "fred:DGS10", regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for d := from; d <= last; d++ {
		if d.Time().Weekday() == time.Sunday {
			continue
		}
		if i >= len(obs) {
			t.Fatalf("missing %s", d)
		}
		o := obs[i]
		if o.Date != d || o.Value != float64(int(d)%17) || o.KnownAt != d+1 {
			t.Fatalf("obs %+v, want %s = %d known %s (first release)", o, d, int(d)%17, d+1)
		}
		i++
	}
	if i != len(obs) {
		t.Errorf("%d extra observations", len(obs)-i)
	}
	src.APIKey = "wrong"
	clock.Advance(24 * time.Hour)
	n := len(srv.Hits())
	if _, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock}); regime.ErrorCode(err) != regime.EINVALID || len(srv.Hits()) != n+1 {
		t.Errorf("bad key: %v after %d requests, want EINVALID after 1", err, len(srv.Hits())-n)
	}
}
