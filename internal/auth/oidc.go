package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/store"
)

// MintedTokenTTL is the lifetime of the upload token a trusted publisher
// gets for an ID token: long enough for one CI job's uploads, short enough
// that a leaked one is soon useless (PyPI uses 15 minutes too).
const MintedTokenTTL = 15 * time.Minute

// publishers holds the configured trusted publishers and one ID-token
// verifier per issuer, made when the issuer is first needed: discovery
// is a network call that must not delay or break start-up.
type publishers struct {
	list   []config.TrustedPublisher
	client *http.Client

	mu        sync.Mutex
	verifiers map[string]*oidc.IDTokenVerifier
}

func newPublishers(a config.Auth, client *http.Client) *publishers {
	return &publishers{list: a.TrustedPublishers, client: client, verifiers: map[string]*oidc.IDTokenVerifier{}}
}

func (p *publishers) byName(name string) (config.TrustedPublisher, bool) {
	for _, tp := range p.list {
		if tp.Name == name {
			return tp, true
		}
	}
	return config.TrustedPublisher{}, false
}

// verifier returns the issuer's verifier, running OIDC discovery the first
// time. Audiences are checked per publisher, not here.
func (p *publishers) verifier(ctx context.Context, issuer string) (*oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	v, ok := p.verifiers[issuer]
	p.mu.Unlock()
	if ok {
		return v, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The client in the context is also the one the provider keeps for
	// fetching the issuer's keys later.
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), issuer)
	if err != nil {
		return nil, err
	}
	v = provider.Verifier(&oidc.Config{SkipClientIDCheck: true})
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.verifiers[issuer]; ok {
		return old, nil
	}
	p.verifiers[issuer] = v
	return v, nil
}

// mintError is a refused exchange: an HTTP status, a code in the manner
// of PyPI's ("invalid-payload", "invalid-token", "untrusted-publisher",
// "issuer-unavailable") and one sentence.
type mintError struct {
	status int
	code   string
	msg    string
}

func (e *mintError) Error() string { return e.msg }

func mintErr(status int, code, format string, args ...any) *mintError {
	return &mintError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// OIDCHandler serves trusted publishing, to be mounted at /_/oidc/:
//
//	GET  /_/oidc/audience    {"audience": "<auth.audience>"}
//	POST /_/oidc/mint-token  {"token": "<OIDC ID token>"} ->
//	                         {"success": true, "token": "sluice_...", "expires": <unix seconds>}
//
// as PyPI serves them, so that tools made for PyPI's trusted publishing
// (gh-action-pypi-publish, GitLab CI templates) work against Sluice. The
// minted token is used with twine as the password of user __token__.
func (g *Gate) OIDCHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_/oidc/audience", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"audience": g.cfg.Audience})
	})
	mux.HandleFunc("POST /_/oidc/mint-token", g.serveMint)
	return mux
}

func (g *Gate) serveMint(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.Token == "" {
		g.mintFailed(w, r, "", mintErr(http.StatusBadRequest, "invalid-payload", `The request must be JSON {"token": "<OIDC ID token>"}.`))
		return
	}
	tp, subject, err := g.exchange(ctx, req.Token)
	if err != nil {
		g.mintFailed(w, r, subject, err)
		return
	}
	token, id, digest, err := newToken()
	if err != nil {
		g.mintFailed(w, r, subject, err)
		return
	}
	now := g.now()
	t := store.Token{ID: id, SecretSHA256: digest, Publisher: tp.Name, Projects: tp.Projects, CreatedAt: now, ExpiresAt: now.Add(g.mintTTL)}
	if err := g.db.CreateToken(ctx, t); err != nil {
		g.mintFailed(w, r, subject, err)
		return
	}
	if err := g.db.DeletePublisherTokens(ctx, now.Add(-time.Hour)); err != nil {
		g.log.Warn("dropping expired minted tokens failed", "event", "auth.error", "error", err.Error())
	}
	g.audit.Record(ctx, store.AuditEvent{Event: audit.TokenMinted, Actor: "oidc:" + tp.Name, ActorKind: KindOIDC,
		Detail: fmt.Sprintf("token %s for %s, until %s (subject %s)", id, strings.Join(tp.Projects, ", "), t.ExpiresAt.UTC().Format(time.RFC3339), subject),
		Remote: r.RemoteAddr})
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "token": token, "expires": t.ExpiresAt.Unix()})
}

func (g *Gate) mintFailed(w http.ResponseWriter, r *http.Request, subject string, err error) {
	var me *mintError
	if !errors.As(err, &me) {
		g.log.Error("minting a token failed", "event", "auth.error", "error", err.Error())
		me = mintErr(http.StatusInternalServerError, "internal-error", "Internal server error; the server log has the details.")
	}
	g.audit.Record(r.Context(), store.AuditEvent{Event: audit.AuthFailed, Actor: subject, ActorKind: KindOIDC,
		Detail: "token exchange: " + me.msg, Remote: r.RemoteAddr})
	writeJSON(w, me.status, map[string]any{
		"error":   me.msg,
		"message": "Token request failed",
		"errors":  []map[string]string{{"code": me.code, "description": me.msg}},
	})
}

// exchange verifies an ID token and returns the publisher it satisfies,
// and the token's issuer and subject for the record.
func (g *Gate) exchange(ctx context.Context, raw string) (config.TrustedPublisher, string, error) {
	issuer, err := unverifiedIssuer(raw)
	if err != nil {
		return config.TrustedPublisher{}, "", mintErr(http.StatusUnauthorized, "invalid-token", "The ID token is malformed: %v.", err)
	}
	var candidates []config.TrustedPublisher
	for _, tp := range g.oidc.list {
		if tp.Issuer == issuer {
			candidates = append(candidates, tp)
		}
	}
	if len(candidates) == 0 {
		return config.TrustedPublisher{}, issuer, mintErr(http.StatusForbidden, "untrusted-publisher", "No trusted publisher is configured for issuer %q.", issuer)
	}
	v, err := g.oidc.verifier(ctx, issuer)
	if err != nil {
		g.log.Warn("OIDC discovery failed", "event", "auth.oidc_unavailable", "issuer", issuer, "error", err.Error())
		return config.TrustedPublisher{}, issuer, mintErr(http.StatusServiceUnavailable, "issuer-unavailable", "Cannot reach issuer %s to verify the ID token; try again later.", issuer)
	}
	idt, err := v.Verify(ctx, raw)
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return config.TrustedPublisher{}, issuer, mintErr(http.StatusUnauthorized, "invalid-token", "The ID token expired at %s.", expired.Expiry.UTC().Format(time.RFC3339))
	case err != nil:
		return config.TrustedPublisher{}, issuer, mintErr(http.StatusUnauthorized, "invalid-token", "The ID token is not valid: %v.", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return config.TrustedPublisher{}, issuer, mintErr(http.StatusUnauthorized, "invalid-token", "The ID token's claims are unreadable: %v.", err)
	}
	subject := issuer + " " + idt.Subject
	var why string
	for _, tp := range candidates {
		if !slices.Contains(idt.Audience, tp.Audience) {
			if why == "" {
				why = fmt.Sprintf("its audience %q is not %q", idt.Audience, tp.Audience)
			}
			continue
		}
		if k, got, ok := mismatch(tp.Claims, claims); !ok {
			why = fmt.Sprintf("claim %s is %q, trusted publisher %s requires %q", k, got, tp.Name, tp.Claims[k])
			continue
		}
		if jti, _ := claims["jti"].(string); jti != "" {
			fresh, err := g.db.UseOIDCToken(ctx, issuer, jti, idt.Expiry, g.now())
			if err != nil {
				return config.TrustedPublisher{}, subject, err
			}
			if !fresh {
				return config.TrustedPublisher{}, subject, mintErr(http.StatusUnauthorized, "invalid-token", "This ID token was already exchanged; request a new one.")
			}
		}
		return tp, subject, nil
	}
	return config.TrustedPublisher{}, subject, mintErr(http.StatusForbidden, "untrusted-publisher", "No trusted publisher accepts this ID token: %s.", why)
}

// mismatch returns the first required claim (in name order) that the
// token does not carry with the required value.
func mismatch(required map[string]string, claims map[string]any) (name, got string, ok bool) {
	names := make([]string, 0, len(required))
	for k := range required {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v, present := claims[k]
		got := claimString(v)
		if !present || got != required[k] {
			if !present {
				got = "(absent)"
			}
			return k, got, false
		}
	}
	return "", "", true
}

// claimString renders a claim as configuration spells it: GitLab sends
// some booleans as JSON booleans, others as strings.
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// unverifiedIssuer reads the "iss" claim of a JWT without verifying it, to
// choose the issuer whose keys then verify it.
func unverifiedIssuer(raw string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", errors.New("its payload is not base64url")
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Issuer == "" {
		return "", errors.New("it has no issuer")
	}
	return c.Issuer, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // an error means the client went away: nobody to tell
}
