package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/auth/authtest"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

func TestNameGuardOnUpload(t *testing.T) {
	e := authtest.New(t)
	ctx := context.Background()
	alice := authtest.UserCred("alice")

	u := e.Upload(alice, "acme-public")
	if u.Status != http.StatusForbidden || u.Body != "'acme-public' exists on the public index; ask an admin to allow this name" {
		t.Fatalf("public name: %d %q", u.Status, u.Body)
	}
	if err := e.NothingOf("acme-public"); err != nil {
		t.Fatal(err)
	}
	u = e.Upload(alice, "Requests") // popular, and not normalised
	if u.Status != http.StatusForbidden || u.Body != "'requests' exists on the public index; ask an admin to allow this name" {
		t.Fatalf("popular name: %d %q", u.Status, u.Body)
	}
	u = e.Upload(alice, "reqeusts")
	if u.Status != http.StatusForbidden || u.Body != "'reqeusts' looks like the popular public project 'requests'; ask an admin to allow this name" {
		t.Fatalf("typo: %d %q", u.Status, u.Body)
	}
	u = e.Upload(alice, "python-numpy")
	if u.Status != http.StatusForbidden || !strings.Contains(u.Body, "'numpy'") {
		t.Fatalf("prefix variant: %d %q", u.Status, u.Body)
	}
	// admins are guarded too: the guard is about names, not people
	if u := e.Upload(authtest.UserCred("root"), "acme-public"); u.Status != http.StatusForbidden {
		t.Fatalf("admin upload of a public name: %d %q", u.Status, u.Body)
	}

	// an allowance, exact or by glob, opens the name
	if _, err := e.Svc.AllowNames(ctx, authtest.CLI, []string{"Acme_Public", "reqeust*"}); err != nil {
		t.Fatal(err)
	}
	e.MustUpload(alice, "acme-public")
	e.MustUpload(alice, "reqeusts")
	if got := e.Owners("acme-public"); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("owners after an allowed first upload: %v", got)
	}

	// an unreachable public index refuses new names (fail closed) ...
	down := error(errors.New("upstream pypi: connection refused"))
	e.Upstream.Store(&down)
	u = e.Upload(alice, "acme-brand-new")
	if u.Status != http.StatusServiceUnavailable || !strings.Contains(u.Body, "try again later") {
		t.Fatalf("upstream down: %d %q", u.Status, u.Body)
	}
	if err := e.NothingOf("acme-brand-new"); err != nil {
		t.Fatal(err)
	}
	// ... but existing in-house names keep taking versions, unguarded
	e.MustUpload(alice, "acme-public")
	e.Upstream.Store(nil)
	e.MustUpload(alice, "acme-brand-new")

	// removing an allowance does not touch projects made under it
	if err := e.Svc.DisallowName(ctx, authtest.CLI, "acme-public"); err != nil {
		t.Fatal(err)
	}
	e.MustUpload(alice, "acme-public")
	if n := e.AuditCount("name.allowed"); n != 2 {
		t.Fatalf("%d name.allowed events, want 2", n)
	}
}

// TestFirstUploadRace: many identities upload the first file of one new
// project at once. Exactly one of them owns it, and every file stored is
// that owner's.
func TestFirstUploadRace(t *testing.T) {
	e := authtest.New(t)
	ctx := context.Background()
	const n = 8
	creds := make([]authtest.Cred, n)
	for i := range creds {
		name := fmt.Sprintf("racer%d", i)
		if err := e.Gate.CreateUser(ctx, authtest.CLI, name, "uploader", authtest.Password(name)); err != nil {
			t.Fatal(err)
		}
		creds[i] = authtest.UserCred(name)
	}
	var wg sync.WaitGroup
	results := make([]authtest.Upload, n)
	for i := range creds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.Upload(creds[i], "zq-contested")
		}()
	}
	wg.Wait()
	owners := e.Owners("zq-contested")
	if len(owners) != 1 {
		t.Fatalf("owners %v, want exactly one", owners)
	}
	winners := 0
	for i, r := range results {
		switch r.Status {
		case http.StatusOK:
			winners++
			if creds[i].User != owners[0] {
				t.Errorf("%s's upload was accepted into %s's project", creds[i].User, owners[0])
			}
		case http.StatusForbidden:
			if row, blobs := e.Stored(r); row || blobs {
				t.Errorf("%s was refused but its file was stored", creds[i].User)
			}
		default:
			t.Errorf("%s: %d %s", creds[i].User, r.Status, r.Body)
		}
	}
	if winners != 1 {
		t.Fatalf("%d uploads accepted, want 1", winners)
	}
	if _, err := e.DB.ClaimHolder(ctx, "local", "zq-contested"); err == nil {
		t.Fatal("a claim outlived the race")
	}
}

// A refused first upload (a broken file) leaves no claim: another identity
// can create the project right after.
func TestRefusedFirstUploadReleasesClaim(t *testing.T) {
	e := authtest.New(t)
	d := testpkg.Dist{Name: "zq-fragile", Version: "1.0"}
	u := e.UploadBytes(authtest.UserCred("alice"), "zq-fragile", "1.0", d.WheelName(), []byte(strings.Repeat("not a zip", 100)), d.Metadata())
	if u.Status != http.StatusBadRequest {
		t.Fatalf("corrupt wheel: %d %s", u.Status, u.Body)
	}
	if err := e.NothingOf("zq-fragile"); err != nil {
		t.Fatal(err)
	}
	if err := e.SpoolEmpty(); err != nil {
		t.Fatal(err)
	}
	e.MustUpload(authtest.UserCred("carol"), "zq-fragile")
	if got := e.Owners("zq-fragile"); !slices.Equal(got, []string{"carol"}) {
		t.Fatalf("owners %v", got)
	}
}

// A project that exists without owners (imported, or orphaned by an
// admin) takes uploads from admins only; the first admin upload owns it.
func TestOrphanedProject(t *testing.T) {
	e := authtest.New(t)
	ctx := context.Background()
	e.MustUpload(authtest.UserCred("alice"), "zq-orphan")
	if err := e.Svc.RemoveOwner(ctx, authtest.CLI, "local", "zq-orphan", "alice", false); err == nil {
		t.Fatal("the last owner was removed without admin authority")
	}
	if err := e.Svc.RemoveOwner(ctx, authtest.CLI, "local", "zq-orphan", "alice", true); err != nil {
		t.Fatal(err)
	}
	u := e.Upload(authtest.UserCred("alice"), "zq-orphan")
	if u.Status != http.StatusForbidden || !strings.Contains(u.Body, "has no owner") {
		t.Fatalf("upload to an orphan: %d %q", u.Status, u.Body)
	}
	e.MustUpload(authtest.UserCred("root"), "zq-orphan")
	if got := e.Owners("zq-orphan"); !slices.Equal(got, []string{"root"}) {
		t.Fatalf("owners %v", got)
	}
}

// A trusted publisher may publish the projects configured for it even
// when accounts own them: an admin wrote that configuration.
func TestTrustedPublisherScope(t *testing.T) {
	e := authtest.New(t)
	e.MustUpload(authtest.UserCred("alice"), "zq-shared")
	status, tok, _ := e.Mint(e.IDToken(nil))
	if status != http.StatusOK {
		t.Fatalf("mint: %d", status)
	}
	ci := authtest.Token(tok)
	e.MustUpload(ci, "zq-shared")
	if got := e.Owners("zq-shared"); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("the publisher's upload changed the owners: %v", got)
	}
	if u := e.Upload(ci, "zq-unlisted"); u.Status != http.StatusForbidden || !strings.Contains(u.Body, "may publish only") {
		t.Fatalf("unlisted project: %d %q", u.Status, u.Body)
	}
}

func TestPrivateIndex(t *testing.T) {
	e := authtest.New(t)
	e.MustUpload(authtest.UserCred("alice"), "zq-secret")
	anon := e.Get(authtest.Anonymous, "/private/simple/zq-secret/")
	if anon.StatusCode != http.StatusUnauthorized || anon.Header.Get("WWW-Authenticate") != `Basic realm="sluice"` {
		t.Fatalf("anonymous read: %d, WWW-Authenticate %q", anon.StatusCode, anon.Header.Get("WWW-Authenticate"))
	}
	if r := e.Get(authtest.Basic("rita", "wrong"), "/private/simple/"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.StatusCode)
	}
	tok, _, err := e.Gate.CreateToken(context.Background(), authtest.CLI, "rita", []string{"elsewhere"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []authtest.Cred{authtest.UserCred("rita"), authtest.UserCred("alice"), authtest.Token(tok), authtest.JobToken("job-acme-ci")} {
		if r := e.Get(c, "/private/simple/zq-secret/"); r.StatusCode != http.StatusOK {
			t.Fatalf("%s reads the private index: %d", c.User, r.StatusCode)
		}
	}
	if r := e.Get(authtest.Anonymous, "/simple/zq-secret/"); r.StatusCode != http.StatusOK {
		t.Fatalf("the public index needs no credentials: %d", r.StatusCode)
	}
	if e.AuditCount("auth.failed") != 1 {
		t.Fatalf("auth.failed events: %d, want 1 (anonymous reads are not failures)", e.AuditCount("auth.failed"))
	}
}

func TestOIDCExchange(t *testing.T) {
	var clock atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(clock.Load())) }
	e := authtest.New(t, authtest.WithClock(now))

	resp := e.Get(authtest.Anonymous, "/_/oidc/audience")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("audience: %d", resp.StatusCode)
	}
	idt := e.IDToken(nil)
	status, tok, out := e.Mint(idt)
	if status != http.StatusOK || !strings.HasPrefix(tok, "sluice_") || out["success"] != true {
		t.Fatalf("mint: %d %v", status, out)
	}
	if exp, _ := out["expires"].(float64); time.Until(time.Unix(int64(exp), 0)) > 15*time.Minute+time.Second {
		t.Fatalf("minted token lives until %v", time.Unix(int64(exp), 0))
	}
	// an ID token is exchanged once
	if status, _, out := e.Mint(idt); status != http.StatusUnauthorized || !strings.Contains(authtest.ErrorOf(out), "already exchanged") {
		t.Fatalf("replay: %d %v", status, out)
	}
	for name, c := range map[string]struct {
		token  string
		status int
		code   string
	}{
		"no payload":     {"", http.StatusBadRequest, "invalid-payload"},
		"not a JWT":      {"abc", http.StatusUnauthorized, "invalid-token"},
		"unknown issuer": {e.IDToken(map[string]any{"iss": "https://elsewhere.example"}), http.StatusForbidden, "untrusted-publisher"},
		"missing claim":  {e.IDToken(map[string]any{"ref": nil}), http.StatusForbidden, "untrusted-publisher"},
		"other project":  {e.IDToken(map[string]any{"project_path": "mallory/app"}), http.StatusForbidden, "untrusted-publisher"},
		"forged":         {idt[:len(idt)-4] + "AAAA", http.StatusUnauthorized, "invalid-token"},
	} {
		status, _, out := e.Mint(c.token)
		errs, _ := out["errors"].([]any)
		if status != c.status || len(errs) != 1 || errs[0].(map[string]any)["code"] != c.code || authtest.ErrorOf(out) == "" {
			t.Errorf("%s: %d %v; want %d %s", name, status, out, c.status, c.code)
		}
	}
	// the minted token uploads for its fifteen minutes, then no more
	ci := authtest.Token(tok)
	e.MustUpload(ci, "zq-new-oidc-valid")
	if got := e.Owners("zq-new-oidc-valid"); !slices.Equal(got, []string{"oidc:ci"}) {
		t.Fatalf("owners %v", got)
	}
	clock.Store(int64(16 * time.Minute))
	if u := e.Upload(ci, "zq-new-oidc-valid"); u.Status != http.StatusUnauthorized || !strings.Contains(u.Body, "expired") {
		t.Fatalf("after expiry: %d %q", u.Status, u.Body)
	}
}

func TestGitLabJobTokens(t *testing.T) {
	e := authtest.New(t)
	job := authtest.JobToken("job-acme-ci")
	for range 3 {
		if r := e.Get(job, "/private/simple/"); r.StatusCode != http.StatusOK {
			t.Fatalf("job token read: %d", r.StatusCode)
		}
	}
	if n := e.GitLabHits.Load(); n != 1 {
		t.Fatalf("GitLab asked %d times for one token, want 1 (cached)", n)
	}
	e.GitLabDown.Store(true)
	u := e.Upload(authtest.JobToken("job-other"), "zq-ci-new")
	if u.Status != http.StatusServiceUnavailable || !strings.Contains(u.Body, "GitLab") {
		t.Fatalf("GitLab down: %d %q", u.Status, u.Body)
	}
	if err := e.NothingOf("zq-ci-new"); err != nil {
		t.Fatal(err)
	}
	e.GitLabDown.Store(false)
	e.MustUpload(authtest.JobToken("job-other"), "zq-ci-new")
	if got := e.Owners("zq-ci-new"); !slices.Equal(got, []string{"gitlab:other/group/tool"}) {
		t.Fatalf("owners %v", got)
	}
}

func TestGitLabProjectAllowlist(t *testing.T) {
	e := authtest.New(t, authtest.WithGitLabProjects("[acme/*]"))
	if u := e.Upload(authtest.JobToken("job-other"), "zq-ci-x"); u.Status != http.StatusForbidden || !strings.Contains(u.Body, "auth.gitlab.projects") {
		t.Fatalf("a project outside the allow list: %d %q", u.Status, u.Body)
	}
	e.MustUpload(authtest.JobToken("job-acme-ci"), "zq-ci-x")
}

// TestTokenAndAccountLifecycle: disabling an account stops its tokens at
// once and its password within the login cache's 30 seconds.
func TestTokenAndAccountLifecycle(t *testing.T) {
	var clock atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(clock.Load())) }
	e := authtest.New(t, authtest.WithClock(now))
	ctx := context.Background()
	tok, rec, err := e.Gate.CreateToken(ctx, authtest.CLI, "alice", []string{"Zq_Scoped"}, 0)
	if err != nil || !slices.Equal(rec.Projects, []string{"zq-scoped"}) {
		t.Fatalf("CreateToken = %+v, %v", rec, err)
	}
	bearer, _ := http.NewRequest(http.MethodGet, e.URL+"/private/simple/", nil)
	bearer.Header.Set("Authorization", "Bearer "+tok)
	if r, err := http.DefaultClient.Do(bearer); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("bearer token: %v %v", r.StatusCode, err)
	}
	if r := e.Get(authtest.UserCred("alice"), "/private/simple/"); r.StatusCode != http.StatusOK {
		t.Fatal("password read")
	}
	if err := e.Gate.SetUserDisabled(ctx, authtest.CLI, "alice", true); err != nil {
		t.Fatal(err)
	}
	if r := e.Get(authtest.Token(tok), "/private/simple/"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a disabled account's token: %d", r.StatusCode)
	}
	clock.Store(int64(31 * time.Second))
	if r := e.Get(authtest.UserCred("alice"), "/private/simple/"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a disabled account's password: %d", r.StatusCode)
	}
	if _, _, err := e.Gate.CreateToken(ctx, authtest.CLI, "alice", nil, 0); err == nil {
		t.Fatal("a token was made for a disabled account")
	}
	if err := e.Gate.SetUserDisabled(ctx, authtest.CLI, "alice", false); err != nil {
		t.Fatal(err)
	}
	if err := e.Gate.SetPassword(ctx, authtest.CLI, "alice", "a-new-password"); err != nil {
		t.Fatal(err)
	}
	clock.Store(int64(62 * time.Second))
	if r := e.Get(authtest.Basic("alice", "a-new-password"), "/private/simple/"); r.StatusCode != http.StatusOK {
		t.Fatalf("new password: %d", r.StatusCode)
	}
	for _, bad := range []struct{ name, role, pw string }{
		{"__token__", "uploader", "long-enough"}, {"a:b", "uploader", "long-enough"}, {"bob", "owner", "long-enough"}, {"bob", "reader", "short"},
	} {
		if err := e.Gate.CreateUser(ctx, authtest.CLI, bad.name, bad.role, bad.pw); err == nil {
			t.Errorf("CreateUser(%q, %q, %q) accepted it", bad.name, bad.role, bad.pw)
		}
	}
}
