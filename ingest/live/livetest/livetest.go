// Package livetest is a fake upstream for the tests of the live clients:
// an httptest server that answers from a handler but first injects the
// faults it was told to (429 with and without Retry-After, 418, 5xx,
// hangs, truncated bodies) and logs every request with the fake time it
// arrived, so tests can check budgets and Retry-After.
package livetest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime/ingest/live"
)

// Fault is one injected failure.
type Fault int

// Faults, each answering one request.
const (
	None          Fault = iota
	TooMany             // 429 without Retry-After
	TooManyRetry7       // 429 with Retry-After: 7
	Banned              // 418 with Retry-After: 120
	ServerError         // 503
	BadGateway          // 502 with Retry-After: 3
	Hang                // no answer until the client gives up (timeout)
	Truncated           // the real answer cut in half, status 200
	NotFound            // 404
)

// Hit is one request the server received.
type Hit struct {
	Time   time.Time // fake time at arrival
	Path   string    // path and query
	Status int       // status answered
	Fault  Fault
}

// Server is a fake upstream.
type Server struct {
	*httptest.Server
	clock *live.FakeClock
	next  http.Handler

	mu     sync.Mutex
	queue  []Fault            // faults for the next requests, in order
	byPath map[string][]Fault // faults for the next requests of one path (URL.Path)
	hits   []Hit
	done   chan struct{}
}

// NewServer starts a fake upstream answering with h. Close it when done.
func NewServer(clock *live.FakeClock, h http.Handler) *Server {
	s := &Server{clock: clock, next: h, byPath: map[string][]Fault{}, done: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close releases hanging requests and shuts the server down.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.Server.Close()
}

// Inject queues faults for the next requests, one each, in order.
func (s *Server) Inject(fs ...Fault) {
	s.mu.Lock()
	s.queue = append(s.queue, fs...)
	s.mu.Unlock()
}

// InjectPath queues faults for the next requests whose URL path is path.
func (s *Server) InjectPath(path string, fs ...Fault) {
	s.mu.Lock()
	s.byPath[path] = append(s.byPath[path], fs...)
	s.mu.Unlock()
}

// Hits returns the requests received so far.
func (s *Server) Hits() []Hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Hit(nil), s.hits...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := None
	if q := s.byPath[r.URL.Path]; len(q) > 0 {
		f, s.byPath[r.URL.Path] = q[0], q[1:]
	} else if len(s.queue) > 0 {
		f, s.queue = s.queue[0], s.queue[1:]
	}
	hit := Hit{Time: s.clock.Now(), Path: r.URL.RequestURI(), Fault: f}
	idx := len(s.hits)
	s.hits = append(s.hits, hit)
	s.mu.Unlock()
	status := http.StatusOK
	switch f {
	case TooMany:
		status = http.StatusTooManyRequests
		http.Error(w, `{"code":-1003,"msg":"Too many requests"}`, status)
	case TooManyRetry7:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "7")
		http.Error(w, `{"code":-1003,"msg":"Too many requests"}`, status)
	case Banned:
		status = http.StatusTeapot
		w.Header().Set("Retry-After", "120")
		http.Error(w, `{"code":-1003,"msg":"banned"}`, status)
	case ServerError:
		status = http.StatusServiceUnavailable
		http.Error(w, "unavailable", status)
	case BadGateway:
		status = http.StatusBadGateway
		w.Header().Set("Retry-After", "3")
		http.Error(w, "bad gateway", status)
	case NotFound:
		status = http.StatusNotFound
		http.Error(w, `{"error":"not found"}`, status)
	case Hang:
		status = 0
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
	case Truncated:
		rec := httptest.NewRecorder()
		s.next.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(b[:len(b)/2])
	default:
		rec := httptest.NewRecorder()
		s.next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		status = rec.Code
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}
	s.mu.Lock()
	s.hits[idx].Status = status
	s.mu.Unlock()
}

// MaxInWindow returns the largest number of hits whose times fall in one
// window (t-per, t] — the quantity a sliding-window budget bounds.
func MaxInWindow(hits []Hit, per time.Duration) int {
	best := 0
	for i := range hits {
		n := 0
		for j := range hits {
			if hits[j].Time.After(hits[i].Time.Add(-per)) && !hits[j].Time.After(hits[i].Time) {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// Recorded returns the recorded payload testdata/name of the calling
// test's package, failing the test when it cannot be read.
func Recorded(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
