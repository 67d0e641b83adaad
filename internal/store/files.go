package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// File is one hosted distribution file.
type File struct {
	Repository     string
	Project        string // normalised
	Filename       string
	Version        string // canonical PEP 440
	Kind           string // "wheel" or "sdist"
	SHA256         string
	Blake2b256     string
	MD5            string
	Size           int64
	RequiresPython string
	MetadataSHA256 string // "" when no PEP 658 metadata file is served
	Summary        string
	UploadedAt     time.Time
	UploadedBy     string
	Yanked         bool
	YankReason     string
}

const fileColumns = `repository, project, filename, version, kind, sha256, blake2b_256, md5, size,
	requires_python, metadata_sha256, summary, uploaded_at, uploaded_by, yanked, yank_reason`

func scanFile(sc interface{ Scan(...any) error }) (File, error) {
	var f File
	var at int64
	var yanked int
	err := sc.Scan(&f.Repository, &f.Project, &f.Filename, &f.Version, &f.Kind, &f.SHA256, &f.Blake2b256,
		&f.MD5, &f.Size, &f.RequiresPython, &f.MetadataSHA256, &f.Summary, &at, &f.UploadedBy, &yanked, &f.YankReason)
	f.UploadedAt = fromMicros(at)
	f.Yanked = yanked != 0
	return f, err
}

// ProjectNames returns the normalised names of a hosted repository's
// projects, sorted: every project that ever had a file, so that a project
// whose files were all deleted stays in-house.
func (s *DB) ProjectNames(ctx context.Context, repository string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT name FROM projects WHERE repository = ? ORDER BY name`), repository)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// ProjectFiles returns a project's files (none if the project is unknown).
func (s *DB) ProjectFiles(ctx context.Context, repository, project string) ([]File, error) {
	st, err := s.prepared(ctx, `SELECT `+fileColumns+` FROM files WHERE repository = ? AND project = ? ORDER BY filename`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, repository, project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var files []File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, rows.Err()
}

// FileByName returns one file, or ErrNotFound.
func (s *DB) FileByName(ctx context.Context, repository, filename string) (File, error) {
	st, err := s.prepared(ctx, `SELECT `+fileColumns+` FROM files WHERE repository = ? AND filename = ?`)
	if err != nil {
		return File{}, err
	}
	f, err := scanFile(st.QueryRowContext(ctx, repository, filename))
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, ErrNotFound
	}
	return f, err
}

// AddFile records a new file (and its project, the first time) in one
// transaction. A file name that exists already gives ErrExists, and the
// existing row is returned so the caller can tell an identical re-upload
// from a conflicting one.
func (s *DB) AddFile(ctx context.Context, f File, displayName string) (File, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return File{}, err
	}
	defer tx.Rollback()
	old, err := scanFile(tx.QueryRowContext(ctx, s.q(`SELECT `+fileColumns+` FROM files WHERE repository = ? AND filename = ?`), f.Repository, f.Filename))
	switch {
	case err == nil:
		return old, fmt.Errorf("%s: %w", f.Filename, ErrExists)
	case !errors.Is(err, sql.ErrNoRows):
		return File{}, err
	}
	var tomb int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM deleted_files WHERE repository = ? AND filename = ?`), f.Repository, f.Filename).Scan(&tomb); err != nil {
		return File{}, err
	}
	if tomb > 0 {
		return File{}, fmt.Errorf("%s: %w", f.Filename, ErrDeleted)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO projects (repository, name, display_name, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (repository, name) DO NOTHING`), f.Repository, f.Project, displayName, micros(f.UploadedAt)); err != nil {
		return File{}, err
	}
	yanked := 0
	if f.Yanked {
		yanked = 1
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO files (`+fileColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		f.Repository, f.Project, f.Filename, f.Version, f.Kind, f.SHA256, f.Blake2b256, f.MD5, f.Size,
		f.RequiresPython, f.MetadataSHA256, f.Summary, micros(f.UploadedAt), f.UploadedBy, yanked, f.YankReason); err != nil {
		return File{}, err
	}
	if err := s.bumpSerial(ctx, tx, f.Repository, f.Project); err != nil {
		return File{}, err
	}
	return f, tx.Commit()
}

// SetYanked yanks (or un-yanks) one file.
func (s *DB) SetYanked(ctx context.Context, repository, filename string, yanked bool, reason string) error {
	y := 0
	if yanked {
		y = 1
	} else {
		reason = ""
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var project string
	err = tx.QueryRowContext(ctx, s.q(`SELECT project FROM files WHERE repository = ? AND filename = ?`), repository, filename).Scan(&project)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE files SET yanked = ?, yank_reason = ? WHERE repository = ? AND filename = ?`), y, reason, repository, filename); err != nil {
		return err
	}
	if err := s.bumpSerial(ctx, tx, repository, project); err != nil {
		return err
	}
	return tx.Commit()
}

// bumpSerial marks a project as changed, inside the changing transaction.
func (s *DB) bumpSerial(ctx context.Context, tx *sql.Tx, repository, project string) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE projects SET serial = serial + 1 WHERE repository = ? AND name = ?`), repository, project)
	return err
}

// ProjectSerial returns a number that changes whenever the project's files
// change (in this process or another), or ErrNotFound.
func (s *DB) ProjectSerial(ctx context.Context, repository, project string) (int64, error) {
	st, err := s.prepared(ctx, `SELECT serial FROM projects WHERE repository = ? AND name = ?`)
	if err != nil {
		return 0, err
	}
	var serial int64
	err = st.QueryRowContext(ctx, repository, project).Scan(&serial)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return serial, err
}

// DeleteFile removes one file's row and returns it.
func (s *DB) DeleteFile(ctx context.Context, repository, filename string) (File, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return File{}, err
	}
	defer tx.Rollback()
	f, err := scanFile(tx.QueryRowContext(ctx, s.q(`SELECT `+fileColumns+` FROM files WHERE repository = ? AND filename = ?`), repository, filename))
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, ErrNotFound
	}
	if err != nil {
		return File{}, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM files WHERE repository = ? AND filename = ?`), repository, filename); err != nil {
		return File{}, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO deleted_files (repository, filename, sha256, deleted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (repository, filename) DO NOTHING`), repository, filename, f.SHA256, time.Now().UnixMicro()); err != nil {
		return File{}, err
	}
	if err := s.bumpSerial(ctx, tx, repository, f.Project); err != nil {
		return File{}, err
	}
	return f, tx.Commit()
}

// BlobInUse reports whether any file row still refers to the digest, as the
// file itself or as its metadata; a blob is only deleted when it is not.
func (s *DB) BlobInUse(ctx context.Context, digest string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM files WHERE sha256 = ? OR metadata_sha256 = ?`), digest, digest).Scan(&n)
	return n > 0, err
}
