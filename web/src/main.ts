// Entry point: the key dialog, the hash router, theme changes and the
// live event stream that updates the gauge and the signals.

import { ApiError, Gauge, Signal, get, stream } from "./api";
import { getKey, setKey, takeKeyFromFragment } from "./auth";
import { disposeAll, resizeAll } from "./charts";
import { h } from "./ui";
import * as market from "./pages/market";
import * as indexPage from "./pages/index";
import * as transactions from "./pages/transactions";
import * as signals from "./pages/signals";
import * as backtest from "./pages/backtest";

type Render = (root: HTMLElement, signal: AbortSignal) => Promise<void>;
const pages: Record<string, { title: string; render: Render }> = {
  market: { title: "Market", render: market.render },
  index: { title: "Index", render: indexPage.render },
  transactions: { title: "Transactions", render: transactions.render },
  signals: { title: "Signals", render: signals.render },
  backtest: { title: "Backtest", render: backtest.render },
};

let pageCtl: AbortController | null = null;
let currentPage = "";

function route(): void {
  if (takeKeyFromFragment()) startLive();
  const name = (/^#\/(\w+)/.exec(location.hash)?.[1] || "market").toLowerCase();
  const page = pages[name] ? name : "market";
  currentPage = page;
  pageCtl?.abort();
  pageCtl = new AbortController();
  disposeAll();
  const main = document.getElementById("main")!;
  main.replaceChildren();
  main.dataset.page = page;
  main.dataset.ready = "false";
  document.title = `${pages[page].title} · Regime`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav.pages a")) {
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!getKey()) {
    main.append(keyPrompt());
    main.dataset.ready = "true";
    return;
  }
  const ctl = pageCtl;
  pages[page].render(main, ctl.signal).catch((e) => {
    if (!ctl.signal.aborted) console.warn("page", page, e);
  }).finally(() => {
    if (!ctl.signal.aborted) main.dataset.ready = "true";
  });
}

function keyPrompt(): HTMLElement {
  const input = h("input", { type: "password", id: "key-input", autocomplete: "off", placeholder: "rgm_…", required: true, spellcheck: "false" });
  const form = h("form", { class: "card key-card", "aria-labelledby": "key-title" },
    h("h2", { id: "key-title" }, "Enter an API key"),
    h("p", {}, "The dashboard reads the Regime API with your key. Create one with ", h("code", {}, "regime keys create --name dashboard --scopes read,jobs"), ", paste it here. It is kept in this browser only (localStorage) and sent to this server only."),
    h("label", { for: "key-input" }, "API key", input),
    h("button", { type: "submit" }, "Save key"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setKey(input.value);
    startLive();
    route();
  });
  return form;
}

function keyDialog(): void {
  const dlg = document.getElementById("key-dialog") as HTMLDialogElement;
  const input = dlg.querySelector<HTMLInputElement>("input")!;
  input.value = "";
  dlg.showModal();
}

let liveCtl: AbortController | null = null;

// startLive subscribes to gauge and signal events and updates the open page.
function startLive(): void {
  liveCtl?.abort();
  if (!getKey()) return;
  liveCtl = new AbortController();
  const dot = document.getElementById("live")!;
  stream("/v1/events?topics=gauge,signals", (m) => {
    try {
      if (m.event === "gauge") {
        const g = JSON.parse(m.data) as Gauge;
        const box = document.querySelector<HTMLElement>("#gauge .gauge-box");
        if (box && currentPage === "market") {
          market.drawGauge(box, g);
          const d = document.querySelector<HTMLElement>("#drivers > div");
          if (d) market.drawDrivers(d, g);
        }
        announce(`Market Gauge updated: ${g.level}`);
      } else if (m.event === "signals") {
        signals.update(JSON.parse(m.data) as Signal[]);
      }
    } catch { /* ignore malformed events */ }
  }, liveCtl.signal, (ok) => {
    dot.dataset.on = String(ok);
    dot.title = ok ? "Live: updates arrive without reloading" : "Live updates disconnected; retrying";
  });
}

function announce(s: string): void {
  const el = document.getElementById("announce");
  if (el) el.textContent = s;
}

function init(): void {
  document.getElementById("key-button")!.addEventListener("click", keyDialog);
  const dlg = document.getElementById("key-dialog") as HTMLDialogElement;
  dlg.querySelector("form")!.addEventListener("submit", (e) => {
    const sub = (e as SubmitEvent).submitter as HTMLButtonElement | null;
    if (sub?.value === "forget") setKey("");
    else if (sub?.value === "save") setKey(dlg.querySelector<HTMLInputElement>("input")!.value);
    else return;
    startLive();
    route();
  });
  window.addEventListener("hashchange", () => {
    route();
    // After a page change, the keyboard and screen reader start at the new content.
    document.getElementById("main")?.focus({ preventScroll: true });
  });
  let t = 0;
  window.addEventListener("resize", () => { clearTimeout(t); t = window.setTimeout(resizeAll, 100); });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", route);
  startLive();
  route();
  // Tell the user early when the key is refused.
  if (getKey()) get("/v1/stats").catch((e) => { if (e instanceof ApiError && e.status === 401) announce("API key refused: set a valid one with the API key button."); });
}

init();
