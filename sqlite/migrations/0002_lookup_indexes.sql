-- 0002: indexes for LookupAsset, which compares symbols and source ids
-- case-insensitively with LOWER(). Expression indexes exist in both SQLite
-- (3.9+) and PostgreSQL.

DROP INDEX asset_aliases_symbol;
DROP INDEX asset_aliases_source_id;

CREATE INDEX assets_symbol_lower ON assets (LOWER(symbol));
CREATE INDEX asset_aliases_symbol_lower ON asset_aliases (LOWER(symbol));
CREATE INDEX asset_aliases_source_id_lower ON asset_aliases (LOWER(source_id));
