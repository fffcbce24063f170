package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/regime-engine/regime"
)

// Store is what ingestion needs from a store: records, and watermarks
// saved inside Update (the Writer passed to fn must implement
// regime.WatermarkWriter).
type Store interface {
	regime.Store
	regime.WatermarkStore
}

// Source is one provider's ingester.
type Source interface {
	// Name is the source label ("coingecko"), used on the command line,
	// in watermarks and in the summary.
	Name() string
	// Sync backfills and updates every series of the source through s.
	Sync(ctx context.Context, s *Session) error
}

// Options configures Run.
type Options struct {
	// From is the first day to backfill for a series without a
	// watermark (default: each source's own default start).
	From regime.Date
	// Clock defaults to SystemClock; "today" is its UTC day.
	Clock    Clock
	Progress regime.ProgressFunc
}

// Summary is what one Run changed, per source in the order run.
type Summary struct {
	Sources []SourceSummary
}

// SourceSummary is what one source changed.
type SourceSummary struct {
	Source  string
	Pages   int64            // transactions committed
	Rows    map[string]int64 // records written per series
	Repairs map[string]int64 // rows dropped or fixed, per reason
	HTTP    ClientStats      // requests sent, retries, throttles, failures, bans
	Err     error            // why the source stopped early, if it did
}

// StatsSource is implemented by Sources that report their client's
// counters for the summary.
type StatsSource interface {
	ClientStats() ClientStats
}

// Run ingests every source in turn into st. A failing source does not stop
// the others; Run returns the summary of all and the sources' errors
// joined.
func Run(ctx context.Context, st Store, sources []Source, opt Options) (Summary, error) {
	if opt.Clock == nil {
		opt.Clock = SystemClock{}
	}
	var sum Summary
	var errs []error
	for _, src := range sources {
		s := &Session{Store: st, Clock: opt.Clock, From: opt.From, Progress: opt.Progress,
			sum: SourceSummary{Source: src.Name(), Rows: map[string]int64{}, Repairs: map[string]int64{}}}
		var before ClientStats
		if ss, ok := src.(StatsSource); ok {
			before = ss.ClientStats()
		}
		err := src.Sync(ctx, s)
		s.Progress.Report(regime.Progress{Stage: "ingest " + src.Name(), Done: s.done, Total: s.total, Unit: s.unit(), Final: true})
		s.mu.Lock()
		ss := s.sum
		s.mu.Unlock()
		if st, ok := src.(StatsSource); ok {
			ss.HTTP = st.ClientStats().Sub(before)
		}
		if err != nil {
			ss.Err = err
			errs = append(errs, err)
		}
		sum.Sources = append(sum.Sources, ss)
		if ctx.Err() != nil {
			break
		}
	}
	return sum, errors.Join(errs...)
}

// Session is one source's view of a Run: the store, the clock, the
// backfill start, progress and the counters of the summary.
type Session struct {
	Store    Store
	Clock    Clock
	From     regime.Date // backfill start for new series; NoDate = the source's default
	Progress regime.ProgressFunc

	mu          sync.Mutex
	sum         SourceSummary
	done, total int64
}

// Today returns the clock's UTC day. Sources store only closed days
// (before Today) for daily series.
func (s *Session) Today() regime.Date { return regime.DateOf(s.Clock.Now()) }

// Start returns the stored watermark of (source, series) and the first
// day to fetch: the day after the watermark, or for a new series From
// when set, else def.
func (s *Session) Start(ctx context.Context, source, series string, def regime.Date) (regime.Watermark, regime.Date, error) {
	wm, err := s.Store.Watermark(ctx, source, series)
	switch {
	case err == nil:
		return wm, wm.Through + 1, nil
	case errors.Is(err, regime.ErrNotFound):
		wm = regime.Watermark{Source: source, Series: series}
		if s.From != regime.NoDate {
			return wm, s.From, nil
		}
		return wm, def, nil
	default:
		return regime.Watermark{}, 0, err
	}
}

// Rows is what one Commit wrote, per series name.
type Rows map[string]int

// Commit runs fn and saves the watermarks in one transaction, then counts
// the rows fn reports. It fails with EINTERNAL when the store's Writer
// cannot save watermarks.
func (s *Session) Commit(ctx context.Context, fn func(w regime.Writer) (Rows, error), wms ...regime.Watermark) error {
	var rows Rows
	err := s.Store.Update(ctx, func(w regime.Writer) error {
		ww, ok := w.(regime.WatermarkWriter)
		if !ok {
			return regime.Errorf(regime.EINTERNAL, "store writer %T cannot save watermarks", w)
		}
		var err error
		if rows, err = fn(w); err != nil {
			return err
		}
		now := s.Clock.Now().Unix()
		for _, wm := range wms {
			wm.Updated = now
			if err := ww.SetWatermark(ctx, wm); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.sum.Pages++
	for k, n := range rows {
		s.sum.Rows[k] += int64(n)
	}
	s.mu.Unlock()
	return nil
}

// Repair counts n rows dropped or fixed for reason ("duplicate date",
// "unclosed candle"...). Nothing is dropped silently.
func (s *Session) Repair(reason string, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.sum.Repairs[reason] += int64(n)
	s.mu.Unlock()
}

// Step reports progress: done of total units (series or pages) of the
// source so far.
func (s *Session) Step(done, total int64) {
	s.mu.Lock()
	s.done, s.total = done, total
	name := s.sum.Source
	s.mu.Unlock()
	s.Progress.Report(regime.Progress{Stage: "ingest " + name, Done: done, Total: total, Unit: s.unit()})
}

func (s *Session) unit() string { return "series" }

// AssetID resolves the store's asset id for a provider's own id: the
// asset carrying an alias (source, sourceID), else the asset whose id is
// sourceID. ok is false when neither exists (the caller creates the asset
// under sourceID).
func (s *Session) AssetID(ctx context.Context, source, sourceID string) (id string, ok bool, err error) {
	a, err := s.Store.LookupAsset(ctx, sourceID)
	switch {
	case errors.Is(err, regime.ErrNotFound):
		return sourceID, false, nil
	case err != nil:
		return "", false, err
	}
	if a.ID == sourceID {
		return a.ID, true, nil
	}
	for _, al := range a.Aliases {
		if al.Source == source && al.SourceID == sourceID {
			return a.ID, true, nil
		}
	}
	if _, err := s.Store.Asset(ctx, sourceID); err == nil {
		return sourceID, true, nil
	}
	return sourceID, false, nil
}

// WriteSummary prints sum as text, one block per source, keys sorted.
func WriteSummary(w io.Writer, sum Summary) error {
	var b strings.Builder
	for _, s := range sum.Sources {
		var total int64
		for _, n := range s.Rows {
			total += n
		}
		status := "ok"
		if s.Err != nil {
			status = "FAILED: " + regime.ErrorMessage(s.Err)
		}
		fmt.Fprintf(&b, "%-14s %8d rows in %d pages across %d series, %d requests (%d retries, %d throttled, %d failed)  %s\n",
			s.Source, total, s.Pages, len(s.Rows), s.HTTP.Requests, s.HTTP.Retries, s.HTTP.Throttled, s.HTTP.Failures, status)
		for _, k := range sortedKeys(s.Rows) {
			fmt.Fprintf(&b, "  %-40s %8d rows\n", k, s.Rows[k])
		}
		for _, k := range sortedKeys(s.Repairs) {
			fmt.Fprintf(&b, "  repaired: %-30s %8d\n", k, s.Repairs[k])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string]int64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// PageSize is how many records Sources write per transaction by default.
const PageSize = 500

// CommitObservations writes obs (one series, sorted by date, cleaned) in
// transactions of page records, each with the series' watermark moved to
// its last date.
func (s *Session) CommitObservations(ctx context.Context, source, series string, obs []regime.Observation, page int) error {
	if page <= 0 {
		page = PageSize
	}
	for i := 0; i < len(obs); i += page {
		p := obs[i:min(i+page, len(obs))]
		wm := regime.Watermark{Source: source, Series: series, Through: p[len(p)-1].Date}
		if err := s.Commit(ctx, func(w regime.Writer) (Rows, error) {
			return Rows{series: len(p)}, w.UpsertObservations(ctx, p)
		}, wm); err != nil {
			return err
		}
	}
	return nil
}
