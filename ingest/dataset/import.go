package dataset

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/regime-engine/regime"
)

// Options configure Import.
type Options struct {
	Dir      string              // the dataset directory (laid out like ../shared/data)
	Progress regime.ProgressFunc // optional progress events, one stage per file
	Range    regime.DateRange    // optional: only records dated in Range are written
}

// Dataset file paths, relative to Options.Dir.
const (
	FileUniverse  = "universe/cmc_monthly_top200_2020_2025.csv"
	FileCMPanel   = "prices/coinmetrics_daily_panel_2009_2020.csv.gz"
	FileCoinGecko = "prices/coingecko_daily_majors.csv"
	FileCoinbase  = "prices/coinbase_daily_ohlcv_2020_2025.csv.gz"
	FileYahoo     = "prices/yahoo_daily_ohlcv_26coins.csv"
	FileBTCFull   = "onchain/coinmetrics_btc_daily_full.csv.gz"
	FileETHFull   = "onchain/coinmetrics_eth_daily_full.csv.gz"
	FileFlowTotal = "onchain/btc_exchange_flows_total_2016_2021.csv"
	FileFlowByEx  = "onchain/btc_exchange_flows_by_exchange_2016_2021.csv"
	FileFearGreed = "sentiment/fear_greed_index_daily.csv"
	FileTrends    = "sentiment/google_trends_bitcoin_monthly.csv"
	FileFRED      = "macro/fred_long.csv"
	FileBinBTC    = "hourly/binance_btcusdt_1h_2017_2021.csv.gz"
	FileBinETH    = "hourly/binance_ethusdt_1h_2017_2021.csv.gz"
)

// rawFile is the 2020 vintage of a Coin Metrics per-asset file.
func rawFile(ticker string) string {
	return "onchain/coinmetrics_raw_" + ticker + "_to_2020-07-27.csv.gz"
}

// estimateFile labels the estimated market caps in the report.
const estimateFile = "(estimated market caps)"

// batch is what one file contributes; it is written in one transaction.
type batch struct {
	rep     *FileReport
	assets  bool // the batch carries the assets (written first)
	bars    []regime.Bar
	obs     []regime.Observation
	cons    []regime.Constituent
	candles []regime.Candle
}

func (b *batch) size() int { return len(b.bars) + len(b.obs) + len(b.cons) + len(b.candles) }

// importer is the state of one Import call.
type importer struct {
	ctx      context.Context
	opt      Options
	reg      *registry
	rep      *Report
	batches  []*batch
	cmID     map[string]string   // Coin Metrics ticker -> asset id
	fullCols map[string][]string // Coin Metrics ticker -> metrics of its full file
}

// Import reads the research dataset in opt.Dir and writes it to st.
//
// Every file is read and validated before anything is written, so a
// structurally corrupt file (wrong column count, malformed CSV, truncated
// gzip, missing column) aborts the import with an EINVALID *regime.Error
// naming the file and line, and leaves the store as it was. Rows with a
// known data flaw (a bad number, a non-positive price, a duplicate, an
// impossible rank) are dropped and counted in the report by reason. Then
// the assets are written, then each file's records in one st.Update
// transaction, then the estimated market caps. Missing files are skipped
// and marked in the report. Writes are upserts, so importing twice leaves
// the store unchanged.
func Import(ctx context.Context, st regime.Store, opt Options) (*Report, error) {
	start := time.Now()
	if err := opt.Range.Validate(); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(opt.Dir); err != nil || !fi.IsDir() {
		return nil, regime.Errorf(regime.EINVALID, "dataset directory %q does not exist or is not a directory", opt.Dir)
	}
	im := &importer{ctx: ctx, opt: opt, reg: newRegistry(), cmID: map[string]string{}, fullCols: map[string][]string{},
		rep: &Report{Dir: opt.Dir, Range: opt.Range.String(), AssetsByKind: map[regime.AssetKind]int{}}}
	for _, r := range cmcRules {
		im.reg.reserved[r.ID] = true
	}
	steps := []struct {
		file  string
		parse func(*csvFile, *batch) error
	}{
		{FileUniverse, im.readCMC},
		{FileCMPanel, im.readCMPanel},
		{FileCoinGecko, im.readCoinGecko},
		{FileCoinbase, im.readCoinbase},
		{FileYahoo, im.readYahoo},
		{FileBTCFull, im.readCMFull("btc")},
		{FileETHFull, im.readCMFull("eth")},
		{rawFile("btc"), im.readCMRaw("btc")},
		{rawFile("eth"), im.readCMRaw("eth")},
		{rawFile("usdt"), im.readCMRaw("usdt")},
		{rawFile("usdc"), im.readCMRaw("usdc")},
		{rawFile("dai"), im.readCMRaw("dai")},
		{FileFlowTotal, im.readFlowTotal},
		{FileFlowByEx, im.readFlowByExchange},
		{FileFearGreed, im.readFearGreed},
		{FileTrends, im.readTrends},
		{FileFRED, im.readFRED},
		{FileBinBTC, im.readBinance("BTC", "btc")},
		{FileBinETH, im.readBinance("ETH", "eth")},
	}
	for _, s := range steps {
		b := &batch{rep: newFileReport(s.file)}
		im.rep.Files = append(im.rep.Files, b.rep)
		if !im.hasFile(s.file) {
			b.rep.Missing = true
			b.rep.finish()
			continue
		}
		if err := im.readFile(s.file, b, s.parse); err != nil {
			return nil, err
		}
		im.batches = append(im.batches, b)
	}
	if len(im.batches) == 0 {
		return nil, regime.Errorf(regime.EINVALID, "%s: none of the research dataset's files is there (want e.g. %s)", opt.Dir, FileUniverse)
	}
	est := im.estimateCaps()
	im.batches = append(im.batches, est)
	im.rep.Files = append(im.rep.Files, est.rep)
	im.rep.ElapsedReadWall = time.Since(start)

	assets := im.reg.assetsOut()
	im.summarise(assets)
	if err := im.write(st, assets); err != nil {
		return nil, err
	}
	im.rep.Elapsed = time.Since(start)
	return im.rep, nil
}

// readFile opens one file and runs its parser; the parser reads rows
// itself so it can group them before mapping identities.
func (im *importer) readFile(rel string, b *batch, parse func(*csvFile, *batch) error) error {
	// required columns are checked by each parser through need().
	c, err := openCSV(im.opt.Dir, rel, nil, im.opt.Progress)
	if err != nil {
		return err
	}
	defer c.close()
	if err := parse(c, b); err != nil {
		return err
	}
	b.rep.Stored = b.size()
	b.rep.finish()
	return nil
}

// need checks that c has the named columns.
func need(c *csvFile, cols ...string) error {
	for _, name := range cols {
		if _, ok := c.col[name]; !ok {
			return structural(c.rel, 1, "missing column %q (header: %s)", name, strings.Join(c.header, ","))
		}
	}
	return nil
}

// rows calls fn for every data row of c with the row's line in the report.
func (im *importer) rows(c *csvFile, fn func(rec []string) error) error {
	for {
		rec, err := c.next(im.ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// hasFile reports whether the dataset directory has the file rel.
func (im *importer) hasFile(rel string) bool {
	_, err := os.Stat(filepath.Join(im.opt.Dir, filepath.FromSlash(rel)))
	return err == nil
}

// inRange reports whether d is in Options.Range, counting skipped rows.
func (im *importer) inRange(rep *FileReport, d regime.Date) bool {
	if im.opt.Range.Contains(d) {
		return true
	}
	rep.Skipped++
	return false
}

// write stores the assets and then every batch, each in one transaction.
func (im *importer) write(st regime.Store, assets []regime.Asset) error {
	const chunk = 20000
	report := func(stage string, done, total int64, final bool) {
		im.opt.Progress.Report(regime.Progress{Stage: stage, Done: done, Total: total, Unit: "records", Final: final})
	}
	err := st.Update(im.ctx, func(w regime.Writer) error {
		report("write assets", 0, int64(len(assets)), false)
		if err := w.UpsertAssets(im.ctx, assets); err != nil {
			return err
		}
		report("write assets", int64(len(assets)), int64(len(assets)), true)
		return nil
	})
	if err != nil {
		return fmtWriteErr("assets", err)
	}
	for _, b := range im.batches {
		stage := "write " + b.rep.File
		total := int64(b.size())
		if total == 0 {
			continue
		}
		err := st.Update(im.ctx, func(w regime.Writer) error {
			var done int64
			step := func(n int) {
				done += int64(n)
				report(stage, done, total, done == total)
			}
			for i := 0; i < len(b.bars); i += chunk {
				part := b.bars[i:min(i+chunk, len(b.bars))]
				if err := w.UpsertBars(im.ctx, part); err != nil {
					return err
				}
				step(len(part))
			}
			for i := 0; i < len(b.obs); i += chunk {
				part := b.obs[i:min(i+chunk, len(b.obs))]
				if err := w.UpsertObservations(im.ctx, part); err != nil {
					return err
				}
				step(len(part))
			}
			for i := 0; i < len(b.cons); i += chunk {
				part := b.cons[i:min(i+chunk, len(b.cons))]
				if err := w.UpsertConstituents(im.ctx, part); err != nil {
					return err
				}
				step(len(part))
			}
			for i := 0; i < len(b.candles); i += chunk {
				part := b.candles[i:min(i+chunk, len(b.candles))]
				if err := w.UpsertCandles(im.ctx, part); err != nil {
					return err
				}
				step(len(part))
			}
			return nil
		})
		if err != nil {
			return fmtWriteErr(b.rep.File, err)
		}
	}
	return nil
}

func fmtWriteErr(what string, err error) error {
	var e *regime.Error
	if errors.As(err, &e) {
		return &regime.Error{Code: e.Code, Message: "import " + what + ": " + e.Message, Err: err}
	}
	return &regime.Error{Code: regime.EINTERNAL, Message: "import " + what + ": store write failed", Err: err}
}

// summarise fills the report's asset, coverage and series sections.
func (im *importer) summarise(assets []regime.Asset) {
	rep := im.rep
	type acc struct {
		days    map[regime.Date]bool
		sources map[string]bool
		snaps   int
		est     int
	}
	per := map[string]*acc{}
	get := func(id string) *acc {
		a := per[id]
		if a == nil {
			a = &acc{days: map[regime.Date]bool{}, sources: map[string]bool{}}
			per[id] = a
		}
		return a
	}
	series := map[string]*SeriesCoverage{}
	for _, b := range im.batches {
		rep.Bars += len(b.bars)
		rep.Observations += len(b.obs)
		rep.Constituents += len(b.cons)
		rep.Candles += len(b.candles)
		for _, x := range b.bars {
			a := get(x.AssetID)
			a.sources[x.Source] = true
			switch x.Source {
			case regime.SourceEstimate:
				a.est++
			case regime.SourceCMC:
			default:
				if !regime.IsMissing(x.Close) {
					a.days[x.Date] = true
				}
			}
		}
		for _, c := range b.cons {
			get(c.AssetID).snaps++
		}
		for _, o := range b.obs {
			s := series[o.Series]
			if s == nil {
				s = &SeriesCoverage{Series: o.Series, First: o.Date, Last: o.Date}
				series[o.Series] = s
			}
			s.Count++
			if o.Date < s.First {
				s.First = o.Date
			}
			if o.Date > s.Last {
				s.Last = o.Date
			}
		}
	}
	for _, as := range assets {
		rep.AssetsByKind[as.Kind]++
		cov := AssetCoverage{ID: as.ID, Symbol: as.Symbol, Kind: as.Kind}
		if a := per[as.ID]; a != nil {
			cov.Sources = sortedKeys(a.sources)
			cov.Snapshots, cov.Estimated = a.snaps, a.est
			days := make([]regime.Date, 0, len(a.days))
			for d := range a.days {
				days = append(days, d)
			}
			sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
			cov.Days = len(days)
			if len(days) > 0 {
				cov.First, cov.Last = days[0], days[len(days)-1]
				for i := 1; i < len(days); i++ {
					if g := int(days[i] - days[i-1] - 1); g > 0 {
						cov.Gaps++
						cov.LongestGap = max(cov.LongestGap, g)
					}
				}
			}
		}
		rep.Assets = append(rep.Assets, cov)
	}
	for _, k := range sortedKeys(series) {
		rep.Series = append(rep.Series, *series[k])
	}
	rep.Identity = append(rep.Identity, im.reg.notes...)
}
