// Backtest page: a form that submits POST /v1/backtests, the job's
// progress from its event stream, and the result with the Index charts.

import { get, post, stream, Job, NAVPoint } from "../api";
import { chart, timeZoom } from "../charts";
import * as f from "../fmt";
import { card, empty, h, problem, replace, table } from "../ui";
import { drawMonthly, drawNavSeries } from "./index";

/**
 * BacktestResult is the job result the page draws: NAV series of the
 * regime index and its benchmarks, and metrics per series.
 */
export interface BacktestResult {
  strategy?: string;
  from?: string;
  to?: string;
  series?: { name: string; nav: NAVPoint[] }[];
  metrics?: Record<string, Record<string, number | null>>;
}

const terminal = new Set(["succeeded", "failed", "canceled"]);

// Names of the benchmark series of engine.Backtest.
const seriesNames: Record<string, string> = {
  regime: "Regime index", buy_and_hold: "Top-100 buy and hold", btc_hold: "Bitcoin buy and hold", sma200: "SMA200 switch", buyhold: "Always invested",
};
const nice = (n: string) => seriesNames[n] || f.title(n);

/** render draws the Backtest page into root. */
export async function render(root: HTMLElement, signal: AbortSignal): Promise<void> {
  const strategy = h("select", { id: "bt-strategy", name: "strategy" },
    h("option", { value: "gauge" }, "Market Gauge"), h("option", { value: "sma200" }, "Bitcoin SMA200 switch"), h("option", { value: "buyhold" }, "Always invested"));
  const from = h("input", { type: "date", id: "bt-from", name: "from" });
  const to = h("input", { type: "date", id: "bt-to", name: "to" });
  const fee = h("input", { type: "number", id: "bt-fee", name: "fee", min: 0, max: 0.05, step: 0.0005, placeholder: "0.001" });
  const submit = h("button", { type: "submit", id: "bt-submit" }, "Run backtest");
  const status = h("div", { id: "bt-status", "aria-live": "polite" });
  const result = h("div", { id: "bt-result" });
  const form = h("form", { class: "filters", id: "bt-form", "aria-label": "Backtest rules" },
    h("label", { for: "bt-strategy" }, "Strategy", strategy),
    h("label", { for: "bt-from" }, "From (optional)", from),
    h("label", { for: "bt-to" }, "To (optional)", to),
    h("label", { for: "bt-fee" }, "Fee rate (optional)", fee),
    submit);
  root.append(card("Run a backtest", "backtest", form, h("p", { class: "muted small" }, "Runs on the server as a job (needs a key with the jobs scope). Empty fields use the defaults of `regime backtest`."), status), card("Result", "bt-result-card", result));
  replace(result, empty("No backtest run yet.", "Choose the rules above and press “Run backtest”."));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const params: Record<string, string | number> = { strategy: strategy.value };
    if (from.value) params.from = from.value;
    if (to.value) params.to = to.value;
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

function drawResult(box: HTMLElement, r: BacktestResult): void {
  const series = r.series || [];
  if (!series.length) {
    replace(box, h("p", {}, "The job finished but its result has no NAV series."), h("pre", {}, JSON.stringify(r, null, 2).slice(0, 5000)));
    return;
  }
  const navEl = h("div", { class: "chart tall", role: "img", "aria-label": "Backtest NAV of the regime index and its benchmarks" });
  const dd = h("div", {});
  const mon = h("div", {});
  const names = [...series.map((s) => s.name).filter((n) => r.metrics && n in r.metrics), ...Object.keys(r.metrics || {}).filter((n) => !series.some((s) => s.name === n))];
  const keys = [...new Set(names.flatMap((n) => Object.keys(r.metrics![n])))].sort();
  replace(box,
    h("p", { id: "bt-summary" }, `${r.strategy ? "Strategy " + r.strategy + " · " : ""}${f.date(r.from)} – ${f.date(r.to)}`),
    navEl,
    names.length ? table("Metrics per series", ["Metric", ...names.map(nice)], keys.map((k) => [f.title(k), ...names.map((n) => f.metricValue(k, r.metrics![n][k]))]), [false, ...names.map(() => true)]) : null,
    h("h3", {}, "Drawdown"), dd, h("h3", {}, "Monthly returns of the " + nice(series[0].name).toLowerCase()), mon);
  chart(navEl, {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => f.usd(v) },
    legend: { top: 0 },
    grid: { left: 70, right: 20, top: 30, bottom: 60 },
    dataZoom: timeZoom(),
    xAxis: { type: "time" },
    yAxis: { type: "log", axisLabel: { formatter: (v: number) => f.usd(v) } },
    series: series.map((s, i) => ({ type: "line", name: nice(s.name), showSymbol: false, data: s.nav.map((p) => [p.date, p.nav]), lineStyle: { width: i === 0 ? 2 : 1 } })),
  });
  drawNavSeries(dd, series.map((s) => ({ name: nice(s.name), nav: s.nav })), "drawdown");
  drawMonthly(mon, series[0].nav);
}
