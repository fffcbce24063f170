// Index page: NAV against benchmarks, drawdown, allocation over time,
// holdings (treemap and table), key metrics and monthly returns.

import { all, assetIndex, get, marketFactors, referenceAsset, AllocationPoint, ApiError, Asset, Bar, Composition, NAVPoint, Performance, Weight } from "../api";
import { chart, levelColors, palette, timeZoom } from "../charts";
import * as f from "../fmt";
import { card, empty, h, problem, replace, table } from "../ui";

const indexHint = "This server does not serve the index yet (no index source is wired into `regime serve`). Meanwhile, `regime backtest` computes it on the command line, and the Backtest page runs one on the server if it has the backtest job.";

/** render draws the Index page into root. */
export async function render(root: HTMLElement, signal: AbortSignal): Promise<void> {
  const navBox = h("div", {}, h("p", { class: "state loading", role: "status" }, "Loading…"));
  const ddBox = h("div", {});
  const allocBox = h("div", {});
  const holdBox = h("div", {});
  const metricBox = h("div", {});
  const monthBox = h("div", {});
  root.append(
    card("Index NAV against benchmarks", "nav", navBox),
    card("Drawdown", "drawdown", ddBox),
    card("Key metrics", "metrics", metricBox),
    card("Allocation over time", "allocation", allocBox),
    card("Current holdings", "holdings", holdBox),
    card("Monthly returns", "monthly", monthBox));

  let nav: NAVPoint[];
  try {
    nav = await all<NAVPoint>("/v1/index/nav", 20, signal);
  } catch (e) {
    if (signal.aborted) return;
    for (const b of [navBox, ddBox, allocBox, holdBox, metricBox, monthBox]) replace(b, problem(e, "The index", indexHint));
    return;
  }
  if (!nav.length) {
    for (const b of [navBox, ddBox, allocBox, holdBox, metricBox, monthBox]) replace(b, empty("The index has no NAV yet.", indexHint));
    return;
  }
  let series: NavSeries[];
  if (nav.some((p) => p.benchmarks)) {
    series = benchmarkSeries(nav);
    drawComparison(navBox, series, "Log scale, USD. Every benchmark starts with the index's initial NAV: top-100 buy and hold, bitcoin buy and hold and the bitcoin SMA200 switch, run by the same backtest as the index.");
  } else {
    // Older servers: the leader and the total market from the store, rebased.
    const bench = await benchmarks(nav[0].date, signal).catch((): Bench => ({ name: "", btc: [], market: [] }));
    series = [{ name: "Regime index", data: nav.map((p) => [p.date, p.nav]) }];
    if (bench.btc.length) series.push({ name: bench.name, data: rebase(bench.btc, nav.find((p) => p.nav)?.nav || 1) });
    if (bench.market.length) series.push({ name: "Crypto market", data: rebase(bench.market, nav.find((p) => p.nav)?.nav || 1) });
    drawComparison(navBox, series, "Log scale; benchmarks rebased to the index's first NAV. Crypto market: total market cap (the leader's cap / its dominance).");
  }
  drawDrawdowns(ddBox, series);
  drawMonthly(monthBox, nav);
  get<Performance>("/v1/index/performance", signal).then((p) => drawPerformance(metricBox, p), (e) => replace(metricBox, problem(e, "Performance", indexHint)));
  const names = await assetIndex().catch(() => new Map<string, Asset>());
  get<Composition>("/v1/index", signal).then((c) => drawHoldings(holdBox, c, names), (e) => replace(holdBox, problem(e, "Holdings", indexHint)));
  all<AllocationPoint>("/v1/index/allocation", 20, signal).then(
    (pts) => drawAllocation(allocBox, pts, names),
    (e) => {
      if (signal.aborted) return;
      if (e instanceof ApiError && (e.status === 404 || e.status === 501)) {
        // Older servers: sample the composition at month ends.
        allocation(allocBox, nav, names, signal).catch((e2) => { if (!signal.aborted) replace(allocBox, problem(e2, "Allocation history", indexHint)); });
      } else replace(allocBox, problem(e, "Allocation history", indexHint));
    });
}

/** NavSeries is one line of the NAV and drawdown charts: [date, USD] pairs. */
export interface NavSeries { name: string; data: [string, number | null][] }

/** seriesNames are the display names of the backtest's runs. */
export const seriesNames: Record<string, string> = {
  regime: "Regime index", buy_and_hold: "Top-100 buy and hold", btc_hold: "Bitcoin buy and hold", sma200: "SMA200 switch", buyhold: "Always invested",
};

/** seriesName is the display name of a run. */
export function seriesName(n: string): string {
  return seriesNames[n] || f.title(n);
}

// benchmarkSeries splits the NAV points into the index and its three benchmarks.
function benchmarkSeries(nav: NAVPoint[]): NavSeries[] {
  const out: NavSeries[] = [{ name: seriesName("regime"), data: nav.map((p) => [p.date, p.nav]) }];
  for (const k of ["buy_and_hold", "btc_hold", "sma200"] as const) {
    out.push({ name: seriesName(k), data: nav.map((p) => [p.date, p.benchmarks ? p.benchmarks[k] : null]) });
  }
  return out;
}

/** drawComparison draws NAV lines on a log scale, the first one (the index) bold (shared with the Backtest page). */
export function drawComparison(box: HTMLElement, series: NavSeries[], note: string): void {
  const el = h("div", { class: "chart tall", role: "img", "aria-label": "NAV of " + series.map((s) => s.name).join(", ") + " on a log scale" });
  el.dataset.series = String(series.length);
  replace(box, el, h("p", { class: "muted small" }, note));
  chart(el, {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => f.usd(v) },
    legend: { top: 0, type: "scroll" },
    grid: { left: 70, right: 20, top: 30, bottom: 60 },
    dataZoom: timeZoom(),
    xAxis: { type: "time" },
    yAxis: { type: "log", axisLabel: { formatter: (v: number) => f.usd(v) } },
    series: series.map((s, i) => ({ type: "line", name: s.name, showSymbol: false, connectNulls: false, data: s.data.map(([d, v]) => [d, v !== null && v > 0 ? v : null]), lineStyle: { width: i === 0 ? 2.5 : 1.2 } })),
  });
}

/** drawDrawdowns draws the drawdown of every series from its running peak (shared with the Backtest page). */
export function drawDrawdowns(box: HTMLElement, series: NavSeries[]): void {
  drawNavSeries(box, series.map((s) => ({ name: s.name, nav: s.data.map(([date, nav]) => ({ date, nav })) })), "drawdown");
  const el = box.querySelector<HTMLElement>(".chart");
  if (el) el.dataset.series = String(series.length);
}

interface Bench { name: string; btc: [string, number][]; market: [string, number][] }

// benchmarks returns bitcoin and the total crypto market over the NAV's days.
async function benchmarks(from: string, signal: AbortSignal): Promise<Bench> {
  const lead = await referenceAsset(signal);
  const [bars, rows] = await Promise.all([
    all<Bar>("/v1/assets/" + encodeURIComponent(lead.id) + "/bars?from=" + from, 20, signal),
    marketFactors(["mkt_btc_dominance"], from, signal).catch(() => []),
  ]);
  const dom = new Map(rows.map((r) => [r.date, r.values["mkt_btc_dominance"]]));
  const btc: [string, number][] = [];
  const market: [string, number][] = [];
  for (const b of bars) {
    if (b.close) btc.push([b.date, b.close]);
    const d = dom.get(b.date);
    if (b.market_cap_usd && d) market.push([b.date, b.market_cap_usd / d]);
  }
  return { name: lead.id === "bitcoin" ? "Bitcoin" : lead.symbol.toUpperCase(), btc, market };
}

function rebase(xs: [string, number][], to: number): [string, number][] {
  if (!xs.length) return [];
  const k = to / xs[0][1];
  return xs.map(([d, v]) => [d, v * k]);
}

/** drawNavSeries draws the drawdown of each NAV series (shared with the Backtest page). */
export function drawNavSeries(box: HTMLElement, series: { name: string; nav: NAVPoint[] }[], kind: "nav" | "drawdown"): void {
  const el = h("div", { class: "chart", role: "img", "aria-label": kind === "drawdown" ? "Drawdown from the running peak" : "NAV over time" });
  replace(box, el);
  chart(el, {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => (kind === "drawdown" ? f.pct(v) : f.usd(v)) },
    legend: { top: 0, show: series.length > 1, type: "scroll" },
    grid: { left: 60, right: 20, top: series.length > 1 ? 30 : 10, bottom: 60 },
    dataZoom: timeZoom(),
    xAxis: { type: "time" },
    yAxis: kind === "drawdown" ? { type: "value", max: 0, axisLabel: { formatter: (v: number) => f.pct(v, 0) } } : { type: "log", axisLabel: { formatter: (v: number) => f.usd(v) } },
    series: series.map((s, i) => ({
      type: "line", name: s.name, showSymbol: false, data: kind === "drawdown" ? drawdown(s.nav) : s.nav.map((p) => [p.date, p.nav]),
      areaStyle: kind === "drawdown" && i === 0 ? { opacity: 0.25 } : undefined, lineStyle: { width: i === 0 ? 2 : 1 },
    })),
  });
}

function drawdown(nav: NAVPoint[]): [string, number | null][] {
  let peak = 0;
  return nav.map((p) => {
    if (p.nav === null) return [p.date, null];
    peak = Math.max(peak, p.nav);
    return [p.date, p.nav / peak - 1];
  });
}

/** drawMetrics lists named metrics (shared with the Backtest page). */
export function drawMetrics(box: HTMLElement, m: Record<string, number | null>, from: string, to: string): void {
  const keys = Object.keys(m).sort();
  if (!keys.length) {
    replace(box, empty("No metrics reported for this period."));
    return;
  }
  const tiles = keys.map((k) => h("div", { class: "metric" }, h("span", { class: "metric-name" }, f.title(k)), h("span", { class: "metric-value" }, f.metricValue(k, m[k]))));
  replace(box, h("p", { class: "muted small" }, `${f.date(from)} – ${f.date(to)}`), h("div", { class: "metrics" }, ...tiles));
}

// The metrics of the performance table, in order; the first six are also tiles.
const perfMetrics = ["total_return", "cagr", "max_drawdown", "sharpe", "volatility", "time_in_market", "sortino", "calmar", "avg_exposure", "turnover", "trades", "fees_usd", "slippage_usd", "days"];

// The columns of the performance table: the index, its benchmarks, then
// the index in and out of sample ("" is the index over the whole range).
const perfGroups: [string, string][] = [["", "Regime index"], ["buy_and_hold", "Top-100 buy and hold"], ["btc_hold", "Bitcoin buy and hold"], ["sma200", "SMA200 switch"], ["in_sample", "Index, in sample"], ["out_of_sample", "Index, out of sample"]];

/**
 * drawPerformance shows /v1/index/performance: the index's headline
 * metrics as tiles, then every metric of the index, its benchmarks and
 * its in- and out-of-sample windows as a table ("group.metric" keys;
 * the monthly returns have their own table).
 */
function drawPerformance(box: HTMLElement, p: Performance): void {
  const groups = new Map<string, Record<string, number | null>>();
  for (const [k, v] of Object.entries(p.metrics)) {
    const i = k.indexOf(".");
    const g = i < 0 ? "" : k.slice(0, i);
    if (g === "monthly") continue;
    if (!groups.has(g)) groups.set(g, {});
    groups.get(g)![i < 0 ? k : k.slice(i + 1)] = v;
  }
  const own = groups.get("") || {};
  drawMetrics(box, Object.fromEntries(perfMetrics.slice(0, 6).filter((k) => k in own).map((k) => [k, own[k]])), p.from, p.to);
  const cols = perfGroups.filter(([g]) => groups.has(g));
  const known = new Set(perfMetrics);
  const rows = [...perfMetrics, ...[...new Set(cols.flatMap(([g]) => Object.keys(groups.get(g)!)))].filter((k) => !known.has(k)).sort()]
    .filter((k) => cols.some(([g]) => k in groups.get(g)!));
  if (cols.length < 2) return;
  const t = table("Performance of the index and its benchmarks", ["Metric", ...cols.map(([, n]) => n)], rows.map((k) => [f.title(k), ...cols.map(([g]) => f.metricValue(k, groups.get(g)![k]))]), [false, ...cols.map(() => true)]);
  t.id = "perf-table";
  box.append(t);
}

/** label is the ticker of a holding. */
function label(w: Weight, names: Map<string, Asset>): string {
  return (w.symbol || names.get(w.asset_id)?.symbol || w.asset_id).toUpperCase();
}

function isStable(w: Weight, names: Map<string, Asset>): boolean {
  return names.get(w.asset_id)?.kind === "stablecoin";
}

function drawHoldings(box: HTMLElement, c: Composition, names: Map<string, Asset>): void {
  const ws = [...c.weights].filter((w) => (w.weight ?? 0) > 0).sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0));
  const stable = c.exposure === null ? null : 1 - c.exposure;
  const head = h("p", {}, `${f.date(c.date)} · regime `, h("strong", {}, c.regime || "—"), ` · risky exposure ${f.pct(c.exposure)} · stablecoins/cash ${f.pct(stable)}`);
  if (!ws.length) {
    replace(box, head, empty("The index holds no risky assets on this day.", "It is in stablecoins: the regime is bearish."));
    return;
  }
  const el = h("div", { class: "chart tall", role: "img", "aria-label": "Current holdings as a treemap" });
  replace(box, head, h("div", { class: "grid two" }, el,
    table("Current holdings", ["#", "Asset", "Name", "Weight"], ws.map((w, i) => [String(i + 1), label(w, names), (names.get(w.asset_id)?.name || "") + (isStable(w, names) ? " (stablecoin)" : ""), f.pct(w.weight, 2)]), [true, false, false, true])));
  chart(el, {
    tooltip: { formatter: (p: { name: string; value: number }) => `${p.name}: ${f.pct(p.value, 2)}` },
    series: [{
      type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false }, left: 0, top: 0, right: 0, bottom: 0,
      label: { formatter: (p: { name: string; value: number }) => `${p.name}\n${f.pct(p.value, 1)}`, lineHeight: 16, fontSize: 12 },
      data: ws.map((w) => ({ name: label(w, names), value: w.weight })),
    }],
  });
}

// allocation samples the composition at month ends and stacks the top holdings.
async function allocation(box: HTMLElement, nav: NAVPoint[], names: Map<string, Asset>, signal: AbortSignal): Promise<void> {
  replace(box, h("p", { class: "state loading", role: "status" }, "Loading holdings history…"));
  const ends: string[] = [];
  for (let i = 0; i < nav.length; i++) {
    if (i === nav.length - 1 || nav[i + 1].date.slice(0, 7) !== nav[i].date.slice(0, 7)) ends.push(nav[i].date);
  }
  const sample = ends.slice(-36);
  const comps: Composition[] = [];
  for (let i = 0; i < sample.length; i += 6) {
    const part = await Promise.all(sample.slice(i, i + 6).map((d) => get<Composition>("/v1/index?date=" + d, signal)));
    comps.push(...part);
  }
  // Risky holdings by ticker; stablecoin holdings and cash form one band.
  const risky = (c: Composition) => c.weights.filter((w) => !isStable(w, names));
  const total = new Map<string, number>();
  for (const c of comps) for (const w of risky(c)) total.set(label(w, names), (total.get(label(w, names)) || 0) + (w.weight ?? 0));
  const top = [...total.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map((x) => x[0]);
  const riskySum = (c: Composition) => risky(c).reduce((s, w) => s + (w.weight ?? 0), 0);
  const el = h("div", { class: "chart tall", role: "img", "aria-label": "Allocation over time: stablecoins and the top holdings, stacked" });
  replace(box, el, h("p", { class: "muted small" }, `Month-end holdings over the last ${comps.length} months, as a share of NAV; stablecoins include cash.`));
  const series: object[] = top.map((name) => ({
    type: "line", name, stack: "w", areaStyle: {}, showSymbol: false, lineStyle: { width: 0 },
    data: comps.map((c) => [c.date, risky(c).filter((w) => label(w, names) === name).reduce((s, w) => s + (w.weight ?? 0), 0)]),
  }));
  series.push({
    type: "line", name: "Other risky", stack: "w", areaStyle: {}, showSymbol: false, lineStyle: { width: 0 },
    data: comps.map((c) => [c.date, Math.max(0, riskySum(c) - risky(c).filter((w) => top.includes(label(w, names))).reduce((s, w) => s + (w.weight ?? 0), 0))]),
  });
  series.push({
    type: "line", name: "Stablecoins", stack: "w", areaStyle: {}, showSymbol: false, lineStyle: { width: 0 },
    data: comps.map((c) => [c.date, Math.max(0, 1 - riskySum(c))]),
  });
  const colors = palette();
  chart(el, {
    color: [...colors.slice(0, top.length), levelColors()[2], "#8a94a6"],
    tooltip: { trigger: "axis", valueFormatter: (v: number) => f.pct(v) },
    legend: { top: 0, type: "scroll" },
    grid: { left: 50, right: 20, top: 34, bottom: 30 },
    xAxis: { type: "time" },
    yAxis: { type: "value", max: 1, axisLabel: { formatter: (v: number) => f.pct(v, 0) } },
    series,
  });
}

// drawAllocation stacks the daily allocation: the largest risky holdings,
// other risky assets, stablecoins and cash (fractions of NAV).
function drawAllocation(box: HTMLElement, pts: AllocationPoint[], names: Map<string, Asset>): void {
  if (!pts.length) {
    replace(box, empty("The index has no allocation history yet.", indexHint));
    return;
  }
  // Risky assets of the API's top lists; the 8 with the largest total weight get a band each.
  const total = new Map<string, number>();
  const sym = new Map<string, string>();
  for (const p of pts) for (const w of p.top || []) {
    total.set(w.asset_id, (total.get(w.asset_id) || 0) + (w.weight ?? 0));
    sym.set(w.asset_id, label(w, names));
  }
  const top = [...total.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 8).map((x) => x[0]);
  const band = (name: string, data: [string, number | null][]) => ({ type: "line", name, stack: "w", areaStyle: {}, showSymbol: false, lineStyle: { width: 0 }, data });
  const series: object[] = top.map((id) => band(sym.get(id) || id, pts.map((p) => [p.date, (p.top || []).filter((w) => w.asset_id === id).reduce((s, w) => s + (w.weight ?? 0), 0)])));
  series.push(band("Other risky", pts.map((p) => [p.date, (p.other ?? 0) + (p.top || []).filter((w) => !top.includes(w.asset_id)).reduce((s, w) => s + (w.weight ?? 0), 0)])));
  series.push(band("Stablecoins", pts.map((p) => [p.date, p.stable])));
  series.push(band("Cash", pts.map((p) => [p.date, p.cash])));
  const el = h("div", { class: "chart tall", role: "img", "aria-label": "Allocation over time: the largest risky holdings and other risky assets, stacked, against stablecoins and cash" });
  replace(box, el, h("p", { class: "muted small" }, `Holdings as a share of NAV (at every rebalance at least), ${f.date(pts[0].date)} – ${f.date(pts[pts.length - 1].date)}: risky assets (the ${top.length} largest, then the rest) below, stablecoins and cash on top.`));
  const colors = palette();
  chart(el, {
    color: [...colors.slice(0, top.length), colors[8] || "#8a94a6", levelColors()[2], "#8a94a6"],
    tooltip: { trigger: "axis", valueFormatter: (v: number) => f.pct(v) },
    legend: { top: 0, type: "scroll" },
    grid: { left: 50, right: 20, top: 34, bottom: 60 },
    dataZoom: timeZoom(),
    xAxis: { type: "time" },
    yAxis: { type: "value", max: 1, axisLabel: { formatter: (v: number) => f.pct(v, 0) } },
    series,
  });
}

/** drawMonthly tabulates month-over-month returns by year (shared with the Backtest page). */
export function drawMonthly(box: HTMLElement, nav: NAVPoint[]): void {
  const monthEnd = new Map<string, number>();
  let prev: number | null = null;
  const ret = new Map<string, number>();
  for (const p of nav) if (p.nav !== null) monthEnd.set(p.date.slice(0, 7), p.nav);
  const first = nav.find((p) => p.nav !== null);
  if (!first) {
    replace(box, empty("No NAV values."));
    return;
  }
  prev = first.nav;
  for (const [m, v] of [...monthEnd.entries()].sort()) {
    if (prev) ret.set(m, v / prev - 1);
    prev = v;
  }
  const years = [...new Set([...ret.keys()].map((m) => m.slice(0, 4)))].sort().reverse();
  const months = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"];
  const names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const cell = (v: number | undefined) => {
    const s = h("span", { class: v === undefined ? "muted" : v >= 0 ? "pos" : "neg" }, v === undefined ? "" : f.pct(v, 1));
    return s;
  };
  const rows = years.map((y) => {
    let yr = 1;
    let any = false;
    const cells: (string | Node)[] = [y];
    for (const m of months) {
      const v = ret.get(y + "-" + m);
      if (v !== undefined) { yr *= 1 + v; any = true; }
      cells.push(cell(v));
    }
    cells.push(cell(any ? yr - 1 : undefined));
    return cells;
  });
  replace(box, table("Monthly returns by year", ["Year", ...names, "Year"], rows, [false, ...months.map(() => true), true]));
}
