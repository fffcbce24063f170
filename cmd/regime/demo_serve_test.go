package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in two
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoServe runs `regime demo --serve` in process on a small synthetic
// market: the printed URL opens the dashboard, its key opens the API, and
// cancelling the context stops the server. A second --serve reuses the key.
func TestDemoServe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	line := regexp.MustCompile(`dashboard: http://([0-9.:]+)/#key=(\S+)`)
	runOnce := func() string {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &lockedBuffer{}
		g := &globals{DB: db, Quiet: true, ctx: ctx, stdout: out, ui: newProgressUI(true)}
		c := demoCmd{synthFlags: synthFlags{Seed: 5, Tokens: 20, Days: 1100, Start: "2015-01-01"}, Split: "2017-06-01",
			Serve: true, Addr: "127.0.0.1:0"}
		done := make(chan error, 1)
		go func() { done <- c.Run(g) }()
		var m []string
		deadline := time.Now().Add(2 * time.Minute)
		for m == nil {
			select {
			case err := <-done:
				t.Fatalf("demo --serve ended before serving: %v\n%s", err, out.String())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("demo --serve printed no dashboard line:\n%s", out.String())
			}
			m = line.FindStringSubmatch(out.String())
		}
		base, token := "http://"+m[1], m[2]
		get := func(path, key string) (int, string) {
			req, _ := http.NewRequest("GET", base+path, nil)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, body := get("/", ""); code != 200 || !strings.Contains(strings.ToLower(body), "<html") {
			t.Errorf("GET /: %d %.200s", code, body)
		}
		if code, body := get("/v1/gauge", token); code != 200 || !strings.Contains(body, `"level"`) {
			t.Errorf("GET /v1/gauge with the printed key: %d %.200s", code, body)
		}
		if code, _ := get("/v1/gauge", ""); code != 401 {
			t.Errorf("GET /v1/gauge without a key: %d", code)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo --serve after cancel: %v", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("demo --serve did not stop after cancel")
		}
		return token
	}
	first := runOnce()
	if second := runOnce(); second != first {
		t.Errorf("the second --serve made a new key")
	}
	if out := mustRun(t, "keys", "list", "--db", db); strings.Count(out, demoKeyName) != 1 {
		t.Errorf("want one demo-dashboard key:\n%s", out)
	}
}
