package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// CachedFile is an upstream file kept in the blob store.
type CachedFile struct {
	SHA256     string
	Size       int64
	CachedAt   time.Time
	LastAccess time.Time
}

// PutCachedFile records a file that has just entered the blob store (or
// refreshes its last access if it is recorded already).
func (s *DB) PutCachedFile(ctx context.Context, digest string, size int64) error {
	now := time.Now().UnixMicro()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO cached_files (sha256, size, cached_at, last_access) VALUES (?, ?, ?, ?)
		ON CONFLICT (sha256) DO UPDATE SET last_access = excluded.last_access`), digest, size, now, now)
	return err
}

// TouchCachedFile records an access to a cached file. Accesses closer than
// a minute to the recorded one are not written: eviction needs the order of
// accesses roughly, and a busy file must not cost a write per download.
func (s *DB) TouchCachedFile(ctx context.Context, digest string) error {
	st, err := s.prepared(ctx, `UPDATE cached_files SET last_access = ? WHERE sha256 = ? AND last_access < ?`)
	if err != nil {
		return err
	}
	now := time.Now()
	_, err = st.ExecContext(ctx, now.UnixMicro(), digest, now.Add(-time.Minute).UnixMicro())
	return err
}

// CachedFilesSize returns how many files are cached and their total size.
func (s *DB) CachedFilesSize(ctx context.Context) (count int, total int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM cached_files`).Scan(&count, &total)
	return count, total, err
}

// CachedFilesLRU returns cached files, least recently used first.
func (s *DB) CachedFilesLRU(ctx context.Context) ([]CachedFile, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sha256, size, cached_at, last_access FROM cached_files ORDER BY last_access, sha256`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CachedFile
	for rows.Next() {
		var f CachedFile
		var at, last int64
		if err := rows.Scan(&f.SHA256, &f.Size, &at, &last); err != nil {
			return nil, err
		}
		f.CachedAt, f.LastAccess = fromMicros(at), fromMicros(last)
		out = append(out, f)
	}
	return out, rows.Err()
}

// DeleteCachedFile forgets a cached file (the caller deletes the blob).
func (s *DB) DeleteCachedFile(ctx context.Context, digest string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM cached_files WHERE sha256 = ?`), digest)
	return err
}

// UpstreamPage is the last answer an upstream node gave for a project page
// (Name is the project) or for its root listing (Name is "").
type UpstreamPage struct {
	Upstream     string
	Name         string
	Status       int // 200, or 404 for a remembered absence
	URL          string
	ContentType  string
	ETag         string
	LastModified string
	Body         []byte
	// BodyBlob, when set, is the digest of the body in the blob store
	// (and Body is empty): root listings are too large to hold in memory
	// while they are written to the database.
	BodyBlob    string
	ValidatedAt time.Time
}

// UpstreamPage returns the stored page, or ErrNotFound.
func (s *DB) UpstreamPage(ctx context.Context, upstream, name string) (UpstreamPage, error) {
	st, err := s.prepared(ctx, `SELECT status, url, content_type, etag, last_modified, body, body_blob, validated_at FROM upstream_pages WHERE upstream = ? AND name = ?`)
	if err != nil {
		return UpstreamPage{}, err
	}
	p := UpstreamPage{Upstream: upstream, Name: name}
	var at int64
	err = st.QueryRowContext(ctx, upstream, name).Scan(&p.Status, &p.URL, &p.ContentType, &p.ETag, &p.LastModified, &p.Body, &p.BodyBlob, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return UpstreamPage{}, ErrNotFound
	}
	p.ValidatedAt = fromMicros(at)
	return p, err
}

// PutUpstreamPage stores (replaces) a page.
func (s *DB) PutUpstreamPage(ctx context.Context, p UpstreamPage) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO upstream_pages (upstream, name, status, url, content_type, etag, last_modified, body, body_blob, validated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (upstream, name) DO UPDATE SET status = excluded.status, url = excluded.url, content_type = excluded.content_type,
			etag = excluded.etag, last_modified = excluded.last_modified, body = excluded.body, body_blob = excluded.body_blob, validated_at = excluded.validated_at`),
		p.Upstream, p.Name, p.Status, p.URL, p.ContentType, p.ETag, p.LastModified, p.Body, p.BodyBlob, micros(p.ValidatedAt))
	return err
}

// RevalidateUpstreamPage records that the upstream confirmed the stored
// page (it answered 304 Not Modified).
func (s *DB) RevalidateUpstreamPage(ctx context.Context, upstream, name string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE upstream_pages SET validated_at = ? WHERE upstream = ? AND name = ?`), micros(at), upstream, name)
	return err
}

// SetCachedFileAccess sets a cached file's last access (tests, tools).
func (s *DB) SetCachedFileAccess(ctx context.Context, digest string, atMicros int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE cached_files SET last_access = ? WHERE sha256 = ?`), atMicros, digest)
	return err
}
