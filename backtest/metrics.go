package backtest

import (
	"fmt"
	"math"
	"strings"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/index"
)

// DaysPerYear annualises daily statistics: crypto trades every calendar
// day.
const DaysPerYear = 365

// Metrics summarises a run. Returns are simple returns of the NAV;
// annualised figures use DaysPerYear; the risk-free rate is 0.
type Metrics struct {
	Start, End  regime.Date
	Days        int     // simulated days, Start and End included
	TotalReturn float64 // NAV[End]/NAV[Start] - 1
	CAGR        float64 // (1+TotalReturn)^(365/(Days-1)) - 1
	Volatility  float64 // standard deviation of daily returns x sqrt(365)
	Sharpe      float64 // mean / standard deviation of daily returns x sqrt(365)
	Sortino     float64 // mean / downside deviation (root mean square of negative returns) x sqrt(365)
	MaxDrawdown float64 // largest fall from a running peak, as a positive fraction
	// Dates of the maximum drawdown: the peak before it, the trough, and
	// the first day the NAV regained the peak (NoDate if it never did).
	DrawdownPeak, DrawdownTrough, DrawdownRecovery regime.Date
	Calmar                                         float64 // CAGR / MaxDrawdown
	Turnover                                       float64 // annual one-way turnover: sum of trade values / 2 / mean NAV / years
	Fees                                           float64 // USD fees paid
	Slippage                                       float64 // USD slippage paid
	Trades                                         int
	TimeInMarket                                   float64 // share of days with a risky exposure above 0.1%
	AvgExposure                                    float64 // mean risky exposure
	// MissingPriceShare is the mean, over snapshot decisions, of the
	// market-cap share of the top-N investable candidates skipped for lack
	// of a daily close (NaN when there was no such decision).
	MissingPriceShare float64
	// MissingWeightShare is the same mean for Decision.MissingWeightShare,
	// the index weight the skipped candidates would have had.
	MissingWeightShare float64
	ByRegime           []RegimeStats
}

// RegimeStats is the performance while the signal was at one level. The
// return of day t is attributed to the level in effect at the close of
// day t-1, the level the holdings of day t were decided with.
type RegimeStats struct {
	Level       index.Level
	Days        int
	Return      float64 // compounded return over those days
	AnnReturn   float64 // mean daily return x 365
	AvgExposure float64 // mean risky exposure at the start of those days
}

// Month is one calendar month's return: NAV at the last simulated day of
// the month over NAV at the last simulated day before it (or the first
// simulated day).
type Month struct {
	Year   int
	Month  int // 1..12
	Return float64
}

func computeMetrics(cfg Config, r *Result) Metrics {
	n := len(r.NAV)
	m := Metrics{Start: r.Dates[0], End: r.Dates[n-1], Days: n}
	nan := math.NaN()
	m.TotalReturn = r.NAV[n-1]/r.NAV[0] - 1
	m.CAGR, m.Volatility, m.Sharpe, m.Sortino, m.Calmar = nan, nan, nan, nan, nan
	if n > 1 {
		m.CAGR = math.Pow(1+m.TotalReturn, DaysPerYear/float64(n-1)) - 1
	}
	rets := Returns(r.NAV)
	if len(rets) > 1 {
		mean, sd := meanStd(rets)
		m.Volatility = sd * math.Sqrt(DaysPerYear)
		if sd > 0 {
			m.Sharpe = mean / sd * math.Sqrt(DaysPerYear)
		}
		var dd float64
		for _, x := range rets {
			if x < 0 {
				dd += x * x
			}
		}
		if dd > 0 {
			m.Sortino = mean / math.Sqrt(dd/float64(len(rets))) * math.Sqrt(DaysPerYear)
		}
	}
	peak, pi := r.NAV[0], 0
	bestPeak, bestTrough := 0, 0
	for i, v := range r.NAV {
		if v > peak {
			peak, pi = v, i
		}
		if d := 1 - v/peak; d > m.MaxDrawdown {
			m.MaxDrawdown, bestPeak, bestTrough = d, pi, i
		}
	}
	m.DrawdownPeak, m.DrawdownTrough = r.Dates[bestPeak], r.Dates[bestTrough]
	if m.MaxDrawdown > 0 {
		for i := bestTrough; i < n; i++ {
			if r.NAV[i] >= r.NAV[bestPeak] {
				m.DrawdownRecovery = r.Dates[i]
				break
			}
		}
		m.Calmar = m.CAGR / m.MaxDrawdown
	}
	var traded, navSum float64
	for _, c := range r.log {
		for _, t := range c {
			traded += t.v
			m.Fees += t.fee
			m.Slippage += t.slip
			m.Trades++
		}
	}
	in := 0
	for i, v := range r.NAV {
		navSum += v
		e := r.Exposure[i]
		m.AvgExposure += e
		if e > 0.001 {
			in++
		}
	}
	m.AvgExposure /= float64(n)
	m.TimeInMarket = float64(in) / float64(n)
	m.Turnover = nan
	if n > 1 {
		m.Turnover = traded / 2 / (navSum / float64(n)) / (float64(n-1) / DaysPerYear)
	}
	m.MissingPriceShare = nan
	var share float64
	k := 0
	for _, d := range r.Decisions {
		if !math.IsNaN(d.MissingPriceShare) {
			share += d.MissingPriceShare
			k++
		}
	}
	if k > 0 {
		m.MissingPriceShare = share / float64(k)
	}
	m.MissingWeightShare = nan
	share, k = 0, 0
	for _, d := range r.Decisions {
		if !math.IsNaN(d.MissingWeightShare) {
			share += d.MissingWeightShare
			k++
		}
	}
	if k > 0 {
		m.MissingWeightShare = share / float64(k)
	}
	for _, l := range append([]index.Level{index.NoLevel}, index.Levels...) {
		st := RegimeStats{Level: l, Return: 1}
		var sum float64
		for i := 1; i < n; i++ {
			if r.Levels[i-1] != l {
				continue
			}
			x := r.NAV[i]/r.NAV[i-1] - 1
			st.Days++
			st.Return *= 1 + x
			sum += x
			st.AvgExposure += r.Exposure[i-1]
		}
		if st.Days == 0 {
			continue
		}
		st.Return--
		st.AnnReturn = sum / float64(st.Days) * DaysPerYear
		st.AvgExposure /= float64(st.Days)
		m.ByRegime = append(m.ByRegime, st)
	}
	return m
}

// Returns returns the simple daily returns of a NAV series (one fewer
// element).
func Returns(nav []float64) []float64 {
	if len(nav) < 2 {
		return nil
	}
	out := make([]float64, len(nav)-1)
	for i := 1; i < len(nav); i++ {
		out[i-1] = nav[i]/nav[i-1] - 1
	}
	return out
}

func meanStd(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	if len(x) > 1 {
		sd = math.Sqrt(ss / float64(len(x)-1))
	}
	return mean, sd
}

func monthly(dates []regime.Date, nav []float64) []Month {
	var out []Month
	if len(nav) == 0 {
		return out
	}
	base := nav[0]
	for i, d := range dates {
		t := d.Time()
		if i+1 < len(dates) {
			u := dates[i+1].Time()
			if u.Year() == t.Year() && u.Month() == t.Month() {
				continue
			}
		}
		out = append(out, Month{Year: t.Year(), Month: int(t.Month()), Return: nav[i]/base - 1})
		base = nav[i]
	}
	return out
}

// MonthlyTable formats months as a year x month grid of percentages with
// a yearly total column; months outside the run are blank.
func MonthlyTable(months []Month) string {
	var b strings.Builder
	b.WriteString("year  ")
	for _, mn := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		fmt.Fprintf(&b, "%8s", mn)
	}
	b.WriteString("    year\n")
	for i := 0; i < len(months); {
		y := months[i].Year
		cells := make([]string, 12)
		total := 1.0
		for ; i < len(months) && months[i].Year == y; i++ {
			cells[months[i].Month-1] = fmt.Sprintf("%.1f%%", 100*months[i].Return)
			total *= 1 + months[i].Return
		}
		fmt.Fprintf(&b, "%-6d", y)
		for _, c := range cells {
			fmt.Fprintf(&b, "%8s", c)
		}
		fmt.Fprintf(&b, "%8.1f%%\n", 100*(total-1))
	}
	return b.String()
}

// MetricsTable formats named metrics side by side, one row per metric,
// one column per run, in the order given.
func MetricsTable(names []string, ms []Metrics) string {
	pct := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.2f%%", 100*v)
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.2f", v)
	}
	rows := []struct {
		label string
		f     func(m Metrics) string
	}{
		{"period", func(m Metrics) string { return m.Start.String() + ".." + m.End.String() }},
		{"total return", func(m Metrics) string { return pct(m.TotalReturn) }},
		{"CAGR", func(m Metrics) string { return pct(m.CAGR) }},
		{"volatility", func(m Metrics) string { return pct(m.Volatility) }},
		{"Sharpe", func(m Metrics) string { return num(m.Sharpe) }},
		{"Sortino", func(m Metrics) string { return num(m.Sortino) }},
		{"max drawdown", func(m Metrics) string { return pct(m.MaxDrawdown) }},
		{"drawdown peak", func(m Metrics) string { return m.DrawdownPeak.String() }},
		{"drawdown trough", func(m Metrics) string { return m.DrawdownTrough.String() }},
		{"drawdown recovery", func(m Metrics) string {
			if m.DrawdownRecovery == regime.NoDate {
				return "-"
			}
			return m.DrawdownRecovery.String()
		}},
		{"Calmar", func(m Metrics) string { return num(m.Calmar) }},
		{"turnover/yr", func(m Metrics) string { return num(m.Turnover) }},
		{"fees USD", func(m Metrics) string { return fmt.Sprintf("%.0f", m.Fees) }},
		{"slippage USD", func(m Metrics) string { return fmt.Sprintf("%.0f", m.Slippage) }},
		{"trades", func(m Metrics) string { return fmt.Sprint(m.Trades) }},
		{"time in market", func(m Metrics) string { return pct(m.TimeInMarket) }},
		{"avg exposure", func(m Metrics) string { return pct(m.AvgExposure) }},
		{"unpriced cap share", func(m Metrics) string { return pct(m.MissingPriceShare) }},
		{"unpriced weight", func(m Metrics) string { return pct(m.MissingWeightShare) }},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s", "metric")
	for _, n := range names {
		fmt.Fprintf(&b, " %23s", n)
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-20s", r.label)
		for _, m := range ms {
			fmt.Fprintf(&b, " %23s", r.f(m))
		}
		b.WriteString("\n")
	}
	return b.String()
}
