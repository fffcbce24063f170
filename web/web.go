// Package web serves Regime's browser dashboard: a static single-page
// application (HTML, one JavaScript bundle with Apache ECharts, one
// stylesheet) built from web/src by `npm ci && npm run build` into
// web/dist and embedded into the binary. Without a build, a placeholder
// page says how to build it.
//
// The dashboard reads the /v1 API of the same origin with an API key that
// the user enters once (or that `regime demo --serve` passes in the URL
// fragment, #key=...); the key stays in the browser's localStorage. See
// docs/dashboard.md.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

//go:embed placeholder/index.html
var placeholder []byte

// file is one embedded asset with its validator, and its gzip encoding
// when that is smaller.
type file struct {
	body   []byte
	ctype  string
	etag   string
	gz     []byte
	gzEtag string
}

// ContentSecurityPolicy is the policy sent with every dashboard file:
// scripts, styles, images and API calls from the same origin only (inline
// styles are allowed for the chart library's tooltips), no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Built reports whether the binary embeds a built dashboard (false: the
// placeholder page is served).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// Files lists the paths the dashboard serves, sorted ("/" first).
func Files() []string {
	files := load(false)
	out := make([]string, 0, len(files))
	for p := range files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// load reads the embedded files; with compress, text files also get a
// gzip encoding (done once per handler, at creation).
func load(compress bool) map[string]file {
	files := map[string]file{}
	add := func(p, name string, body []byte) {
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".html":
			ct = "text/html; charset=utf-8"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".txt":
			ct = "text/plain; charset=utf-8"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		f := file{body: body, ctype: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if compress && strings.HasPrefix(ct, "text/") && len(body) > 1024 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			if buf.Len() < len(body) {
				f.gz = buf.Bytes()
				f.gzEtag = `"` + hex.EncodeToString(sum[:12]) + `-gz"`
			}
		}
		files[p] = f
	}
	if !Built() {
		add("/", "index.html", placeholder)
		return files
	}
	fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		b, err := dist.ReadFile(p)
		if err != nil {
			return nil
		}
		rel := strings.TrimPrefix(p, "dist")
		if rel == "/index.html" {
			rel = "/"
		}
		add(rel, d.Name(), b)
		return nil
	})
	return files
}

// Handler returns the dashboard's handler. It answers GET and HEAD for
// "/" (and "/index.html") and the bundle's files, with a strong ETag, a
// Content-Security-Policy, no-cache revalidation and gzip when the client
// accepts it; any other path or method gets a plain 404 or 405, so the
// handler can sit behind an API mux as the fallback for "/".
func Handler() http.Handler {
	files := load(true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/index.html" {
			p = "/"
		}
		f, ok := files[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		body, etag := f.body, f.etag
		if f.gz != nil {
			h.Add("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header.Get("Accept-Encoding")) {
				body, etag = f.gz, f.gzEtag
				h.Set("Content-Encoding", "gzip")
			}
		}
		h.Set("ETag", etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(f.ctype, "text/html") {
			h.Set("Content-Security-Policy", ContentSecurityPolicy)
			h.Set("X-Frame-Options", "DENY")
		}
		http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(body))
	})
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// Mount returns a handler that serves the dashboard's files and passes
// every other request to api, for an API handler without a hook for a UI.
// `regime serve` uses the hook instead: httpapi.Deps.UI = Handler().
func Mount(api http.Handler) http.Handler {
	ui := Handler()
	files := load(false)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/index.html" {
			p = "/"
		}
		if _, ok := files[p]; ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			ui.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
