package coinmetrics_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/coinmetrics"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/ingest/live/livetest"
	"github.com/regime-engine/regime/sqlite"
)

func TestParseRecorded(t *testing.T) {
	p, err := coinmetrics.ParseAssetMetrics(livetest.Recorded(t, "asset_metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 2 || p.NextPageToken != "0.MjAyNC0wMS0wM1QwMDowMDowMFo" {
		t.Fatalf("page = %+v", p)
	}
	r := p.Rows[1]
	if r.Asset != "btc" || r.Time != time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC) || r.Values["AdrActCnt"] != 872212 {
		t.Errorf("row = %+v", r)
	}
	if _, ok := r.Values["HashRate"]; ok {
		t.Error("a null metric was given a value")
	}
}

func TestParseRejects(t *testing.T) {
	for name, body := range map[string]string{
		"truncated": `{"data":[{"asset":"btc","time":"2024-01-01T00:00:00.000000000Z","AdrActCnt":"74`,
		"error":     `{"error":{"type":"forbidden","message":"Requested metric is not available with supplied credentials."}}`,
		"no asset":  `{"data":[{"time":"2024-01-01T00:00:00Z","AdrActCnt":"1"}]}`,
		"bad time":  `{"data":[{"asset":"btc","time":"2024-01-01","AdrActCnt":"1"}]}`,
		"number":    `{"data":[{"asset":"btc","time":"2024-01-01T00:00:00Z","AdrActCnt":1}]}`,
		"not a num": `{"data":[{"asset":"btc","time":"2024-01-01T00:00:00Z","AdrActCnt":"NaN"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := coinmetrics.ParseAssetMetrics([]byte(body)); err == nil {
				t.Errorf("accepted %s", body)
			}
		})
	}
}

func value(metric string, d regime.Date) float64 { return float64(len(metric)*1000 + int(d)%97) }

// fake serves pages of 30 days, refuses CapRealUSD (not free), leaves
// HashRate null on the first of each month, and repeats one page once.
type fake struct {
	mu         sync.Mutex
	repeatOnce bool
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	metric := q.Get("metrics")
	if metric == "CapRealUSD" {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":{"type":"forbidden","message":"Requested metric 'CapRealUSD' with frequency '1d' for asset 'btc' is not available with supplied credentials."}}`))
		return
	}
	start, _ := regime.ParseDate(q.Get("start_time"))
	end, _ := regime.ParseDate(q.Get("end_time"))
	if tok := q.Get("next_page_token"); tok != "" {
		n, _ := strconv.Atoi(tok)
		start = regime.Date(n)
	}
	f.mu.Lock()
	repeat := f.repeatOnce && q.Get("next_page_token") != ""
	if repeat {
		f.repeatOnce = false
		start -= 30
	}
	f.mu.Unlock()
	var data []map[string]any
	d := start
	for ; d <= end && len(data) < 30; d++ {
		row := map[string]any{"asset": q.Get("assets"), "time": d.Time().Format("2006-01-02T15:04:05.000000000Z")}
		if metric == "HashRate" && d.Time().Day() == 1 {
			row[metric] = nil
		} else {
			row[metric] = strconv.FormatFloat(value(metric, d), 'f', -1, 64)
		}
		data = append(data, row)
	}
	out := map[string]any{"data": data}
	if d <= end {
		out["next_page_token"] = strconv.Itoa(int(d))
	}
	json.NewEncoder(w).Encode(out)
}

func TestSyncPagesAndRefusedMetric(t *testing.T) {
	ctx := context.Background()
	clock := live.NewFakeClock(regime.MustDate("2024-04-15").Time().Add(3 * time.Hour))
	srv := livetest.NewServer(clock, &fake{repeatOnce: true})
	defer srv.Close()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := coinmetrics.New(live.Config{BaseURL: srv.URL, Clock: clock})
	src.Assets = map[string]string{"btc": "bitcoin"}
	src.Metrics = []string{"AdrActCnt", "CapRealUSD", "HashRate"}
	srv.Inject(livetest.None, livetest.None, livetest.TooMany, livetest.Truncated)
	first := regime.MustDate("2024-01-01")
	sum, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock, From: first})
	if err != nil {
		t.Fatal(err)
	}
	last := regime.DateOf(clock.Now()) - 1
	for _, m := range []string{"AdrActCnt", "HashRate"} {
		obs, err := st.Observations(ctx, "onchain:bitcoin:"+m, regime.DateRange{})
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for d := first; d <= last; d++ {
			if m == "HashRate" && d.Time().Day() == 1 {
				continue
			}
			if i >= len(obs) || obs[i].Date != d || obs[i].Value != value(m, d) || obs[i].KnownAt != d {
				t.Fatalf("%s: observation %d = %+v, want %s = %v", m, i, obs[min(i, len(obs)-1)], d, value(m, d))
			}
			i++
		}
		if i != len(obs) {
			t.Errorf("%s: %d extra observations", m, len(obs)-i)
		}
	}
	rep := sum.Sources[0].Repairs
	if rep["metric refused by the API (not free?): skipped"] != 1 || rep["metric missing on a day"] != 4 || rep["rejected page: repeats earlier days"] != 1 {
		t.Errorf("repairs = %v", rep)
	}
	// The budget of 10 requests per 6 s held.
	if n := livetest.MaxInWindow(srv.Hits(), 6*time.Second); n > 10 {
		t.Errorf("%d requests in 6 s", n)
	}
}
