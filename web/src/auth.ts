// API key handling: the key is given once (typed in the key dialog, or
// passed in the URL fragment #key=... by `regime demo --serve`), kept in
// localStorage of this origin, and sent as Authorization: Bearer.

const storageKey = "regime.apiKey";

/** getKey returns the stored API key, or "". */
export function getKey(): string {
  try { return localStorage.getItem(storageKey) || ""; } catch { return ""; }
}

/** setKey stores (or, with "", forgets) the API key. */
export function setKey(k: string): void {
  try {
    if (k) localStorage.setItem(storageKey, k.trim());
    else localStorage.removeItem(storageKey);
  } catch { /* storage disabled: key lasts for this page only */ }
}

/**
 * takeKeyFromFragment moves a key given as #key=... (or #/page?key=...)
 * into storage and removes it from the address bar and history.
 */
export function takeKeyFromFragment(): boolean {
  const h = location.hash;
  const m = /[#?&]key=([^&]+)/.exec(h);
  if (!m) return false;
  setKey(decodeURIComponent(m[1]));
  let rest = h.replace(/[?&]?key=[^&]+/, "").replace(/^#&/, "#");
  if (rest === "#" || rest === "") rest = "#/market";
  history.replaceState(null, "", location.pathname + location.search + rest);
  return true;
}
