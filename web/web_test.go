package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/regime-engine/regime/web"
)

func TestHandler(t *testing.T) {
	h := web.Handler()
	for _, tc := range []struct {
		name, method, path string
		status             int
		ctype, body        string
	}{
		{"root", "GET", "/", 200, "text/html; charset=utf-8", "<title>Regime"},
		{"index alias", "GET", "/index.html", 200, "text/html; charset=utf-8", "<title>Regime"},
		{"head", "HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"unknown", "GET", "/nope.js", 404, "", ""},
		{"api path", "GET", "/v1/gauge", 404, "", ""},
		{"post", "POST", "/", 405, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("%s %s: status %d, want %d", tc.method, tc.path, rec.Code, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if got := rec.Header().Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := rec.Header().Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
				t.Errorf("CSP %q", got)
			}
			if rec.Header().Get("ETag") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("missing ETag or nosniff: %v", rec.Header())
			}
			if !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
		})
	}
}

func TestHandlerRevalidates(t *testing.T) {
	h := web.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec2 := httptest.NewRecorder()
	h.ServeHTTP(rec2, req)
	if rec2.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: status %d, want 304", rec2.Code)
	}
}

// TestFiles checks the bundle's files are served with their types, or
// that an unbuilt binary serves the placeholder that says how to build.
func TestFiles(t *testing.T) {
	files := web.Files()
	if len(files) == 0 || files[0] != "/" {
		t.Fatalf("Files() = %v, want \"/\" first", files)
	}
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	if !web.Built() {
		body := get(t, srv.URL+"/", "text/html; charset=utf-8")
		if !strings.Contains(body, "npm run build") {
			t.Errorf("placeholder does not say how to build: %s", body)
		}
		return
	}
	want := map[string]string{"/app.js": "text/javascript; charset=utf-8", "/app.css": "text/css; charset=utf-8"}
	for p, ct := range want {
		if body := get(t, srv.URL+p, ct); len(body) == 0 {
			t.Errorf("%s is empty", p)
		}
	}
	// The page loads its script and stylesheet from the same origin only.
	page := get(t, srv.URL+"/", "text/html; charset=utf-8")
	for _, ref := range []string{`src="app.js"`, `href="app.css"`} {
		if !strings.Contains(page, ref) {
			t.Errorf("index.html lacks %s", ref)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("index.html refers to another origin (the dashboard must work offline)")
	}
}

func get(t *testing.T, url, ctype string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != ctype {
		t.Errorf("GET %s: %d %q, want 200 %q", url, res.StatusCode, res.Header.Get("Content-Type"), ctype)
	}
	return string(b)
}

func TestMount(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"api":true}`)
	})
	h := web.Mount(api)
	for _, tc := range []struct {
		method, path string
		api          bool
	}{
		{"GET", "/", false},
		{"GET", "/v1/gauge", true},
		{"GET", "/openapi.json", true},
		{"POST", "/", true},
		{"GET", "/unknown", true},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if got := strings.Contains(rec.Body.String(), `"api":true`); got != tc.api {
			t.Errorf("%s %s went to the API: %v, want %v", tc.method, tc.path, got, tc.api)
		}
	}
}

func TestHandlerGzip(t *testing.T) {
	if !web.Built() {
		t.Skip("dashboard not built: the placeholder is too small to compress")
	}
	h := web.Handler()
	for _, tc := range []struct {
		accept string
		gzip   bool
	}{
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"gzip;q=0", false},
		{"", false},
		{"identity", false},
	} {
		req := httptest.NewRequest("GET", "/app.js", nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("Content-Encoding") == "gzip"
		if got != tc.gzip || rec.Code != 200 {
			t.Errorf("Accept-Encoding %q: status %d, gzip %v, want %v", tc.accept, rec.Code, got, tc.gzip)
		}
		if got {
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(zr)
			if err != nil || len(b) == 0 {
				t.Errorf("gzip body: %d bytes, %v", len(b), err)
			}
		}
		if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("no Vary: Accept-Encoding")
		}
	}
}
