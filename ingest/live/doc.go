// Package live is the shared machinery of the live data clients in
// ingest/<provider>: an HTTP client with a client-side request budget,
// retries with exponential backoff and jitter, Retry-After, a circuit
// breaker on bans, per-request timeouts and response size limits; and Run,
// which ingests a list of Sources into a store, resuming every series at
// its stored watermark.
//
// Time and randomness are injected (Clock, a seeded jitter source) so the
// behaviour under rate limits and failures is tested without waiting.
//
// A Source converts its provider's payloads to regime records at the
// boundary, validates them (Session.Repair counts every repair with its
// reason) and writes each page together with its watermark in one
// transaction (Session.Commit): a crash at any moment loses nothing and
// duplicates nothing.
package live
