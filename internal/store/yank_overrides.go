package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// YankOverride is a run-time yank rule set by an admin: the files of
// Project (a name or glob) that match Version (an exact version or a
// specifier set, "" for all) and File (a file name glob, "" for all) are
// shown as yanked with Reason.
type YankOverride struct {
	ID        int64
	Project   string
	Version   string
	File      string
	Reason    string
	CreatedBy string
	CreatedAt time.Time
}

// AddYankOverride stores a new override and returns it with its ID.
func (s *DB) AddYankOverride(ctx context.Context, o YankOverride) (YankOverride, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO yank_overrides (project, version, file, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		o.Project, o.Version, o.File, o.Reason, o.CreatedBy, micros(o.CreatedAt))
	if err != nil {
		return YankOverride{}, err
	}
	o.ID, err = res.LastInsertId()
	return o, err
}

// DeleteYankOverride removes an override and returns what it was, or
// ErrNotFound.
func (s *DB) DeleteYankOverride(ctx context.Context, id int64) (YankOverride, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return YankOverride{}, err
	}
	defer tx.Rollback()
	var o YankOverride
	var at int64
	err = tx.QueryRowContext(ctx, s.q(`SELECT id, project, version, file, reason, created_by, created_at FROM yank_overrides WHERE id = ?`), id).
		Scan(&o.ID, &o.Project, &o.Version, &o.File, &o.Reason, &o.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return YankOverride{}, ErrNotFound
	}
	if err != nil {
		return YankOverride{}, err
	}
	o.CreatedAt = fromMicros(at)
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM yank_overrides WHERE id = ?`), id); err != nil {
		return YankOverride{}, err
	}
	return o, tx.Commit()
}

// YankOverrides lists every override, oldest first.
func (s *DB) YankOverrides(ctx context.Context) ([]YankOverride, error) {
	st, err := s.prepared(ctx, `SELECT id, project, version, file, reason, created_by, created_at FROM yank_overrides ORDER BY id`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []YankOverride
	for rows.Next() {
		var o YankOverride
		var at int64
		if err := rows.Scan(&o.ID, &o.Project, &o.Version, &o.File, &o.Reason, &o.CreatedBy, &at); err != nil {
			return nil, err
		}
		o.CreatedAt = fromMicros(at)
		out = append(out, o)
	}
	return out, rows.Err()
}
