package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// BenchOptions configure BenchLoad.
type BenchOptions struct {
	Path          string        // request path of the target, e.g. /v1/gauge
	Header        http.Header   // request headers (the API key)
	Concurrency   int           // client connections (default 16)
	Duration      time.Duration // load time per server (default 3 s)
	ReferenceBody []byte        // body of the plain net/http reference (default 2 KB of JSON)
}

// LoadStats is the outcome of loading one server.
type LoadStats struct {
	Requests  int64         `json:"requests"`
	Errors    int64         `json:"errors" doc:"Transport errors and non-200 answers."`
	Seconds   float64       `json:"seconds"`
	ReqPerSec float64       `json:"req_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
}

// BenchResult compares the target handler with a plain net/http handler
// serving a pre-encoded body, measured in the same run.
type BenchResult struct {
	Target    LoadStats `json:"target"`
	Reference LoadStats `json:"reference"`
	Ratio     float64   `json:"ratio" doc:"Target req/s over reference req/s."`
}

// BenchLoad serves h and a plain reference handler on loopback, one after
// the other, each loaded by Concurrency keep-alive clients for Duration,
// and returns the throughput and latency of both. Client and server share
// the machine, so compare the ratio rather than absolute numbers.
func BenchLoad(ctx context.Context, h http.Handler, opt BenchOptions) (BenchResult, error) {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 16
	}
	if opt.Duration <= 0 {
		opt.Duration = 3 * time.Second
	}
	if opt.Path == "" {
		opt.Path = "/"
	}
	body := opt.ReferenceBody
	if body == nil {
		body = referenceBody(2048)
	}
	ref := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	var res BenchResult
	var err error
	if res.Reference, err = loadServer(ctx, ref, opt); err != nil {
		return res, err
	}
	if res.Target, err = loadServer(ctx, h, opt); err != nil {
		return res, err
	}
	if res.Reference.ReqPerSec > 0 {
		res.Ratio = res.Target.ReqPerSec / res.Reference.ReqPerSec
	}
	return res, nil
}

// referenceBody returns n bytes of valid JSON.
func referenceBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"pad":"`)
	for b.Len() < n-3 {
		b.WriteByte('x')
	}
	b.WriteString("\"}\n")
	return b.Bytes()
}

func loadServer(ctx context.Context, h http.Handler, opt BenchOptions) (LoadStats, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return LoadStats{}, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	req := rawRequest(opt)
	addr := l.Addr().String()
	var (
		mu    sync.Mutex
		lats  []time.Duration
		stats LoadStats
		wg    sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(opt.Duration)
	for i := 0; i < opt.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local, n, bad := rawLoad(ctx, addr, req, deadline)
			mu.Lock()
			stats.Requests += n
			stats.Errors += bad
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	stats.Seconds = time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if len(lats) == 0 {
		return stats, errors.New("bench: no request completed")
	}
	slices.Sort(lats)
	stats.P50 = lats[len(lats)*50/100]
	stats.P99 = lats[min(len(lats)-1, len(lats)*99/100)]
	stats.ReqPerSec = float64(stats.Requests) / stats.Seconds
	return stats, nil
}

// rawRequest is the request BenchLoad sends, pre-encoded.
func rawRequest(opt BenchOptions) []byte {
	var b bytes.Buffer
	b.WriteString("GET " + opt.Path + " HTTP/1.1\r\nHost: bench\r\n")
	for k, vs := range opt.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// rawLoad sends req over one keep-alive connection until deadline and
// returns the latencies, the answers and the failures. It is a minimal
// HTTP/1.1 client (Content-Length bodies only) so that the load
// generator costs far less CPU than the server it measures.
func rawLoad(ctx context.Context, addr string, req []byte, deadline time.Time) (lats []time.Duration, n, bad int64) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, 0, 1
	}
	defer conn.Close()
	conn.SetDeadline(deadline.Add(5 * time.Second))
	br := bufio.NewReaderSize(conn, 32<<10)
	lats = make([]time.Duration, 0, 1<<14)
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(deadline) {
			break
		}
		if _, err := conn.Write(req); err != nil {
			return lats, n, bad + 1
		}
		status, err := readResponse(br)
		if err != nil {
			return lats, n, bad + 1
		}
		if status != http.StatusOK {
			bad++
		}
		n++
		lats = append(lats, time.Since(t0))
	}
	return lats, n, bad
}

// readResponse reads one response with a Content-Length body and returns
// its status.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, errors.New("bench: malformed status line")
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errors.New("bench: malformed status code")
	}
	length := 0
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(bytes.TrimSpace(k), []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, errors.New("bench: malformed Content-Length")
			}
		}
	}
	if _, err := br.Discard(length); err != nil {
		return 0, err
	}
	return status, nil
}
