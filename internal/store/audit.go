package store

import (
	"context"
	"time"
)

// AuditEvent is one entry of the audit trail: who did what, when, from
// where.
type AuditEvent struct {
	ID         int64
	At         time.Time
	Event      string // e.g. "upload.accepted", "auth.failed"
	Actor      string // a principal, or the name given with failed credentials
	ActorKind  string // "user", "token", "gitlab", "oidc", "cli" or "anonymous"
	Repository string
	Project    string
	Version    string
	Filename   string
	Detail     string // the reason, the change, the refusal message
	Remote     string // the client's address
}

// AddAuditEvent appends an event to the audit trail.
func (s *DB) AddAuditEvent(ctx context.Context, e AuditEvent) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO audit_events (at, event, actor, actor_kind, repository, project, version, filename, detail, remote)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		micros(e.At), e.Event, e.Actor, e.ActorKind, e.Repository, e.Project, e.Version, e.Filename, e.Detail, e.Remote)
	return err
}

// AuditEvents returns the most recent events, newest first: at most limit
// of them, only of the given project when project is not "".
func (s *DB) AuditEvents(ctx context.Context, project string, limit int) ([]AuditEvent, error) {
	query, args := `SELECT id, at, event, actor, actor_kind, repository, project, version, filename, detail, remote FROM audit_events`, []any{}
	if project != "" {
		query, args = query+` WHERE project = ?`, append(args, project)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Event, &e.Actor, &e.ActorKind, &e.Repository, &e.Project, &e.Version, &e.Filename, &e.Detail, &e.Remote); err != nil {
			return nil, err
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
