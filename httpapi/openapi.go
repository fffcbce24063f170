package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// schemaGen reflects Go types into JSON Schema 2020-12, the schema
// dialect of OpenAPI 3.1. Named structs become components.
type schemaGen struct {
	defs  map[string]any
	names map[reflect.Type]string
	used  map[string]reflect.Type
}

var (
	numType  = reflect.TypeFor[Num]()
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// componentName turns a Go type name into a component name
// ("Page[...httpapi.AssetView]" -> "PageAssetView").
func componentName(t reflect.Type) string {
	n := t.Name()
	var b strings.Builder
	for _, part := range strings.FieldsFunc(n, func(r rune) bool { return r == '[' || r == ']' || r == ',' }) {
		if i := strings.LastIndex(part, "."); i >= 0 {
			part = part[i+1:]
		}
		b.WriteString(part)
	}
	return b.String()
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case numType:
		return map[string]any{"type": []string{"number", "null"}}
	case dateType:
		return map[string]any{"type": "string", "format": "date"}
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return map[string]any{"anyOf": []any{g.schema(t.Elem()), map[string]any{"type": "null"}}}
	case reflect.Interface:
		return map[string]any{}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name, ok := g.names[t]
		if !ok {
			name = componentName(t)
			if other, taken := g.used[name]; taken && other != t {
				name += strconv.Itoa(len(g.used))
			}
			g.names[t], g.used[name] = name, t
			g.defs[name] = map[string]any{} // placeholder for recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// object describes a struct as encoding/json encodes it.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name == "" {
				name = f.Name
			}
			s := g.schema(f.Type)
			if d := f.Tag.Get("doc"); d != "" {
				if _, isRef := s["$ref"]; isRef {
					s = map[string]any{"allOf": []any{s}, "description": d}
				} else {
					s["description"] = d
				}
			}
			if e := f.Tag.Get("enum"); e != "" {
				s["enum"] = strings.Split(e, ",")
			}
			props[name] = s
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
	}
	walk(t)
	return map[string]any{"type": "object", "properties": props, "required": required}
}

// paramSchema describes one path or query parameter.
func (g *schemaGen) param(f paramField) map[string]any {
	s := g.schema(f.typ)
	if f.min != nil {
		s["minimum"] = *f.min
	}
	if f.max != nil {
		s["maximum"] = *f.max
	}
	if len(f.enum) > 0 {
		if f.typ.Kind() == reflect.Slice {
			s["items"] = map[string]any{"type": "string", "enum": f.enum}
		} else {
			s["enum"] = f.enum
		}
	}
	if f.def != "" {
		if n, err := strconv.Atoi(f.def); err == nil {
			s["default"] = n
		} else {
			s["default"] = f.def
		}
	}
	p := map[string]any{"name": f.name, "in": f.in, "required": f.required, "schema": s}
	if f.doc != "" {
		p["description"] = f.doc
	}
	if f.typ.Kind() == reflect.Slice {
		p["style"], p["explode"] = "form", false
	}
	return p
}

func operationID(rt Route) string {
	r := strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", "-", "_")
	return strings.ToLower(rt.Method) + strings.TrimRight(r.Replace(rt.Path), "_")
}

// openAPI builds the OpenAPI 3.1 document of the registered routes.
func (s *Server) openAPI() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}, names: map[reflect.Type]string{}, used: map[string]reflect.Type{}}
	problem := g.schema(reflect.TypeFor[Problem]())
	problemResp := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
	}
	paths := map[string]any{}
	for _, rt := range s.Routes() {
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
		}
		var params []any
		for _, f := range paramFields(rt.Params) {
			params = append(params, g.param(f))
		}
		if rt.Path == "/v1/events" || strings.HasSuffix(rt.Path, "/events") {
			params = append(params, map[string]any{"name": "Last-Event-ID", "in": "header", "required": false,
				"description": "Resume after this event id.", "schema": map[string]any{"type": "string"}})
		}
		if rt.Cacheable {
			params = append(params, map[string]any{"name": "If-None-Match", "in": "header", "required": false,
				"description": "ETag of a cached copy; a match answers 304.", "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": g.schema(rt.Body)}}}
		}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		switch {
		case rt.Response != nil:
			ok["content"] = map[string]any{rt.ContentType: map[string]any{"schema": g.schema(rt.Response)}}
		case rt.ContentType == "text/event-stream":
			ok["content"] = map[string]any{rt.ContentType: map[string]any{"schema": map[string]any{"type": "string",
				"description": "Events with id, event (gauge, signals, jobs) and JSON data; comment heartbeats."}}}
		default:
			ok["content"] = map[string]any{rt.ContentType: map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		if rt.Cacheable {
			ok["headers"] = map[string]any{"ETag": map[string]any{"description": "Entity tag of the body.", "schema": map[string]any{"type": "string"}}}
		}
		resp := map[string]any{strconv.Itoa(rt.Status): ok}
		if rt.Cacheable {
			resp["304"] = map[string]any{"description": "Not modified (If-None-Match matched)."}
		}
		resp["400"] = problemResp("Invalid request: the problem's errors name each wrong field.")
		resp["404"] = problemResp("Not found.")
		resp["405"] = problemResp("Method not allowed.")
		resp["500"] = problemResp("Internal error (details in server logs, never in the body).")
		resp["503"] = problemResp("A dependency is unavailable.")
		if rt.Body != nil {
			resp["413"] = problemResp("Request body too large.")
			resp["415"] = problemResp("Request body is not JSON.")
		}
		if rt.Scope != "" {
			resp["401"] = problemResp("Missing, invalid or revoked API key.")
			resp["403"] = problemResp("The API key lacks the required scope.")
			resp["429"] = map[string]any{"description": "Rate limit exceeded; see Retry-After.",
				"headers": map[string]any{"Retry-After": map[string]any{"description": "Seconds to wait.", "schema": map[string]any{"type": "integer"}}},
				"content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
			resp["501"] = problemResp("The resource is not configured on this server.")
			op["security"] = []any{map[string]any{"bearerAuth": []string{}}, map[string]any{"apiKeyHeader": []string{}}}
			op["x-required-scope"] = string(rt.Scope)
		} else {
			op["security"] = []any{}
		}
		if rt.Method == http.MethodPost || rt.Method == http.MethodDelete {
			if _, ok := resp["409"]; !ok {
				resp["409"] = problemResp("Conflict with the current state.")
			}
		}
		if strings.HasSuffix(rt.Path, "/result") {
			resp["409"] = problemResp("The job has not succeeded (yet).")
		}
		op["responses"] = resp
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":       "Regime API",
			"version":     s.deps.Version,
			"description": "Crypto bull/bear regimes: assets, bars, factors, the Market Gauge, token signals, dated phases, the regime-switching index, backtests as jobs and evaluations. Errors are RFC 9457 problem+json. Lists are cursor-paginated (limit <= 1000) and take from/to dates where dated.",
			"license":     map[string]any{"name": "See the repository"},
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"bearerAuth":   map[string]any{"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key> (keys from `regime keys create`)."},
				"apiKeyHeader": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}
