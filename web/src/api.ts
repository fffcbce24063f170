// API client of the dashboard: every call carries the API key kept by
// auth.ts, errors become ApiError with a message saying what to do.

import { getKey } from "./auth";

/** Problem is the RFC 9457 body of every API error. */
export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  request_id?: string;
  errors?: { location: string; field: string; message: string }[];
}

/** ApiError is a failed API call. */
export class ApiError extends Error {
  status: number;
  problem: Problem;
  path: string;
  constructor(path: string, status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.path = path;
    this.status = status;
    this.problem = problem;
  }
  /** notAvailable is true when the server has no source for this data yet. */
  get notAvailable(): boolean {
    return this.status === 501 || this.status === 503 || (this.status === 404 && /gauge|index|signal/i.test(this.message));
  }
}

export interface Page<T> { items: T[]; next_cursor?: string }

export interface FamilyContribution { family: string; score: number | null; weight: number | null; contribution: number | null }
export interface Gauge { date: string; value: number | null; level: string; regime: string; families: FamilyContribution[] }
export interface Bar { date: string; close: number | null; market_cap_usd: number | null; volume_usd: number | null }
export interface Phase { from: string; to: string; state: string; from_price: number | null; to_price: number | null; change: number | null; days: number; truncated: boolean; provisional: boolean }
export interface Weight { asset_id: string; symbol?: string; weight: number | null }
export interface Composition { date: string; regime: string; exposure: number | null; weights: Weight[] }
/** Benchmarks are the NAVs of the index's benchmarks on a day (USD, same initial NAV). */
export interface Benchmarks { buy_and_hold: number | null; btc_hold: number | null; sma200: number | null }
export interface NAVPoint { date: string; nav: number | null; exposure?: number | null; level?: string | null; benchmarks?: Benchmarks }
export interface Trade {
  date: string; asset_id: string; side: string; quantity: number | null; price: number | null;
  value?: number | null; fee?: number | null; slippage?: number | null; cost: number | null; reason?: string;
}
/** AllocationPoint is the index's allocation on a day: the top risky holdings, other risky, stablecoins and cash (fractions of NAV). */
export interface AllocationPoint { date: string; stable: number | null; cash: number | null; top: Weight[]; other: number | null }
export interface Performance { from: string; to: string; metrics: Record<string, number | null> }
export interface Signal { asset_id: string; date: string; state: string; score: number | null; reason?: string }
export interface Asset { id: string; symbol: string; name: string; kind: string }
export interface Job { id: string; kind: string; state: string; done: number; total: number; error?: string; created: string; started?: string; finished?: string }
export interface FactorPage { subject: string; factors: string[]; items: { date: string; values: Record<string, number | null> }[]; next_cursor?: string }

function headers(extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { Accept: "application/json", ...extra };
  const k = getKey();
  if (k) h["Authorization"] = "Bearer " + k;
  return h;
}

/** get fetches one JSON document. */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return call<T>("GET", path, undefined, signal);
}

/** post sends a JSON body and returns the JSON answer. */
export async function post<T>(path: string, body: unknown): Promise<T> {
  return call<T>("POST", path, body);
}

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: headers(body === undefined ? undefined : { "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(path, 0, { title: "Server unreachable", detail: "The Regime server did not answer: check that `regime serve` is running, then reload." });
  }
  if (!res.ok) {
    let p: Problem = {};
    try { p = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(path, res.status, p);
  }
  return (await res.json()) as T;
}

/** all follows next_cursor and returns every item (at most maxPages pages). */
export async function all<T>(path: string, maxPages = 50, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let cursor = "";
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const p = await get<Page<T>>(path + sep + "limit=1000" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""), signal);
    out.push(...p.items);
    if (!p.next_cursor) break;
    cursor = p.next_cursor;
  }
  return out;
}

/** factorRows fetches every row of market factors names. */
export async function marketFactors(names: string[], from?: string, signal?: AbortSignal): Promise<FactorPage["items"]> {
  const out: FactorPage["items"] = [];
  let cursor = "";
  for (let i = 0; i < 50; i++) {
    let q = "/v1/market/factors?limit=1000&names=" + encodeURIComponent(names.join(","));
    if (from) q += "&from=" + from;
    if (cursor) q += "&cursor=" + encodeURIComponent(cursor);
    const p = await get<FactorPage>(q, signal);
    out.push(...p.items);
    if (!p.next_cursor) break;
    cursor = p.next_cursor;
  }
  return out;
}

/** SSEMessage is one server-sent event. */
export interface SSEMessage { id: string; event: string; data: string }

/**
 * stream reads a text/event-stream with fetch (EventSource cannot send the
 * Authorization header) and calls onMessage for each event until the
 * signal aborts; it reconnects with Last-Event-ID after a drop.
 */
export async function stream(path: string, onMessage: (m: SSEMessage) => void, signal: AbortSignal, onState?: (ok: boolean) => void): Promise<void> {
  let last = "";
  let delay = 2000;
  while (!signal.aborted) {
    try {
      const h = headers({ Accept: "text/event-stream" });
      if (last) h["Last-Event-ID"] = last;
      const res = await fetch(path, { headers: h, signal });
      if (!res.ok || !res.body) throw new ApiError(path, res.status, {});
      onState?.(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n/g, "\n");
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m: SSEMessage = { id: "", event: "message", data: "" };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const c = line.indexOf(":");
            const field = c < 0 ? line : line.slice(0, c);
            const val = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
            if (field === "id") m.id = val;
            else if (field === "event") m.event = val;
            else if (field === "data") data.push(val);
            else if (field === "retry" && +val > 0) delay = +val;
          }
          if (data.length === 0) continue;
          m.data = data.join("\n");
          if (m.id) last = m.id;
          onMessage(m);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404 || e.status === 501)) {
        onState?.(false);
        return;
      }
    }
    onState?.(false);
    await new Promise((r) => setTimeout(r, delay));
  }
}

let assets: Promise<Map<string, Asset>> | null = null;

/** assetIndex returns every asset by id (fetched once per page load). */
export function assetIndex(): Promise<Map<string, Asset>> {
  if (assets) return assets;
  const p = all<Asset>("/v1/assets", 20).then((xs) => new Map(xs.map((a) => [a.id, a])));
  assets = p;
  p.catch(() => { assets = null; });
  return p;
}

/** RankedAsset is an asset with its market-cap rank. */
export interface RankedAsset extends Asset { rank?: number }

let reference: Promise<Asset> | null = null;

/**
 * referenceAsset returns the market's leader, the way the engine picks it:
 * bitcoin (by id, then by symbol BTC), else the largest investable asset of
 * the latest universe snapshot. Errors are not cached.
 */
export function referenceAsset(signal?: AbortSignal): Promise<Asset> {
  if (reference) return reference;
  const p = (async () => {
    for (const ref of ["bitcoin", "BTC"]) {
      try { return await get<Asset>("/v1/assets/" + ref, signal); } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 404) throw e;
      }
    }
    const top = await get<Page<RankedAsset>>("/v1/assets?max_rank=10&limit=10", signal);
    const lead = top.items.filter((a) => a.kind === "coin").sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9))[0];
    if (!lead) throw new ApiError("/v1/assets", 404, { detail: "the store has no priced coin: load data with `regime ingest` or `regime demo`" });
    return lead;
  })();
  reference = p;
  p.catch(() => { reference = null; });
  return p;
}
