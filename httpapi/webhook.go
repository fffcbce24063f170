package httpapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/regime-engine/regime"
)

// WebhookConfig configures the regime-change webhook.
type WebhookConfig struct {
	URL         string        // where to POST; empty disables the webhook
	Secret      string        // HMAC-SHA256 key of the signature header
	MaxAttempts int           // deliveries tried per event (>= 1)
	Backoff     time.Duration // wait before the second attempt, doubled after each failure
	Timeout     time.Duration // per attempt
}

// RegimeChange is the webhook payload sent when the gauge's regime state
// (bull/bear) or its level (the named band of the value) changes.
type RegimeChange struct {
	Type         string      `json:"type" doc:"Always regime.changed."`
	From         string      `json:"from" doc:"Previous regime state."`
	To           string      `json:"to" doc:"New regime state (equal to from when only the level changed)."`
	FromLevel    string      `json:"from_level" doc:"Previous gauge level."`
	ToLevel      string      `json:"to_level" doc:"New gauge level."`
	StateChanged bool        `json:"state_changed" doc:"Whether the regime state changed (false: only the level did)."`
	Date         regime.Date `json:"date"`
	Gauge        Gauge       `json:"gauge"`
}

// Webhook signature headers. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), where
// timestamp is the X-Regime-Timestamp header (Unix seconds); receivers
// should reject old timestamps to stop replays.
const (
	HeaderSignature = "X-Regime-Signature"
	HeaderTimestamp = "X-Regime-Timestamp"
)

// SignWebhook returns the signature header value of body sent at ts.
func SignWebhook(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

type webhook struct {
	cfg    WebhookConfig
	client *http.Client
	sleep  func(ctx context.Context, d time.Duration) error
	log    *slog.Logger
	now    func() time.Time
	m      *metrics
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newWebhook(cfg WebhookConfig, client *http.Client, sleep func(context.Context, time.Duration) error,
	log *slog.Logger, now func() time.Time, m *metrics) (*webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, regime.Errorf(regime.EINVALID, "webhook URL %q: want an http or https URL", cfg.URL)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &webhook{cfg: cfg, client: client, sleep: sleep, log: log, now: now, m: m, ctx: ctx, cancel: cancel}, nil
}

// send delivers ev in the background.
func (h *webhook) send(ev RegimeChange) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := h.deliver(h.ctx, ev); err != nil {
			h.log.Error("webhook delivery failed", "error", err.Error(), "to", ev.To)
		}
	}()
}

// deliver posts ev, retrying with exponential backoff on network errors,
// 429 and 5xx.
func (h *webhook) deliver(ctx context.Context, ev RegimeChange) error {
	body, err := marshalJSON(ev)
	if err != nil {
		return err
	}
	wait := h.cfg.Backoff
	var last error
	for attempt := 1; attempt <= h.cfg.MaxAttempts; attempt++ {
		if attempt > 1 {
			if err := h.sleep(ctx, wait); err != nil {
				return err
			}
			wait *= 2
		}
		ts := h.now().Unix()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderSignature, SignWebhook(h.cfg.Secret, ts, body))
		req.Header.Set("User-Agent", "regime-webhook/1")
		resp, err := h.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				h.m.webhooks.WithLabelValues("ok").Inc()
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
			if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				h.m.webhooks.WithLabelValues("failed").Inc()
				return fmt.Errorf("webhook: %w (not retried)", last)
			}
		} else {
			last = err
		}
		h.m.webhooks.WithLabelValues("retry").Inc()
	}
	h.m.webhooks.WithLabelValues("failed").Inc()
	return fmt.Errorf("webhook: %d attempts failed: %w", h.cfg.MaxAttempts, last)
}

func (h *webhook) close() {
	h.cancel()
	h.wg.Wait()
}
