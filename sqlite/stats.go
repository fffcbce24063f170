package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"hash"
	"strconv"

	"github.com/regime-engine/regime"
)

// hashTable describes how one table enters the content hash: its columns
// in schema order with their kinds (s text, i integer, f nullable float)
// and its primary key, which orders the rows.
type hashTable struct {
	name  string
	cols  []string
	kinds string
	key   string
}

// hashTables lists the content tables in hash order.
var hashTables = []hashTable{
	{"assets", []string{"id", "symbol", "name", "kind"}, "ssss", "id"},
	{"asset_aliases", []string{"asset_id", "source", "source_id", "symbol", "name", "from_date", "to_date"}, "sssssii",
		"asset_id, source, source_id, symbol, name"},
	{"bars", []string{"asset_id", "source", "date", "open", "high", "low", "close", "volume_usd", "market_cap_usd", "supply", "cap_estimated", "known_at"},
		"ssifffffffii", "asset_id, source, date"},
	{"observations", []string{"series", "date", "value", "source", "known_at"}, "sifsi", "series, date"},
	{"constituents", []string{"source", "date", "asset_id", "rank", "market_cap_usd", "price_usd", "supply", "volume_usd"},
		"sisiffff", "source, date, asset_id"},
	{"candles", []string{"asset_id", "source", "time", "open", "high", "low", "close", "volume_base", "volume_quote", "trades"},
		"ssifffffff", "asset_id, source, time"},
}

// Stats counts the rows of every content table (assets, asset_aliases,
// bars, observations, constituents, candles) and hashes their content in
// one read transaction.
//
// The hash is the hex SHA-256 of this canonical encoding, which any store
// can reproduce: for each table in the order above, "T" followed by the
// table name as a string; then for each row, in ascending primary-key
// order with text compared bytewise, "R" followed by the columns in schema
// order, where a string is "s<byte length>:<bytes>", an integer (dates as
// days since 1970-01-01, cap_estimated as 0/1, ranks, times) is
// "i<decimal>;", a float is "f" + strconv.FormatFloat(v, 'g', -1, 64) + ";"
// and a missing float (NULL/NaN) is "n".
func (s *Store) Stats(ctx context.Context) (regime.Stats, error) {
	const op = "stats"
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return regime.Stats{}, dbError(op, err)
	}
	defer tx.Rollback()
	h := sha256.New()
	st := regime.Stats{Tables: make(map[string]int64, len(hashTables))}
	for _, t := range hashTables {
		n, err := hashRows(ctx, tx, h, t)
		if err != nil {
			return regime.Stats{}, dbError(op+" "+t.name, err)
		}
		st.Tables[t.name] = n
	}
	st.Hash = hex.EncodeToString(h.Sum(nil))
	return st, nil
}

// hashRows writes table t to h and returns its row count.
func hashRows(ctx context.Context, tx *sql.Tx, h hash.Hash, t hashTable) (int64, error) {
	q := "SELECT "
	for i, c := range t.cols {
		if i > 0 {
			q += ", "
		}
		q += c
	}
	q += " FROM " + t.name + " ORDER BY " + t.key
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	buf := make([]byte, 0, 256)
	buf = appendString(append(buf, 'T'), t.name)
	h.Write(buf)
	sc := newScanner(len(t.cols))
	var n int64
	for rows.Next() {
		if err := sc.scan(rows); err != nil {
			return 0, err
		}
		buf = append(buf[:0], 'R')
		for i, k := range t.kinds {
			switch k {
			case 's':
				buf = appendString(buf, sc.s(i))
			case 'i':
				buf = strconv.AppendInt(append(buf, 'i'), sc.i(i), 10)
				buf = append(buf, ';')
			case 'f':
				if sc.vals[i] == nil {
					buf = append(buf, 'n')
					continue
				}
				buf = strconv.AppendFloat(append(buf, 'f'), sc.f(i), 'g', -1, 64)
				buf = append(buf, ';')
			}
		}
		h.Write(buf)
		n++
	}
	return n, rows.Err()
}

// appendString appends s as "s<len>:<bytes>".
func appendString(buf []byte, s string) []byte {
	buf = strconv.AppendInt(append(buf, 's'), int64(len(s)), 10)
	return append(append(buf, ':'), s...)
}
