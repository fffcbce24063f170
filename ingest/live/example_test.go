package live_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/sqlite"
)

// counter is a toy Source: one observation per closed day since From,
// written in pages of 10 with their watermark.
type counter struct{}

func (counter) Name() string { return "counter" }

func (counter) Sync(ctx context.Context, s *live.Session) error {
	_, start, err := s.Start(ctx, "counter", "toy:count", s.Today().AddDays(-25))
	if err != nil {
		return err
	}
	var obs []regime.Observation
	for d := start; d < s.Today(); d++ {
		obs = append(obs, regime.Observation{Series: "toy:count", Date: d, Value: float64(d - start), Source: "counter", KnownAt: d})
	}
	return s.CommitObservations(ctx, "counter", "toy:count", obs, 10)
}

// Run resumes every series at its watermark: the second run the next day
// writes only that day.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "live-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "regime.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	clock := live.NewFakeClock(time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC))
	for range 2 {
		sum, err := live.Run(ctx, st, []live.Source{counter{}}, live.Options{Clock: clock})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d rows in %d pages\n", sum.Sources[0].Rows["toy:count"], sum.Sources[0].Pages)
		clock.Advance(24 * time.Hour)
	}
	wm, _ := st.Watermark(ctx, "counter", "toy:count")
	fmt.Println("watermark", wm.Through)
	// Output:
	// 25 rows in 3 pages
	// 1 rows in 1 pages
	// watermark 2024-06-30
}
