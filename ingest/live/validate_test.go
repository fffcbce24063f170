package live_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/sqlite"
)

type dv struct {
	d regime.Date
	v float64
}

// repairs runs CleanDays inside a Run and returns its output and counted
// reasons.
type cleanSource struct {
	in       []dv
	from, to regime.Date
	out      []dv
}

func (c *cleanSource) Name() string { return "clean" }
func (c *cleanSource) Sync(ctx context.Context, s *live.Session) error {
	c.out = live.CleanDays(s, c.in, func(x dv) regime.Date { return x.d }, func(a, b dv) bool { return a.v == b.v }, c.from, c.to)
	return nil
}

func TestCleanDays(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		name     string
		in       []dv
		from, to regime.Date
		want     []dv
		repairs  map[string]int64
	}{
		{"clean", []dv{{1, 1}, {2, 2}}, 0, 0, []dv{{1, 1}, {2, 2}}, map[string]int64{}},
		{"reversed", []dv{{3, 3}, {2, 2}, {1, 1}}, 0, 0, []dv{{1, 1}, {2, 2}, {3, 3}}, map[string]int64{"out of order": 2}},
		{"duplicates", []dv{{1, 1}, {1, 1}, {2, 2}, {2, 9}}, 0, 0, []dv{{1, 1}, {2, 2}}, map[string]int64{"duplicate day": 1, "conflicting duplicate day": 1}},
		{"bounds", []dv{{1, 1}, {2, 2}, {3, 3}, {4, 4}}, 2, 4, []dv{{2, 2}, {3, 3}}, map[string]int64{"before start": 1, "day not closed": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &cleanSource{in: tc.in, from: tc.from, to: tc.to}
			sum, err := live.Run(context.Background(), st, []live.Source{src}, live.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(src.out, tc.want) {
				t.Errorf("out %v, want %v", src.out, tc.want)
			}
			if got := sum.Sources[0].Repairs; !reflect.DeepEqual(got, tc.repairs) {
				t.Errorf("repairs %v, want %v", got, tc.repairs)
			}
		})
	}
}
