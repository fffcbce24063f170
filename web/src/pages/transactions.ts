// Transactions page: the index's transaction log with filters (date
// range and reason, sent to the API; asset and side), pagination and CSV
// export of every filtered row.

import { all, assetIndex, Asset, Trade } from "../api";
import * as f from "../fmt";
import { card, empty, h, problem, replace, table } from "../ui";

const pageSize = 50;

// knownReasons are the reasons of the backtest's trades (backtest.Reason).
const knownReasons = ["scheduled_rebalance", "regime_change", "constituent_change", "depeg", "delisted", "no_price"];

// value is a trade's value in USD (quantity × price when the API has no value).
function value(t: Trade): number | null {
  if (t.value !== undefined && t.value !== null) return t.value;
  return t.quantity !== null && t.price !== null ? t.quantity * t.price : null;
}
const hint = "This server does not serve the index yet (no index source is wired into `regime serve`). Meanwhile, `regime backtest` writes the transaction log on the command line.";

/** render draws the Transactions page into root. */
export async function render(root: HTMLElement, signal: AbortSignal): Promise<void> {
  const body = h("div", {}, h("p", { class: "state loading", role: "status" }, "Loading…"));
  const from = h("input", { type: "date", id: "tx-from", name: "from" });
  const to = h("input", { type: "date", id: "tx-to", name: "to" });
  const asset = h("input", { type: "search", id: "tx-asset", name: "asset", placeholder: "e.g. BTC", autocomplete: "off" });
  const reason = h("select", { id: "tx-reason", name: "reason" }, h("option", { value: "" }, "Any"), ...knownReasons.map((r) => h("option", { value: r }, f.title(r))));
  const side = h("select", { id: "tx-side", name: "side" }, h("option", { value: "" }, "Any"), h("option", { value: "buy" }, "Buy"), h("option", { value: "sell" }, "Sell"));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter transactions" },
    h("label", { for: "tx-from" }, "From", from),
    h("label", { for: "tx-to" }, "To", to),
    h("label", { for: "tx-asset" }, "Asset", asset),
    h("label", { for: "tx-side" }, "Side", side),
    h("label", { for: "tx-reason" }, "Reason", reason),
    h("button", { type: "submit" }, "Apply"),
    h("button", { type: "button", id: "tx-csv", class: "secondary" }, "Export CSV"));
  root.append(card("Transactions", "transactions", form, body));

  let trades: Trade[] = [];
  let names = new Map<string, Asset>();
  let shown: Trade[] = [];
  let page = 0;
  let loadedRange = "";

  async function load(): Promise<void> {
    const q = new URLSearchParams();
    if (from.value) q.set("from", from.value);
    if (to.value) q.set("to", to.value);
    if (reason.value) q.set("reason", reason.value);
    const key = q.toString();
    if (key === loadedRange && trades.length) return;
    replace(body, h("p", { class: "state loading", role: "status" }, "Loading…"));
    trades = await all<Trade>("/v1/index/trades" + (key ? "?" + key : ""), 200, signal);
    loadedRange = key;
    // Reasons the backtest may add beyond the known ones get an option too.
    const extra = [...new Set(trades.map((t) => t.reason || ""))].filter((r) => r && !reason.querySelector(`option[value="${CSS.escape(r)}"]`)).sort();
    reason.append(...extra.map((r) => h("option", { value: r }, f.title(r))));
  }

  function filter(): void {
    const a = asset.value.trim().toLowerCase();
    const r = reason.value;
    const sd = side.value;
    shown = trades.filter((t) => (!a || t.asset_id.toLowerCase().includes(a) || (names.get(t.asset_id)?.symbol || "").toLowerCase() === a) && (!sd || t.side === sd) && (!r || t.reason === r));
    page = 0;
    draw();
  }

  function draw(): void {
    if (!trades.length) {
      replace(body, empty("No transactions in this range.", from.value || to.value || reason.value ? "Widen or clear the date range or the reason." : hint));
      return;
    }
    if (!shown.length) {
      replace(body, empty("No transaction matches these filters.", "Clear the asset or side filter."));
      return;
    }
    const pages = Math.ceil(shown.length / pageSize);
    const rows = shown.slice(page * pageSize, (page + 1) * pageSize).map((t) => [
      f.date(t.date), h("span", { title: t.asset_id }, (names.get(t.asset_id)?.symbol || t.asset_id).toUpperCase()), h("span", { class: t.side === "buy" ? "pos" : "neg" }, t.side), t.reason ? f.title(t.reason) : "—",
      f.qty(t.quantity), f.usd(t.price), f.cash(value(t)), f.cash(t.fee), f.cash(t.slippage),
    ]);
    const tb = table("Index transaction log", ["Date", "Asset", "Side", "Reason", "Quantity", "Price", "Value", "Fee", "Slippage"], rows, [false, false, false, false, true, true, true, true, true]);
    tb.id = "tx-table";
    // Raw values for tests and scripts: the cells show formatted text.
    const page0 = shown.slice(page * pageSize, (page + 1) * pageSize);
    tb.querySelectorAll("tbody tr").forEach((tr, i) => {
      const t = page0[i];
      const d = (tr as HTMLElement).dataset;
      d.date = t.date; d.asset = t.asset_id; d.side = t.side; d.quantity = String(t.quantity); d.price = String(t.price);
      d.reason = t.reason || ""; d.value = String(value(t)); d.fee = String(t.fee ?? null); d.slippage = String(t.slippage ?? null);
    });
    const prev = h("button", { type: "button", class: "secondary", onclick: () => { page--; draw(); } }, "‹ Previous");
    const next = h("button", { type: "button", class: "secondary", onclick: () => { page++; draw(); } }, "Next ›");
    (prev as HTMLButtonElement).disabled = page === 0;
    (next as HTMLButtonElement).disabled = page >= pages - 1;
    replace(body, h("p", { class: "muted small", role: "status", id: "tx-count", "data-count": shown.length }, `${f.num(shown.length, 0)} transactions · page ${page + 1} of ${pages}`), tb,
      h("nav", { class: "pager", "aria-label": "Pages" }, prev, next));
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await load(); filter(); } catch (err) { if (!signal.aborted) replace(body, problem(err, "Transactions", hint)); }
  });
  asset.addEventListener("input", filter);
  side.addEventListener("change", filter);
  reason.addEventListener("change", async () => {
    try { await load(); filter(); } catch (err) { if (!signal.aborted) replace(body, problem(err, "Transactions", hint)); }
  });
  form.querySelector("#tx-csv")!.addEventListener("click", () => exportCSV(shown, names));
  try {
    names = await assetIndex().catch(() => names);
    await load();
    filter();
  } catch (err) {
    if (!signal.aborted) replace(body, problem(err, "Transactions", hint));
  }
}

// csvCell quotes a value and defuses spreadsheet formulas.
function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@]/.test(s) && !/^-?[0-9.]+(e-?[0-9]+)?$/i.test(s)) s = "'" + s;
  return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

// exportCSV downloads every filtered row (all pages of the API's cursor, not only the page shown).
function exportCSV(ts: Trade[], names: Map<string, Asset>): void {
  const head = ["date", "asset_id", "symbol", "side", "reason", "quantity", "price", "value", "fee", "slippage", "cost"];
  const lines = [head.join(",")].concat(ts.map((t) => [t.date, t.asset_id, names.get(t.asset_id)?.symbol ?? "", t.side, t.reason ?? "", t.quantity, t.price, value(t), t.fee, t.slippage, t.cost].map(csvCell).join(",")));
  const blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
  const a = h("a", { href: URL.createObjectURL(blob), download: "regime-transactions.csv" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
