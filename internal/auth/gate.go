// Package auth is Sluice's publishing security: accounts with roles and
// argon2id passwords, API tokens, GitLab CI job tokens, OIDC trusted
// publishing, project ownership and the name-collision guard. Its Gate
// implements server.Gate for the upload API and guards private indexes
// and the admin API. docs/security.md describes the model.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/nameguard"
	"github.com/sluice-pkg/sluice/internal/server"
	"github.com/sluice-pkg/sluice/internal/store"
)

// Roles, from most to least powerful.
const (
	RoleAdmin    = "admin"    // everything, on every project
	RoleUploader = "uploader" // uploads; manages the projects it owns
	RoleReader   = "reader"   // reads private indexes
)

// Identity kinds (server.Identity.Kind).
const (
	KindUser   = "user"   // an account, by password
	KindToken  = "token"  // an account, by API token
	KindGitLab = "gitlab" // a GitLab CI job, by job token
	KindOIDC   = "oidc"   // a trusted publisher, by a token it minted
)

// TokenUser is the user name that announces an API token as password.
const TokenUser = "__token__"

// ValidRole reports whether role is one of the three roles.
func ValidRole(role string) bool {
	return role == RoleAdmin || role == RoleUploader || role == RoleReader
}

// Options configure a Gate.
type Options struct {
	DB *store.DB
	// Auth is the configuration's auth section (validated by config).
	Auth config.Auth
	// Audit records events; nil makes one from DB and Logger.
	Audit  *audit.Recorder
	Logger *slog.Logger
	// PublicExists reports whether an upstream reachable from the indexes
	// has the normalised project name: the name-collision guard asks it
	// before a new project is created. Nil means there is no upstream.
	// An error refuses the upload (fail closed).
	PublicExists func(ctx context.Context, project string) (bool, error)
	// Popular is the popular-names list of the typo guard (LoadPopular
	// reads the configured one). Nil loads it when a new project's name is
	// first checked: commands that never check one skip the work.
	Popular *nameguard.Popular
	// Client makes the calls to GitLab and to OIDC issuers; nil means a
	// client with a 10 s timeout.
	Client *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Gate authenticates requests and authorises uploads and administration.
// It implements server.Gate. It is safe for concurrent use.
type Gate struct {
	db           *store.DB
	cfg          config.Auth
	audit        *audit.Recorder
	log          *slog.Logger
	popular      func() (*nameguard.Popular, error)
	publicExists func(ctx context.Context, project string) (bool, error)
	gitlab       *gitlab // nil without auth.gitlab.url
	oidc         *publishers
	now          func() time.Time
	dummy        func() string // a hash to verify against for unknown users
	argon        chan struct{}
	logins       *credCache[store.User]
	mintTTL      time.Duration
}

var _ server.Gate = (*Gate)(nil)

// New builds a Gate.
func New(opts Options) (*Gate, error) {
	if opts.DB == nil {
		return nil, errors.New("auth: no database")
	}
	g := &Gate{
		db:           opts.DB,
		cfg:          opts.Auth,
		audit:        opts.Audit,
		log:          opts.Logger,
		publicExists: opts.PublicExists,
		now:          opts.Now,
		argon:        make(chan struct{}, runtime.GOMAXPROCS(0)),
		logins:       newCredCache[store.User](30*time.Second, 10000),
		mintTTL:      MintedTokenTTL,
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.audit == nil {
		g.audit = audit.New(opts.DB, g.log)
	}
	if g.now == nil {
		g.now = time.Now
	}
	if opts.Popular != nil {
		g.popular = func() (*nameguard.Popular, error) { return opts.Popular, nil }
	} else {
		g.popular = sync.OnceValues(func() (*nameguard.Popular, error) { return LoadPopular(opts.Auth) })
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Auth.GitLab.URL != "" {
		gl, err := newGitLab(opts.Auth.GitLab, client)
		if err != nil {
			return nil, err
		}
		g.gitlab = gl
	}
	g.oidc = newPublishers(opts.Auth, client)
	g.dummy = sync.OnceValue(func() string {
		h, err := HashPassword("not a password anyone has")
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		return h
	})
	return g, nil
}

// LoadPopular returns the popular-names list the configuration names, or
// the embedded one.
func LoadPopular(a config.Auth) (*nameguard.Popular, error) {
	if a.PopularNames == "" {
		return nameguard.Default(), nil
	}
	p, err := nameguard.LoadFile(a.PopularNames)
	if err != nil {
		return nil, fmt.Errorf("auth.popular_names: %w", err)
	}
	return p, nil
}

// Principal is the name an identity owns projects under: the account name
// for passwords and API tokens, "gitlab:<project path>" for GitLab CI
// jobs, "oidc:<publisher>" for trusted publishers.
func Principal(id server.Identity) string {
	switch id.Kind {
	case KindGitLab, KindOIDC:
		return id.Kind + ":" + id.Name
	}
	return id.Name
}

func authErr(status int, format string, args ...any) error {
	return &server.AuthError{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Authenticate implements server.Gate: it identifies the request's HTTP
// Basic credentials (or a bearer API token). A request without credentials
// gets a 401; so do wrong ones, which are also audited.
func (g *Gate) Authenticate(r *http.Request) (server.Identity, error) {
	return g.authenticate(r, "Authentication required: give a user name and password, or an API token as the password of user __token__.")
}

// AuthenticateRead authenticates a read of a private index: any valid
// identity, of any role, may read. Call it before serving anything of an
// index whose configuration says private: true, and answer an error as
// Private does.
func (g *Gate) AuthenticateRead(r *http.Request) (server.Identity, error) {
	return g.authenticate(r, "Authentication required: this index is private.")
}

// Private wraps the handler of a private index: requests without valid
// credentials get 401 with WWW-Authenticate (so that pip retries with the
// credentials of the index URL or .netrc), or 503 if a CI identity cannot
// be verified right now.
func (g *Gate) Private(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := g.AuthenticateRead(r); err != nil {
			WriteAuthError(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WriteAuthError answers an authentication or authorisation failure in
// plain text, with WWW-Authenticate on a 401.
func WriteAuthError(w http.ResponseWriter, err error) {
	status, msg := http.StatusInternalServerError, "Internal server error; the server log has the details."
	var ae *server.AuthError
	if errors.As(err, &ae) {
		status, msg = ae.Status, ae.Msg
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="sluice"`)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

func (g *Gate) authenticate(r *http.Request, anonymous string) (server.Identity, error) {
	ctx := r.Context()
	h := r.Header.Get("Authorization")
	if h == "" {
		return server.Identity{}, authErr(http.StatusUnauthorized, "%s", anonymous)
	}
	var (
		id          server.Identity
		err         error
		kind, actor string // for the record of a failure
	)
	user, pass, basic := r.BasicAuth()
	switch tok, bearer := strings.CutPrefix(h, "Bearer "); {
	case bearer:
		tok = strings.TrimSpace(tok)
		kind, actor = KindToken, tokenActor(tok)
		id, err = g.byToken(ctx, tok)
	case !basic:
		return server.Identity{}, authErr(http.StatusUnauthorized, "Authentication failed: use HTTP Basic authentication (or a bearer API token).")
	case user == TokenUser:
		kind, actor = KindToken, tokenActor(pass)
		id, err = g.byToken(ctx, pass)
	case user == GitLabUser:
		kind, actor = KindGitLab, GitLabUser
		id, err = g.byJobToken(ctx, pass)
	default:
		kind, actor = KindUser, user
		id, err = g.byPassword(ctx, user, pass)
	}
	if err != nil {
		g.audit.Record(ctx, store.AuditEvent{Event: audit.AuthFailed, Actor: actor, ActorKind: kind, Detail: err.Error(), Remote: r.RemoteAddr})
	}
	return id, err
}

// tokenActor names a presented token in the audit trail by its id, never
// by its secret.
func tokenActor(token string) string {
	if id, ok := parseToken(token); ok {
		return "token " + id
	}
	return "malformed token"
}

func (g *Gate) byPassword(ctx context.Context, name, password string) (server.Identity, error) {
	bad := authErr(http.StatusUnauthorized, "Authentication failed: wrong user name or password.")
	now := g.now()
	key := g.logins.keyOf(name, password)
	u, ok := g.logins.get(key, now)
	if !ok {
		var err error
		u, err = g.db.UserByName(ctx, name)
		hash := u.PasswordHash
		switch {
		case errors.Is(err, store.ErrNotFound):
			hash = g.dummy() // as slow as a real check: no user enumeration by timing
		case err != nil:
			return server.Identity{}, err
		}
		match, err := g.verifyPassword(ctx, hash, password)
		if err != nil {
			return server.Identity{}, err
		}
		if !match || u.Name == "" {
			return server.Identity{}, bad
		}
		g.logins.put(key, u, now)
	}
	if !u.DisabledAt.IsZero() {
		return server.Identity{}, authErr(http.StatusUnauthorized, "Authentication failed: account %s is disabled.", u.Name)
	}
	return server.Identity{Kind: KindUser, Name: u.Name, Role: u.Role}, nil
}

// verifyPassword runs argon2 with bounded concurrency: each verification
// takes 19 MiB, and a flood of logins must not take the server's memory.
func (g *Gate) verifyPassword(ctx context.Context, hash, password string) (bool, error) {
	select {
	case g.argon <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-g.argon }()
	return VerifyPassword(hash, password)
}

func (g *Gate) byToken(ctx context.Context, token string) (server.Identity, error) {
	bad := authErr(http.StatusUnauthorized, "Authentication failed: unknown or invalid API token.")
	id, ok := parseToken(token)
	if !ok {
		return server.Identity{}, bad
	}
	t, err := g.db.TokenByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		digestMatches(token, strings.Repeat("0", 64)) // same work as a real check
		return server.Identity{}, bad
	}
	if err != nil {
		return server.Identity{}, err
	}
	if !digestMatches(token, t.SecretSHA256) {
		return server.Identity{}, bad
	}
	// The caller holds the secret from here on: it may learn why the
	// token no longer works.
	now := g.now()
	if !t.RevokedAt.IsZero() {
		return server.Identity{}, authErr(http.StatusUnauthorized, "Authentication failed: API token %s was revoked.", t.ID)
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return server.Identity{}, authErr(http.StatusUnauthorized, "Authentication failed: API token %s expired at %s.", t.ID, t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if t.Publisher != "" {
		if _, ok := g.oidc.byName(t.Publisher); !ok {
			return server.Identity{}, authErr(http.StatusUnauthorized, "Authentication failed: trusted publisher %s, which minted this token, is no longer configured.", t.Publisher)
		}
		return server.Identity{Kind: KindOIDC, Name: t.Publisher, Role: RoleUploader, TokenID: t.ID}, nil
	}
	u, err := g.db.UserByName(ctx, t.User)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.DisabledAt.IsZero()) {
		return server.Identity{}, authErr(http.StatusUnauthorized, "Authentication failed: the account of API token %s is disabled.", t.ID)
	}
	if err != nil {
		return server.Identity{}, err
	}
	return server.Identity{Kind: KindToken, Name: u.Name, Role: u.Role, TokenID: t.ID}, nil
}

func (g *Gate) byJobToken(ctx context.Context, token string) (server.Identity, error) {
	if g.gitlab == nil {
		return server.Identity{}, authErr(http.StatusUnauthorized, "Authentication failed: this server accepts no GitLab CI job tokens (auth.gitlab.url is not configured).")
	}
	if token == "" {
		return server.Identity{}, authErr(http.StatusUnauthorized, "Authentication failed: the GitLab CI job token is empty.")
	}
	path, err := g.gitlab.verify(ctx, token, g.now())
	if err != nil {
		return server.Identity{}, err
	}
	return server.Identity{Kind: KindGitLab, Name: path, Role: RoleUploader}, nil
}

// scope returns the projects an identity is limited to, nil for any.
func (g *Gate) scope(ctx context.Context, id server.Identity) ([]string, error) {
	if id.Kind == KindOIDC {
		p, ok := g.oidc.byName(id.Name)
		if !ok {
			return []string{}, nil
		}
		return p.Projects, nil
	}
	if id.TokenID == "" {
		return nil, nil
	}
	t, err := g.db.TokenByID(ctx, id.TokenID)
	if err != nil {
		return nil, err
	}
	return t.Projects, nil
}

// inScope checks a token's project limits.
func (g *Gate) inScope(ctx context.Context, id server.Identity, project string) error {
	scope, err := g.scope(ctx, id)
	if err != nil {
		return err
	}
	if scope != nil && !slices.Contains(scope, project) {
		if id.Kind == KindOIDC {
			return authErr(http.StatusForbidden, "Trusted publisher %s may publish only %s, not '%s'.", id.Name, strings.Join(scope, ", "), project)
		}
		return authErr(http.StatusForbidden, "API token %s is limited to %s; it may not act on '%s'.", id.TokenID, strings.Join(scope, ", "), project)
	}
	return nil
}
