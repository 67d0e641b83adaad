package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/nameguard"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/server"
	"github.com/sluice-pkg/sluice/internal/store"
)

// staleClaim is how long the claim of an upload creating a new project
// holds off other identities. An upload that ends is confirmed or refused
// at once; only an upload that dies with its process leaves a claim,
// which then lapses. It is long because a gigabyte over a slow link takes
// a while, and short enough that a crash does not lock a name for a day.
const staleClaim = 6 * time.Hour

// AuthorizeUpload implements server.Gate. In order: the role must be
// uploader or admin; an API token must cover the project; an existing
// project takes uploads from its owners, admins and the trusted publishers
// configured for it; a new project's name must pass the name guard, and
// the uploader claims it atomically (and owns it when the upload commits).
func (g *Gate) AuthorizeUpload(ctx context.Context, id server.Identity, repository, project string) error {
	if id.Role != RoleAdmin && id.Role != RoleUploader {
		return authErr(http.StatusForbidden, "%s may read but not upload (role %s).", describe(id), id.Role)
	}
	if err := g.inScope(ctx, id, project); err != nil {
		return err
	}
	// Twice at most: a claim can find that another upload created the
	// project in the meantime, which then is decided as an existing one.
	for range 2 {
		decided, err := g.authorizeExisting(ctx, id, repository, project)
		if decided || err != nil {
			return err
		}
		allowances, err := g.allowances(ctx)
		if err != nil {
			return err
		}
		popular, err := g.popular()
		if err != nil {
			return err
		}
		guard := nameguard.Guard{Popular: popular, PublicExists: g.publicExists}
		if err := guard.Check(ctx, project, allowances); err != nil {
			var ref *nameguard.Refusal
			var un *nameguard.UnavailableError
			switch {
			case errors.As(err, &ref):
				return authErr(http.StatusForbidden, "%s", ref.Error())
			case errors.As(err, &un):
				g.log.Warn("name guard cannot reach the public index", "event", "nameguard.unavailable", "project", project, "error", un.Err.Error())
				return authErr(http.StatusServiceUnavailable, "%s", un.Error())
			}
			return err
		}
		now := g.now()
		holder, exists, err := g.db.ClaimProject(ctx, repository, project, Principal(id), now, now.Add(-staleClaim))
		if err != nil {
			return err
		}
		if exists {
			continue
		}
		if holder != Principal(id) {
			return authErr(http.StatusForbidden, "Project '%s' is being created by another identity's upload right now; it will belong to them.", project)
		}
		return nil
	}
	return fmt.Errorf("authorising %s: the project kept changing", project)
}

// authorizeExisting decides an upload to a project that has owners or has
// been created; decided is false for a new project.
func (g *Gate) authorizeExisting(ctx context.Context, id server.Identity, repository, project string) (decided bool, err error) {
	owners, err := g.db.Owners(ctx, repository, project)
	if err != nil {
		return true, err
	}
	exists := len(owners) > 0
	if !exists {
		if exists, err = g.db.ProjectExists(ctx, repository, project); err != nil {
			return true, err
		}
	}
	if !exists {
		return false, nil
	}
	// Admins may upload anywhere; a trusted publisher's configuration
	// (written by an admin) names its projects, and inScope checked them.
	if id.Role == RoleAdmin || id.Kind == KindOIDC || isOwner(owners, Principal(id)) {
		return true, nil
	}
	if len(owners) == 0 {
		return true, authErr(http.StatusForbidden, "Project '%s' has no owner; ask an admin to make you one (sluice owner add %s %s).", project, project, Principal(id))
	}
	return true, authErr(http.StatusForbidden, "Project '%s' belongs to other owners; ask one of them or an admin to add %s as an owner.", project, Principal(id))
}

func isOwner(owners []store.Owner, principal string) bool {
	return slices.ContainsFunc(owners, func(o store.Owner) bool { return o.Principal == principal })
}

func (g *Gate) allowances(ctx context.Context) ([]string, error) {
	list, err := g.db.NameAllowances(ctx)
	if err != nil {
		return nil, err
	}
	patterns := make([]string, len(list))
	for i, a := range list {
		patterns[i] = a.Pattern
	}
	return patterns, nil
}

// Published implements server.Gate: the uploader of a project's first
// file becomes its owner, and the upload is audited.
func (g *Gate) Published(ctx context.Context, id server.Identity, f store.File, remote string) {
	ctx = context.WithoutCancel(ctx)
	principal := Principal(id)
	became, err := g.db.ConfirmOwnership(ctx, f.Repository, f.Project, principal, g.now())
	if err != nil {
		g.log.Error("recording ownership failed", "event", "auth.error", "project", f.Project, "principal", principal, "error", err.Error())
	}
	g.audit.Record(ctx, store.AuditEvent{Event: audit.UploadAccepted, Actor: principal, ActorKind: id.Kind,
		Repository: f.Repository, Project: f.Project, Version: f.Version, Filename: f.Filename,
		Detail: "sha256 " + f.SHA256 + ", " + strconv.FormatInt(f.Size, 10) + " bytes", Remote: remote})
	if became {
		g.audit.Record(ctx, store.AuditEvent{Event: audit.OwnerAdded, Actor: principal, ActorKind: id.Kind,
			Repository: f.Repository, Project: f.Project, Detail: principal + " owns the project by its first upload", Remote: remote})
	}
}

// Refused implements server.Gate: the refusal is audited, and a claim the
// refused upload held on a new project is released, so that a refusal
// leaves nothing behind.
func (g *Gate) Refused(ctx context.Context, id *server.Identity, repository, filename, reason, remote string) {
	ctx = context.WithoutCancel(ctx)
	e := store.AuditEvent{Event: audit.UploadRefused, ActorKind: "anonymous", Repository: repository, Filename: filename, Detail: reason, Remote: remote}
	if fn, err := pypi.ParseFilename(filename); err == nil {
		e.Project, e.Version = pypi.Normalize(fn.Project), fn.Version
	}
	if id != nil {
		e.Actor, e.ActorKind = Principal(*id), id.Kind
		if e.Project != "" {
			if err := g.db.ReleaseClaim(ctx, repository, e.Project, e.Actor); err != nil {
				g.log.Error("releasing a project claim failed", "event", "auth.error", "project", e.Project, "error", err.Error())
			}
		}
	}
	g.audit.Record(ctx, e)
}

// describe names an identity in messages.
func describe(id server.Identity) string {
	switch id.Kind {
	case KindGitLab:
		return "GitLab project " + id.Name
	case KindOIDC:
		return "Trusted publisher " + id.Name
	case KindToken:
		return fmt.Sprintf("User %s (API token %s)", id.Name, id.TokenID)
	}
	return "User " + id.Name
}
