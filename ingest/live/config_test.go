package live_test

import (
	"testing"
	"time"

	"github.com/regime-engine/regime/ingest/live"
)

func TestConfigForProvider(t *testing.T) {
	def := live.Budget{Cost: 30, Per: time.Minute}
	own := live.Budget{Cost: 5, Per: time.Second}
	tests := []struct {
		name       string
		in         live.Config
		wantURL    string
		wantBudget live.Budget
	}{
		{"zero config takes the defaults", live.Config{}, "https://api.example", def},
		{"caller's URL and budget win", live.Config{BaseURL: "http://127.0.0.1:1", Budget: own}, "http://127.0.0.1:1", own},
		{"caller's name is replaced", live.Config{Name: "other"}, "https://api.example", def},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.ForProvider("example", "https://api.example", def)
			if got.Name != "example" || got.BaseURL != tc.wantURL || got.Budget != tc.wantBudget {
				t.Errorf("got name %q url %q budget %+v, want example %q %+v", got.Name, got.BaseURL, got.Budget, tc.wantURL, tc.wantBudget)
			}
		})
	}
}
