package detect_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

// bare returns params with the threshold only: no censoring rules.
func bare(th float64) detect.DatingParams { return detect.DatingParams{Threshold: th} }

type wantTurn struct {
	Kind detect.TurnKind
	Day  int
}

func turnsOf(d detect.Dating) []wantTurn {
	var out []wantTurn
	for _, tp := range d.Turns {
		out = append(out, wantTurn{tp.Kind, int(tp.Date - day(0))})
	}
	return out
}

func TestDateCyclesRecoversKnots(t *testing.T) {
	P, T := detect.Peak, detect.Trough
	tests := []struct {
		name   string
		knots  []knot
		params detect.DatingParams
		want   []wantTurn
	}{
		{"two cycles, no censoring",
			[]knot{{0, 100}, {100, 300}, {180, 120}, {400, 500}, {470, 250}, {600, 400}},
			bare(0.35), []wantTurn{{P, 100}, {T, 180}, {P, 400}, {T, 470}}},
		{"two cycles, default censoring keeps them",
			[]knot{{0, 100}, {100, 300}, {180, 120}, {400, 500}, {470, 250}, {600, 400}},
			detect.DefaultDatingParams(), []wantTurn{{P, 100}, {T, 180}, {P, 400}, {T, 470}}},
		{"starting in a bear market",
			[]knot{{0, 500}, {150, 100}, {300, 400}, {420, 200}, {500, 300}},
			bare(0.35), []wantTurn{{T, 150}, {P, 300}, {T, 420}}},
		{"a 30% swing is below a 35% threshold",
			[]knot{{0, 100}, {100, 300}, {150, 210}, {300, 600}, {400, 300}, {450, 330}},
			bare(0.35), []wantTurn{{P, 300}}},
		{"separate rise threshold",
			[]knot{{0, 100}, {100, 300}, {180, 120}, {400, 170}, {470, 110}, {600, 400}},
			detect.DatingParams{Threshold: 0.35, RiseThreshold: 0.5}, []wantTurn{{P, 100}, {T, 470}}},
		{"censor drops the last trough",
			[]knot{{0, 100}, {100, 300}, {180, 120}, {400, 500}, {470, 250}, {600, 400}},
			detect.DatingParams{Threshold: 0.35, CensorDays: 140}, []wantTurn{{P, 100}, {T, 180}, {P, 400}}},
		{"short bear at the start is merged into the bull",
			[]knot{{0, 100}, {200, 500}, {230, 300}, {400, 800}, {500, 400}, {600, 700}},
			detect.DatingParams{Threshold: 0.35, MinPhaseDays: 60}, []wantTurn{{P, 400}, {T, 500}}},
		{"short bear kept when the fall is violent (waive)",
			[]knot{{0, 100}, {200, 500}, {230, 300}, {400, 800}, {500, 400}, {600, 700}},
			detect.DatingParams{Threshold: 0.35, MinPhaseDays: 60, WaiveMove: 0.3}, []wantTurn{{P, 200}, {T, 230}, {P, 400}, {T, 500}}},
		{"waive threshold above the fall does not keep it",
			[]knot{{0, 100}, {200, 500}, {230, 300}, {400, 800}, {500, 400}, {600, 700}},
			detect.DatingParams{Threshold: 0.35, MinPhaseDays: 60, WaiveMove: 0.5}, []wantTurn{{P, 400}, {T, 500}}},
		{"short cycle: the smaller swing goes, the higher peak stays",
			[]knot{{0, 100}, {100, 300}, {150, 150}, {200, 320}, {400, 120}, {500, 300}},
			detect.DatingParams{Threshold: 0.35, MinCycleDays: 180}, []wantTurn{{P, 200}, {T, 400}}},
		{"short rally inside a bear: both ends merge away",
			[]knot{{0, 100}, {100, 400}, {200, 150}, {300, 600}, {320, 350}, {340, 560}, {500, 200}, {600, 500}},
			detect.DatingParams{Threshold: 0.35, MinPhaseDays: 60}, []wantTurn{{P, 100}, {T, 200}, {P, 300}, {T, 500}}},
		{"short dip before a higher peak: the later peak is kept",
			[]knot{{0, 100}, {100, 400}, {200, 150}, {300, 600}, {320, 380}, {340, 650}, {500, 200}, {600, 500}},
			detect.DatingParams{Threshold: 0.35, MinPhaseDays: 60}, []wantTurn{{P, 100}, {T, 200}, {P, 340}, {T, 500}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dates, price := path(tt.knots...)
			d, err := detect.DateCycles(dates, price, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, turnsOf(d)); diff != "" {
				t.Errorf("turns (-want +got):\n%s", diff)
			}
			checkConsistent(t, d, price)
		})
	}
}

// checkConsistent checks invariants every dating must satisfy: turns
// alternate, phases tile the sample and labels match the phases.
func checkConsistent(t *testing.T, d detect.Dating, price []float64) {
	t.Helper()
	for k := 1; k < len(d.Turns); k++ {
		if d.Turns[k].Kind == d.Turns[k-1].Kind || d.Turns[k].Index <= d.Turns[k-1].Index {
			t.Errorf("turns %d and %d do not alternate in time: %v %v", k-1, k, d.Turns[k-1], d.Turns[k])
		}
	}
	for k, ph := range d.Phases {
		if k > 0 && ph.Start != d.Phases[k-1].End {
			t.Errorf("phase %d starts at %d, previous ends at %d", k, ph.Start, d.Phases[k-1].End)
		}
		from := ph.Start + 1
		if k == 0 {
			from = ph.Start
		}
		for i := from; i <= ph.End; i++ {
			if d.Labels[i] != ph.State {
				t.Fatalf("day %d labelled %s inside %s phase %s..%s", i, d.Labels[i], ph.State, ph.From, ph.To)
			}
		}
		if ph.State == detect.Bull && !(ph.ToPrice > ph.FromPrice) || ph.State == detect.Bear && !(ph.ToPrice < ph.FromPrice) {
			if !ph.Truncated && !ph.Provisional { // open ends may move either way
				t.Errorf("phase %d %s goes from %v to %v", k, ph.State, ph.FromPrice, ph.ToPrice)
			}
		}
	}
	if len(d.Labels) != len(price) || d.Settled < 0 || d.Settled > len(price) {
		t.Errorf("labels %d for %d prices, settled %d", len(d.Labels), len(price), d.Settled)
	}
}

func TestDateCyclesLabelsAndPhases(t *testing.T) {
	dates, price := path(knot{0, 100}, knot{100, 300}, knot{180, 120}, knot{400, 500}, knot{470, 250}, knot{600, 400})
	d, err := detect.DateCycles(dates, price, detect.DefaultDatingParams())
	if err != nil {
		t.Fatal(err)
	}
	B, R := detect.Bull, detect.Bear
	if diff := cmp.Diff(states(B, 101, R, 80, B, 220, R, 70, B, 130), d.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	type ph struct {
		From, To         int
		State            detect.State
		Trunc, Provision bool
	}
	var got []ph
	for _, p := range d.Phases {
		got = append(got, ph{int(p.From - day(0)), int(p.To - day(0)), p.State, p.Truncated, p.Provisional})
	}
	want := []ph{{0, 100, B, true, false}, {100, 180, R, false, false}, {180, 400, B, false, false},
		{400, 470, R, false, false}, {470, 600, B, false, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if d.Settled != len(price) {
		t.Errorf("settled %d, want %d: the tail is still at its high", d.Settled, len(price))
	}
	if got := d.Phases[1].Change(); math.Abs(got-(-0.6)) > 1e-12 {
		t.Errorf("bear phase change %v, want -0.6", got)
	}
	if got := d.Phases[1].Days(); got != 80 {
		t.Errorf("bear phase days %d, want 80", got)
	}
}

func TestDateCyclesProvisionalTail(t *testing.T) {
	dates, price := path(knot{0, 100}, knot{100, 300}, knot{180, 120}, knot{400, 500}, knot{470, 250}, knot{600, 400})
	d, err := detect.DateCycles(dates, price, detect.DatingParams{Threshold: 0.35, CensorDays: 140})
	if err != nil {
		t.Fatal(err)
	}
	last := d.Phases[len(d.Phases)-1]
	if !last.Provisional || last.State != detect.Bear || last.From != day(400) || last.To != day(600) {
		t.Errorf("last phase %+v, want provisional bear 400..600", last)
	}
	// The bear tail's lowest close is day 470: days after it may belong to
	// the next bull market.
	if d.Settled != 471 {
		t.Errorf("settled %d, want 471", d.Settled)
	}
	conf := d.Confirmed()
	for i := range conf {
		want := d.Labels[i]
		if i >= 471 {
			want = detect.Neutral
		}
		if conf[i] != want {
			t.Fatalf("confirmed[%d] = %s, want %s", i, conf[i], want)
		}
	}
	if d.Labels[600] != detect.Bear {
		t.Errorf("best-guess label at the end %s, want bear", d.Labels[600])
	}
}

func TestDateCyclesNaN(t *testing.T) {
	dates, price := path(knot{0, 100}, knot{100, 300}, knot{180, 120}, knot{400, 500}, knot{470, 250}, knot{600, 400})
	full, err := detect.DateCycles(dates, price, bare(0.35))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 2, 3, 4, 50, 99, 101, 250, 300, 471, 599} {
		price[i] = math.NaN()
	}
	d, err := detect.DateCycles(dates, price, bare(0.35))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(turnsOf(full), turnsOf(d)); diff != "" {
		t.Errorf("NaN gaps moved turns (-full +gaps):\n%s", diff)
	}
	for i := range price {
		want := full.Labels[i]
		if i < 5 {
			want = detect.Neutral // before the first valid price
		}
		if d.Labels[i] != want {
			t.Errorf("label[%d] = %s, want %s", i, d.Labels[i], want)
		}
	}
	checkConsistent(t, d, price)
}

func TestDateCyclesNoTurn(t *testing.T) {
	dates, price := path(knot{0, 100}, knot{100, 120}, knot{200, 90})
	d, err := detect.DateCycles(dates, price, detect.DefaultDatingParams())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Turns) != 0 || len(d.Phases) != 1 || d.Phases[0].State != detect.Neutral || !d.Phases[0].Provisional || d.Settled != 0 {
		t.Errorf("got turns %v phases %+v settled %d, want one neutral provisional phase", d.Turns, d.Phases, d.Settled)
	}
	for i, s := range d.Labels {
		if s != detect.Neutral {
			t.Fatalf("label[%d] = %s, want neutral", i, s)
		}
	}
}

func TestDatingParamsValidate(t *testing.T) {
	ok := detect.DefaultDatingParams()
	tests := []struct {
		name string
		edit func(p *detect.DatingParams)
		want string // substring of the message; empty means valid
	}{
		{"defaults", func(p *detect.DatingParams) {}, ""},
		{"zero threshold", func(p *detect.DatingParams) { p.Threshold = 0 }, "threshold 0 must be a fraction"},
		{"threshold 1", func(p *detect.DatingParams) { p.Threshold = 1 }, "threshold 1 must be"},
		{"percent not fraction", func(p *detect.DatingParams) { p.Threshold = 35 }, "threshold 35 must be"},
		{"NaN threshold", func(p *detect.DatingParams) { p.Threshold = math.NaN() }, "threshold NaN"},
		{"negative rise", func(p *detect.DatingParams) { p.RiseThreshold = -0.1 }, "rise threshold -0.1"},
		{"big rise is fine", func(p *detect.DatingParams) { p.RiseThreshold = 1.5 }, ""},
		{"negative min phase", func(p *detect.DatingParams) { p.MinPhaseDays = -1 }, "min phase days -1"},
		{"negative min cycle", func(p *detect.DatingParams) { p.MinCycleDays = -1 }, "min cycle days -1"},
		{"negative censor", func(p *detect.DatingParams) { p.CensorDays = -5 }, "censor days -5"},
		{"negative waive", func(p *detect.DatingParams) { p.WaiveMove = -1 }, "waive move -1"},
	}
	dates, price := path(knot{0, 100}, knot{10, 200})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.edit(&p)
			err := p.Validate()
			_, derr := detect.DateCycles(dates, price, p)
			if tt.want == "" {
				if err != nil || derr != nil {
					t.Fatalf("want valid, got %v / %v", err, derr)
				}
				return
			}
			for _, e := range []error{err, derr} {
				if e == nil || !strings.Contains(e.Error(), tt.want) || regime.ErrorCode(e) != regime.EINVALID {
					t.Errorf("error %v, want EINVALID containing %q", e, tt.want)
				}
			}
		})
	}
}

func TestDateCyclesBadInput(t *testing.T) {
	d0 := regime.MustDate("2020-01-01")
	nan := math.NaN()
	tests := []struct {
		name  string
		dates []regime.Date
		price []float64
		want  string
	}{
		{"empty", nil, nil, "no valid prices"},
		{"length mismatch", []regime.Date{d0, d0 + 1}, []float64{1}, "2 dates but 1 prices"},
		{"duplicate date", []regime.Date{d0, d0}, []float64{1, 2}, "not strictly increasing at 2020-01-01"},
		{"zero price", []regime.Date{d0, d0 + 1}, []float64{1, 0}, "price 0 on 2020-01-02 must be positive"},
		{"negative price", []regime.Date{d0, d0 + 1}, []float64{-1, 1}, "price -1 on 2020-01-01"},
		{"infinite price", []regime.Date{d0}, []float64{math.Inf(1)}, "price +Inf"},
		{"all missing", []regime.Date{d0, d0 + 1}, []float64{nan, nan}, "no valid prices among 2 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := detect.DateCycles(tt.dates, tt.price, detect.DefaultDatingParams())
			var e *regime.Error
			if !errors.As(err, &e) || e.Code != regime.EINVALID || !strings.Contains(e.Message, tt.want) {
				t.Errorf("error %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
}

func TestConsensus(t *testing.T) {
	dates, price := path(knot{0, 100}, knot{100, 300}, knot{180, 120}, knot{400, 500}, knot{470, 250}, knot{600, 400})
	B, R, N := detect.Bull, detect.Bear, detect.Neutral
	tests := []struct {
		name  string
		grid  []float64 // thresholds, no other rule
		want  []detect.State
		agree []float64 // per run of want
		runs  []int
	}{
		// 0.35 dates both cycles; 0.55 only the first (its bull tail is
		// settled up to the day-400 high); 0.65 dates nothing.
		{"three thresholds", []float64{0.35, 0.55, 0.65},
			states(B, 101, R, 80, B, 220, N, 200), []float64{2. / 3, 2. / 3, 2. / 3, 2. / 3}, []int{101, 80, 220, 200}},
		{"a tie is neutral", []float64{0.35, 0.65},
			states(N, 601), []float64{0.5}, []int{601}},
		{"unanimous", []float64{0.35, 0.4},
			states(B, 101, R, 80, B, 220, R, 70, B, 130), []float64{1}, []int{601}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var grid []detect.DatingParams
			for _, th := range tt.grid {
				grid = append(grid, bare(th))
			}
			c, err := detect.Consensus(dates, price, grid)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			var want []float64
			for k, n := range tt.runs {
				for range n {
					want = append(want, tt.agree[k])
				}
			}
			if diff := cmp.Diff(want, c.Agreement); diff != "" {
				t.Errorf("agreement (-want +got):\n%s", diff)
			}
			if len(c.Datings) != len(grid) {
				t.Errorf("%d datings for %d grid members", len(c.Datings), len(grid))
			}
		})
	}
	if _, err := detect.Consensus(dates, price, nil); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("empty grid: error %v, want EINVALID", err)
	}
	_, err := detect.Consensus(dates, price, []detect.DatingParams{bare(0.3), bare(2)})
	if regime.ErrorCode(err) != regime.EINVALID || !strings.Contains(err.Error(), "grid member 1") {
		t.Errorf("bad member: error %v, want EINVALID naming grid member 1", err)
	}
	if g := detect.DefaultGrid(); len(g) != 10 {
		t.Errorf("default grid has %d members, want 10", len(g))
	}
}

func TestMarkCorrections(t *testing.T) {
	dates, price := path(knot{0, 100}, knot{100, 300}, knot{130, 210}, knot{200, 600}, knot{300, 200}, knot{330, 260},
		knot{400, 150}, knot{500, 400})
	d, err := detect.DateCycles(dates, price, bare(0.35))
	if err != nil {
		t.Fatal(err)
	}
	B, R, N := detect.Bull, detect.Bear, detect.Neutral
	if diff := cmp.Diff(states(B, 201, R, 200, B, 100), d.Labels); diff != "" {
		t.Fatalf("main labels (-want +got):\n%s", diff)
	}
	got, err := detect.MarkCorrections(d, price, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	// A 30% correction (days 100..130) inside the bull and a 30% rally
	// (days 300..330) inside the bear become neutral.
	want := states(B, 101, N, 30, B, 70, R, 100, N, 30, R, 70, B, 100)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if _, err := detect.MarkCorrections(d, price, 0.35); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("threshold equal to the dating's: error %v, want EINVALID", err)
	}
	if _, err := detect.MarkCorrections(d, price[1:], 0.2); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("short price: error %v, want EINVALID", err)
	}
}
