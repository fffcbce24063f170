package regime

import (
	"errors"
	"fmt"
)

// Error codes shown to users. Each maps to exactly one HTTP status in the
// API package and to a non-zero exit status in the CLI.
const (
	EINVALID     = "invalid"     // bad input: malformed file, row, flag or request
	ENOTFOUND    = "not_found"   // the asset, series or record does not exist
	ECONFLICT    = "conflict"    // the write contradicts what is stored
	EUNAVAILABLE = "unavailable" // a dependency (store, upstream API) cannot be reached
	EINTERNAL    = "internal"    // a bug; details go to logs, never to users
)

// Error is the one user-facing error type. Message is safe to show to a
// user; wrapped internals are not.
type Error struct {
	Code    string
	Message string
	Err     error // optional cause, for logs and errors.Is
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the first *Error in err's chain, or
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the message of the
// first *Error in its chain, or a generic text for internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrNotFound is returned (wrapped) by stores when a requested record does
// not exist. Test with errors.Is or ErrorCode(err) == ENOTFOUND.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// Is makes errors.Is(err, ErrNotFound) true for every ENOTFOUND *Error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t == ErrNotFound && e.Code == ENOTFOUND
}
