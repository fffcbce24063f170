package feargreed_test

import (
	"os"
	"testing"

	"github.com/regime-engine/regime/ingest/feargreed"
)

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/fng.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"data":[{"value":"1e400","timestamp":"-1"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, err := feargreed.Parse(b)
		if err != nil {
			return
		}
		for _, p := range pts {
			if p.Value != p.Value {
				t.Fatalf("NaN value accepted")
			}
		}
	})
}
