// Package authtest builds a complete publishing stack for tests: a real
// SQLite database and blob store; the upload API, the admin API, private
// indexes and trusted publishing over real HTTP; and stand-ins for the
// outside world only: a GitLab answering /api/v4/job, an OIDC issuer
// signing ID tokens with a test RSA key, and the public index the name
// guard asks.
package authtest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/sluice-pkg/sluice/internal/admin"
	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/auth"
	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/server"
	"github.com/sluice-pkg/sluice/internal/store"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

// issuerKey is the test issuer's signing key, made once: RSA key
// generation is slow.
var issuerKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// Public is what the stand-in for the public index has.
var Public = map[string]bool{"acme-public": true, "requests": true}

// CLI is the operator actor of changes made directly in tests.
var CLI = audit.Actor{Name: "cli:test", Kind: "cli", Remote: "local"}

// Env is the stack. Its accounts are root (admin), alice and carol
// (uploaders) and rita (reader), with the passwords Password gives. The
// trusted publisher "ci" accepts ID tokens of the test issuer for project
// acme/app on refs/heads/main and publishes zq-own-oidc-valid,
// zq-new-oidc-valid and zq-shared. The GitLab knows the job tokens
// job-acme-ci (project acme/ci) and job-other (other/group/tool).
type Env struct {
	T      testing.TB
	Dir    string
	DB     *store.DB
	Blobs  blob.Store
	Gate   *auth.Gate
	Svc    *admin.Service
	URL    string // Sluice
	Issuer string // the OIDC issuer
	GitLab string
	Logs   *SyncBuffer // the JSON log

	GitLabHits atomic.Int64          // requests GitLab answered
	GitLabDown atomic.Bool           // GitLab answers 502
	Upstream   atomic.Pointer[error] // the public index's failure, if any
	seq        atomic.Int64
}

// Option changes the stack's configuration.
type Option func(*options)

type options struct {
	gitlabProjects string
	groups         string
	now            func() time.Time
}

// WithGitLabProjects sets auth.gitlab.projects (a YAML list).
func WithGitLabProjects(list string) Option { return func(o *options) { o.gitlabProjects = list } }

// WithGroups puts a groups node with these groups (a YAML list) in front of
// the hosted repository, for the /simple/ index and its uploads.
func WithGroups(list string) Option { return func(o *options) { o.groups = list } }

// WithClock sets the Gate's clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New builds and starts the stack; it stops with the test.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	e := &Env{T: t, Dir: t.TempDir(), Logs: &SyncBuffer{}}
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(e.Dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.DB = db
	if e.Blobs, err = blob.NewFS(filepath.Join(e.Dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.Dir, "tmp"), 0o750); err != nil {
		t.Fatal(err)
	}

	gl := httptest.NewServer(http.HandlerFunc(e.serveGitLab))
	t.Cleanup(gl.Close)
	e.GitLab = gl.URL

	op := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: issuerKey().Public(), KeyID: "k1", Algorithm: oidc.RS256}}}
	is := httptest.NewServer(op)
	t.Cleanup(is.Close)
	op.SetIssuer(is.URL)
	e.Issuer = is.URL

	cfg, err := config.Parse([]byte(fmt.Sprintf(`data_dir: %s
repositories:
  local: {type: hosted}
  main: {type: groups, hosted: [local], groups: %s}
indexes:
  - {path: /simple/, repository: main, upload: local}
  - {path: /private/simple/, repository: local, private: true}
auth:
  gitlab: {url: %q, projects: %s}
  trusted_publishers:
    - name: ci
      issuer: %q
      claims: {project_path: acme/app, ref: refs/heads/main}
      projects: [zq-own-oidc-valid, zq-new-oidc-valid, zq-shared]
`, e.Dir, cmp.Or(o.groups, "[]"), gl.URL, cmp.Or(o.gitlabProjects, "[]"), is.URL)), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	locks := new(blob.Locks)
	graph, err := repository.Build(cfg, repository.Deps{Meta: db, Blobs: e.Blobs, TmpDir: filepath.Join(e.Dir, "tmp"), BlobLocks: locks})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.Logs, nil))
	rec := audit.New(db, log)
	e.Gate, err = auth.New(auth.Options{DB: db, Auth: cfg.Auth, Audit: rec, Logger: log, Now: o.now,
		PublicExists: func(ctx context.Context, name string) (bool, error) {
			if err := e.Upstream.Load(); err != nil {
				return false, *err
			}
			return Public[name], nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	hosted, _ := graph.Hosted("local")
	e.Svc = &admin.Service{DB: db, Blobs: e.Blobs, BlobLocks: locks, Gate: e.Gate, Audit: rec,
		Hosted: func(name string) (*repository.Hosted, error) {
			if name != "" && name != "local" {
				return nil, fmt.Errorf("repository %q is not a hosted repository", name)
			}
			return hosted, nil
		}}
	// wired as `sluice serve` wires it
	srv, err := server.New(server.Options{Config: cfg, Graph: graph, Gate: e.Gate, Logger: log,
		ReadAuth: e.Gate.AuthenticateRead, Admin: admin.NewHandler(e.Svc, log), OIDC: e.Gate.OIDCHandler()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e.URL = hs.URL

	for name, role := range map[string]string{"root": auth.RoleAdmin, "alice": auth.RoleUploader, "carol": auth.RoleUploader, "rita": auth.RoleReader} {
		if err := e.Gate.CreateUser(ctx, CLI, name, role, Password(name)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// Password is the password of a test account.
func Password(user string) string { return "pw-" + user + "-secret" }

// serveGitLab answers GET /api/v4/job for two running jobs.
func (e *Env) serveGitLab(w http.ResponseWriter, r *http.Request) {
	e.GitLabHits.Add(1)
	if e.GitLabDown.Load() {
		http.Error(w, "maintenance", http.StatusBadGateway)
		return
	}
	if r.URL.Path != "/api/v4/job" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	paths := map[string]string{"job-acme-ci": "acme/ci", "job-other": "other/group/tool"}
	path, ok := paths[r.Header.Get("JOB-TOKEN")]
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"401 Unauthorized"}`)
		return
	}
	fmt.Fprintf(w, `{"id": 7, "status": "running", "name": "publish", "ref": "main",
		"pipeline": {"id": 3, "project_id": 42, "ref": "main", "status": "running"},
		"web_url": "http://%s/%s/-/jobs/7", "user": {"username": "dev"}}`, r.Host, path)
}

// IDToken signs an ID token of the test issuer: by default one the
// trusted publisher "ci" accepts, with a fresh jti; claims override the
// defaults, or remove them when nil.
func (e *Env) IDToken(claims map[string]any) string {
	now := time.Now()
	c := map[string]any{
		"iss": e.Issuer, "aud": "sluice", "sub": "project_path:acme/app:ref_type:branch:ref:main",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"project_path": "acme/app", "ref": "refs/heads/main", "ref_protected": "true",
		"jti": fmt.Sprintf("jti-%d", e.seq.Add(1)),
	}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	b, _ := json.Marshal(c)
	return oidctest.SignIDToken(issuerKey(), "k1", oidc.RS256, string(b))
}

// Mint exchanges an ID token at /_/oidc/mint-token; it returns the status,
// the minted token ("" if none) and the whole answer.
func (e *Env) Mint(idToken string) (int, string, map[string]any) {
	e.T.Helper()
	body, _ := json.Marshal(map[string]string{"token": idToken})
	resp, err := http.Post(e.URL+"/_/oidc/mint-token", "application/json", bytes.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	tok, _ := out["token"].(string)
	return resp.StatusCode, tok, out
}

// Cred is a set of HTTP Basic credentials; the zero Cred is anonymous.
type Cred struct{ User, Pass string }

// UserCred is a test account's credentials.
func UserCred(name string) Cred { return Cred{name, Password(name)} }

func (c Cred) apply(r *http.Request) {
	if c.User != "" || c.Pass != "" {
		r.SetBasicAuth(c.User, c.Pass)
	}
}

// Upload is the outcome of one twine-like upload.
type Upload struct {
	Status   int
	Body     string
	Filename string
	SHA256   string // of the file
	MetaSHA  string // of its METADATA
}

// Upload uploads a fresh wheel (a new version) of project.
func (e *Env) Upload(c Cred, project string) Upload {
	e.T.Helper()
	d := testpkg.Dist{Name: project, Version: fmt.Sprintf("1.0.%d", e.seq.Add(1))}
	return e.UploadBytes(c, project, d.Version, d.WheelName(), d.Wheel(), d.Metadata())
}

// UploadBytes uploads data as filename, as twine sends it.
func (e *Env) UploadBytes(c Cred, project, version, filename string, data, metadata []byte) Upload {
	e.T.Helper()
	sum := sha256.Sum256(data)
	msum := sha256.Sum256(metadata)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{":action": "file_upload", "protocol_version": "1", "name": project,
		"version": version, "filetype": "bdist_wheel", "pyversion": "py3", "metadata_version": "2.1",
		"sha256_digest": hex.EncodeToString(sum[:])} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("content", filename)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/legacy/", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	c.apply(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Upload{resp.StatusCode, strings.TrimSpace(string(b)), filename, hex.EncodeToString(sum[:]), hex.EncodeToString(msum[:])}
}

// MustUpload uploads and fails the test unless the upload is accepted.
func (e *Env) MustUpload(c Cred, project string) Upload {
	e.T.Helper()
	u := e.Upload(c, project)
	if u.Status != http.StatusOK {
		e.T.Fatalf("upload of %s as %s: %d %s", project, c.User, u.Status, u.Body)
	}
	return u
}

// API calls the admin API, with body encoded as JSON unless nil. It fails
// the test unless the answer is JSON, refusals carry {"error": ...} and a
// 401 carries WWW-Authenticate.
func (e *Env) API(c Cred, method, path string, body any) (int, map[string]any) {
	e.T.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.URL+path, rd)
	c.apply(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		e.T.Fatalf("%s %s: the answer (%d) is not JSON: %v", method, path, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK && ErrorOf(out) == "" {
		e.T.Fatalf("%s %s: %d without an error message: %v", method, path, resp.StatusCode, out)
	}
	if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
		e.T.Fatalf("%s %s: 401 without WWW-Authenticate", method, path)
	}
	return resp.StatusCode, out
}

// ErrorOf is the "error" of a JSON answer.
func ErrorOf(out map[string]any) string {
	s, _ := out["error"].(string)
	return s
}

// Get reads a path of the server; the body is discarded.
func (e *Env) Get(c Cred, path string) *http.Response {
	e.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
	c.apply(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Stored reports whether an upload's file row, and any of its blobs, exist.
func (e *Env) Stored(u Upload) (row, blobs bool) {
	ctx := context.Background()
	_, err := e.DB.FileByName(ctx, "local", u.Filename)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.T.Fatal(err)
	}
	_, berr := e.Blobs.Stat(ctx, u.SHA256)
	_, merr := e.Blobs.Stat(ctx, u.MetaSHA)
	return err == nil, berr == nil || merr == nil
}

// NothingOf returns an error if anything exists of a project: a file, the
// project's row, an owner or a claim.
func (e *Env) NothingOf(project string) error {
	ctx := context.Background()
	files, _ := e.DB.ProjectFiles(ctx, "local", project)
	exists, _ := e.DB.ProjectExists(ctx, "local", project)
	owners, _ := e.DB.Owners(ctx, "local", project)
	_, claimErr := e.DB.ClaimHolder(ctx, "local", project)
	if len(files) > 0 || exists || len(owners) > 0 || !errors.Is(claimErr, store.ErrNotFound) {
		return fmt.Errorf("%s left traces: %d files, project row %v, owners %v, claim %v", project, len(files), exists, owners, claimErr)
	}
	return nil
}

// SpoolEmpty returns an error if an upload left a temporary file behind.
func (e *Env) SpoolEmpty() error {
	entries, _ := os.ReadDir(filepath.Join(e.Dir, "tmp"))
	if len(entries) > 0 {
		return fmt.Errorf("%d temporary files left in the spool directory", len(entries))
	}
	return nil
}

// Owners lists a project's owners.
func (e *Env) Owners(project string) []string {
	owners, err := e.DB.Owners(context.Background(), "local", project)
	if err != nil {
		e.T.Fatal(err)
	}
	var out []string
	for _, o := range owners {
		out = append(out, o.Principal)
	}
	return out
}

// AuditCount counts the audit events of a kind.
func (e *Env) AuditCount(event string) int {
	events, err := e.DB.AuditEvents(context.Background(), "", 100000)
	if err != nil {
		e.T.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Event == event {
			n++
		}
	}
	return n
}

// SyncBuffer collects log output from concurrent handlers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Anonymous sends no credentials.
var Anonymous = Cred{}

// Basic is a user name and password.
func Basic(user, pass string) Cred { return Cred{User: user, Pass: pass} }

// Token is an API token, sent as twine sends it.
func Token(token string) Cred { return Cred{User: auth.TokenUser, Pass: token} }

// JobToken is a GitLab CI job token, sent as GitLab CI sends it.
func JobToken(token string) Cred { return Cred{User: auth.GitLabUser, Pass: token} }
