package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/regime-engine/regime"
)

// FormatVersion is the version of the saved-model envelope.
const FormatVersion = 1

// Meta is the provenance of a fitted model: what it is, what it was trained
// on and a hash that identifies its exact parameters.
type Meta struct {
	Kind     string          `json:"kind"`       // "logistic", "gbt", "hmm"
	Version  int             `json:"version"`    // FormatVersion when saved
	Features []string        `json:"features"`   // input columns in order; may be nil
	From     regime.Date     `json:"train_from"` // first training day (NoDate = unknown)
	To       regime.Date     `json:"train_to"`   // last training day (NoDate = unknown)
	Hyper    json.RawMessage `json:"hyper"`      // hyperparameters as canonical JSON
	Seed     uint64          `json:"seed"`
	Hash     string          `json:"hash"` // hex SHA-256, see Hash
}

// envelope is the saved form of a model.
type envelope struct {
	Meta   Meta            `json:"meta"`
	Params json.RawMessage `json:"params"`
}

// canonical returns the compact JSON of v. encoding/json writes struct
// fields in declaration order and map keys sorted, and Vec writes floats
// with strconv 'g' -1, so equal values give equal bytes.
func canonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Hash returns the hex SHA-256 of the canonical serialisation of meta
// (with its Hash field cleared) followed by a newline and the canonical
// serialisation of params. Two models have the same hash exactly when they
// have the same provenance and bit-identical parameters.
func Hash(meta Meta, params any) (string, error) {
	meta.Hash = ""
	meta.Version = FormatVersion
	if len(meta.Hyper) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, meta.Hyper); err != nil {
			return "", fmt.Errorf("model: hyperparameters: %w", err)
		}
		meta.Hyper = buf.Bytes()
	}
	mb, err := canonical(meta)
	if err != nil {
		return "", fmt.Errorf("model: meta: %w", err)
	}
	pb, err := canonical(params)
	if err != nil {
		return "", fmt.Errorf("model: params: %w", err)
	}
	h := sha256.New()
	h.Write(mb)
	h.Write([]byte{'\n'})
	h.Write(pb)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// HyperJSON returns the canonical JSON of a hyperparameter struct for
// Meta.Hyper. It never fails for plain structs of numbers and strings.
func HyperJSON(v any) json.RawMessage {
	b, err := canonical(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

// Encode writes meta and params as indented JSON, with meta.Hash set to
// Hash(meta, params) and meta.Version to FormatVersion. Output is
// deterministic.
func Encode(w io.Writer, meta Meta, params any) error {
	h, err := Hash(meta, params)
	if err != nil {
		return err
	}
	meta.Hash = h
	meta.Version = FormatVersion
	if meta.Hyper == nil {
		meta.Hyper = json.RawMessage(`null`)
	}
	pb, err := canonical(params)
	if err != nil {
		return fmt.Errorf("model: params: %w", err)
	}
	b, err := json.MarshalIndent(envelope{Meta: meta, Params: pb}, "", "  ")
	if err != nil {
		return fmt.Errorf("model: encode: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// Decode reads a model written by Encode into params (a pointer) and
// returns its Meta. It returns an EINVALID *regime.Error when the input is
// not a saved model, is of another kind than want, has an unknown version,
// or its hash does not match its content (tampered or corrupted).
func Decode(r io.Reader, want string, params any) (Meta, error) {
	var env envelope
	dec := json.NewDecoder(r)
	if err := dec.Decode(&env); err != nil {
		return Meta{}, &regime.Error{Code: regime.EINVALID, Message: "model: not a saved model", Err: err}
	}
	m := env.Meta
	if m.Kind != want {
		return Meta{}, regime.Errorf(regime.EINVALID, "model: saved model is of kind %q, want %q", m.Kind, want)
	}
	if m.Version != FormatVersion {
		return Meta{}, regime.Errorf(regime.EINVALID, "model: unsupported format version %d (want %d)", m.Version, FormatVersion)
	}
	if err := json.Unmarshal(env.Params, params); err != nil {
		return Meta{}, &regime.Error{Code: regime.EINVALID, Message: "model: malformed " + want + " parameters", Err: err}
	}
	h, err := Hash(m, params)
	if err != nil {
		return Meta{}, &regime.Error{Code: regime.EINVALID, Message: "model: cannot hash " + want + " parameters", Err: err}
	}
	if h != m.Hash {
		return Meta{}, regime.Errorf(regime.EINVALID, "model: hash mismatch: file says %.12s…, content hashes to %.12s…", m.Hash, h)
	}
	if len(m.Hyper) > 0 {
		var buf bytes.Buffer
		if json.Compact(&buf, m.Hyper) == nil {
			m.Hyper = buf.Bytes()
		}
	}
	return m, nil
}

// Vec is a []float64 that serialises each value with strconv 'g' -1 (the
// shortest text that parses back to the identical float64), and NaN, +Inf
// and -Inf as the JSON strings "NaN", "+Inf" and "-Inf". A nil Vec is
// written as [].
type Vec []float64

// MarshalJSON implements json.Marshaler.
func (v Vec) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(v)*20)
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, f)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Vec) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Vec, len(raw))
	for i, r := range raw {
		f, err := parseFloat(r)
		if err != nil {
			return fmt.Errorf("value %d: %w", i, err)
		}
		out[i] = f
	}
	*v = out
	return nil
}

// Float is a float64 serialised like one element of a Vec.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) { return appendFloat(nil, float64(f)), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	v, err := parseFloat(b)
	*f = Float(v)
	return err
}

func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

func parseFloat(b []byte) (float64, error) {
	s := string(bytes.TrimSpace(b))
	switch s {
	case `"NaN"`:
		return math.NaN(), nil
	case `"+Inf"`:
		return math.Inf(1), nil
	case `"-Inf"`:
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, 64)
}

// Hashed returns meta with its Hash set to Hash(meta, params), or meta
// unchanged when params is nil (an unfitted model has no hash). It is what
// each model kind's Meta method returns.
func Hashed[P any](meta Meta, params *P) Meta {
	if params != nil {
		meta.Hash, _ = Hash(meta, params)
	}
	return meta
}

// Save writes a fitted model of kind meta.Kind with Encode. It returns an
// EINVALID *regime.Error, naming the kind, when params is nil (the model
// is not fitted).
func Save[P any](w io.Writer, meta Meta, params *P) error {
	if params == nil {
		return regime.Errorf(regime.EINVALID, "%s: cannot save an unfitted model", meta.Kind)
	}
	return Encode(w, meta, params)
}

// Load reads a model of kind written by Save: params (a pointer) with
// Decode, and the saved hyperparameters into hyper (a pointer). It returns
// the errors of Decode, and an EINVALID *regime.Error naming the kind when
// the hyperparameters do not parse into hyper. Checking that the
// parameters are consistent is left to the caller.
func Load(r io.Reader, kind string, params, hyper any) (Meta, error) {
	meta, err := Decode(r, kind, params)
	if err != nil {
		return Meta{}, err
	}
	if err := json.Unmarshal(meta.Hyper, hyper); err != nil {
		return Meta{}, &regime.Error{Code: regime.EINVALID, Message: kind + ": malformed hyperparameters", Err: err}
	}
	return meta, nil
}
