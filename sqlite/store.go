// Package sqlite is the default Regime store: a single SQLite file in WAL
// mode accessed through modernc.org/sqlite (pure Go, no cgo).
//
// A Store keeps two connection pools on the same file: one connection for
// writes (SQLite allows a single writer; every write transaction starts
// with BEGIN IMMEDIATE so concurrent writers queue on the busy timeout
// instead of failing) and several read-only connections, which in WAL mode
// read a consistent snapshot while a write is in progress.
//
// The schema lives in migrations/*.sql, embedded in the binary and applied
// by Open in order, each in its own transaction, recorded in the
// schema_version table.
//
// The SQL is kept portable so a PostgreSQL store can reuse the table
// layout and most statements. The SQLite-specific parts are:
//
//   - WITHOUT ROWID tables (drop the clause in PostgreSQL), REAL for
//     double precision, INTEGER 0/1 for the cap_estimated flag;
//   - the PRAGMAs set by Open (WAL, busy_timeout, foreign_keys,
//     synchronous=NORMAL, temp_store=MEMORY, cache_size) and BEGIN
//     IMMEDIATE for write transactions;
//   - "?" placeholders ($1, $2... in PostgreSQL);
//   - multi-row INSERT ... ON CONFLICT DO UPDATE that may carry the same
//     key twice: SQLite applies the rows in order, PostgreSQL refuses
//     ("cannot affect row a second time"), so a PostgreSQL store must
//     keep the last record per key of a batch first;
//   - LOWER() folds ASCII only, so LookupAsset is case-insensitive for
//     ASCII letters; PostgreSQL's LOWER folds more;
//   - text keys sort bytewise (BINARY collation), which the Stats hash
//     depends on; PostgreSQL must ORDER BY ... COLLATE "C".
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/regime-engine/regime"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ regime.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrationFS embed.FS

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection or process before giving up with SQLITE_BUSY.
const busyTimeoutMS = 10000

// Store is a regime.Store backed by one SQLite file. It is safe for
// concurrent use. Inside Update, write through the Writer passed to fn, not
// through the Store: the Store's own writes wait for the one write
// connection that Update holds.
type Store struct {
	path      string
	wdb       *sql.DB // one connection, BEGIN IMMEDIATE
	rdb       *sql.DB // read-only connections
	closeOnce sync.Once
	closeErr  error
}

// Open opens the SQLite database at path, creating the file when it does
// not exist, and migrates it to the current schema. It returns an EINVALID
// *regime.Error when path is not a SQLite database, cannot be created, or
// has a schema newer than this build knows.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, regime.Errorf(regime.EINVALID, "sqlite: empty database path")
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, regime.Errorf(regime.EINVALID, "sqlite: %q: want a file path (in-memory and URI databases are not supported)", path)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, regime.Errorf(regime.EINVALID, "sqlite: %s is a directory, not a database file", path)
	}
	uri := fileURI(path)
	// temp_store(MEMORY) keeps statement and savepoint journals off disk:
	// with them in temporary files an import spends a third of its time
	// in pwrite. The writer gets a larger page cache for bulk upserts.
	common := "_pragma=busy_timeout(" + strconv.Itoa(busyTimeoutMS) + ")&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"
	wdb, err := sql.Open("sqlite", uri+"?"+common+"&_pragma=journal_mode(WAL)&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, openError(path, err)
	}
	if err := migrate(ctx, wdb, path); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, err := sql.Open("sqlite", uri+"?"+common+"&_pragma=cache_size(-16384)&_pragma=query_only(1)")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	if err := rdb.PingContext(ctx); err != nil {
		wdb.Close()
		rdb.Close()
		return nil, openError(path, err)
	}
	return &Store{path: path, wdb: wdb, rdb: rdb}, nil
}

// fileURI turns a path into a SQLite URI, escaping the characters that
// would otherwise end the path part.
func fileURI(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path)
}

// openError turns a failure to open or read the file into a user-facing
// error.
func openError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return &regime.Error{Code: regime.EINVALID, Message: fmt.Sprintf("sqlite: %s is not a SQLite database", path), Err: err}
		case sqlite3.SQLITE_CORRUPT:
			return &regime.Error{Code: regime.EINVALID, Message: fmt.Sprintf("sqlite: database %s is corrupt", path), Err: err}
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return &regime.Error{Code: regime.EINVALID, Message: fmt.Sprintf("sqlite: cannot open database %s (check the directory exists and is writable)", path), Err: err}
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return &regime.Error{Code: regime.EUNAVAILABLE, Message: fmt.Sprintf("sqlite: database %s is locked by another process", path), Err: err}
		}
	}
	return fmt.Errorf("sqlite: open %s: %w", path, err)
}

// dbError wraps a database failure during op, mapping lock timeouts to
// EUNAVAILABLE; anything else is internal.
func dbError(op string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return &regime.Error{Code: regime.EUNAVAILABLE, Message: "sqlite: " + op + ": database is locked", Err: err}
		case sqlite3.SQLITE_FULL:
			return &regime.Error{Code: regime.EUNAVAILABLE, Message: "sqlite: " + op + ": disk full", Err: err}
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// migration is one embedded schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations sorted by version. File names
// are NNNN_description.sql with versions 1, 2, 3... without gaps.
func migrations() ([]migration, error) {
	entries, err := migrationFS.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("sqlite: bad migration file name %q", name)
		}
		b, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migration %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies the pending migrations, each in its own transaction
// together with its schema_version row. BEGIN IMMEDIATE serialises
// concurrent Opens of the same file.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER NOT NULL PRIMARY KEY,
		name    TEXT    NOT NULL
	)`); err != nil {
		return openError(path, err)
	}
	for {
		done, err := migrateOne(ctx, db, path, ms)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration, reporting done when there
// is none.
func migrateOne(ctx context.Context, db *sql.DB, path string, ms []migration) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, openError(path, err)
	}
	defer tx.Rollback()
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return false, openError(path, err)
	}
	if cur > len(ms) {
		return false, regime.Errorf(regime.EINVALID,
			"sqlite: database %s has schema version %d, newer than the %d this build supports: upgrade regime", path, cur, len(ms))
	}
	if cur == len(ms) {
		return true, nil
	}
	m := ms[cur]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s to version %d (%s): %w", path, m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name) VALUES (?, ?)`, m.version, m.name); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: record version %d: %w", path, m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: commit version %d: %w", path, m.version, err)
	}
	return false, nil
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Ping checks that the database file is still readable.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&n); err != nil {
		return &regime.Error{Code: regime.EUNAVAILABLE, Message: "sqlite: store is not reachable", Err: err}
	}
	return nil
}

// Close closes the store, checkpointing the WAL into the database file.
// Calling it again returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		rerr := s.rdb.Close()
		werr := s.wdb.Close()
		if err := errors.Join(werr, rerr); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// Update runs fn with a Writer bound to one transaction. The transaction
// commits when fn returns nil; it rolls back when fn returns an error
// (returned unchanged) or panics (the panic continues after the rollback).
// A Writer call that fails validation writes nothing, so fn may go on
// after an EINVALID error; after any other error fn should return it.
// Use only w for writes inside fn: the Store's own writes wait for the
// write connection that Update holds, so calling them from fn deadlocks.
// Reads through the Store inside fn work but do not see fn's uncommitted
// writes.
func (s *Store) Update(ctx context.Context, fn func(w regime.Writer) error) (err error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return dbError("update: begin", err)
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	w := &txWriter{tx: tx}
	if err := fn(w); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return dbError("update: commit", err)
	}
	committed = true
	return nil
}

// write runs one writer call in its own transaction.
func (s *Store) write(ctx context.Context, fn func(w *txWriter) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return dbError("begin", err)
	}
	defer tx.Rollback()
	if err := fn(&txWriter{tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return dbError("commit", err)
	}
	return nil
}

// UpsertAssets stores assets by id, merging their aliases; see
// regime.Writer.
func (s *Store) UpsertAssets(ctx context.Context, assets []regime.Asset) error {
	return s.write(ctx, func(w *txWriter) error { return w.UpsertAssets(ctx, assets) })
}

// UpsertBars stores bars by (asset, source, date); see regime.Writer.
func (s *Store) UpsertBars(ctx context.Context, bars []regime.Bar) error {
	return s.write(ctx, func(w *txWriter) error { return w.UpsertBars(ctx, bars) })
}

// UpsertObservations stores observations by (series, date); see
// regime.Writer.
func (s *Store) UpsertObservations(ctx context.Context, obs []regime.Observation) error {
	return s.write(ctx, func(w *txWriter) error { return w.UpsertObservations(ctx, obs) })
}

// UpsertConstituents stores snapshot rows by (source, date, asset); see
// regime.Writer.
func (s *Store) UpsertConstituents(ctx context.Context, cs []regime.Constituent) error {
	return s.write(ctx, func(w *txWriter) error { return w.UpsertConstituents(ctx, cs) })
}

// UpsertCandles stores candles by (asset, source, time); see
// regime.Writer.
func (s *Store) UpsertCandles(ctx context.Context, cs []regime.Candle) error {
	return s.write(ctx, func(w *txWriter) error { return w.UpsertCandles(ctx, cs) })
}
