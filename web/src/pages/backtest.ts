// Backtest page: a form that submits POST /v1/backtests, the job's
// progress from its event stream, and the result with the Index charts.

import { get, post, stream, Job } from "../api";
import * as f from "../fmt";
import { card, empty, h, problem, replace, table } from "../ui";
import { drawComparison, drawDrawdowns, drawMonthly, seriesName, NavSeries } from "./index";

/** Metrics are one run's metrics (report.Metrics): numbers, dates, null when missing. */
export type Metrics = Record<string, number | string | null>;

/**
 * BacktestResult is the job result the page draws: the report of
 * `regime backtest --json --nav-json` (report.Backtest with its NAV).
 */
export interface BacktestResult {
  strategy?: string;
  from?: string;
  to?: string;
  split?: string | null;
  reference_asset?: string;
  runs?: { name: string; metrics: Metrics }[];
  windows?: { name: string; from: string; to: string; runs?: Record<string, Metrics> }[];
  nav?: { dates: string[]; series: Record<string, (number | null)[]>; exposure?: (number | null)[] };
}

const terminal = new Set(["succeeded", "failed", "canceled"]);

// The order of the runs: the index first, then its benchmarks.
const runOrder = ["regime", "buy_and_hold", "btc_hold", "sma200"];

// Metrics shown per window (the full list is in the per-run table).
const windowMetrics = ["total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar", "time_in_market", "avg_exposure", "trades", "fees_usd"];

/** render draws the Backtest page into root. */
export async function render(root: HTMLElement, signal: AbortSignal): Promise<void> {
  const strategy = h("select", { id: "bt-strategy", name: "strategy" },
    h("option", { value: "gauge" }, "Market Gauge"), h("option", { value: "sma200" }, "Bitcoin SMA200 switch"), h("option", { value: "buyhold" }, "Always invested"));
  const from = h("input", { type: "date", id: "bt-from", name: "from" });
  const to = h("input", { type: "date", id: "bt-to", name: "to" });
  const split = h("input", { type: "text", id: "bt-split", name: "split", placeholder: "2021-01-01 or none", pattern: "\\d{4}-\\d{2}-\\d{2}|none", autocomplete: "off" });
  const n = h("input", { type: "number", id: "bt-n", name: "n", min: 1, max: 1000, step: 1, placeholder: "100" });
  const scheme = h("select", { id: "bt-scheme", name: "scheme" },
    h("option", { value: "" }, "Default (cap)"), h("option", { value: "cap" }, "Market cap"), h("option", { value: "sqrt_cap" }, "Square root of cap"), h("option", { value: "equal" }, "Equal"));
  const rebalance = h("input", { type: "number", id: "bt-rebalance", name: "rebalance", min: 1, max: 366, step: 1, placeholder: "7" });
  const exposure = h("input", { type: "text", id: "bt-exposure", name: "exposure", placeholder: "0,0.25,0.5,1,1", autocomplete: "off" });
  const fee = h("input", { type: "number", id: "bt-fee", name: "fee", min: 0, max: 0.05, step: 0.0005, placeholder: "0.001" });
  const submit = h("button", { type: "submit", id: "bt-submit" }, "Run backtest");
  const status = h("div", { id: "bt-status", "aria-live": "polite" });
  const result = h("div", { id: "bt-result" });
  const form = h("form", { class: "filters", id: "bt-form", "aria-label": "Backtest rules" },
    h("label", { for: "bt-strategy" }, "Strategy", strategy),
    h("label", { for: "bt-from" }, "From (optional)", from),
    h("label", { for: "bt-to" }, "To (optional)", to),
    h("label", { for: "bt-split" }, "Out-of-sample from", split),
    h("label", { for: "bt-n" }, "Constituents", n),
    h("label", { for: "bt-scheme" }, "Weighting", scheme),
    h("label", { for: "bt-rebalance" }, "Rebalance (days)", rebalance),
    h("label", { for: "bt-exposure", title: "Risky exposure per gauge level, strong bearish first" }, "Exposure by level", exposure),
    h("label", { for: "bt-fee" }, "Fee rate", fee),
    submit);
  root.append(card("Run a backtest", "backtest", form, h("p", { class: "muted small" }, "Runs on the server as a job (needs a key with the jobs scope). Empty fields use the defaults of `regime backtest`."), status), card("Result", "bt-result-card", result));
  replace(result, empty("No backtest run yet.", "Choose the rules above and press “Run backtest”."));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const params: Record<string, string | number | boolean> = { strategy: strategy.value, nav: true };
    if (from.value) params.from = from.value;
    if (to.value) params.to = to.value;
    if (split.value.trim()) params.split = split.value.trim();
    if (n.value !== "") params.n = Number(n.value);
    if (scheme.value) params.scheme = scheme.value;
    if (rebalance.value !== "") params.rebalance = Number(rebalance.value);
    if (exposure.value.trim()) params.exposure = exposure.value.replace(/\s+/g, "");
    if (fee.value !== "") params.fee = Number(fee.value);
    submit.disabled = true;
    try {
      let job = await post<Job>("/v1/backtests", params);
      job = await follow(job, status, signal);
      if (job.state === "succeeded") {
        const r = await get<BacktestResult>(`/v1/jobs/${encodeURIComponent(job.id)}/result`, signal);
        drawResult(result, r);
      } else {
        replace(result, h("div", { class: "state error", role: "alert" }, h("p", {}, h("strong", {}, `Backtest ${job.state}. `)), h("p", { class: "hint" }, job.error || "Check the rules and try again.")));
      }
    } catch (err) {
      if (!signal.aborted) replace(status, problem(err, "Backtest", "This server has no backtest job yet (not wired into `regime serve`). Meanwhile, run `regime backtest` on the command line."));
    } finally {
      submit.disabled = false;
    }
  });
}

// follow shows a job's progress from its event stream (with polling as a
// fallback) until it ends.
async function follow(job: Job, box: HTMLElement, signal: AbortSignal): Promise<Job> {
  const bar = h("progress", { id: "bt-progress", max: 1, value: 0, "aria-label": "Backtest progress" });
  const text = h("span", { id: "bt-state" }, "");
  replace(box, h("p", {}, bar, " ", text));
  const show = (j: Job) => {
    job = j;
    if (j.total > 0) { bar.max = j.total; bar.value = j.done; } else bar.removeAttribute("value");
    text.textContent = `${j.state}` + (j.total > 0 ? ` · ${f.num((100 * j.done) / j.total, 0)}%` : "") + (j.error ? " · " + j.error : "");
    box.dataset.state = j.state;
  };
  show(job);
  const ctl = new AbortController();
  signal.addEventListener("abort", () => ctl.abort());
  let done: () => void = () => {};
  const ended = new Promise<void>((r) => { done = r; });
  stream(`/v1/jobs/${encodeURIComponent(job.id)}/events`, (m) => {
    try {
      const j = JSON.parse(m.data) as Job;
      if (j.id === job.id) { show(j); if (terminal.has(j.state)) done(); }
    } catch { /* ignore malformed events */ }
  }, ctl.signal);
  const poll = (async () => {
    while (!ctl.signal.aborted && !terminal.has(job.state)) {
      await new Promise((r) => setTimeout(r, 1000));
      try { show(await get<Job>(`/v1/jobs/${encodeURIComponent(job.id)}`, ctl.signal)); } catch { /* stream may still deliver */ }
    }
    done();
  })();
  await ended;
  ctl.abort();
  await poll.catch(() => {});
  return job;
}

// metricCell formats one metric of report.Metrics: dates as dates, the rest by meaning.
function metricCell(k: string, v: number | string | null | undefined): string {
  if (typeof v === "string") return /^\d{4}-\d{2}-\d{2}$/.test(v) ? f.date(v) : v;
  return f.metricValue(k, v);
}

// ordered sorts run names: the index, its benchmarks, then any other.
function ordered(names: string[]): string[] {
  const rank = (n: string) => (runOrder.includes(n) ? runOrder.indexOf(n) : runOrder.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
}

function metricsTable(caption: string, runs: { name: string; metrics: Metrics }[], keys: string[], id: string): HTMLElement {
  const t = table(caption, ["Metric", ...runs.map((r) => seriesName(r.name))], keys.map((k) => [f.title(k), ...runs.map((r) => metricCell(k, r.metrics[k]))]), [false, ...runs.map(() => true)]);
  t.id = id;
  return t;
}

function drawResult(box: HTMLElement, r: BacktestResult): void {
  const runs = r.runs || [];
  const nav = r.nav;
  if (!runs.length && !nav) {
    replace(box, h("p", {}, "The job finished but its result has neither runs nor NAV."), h("pre", {}, JSON.stringify(r, null, 2).slice(0, 5000)));
    return;
  }
  const series: NavSeries[] = nav ? ordered(Object.keys(nav.series)).map((k) => ({ name: seriesName(k), data: nav.dates.map((d, i) => [d, nav.series[k][i] ?? null] as [string, number | null]) })) : [];
  const navBox = h("div", { id: "bt-nav" });
  const dd = h("div", { id: "bt-drawdown" });
  const mon = h("div", {});
  const byRun = ordered(runs.map((x) => x.name)).map((n) => runs.find((x) => x.name === n)!);
  const keys = [...new Set(byRun.flatMap((x) => Object.keys(x.metrics)))].filter((k) => k !== "start" && k !== "end");
  const windows = (r.windows || []).map((w) => {
    const wr = ordered(Object.keys(w.runs || {})).map((name) => ({ name, metrics: w.runs![name] }));
    return h("div", { class: "bt-window" }, h("h4", {}, `${f.title(w.name)} · ${f.date(w.from)} – ${f.date(w.to)}`),
      wr.length ? metricsTable(`Metrics, ${w.name} window`, wr, windowMetrics.filter((k) => wr.some((x) => k in x.metrics)), "bt-window-" + w.name) : empty("No metrics for this window."));
  });
  const first = series[0];
  replace(box,
    h("p", { id: "bt-summary" }, `${r.strategy ? "Strategy " + r.strategy + " · " : ""}${f.date(r.from)} – ${f.date(r.to)}` + (r.split ? ` · out of sample from ${f.date(r.split)}` : "") + (r.reference_asset ? ` · reference ${r.reference_asset}` : "")),
    navBox,
    h("h3", {}, "Drawdown"), dd,
    h("h3", {}, "Metrics per run"), byRun.length ? metricsTable("Metrics per run over the whole backtest", byRun, keys, "bt-metrics") : empty("The report has no runs."),
    windows.length ? h("h3", {}, "Metrics per window") : null, ...windows,
    first ? h("h3", {}, "Monthly returns of the " + first.name.toLowerCase()) : null, first ? mon : null);
  if (!series.length) {
    replace(navBox, empty("The result has no NAV series.", "The server's backtest job did not return the NAV (params.nav)."));
    replace(dd, empty("No NAV, no drawdown."));
    return;
  }
  drawComparison(navBox, series, "Log scale, USD; every run starts with the same NAV.");
  drawDrawdowns(dd, series);
  drawMonthly(mon, first.data.map(([date, nav]) => ({ date, nav })));
}
