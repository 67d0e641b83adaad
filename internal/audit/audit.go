// Package audit records security-relevant events (uploads and refusals,
// authentication failures, yanks, deletions, ownership and account
// changes) twice: as a row of the audit_events table, which operators can
// query, and as one structured log line, which log pipelines ship.
package audit

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/store"
)

// The event names.
const (
	UploadAccepted      = "upload.accepted"
	UploadRefused       = "upload.refused"
	AuthFailed          = "auth.failed"
	FileYanked          = "file.yanked"
	FileUnyanked        = "file.unyanked"
	FileDeleted         = "file.deleted"
	OwnerAdded          = "owner.added"
	OwnerRemoved        = "owner.removed"
	ProjectTransferred  = "project.transferred"
	NameAllowed         = "name.allowed"
	NameDisallowed      = "name.disallowed"
	UserCreated         = "user.created"
	UserDisabled        = "user.disabled"
	UserEnabled         = "user.enabled"
	UserPasswordChanged = "user.password_changed"
	TokenCreated        = "token.created"
	TokenRevoked        = "token.revoked"
	TokenMinted         = "token.minted"
	AdminRefused        = "admin.refused"
	YankOverrideSet     = "yank_override.set"
	YankOverrideCleared = "yank_override.cleared"
)

// Recorder writes events. It is safe for concurrent use.
type Recorder struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time
}

// New returns a Recorder writing to db and log (nil: no log lines).
func New(db *store.DB, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{db: db, log: log, now: time.Now}
}

// Record writes one event; At defaults to now. Recording outlives the
// request: a client that hangs up does not erase its trace. A database
// failure is logged, not returned: the action the event describes has
// happened (or been refused) either way.
func (r *Recorder) Record(ctx context.Context, e store.AuditEvent) {
	if e.At.IsZero() {
		e.At = r.now().UTC()
	}
	level := slog.LevelInfo
	if strings.HasSuffix(e.Event, ".refused") || strings.HasSuffix(e.Event, ".failed") {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("event", e.Event), slog.String("actor", e.Actor), slog.String("actor_kind", e.ActorKind)}
	for _, kv := range [...]struct{ k, v string }{
		{"repository", e.Repository}, {"project", e.Project}, {"version", e.Version},
		{"filename", e.Filename}, {"detail", e.Detail}, {"remote", e.Remote},
	} {
		if kv.v != "" {
			attrs = append(attrs, slog.String(kv.k, kv.v))
		}
	}
	r.log.LogAttrs(ctx, level, "audit", attrs...)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.db.AddAuditEvent(wctx, e); err != nil {
		r.log.LogAttrs(ctx, slog.LevelError, "recording an audit event failed",
			slog.String("event", "audit.error"), slog.String("audit_event", e.Event), slog.String("error", err.Error()))
	}
}

// Actor is who does something, for the record.
type Actor struct {
	Name   string // a principal ("alice", "gitlab:group/project") or "cli:<os user>"
	Kind   string // an identity kind, or "cli"
	Remote string // the client's address, or "local"
}

// Event starts an event of the actor's.
func (a Actor) Event(name string) store.AuditEvent {
	return store.AuditEvent{Event: name, Actor: a.Name, ActorKind: a.Kind, Remote: a.Remote}
}
