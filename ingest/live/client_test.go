package live_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/ingest/live/livetest"
)

var t0 = time.Date(2024, 6, 30, 12, 0, 30, 0, time.UTC)

func ok(b []byte, _ http.Header) error { return nil }

func TestBudgetNeverExceeded(t *testing.T) {
	for _, b := range []live.Budget{{Cost: 1, Per: time.Second}, {Cost: 5, Per: time.Minute}, {Cost: 30, Per: time.Minute}} {
		t.Run(strconv.Itoa(b.Cost)+"/"+b.Per.String(), func(t *testing.T) {
			clock := live.NewFakeClock(t0)
			srv := livetest.NewServer(clock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
			defer srv.Close()
			c := live.NewClient(live.Config{Name: "t", BaseURL: srv.URL, Clock: clock, Budget: b})
			for range 4 * b.Cost {
				if err := c.Get(context.Background(), "/x", nil, 1, ok); err != nil {
					t.Fatal(err)
				}
			}
			if n := livetest.MaxInWindow(srv.Hits(), b.Per); n > b.Cost {
				t.Errorf("%d requests in one window of %s, budget %d", n, b.Per, b.Cost)
			}
			if n := livetest.MaxInWindow(srv.Hits(), b.Per); n != b.Cost {
				t.Errorf("budget under-used: at most %d in a window, budget %d", n, b.Cost)
			}
		})
	}
}

func TestRetryAfterAndBackoff(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []livetest.Fault
		minGap []time.Duration // least delay before each retry
	}{
		{"429 with Retry-After", []livetest.Fault{livetest.TooManyRetry7}, []time.Duration{7 * time.Second}},
		{"429 without", []livetest.Fault{livetest.TooMany, livetest.TooMany}, []time.Duration{500 * time.Millisecond, time.Second}},
		{"502 with Retry-After", []livetest.Fault{livetest.BadGateway}, []time.Duration{3 * time.Second}},
		{"503 then truncated", []livetest.Fault{livetest.ServerError, livetest.Truncated}, []time.Duration{500 * time.Millisecond, time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := live.NewFakeClock(t0)
			srv := livetest.NewServer(clock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"fine":true,"padding":"xxxxxxxxxxxxxxxx"}`))
			}))
			defer srv.Close()
			srv.Inject(tc.faults...)
			c := live.NewClient(live.Config{Name: "t", BaseURL: srv.URL, Clock: clock, Seed: 3})
			var got struct{ Fine bool }
			err := c.Get(context.Background(), "/x", nil, 1, func(b []byte, _ http.Header) error { return jsonUnmarshal(b, &got) })
			if err != nil || !got.Fine {
				t.Fatalf("Get: %v %+v", err, got)
			}
			hits := srv.Hits()
			if len(hits) != len(tc.faults)+1 {
				t.Fatalf("%d requests, want %d", len(hits), len(tc.faults)+1)
			}
			for i, g := range tc.minGap {
				if d := hits[i+1].Time.Sub(hits[i].Time); d < g {
					t.Errorf("retry %d after %s, want at least %s", i+1, d, g)
				}
			}
		})
	}
}

func TestGiveUp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		faults   []livetest.Fault
		code     string
		requests int
	}{
		{"404 is not retried", []livetest.Fault{livetest.NotFound}, regime.EINVALID, 1},
		{"persistent 503", []livetest.Fault{livetest.ServerError, livetest.ServerError, livetest.ServerError}, regime.EUNAVAILABLE, 3},
		{"timeouts", []livetest.Fault{livetest.Hang, livetest.Hang, livetest.Hang}, regime.EUNAVAILABLE, 3},
		{"ban", []livetest.Fault{livetest.Banned}, regime.EUNAVAILABLE, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := live.NewFakeClock(t0)
			srv := livetest.NewServer(clock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
			defer srv.Close()
			srv.Inject(tc.faults...)
			c := live.NewClient(live.Config{Name: "t", BaseURL: srv.URL, Clock: clock, MaxRetries: 2, Timeout: 100 * time.Millisecond})
			err := c.Get(context.Background(), "/x", nil, 1, ok)
			if regime.ErrorCode(err) != tc.code {
				t.Errorf("error %v, want code %s", err, tc.code)
			}
			if n := len(srv.Hits()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestWeightHeaderPausesUntilNextMinute(t *testing.T) {
	clock := live.NewFakeClock(t0)
	var mu sync.Mutex
	used := map[int64]int{}
	srv := livetest.NewServer(clock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		m := clock.Now().Unix() / 60
		used[m] += 10
		w.Header().Set("X-MBX-USED-WEIGHT-1M", strconv.Itoa(used[m]))
		mu.Unlock()
		w.Write([]byte("[]"))
	}))
	defer srv.Close()
	c := live.NewClient(live.Config{Name: "t", BaseURL: srv.URL, Clock: clock, WeightHeader: "X-Mbx-Used-Weight-1m", WeightLimit: 40})
	for range 12 {
		if err := c.Get(context.Background(), "/x", nil, 10, ok); err != nil {
			t.Fatal(err)
		}
	}
	perMinute := map[int64]int{}
	for _, h := range srv.Hits() {
		perMinute[h.Time.Unix()/60]++
	}
	for m, n := range perMinute {
		if n > 4 {
			t.Errorf("minute %d: %d requests of weight 10 against a limit of 40", m, n)
		}
	}
}

func TestResponseSizeLimit(t *testing.T) {
	clock := live.NewFakeClock(t0)
	srv := livetest.NewServer(clock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 2048)))
	}))
	defer srv.Close()
	c := live.NewClient(live.Config{Name: "t", BaseURL: srv.URL, Clock: clock, MaxBody: 1024})
	err := c.Get(context.Background(), "/x", nil, 1, ok)
	var se *live.StatusError
	if !errors.As(err, &se) || len(srv.Hits()) != 1 {
		t.Errorf("oversized body: %v after %d requests, want a StatusError and no retry", err, len(srv.Hits()))
	}
}
