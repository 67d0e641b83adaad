package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/server"
	"github.com/sluice-pkg/sluice/internal/store"
)

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 8

// ActorOf names an authenticated identity as an actor.
func ActorOf(id server.Identity, remote string) audit.Actor {
	return audit.Actor{Name: Principal(id), Kind: id.Kind, Remote: remote}
}

// CheckUserName validates an account name: 1 to 64 letters, digits, '.',
// '_' or '-', and not one of the user names with a meaning of their own.
func CheckUserName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("user name %q must be 1 to 64 characters", name)
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r == '.' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return fmt.Errorf("user name %q may contain only letters, digits, '.', '_' and '-'", name)
		}
	}
	if name == TokenUser || name == GitLabUser {
		return fmt.Errorf("user name %q is reserved", name)
	}
	return nil
}

// CreateUser creates an account.
func (g *Gate) CreateUser(ctx context.Context, by audit.Actor, name, role, password string) error {
	if err := CheckUserName(name); err != nil {
		return err
	}
	if !ValidRole(role) {
		return fmt.Errorf("role %q is not one of admin, uploader, reader", role)
	}
	if len(password) < MinPasswordLength {
		return fmt.Errorf("the password for %s is shorter than %d characters", name, MinPasswordLength)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	err = g.db.CreateUser(ctx, store.User{Name: name, Role: role, PasswordHash: hash, CreatedAt: g.now()})
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("user %s already exists", name)
	}
	if err != nil {
		return err
	}
	e := by.Event(audit.UserCreated)
	e.Detail = fmt.Sprintf("user %s, role %s", name, role)
	g.audit.Record(ctx, e)
	return nil
}

// SetPassword replaces an account's password. Cached logins with the old
// one lapse within 30 seconds.
func (g *Gate) SetPassword(ctx context.Context, by audit.Actor, name, password string) error {
	if len(password) < MinPasswordLength {
		return fmt.Errorf("the password for %s is shorter than %d characters", name, MinPasswordLength)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := g.db.SetUserPassword(ctx, name, hash); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no user %s", name)
	} else if err != nil {
		return err
	}
	e := by.Event(audit.UserPasswordChanged)
	e.Detail = "user " + name
	g.audit.Record(ctx, e)
	return nil
}

// SetUserDisabled disables an account (its password and its tokens stop
// working) or enables it again.
func (g *Gate) SetUserDisabled(ctx context.Context, by audit.Actor, name string, disabled bool) error {
	at, event := time.Time{}, audit.UserEnabled
	if disabled {
		at, event = g.now(), audit.UserDisabled
	}
	if err := g.db.SetUserDisabled(ctx, name, at); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no user %s", name)
	} else if err != nil {
		return err
	}
	e := by.Event(event)
	e.Detail = "user " + name
	g.audit.Record(ctx, e)
	return nil
}

// CreateToken makes an API token for an account, limited to projects
// (none: any) and expiring after ttl (0: never). The token itself is
// returned only here.
func (g *Gate) CreateToken(ctx context.Context, by audit.Actor, user string, projects []string, ttl time.Duration) (string, store.Token, error) {
	u, err := g.db.UserByName(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return "", store.Token{}, fmt.Errorf("there is no user %s", user)
	}
	if err != nil {
		return "", store.Token{}, err
	}
	if !u.DisabledAt.IsZero() {
		return "", store.Token{}, fmt.Errorf("user %s is disabled", user)
	}
	if ttl < 0 {
		return "", store.Token{}, fmt.Errorf("the expiry %v is in the past", ttl)
	}
	var scope []string
	for _, p := range projects {
		if !pypi.ValidName(p) {
			return "", store.Token{}, fmt.Errorf("%q is not a valid project name", p)
		}
		if n := pypi.Normalize(p); !slices.Contains(scope, n) {
			scope = append(scope, n)
		}
	}
	token, id, digest, err := newToken()
	if err != nil {
		return "", store.Token{}, err
	}
	now := g.now()
	t := store.Token{ID: id, SecretSHA256: digest, User: user, Projects: scope, CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	if err := g.db.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, err
	}
	e := by.Event(audit.TokenCreated)
	e.Detail = describeToken(t)
	g.audit.Record(ctx, e)
	return token, t, nil
}

// RevokeToken revokes an API token by its id.
func (g *Gate) RevokeToken(ctx context.Context, by audit.Actor, id string) error {
	id = strings.TrimPrefix(id, tokenPrefix)
	if err := g.db.RevokeToken(ctx, id, g.now()); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no API token with id %s", id)
	} else if err != nil {
		return err
	}
	e := by.Event(audit.TokenRevoked)
	e.Detail = "token " + id
	g.audit.Record(ctx, e)
	return nil
}

func describeToken(t store.Token) string {
	s := fmt.Sprintf("token %s of user %s", t.ID, t.User)
	if len(t.Projects) > 0 {
		s += ", projects " + strings.Join(t.Projects, ", ")
	}
	if !t.ExpiresAt.IsZero() {
		s += ", expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return s
}

// CheckPrincipal validates the name of a would-be owner: an existing
// account, "gitlab:<project path>" (when GitLab is configured) or
// "oidc:<name of a configured trusted publisher>".
func (g *Gate) CheckPrincipal(ctx context.Context, p string) error {
	kind, name, found := strings.Cut(p, ":")
	if !found {
		_, err := g.db.UserByName(ctx, p)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("there is no user %s (CI owners are written gitlab:<project path> or oidc:<publisher>)", p)
		}
		return err
	}
	switch kind {
	case KindGitLab:
		if g.gitlab == nil {
			return fmt.Errorf("owner %s: no GitLab is configured (auth.gitlab.url)", p)
		}
		if !validProjectPath(name) {
			return fmt.Errorf("owner %s: %q is not a GitLab project path", p, name)
		}
		return nil
	case KindOIDC:
		if _, ok := g.oidc.byName(name); !ok {
			return fmt.Errorf("owner %s: no trusted publisher is named %q", p, name)
		}
		return nil
	}
	return fmt.Errorf("owner %q: a CI owner is written gitlab:PATH or oidc:PUBLISHER", p)
}

// Users lists the accounts.
func (g *Gate) Users(ctx context.Context) ([]store.User, error) { return g.db.Users(ctx) }

// Tokens lists an account's API tokens (everyone's for user "").
func (g *Gate) Tokens(ctx context.Context, user string) ([]store.Token, error) {
	return g.db.Tokens(ctx, user)
}

// AuthorizeAdmin allows administrators only.
func (g *Gate) AuthorizeAdmin(id server.Identity) error {
	if id.Role != RoleAdmin {
		return authErr(http.StatusForbidden, "%s is not an admin.", describe(id))
	}
	return nil
}

// AuthorizeManage decides whether id may yank, unyank and delete files of
// a hosted project (changeOwners false), or change its owners (true).
// Admins may do both anywhere; owners on their projects, within their
// token's scope. Trusted publishers may yank and delete within the
// projects configured for them. CI identities never change owners: a
// compromised pipeline must not be able to hand a project over.
func (g *Gate) AuthorizeManage(ctx context.Context, id server.Identity, repository, project string, changeOwners bool) error {
	if id.Role != RoleAdmin && id.Role != RoleUploader {
		return authErr(http.StatusForbidden, "%s may not change projects (role %s).", describe(id), id.Role)
	}
	if err := g.inScope(ctx, id, project); err != nil {
		return err
	}
	if id.Role == RoleAdmin {
		return nil
	}
	if changeOwners && (id.Kind == KindGitLab || id.Kind == KindOIDC) {
		return authErr(http.StatusForbidden, "%s may not change owners; only accounts may.", describe(id))
	}
	if id.Kind == KindOIDC {
		return nil // inScope checked the configured projects
	}
	owners, err := g.db.Owners(ctx, repository, project)
	if err != nil {
		return err
	}
	if !isOwner(owners, Principal(id)) {
		return authErr(http.StatusForbidden, "%s is not an owner of '%s'.", describe(id), project)
	}
	return nil
}
