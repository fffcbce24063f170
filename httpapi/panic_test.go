package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/regime-engine/regime/httpapi"
)

type panicGauge struct{ *fakeGauge }

func (panicGauge) Latest(context.Context) (httpapi.Gauge, error) { panic("boom /secret/file.go:1") }

// TestPanicBecomes500: a panicking source gives a 500 problem without
// the panic's text.
func TestPanicBecomes500(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config, d *httpapi.Deps) { d.Gauge = panicGauge{newFakeGauge()} })
	w := e.do(t, "GET", "/v1/gauge", e.read, nil)
	p := decode[httpapi.Problem](t, w)
	if w.Code != 500 || p.Code != "internal" || strings.Contains(w.Body.String(), "secret") || p.RequestID == "" {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}
