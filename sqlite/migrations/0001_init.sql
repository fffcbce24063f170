-- 0001: the initial Regime schema.
--
-- Portable SQL apart from WITHOUT ROWID (SQLite-only: the primary key is
-- the table's storage order, which halves the size of the bar tables; a
-- PostgreSQL store drops the clause). Dates are days since 1970-01-01
-- (INTEGER), missing floats are NULL, booleans are 0/1 INTEGERs.
--
-- The bulk tables (bars, constituents, candles) carry no FOREIGN KEY: the
-- writer checks that every asset exists in the same transaction before it
-- writes, naming the missing asset, and a per-row FK lookup would cost a
-- third of the import time. Assets are never deleted.

CREATE TABLE assets (
    id     TEXT NOT NULL PRIMARY KEY,
    symbol TEXT NOT NULL,
    name   TEXT NOT NULL,
    kind   TEXT NOT NULL
);

CREATE TABLE asset_aliases (
    asset_id  TEXT    NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    source    TEXT    NOT NULL,
    source_id TEXT    NOT NULL,
    symbol    TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    from_date INTEGER NOT NULL,
    to_date   INTEGER NOT NULL,
    PRIMARY KEY (asset_id, source, source_id, symbol, name)
) WITHOUT ROWID;

CREATE INDEX asset_aliases_symbol ON asset_aliases (symbol);
CREATE INDEX asset_aliases_source_id ON asset_aliases (source_id);

CREATE TABLE bars (
    asset_id       TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    date           INTEGER NOT NULL,
    open           REAL,
    high           REAL,
    low            REAL,
    close          REAL,
    volume_usd     REAL,
    market_cap_usd REAL,
    supply         REAL,
    cap_estimated  INTEGER NOT NULL,
    known_at       INTEGER NOT NULL,
    PRIMARY KEY (asset_id, source, date)
) WITHOUT ROWID;

CREATE TABLE observations (
    series   TEXT    NOT NULL,
    date     INTEGER NOT NULL,
    value    REAL,
    source   TEXT    NOT NULL,
    known_at INTEGER NOT NULL,
    PRIMARY KEY (series, date)
) WITHOUT ROWID;

CREATE TABLE constituents (
    source         TEXT    NOT NULL,
    date           INTEGER NOT NULL,
    asset_id       TEXT    NOT NULL,
    rank           INTEGER NOT NULL,
    market_cap_usd REAL,
    price_usd      REAL,
    supply         REAL,
    volume_usd     REAL,
    PRIMARY KEY (source, date, asset_id)
) WITHOUT ROWID;

CREATE INDEX constituents_date ON constituents (date, source);

CREATE TABLE candles (
    asset_id     TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    time         INTEGER NOT NULL,
    open         REAL,
    high         REAL,
    low          REAL,
    close        REAL,
    volume_base  REAL,
    volume_quote REAL,
    trades       REAL,
    PRIMARY KEY (asset_id, source, time)
) WITHOUT ROWID;
