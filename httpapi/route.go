package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// Route describes one registered endpoint: the mux pattern, the scope an
// API key needs, and the Go types that the OpenAPI document reflects.
type Route struct {
	Method      string       // GET, POST, DELETE
	Path        string       // net/http pattern path, e.g. /v1/assets/{id}
	Scope       regime.Scope // scope a key needs; "" means open (health, docs)
	Summary     string       // one line for the OpenAPI document
	Tag         string       // OpenAPI tag (resource group)
	Params      reflect.Type // struct of path/query parameters, or nil
	Body        reflect.Type // JSON request body, or nil
	Response    reflect.Type // JSON response body (nil for non-JSON responses)
	Status      int          // success status (200 unless set)
	ContentType string       // success media type (application/json unless set)
	Cacheable   bool         // GET with ETag / If-None-Match support
	handler     http.Handler
}

// Page is one page of a list. NextCursor is empty on the last page; pass
// it as ?cursor= to get the next one.
type Page[T any] struct {
	Items      []T    `json:"items" doc:"Items of this page, in the list's order."`
	NextCursor string `json:"next_cursor,omitempty" doc:"Opaque cursor of the next page; absent on the last page."`
}

// PageParams are the pagination parameters of every list.
type PageParams struct {
	Limit  int    `query:"limit" min:"1" max:"1000" default:"100" doc:"Items per page (1..1000)."`
	Cursor string `query:"cursor" doc:"Opaque cursor from a previous page's next_cursor."`
}

// RangeParams are the date range of every dated list; both ends inclusive
// and optional.
type RangeParams struct {
	From regime.Date `query:"from" doc:"First day (YYYY-MM-DD), inclusive."`
	To   regime.Date `query:"to" doc:"Last day (YYYY-MM-DD), inclusive."`
}

// Range returns the parameters as a regime.DateRange.
func (p RangeParams) Range() regime.DateRange { return regime.DateRange{From: p.From, To: p.To} }

func (p RangeParams) check() error {
	if p.From != regime.NoDate && p.To != regime.NoDate && p.From > p.To {
		return invalid(FieldError{"query", "from", "from " + p.From.String() + " is after to " + p.To.String()})
	}
	return nil
}

// checker is implemented by parameter structs with cross-field rules.
type checker interface{ check() error }

// Num is a float64 that encodes a missing value (NaN, ±Inf) as JSON null
// (regime.Num, shared with the CLI and the backtest report).
type Num = regime.Num

// handle registers a JSON endpoint: parameters are decoded into P and
// validated, the body (unless B is struct{}) into B, and fn's result is
// written as JSON with the route's status.
func handle[P, B, R any](s *Server, rt Route, fn func(r *http.Request, p *P, b *B) (R, error)) {
	var p P
	var b B
	var res R
	if pt := reflect.TypeOf(p); pt.NumField() > 0 {
		rt.Params = pt
	}
	bt := reflect.TypeOf(b)
	hasBody := !(bt.Kind() == reflect.Struct && bt.NumField() == 0)
	if hasBody {
		rt.Body = bt
	}
	rt.Response = reflect.TypeOf(res)
	if rt.Status == 0 {
		rt.Status = http.StatusOK
	}
	rt.Cacheable = rt.Cacheable || rt.Method == http.MethodGet
	status, cacheable := rt.Status, rt.Cacheable
	rt.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p P
		var b B
		if err := decodeParams(r, &p); err != nil {
			writeProblem(w, r, err)
			return
		}
		if hasBody {
			if err := decodeBody(r, &b); err != nil {
				writeProblem(w, r, err)
				return
			}
		}
		res, err := fn(r, &p, &b)
		if err != nil {
			s.logError(r, err)
			writeProblem(w, r, err)
			return
		}
		writeJSON(w, r, status, res, cacheable)
	})
	s.add(rt)
}

// writeJSON encodes v; cacheable responses carry a strong ETag and answer
// a matching If-None-Match with 304.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any, cacheable bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeProblem(w, r, errors.New("encode response: "+err.Error()))
		return
	}
	body := buf.Bytes()
	if cacheable {
		writeCached(w, r, status, body, etagOf(body))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// etagOf returns a strong entity tag for body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// writeCached writes a pre-encoded JSON body with its ETag, or 304 when
// If-None-Match matches.
func writeCached(w http.ResponseWriter, r *http.Request, status int, body []byte, etag string) {
	writeCachedHeader(w, r, status, body, []string{etag}, []string{strconv.Itoa(len(body))})
}

// Header values shared by every cached response; never modified.
var (
	hdrNoCache = []string{"private, no-cache"}
	hdrJSON    = []string{"application/json"}
)

// writeCachedHeader is writeCached with the ETag and Content-Length
// header values already built, so the hot path allocates nothing for them.
func writeCachedHeader(w http.ResponseWriter, r *http.Request, status int, body []byte, etag, length []string) {
	h := w.Header()
	h["Etag"] = etag
	h["Cache-Control"] = hdrNoCache
	if status == http.StatusOK {
		if inm := r.Header["If-None-Match"]; len(inm) > 0 && etagMatch(inm[0], etag[0]) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h["Content-Type"] = hdrJSON
	h["Content-Length"] = length
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatch implements the weak comparison of If-None-Match.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// decodeBody decodes one JSON value into dst, refusing unknown fields,
// trailing data and other media types.
func decodeBody(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &apiError{status: http.StatusUnsupportedMediaType, code: codeNotAcceptable, msg: "request body must be application/json"}
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return invalid(FieldError{"body", "", "unexpected data after the JSON value"})
	}
	return nil
}

// bodyError turns a JSON decoding error into a field error.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var re *regime.Error
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return invalid(FieldError{"body", "", "empty body: want a JSON object"})
	case errors.As(err, &se):
		return invalid(FieldError{"body", "", "malformed JSON at byte " + strconv.FormatInt(se.Offset, 10)})
	case errors.As(err, &te):
		return invalid(FieldError{"body", te.Field, "want " + jsonKind(te.Type) + ", got " + te.Value})
	case errors.As(err, &re):
		return invalid(FieldError{"body", "", re.Message})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid(FieldError{"body", "", "truncated JSON"})
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return invalid(FieldError{"body", strings.Trim(f, `"`), "unknown field"})
	}
	return invalid(FieldError{"body", "", "invalid JSON body"})
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

var dateType = reflect.TypeOf(regime.Date(0))

// paramField is one path or query parameter of a parameter struct.
type paramField struct {
	index    []int
	in       string // "query" or "path"
	name     string
	typ      reflect.Type
	min, max *int64
	def      string
	enum     []string
	required bool
	doc      string
}

// paramFields lists the parameters of struct type t, embedded structs
// included, in declaration order.
func paramFields(t reflect.Type) []paramField {
	var out []paramField
	if t == nil {
		return nil
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for _, sub := range paramFields(f.Type) {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		pf := paramField{index: []int{i}, typ: f.Type, doc: f.Tag.Get("doc"), def: f.Tag.Get("default")}
		if n := f.Tag.Get("path"); n != "" {
			pf.in, pf.name, pf.required = "path", n, true
		} else if n := f.Tag.Get("query"); n != "" {
			pf.in, pf.name = "query", n
		} else {
			continue
		}
		if v, err := strconv.ParseInt(f.Tag.Get("min"), 10, 64); err == nil {
			pf.min = &v
		}
		if v, err := strconv.ParseInt(f.Tag.Get("max"), 10, 64); err == nil {
			pf.max = &v
		}
		if e := f.Tag.Get("enum"); e != "" {
			pf.enum = strings.Split(e, ",")
		}
		pf.required = pf.required || f.Tag.Get("required") == "true"
		out = append(out, pf)
	}
	return out
}

// decodeParams fills the parameter struct dst from the request's path
// values and query string, rejecting unknown, repeated and ill-typed
// parameters with a field error.
func decodeParams(r *http.Request, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	if v.NumField() == 0 {
		if len(r.URL.RawQuery) > 0 {
			q, _ := queryValues(r)
			for k := range q {
				return invalid(FieldError{"query", k, "unknown parameter"})
			}
		}
		return nil
	}
	q, err := queryValues(r)
	if err != nil {
		return err
	}
	fields := paramFields(v.Type())
	known := map[string]bool{}
	var errs []FieldError
	for _, f := range fields {
		var raw string
		var present bool
		if f.in == "path" {
			raw = r.PathValue(f.name)
			present = true
		} else {
			known[f.name] = true
			vals := q[f.name]
			if len(vals) > 1 && f.typ.Kind() != reflect.Slice {
				errs = append(errs, FieldError{f.in, f.name, "given more than once"})
				continue
			}
			if len(vals) > 0 {
				raw, present = strings.Join(vals, ","), true
			}
		}
		if !present || raw == "" {
			if f.required {
				errs = append(errs, FieldError{f.in, f.name, "required"})
				continue
			}
			if f.def == "" {
				continue
			}
			raw = f.def
		}
		if msg := setParam(v.FieldByIndex(f.index), f, raw); msg != "" {
			errs = append(errs, FieldError{f.in, f.name, msg})
		}
	}
	var unknown []string
	for k := range q {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, FieldError{"query", k, "unknown parameter"})
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	if c, ok := dst.(checker); ok {
		return c.check()
	}
	return nil
}

// queryValues parses the query string strictly.
func queryValues(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalid(FieldError{"query", "", "malformed query string"})
	}
	return q, nil
}

// setParam parses raw into field v, returning a message on failure.
func setParam(v reflect.Value, f paramField, raw string) string {
	if len(raw) > 512 {
		return "too long (at most 512 characters)"
	}
	if len(f.enum) > 0 {
		for _, part := range strings.Split(raw, ",") {
			if !contains(f.enum, part) {
				return "must be one of " + strings.Join(f.enum, ", ")
			}
		}
	}
	switch {
	case f.typ == dateType:
		d, err := regime.ParseDate(raw)
		if err != nil {
			return "want a date YYYY-MM-DD"
		}
		v.SetInt(int64(d))
	case f.typ.Kind() == reflect.String:
		v.SetString(raw)
	case f.typ.Kind() == reflect.Int || f.typ.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return "want an integer"
		}
		if f.min != nil && n < *f.min {
			return "must be at least " + strconv.FormatInt(*f.min, 10)
		}
		if f.max != nil && n > *f.max {
			return "must be at most " + strconv.FormatInt(*f.max, 10)
		}
		v.SetInt(n)
	case f.typ.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return "want a finite number"
		}
		if (f.min != nil && x < float64(*f.min)) || (f.max != nil && x > float64(*f.max)) {
			return "out of range"
		}
		v.SetFloat(x)
	case f.typ.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return "want true or false"
		}
		v.SetBool(b)
	case f.typ.Kind() == reflect.Slice && f.typ.Elem().Kind() == reflect.String:
		parts := strings.Split(raw, ",")
		if len(parts) > 200 {
			return "too many values (at most 200)"
		}
		s := reflect.MakeSlice(f.typ, 0, len(parts))
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				s = reflect.Append(s, reflect.ValueOf(p).Convert(f.typ.Elem()))
			}
		}
		v.Set(s)
	default:
		return "unsupported parameter type"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// paginate returns the page of items (sorted ascending by key) after the
// cursor.
func paginate[T any](items []T, key func(T) string, p PageParams) (Page[T], error) {
	start := 0
	if p.Cursor != "" {
		after, err := decodeCursor(p.Cursor)
		if err != nil {
			return Page[T]{}, err
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	end := min(len(items), start+limit)
	pg := Page[T]{Items: items[start:end]}
	if pg.Items == nil {
		pg.Items = []T{}
	}
	if end < len(items) {
		pg.NextCursor = encodeCursor(key(items[end-1]))
	}
	return pg, nil
}

func encodeCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1:" + key))
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !bytes.HasPrefix(b, []byte("c1:")) {
		return "", invalid(FieldError{"query", "cursor", "not a cursor returned by this API"})
	}
	return string(b[3:]), nil
}

// dateKey is the sort key of a date in cursors (fixed width, so string
// order is date order for every stored date).
func dateKey(d regime.Date) string { return d.String() }
