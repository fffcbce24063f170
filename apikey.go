package regime

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Scope is a permission an API key grants.
type Scope string

// API key scopes. ScopeAdmin implies every other scope.
const (
	ScopeRead  Scope = "read"  // read resources (assets, bars, factors, gauge, index...)
	ScopeJobs  Scope = "jobs"  // submit, inspect and cancel jobs (backtests)
	ScopeAdmin Scope = "admin" // everything, including metrics and key administration
)

// Scopes lists every Scope in a fixed order.
var Scopes = []Scope{ScopeRead, ScopeJobs, ScopeAdmin}

// APIKeyPrefix starts every API key token, so leaked keys are easy to
// recognise in logs and by secret scanners.
const APIKeyPrefix = "rgm_"

// APIKey is a stored API key. The secret token is shown once at creation
// and never stored: the store keeps its SHA-256 (Hash). ID is a short
// public identifier, also embedded in the token, used for listing,
// revoking, logs and rate limits.
type APIKey struct {
	ID        string    // public identifier, 12 lower-case hex digits
	Name      string    // free-form label given at creation
	Scopes    []Scope   // sorted, deduplicated
	Hash      string    // hex SHA-256 of the token
	CreatedAt time.Time // UTC
	RevokedAt time.Time // zero while the key is active
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Allows reports whether the key grants scope s: it holds s or ScopeAdmin.
// A revoked key allows nothing.
func (k APIKey) Allows(s Scope) bool {
	if k.Revoked() {
		return false
	}
	for _, have := range k.Scopes {
		if have == s || have == ScopeAdmin {
			return true
		}
	}
	return false
}

// ParseScopes parses a comma-separated scope list ("read,jobs"). It
// returns the scopes sorted in Scopes order without duplicates, or an
// EINVALID *Error naming the unknown scope. An empty list is invalid.
func ParseScopes(s string) ([]Scope, error) {
	seen := map[Scope]bool{}
	for _, part := range strings.Split(s, ",") {
		p := Scope(strings.TrimSpace(part))
		if p == "" {
			continue
		}
		known := false
		for _, v := range Scopes {
			known = known || v == p
		}
		if !known {
			return nil, Errorf(EINVALID, "unknown scope %q: want read, jobs or admin", string(p))
		}
		seen[p] = true
	}
	if len(seen) == 0 {
		return nil, Errorf(EINVALID, "no scope given: want read, jobs or admin")
	}
	var out []Scope
	for _, v := range Scopes {
		if seen[v] {
			out = append(out, v)
		}
	}
	return out, nil
}

// HashAPIKey returns the hex SHA-256 of an API key token, the form in
// which keys are stored and looked up.
func HashAPIKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewAPIKey makes a key from 38 bytes of rand (6 for the ID, 32 for the
// secret): it returns the record to store and the token to show the user
// once, "rgm_<id>_<43 base64url characters>". Scopes are sorted and
// deduplicated; an empty or unknown scope is an EINVALID *Error.
func NewAPIKey(rand io.Reader, name string, scopes []Scope, now time.Time) (APIKey, string, error) {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	sc, err := ParseScopes(strings.Join(names, ","))
	if err != nil {
		return APIKey{}, "", err
	}
	buf := make([]byte, 38)
	if _, err := io.ReadFull(rand, buf); err != nil {
		return APIKey{}, "", fmt.Errorf("api key: random bytes: %w", err)
	}
	id := hex.EncodeToString(buf[:6])
	token := APIKeyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(buf[6:])
	return APIKey{ID: id, Name: name, Scopes: sc, Hash: HashAPIKey(token), CreatedAt: now.UTC().Truncate(time.Second)}, token, nil
}

// KeyStore stores API keys. Implementations must be safe for concurrent
// use.
type KeyStore interface {
	// CreateKey stores k. It returns an ECONFLICT *Error when a key with
	// the same ID or Hash exists and EINVALID for an empty ID or Hash.
	CreateKey(ctx context.Context, k APIKey) error
	// KeyByHash returns the key whose token hashes to hash, revoked or
	// not, or an error wrapping ErrNotFound.
	KeyByHash(ctx context.Context, hash string) (APIKey, error)
	// ListKeys returns every key, revoked ones included, sorted by
	// creation time then ID.
	ListKeys(ctx context.Context) ([]APIKey, error)
	// RevokeKey marks key id revoked at time at. Revoking a revoked key
	// keeps the first revocation time. It returns an error wrapping
	// ErrNotFound when no key has that ID.
	RevokeKey(ctx context.Context, id string, at time.Time) error
}

// SortKeys sorts keys by creation time then ID, the order of
// KeyStore.ListKeys.
func SortKeys(keys []APIKey) {
	sort.Slice(keys, func(i, j int) bool {
		if !keys[i].CreatedAt.Equal(keys[j].CreatedAt) {
			return keys[i].CreatedAt.Before(keys[j].CreatedAt)
		}
		return keys[i].ID < keys[j].ID
	})
}
