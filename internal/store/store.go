// Package store keeps Sluice's metadata (hosted projects and files, and
// later accounts, tokens and the audit trail) in a SQL database through plain
// database/sql. SQLite is the embedded default; queries are written with ?
// placeholders and rebound for dialects that number them.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when a row with the same key exists already.
var ErrExists = errors.New("already exists")

// ErrDeleted is returned when a file name was used by a deleted file.
var ErrDeleted = errors.New("was deleted; its name cannot be used again")

//go:embed migrations
var migrations embed.FS

type dialect int

const (
	sqlite dialect = iota
	postgres
)

// DB is the metadata store.
type DB struct {
	db      *sql.DB
	dialect dialect
	stmts   sync.Map // query -> *sql.Stmt
	path    string   // the SQLite file
}

// ChangeToken returns a cheap token that changes whenever a transaction
// may have committed, in this process or another, or ok=false when there is
// no cheap way to tell. In WAL mode every commit writes the -wal file, so
// its size and modification time change; callers still re-verify now and
// then, in case a file system's timestamps are too coarse to tell two
// commits of the same size apart.
func (s *DB) ChangeToken() (token ChangeToken, ok bool) {
	if s.dialect != sqlite {
		return ChangeToken{}, false
	}
	fi, err := os.Stat(s.path + "-wal")
	if err != nil {
		return ChangeToken{}, false
	}
	return ChangeToken{size: fi.Size(), mtime: fi.ModTime().UnixNano()}, true
}

// ChangeToken is a value of DB.ChangeToken; tokens compare with ==.
type ChangeToken struct {
	size, mtime int64
}

// prepared returns a prepared statement for a hot query: parsing SQL is
// most of the cost of a small query.
func (s *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// OpenSQLite opens (creating if needed) the SQLite database at path and
// applies pending migrations. WAL mode and a busy timeout let `sluice import`
// write while `sluice serve` runs on the same file.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	s := &DB{db: db, dialect: sqlite, path: path}
	// Processes opening a new database at the same moment (serve and a
	// command) can meet SQLITE_BUSY while one switches it to WAL, before
	// the busy timeout applies: retry briefly.
	for attempt := 1; ; attempt++ {
		err = s.migrate(ctx)
		if err == nil {
			return s, nil
		}
		if attempt == 10 || !strings.Contains(err.Error(), "database is locked") {
			db.Close()
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
}

// Close closes the database.
func (s *DB) Close() error {
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// Ping reports whether the database answers.
func (s *DB) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// q rebinds ? placeholders for the dialect.
func (s *DB) q(query string) string {
	if s.dialect != postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *DB) migrate(ctx context.Context) error {
	dir := "migrations/sqlite"
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		body, err := migrations.ReadFile(dir + "/" + name)
		if err != nil {
			return err
		}
		if err := s.apply(ctx, v, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// apply runs one migration in a transaction unless it is recorded already;
// two processes starting at once serialise on the write lock.
func (s *DB) apply(ctx context.Context, version int, body string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
