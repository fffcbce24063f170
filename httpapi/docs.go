package httpapi

import (
	_ "embed"
	"net/http"
)

//go:embed docs.html
var docsPage []byte

// serveDocs serves the interactive documentation page, which renders
// /openapi.json and sends requests with the key typed into it.
func serveDocs(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(docsPage)
}
