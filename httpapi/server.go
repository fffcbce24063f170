package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/regime-engine/regime"
	"golang.org/x/time/rate"
)

// Store is what the API reads: a regime.Reader that can be pinged for
// readiness. *sqlite.Store satisfies it.
type Store interface {
	regime.Reader
	Ping(ctx context.Context) error
}

// Config holds the server settings. Start from DefaultConfig.
type Config struct {
	Addr              string        // listen address, e.g. 127.0.0.1:8080
	ReadHeaderTimeout time.Duration // time to read request headers
	ReadTimeout       time.Duration // time to read a whole request
	WriteTimeout      time.Duration // time to write a response (event streams are exempt)
	IdleTimeout       time.Duration // keep-alive idle time
	ShutdownTimeout   time.Duration // grace period for running requests and jobs on shutdown
	MaxBodyBytes      int64         // request bodies above this get 413
	CORSOrigins       []string      // origins allowed to call the API from a browser; "*" allows any
	RateLimit         float64       // requests per second per API key; <= 0 disables
	RateBurst         int           // burst per API key (the quota of an instant)
	MaxJobsPerKey     int           // queued + running jobs per key; <= 0 means 2
	JobWorkers        int           // jobs running at once; <= 0 means 2
	KeyCacheTTL       time.Duration // how long a verified key is trusted without the key store (0 = ask every time)
	GaugeCacheTTL     time.Duration // how long the latest gauge is served from memory
	GaugePoll         time.Duration // how often the gauge is polled for SSE updates and webhooks; 0 disables
	Heartbeat         time.Duration // SSE heartbeat interval
	EventBuffer       int           // events kept for Last-Event-ID resume
	ContentTTL        time.Duration // how long the store's content hash is trusted before re-reading it
	AccessLog         bool          // log one line per request
	Webhook           WebhookConfig
}

// DefaultConfig returns production defaults.
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ShutdownTimeout:   30 * time.Second,
		MaxBodyBytes:      1 << 20,
		RateLimit:         50,
		RateBurst:         100,
		MaxJobsPerKey:     2,
		JobWorkers:        2,
		KeyCacheTTL:       10 * time.Second,
		GaugeCacheTTL:     5 * time.Second,
		GaugePoll:         time.Minute,
		Heartbeat:         15 * time.Second,
		EventBuffer:       1024,
		ContentTTL:        30 * time.Second,
		AccessLog:         true,
		Webhook:           WebhookConfig{MaxAttempts: 5, Backoff: time.Second, Timeout: 10 * time.Second},
	}
}

// Deps are the collaborators of a Server. Store and Keys are required;
// every other source is optional and its routes answer 501 until wired.
type Deps struct {
	Store       Store
	Keys        regime.KeyStore
	Gauge       GaugeSource
	Signals     SignalSource
	Index       IndexSource
	Evaluations EvaluationSource
	Jobs        map[string]JobRunner                             // job kinds; "backtest" backs POST /v1/backtests
	Checkpoint  Checkpointer                                     // receives unfinished jobs on shutdown; optional
	Logger      *slog.Logger                                     // nil discards
	Now         func() time.Time                                 // clock; nil means time.Now
	Registry    *prometheus.Registry                             // metrics registry; nil creates one
	HTTPClient  *http.Client                                     // webhook client; nil uses a client with Webhook.Timeout
	Sleep       func(ctx context.Context, d time.Duration) error // webhook backoff; nil sleeps
	Version     string                                           // reported in the OpenAPI document
	// UI serves the browser dashboard: GET and HEAD requests for a path
	// that matches no route and is not under /v1/ go to it, without an API
	// key (the dashboard's static files are open; the API it calls is not).
	// Nil answers those paths with the 404 problem.
	UI http.Handler
}

// Server is the Regime HTTP API. Create it with New, serve Handler or call
// Serve, and stop it with Shutdown.
type Server struct {
	cfg     Config
	deps    Deps
	store   Store // instrumented
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	mux     *http.ServeMux
	routes  []Route
	handler http.Handler
	spec    []byte
	ridBase string
	ridSeq  atomic.Uint64

	keyMu    sync.Mutex
	keyCache map[string]cachedKey

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter

	events  *broker
	jobs    *jobManager
	gauge   gaugeCache
	content contentVersion
	factors *factorCache
	hook    *webhook

	closing  chan struct{}
	closeOne sync.Once
	bg       sync.WaitGroup
}

type cachedKey struct {
	key     regime.APIKey
	expires time.Time
}

// New builds a Server. It returns an EINVALID error when a required
// dependency is missing or the configuration is inconsistent.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Store == nil || deps.Keys == nil {
		return nil, regime.Errorf(regime.EINVALID, "httpapi: a store and a key store are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxJobsPerKey <= 0 {
		cfg.MaxJobsPerKey = 2
	}
	if cfg.JobWorkers <= 0 {
		cfg.JobWorkers = 2
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 1024
	}
	if cfg.RateLimit > 0 && cfg.RateBurst <= 0 {
		cfg.RateBurst = max(1, int(cfg.RateLimit))
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	if deps.Version == "" {
		deps.Version = "dev"
	}
	var rb [6]byte
	rand.Read(rb[:])
	s := &Server{
		cfg: cfg, deps: deps, log: deps.Logger, now: deps.Now,
		mux: http.NewServeMux(), ridBase: hex.EncodeToString(rb[:]),
		keyCache: map[string]cachedKey{}, limiters: map[string]*rate.Limiter{},
		closing: make(chan struct{}),
	}
	m, err := newMetrics(deps.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.store = &timedStore{Store: deps.Store, m: m}
	s.events = newBroker(cfg.EventBuffer, s.now)
	s.jobs = newJobManager(s, deps.Jobs)
	s.factors = newFactorCache(16)
	if cfg.Webhook.URL != "" {
		s.hook, err = newWebhook(cfg.Webhook, deps.HTTPClient, deps.Sleep, s.log, s.now, m)
		if err != nil {
			return nil, err
		}
	}
	s.registerRoutes()
	if s.spec, err = s.openAPI(); err != nil {
		return nil, fmt.Errorf("httpapi: openapi: %w", err)
	}
	s.finishMux()
	s.handler = s.outer(s.mux)
	if deps.Gauge != nil && cfg.GaugePoll > 0 {
		s.bg.Add(1)
		go s.pollGauge()
	}
	return s, nil
}

// Handler returns the API's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns every registered route, sorted by path then method.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// OpenAPI returns the OpenAPI 3.1 document served at /openapi.json.
func (s *Server) OpenAPI() []byte { return append([]byte(nil), s.spec...) }

// Publish sends an event to SSE subscribers of topic ("gauge", "signals",
// "jobs"). data is encoded as JSON.
func (s *Server) Publish(topic string, data any) { s.events.publish(topic, data) }

// Serve accepts connections on l until ctx is cancelled, then shuts down
// gracefully: it stops accepting, ends event streams, lets running
// requests finish, checkpoints unfinished jobs and returns. The timeouts
// of cfg apply.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	s.log.Info("listening", "addr", l.Addr().String())
	select {
	case err := <-errc:
		sctx, cancel := context.WithTimeout(context.Background(), s.grace())
		defer cancel()
		s.Shutdown(sctx)
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.grace())
	defer cancel()
	// End event streams first: http.Server.Shutdown waits for every
	// connection to go idle, which a stream never does on its own.
	s.beginClose()
	err := hs.Shutdown(sctx)
	if err2 := s.Shutdown(sctx); err == nil {
		err = err2
	}
	s.log.Info("stopped")
	return err
}

func (s *Server) beginClose() {
	s.closeOne.Do(func() {
		close(s.closing)
		s.events.close()
	})
}

func (s *Server) grace() time.Duration {
	if s.cfg.ShutdownTimeout > 0 {
		return s.cfg.ShutdownTimeout
	}
	return 30 * time.Second
}

// Shutdown stops background work: event streams end, running jobs get
// until ctx is done to finish, then are cancelled and handed to the
// Checkpointer. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginClose()
	s.events.close()
	err := s.jobs.shutdown(ctx)
	s.bg.Wait()
	if s.hook != nil {
		s.hook.close()
	}
	return err
}

// add registers rt on the mux behind the auth, limit and metrics wrapper.
func (s *Server) add(rt Route) {
	if rt.Status == 0 {
		rt.Status = http.StatusOK
	}
	if rt.ContentType == "" {
		rt.ContentType = "application/json"
	}
	inner := rt.handler
	route, scope := rt.Path, rt.Scope
	rt.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r.Context())
		if st != nil {
			st.route = route
		}
		if scope != "" {
			key, err := s.authenticate(r, scope)
			if err != nil {
				writeProblem(w, r, err)
				return
			}
			if err := s.allow(key.ID); err != nil {
				writeProblem(w, r, err)
				return
			}
			if st != nil {
				st.keyID, st.key = key.ID, key
			} else {
				r = r.WithContext(context.WithValue(r.Context(), keyCtx{}, key))
			}
		}
		inner.ServeHTTP(w, r)
	})
	s.mux.Handle(rt.Method+" "+rt.Path, rt.handler)
	s.routes = append(s.routes, rt)
}

// finishMux answers other methods on known paths with 405 and unknown
// paths with 404, both as problems; GET and HEAD of unknown paths outside
// /v1/ go to Deps.UI when it is set.
func (s *Server) finishMux() {
	methods := map[string][]string{}
	var paths []string
	for _, rt := range s.routes {
		if methods[rt.Path] == nil {
			paths = append(paths, rt.Path)
		}
		methods[rt.Path] = append(methods[rt.Path], rt.Method)
		if rt.Method == http.MethodGet {
			methods[rt.Path] = append(methods[rt.Path], http.MethodHead)
		}
	}
	for _, p := range paths {
		allow := strings.Join(methods[p], ", ")
		route := p
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			if st := stateOf(r.Context()); st != nil {
				st.route = route
			}
			writeProblem(w, r, &apiError{status: http.StatusMethodNotAllowed, code: codeNotAllowed,
				msg: "method " + r.Method + " not allowed; allowed: " + allow, header: http.Header{"Allow": {allow}}})
		})
	}
	ui := s.deps.UI
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if ui != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
			if st := stateOf(r.Context()); st != nil {
				st.route = "ui"
			}
			ui.ServeHTTP(w, r)
			return
		}
		writeProblem(w, r, regime.Errorf(regime.ENOTFOUND, "no such endpoint; see /openapi.json"))
	})
}

type keyCtx struct{}

// keyOf returns the authenticated key of a request.
func keyOf(ctx context.Context) regime.APIKey {
	if st := stateOf(ctx); st != nil && st.key.ID != "" {
		return st.key
	}
	k, _ := ctx.Value(keyCtx{}).(regime.APIKey)
	return k
}

// tokenOf extracts the API key token from Authorization: Bearer or
// X-API-Key.
func tokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

func errNoKey() error {
	return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized,
		msg:    "missing API key: send Authorization: Bearer <key> or X-API-Key",
		header: http.Header{"WWW-Authenticate": {`Bearer realm="regime"`}}}
}

// authenticate resolves the request's key and checks it grants scope.
func (s *Server) authenticate(r *http.Request, scope regime.Scope) (regime.APIKey, error) {
	tok := tokenOf(r)
	if tok == "" {
		return regime.APIKey{}, errNoKey()
	}
	bad := &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, msg: "invalid API key",
		header: http.Header{"WWW-Authenticate": {`Bearer realm="regime", error="invalid_token"`}}}
	if !strings.HasPrefix(tok, regime.APIKeyPrefix) || len(tok) > 128 {
		return regime.APIKey{}, bad
	}
	hash := regime.HashAPIKey(tok)
	now := s.now()
	s.keyMu.Lock()
	c, ok := s.keyCache[hash]
	s.keyMu.Unlock()
	key := c.key
	if !ok || !now.Before(c.expires) {
		k, err := s.deps.Keys.KeyByHash(r.Context(), hash)
		if regime.ErrorCode(err) == regime.ENOTFOUND {
			return regime.APIKey{}, bad
		}
		if err != nil {
			s.logError(r, err)
			return regime.APIKey{}, &regime.Error{Code: regime.EUNAVAILABLE, Message: "key store unavailable", Err: err}
		}
		key = k
		if s.cfg.KeyCacheTTL > 0 {
			s.keyMu.Lock()
			if len(s.keyCache) > 10000 {
				clear(s.keyCache)
			}
			s.keyCache[hash] = cachedKey{key: k, expires: now.Add(s.cfg.KeyCacheTTL)}
			s.keyMu.Unlock()
		}
	}
	if key.Revoked() {
		bad.msg = "API key revoked"
		return regime.APIKey{}, bad
	}
	if !key.Allows(scope) {
		return regime.APIKey{}, &apiError{status: http.StatusForbidden, code: codeForbidden,
			msg: "API key lacks scope " + string(scope)}
	}
	return key, nil
}

// allow applies the per-key rate limit.
func (s *Server) allow(keyID string) error {
	if s.cfg.RateLimit <= 0 {
		return nil
	}
	s.limMu.Lock()
	l := s.limiters[keyID]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.cfg.RateLimit), s.cfg.RateBurst)
		s.limiters[keyID] = l
	}
	s.limMu.Unlock()
	now := s.now()
	if l.AllowN(now, 1) {
		return nil
	}
	res := l.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	secs := int64(wait / time.Second)
	if wait%time.Second != 0 {
		secs++
	}
	secs = max(1, secs)
	return &apiError{status: http.StatusTooManyRequests, code: codeRateLimited,
		msg:    fmt.Sprintf("rate limit of %g requests/s exceeded; retry in %d s", s.cfg.RateLimit, secs),
		header: http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}}
}

// reqState travels in the request context so the outer middleware learns
// the route and key chosen inside.
type reqState struct {
	id     string
	route  string
	keyID  string
	key    regime.APIKey
	status int
}

type stateCtx struct{}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateCtx{}).(*reqState)
	return st
}

func requestID(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.id
	}
	return ""
}

// statusWriter records the status code.
type statusWriter struct {
	http.ResponseWriter
	st *reqState
}

func (w *statusWriter) WriteHeader(code int) {
	if w.st.status == 0 {
		w.st.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.st.status == 0 {
		w.st.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// outer is the middleware every request goes through: request id,
// recovery, CORS, body limits, metrics and the access log.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &reqState{id: r.Header.Get("X-Request-ID")}
		if !validRequestID(st.id) {
			st.id = s.ridBase + "-" + strconv.FormatUint(s.ridSeq.Add(1), 36)
		}
		r = r.WithContext(context.WithValue(r.Context(), stateCtx{}, st))
		sw := &statusWriter{ResponseWriter: w, st: st}
		sw.Header()["X-Request-Id"] = []string{st.id}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", st.id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if st.status == 0 {
					writeProblem(sw, r, errors.New("panic"))
				}
			}
			route := st.route
			if route == "" {
				route = "unmatched"
			}
			if st.status == 0 {
				st.status = http.StatusOK
			}
			d := time.Since(start)
			s.metrics.observe(route, r.Method, st.status, d)
			if s.cfg.AccessLog {
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("request_id", st.id), slog.String("method", r.Method), slog.String("route", route),
					slog.Int("status", st.status), slog.Duration("duration", d), slog.String("key", st.keyID))
			}
		}()
		if s.cors(sw, r) {
			return
		}
		if r.ContentLength > s.cfg.MaxBodyBytes {
			writeProblem(sw, r, &http.MaxBytesError{Limit: s.cfg.MaxBodyBytes})
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(sw, r)
	})
}

// cors sets CORS headers for allowed origins and answers preflight
// requests; it reports whether the request was fully handled.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.cfg.CORSOrigins) == 0 {
		return false
	}
	ok := false
	for _, o := range s.cfg.CORSOrigins {
		ok = ok || o == "*" || o == origin
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if !ok {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "ETag, Retry-After, X-Request-ID, Location")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, X-API-Key, Content-Type, If-None-Match, Last-Event-ID, X-Request-ID")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// logError logs an error response's internals (never shown to users).
func (s *Server) logError(r *http.Request, err error) {
	status, code := statusOf(err)
	lvl := slog.LevelDebug
	if status >= 500 {
		lvl = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), lvl, "request error", slog.String("request_id", requestID(r.Context())),
		slog.String("code", code), slog.String("error", err.Error()))
}
