// Package bench defines Regime's speed scenarios and runs them with
// testing.Benchmark from ordinary code, for the `regime bench` command. Every
// figure is printed next to a reference measured in the same run (a plain
// loop, go-talib, plain database/sql inserts, plain net/http) with their
// ratio and the target from the issues; a missed target is reported, never
// an error. Inputs are synthetic and seeded, so two runs time the same work.
//
// Sections: feature (indicator kernels, the full factor build, appending a
// day), backtest (orders, one 10-year run, a parameter sweep), store (SQLite
// upserts and reads), synth (market generation) and api (the cached latest
// gauge under load). docs/bench.md explains every row.
package bench

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/bench/fixture"
)

// sectionNames lists the sections in the order Run runs them.
var sectionNames = []string{"feature", "backtest", "store", "synth", "api"}

// Sections returns the names of the benchmark sections in run order.
func Sections() []string { return append([]string(nil), sectionNames...) }

// Options select and size the scenarios. The zero value of a field means its
// default (Defaults); Quick switches to smaller defaults.
type Options struct {
	// Sections to run, from Sections(); empty or "all" means every one.
	Sections []string
	// Quick uses smaller sizes and shorter timings and projects the
	// full-size figures (marked as projections).
	Quick bool

	// BenchTime is the minimum time testing.Benchmark spends on each
	// measurement (default 300 ms, quick 50 ms).
	BenchTime time.Duration
	// Rounds interleaves the measurements of a kernel and its references
	// this many times and keeps the fastest of each (default 3, quick 1),
	// so ratios hold up on a busy machine.
	Rounds int
	// Bars is the length of the random walk the kernels run on (default 10,000).
	Bars int
	// Tokens and Days size the full factor build (default 500 x 3,650,
	// quick 100 x 3,650); the time of 5,000 x 3,650 is projected from it.
	Tokens, Days int
	// AppendTokens is the number of token streams one day is appended to
	// (default 5,000, quick 500: projected to 5,000), each with
	// AppendHistory days of history (default 400).
	AppendTokens, AppendHistory int
	// BacktestDays and BacktestCoins size the synthetic backtest market
	// (default 3,650 days x 200 coins, top 100 held).
	BacktestDays, BacktestCoins int
	// SweepTrials is the number of parameter sets swept (default 1,000,
	// quick 100: projected to 1,000) on SweepWorkers goroutines (default 2,
	// the CI machine of the target).
	SweepTrials, SweepWorkers int
	// StoreRows is the number of bars written per upsert call (default
	// 10,000) and ReadBars the length of the history read (default 4,000).
	StoreRows, ReadBars int
	// SynthTokens and SynthDays size the generated market (default 300 x
	// 3,650, quick 100 x 1,000).
	SynthTokens, SynthDays int
	// LoadDuration is how long each server is loaded (default 3 s, quick
	// 500 ms) by LoadClients connections (default 64).
	LoadDuration time.Duration
	LoadClients  int

	// TempDir holds the scratch databases (default os.TempDir()).
	TempDir string
	// Progress, when set, receives one event per finished row.
	Progress regime.ProgressFunc
}

// Full-scale sizes the targets are stated for.
const (
	fullTokens       = 5000
	fullDays         = 3650
	fullAppendTokens = 5000
	fullSweep        = 1000
)

// Defaults returns o with every zero field set to its default.
func (o Options) Defaults() Options {
	q := func(full, quick int) int {
		if o.Quick {
			return quick
		}
		return full
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.BenchTime <= 0 {
		o.BenchTime = 300 * time.Millisecond
		if o.Quick {
			o.BenchTime = 50 * time.Millisecond
		}
	}
	def(&o.Rounds, q(3, 1))
	def(&o.Bars, 10000)
	def(&o.Tokens, q(500, 100))
	def(&o.Days, 3650)
	def(&o.AppendTokens, q(fullAppendTokens, 500))
	def(&o.AppendHistory, 400)
	def(&o.BacktestDays, 3650)
	def(&o.BacktestCoins, 200)
	def(&o.SweepTrials, q(fullSweep, 100))
	def(&o.SweepWorkers, 2)
	def(&o.StoreRows, 10000)
	def(&o.ReadBars, 4000)
	def(&o.SynthTokens, q(300, 100))
	def(&o.SynthDays, q(3650, 1000))
	def(&o.LoadClients, 64)
	if o.LoadDuration <= 0 {
		o.LoadDuration = 3 * time.Second
		if o.Quick {
			o.LoadDuration = 500 * time.Millisecond
		}
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	return o
}

// Report is the outcome of a run: the machine it ran on and one row per
// figure.
type Report struct {
	Machine Machine `json:"machine"`
	Quick   bool    `json:"quick"`
	Rows    []Row   `json:"rows"`
}

// Machine describes where the figures were measured.
type Machine struct {
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPU        string `json:"cpu"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// MemoryNote says how peak memory is measured.
	MemoryNote string `json:"memory_note"`
	Started    string `json:"started"` // UTC, RFC 3339
}

// Run measures the selected sections and returns their rows. It fails only
// for an unknown section, a canceled ctx or a scenario that cannot be set up
// (e.g. no writable TempDir); a missed target is a MISS row, not an error.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.Defaults()
	want, err := selected(o.Sections)
	if err != nil {
		return nil, err
	}
	rep := &Report{Machine: machine(), Quick: o.Quick}
	r := &runner{o: o, ctx: ctx, rep: rep}
	for _, s := range sectionNames {
		if !want[s] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var err error
		switch s {
		case "feature":
			err = r.feature()
		case "backtest":
			err = r.backtest()
		case "store":
			err = r.store()
		case "synth":
			err = r.synth()
		case "api":
			err = r.api()
		}
		if err != nil {
			return nil, fmt.Errorf("bench %s: %w", s, err)
		}
	}
	return rep, nil
}

func selected(secs []string) (map[string]bool, error) {
	want := map[string]bool{}
	if len(secs) == 0 {
		secs = []string{"all"}
	}
	for _, s := range secs {
		switch {
		case s == "all":
			for _, n := range sectionNames {
				want[n] = true
			}
		case contains(sectionNames, s):
			want[s] = true
		default:
			return nil, regime.Errorf(regime.EINVALID, "unknown bench section %q (want one of %s or all)", s, strings.Join(sectionNames, ", "))
		}
	}
	return want, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// runner carries the options and collects the rows of one run.
type runner struct {
	o   Options
	ctx context.Context
	rep *Report
}

func (r *runner) add(row Row) {
	row.finish()
	r.rep.Rows = append(r.rep.Rows, row)
	r.o.Progress.Report(regime.Progress{Stage: "bench " + row.Section, Done: int64(len(r.rep.Rows)), Unit: "rows"})
}

// timing is a testing.Benchmark result with the process CPU time per op.
type timing struct {
	testing.BenchmarkResult
	// cpu is the user+system CPU time of the whole process per op, over
	// every iteration testing.Benchmark ran (ramp-up included), NaN when
	// unknown. It sums over cores for parallel work and includes the GC
	// and work done with the timer stopped, so it is an upper bound of the
	// op's cost; on a busy machine it is steadier than wall time.
	cpu float64
}

// measure runs f with testing.Benchmark for at least d.
func measure(d time.Duration, f func(b *testing.B)) timing {
	setBenchTime(d.String())
	return benchmark(f)
}

// measureOnce runs f with testing.Benchmark for exactly one iteration
// (scenarios that take seconds).
func measureOnce(f func(b *testing.B)) timing {
	setBenchTime("1x")
	return benchmark(f)
}

// measureN runs f with testing.Benchmark for exactly n iterations.
func measureN(n int, f func(b *testing.B)) timing {
	setBenchTime(fmt.Sprintf("%dx", n))
	return benchmark(f)
}

func benchmark(f func(b *testing.B)) timing {
	var ops int64
	c0 := fixture.CPUNanos()
	res := testing.Benchmark(func(b *testing.B) {
		f(b)
		ops += int64(b.N)
	})
	c1 := fixture.CPUNanos()
	t := timing{BenchmarkResult: res, cpu: math.NaN()}
	if c0 >= 0 && c1 >= 0 && ops > 0 {
		t.cpu = float64(c1-c0) / float64(ops)
	}
	return t
}

// setBenchTime sets the testing package's -test.benchtime, which
// testing.Benchmark reads; testing.Init registers it (a no-op in a test
// binary, where it is registered already).
func setBenchTime(v string) {
	testing.Init()
	if f := flag.Lookup("test.benchtime"); f != nil {
		_ = f.Value.Set(v)
	}
}

// nsPerOp is the result's time per op with sub-nanosecond precision.
func nsPerOp(res timing) float64 {
	if res.N <= 0 {
		return math.NaN()
	}
	return float64(res.T.Nanoseconds()) / float64(res.N)
}

func allocsPerOp(res timing) float64 {
	if res.N <= 0 {
		return math.NaN()
	}
	return float64(res.MemAllocs) / float64(res.N)
}

func machine() Machine {
	return Machine{
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPU:        cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		MemoryNote: "peak = highest Go runtime footprint (runtime/metrics /memory/classes/total:bytes minus heap/released) sampled every 2 ms during the build, minus the footprint before it",
		Started:    time.Now().UTC().Format(time.RFC3339),
	}
}

// cpuModel reads the CPU model name from /proc/cpuinfo ("unknown"
// elsewhere).
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
