// Signals page: the latest per-token signals, sortable and searchable,
// updated live from the event stream.

import { all, get, referenceAsset, Asset, Phase, Gauge, Signal } from "../api";
import * as f from "../fmt";
import { card, empty, h, problem, replace } from "../ui";

const hint = "This server does not serve token signals yet (no signal source is wired into `regime serve`). Meanwhile, `regime signals` prints them on the command line.";

let current: ((s: Signal[]) => void) | null = null;

/** update merges live signals into the open Signals page. */
export function update(s: Signal[]): void {
  current?.(s);
}

type Key = "asset" | "state" | "score" | "date";

/** render draws the Signals page into root. */
export async function render(root: HTMLElement, signal: AbortSignal): Promise<void> {
  const body = h("div", {}, h("p", { class: "state loading", role: "status" }, "Loading…"));
  const search = h("input", { type: "search", id: "sig-search", placeholder: "Search asset or family", autocomplete: "off" });
  const state = h("select", { id: "sig-state" }, h("option", { value: "" }, "All"), h("option", { value: "bull" }, "Bullish"), h("option", { value: "bear" }, "Bearish"), h("option", { value: "neutral" }, "Neutral"));
  root.append(card("Token signals", "signals",
    h("div", { class: "filters", role: "search" }, h("label", { for: "sig-search" }, "Search", search), h("label", { for: "sig-state" }, "State", state)),
    body));

  const latest = new Map<string, Signal>();
  const names = new Map<string, Asset>();
  let sortKey: Key = "score";
  let desc = true;
  signal.addEventListener("abort", () => { current = null; });

  function draw(): void {
    const q = search.value.trim().toLowerCase();
    const st = state.value;
    const rows = [...latest.values()].filter((s) => {
      const a = names.get(s.asset_id);
      return (!st || s.state === st) && (!q || [s.asset_id, a?.symbol, a?.name, s.reason].some((x) => x && x.toLowerCase().includes(q)));
    });
    const val = (s: Signal): string | number => sortKey === "asset" ? (names.get(s.asset_id)?.symbol || s.asset_id).toLowerCase() : sortKey === "state" ? s.state : sortKey === "date" ? s.date : s.score ?? -1;
    rows.sort((a, b) => {
      const x = val(a), y = val(b);
      const c = x < y ? -1 : x > y ? 1 : a.asset_id < b.asset_id ? -1 : 1;
      return desc ? -c : c;
    });
    if (!latest.size) {
      replace(body, empty("No signals in the last days of data.", hint));
      return;
    }
    const th = (k: Key, label: string, num = false) => h("th", { scope: "col", class: num ? "num" : "", "aria-sort": sortKey === k ? (desc ? "descending" : "ascending") : "none" },
      h("button", { type: "button", class: "sort", onclick: () => { desc = sortKey === k ? !desc : k === "score"; sortKey = k; draw(); } }, label, sortKey === k ? (desc ? " ▼" : " ▲") : ""));
    const t = h("table", { id: "sig-table" },
      h("caption", { class: "sr-only" }, "Latest signal of each token"),
      h("thead", {}, h("tr", {}, th("asset", "Asset"), th("state", "Signal"), th("score", "Conviction", true), h("th", { scope: "col" }, "Agreeing families"), th("date", "Date"))),
      h("tbody", {}, ...rows.map((s) => {
        const a = names.get(s.asset_id);
        return h("tr", {},
          h("td", {}, h("strong", {}, (a?.symbol || s.asset_id).toUpperCase()), " ", h("span", { class: "muted" }, a?.name || "")),
          h("td", {}, h("span", { class: "level " + (s.state === "bull" ? "lvl-bullish" : s.state === "bear" ? "lvl-strong-bearish" : "lvl-neutral") }, s.state === "bull" ? "bullish" : s.state === "bear" ? "bearish" : "neutral")),
          h("td", { class: "num" }, h("meter", { min: 0, max: 1, value: s.score ?? 0, "aria-hidden": "true" }), " ", f.pct(s.score, 0)),
          h("td", { class: "wrap" }, s.reason ? s.reason.split(/,\s*/).map(f.title).join(", ") : "—"),
          h("td", {}, f.date(s.date)));
      })));
    replace(body, h("p", { class: "muted small", role: "status" }, `${rows.length} of ${latest.size} tokens`), h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Signals" }, t));
  }
  search.addEventListener("input", draw);
  state.addEventListener("change", draw);

  try {
    let last = "";
    try { last = (await get<Gauge>("/v1/gauge", signal)).date; } catch { /* fall back to the last phase */ }
    if (!last) {
      const lead = await referenceAsset(signal).catch(() => null);
      const ph = lead ? await all<Phase>("/v1/phases?asset=" + encodeURIComponent(lead.id), 10, signal).catch(() => []) : [];
      last = ph.length ? ph[ph.length - 1].to : "";
    }
    const q = last ? "?from=" + f.addDays(last, -14) : "";
    const [sigs, assets] = await Promise.all([all<Signal>("/v1/signals" + q, 20, signal), all<Asset>("/v1/assets", 20, signal).catch(() => [])]);
    for (const a of assets) names.set(a.id, a);
    for (const s of sigs) latest.set(s.asset_id, s);
    current = (fresh) => { for (const s of fresh) { const o = latest.get(s.asset_id); if (!o || o.date <= s.date) latest.set(s.asset_id, s); } draw(); };
    draw();
  } catch (e) {
    if (!signal.aborted) replace(body, problem(e, "Token signals", hint));
  }
}
