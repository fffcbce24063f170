package synth

import (
	"context"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/csv"
)

// CSVSink writes a generated market as a directory in the Regime CSV
// schema (docs/csv-schema.md): assets.csv, bars.csv, observations.csv,
// constituents.csv and truth.csv.
type CSVSink struct {
	w *csv.Writer
}

var _ Sink = (*CSVSink)(nil)

// NewCSVSink returns a sink writing into dir, which is created if needed.
func NewCSVSink(dir string) (*CSVSink, error) {
	w, err := csv.NewWriter(dir)
	if err != nil {
		return nil, err
	}
	return &CSVSink{w: w}, nil
}

// Begin writes assets.csv.
func (s *CSVSink) Begin(assets []regime.Asset) error { return s.w.WriteAssets(assets) }

// Day appends the day's rows to the files.
func (s *CSVSink) Day(d *Day) error {
	for i := range d.Bars {
		if err := s.w.WriteBar(&d.Bars[i]); err != nil {
			return err
		}
	}
	for i := range d.Observations {
		if err := s.w.WriteObservation(&d.Observations[i]); err != nil {
			return err
		}
	}
	for i := range d.Constituents {
		if err := s.w.WriteConstituent(&d.Constituents[i]); err != nil {
			return err
		}
	}
	return s.w.WriteTruth(d.Date, d.Regime.String())
}

// End flushes and closes the files.
func (s *CSVSink) End() error { return s.w.Close() }

// Close releases the files after an error; it is a no-op after End.
func (s *CSVSink) Close() error { return s.w.Close() }

// StoreSink writes a generated market into a regime.Store, in
// transactions of about Batch records (default 10,000). The truth is
// stored as the observation series csv.TruthSeries; everything carries
// the source regime.SourceSynth.
type StoreSink struct {
	ctx   context.Context
	st    regime.Store
	Batch int

	bars []regime.Bar
	obs  []regime.Observation
	cons []regime.Constituent
}

var _ Sink = (*StoreSink)(nil)

// NewStoreSink returns a sink writing into st under ctx.
func NewStoreSink(ctx context.Context, st regime.Store) *StoreSink {
	return &StoreSink{ctx: ctx, st: st, Batch: 10000}
}

// Begin stores the assets.
func (s *StoreSink) Begin(assets []regime.Asset) error {
	return s.st.Update(s.ctx, func(w regime.Writer) error { return w.UpsertAssets(s.ctx, assets) })
}

// Day buffers the day's records and stores them once Batch are pending.
func (s *StoreSink) Day(d *Day) error {
	s.bars = append(s.bars, d.Bars...)
	s.obs = append(s.obs, d.Observations...)
	s.obs = append(s.obs, regime.Observation{Series: csv.TruthSeries, Date: d.Date, Value: float64(d.Regime),
		Source: regime.SourceSynth, KnownAt: d.Date})
	s.cons = append(s.cons, d.Constituents...)
	batch := s.Batch
	if batch <= 0 {
		batch = 10000
	}
	if len(s.bars)+len(s.obs)+len(s.cons) >= batch {
		return s.flush()
	}
	return nil
}

// End stores what is still buffered.
func (s *StoreSink) End() error { return s.flush() }

func (s *StoreSink) flush() error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	err := s.st.Update(s.ctx, func(w regime.Writer) error {
		if len(s.bars) > 0 {
			if err := w.UpsertBars(s.ctx, s.bars); err != nil {
				return err
			}
		}
		if len(s.obs) > 0 {
			if err := w.UpsertObservations(s.ctx, s.obs); err != nil {
				return err
			}
		}
		if len(s.cons) > 0 {
			return w.UpsertConstituents(s.ctx, s.cons)
		}
		return nil
	})
	s.bars, s.obs, s.cons = s.bars[:0], s.obs[:0], s.cons[:0]
	return err
}
