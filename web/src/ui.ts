// Small DOM helpers and the shared empty / error / not-available states.
// Text is always set with textContent: API data never becomes markup.

import { ApiError } from "./api";

type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;
type Child = Node | string | null | undefined | false;

/** h creates an element with attributes, event handlers (on*) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === "class") el.className = String(v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/** card wraps content in a titled section. */
export function card(title: string, id: string, ...children: Child[]): HTMLElement {
  return h("section", { class: "card", id, "aria-labelledby": id + "-title" }, h("h2", { id: id + "-title" }, title), ...children);
}

/** loading is the placeholder shown while data arrive. */
export function loading(what = "Loading…"): HTMLElement {
  return h("p", { class: "state loading", role: "status" }, what);
}

/** empty says there is nothing to show and what to do about it. */
export function empty(msg: string, hint?: string): HTMLElement {
  return h("div", { class: "state empty", role: "status" }, h("p", {}, msg), hint ? h("p", { class: "hint" }, hint) : null);
}

/**
 * problem renders a failed call: a source that is not wired yet, a
 * missing or invalid key, an unreachable server or any other error, each
 * with what to do.
 */
export function problem(e: unknown, what: string, howToEnable?: string): HTMLElement {
  const err = e instanceof ApiError ? e : null;
  const msg = err ? err.message : String((e as Error)?.message || e);
  if (err && err.notAvailable) {
    return h("div", { class: "state unavailable", role: "status", "data-state": "unavailable" },
      h("p", {}, h("strong", {}, what + " not available yet. ")),
      h("p", { class: "hint" }, howToEnable || "Compute it with the regime CLI, then restart `regime serve`."),
      h("p", { class: "detail" }, "Server said: " + msg));
  }
  if (err && (err.status === 401 || err.status === 403)) {
    return h("div", { class: "state error", role: "alert", "data-state": "auth" },
      h("p", {}, h("strong", {}, err.status === 401 ? "API key missing or invalid. " : "This API key lacks the needed scope. ")),
      h("p", { class: "hint" }, "Create one with `regime keys create --name dashboard --scopes read,jobs` and enter it with the “API key” button at the top right."),
      h("p", { class: "detail" }, "Server said: " + msg));
  }
  if (err && (err.status === 400 || err.status === 422)) {
    const fields = err.problem.errors || [];
    return h("div", { class: "state error", role: "alert", "data-state": "invalid" },
      h("p", {}, h("strong", {}, what + ": the server refused the request. ")),
      fields.length ? h("ul", {}, ...fields.map((x) => h("li", {}, (x.field ? x.field + ": " : "") + x.message))) : h("p", { class: "hint" }, msg),
      h("p", { class: "hint" }, "Correct the fields above and try again."));
  }
  return h("div", { class: "state error", role: "alert", "data-state": "error" },
    h("p", {}, h("strong", {}, "Could not load " + what.toLowerCase() + ". ")),
    h("p", { class: "hint" }, err && err.status === 0 ? msg : "Reload the page; if it persists, check the server log" + (err?.problem.request_id ? " for request " + err.problem.request_id : "") + "."),
    err && err.status !== 0 ? h("p", { class: "detail" }, `HTTP ${err.status}: ${msg}`) : null);
}

/** table builds an accessible table from headers and rows of cells. */
export function table(caption: string, head: string[], rows: (string | Node)[][], numeric: boolean[] = []): HTMLElement {
  const t = h("table", {},
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, ...head.map((x, i) => h("th", { scope: "col", class: numeric[i] ? "num" : "" }, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c, i) => h("td", { class: numeric[i] ? "num" : "" }, c))))));
  return h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption }, t);
}

/** replace swaps the content of el. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => !!c));
}

/** levelClass maps a gauge level or state to a CSS class. */
export function levelClass(level: string): string {
  return "lvl-" + level.toLowerCase().replace(/\s+/g, "-");
}
