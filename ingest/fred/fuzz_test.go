package fred_test

import (
	"testing"

	"github.com/regime-engine/regime/ingest/fred"
	"github.com/regime-engine/regime/ingest/live/livetest"
)

func FuzzParseObservations(f *testing.F) {
	f.Add(livetest.Recorded(f, "observations.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := fred.ParseObservations(b)
		if err != nil {
			return
		}
		obs, _, _ := fred.FirstReleases("X", 1, p.Rows)
		for i, o := range obs {
			if o.KnownAt < o.Date || (i > 0 && o.Date <= obs[i-1].Date) {
				t.Fatalf("bad observation %+v", o)
			}
		}
	})
}
