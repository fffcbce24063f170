package detect_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

// scenario is one parsed testdata/*.txt file (format in testdata/README.md).
type scenario struct {
	params      detect.DatingParams
	dates       []regime.Date
	prices      []float64
	turns       []string
	phases      []string
	labels      string
	confirmed   string
	corrections []correction
}

type correction struct {
	threshold float64
	labels    string
}

// symbols maps a states line to its canonical form (no spaces).
func symbols(fields []string) string { return strings.Join(fields, "") }

func stateSymbols(s []detect.State) string {
	var b strings.Builder
	for _, v := range s {
		b.WriteByte(map[detect.State]byte{detect.Bull: '+', detect.Bear: '-', detect.Neutral: '.'}[v])
	}
	return b.String()
}

func parseScenario(path string) (*scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := &scenario{}
	s := bufio.NewScanner(f)
	line := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
	}
	for s.Scan() {
		line++
		text, _, _ := strings.Cut(s.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		args := fields[1:]
		switch fields[0] {
		case "params":
			for _, kv := range args {
				k, v, ok := strings.Cut(kv, "=")
				x, err := strconv.ParseFloat(v, 64)
				if !ok || err != nil {
					return nil, fail("bad parameter %q: want key=number", kv)
				}
				switch k {
				case "threshold":
					sc.params.Threshold = x
				case "rise":
					sc.params.RiseThreshold = x
				case "min_phase":
					sc.params.MinPhaseDays = int(x)
				case "min_cycle":
					sc.params.MinCycleDays = int(x)
				case "censor":
					sc.params.CensorDays = int(x)
				case "waive":
					sc.params.WaiveMove = x
				default:
					return nil, fail("unknown parameter %q", k)
				}
			}
		case "prices":
			if len(args) < 2 {
				return nil, fail("prices: want a start date and at least one close")
			}
			d, err := regime.ParseDate(args[0])
			if err != nil {
				return nil, fail("%v", err)
			}
			for i, v := range args[1:] {
				x, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return nil, fail("bad close %q", v)
				}
				if n := len(sc.dates); n > 0 && d.AddDays(i) <= sc.dates[n-1] {
					return nil, fail("prices overlap the previous line at %s", d.AddDays(i))
				}
				sc.dates = append(sc.dates, d.AddDays(i))
				sc.prices = append(sc.prices, x)
			}
		case "turn":
			sc.turns = append(sc.turns, strings.Join(args, " "))
		case "phase":
			sc.phases = append(sc.phases, strings.Join(args, " "))
		case "labels":
			sc.labels = symbols(args)
		case "confirmed":
			sc.confirmed = symbols(args)
		case "corrections":
			if len(args) < 2 {
				return nil, fail("corrections: want a threshold and labels")
			}
			x, err := strconv.ParseFloat(args[0], 64)
			if err != nil {
				return nil, fail("bad threshold %q", args[0])
			}
			sc.corrections = append(sc.corrections, correction{x, symbols(args[1:])})
		default:
			return nil, fail("unknown directive %q", fields[0])
		}
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	if len(sc.prices) == 0 || len(sc.phases) == 0 || sc.labels == "" {
		return nil, fmt.Errorf("%s: a scenario needs prices, phases and labels", path)
	}
	if len(sc.labels) != len(sc.prices) {
		return nil, fmt.Errorf("%s: %d labels for %d prices", path, len(sc.labels), len(sc.prices))
	}
	if sc.confirmed == "" {
		sc.confirmed = sc.labels
	}
	return sc, nil
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			sc, err := parseScenario(file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := detect.DateCycles(sc.dates, sc.prices, sc.params)
			if err != nil {
				t.Fatal(err)
			}
			var turns, phases []string
			for _, tp := range d.Turns {
				turns = append(turns, fmt.Sprintf("%s %s", tp.Kind, tp.Date))
			}
			for _, ph := range d.Phases {
				s := fmt.Sprintf("%s %s %s", ph.State, ph.From, ph.To)
				if ph.Truncated {
					s += " truncated"
				}
				if ph.Provisional {
					s += " provisional"
				}
				phases = append(phases, s)
			}
			if diff := cmp.Diff(sc.turns, turns); diff != "" {
				t.Errorf("turns (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(sc.phases, phases); diff != "" {
				t.Errorf("phases (-want +got):\n%s", diff)
			}
			if got := stateSymbols(d.Labels); got != sc.labels {
				t.Errorf("labels\n got %s\nwant %s", got, sc.labels)
			}
			if got := stateSymbols(d.Confirmed()); got != sc.confirmed {
				t.Errorf("confirmed\n got %s\nwant %s", got, sc.confirmed)
			}
			for _, c := range sc.corrections {
				got, err := detect.MarkCorrections(d, sc.prices, c.threshold)
				if err != nil {
					t.Fatal(err)
				}
				if s := stateSymbols(got); s != c.labels {
					t.Errorf("corrections %v\n got %s\nwant %s", c.threshold, s, c.labels)
				}
			}
		})
	}
}

func TestParseScenarioErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"unknown directive", "params threshold=0.35\nfoo 1\n", ":2: unknown directive \"foo\""},
		{"bad param", "params threshold=abc\n", ":1: bad parameter"},
		{"unknown param", "params lambda=0.3\n", ":1: unknown parameter \"lambda\""},
		{"bad close", "prices 2020-01-01 1 x\n", ":1: bad close \"x\""},
		{"overlap", "prices 2020-01-01 1 2\nprices 2020-01-02 3\n", ":2: prices overlap"},
		{"label count", "prices 2020-01-01 1 2\nphase bull 2020-01-01 2020-01-02\nlabels +\n", "1 labels for 2 prices"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "s.txt")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := parseScenario(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
