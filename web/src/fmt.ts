// Number and date formatting for people: %, $, dates, missing values.

const dash = "—";

function ok(v: number | null | undefined): v is number {
  return typeof v === "number" && isFinite(v);
}

/** usd formats dollars with 2 significant decimals below 1 and compact above 1M. */
export function usd(v: number | null | undefined): string {
  if (!ok(v)) return dash;
  const a = Math.abs(v);
  if (a >= 1e5) return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 2 }).format(v);
  if (a >= 100) return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 }).format(v);
  if (a >= 1) return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 }).format(v);
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 4 }).format(v);
}

/** cash formats an amount of dollars (a trade's value or cost): below one cent as "< $0.01". */
export function cash(v: number | null | undefined): string {
  if (ok(v) && v !== 0 && Math.abs(v) < 0.01) return v < 0 ? "> −$0.01" : "< $0.01";
  return usd(v);
}

/** pct formats a fraction as a percentage (0.123 -> 12.3%). */
export function pct(v: number | null | undefined, digits = 1, signed = false): string {
  if (!ok(v)) return dash;
  const s = (v * 100).toFixed(digits) + "%";
  return signed && v > 0 ? "+" + s : s;
}

/** num formats a plain number. */
export function num(v: number | null | undefined, digits = 2): string {
  if (!ok(v)) return dash;
  if (Math.abs(v) < 0.5 * Math.pow(10, -digits)) v = 0; // no "-0"
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: digits }).format(v);
}

/** qty formats a quantity with up to 6 significant digits. */
export function qty(v: number | null | undefined): string {
  if (!ok(v)) return dash;
  if (v !== 0 && Math.abs(v) < 1e-4) return v.toExponential(2);
  return new Intl.NumberFormat("en-US", { maximumSignificantDigits: 6 }).format(v);
}

/** date formats YYYY-MM-DD as e.g. "7 Dec 2026" (UTC, the API's calendar). */
export function date(d: string | undefined): string {
  if (!d) return dash;
  const t = Date.parse(d + "T00:00:00Z");
  if (isNaN(t)) return d;
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(t);
}

/** dateTime formats an RFC 3339 time in the viewer's zone. */
export function dateTime(s: string | undefined): string {
  if (!s) return dash;
  const t = Date.parse(s);
  if (isNaN(t)) return s;
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }).format(t);
}

/** addDays shifts a YYYY-MM-DD date. */
export function addDays(d: string, n: number): string {
  const t = Date.parse(d + "T00:00:00Z") + n * 86400000;
  return new Date(t).toISOString().slice(0, 10);
}

/** metricValue formats a named performance metric by its meaning. */
export function metricValue(name: string, v: number | null | undefined): string {
  if (/sharpe|sortino|calmar|ratio|trades|days|turnover/i.test(name)) return num(v, 2);
  if (/fee|slippage|usd|nav/i.test(name)) return usd(v);
  return pct(v, 1);
}

/** title turns snake_case into a label. */
export function title(s: string): string {
  const t = s.replace(/_/g, " ").replace(/\b(cagr|nav|btc|sma\d*|usd)\b/gi, (m) => m.toUpperCase());
  return t.charAt(0).toUpperCase() + t.slice(1);
}
