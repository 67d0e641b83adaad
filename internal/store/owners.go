package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ErrLastOwner is returned when removing an owner would leave a project
// without any.
var ErrLastOwner = errors.New("the project's last owner")

// Owner is one owner of a hosted project.
type Owner struct {
	Principal string // an account name, "gitlab:<path>" or "oidc:<publisher>"
	AddedAt   time.Time
	AddedBy   string
}

// NameAllowance lets new hosted projects take names matching Pattern.
type NameAllowance struct {
	Pattern string
	AddedAt time.Time
	AddedBy string
}

// ProjectExists reports whether the hosted repository has ever recorded the
// project. The row outlives the project's files, so that a name once used
// in-house stays in-house after its files are deleted.
func (s *DB) ProjectExists(ctx context.Context, repository, project string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM projects WHERE repository = ? AND name = ?`), repository, project).Scan(&n)
	return n > 0, err
}

// Owners returns a project's owners, oldest first.
func (s *DB) Owners(ctx context.Context, repository, project string) ([]Owner, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT principal, added_at, added_by FROM owners
		WHERE repository = ? AND project = ? ORDER BY added_at, principal`), repository, project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var owners []Owner
	for rows.Next() {
		var o Owner
		var at int64
		if err := rows.Scan(&o.Principal, &at, &o.AddedBy); err != nil {
			return nil, err
		}
		o.AddedAt = fromMicros(at)
		owners = append(owners, o)
	}
	return owners, rows.Err()
}

// AddOwner makes principal an owner of the project; it reports false if it
// was one already.
func (s *DB) AddOwner(ctx context.Context, repository, project, principal, by string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO owners (repository, project, principal, added_at, added_by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (repository, project, principal) DO NOTHING`), repository, project, principal, micros(at), by)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RemoveOwner removes one owner. It returns ErrNotFound if principal is not
// an owner, and ErrLastOwner if it is the only one and allowLast is false.
func (s *DB) RemoveOwner(ctx context.Context, repository, project, principal string, allowLast bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n, mine int
	err = tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN principal = ? THEN 1 ELSE 0 END), 0)
		FROM owners WHERE repository = ? AND project = ?`), principal, repository, project).Scan(&n, &mine)
	if err != nil {
		return err
	}
	if mine == 0 {
		return ErrNotFound
	}
	if n == 1 && !allowLast {
		return ErrLastOwner
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM owners WHERE repository = ? AND project = ? AND principal = ?`), repository, project, principal); err != nil {
		return err
	}
	return tx.Commit()
}

// ReplaceOwners makes principals the project's only owners, in one
// transaction. It returns the owners it replaced.
func (s *DB) ReplaceOwners(ctx context.Context, repository, project string, principals []string, by string, at time.Time) ([]string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.q(`SELECT principal FROM owners WHERE repository = ? AND project = ? ORDER BY added_at, principal`), repository, project)
	if err != nil {
		return nil, err
	}
	var old []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, err
		}
		old = append(old, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM owners WHERE repository = ? AND project = ?`), repository, project); err != nil {
		return nil, err
	}
	for _, p := range principals {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO owners (repository, project, principal, added_at, added_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (repository, project, principal) DO NOTHING`), repository, project, p, micros(at), by); err != nil {
			return nil, err
		}
	}
	return old, tx.Commit()
}

// ClaimProject claims a project that has neither a row nor owners for
// principal, for the duration of its first upload. Claims are atomic: of
// two concurrent first uploads by different principals exactly one gets
// the claim. A claim older than staleBefore (an upload that died without
// being refused) may be taken over.
//
// It returns the principal holding the claim afterwards (principal itself
// on success), or exists = true, and no claim, when the project has meanwhile
// been created or given owners.
func (s *DB) ClaimProject(ctx context.Context, repository, project, principal string, now, staleBefore time.Time) (holder string, exists bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, err
	}
	defer tx.Rollback()
	// The upsert comes first: under PostgreSQL's read committed it locks
	// the claim row, so the existence check below sees any upload that
	// committed, and confirmed its ownership, before it.
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO project_claims (repository, project, principal, claimed_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (repository, project) DO UPDATE SET principal = excluded.principal, claimed_at = excluded.claimed_at
		WHERE project_claims.principal = excluded.principal OR project_claims.claimed_at < ?`),
		repository, project, principal, micros(now), micros(staleBefore)); err != nil {
		return "", false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT (SELECT COUNT(*) FROM projects WHERE repository = ? AND name = ?)
		+ (SELECT COUNT(*) FROM owners WHERE repository = ? AND project = ?)`), repository, project, repository, project).Scan(&n); err != nil {
		return "", false, err
	}
	if n > 0 {
		return "", true, nil // rolled back: no claim
	}
	if err := tx.QueryRowContext(ctx, s.q(`SELECT principal FROM project_claims WHERE repository = ? AND project = ?`), repository, project).Scan(&holder); err != nil {
		return "", false, err
	}
	return holder, false, tx.Commit()
}

// ConfirmOwnership ends principal's claim after an upload committed: if the
// project has no owner yet, principal becomes it (and became is true).
func (s *DB) ConfirmOwnership(ctx context.Context, repository, project, principal string, at time.Time) (became bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM owners WHERE repository = ? AND project = ?`), repository, project).Scan(&n); err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO owners (repository, project, principal, added_at, added_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (repository, project, principal) DO NOTHING`), repository, project, principal, micros(at), principal); err != nil {
			return false, err
		}
		became = true
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM project_claims WHERE repository = ? AND project = ? AND principal = ?`), repository, project, principal); err != nil {
		return false, err
	}
	return became, tx.Commit()
}

// ReleaseClaim drops principal's claim on a project, if it holds one.
func (s *DB) ReleaseClaim(ctx context.Context, repository, project, principal string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM project_claims WHERE repository = ? AND project = ? AND principal = ?`), repository, project, principal)
	return err
}

// ClaimHolder returns who claims a project, or ErrNotFound.
func (s *DB) ClaimHolder(ctx context.Context, repository, project string) (string, error) {
	var p string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT principal FROM project_claims WHERE repository = ? AND project = ?`), repository, project).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return p, err
}

// AddNameAllowance records a name pattern; it reports false if it was
// recorded already.
func (s *DB) AddNameAllowance(ctx context.Context, pattern, by string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO name_allowances (pattern, added_at, added_by) VALUES (?, ?, ?)
		ON CONFLICT (pattern) DO NOTHING`), pattern, micros(at), by)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RemoveNameAllowance removes a pattern, or returns ErrNotFound.
func (s *DB) RemoveNameAllowance(ctx context.Context, pattern string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM name_allowances WHERE pattern = ?`), pattern)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// NameAllowances returns every allowance, by pattern.
func (s *DB) NameAllowances(ctx context.Context) ([]NameAllowance, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT pattern, added_at, added_by FROM name_allowances ORDER BY pattern`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []NameAllowance
	for rows.Next() {
		var a NameAllowance
		var at int64
		if err := rows.Scan(&a.Pattern, &at, &a.AddedBy); err != nil {
			return nil, err
		}
		a.AddedAt = fromMicros(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
