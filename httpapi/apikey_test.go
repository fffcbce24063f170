package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
)

// The root package's API key helpers are exercised here, next to their
// only consumer.
func TestParseScopes(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"read", "read", true},
		{"jobs, read,read", "read,jobs", true},
		{"admin,jobs,read", "read,jobs,admin", true},
		{"", "", false},
		{" , ", "", false},
		{"write", "", false},
		{"READ", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := regime.ParseScopes(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
			if err != nil {
				if regime.ErrorCode(err) != regime.EINVALID {
					t.Errorf("code %s", regime.ErrorCode(err))
				}
				return
			}
			var s []string
			for _, v := range got {
				s = append(s, string(v))
			}
			if strings.Join(s, ",") != tc.want {
				t.Errorf("got %v want %s", s, tc.want)
			}
		})
	}
}

func TestAPIKeyAllows(t *testing.T) {
	k, tok, err := regime.NewAPIKey(&seqRand{}, "x", []regime.Scope{regime.ScopeRead}, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, regime.APIKeyPrefix+k.ID+"_") || len(tok) != len("rgm_")+12+1+43 {
		t.Errorf("token %q", tok)
	}
	if k.Hash != regime.HashAPIKey(tok) || strings.Contains(k.Hash, tok) {
		t.Error("hash")
	}
	for _, tc := range []struct {
		s    regime.Scope
		want bool
	}{{regime.ScopeRead, true}, {regime.ScopeJobs, false}, {regime.ScopeAdmin, false}} {
		if k.Allows(tc.s) != tc.want {
			t.Errorf("read key allows %s = %v", tc.s, !tc.want)
		}
	}
	admin, _, _ := regime.NewAPIKey(&seqRand{}, "a", []regime.Scope{regime.ScopeAdmin}, fixedNow)
	if !admin.Allows(regime.ScopeJobs) || !admin.Allows(regime.ScopeRead) {
		t.Error("admin must imply the other scopes")
	}
	admin.RevokedAt = fixedNow
	if admin.Allows(regime.ScopeRead) {
		t.Error("revoked key allows read")
	}
	if _, _, err := regime.NewAPIKey(&seqRand{}, "x", nil, fixedNow); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("no scope: %v", err)
	}
}

func TestOpenAPIDescribesParameters(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string         `json:"name"`
				In     string         `json:"in"`
				Schema map[string]any `json:"schema"`
			} `json:"parameters"`
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(e.srv.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	op := doc.Paths["/v1/assets"]["get"]
	found := map[string]map[string]any{}
	for _, p := range op.Parameters {
		found[p.In+":"+p.Name] = p.Schema
	}
	if s := found["query:limit"]; s == nil || s["maximum"] != float64(1000) || s["minimum"] != float64(1) || s["default"] != float64(100) {
		t.Errorf("limit schema %v", s)
	}
	if s := found["query:kind"]; s == nil || len(s["enum"].([]any)) != len(regime.Kinds) {
		t.Errorf("kind schema %v", s)
	}
	if len(op.Security) != 2 {
		t.Errorf("security %v", op.Security)
	}
	if h := doc.Paths["/healthz"]["get"]; len(h.Security) != 0 {
		t.Errorf("healthz security %v", h.Security)
	}
	if p := doc.Paths["/v1/assets/{id}/bars"]["get"].Parameters; len(p) == 0 || p[0].In != "path" || p[0].Name != "id" {
		t.Errorf("bars params %+v", p)
	}
}
