package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/regime-engine/regime"
)

// Config configures a Client. Zero fields take the defaults documented on
// each.
type Config struct {
	Name    string      // provider name used in errors ("binance")
	BaseURL string      // scheme://host[/prefix], without a trailing slash
	Header  http.Header // sent with every request (API keys)
	Budget  Budget      // client-side rate limit; zero = unlimited
	// Timeout bounds each request, body included (default 30s).
	Timeout time.Duration
	// MaxBody is the largest response body accepted (default 64 MiB).
	MaxBody int64
	// MaxRetries is how many times a failed request is retried (default
	// 5; negative = never).
	MaxRetries int
	// BaseDelay and MaxDelay bound the exponential backoff (defaults 1s
	// and 2 min). The n-th retry waits a random duration in
	// [d/2, d] with d = min(MaxDelay, BaseDelay*2^n), unless the server
	// said Retry-After, which is honoured exactly (and capped at
	// MaxRetryAfter).
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps a Retry-After the client is willing to wait
	// (default 10 min); a longer one fails the request as unavailable.
	MaxRetryAfter time.Duration
	// BanTime is how long the circuit breaker stays open after a ban
	// (HTTP 418) without Retry-After (default 5 min).
	BanTime time.Duration
	// WeightHeader names a response header reporting the weight used in
	// the current minute (Binance "X-Mbx-Used-Weight-1m"); when it
	// reaches WeightLimit the client waits for the next minute.
	WeightHeader string
	WeightLimit  int
	HTTP         *http.Client // default: a client without its own timeout
	Clock        Clock        // default SystemClock
	Seed         uint64       // seeds the backoff jitter
}

// Client fetches from one provider. It is safe for concurrent use; the
// budget, Retry-After and circuit breaker are shared by all requests.
type Client struct {
	cfg Config

	mu        sync.Mutex // serialises budget accounting and the jitter source
	lim       limiter
	rng       *rand.Rand
	notBefore time.Time // no request before this (Retry-After, weight)
	banUntil  time.Time // circuit breaker open until this
	stats     ClientStats
}

// ClientStats counts what a Client did.
type ClientStats struct {
	Requests  int64 // HTTP requests sent
	Retries   int64 // of which retries
	Throttled int64 // 429 answers
	Failures  int64 // 5xx answers, timeouts, transport errors, malformed bodies
	Bans      int64 // 418 answers
}

// Sub returns s minus t, field by field.
func (s ClientStats) Sub(t ClientStats) ClientStats {
	return ClientStats{Requests: s.Requests - t.Requests, Retries: s.Retries - t.Retries, Throttled: s.Throttled - t.Throttled,
		Failures: s.Failures - t.Failures, Bans: s.Bans - t.Bans}
}

// ForProvider returns cfg with Name set to name and, where cfg leaves
// them zero, BaseURL set to baseURL and Budget to budget: the defaults a
// provider's constructor applies before NewClient.
func (cfg Config) ForProvider(name, baseURL string, budget Budget) Config {
	cfg.Name = name
	if cfg.BaseURL == "" {
		cfg.BaseURL = baseURL
	}
	if cfg.Budget == (Budget{}) {
		cfg.Budget = budget
	}
	return cfg
}

// NewClient returns a Client for cfg.
func NewClient(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = time.Second
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 2 * time.Minute
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 10 * time.Minute
	}
	if cfg.BanTime <= 0 {
		cfg.BanTime = 5 * time.Minute
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, lim: limiter{b: cfg.Budget}, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed))}
}

// Clock returns the client's clock.
func (c *Client) Clock() Clock { return c.cfg.Clock }

// Stats returns the counters so far.
func (c *Client) Stats() ClientStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// StatusError is an HTTP answer the client gave up on.
type StatusError struct {
	Status int
	Body   string // the first bytes of the body, for logs
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// ErrMalformed marks a payload that failed parsing or validation; parse
// functions wrap it (fmt.Errorf("...: %w", live.ErrMalformed)) or return
// any error, which Get treats the same way.
var ErrMalformed = errors.New("malformed payload")

// Get requests path?query with the given budget cost and passes the body
// to parse. It retries transport errors, timeouts, 429, 5xx and bodies
// that parse rejects (a truncated or garbled payload), with backoff and
// jitter, honouring Retry-After; it never retries other 4xx answers. A
// 418 opens the circuit breaker: this and every later request fail at
// once until the ban ends. Errors are *regime.Error with code
// EUNAVAILABLE (upstream failing, banned, throttled too long) or EINVALID
// (a 4xx other than 429: wrong key, unknown id), wrapping the cause.
func (c *Client) Get(ctx context.Context, path string, query url.Values, cost int, parse func(body []byte, h http.Header) error) error {
	u := c.cfg.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	what := c.cfg.Name + ": GET " + path
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.count(func(s *ClientStats) { s.Retries++ })
		}
		if err := c.admit(ctx, cost, what); err != nil {
			return err
		}
		retryAfter, err := c.once(ctx, u, parse)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		last = err
		var se *StatusError
		if errors.As(err, &se) {
			switch {
			case se.Status == http.StatusTeapot || se.Status == 451:
				ban := retryAfter
				if ban <= 0 {
					ban = c.cfg.BanTime
				}
				c.mu.Lock()
				c.banUntil = c.cfg.Clock.Now().Add(ban)
				c.stats.Bans++
				c.mu.Unlock()
				return &regime.Error{Code: regime.EUNAVAILABLE, Message: fmt.Sprintf("%s: banned by the provider for %s: stopped all requests", what, ban), Err: err}
			case se.Status == http.StatusTooManyRequests:
				c.count(func(s *ClientStats) { s.Throttled++ })
			case se.Status >= 500:
				c.count(func(s *ClientStats) { s.Failures++ })
			default:
				msg := what + " refused"
				if se.Status == 401 || se.Status == 403 {
					msg += " (check the API key)"
				}
				return &regime.Error{Code: regime.EINVALID, Message: msg, Err: err}
			}
		} else {
			c.count(func(s *ClientStats) { s.Failures++ })
		}
		if attempt >= c.cfg.MaxRetries {
			return &regime.Error{Code: regime.EUNAVAILABLE, Message: fmt.Sprintf("%s: failed after %d attempts", what, attempt+1), Err: last}
		}
		if retryAfter > c.cfg.MaxRetryAfter {
			return &regime.Error{Code: regime.EUNAVAILABLE, Message: fmt.Sprintf("%s: provider asks to wait %s (more than %s)", what, retryAfter, c.cfg.MaxRetryAfter), Err: last}
		}
		c.mu.Lock()
		now := c.cfg.Clock.Now()
		var until time.Time
		if retryAfter > 0 {
			until = now.Add(retryAfter)
		} else {
			d := c.cfg.BaseDelay << min(attempt, 20)
			if d > c.cfg.MaxDelay || d <= 0 {
				d = c.cfg.MaxDelay
			}
			d = d/2 + time.Duration(c.rng.Int64N(int64(d/2)+1))
			until = now.Add(d)
		}
		if until.After(c.notBefore) {
			c.notBefore = until
		}
		c.mu.Unlock()
	}
}

func (c *Client) count(f func(*ClientStats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

// admit waits for Retry-After/weight pauses and the budget, failing fast
// while the circuit breaker is open.
func (c *Client) admit(ctx context.Context, cost int, what string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		now := c.cfg.Clock.Now()
		if now.Before(c.banUntil) {
			return regime.Errorf(regime.EUNAVAILABLE, "%s: banned by the provider until %s: not sending", what, c.banUntil.UTC().Format(time.RFC3339))
		}
		if !now.Before(c.notBefore) {
			break
		}
		if err := c.cfg.Clock.Sleep(ctx, c.notBefore.Sub(now)); err != nil {
			return err
		}
	}
	if err := c.lim.wait(ctx, c.cfg.Clock, cost); err != nil {
		return err
	}
	c.stats.Requests++
	return nil
}

// once sends one request. It returns the server's Retry-After (0 if none)
// and an error for anything but a 2xx whose body parse accepted.
func (c *Client) once(ctx context.Context, u string, parse func([]byte, http.Header) error) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, &regime.Error{Code: regime.EINVALID, Message: c.cfg.Name + ": bad URL " + u, Err: err}
	}
	for k, vs := range c.cfg.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	ra := retryAfter(resp.Header.Get("Retry-After"), c.cfg.Clock.Now())
	c.weight(resp.Header)
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return ra, fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return ra, &StatusError{Status: resp.StatusCode, Body: string(body[:min(len(body), 256)])}
	}
	if int64(len(body)) > c.cfg.MaxBody {
		return 0, &StatusError{Status: http.StatusRequestEntityTooLarge, Body: fmt.Sprintf("response larger than %d bytes", c.cfg.MaxBody)}
	}
	if err := parse(body, resp.Header); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return 0, nil
}

// weight pauses the client until the next minute when the provider says
// the minute's weight is (nearly) used up.
func (c *Client) weight(h http.Header) {
	if c.cfg.WeightHeader == "" || c.cfg.WeightLimit <= 0 {
		return
	}
	used, err := strconv.Atoi(strings.TrimSpace(h.Get(c.cfg.WeightHeader)))
	if err != nil || used < c.cfg.WeightLimit*95/100 {
		return
	}
	c.mu.Lock()
	next := c.cfg.Clock.Now().Truncate(time.Minute).Add(time.Minute)
	if next.After(c.notBefore) {
		c.notBefore = next
	}
	c.mu.Unlock()
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
