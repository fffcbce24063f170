// Market page: the gauge, what drives it, BTC and total-market prices with
// the regime as coloured bands, dated phases, Fear & Greed.

import { ApiError, all, get, marketFactors, referenceAsset, Asset, Bar, Gauge, Phase } from "../api";
import { chart, css, levelColors, timeZoom } from "../charts";
import * as f from "../fmt";
import { card, empty, h, levelClass, loading, problem, replace, table } from "../ui";

const levels = ["strong bearish", "bearish", "neutral", "bullish", "strong bullish"];
const gaugeHint = "This server does not serve the Market Gauge yet (no gauge source is wired into `regime serve`). Meanwhile, `regime gauge` prints it on the command line.";

/** render draws the Market page into root. */
export async function render(root: HTMLElement, signal: AbortSignal): Promise<void> {
  const gaugeBox = h("div", { class: "gauge-box" }, loading());
  const drivers = h("div", {}, loading());
  const prices = h("div", {}, loading());
  const phases = h("div", {}, loading());
  const fg = h("div", {}, loading());
  root.append(
    h("div", { class: "grid two" },
      card("Market Gauge", "gauge", gaugeBox),
      card("What drives it", "drivers", drivers)),
    card("The market leader and the crypto market, with the regime", "prices", prices),
    h("div", { class: "grid two" },
      card("Dated bull and bear phases", "phases", phases),
      card("Fear & Greed", "feargreed", fg)));

  // Gauge and its drivers.
  let history: Gauge[] | null = null;
  try {
    const g = await get<Gauge>("/v1/gauge", signal);
    drawGauge(gaugeBox, g);
    drawDrivers(drivers, g);
  } catch (e) {
    if (signal.aborted) return;
    replace(gaugeBox, problem(e, "The Market Gauge", gaugeHint));
    replace(drivers, problem(e, "Family contributions", gaugeHint));
  }
  try {
    history = await all<Gauge>("/v1/gauge/history", 50, signal);
    if (history.length) drawGaugeHistory(gaugeBox, history);
  } catch { history = null; }

  // Prices, phases and the market, of the market's leader (bitcoin).
  let lead: Asset;
  try {
    lead = await referenceAsset(signal);
  } catch (e) {
    if (signal.aborted) return;
    for (const b of [prices, phases, fg]) replace(b, problem(e, "Prices", "Load data with `regime ingest` (live) or `regime demo` (synthetic), then reload."));
    return;
  }
  const leadName = lead.id === "bitcoin" ? "Bitcoin" : `${lead.name} (${lead.symbol.toUpperCase()})`;
  root.querySelector("#prices-title")!.textContent = `${leadName} and the crypto market, with the regime`;
  root.querySelector("#phases-title")!.textContent = `Dated bull and bear phases of ${leadName}`;
  let ph: Phase[] = [];
  try {
    ph = await all<Phase>("/v1/phases?asset=" + encodeURIComponent(lead.id), 10, signal);
  } catch (e) {
    if (signal.aborted) return;
    replace(phases, problem(e, "Phases", "Import price history first: `regime ingest` or `regime demo`."));
  }
  if (ph.length) drawPhases(phases, ph);
  else if (!phases.querySelector(".state")) replace(phases, empty("No phases dated yet.", "Bitcoin needs a few hundred days of closes: run `regime ingest` or `regime demo`."));

  try {
    const [bars, rows] = await Promise.all([
      all<Bar>("/v1/assets/" + encodeURIComponent(lead.id) + "/bars", 20, signal),
      marketFactors(["mkt_btc_dominance", "fg_level"], undefined, signal).catch(() => []),
    ]);
    if (!bars.length) {
      replace(prices, empty("No prices of " + leadName + " in the store.", "Load data with `regime ingest` (live) or `regime demo` (synthetic), then reload."));
    } else {
      drawPrices(prices, bars, rows, history, ph, leadName);
    }
    drawFearGreed(fg, rows);
  } catch (e) {
    if (signal.aborted) return;
    const hint = e instanceof ApiError && e.status === 404 ? "The store has no prices: run `regime ingest` or `regime demo`." : undefined;
    replace(prices, problem(e, "Prices", hint));
    replace(fg, problem(e, "Fear & Greed"));
  }
}

/** drawGauge draws the dial; exported for live updates. */
export function drawGauge(box: HTMLElement, g: Gauge): void {
  const colors = levelColors();
  const el = h("div", { class: "chart gauge-chart", role: "img", "aria-label": `Market Gauge ${f.num(g.value, 0)} of 100: ${g.level}` });
  const call = h("p", { class: "gauge-call" },
    h("span", { class: "level " + levelClass(g.level), id: "gauge-level", "data-level": g.level }, g.level || "unknown"),
    " · ", h("span", { id: "gauge-value" }, f.num(g.value, 1)), " / 100",
    h("br"), h("span", { class: "muted" }, `${f.date(g.date)} close · index acts on ${g.regime || "—"}`));
  replace(box, el, call);
  chart(el, {
    series: [{
      type: "gauge", min: 0, max: 100, splitNumber: 5, radius: "95%", center: ["50%", "60%"],
      startAngle: 200, endAngle: -20,
      axisLine: { lineStyle: { width: 18, color: [[0.2, colors[0]], [0.4, colors[1]], [0.6, colors[2]], [0.8, colors[3]], [1, colors[4]]] } },
      pointer: { itemStyle: { color: css("--fg") }, width: 5 },
      axisTick: { show: false }, splitLine: { length: 18, lineStyle: { color: css("--bg"), width: 2 } },
      axisLabel: { color: css("--muted"), distance: -40, fontSize: 11, formatter: (v: number) => (v % 20 === 0 ? String(v) : "") },
      detail: { valueAnimation: false, formatter: (v: number) => (isFinite(v) ? v.toFixed(0) : "—"), color: css("--fg"), fontSize: 32, offsetCenter: [0, "25%"] },
      title: { show: false },
      data: [{ value: g.value ?? NaN, name: g.level }],
    }],
  });
}

// drawGaugeHistory adds the last year of readings under the dial.
function drawGaugeHistory(box: HTMLElement, hist: Gauge[]): void {
  const last = hist.slice(-365);
  const el = h("div", { class: "chart spark", role: "img", "aria-label": "Market Gauge over the last year" });
  box.append(h("p", { class: "muted small spark-title" }, "Last 12 months"), el);
  const colors = levelColors();
  chart(el, {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => f.num(v, 1) },
    legend: { show: false },
    grid: { left: 30, right: 10, top: 8, bottom: 22 },
    xAxis: { type: "time" },
    yAxis: { type: "value", min: 0, max: 100, interval: 20 },
    series: [{
      type: "line", name: "Gauge", showSymbol: false, data: last.map((g) => [g.date, g.value]), lineStyle: { width: 1.5 },
      markArea: { silent: true, data: [0, 1, 2, 3, 4].map((i) => [{ yAxis: i * 20, itemStyle: { color: colors[i], opacity: 0.12 } }, { yAxis: i * 20 + 20 }]) },
    }],
  });
}

/** drawDrivers shows each family's score, weight and contribution. */
export function drawDrivers(box: HTMLElement, g: Gauge): void {
  const fam = [...(g.families || [])].sort((a, b) => (b.contribution ?? -1) - (a.contribution ?? -1));
  if (!fam.length) {
    replace(box, empty("This reading has no family breakdown."));
    return;
  }
  const el = h("div", { class: "chart bars", role: "img", "aria-label": "Contribution of each factor family to the gauge" });
  replace(box, el, table("Family votes and contributions", ["Family", "Score", "Weight", "Points"],
    fam.map((x) => [f.title(x.family), f.num(x.score, 0), f.pct(x.weight, 0), f.num(x.contribution, 1)]), [false, true, true, true]));
  const colors = levelColors();
  const rev = [...fam].reverse();
  chart(el, {
    grid: { left: 100, right: 30, top: 10, bottom: 24 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { show: false },
    xAxis: { type: "value", name: "points", nameLocation: "middle", nameGap: 22 },
    yAxis: { type: "category", data: rev.map((x) => f.title(x.family)) },
    series: [{
      type: "bar", name: "Points",
      data: rev.map((x) => ({ value: x.contribution ?? NaN, itemStyle: { color: colors[Math.min(4, Math.max(0, Math.floor((x.score ?? 50) / 20)))] } })),
    }],
  });
}

function levelIndex(l: string): number {
  return levels.indexOf(l.toLowerCase());
}

// bands turns a dated level series into markArea ranges, one per run.
function bands(items: { date: string; key: string }[], color: (k: string) => string): object[] {
  const out: object[] = [];
  let start = 0;
  for (let i = 1; i <= items.length; i++) {
    if (i === items.length || items[i].key !== items[start].key) {
      const k = items[start].key;
      if (k) out.push([{ xAxis: items[start].date, itemStyle: { color: color(k), opacity: 0.18 }, name: k, label: { show: false } }, { xAxis: items[i - 1].date }]);
      start = i;
    }
  }
  return out;
}

function drawPrices(box: HTMLElement, bars: Bar[], rows: { date: string; values: Record<string, number | null> }[], history: Gauge[] | null, ph: Phase[], leadName: string): void {
  const colors = levelColors();
  const dom = new Map(rows.map((r) => [r.date, r.values["mkt_btc_dominance"]]));
  const btc = bars.map((b) => [b.date, b.close]);
  const total = bars.map((b) => {
    const d = dom.get(b.date);
    return [b.date, b.market_cap_usd && d ? b.market_cap_usd / d : null];
  });
  const hasTotal = total.some((x) => x[1] !== null);
  let areas: object[];
  let legendNote: string;
  if (history && history.length) {
    areas = bands(history.map((g) => ({ date: g.date, key: g.level })), (k) => colors[Math.max(0, levelIndex(k))]);
    legendNote = "Bands: the gauge's level each day (red bearish … green bullish).";
  } else {
    areas = bands(expandPhases(ph), (k) => (k === "bull" ? colors[4] : colors[0]));
    legendNote = "Bands: dated bull (green) and bear (red) phases; the gauge history is not available yet.";
  }
  const el = h("div", { class: "chart tall", role: "img", "aria-label": leadName + " price and total crypto market capitalisation, log scale, with regime bands" });
  replace(box, el, h("p", { class: "muted small" }, legendNote + (hasTotal ? " Market: total crypto market cap (the leader's cap / its dominance)." : " Market cap total not available.")));
  chart(el, {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => f.usd(v) },
    legend: { top: 0, type: "scroll" },
    grid: { left: 70, right: 70, top: 30, bottom: 60 },
    dataZoom: timeZoom(),
    xAxis: { type: "time" },
    yAxis: [
      { type: "log", axisLabel: { formatter: (v: number) => f.usd(v) } },
      { type: "log", axisLabel: { formatter: (v: number) => f.usd(v) }, show: hasTotal },
    ],
    series: [
      { type: "line", name: leadName + " (USD)", showSymbol: false, data: btc, markArea: { silent: true, data: areas } },
      ...(hasTotal ? [{ type: "line", name: "Crypto market cap", yAxisIndex: 1, showSymbol: false, data: total, lineStyle: { width: 1 } }] : []),
    ],
  });
}

// expandPhases lists the phase state of each phase's first and last day, enough for bands.
function expandPhases(ph: Phase[]): { date: string; key: string }[] {
  const out: { date: string; key: string }[] = [];
  for (const p of ph) {
    out.push({ date: p.from, key: p.state }, { date: p.to, key: p.state });
  }
  return out;
}

function drawPhases(box: HTMLElement, ph: Phase[]): void {
  const rows = [...ph].reverse().map((p) => [
    h("span", { class: "level " + (p.state === "bull" ? "lvl-bullish" : "lvl-strong-bearish") }, p.state),
    f.date(p.from), p.provisional ? "ongoing" : f.date(p.to), String(p.days), f.pct(p.change, 0, true),
  ]);
  replace(box, table("Dated bull and bear phases, newest first", ["Phase", "From", "To", "Days", "Change"], rows, [false, false, false, true, true]),
    h("p", { class: "muted small" }, "Dated after the fact from the leader's closes, for comparison with the gauge; the last phase is provisional."));
}

function drawFearGreed(box: HTMLElement, rows: { date: string; values: Record<string, number | null> }[]): void {
  const data = rows.filter((r) => r.values["fg_level"] !== null && r.values["fg_level"] !== undefined).map((r) => [r.date, r.values["fg_level"]]);
  if (!data.length) {
    replace(box, empty("No Fear & Greed readings in the store.", "Ingest them with `regime ingest feargreed`."));
    return;
  }
  const lastV = data[data.length - 1];
  const el = h("div", { class: "chart", role: "img", "aria-label": "Crypto Fear and Greed index over time" });
  replace(box, h("p", {}, "Latest: ", h("strong", { id: "fg-latest" }, f.num(lastV[1] as number, 0)), " on " + f.date(lastV[0] as string)), el);
  const colors = levelColors();
  chart(el, {
    tooltip: { trigger: "axis" },
    legend: { show: false },
    grid: { left: 40, right: 16, top: 10, bottom: 60 },
    dataZoom: timeZoom(),
    xAxis: { type: "time" },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [{
      type: "line", name: "Fear & Greed", showSymbol: false, data, lineStyle: { width: 1 },
      markArea: { silent: true, data: [[{ yAxis: 0, itemStyle: { color: colors[0], opacity: 0.08 } }, { yAxis: 25 }], [{ yAxis: 75, itemStyle: { color: colors[4], opacity: 0.08 } }, { yAxis: 100 }]] },
    }],
  });
}
