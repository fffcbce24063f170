package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/regime-engine/regime"
)

// Problem is an RFC 9457 problem detail, the body of every error response
// (Content-Type application/problem+json). It never carries internals:
// Detail is the user-safe message of a *regime.Error, or a generic text.
type Problem struct {
	Type      string       `json:"type" doc:"URI reference identifying the problem type."`
	Title     string       `json:"title" doc:"Short summary of the problem type."`
	Status    int          `json:"status" doc:"HTTP status code."`
	Detail    string       `json:"detail,omitempty" doc:"Explanation of this occurrence."`
	Instance  string       `json:"instance,omitempty" doc:"Request path."`
	Code      string       `json:"code" doc:"Stable machine-readable error code."`
	RequestID string       `json:"request_id,omitempty" doc:"Request id, also in the X-Request-ID header and server logs."`
	Errors    []FieldError `json:"errors,omitempty" doc:"Invalid request fields."`
}

// FieldError names one invalid request field.
type FieldError struct {
	Location string `json:"location" doc:"Where the field is: query, path, header or body." enum:"query,path,header,body"`
	Field    string `json:"field" doc:"Field name (body fields as a JSON path)."`
	Message  string `json:"message" doc:"What is wrong with it."`
}

// Error codes of problems that do not come from regime error codes.
const (
	codeUnauthorized   = "unauthorized"
	codeForbidden      = "forbidden"
	codeRateLimited    = "rate_limited"
	codeTooLarge       = "body_too_large"
	codeNotAllowed     = "method_not_allowed"
	codeNotImplemented = "not_implemented"
	codeNotAcceptable  = "unsupported_media_type"
)

// apiError is an error with an HTTP status decided by the API layer
// itself (auth, limits, routing). Domain errors are *regime.Error values.
type apiError struct {
	status int
	code   string
	msg    string
	fields []FieldError
	header http.Header
}

func (e *apiError) Error() string { return e.msg }

func invalid(fields ...FieldError) error {
	msg := "invalid request"
	if len(fields) > 0 {
		msg = "invalid " + fields[0].Location + " field " + strconv.Quote(fields[0].Field) + ": " + fields[0].Message
	}
	return &apiError{status: http.StatusBadRequest, code: regime.EINVALID, msg: msg, fields: fields}
}

// statusOf maps an error to its HTTP status and code. It is the one place
// where regime error codes become HTTP statuses.
func statusOf(err error) (int, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, ae.code
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, codeTooLarge
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return http.StatusServiceUnavailable, regime.EUNAVAILABLE
	}
	switch code := regime.ErrorCode(err); code {
	case regime.EINVALID:
		return http.StatusBadRequest, code
	case regime.ENOTFOUND:
		return http.StatusNotFound, code
	case regime.ECONFLICT:
		return http.StatusConflict, code
	case regime.EUNAVAILABLE:
		return http.StatusServiceUnavailable, code
	default:
		return http.StatusInternalServerError, regime.EINTERNAL
	}
}

// problemFor builds the problem for err. Messages of internal errors are
// replaced by a generic text.
func problemFor(err error, r *http.Request) Problem {
	status, code := statusOf(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code}
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		p.Detail, p.Errors = ae.msg, ae.fields
	case status == http.StatusRequestEntityTooLarge:
		p.Detail = "request body too large"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		p.Detail = "request cancelled or timed out"
	case code == regime.EINTERNAL:
		p.Detail = "internal error; quote the request id when reporting it"
	default:
		p.Detail = regime.ErrorMessage(err)
	}
	if r != nil {
		p.Instance = r.URL.Path
		p.RequestID = requestID(r.Context())
	}
	return p
}

// writeProblem writes err as problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err, r)
	var ae *apiError
	if errors.As(err, &ae) {
		for k, v := range ae.header {
			for _, x := range v {
				w.Header().Set(k, x)
			}
		}
	}
	body, _ := marshalJSON(p)
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	w.WriteHeader(p.Status)
	w.Write(body)
}
