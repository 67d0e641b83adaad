package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/store"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

// fakeIndex stands in for the public index: JSON project pages whose file
// URLs point at its own /files/, with range support and a request log.
type fakeIndex struct {
	mu       sync.Mutex
	files    map[string][]byte   // file name -> content
	projects map[string][]string // project -> file names
	corrupt  map[string]bool     // files whose advertised hash is wrong
	log      []string            // "METHOD path range"
	status   int                 // when non-zero, every request gets it
	srv      *httptest.Server
}

func newFakeIndex(t *testing.T) *fakeIndex {
	f := &fakeIndex{files: map[string][]byte{}, projects: map[string][]string{}, corrupt: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIndex) add(project string, d testpkg.Dist) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	whl := d.Wheel()
	f.files[d.WheelName()] = whl
	f.projects[project] = append(f.projects[project], d.WheelName())
	return whl
}

func (f *fakeIndex) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeIndex) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.log = append(f.log, r.Method+" "+r.URL.Path+" "+r.Header.Get("Range"))
	status := f.status
	f.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, "/files/"); ok {
		f.mu.Lock()
		data, ok := f.files[name]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
		return
	}
	project := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	names, ok := f.projects[project]
	if !ok {
		http.NotFound(w, r)
		return
	}
	type file struct {
		Filename string            `json:"filename"`
		URL      string            `json:"url"`
		Hashes   map[string]string `json:"hashes"`
		Size     int               `json:"size"`
	}
	page := struct {
		Meta  map[string]string `json:"meta"`
		Name  string            `json:"name"`
		Files []file            `json:"files"`
	}{Meta: map[string]string{"api-version": "1.1"}, Name: project}
	for _, n := range names {
		sum := sha256.Sum256(f.files[n])
		h := hex.EncodeToString(sum[:])
		if f.corrupt[n] {
			h = strings.Repeat("0", 64)
		}
		page.Files = append(page.Files, file{n, "../../files/" + n, map[string]string{"sha256": h}, len(f.files[n])})
	}
	w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
	json.NewEncoder(w).Encode(page)
}

type fixture struct {
	srv    *httptest.Server
	up     *fakeIndex
	hosted *repository.Hosted
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	up := newFakeIndex(t)
	cfg, db, bs, _ := testStores(t, `data_dir: %s
repositories:
  local: {type: hosted}
  pypi: {type: upstream, url: "%s/simple/", timeout: 2s}
  main: {type: priority, sources: [local, pypi]}
indexes:
  - {path: /simple/, repository: main, upload: local}
  - {path: /public/simple/, repository: pypi}
`, up.srv.URL)
	g, err := repository.Build(cfg, repository.Deps{Meta: db, Extracted: db, Blobs: bs, TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: cfg, Graph: g, Ready: map[string]Pinger{"database": db, "storage": bs}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	h, _ := g.Hosted("local")
	return &fixture{srv: srv, up: up, hosted: h}
}

func (fx *fixture) publish(t *testing.T, d testpkg.Dist) []byte {
	t.Helper()
	whl := d.Wheel()
	if _, err := fx.hosted.Publish(context.Background(), repository.Upload{Filename: d.WheelName(), Content: bytes.NewReader(whl)}); err != nil {
		t.Fatal(err)
	}
	return whl
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (fx *fixture) get(t *testing.T, path string, hdr ...string) resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fx.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header, body}
}

var closedRange = regexp.MustCompile(`bytes=\d+-\d+$`)

func hexsum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The attack another index fell for: a file URL with a non-normalised
// project name made it fetch the public file of an in-house name. Here the
// name is canonicalised first and the file must be on the index's own
// effective page, so the upstream's file is never even requested.
func TestShadowedUpstreamFileIsUnreachable(t *testing.T) {
	fx := newFixture(t)
	fx.publish(t, testpkg.Dist{Name: "acme-internal-utils", Version: "1.0"})
	evil := testpkg.Dist{Name: "acme-internal-utils", Version: "99.0.0", Payload: "steal()"}
	fx.up.add("acme-internal-utils", evil)
	file := evil.WheelName()
	for _, path := range []string{
		"/simple/acme-internal-utils/" + file,
		"/simple/acme-internal-utils/" + file + ".metadata",
		"/simple/Acme_Internal_Utils/" + file,
		"/simple/acme_internal_utils/" + file,
		"/simple/ACME-INTERNAL-UTILS/" + file,
		"/simple/acme-internal-utils/..%2F..%2Ffiles%2F" + file,
		"/simple/acme-internal-utils/%2E%2E/" + file,
	} {
		r := fx.get(t, path)
		if r.status == http.StatusMovedPermanently {
			loc := r.header.Get("Location")
			if !strings.HasPrefix(loc, "/simple/acme-internal-utils/") {
				t.Fatalf("%s redirects to %q", path, loc)
			}
			r = fx.get(t, loc)
		}
		if r.status == http.StatusOK || bytes.Contains(r.body, []byte("steal()")) {
			t.Fatalf("%s served the upstream's shadowed file (status %d)", path, r.status)
		}
	}
	for _, line := range fx.up.requests() {
		if strings.Contains(line, "/files/") {
			t.Fatalf("the upstream was asked for a shadowed file: %q", line)
		}
	}
	// and the page shows only the hosted file
	r := fx.get(t, "/simple/acme-internal-utils/", "Accept", "application/vnd.pypi.simple.v1+json")
	if r.status != 200 || bytes.Contains(r.body, []byte("99.0.0")) || !bytes.Contains(r.body, []byte("1.0")) {
		t.Fatalf("page: %d %s", r.status, r.body)
	}
}

func TestProjectPagesAndNegotiation(t *testing.T) {
	fx := newFixture(t)
	fx.up.add("alpha-lib", testpkg.Dist{Name: "alpha_lib", Version: "1.0"})
	cases := []struct {
		accept, wantType string
		status           int
	}{
		{"", "text/html; charset=utf-8", 200},
		{"*/*", "text/html; charset=utf-8", 200},
		{"application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.v1+json", 200},
		{"application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.v1+html", 200},
		{"application/vnd.pypi.simple.latest+json", "application/vnd.pypi.simple.v1+json", 200},
		{"application/json", "", 406},
	}
	for _, tc := range cases {
		r := fx.get(t, "/simple/alpha-lib/", "Accept", tc.accept)
		if r.status != tc.status || (tc.wantType != "" && r.header.Get("Content-Type") != tc.wantType) {
			t.Errorf("Accept %q: %d %q", tc.accept, r.status, r.header.Get("Content-Type"))
		}
		if !strings.Contains(r.header.Get("Vary"), "Accept") {
			t.Errorf("Accept %q: no Vary: Accept", tc.accept)
		}
	}
	// JSON: file URLs are ours, hashes are the upstream's
	r := fx.get(t, "/simple/alpha-lib/", "Accept", "application/vnd.pypi.simple.v1+json")
	var page struct {
		Files []struct {
			URL    string            `json:"url"`
			Hashes map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Files) != 1 {
		t.Fatalf("JSON page: %v %s", err, r.body)
	}
	if !strings.HasPrefix(page.Files[0].URL, "/simple/alpha-lib/") || strings.Contains(page.Files[0].URL, fx.up.srv.URL) {
		t.Fatalf("file URL %q is not the server's own", page.Files[0].URL)
	}
	// conditional GET of a page
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a project page")
	}
	if r := fx.get(t, "/simple/alpha-lib/", "Accept", "application/vnd.pypi.simple.v1+json", "If-None-Match", etag); r.status != 304 {
		t.Fatalf("If-None-Match: %d", r.status)
	}
	// redirects to the normalised name and the trailing slash
	for path, want := range map[string]string{"/simple/Alpha_Lib/": "/simple/alpha-lib/", "/simple/alpha-lib": "/simple/alpha-lib/", "/simple/ALPHA.lib": "/simple/alpha-lib/", "/simple": "/simple/"} {
		if r := fx.get(t, path); r.status != 301 || r.header.Get("Location") != want {
			t.Errorf("%s: %d Location %q, want 301 to %s", path, r.status, r.header.Get("Location"), want)
		}
	}
	if r := fx.get(t, "/simple/no-such-project/"); r.status != 404 || len(r.body) == 0 {
		t.Fatalf("unknown project: %d %q", r.status, r.body)
	}
	if r := fx.get(t, "/simple/-bad-/"); r.status != 404 {
		t.Fatalf("invalid name: %d", r.status)
	}
}

func TestUpstreamFileStreamingAndRanges(t *testing.T) {
	fx := newFixture(t)
	d := testpkg.Dist{Name: "beta", Version: "2.0", Payload: strings.Repeat("x = 1\n", 20000)}
	whl := fx.up.add("beta", d)
	path := "/simple/beta/" + d.WheelName()
	r := fx.get(t, path)
	if r.status != 200 || !bytes.Equal(r.body, whl) {
		t.Fatalf("download: %d, %d bytes, want %d", r.status, len(r.body), len(whl))
	}
	if r.header.Get("ETag") != `"`+hexsum(whl)+`"` {
		t.Fatalf("ETag %q", r.header.Get("ETag"))
	}
	r = fx.get(t, path, "Range", "bytes=10-29")
	if r.status != 206 || !bytes.Equal(r.body, whl[10:30]) {
		t.Fatalf("range: %d %q", r.status, r.body)
	}
	r = fx.get(t, path, "If-None-Match", `"`+hexsum(whl)+`"`)
	if r.status != 304 {
		t.Fatalf("conditional download: %d", r.status)
	}
	// the whole download was one upstream GET, the range one ranged GET
	// (closed ranges "bytes=a-b" are the metadata extraction's reads)
	var gets []string
	for _, line := range fx.up.requests() {
		if strings.HasPrefix(line, "GET /files/") && !closedRange.MatchString(line) {
			gets = append(gets, line)
		}
	}
	if len(gets) != 2 || !strings.HasSuffix(gets[1], "bytes=10-") {
		t.Fatalf("upstream file requests: %q", gets)
	}
	// the public index serves the same upstream
	if r := fx.get(t, "/public/simple/beta/"+d.WheelName()); r.status != 200 || !bytes.Equal(r.body, whl) {
		t.Fatalf("second index: %d", r.status)
	}
}

func TestUpstreamHashMismatchBreaksTheDownload(t *testing.T) {
	fx := newFixture(t)
	d := testpkg.Dist{Name: "gamma", Version: "1.0"}
	fx.up.add("gamma", d)
	fx.up.corrupt[d.WheelName()] = true
	req, _ := http.NewRequest(http.MethodGet, fx.srv.URL+"/simple/gamma/"+d.WheelName(), nil)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		return // connection aborted: fine
	}
	defer r.Body.Close()
	_, err = io.ReadAll(r.Body)
	if err == nil && r.StatusCode == 200 {
		t.Fatal("a file whose bytes do not match the page's hash was served as complete")
	}
}

func TestUpstreamFailureIs502(t *testing.T) {
	fx := newFixture(t)
	fx.up.status = http.StatusServiceUnavailable
	r := fx.get(t, "/simple/anything/")
	if r.status != http.StatusBadGateway || !bytes.Contains(r.body, []byte("upstream")) {
		t.Fatalf("upstream 503: %d %q", r.status, r.body)
	}
	fx.up.srv.Close()
	r = fx.get(t, "/simple/other/")
	if r.status != http.StatusBadGateway {
		t.Fatalf("upstream down: %d %q", r.status, r.body)
	}
	// a hosted project is still served while the upstream is down
	fx.publish(t, testpkg.Dist{Name: "inhouse", Version: "1.0"})
	if r := fx.get(t, "/simple/inhouse/"); r.status != 200 {
		t.Fatalf("hosted project with upstream down: %d", r.status)
	}
}

func TestHostedFileConditionalAndRange(t *testing.T) {
	fx := newFixture(t)
	d := testpkg.Dist{Name: "delta", Version: "1.0"}
	whl := fx.publish(t, d)
	path := "/simple/delta/" + d.WheelName()
	r := fx.get(t, path)
	if r.status != 200 || !bytes.Equal(r.body, whl) || r.header.Get("Last-Modified") == "" || r.header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("download: %d %v", r.status, r.header)
	}
	if r := fx.get(t, path, "Range", "bytes=-5"); r.status != 206 || !bytes.Equal(r.body, whl[len(whl)-5:]) {
		t.Fatalf("suffix range: %d", r.status)
	}
	if r := fx.get(t, path, "If-None-Match", `"`+hexsum(whl)+`"`); r.status != 304 {
		t.Fatalf("If-None-Match: %d", r.status)
	}
	m := fx.get(t, path+".metadata")
	if m.status != 200 || !bytes.Equal(m.body, d.Metadata()) {
		t.Fatalf("metadata: %d %q", m.status, m.body)
	}
	if r := fx.get(t, "/simple/delta/delta-9.9-py3-none-any.whl"); r.status != 404 {
		t.Fatalf("unlisted file: %d", r.status)
	}
}

func TestHealth(t *testing.T) {
	fx := newFixture(t)
	if r := fx.get(t, "/healthz"); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := fx.get(t, "/readyz"); r.status != 200 {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
}

// Wheels the upstream offers no metadata for get it from Sluice: extracted
// once, advertised with its hash, served byte-identical to the METADATA.
func TestExtractedMetadata(t *testing.T) {
	fx := newFixture(t)
	d := testpkg.Dist{Name: "epsilon", Version: "1.0", Requires: []string{"alpha-lib>=1"}}
	fx.up.add("epsilon", d)
	var page struct {
		Files []struct {
			Filename     string            `json:"filename"`
			CoreMetadata map[string]string `json:"core-metadata"`
		} `json:"files"`
	}
	for range 2 {
		r := fx.get(t, "/simple/epsilon/", "Accept", "application/vnd.pypi.simple.v1+json")
		if err := json.Unmarshal(r.body, &page); err != nil || len(page.Files) != 1 {
			t.Fatalf("page: %v %s", err, r.body)
		}
		if got := page.Files[0].CoreMetadata["sha256"]; got != hexsum(d.Metadata()) {
			t.Fatalf("advertised metadata hash %q, want %q", got, hexsum(d.Metadata()))
		}
	}
	m := fx.get(t, "/simple/epsilon/"+d.WheelName()+".metadata")
	if m.status != 200 || !bytes.Equal(m.body, d.Metadata()) {
		t.Fatalf("metadata: %d %q", m.status, m.body)
	}
	n := 0
	for _, line := range fx.up.requests() {
		if strings.HasPrefix(line, "GET /files/") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d upstream file requests for two pages and one .metadata, want 1 (extracted once)", n)
	}
}

// The render cache must never serve the bytes of an older page: a new
// upload changes the hosted page, and the next request shows it.
func TestRenderCacheFollowsChanges(t *testing.T) {
	fx := newFixture(t)
	fx.publish(t, testpkg.Dist{Name: "zeta", Version: "1.0"})
	first := fx.get(t, "/simple/zeta/", "Accept", "application/vnd.pypi.simple.v1+json")
	again := fx.get(t, "/simple/zeta/", "Accept", "application/vnd.pypi.simple.v1+json")
	if !bytes.Equal(first.body, again.body) || first.header.Get("ETag") != again.header.Get("ETag") {
		t.Fatal("the same page rendered differently")
	}
	fx.publish(t, testpkg.Dist{Name: "zeta", Version: "2.0"})
	after := fx.get(t, "/simple/zeta/", "Accept", "application/vnd.pypi.simple.v1+json")
	if !bytes.Contains(after.body, []byte("zeta-2.0-py3-none-any.whl")) || after.header.Get("ETag") == first.header.Get("ETag") {
		t.Fatalf("after a new upload the page is stale: %s", after.body)
	}
	html := fx.get(t, "/simple/zeta/", "Accept", "text/html")
	if !bytes.Contains(html.body, []byte("zeta-2.0")) || html.header.Get("ETag") == after.header.Get("ETag") {
		t.Fatal("formats share a cache entry")
	}
}

func TestRequestMetrics(t *testing.T) {
	fx := newFixture(t)
	d := testpkg.Dist{Name: "metered", Version: "1.0"}
	fx.publish(t, d)
	fx.get(t, "/simple/metered/")
	fx.get(t, "/simple/metered/")
	fx.get(t, "/simple/metered/"+d.WheelName())
	fx.get(t, "/simple/metered/"+d.WheelName()+".metadata")
	fx.get(t, "/simple/nothing-here/")
	fx.get(t, "/simple/Metered/")
	r := fx.get(t, "/metrics")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %q", r.status, r.header.Get("Content-Type"))
	}
	for _, want := range []string{
		`sluice_http_requests_total{kind="page",code="2xx"} 2`,
		`sluice_http_requests_total{kind="page",code="4xx"} 1`,
		`sluice_http_requests_total{kind="page",code="3xx"} 1`,
		`sluice_http_requests_total{kind="file",code="2xx"} 1`,
		`sluice_http_requests_total{kind="metadata",code="2xx"} 1`,
		`sluice_http_request_duration_seconds_count{kind="page"} 4`,
	} {
		if !strings.Contains(string(r.body), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// testStores parses a configuration (yaml gets the data directory for its
// %s) and opens its SQLite store and blob store, closed with the test.
func testStores(t *testing.T, yaml string, args ...any) (*config.Config, *store.DB, *blob.FS, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(yaml, append([]any{dir}, args...)...)), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, db, bs, dir
}
