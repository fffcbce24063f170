-- 0004: API keys for the HTTP API (regime keys create|list|revoke).
-- Only the SHA-256 of a key's token is stored; the token is shown once.
-- Scopes are a comma-separated list (read, jobs, admin); times are Unix
-- seconds; revoked_at is NULL while the key is active. Keys are not market
-- content, so Stats does not hash this table. The same statement runs
-- (IF NOT EXISTS) before every key write, see sqlite/keys.go.

CREATE TABLE IF NOT EXISTS api_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    hash       TEXT    NOT NULL UNIQUE,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
