package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/sqlite"
)

// dataFlag lets a command run on a data directory instead of --db: the
// directory is imported into a temporary store that is removed afterwards.
type dataFlag struct {
	Data string `help:"Run on this data directory (research dataset or CSV schema), imported into a temporary store, instead of --db." type:"existingdir"`
}

// open returns the store to read and a cleanup function.
func (f dataFlag) open(g *globals) (*sqlite.Store, func(), error) {
	if f.Data == "" {
		st, err := g.openStore(true)
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "regime-data-")
	if err != nil {
		return nil, nil, fmt.Errorf("temporary store: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	st, err := sqlite.Open(g.ctx, filepath.Join(dir, "regime.db"))
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	_, err = engine.Import(g.ctx, st, f.Data, engine.ImportOptions{Progress: g.ui.Func()})
	g.ui.Wait()
	if err != nil {
		st.Close()
		cleanup()
		return nil, nil, err
	}
	return st, func() { st.Close(); cleanup() }, nil
}

// confluenceFlags override the K-of-N confluence and the family weights.
type confluenceFlags struct {
	K        float64            `help:"Weighted number of agreeing families needed to call a regime (default 5)."`
	Families []string           `help:"Voting families (N), comma-separated (default all 13)." sep:","`
	Weight   map[string]float64 `help:"Family weight, e.g. --weight trend=2 --weight macro=0 (default 1; volume, volatility, macro 0.5)."`
}

// apply returns opt with the overrides; the gauge's family rules follow
// the chosen families.
func (f confluenceFlags) apply(opt engine.GaugeOptions) (engine.GaugeOptions, error) {
	c := &opt.Gauge.Confluence
	if len(f.Families) > 0 {
		byName := map[string]detect.FamilyRule{}
		for _, r := range opt.Rules {
			byName[r.Family] = r
		}
		var rules []detect.FamilyRule
		for _, fam := range f.Families {
			r, ok := byName[fam]
			if !ok {
				return opt, regime.Errorf(regime.EINVALID, "--families: unknown family %q (known: %s)", fam, strings.Join(c.Families, ", "))
			}
			rules = append(rules, r)
		}
		opt.Rules, c.Families = rules, f.Families
	}
	if f.K != 0 {
		c.K = f.K
	}
	if len(f.Weight) > 0 {
		w := map[string]float64{}
		for k, v := range c.Weights {
			w[k] = v
		}
		for k, v := range f.Weight {
			w[k] = v
		}
		c.Weights = w
	}
	return opt, opt.Gauge.Validate()
}

// loadGauge opens the data, loads the panel and runs the gauge.
func loadGauge(g *globals, data dataFlag, opt engine.GaugeOptions) (*engine.Panel, *engine.GaugeRun, regime.Reader, func(), error) {
	st, cleanup, err := data.open(g)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	p, err := engine.LoadPanel(g.ctx, st, regime.DateRange{})
	if err != nil {
		cleanup()
		return nil, nil, nil, nil, err
	}
	run, err := engine.RunGauge(g.ctx, st, p, opt)
	if err != nil {
		cleanup()
		return nil, nil, nil, nil, err
	}
	return p, run, st, cleanup, nil
}

type gaugeCmd struct {
	dataFlag
	Date string `help:"Day to show (YYYY-MM-DD); default the last day." placeholder:"DATE"`
	dateFlags
	CSV      bool   `name:"csv" help:"Print the daily history (--from/--to) as CSV: date, score, level, each family's and model's contribution, then the bull/bear state."`
	JSON     bool   `name:"json" help:"Machine-readable output."`
	NoModels bool   `help:"Families only (no walk-forward models)."`
	Models   string `help:"Also save every walk-forward model (JSON with training window, features and hash) in this directory." type:"path"`
	confluenceFlags
}

func (c gaugeCmd) Help() string {
	return "The Market Gauge is a 0-100 score with five levels (strong bearish < 20 <= bearish < 40 <=\n" +
		"neutral <= 60 < bullish <= 80 < strong bullish), computed walk-forward: each day uses only data\n" +
		"known that day and models trained strictly before it. Contributions are in score points\n" +
		"(score = 50 + sum of contributions). See docs/gauge.md.\n\n" +
		"Example:\n  regime gauge --db real.db\n  regime gauge --date 2022-06-30 --json\n" +
		"  regime gauge --data ../shared/data --from 2021-01-01 --to 2024-12-31 --csv > gauge.csv"
}

type gaugeDay struct {
	Date       regime.Date        `json:"date"`
	Score      num                `json:"score"`
	Level      detect.Level       `json:"level"`
	State      detect.State       `json:"state"`
	Contrib    map[string]num     `json:"contributions"`
	Votes      []detect.Vote      `json:"votes"`
	Confluence confluenceDay      `json:"confluence"`
	Models     map[string]num     `json:"models,omitempty"`
	Reference  string             `json:"reference_asset"`
	Folds      []detect.ModelFold `json:"-"`
}

type confluenceDay struct {
	State detect.State `json:"state"`
	Bull  num          `json:"bullish_families"`
	Bear  num          `json:"bearish_families"`
	K     float64      `json:"k"`
}

func (c gaugeCmd) Run(g *globals) error {
	r, err := c.rng()
	if err != nil {
		return err
	}
	opt, err := c.apply(engine.DefaultGaugeOptions())
	if err != nil {
		return err
	}
	opt.NoModels = c.NoModels
	p, run, _, cleanup, err := loadGauge(g, c.dataFlag, opt)
	if err != nil {
		return err
	}
	defer cleanup()
	if c.Models != "" {
		if err := saveModels(c.Models, run); err != nil {
			return err
		}
	}
	gg := run.Gauge
	if c.CSV {
		lo, hi := detect.Window{Range: r}.Bounds(p.Dates)
		w := csv.NewWriter(g.stdout)
		head := append(append([]string{"date", "score", "level"}, gg.Components...), "state")
		if err := w.Write(head); err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			row := []string{p.Dates[i].String(), fnum(gg.Score[i], 2), gg.Level[i].String()}
			for cidx := range gg.Components {
				row = append(row, fnum(gg.Contrib[cidx][i], 3))
			}
			row = append(row, gg.State[i].String())
			if err := w.Write(row); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	}
	i := len(p.Dates) - 1
	if c.Date != "" {
		d, err := regime.ParseDate(c.Date)
		if err != nil {
			return fmt.Errorf("--date: %w", err)
		}
		var ok bool
		if i, ok = p.DayIndex(d); !ok {
			return regime.Errorf(regime.ENOTFOUND, "no data on %s (the store covers %s..%s)", d, p.Dates[0], p.Dates[len(p.Dates)-1])
		}
	}
	day := gaugeDayOf(p, run, opt, i)
	if c.JSON {
		return writeJSON(g.stdout, day)
	}
	return writeGaugeDay(g.stdout, day, run, opt, i)
}

// gaugeDayOf collects day i of a gauge run for output.
func gaugeDayOf(p *engine.Panel, run *engine.GaugeRun, opt engine.GaugeOptions, i int) gaugeDay {
	gg := run.Gauge
	day := gaugeDay{Date: p.Dates[i], Score: num(gg.Score[i]), Level: gg.Level[i], State: gg.State[i], Contrib: map[string]num{},
		Reference: run.Asset.Symbol,
		Confluence: confluenceDay{State: gg.Confluence.State[i], Bull: num(gg.Confluence.Bull[i]), Bear: num(gg.Confluence.Bear[i]),
			K: opt.Gauge.Confluence.K}}
	cfg := opt.Gauge.Confluence
	for f, fam := range run.Families {
		day.Votes = append(day.Votes, cfg.VoteOf(fam, run.Scores[f][i]))
	}
	for cidx, name := range gg.Components {
		day.Contrib[name] = num(gg.Contrib[cidx][i])
	}
	if run.Models != nil {
		day.Models = map[string]num{}
		for m, pr := range run.Models.Prob {
			day.Models[m] = num(pr[i])
		}
	}
	return day
}

// writeGaugeDay prints day i of a gauge run for people: the score, the
// level, the confluence and every family's and model's contribution.
func writeGaugeDay(out io.Writer, day gaugeDay, run *engine.GaugeRun, opt engine.GaugeOptions, i int) error {
	gg := run.Gauge
	cfg := opt.Gauge.Confluence
	fmt.Fprintf(out, "Market Gauge on %s: %s / 100, %s (state %s)\n", day.Date, fnum(gg.Score[i], 1), day.Level, day.State)
	fmt.Fprintf(out, "confluence: %s (bullish families %s, bearish %s, K %g)\n\n", day.Confluence.State,
		fnum(gg.Confluence.Bull[i], 1), fnum(gg.Confluence.Bear[i], 1), cfg.K)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "COMPONENT\tVOTE\tSCORE\tCONTRIBUTION\t")
	for cidx, name := range gg.Components {
		vote, score := "", ""
		if cidx < len(day.Votes) {
			vote, score = day.Votes[cidx].State.String(), fnum(day.Votes[cidx].Score, 2)
		} else if run.Models != nil {
			score = "p=" + fnum(run.Models.Prob[name][i], 2)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, vote, score, fnum(gg.Contrib[cidx][i], 2))
	}
	return tw.Flush()
}

func saveModels(dir string, run *engine.GaugeRun) error {
	if run.Models == nil {
		return regime.Errorf(regime.EINVALID, "--models needs the models (drop --no-models)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("models directory: %w", err)
	}
	for k := range run.Models.Folds {
		f := &run.Models.Folds[k]
		for _, m := range f.Metas {
			path := filepath.Join(dir, fmt.Sprintf("%s-%s.json", f.Cutoff, m.Kind))
			file, err := os.Create(path)
			if err != nil {
				return fmt.Errorf("save model: %w", err)
			}
			err = f.Save(m.Kind, file)
			if cerr := file.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("save model %s: %w", path, err)
			}
		}
	}
	return nil
}

func fnum(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

type signalsCmd struct {
	dataFlag
	Date string `help:"Day (YYYY-MM-DD); default the last day." placeholder:"DATE"`
	Top  int    `help:"Tokens: the top N investable assets by market cap as known that day." default:"100"`
	All  bool   `help:"Also list tokens without a signal (neutral)."`
	JSON bool   `name:"json" help:"Machine-readable output."`
}

func (c signalsCmd) Help() string {
	return "A token is bullish (bearish) when at least K of its factor families vote bullish (bearish)\n" +
		"and they outweigh the others; conviction is the agreeing share times their mean strength.\n\n" +
		"Example:\n  regime signals --db real.db --date 2024-03-01\n  regime signals --json"
}

func (c signalsCmd) Run(g *globals) error {
	st, cleanup, err := c.open(g)
	if err != nil {
		return err
	}
	defer cleanup()
	p, err := engine.LoadPanel(g.ctx, st, regime.DateRange{})
	if err != nil {
		return err
	}
	i := len(p.Dates) - 1
	if c.Date != "" {
		d, err := regime.ParseDate(c.Date)
		if err != nil {
			return fmt.Errorf("--date: %w", err)
		}
		var ok bool
		if i, ok = p.DayIndex(d); !ok {
			return regime.Errorf(regime.ENOTFOUND, "no data on %s (the store covers %s..%s)", d, p.Dates[0], p.Dates[len(p.Dates)-1])
		}
	}
	rows, err := engine.TokenSignals(g.ctx, st, p, []int{i}, c.Top, detect.DefaultTokenConfluence())
	if err != nil {
		return err
	}
	if !c.All {
		kept := rows[:0]
		for _, r := range rows {
			if r.State != detect.Neutral {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	if c.JSON {
		if rows == nil {
			rows = []engine.TokenSignalRow{}
		}
		return writeJSON(g.stdout, rows)
	}
	return writeSignals(g.stdout, p.Dates[i], rows)
}

func writeSignals(w io.Writer, d regime.Date, rows []engine.TokenSignalRow) error {
	fmt.Fprintf(w, "token signals on %s (%d)\n", d, len(rows))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tSYMBOL\tSIGNAL\tCONVICTION\tAGREEING FAMILIES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.2f\t%s\n", r.Rank, r.Symbol, r.State, r.Conviction, strings.Join(r.Families, ","))
	}
	return tw.Flush()
}

type evaluateCmd struct {
	dataFlag
	dateFlags
	Cut      string `help:"First out-of-sample day: in-sample is before it, out-of-sample from it on." default:"2021-01-01"`
	JSON     bool   `name:"json" help:"Machine-readable report."`
	NoTokens bool   `help:"Skip the per-token signal evaluation."`
	Forward  int    `help:"Train the models on the sign of the N-day forward return instead of the dating (0 = dating labels)." default:"0"`
	confluenceFlags
}

func (c evaluateCmd) Help() string {
	return "Scores the walk-forward gauge, each model alone and the confluence alone against the ex-post\n" +
		"dating (35% rule) of BTC and of the cap-weighted top-100 basket, next to buy-and-hold, price >\n" +
		"SMA200, SMA50 > SMA200, MACD > 0, RSI14 > 50 and the 20% rule computed in the same run; then\n" +
		"the per-token signals by their 30-day forward returns. In-sample and out-of-sample windows are\n" +
		"reported separately. Defaults were chosen on data before 2021-01-01 only.\n\n" +
		"Example:\n  regime evaluate --data ../shared/data --from 2015-01-01 --to 2024-12-31\n" +
		"  regime evaluate --db real.db --from 2015-01-01 --json > eval.json"
}

func (c evaluateCmd) Run(g *globals) error {
	r, err := c.rng()
	if err != nil {
		return err
	}
	opt := engine.DefaultEvalOptions()
	if opt.Gauge, err = c.apply(opt.Gauge); err != nil {
		return err
	}
	opt.Range, opt.NoTokens = r, c.NoTokens
	if c.Forward < 0 {
		return regime.Errorf(regime.EINVALID, "--forward %d: give a horizon in days, or 0 for dating labels", c.Forward)
	}
	opt.Gauge.Models.ForwardHorizon = c.Forward
	opt.Cut = regime.NoDate
	if c.Cut != "" {
		if opt.Cut, err = regime.ParseDate(c.Cut); err != nil {
			return fmt.Errorf("--cut: %w", err)
		}
	}
	st, cleanup, err := c.open(g)
	if err != nil {
		return err
	}
	defer cleanup()
	p, err := engine.LoadPanel(g.ctx, st, regime.DateRange{})
	if err != nil {
		return err
	}
	ev, err := engine.Evaluate(g.ctx, st, p, opt)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(g.stdout, ev)
	}
	return writeEvaluation(g.stdout, ev)
}

func writeEvaluation(w io.Writer, ev *engine.Evaluation) error {
	fmt.Fprintf(w, "evaluation %s..%s, truth: %.0f%% dating (ex post); models hash %s (%d folds)\n",
		ev.Range.From, ev.Range.To, ev.Dating.Threshold*100, short(ev.ModelsHash), len(ev.Folds))
	for _, m := range ev.Markets {
		for _, win := range m.Windows {
			fmt.Fprintf(w, "\n%s, %s %s..%s\n", m.Market, win.Window, win.From, win.To)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "SIGNAL\tBAL.ACC\tFLIPS/YR\tMED.LAG\tCAGR\tMAXDD\tSHARPE\tCALMAR\tEXPOSURE\tBRIER\tLAGS\t")
			for _, s := range win.Signals {
				lags := make([]string, len(s.Lags))
				for k, l := range s.Lags {
					lags[k] = strconv.Itoa(l)
					if l < 0 {
						lags[k] = "miss"
					}
				}
				brier := ""
				if s.Brier != 0 {
					brier = fnum(float64(s.Brier), 3)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Signal, fnum(float64(s.BalancedAccuracy), 3),
					fnum(float64(s.FlipsPerYear), 1), fnum(float64(s.MedianLag), 0), pct(float64(s.CAGR)), pct(float64(s.MaxDrawdown)),
					fnum(float64(s.Sharpe), 2), fnum(float64(s.Calmar), 2), pct(float64(s.Exposure)), brier, strings.Join(lags, " "))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	if len(ev.Tokens) > 0 {
		fmt.Fprintf(w, "\nper-token signals (top-100 weekly, 30-day forward return)\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "WINDOW\tOBS\tBASE UP\tBASE MEAN\tBULL N\tBULL HIT\tBULL MEAN\tBEAR N\tBEAR HIT\tBEAR MEAN\tNEUTRAL MEAN\t")
		for _, t := range ev.Tokens {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\t\n", t.Window, t.Observations, pct(float64(t.BaseUp)), pct(float64(t.BaseMean)),
				t.Bull.Count, pct(float64(t.Bull.HitRate)), pct(float64(t.Bull.Mean)), t.Bear.Count, pct(float64(t.Bear.HitRate)),
				pct(float64(t.Bear.Mean)), pct(float64(t.Neutral.Mean)))
		}
		return tw.Flush()
	}
	return nil
}

func pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

type dateCmd struct {
	dataFlag
	Asset     string  `arg:"" optional:"" help:"Asset id or symbol to date (default the reference asset, bitcoin)."`
	Threshold float64 `help:"Fall (and rise) from a peak (trough) that dates a turn, as a fraction." default:"0.35"`
	JSON      bool    `name:"json" help:"Machine-readable output."`
}

func (c dateCmd) Help() string {
	return "Dates bull and bear phases ex post (Lunde-Timmermann threshold rule with Pagan-Sossounov\n" +
		"censoring). Dating uses the whole sample, future included: it is the truth for scoring and the\n" +
		"source of training labels (re-dated at each training cutoff), never a feature.\n\n" +
		"Example:\n  regime date --db real.db\n  regime date ETH --threshold 0.4 --json"
}

type datingOut struct {
	Asset   string                `json:"asset"`
	Params  detect.DatingParams   `json:"params"`
	Turns   []detect.TurningPoint `json:"turns"`
	Phases  []detect.Phase        `json:"phases"`
	Settled regime.Date           `json:"settled_until"`
}

func (c dateCmd) Run(g *globals) error {
	st, cleanup, err := c.open(g)
	if err != nil {
		return err
	}
	defer cleanup()
	var p *engine.Panel
	if c.Asset != "" {
		a, err := st.LookupAsset(g.ctx, c.Asset)
		if err != nil {
			return fmt.Errorf("asset %q: %w", c.Asset, err)
		}
		p, err = engine.LoadAssetPanel(g.ctx, st, regime.DateRange{}, a)
		if err != nil {
			return err
		}
	} else if p, err = engine.LoadPanel(g.ctx, st, regime.DateRange{}); err != nil {
		return err
	}
	k := 0
	if c.Asset == "" {
		if k = p.ReferenceAsset(); k < 0 {
			return regime.Errorf(regime.ENOTFOUND, "no reference asset in the store")
		}
	}
	params := detect.DefaultDatingParams()
	params.Threshold = c.Threshold
	lo, n := p.Start[k], len(p.Close[k])
	d, err := detect.DateCycles(p.Dates[lo:lo+n], p.Close[k], params)
	if err != nil {
		return err
	}
	out := datingOut{Asset: p.Assets[k].ID, Params: params, Turns: d.Turns, Phases: d.Phases}
	if d.Settled > 0 {
		out.Settled = p.Dates[lo+d.Settled-1]
	}
	if c.JSON {
		return writeJSON(g.stdout, out)
	}
	fmt.Fprintf(g.stdout, "%s dated with a %.0f%% threshold; labels settled until %s\n", p.Assets[k].Symbol, c.Threshold*100, out.Settled)
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FROM\tTO\tSTATE\tDAYS\tCHANGE\tNOTE")
	for _, ph := range d.Phases {
		note := ""
		if ph.Truncated {
			note = "starts with the data"
		}
		if ph.Provisional {
			note = "provisional (not dated yet)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", ph.From, ph.To, ph.State, ph.Days(), pct(ph.Change()), note)
	}
	return tw.Flush()
}
