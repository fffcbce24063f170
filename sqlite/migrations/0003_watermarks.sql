-- 0003: ingestion watermarks. One row per (source, series): how far the
-- live ingester has stored that series. Written in the same transaction as
-- the records it covers (see regime.Watermark). Not part of the content
-- hash: it describes the ingestion, not the data. IF NOT EXISTS keeps the
-- step re-runnable on a database rewound to an older schema_version.

CREATE TABLE IF NOT EXISTS watermarks (
    source   TEXT    NOT NULL,
    series   TEXT    NOT NULL,
    through  INTEGER NOT NULL,
    time     INTEGER NOT NULL,
    updated  INTEGER NOT NULL,
    PRIMARY KEY (source, series)
) WITHOUT ROWID;
