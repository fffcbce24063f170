package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/regime-engine/regime"
)

var _ regime.KeyStore = (*Store)(nil)

// API keys live in the api_keys table of migration 0004_api_keys.sql,
// which Open always applies. Keys are not content: Stats does not hash them.

// CreateKey stores k; see regime.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k regime.APIKey) error {
	const op = "create key"
	if k.ID == "" || k.Hash == "" {
		return regime.Errorf(regime.EINVALID, "api key: empty id or hash")
	}
	sc := make([]string, len(k.Scopes))
	for i, v := range k.Scopes {
		sc[i] = string(v)
	}
	return s.write(ctx, func(w *txWriter) error {
		var n int
		if err := w.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE id = ? OR hash = ?`, k.ID, k.Hash).Scan(&n); err != nil {
			return dbError(op, err)
		}
		if n > 0 {
			return regime.Errorf(regime.ECONFLICT, "api key %s already exists", k.ID)
		}
		var revoked any
		if k.Revoked() {
			revoked = k.RevokedAt.Unix()
		}
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, hash, scopes, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, k.Hash, strings.Join(sc, ","), k.CreatedAt.Unix(), revoked); err != nil {
			return dbError(op, err)
		}
		return nil
	})
}

// KeyByHash returns the key with the given token hash; see
// regime.KeyStore.
func (s *Store) KeyByHash(ctx context.Context, hash string) (regime.APIKey, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name, hash, scopes, created_at, revoked_at FROM api_keys WHERE hash = ?`, hash)
	if err != nil {
		return regime.APIKey{}, dbError("key by hash", err)
	}
	keys, err := scanKeys(rows)
	if err != nil {
		return regime.APIKey{}, dbError("key by hash", err)
	}
	if len(keys) == 0 {
		return regime.APIKey{}, notFound("api key not found")
	}
	return keys[0], nil
}

// ListKeys returns every key; see regime.KeyStore.
func (s *Store) ListKeys(ctx context.Context) ([]regime.APIKey, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name, hash, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, dbError("list keys", err)
	}
	keys, err := scanKeys(rows)
	if err != nil {
		return nil, dbError("list keys", err)
	}
	return keys, nil
}

// RevokeKey revokes key id; see regime.KeyStore.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) error {
	const op = "revoke key"
	return s.write(ctx, func(w *txWriter) error {
		res, err := w.tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, at.Unix(), id)
		if err != nil {
			return dbError(op, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError(op, err)
		} else if n == 0 {
			return notFound("api key %q not found", id)
		}
		return nil
	})
}

func scanKeys(rows *sql.Rows) ([]regime.APIKey, error) {
	defer rows.Close()
	var out []regime.APIKey
	for rows.Next() {
		var k regime.APIKey
		var scopes string
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &k.Hash, &scopes, &created, &revoked); err != nil {
			return nil, err
		}
		for _, v := range strings.Split(scopes, ",") {
			if v != "" {
				k.Scopes = append(k.Scopes, regime.Scope(v))
			}
		}
		k.CreatedAt = time.Unix(created, 0).UTC()
		if revoked.Valid {
			k.RevokedAt = time.Unix(revoked.Int64, 0).UTC()
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
