package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
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
	Concurrency   int           // client connections (default 64)
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
		opt.Concurrency = 64
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
	tr := &http.Transport{MaxIdleConns: opt.Concurrency, MaxIdleConnsPerHost: opt.Concurrency, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := "http://" + l.Addr().String() + opt.Path
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
			local := make([]time.Duration, 0, 4096)
			var n, bad int64
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					break
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				for k, v := range opt.Header {
					req.Header[k] = v
				}
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
				}
				n++
				local = append(local, time.Since(t0))
			}
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
