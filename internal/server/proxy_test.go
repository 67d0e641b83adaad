package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

// newProxyFixture is newFixture with the proxy's caches: pages in the
// store, files in the file cache, /metrics mounted.
func newProxyFixture(t *testing.T) (*fixture, *repository.FileCache) {
	t.Helper()
	up := newFakeIndex(t)
	cfg, db, bs, dir := testStores(t, `data_dir: %s
repositories:
  pypi: {type: upstream, url: "%s/simple/", timeout: 2s, page_ttl: 1ms, max_stale: 1h}
indexes:
  - {path: /simple/, repository: pypi}
`, up.srv.URL)
	fc := repository.NewFileCache(bs, db, repository.FileCacheConfig{MaxSize: 1 << 30, TmpDir: dir})
	t.Cleanup(fc.Wait)
	g, err := repository.Build(cfg, repository.Deps{Meta: db, Extracted: db, Blobs: bs, TmpDir: dir, Pages: db, Files: fc})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: cfg, Graph: g, Ready: map[string]Pinger{"database": db, "storage": bs}, Metrics: fc})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, up: up}, fc
}

// With the upstream down, the last page is served flagged, cached files
// are served, /readyz stays green.
func TestOutageServesStalePagesAndCachedFiles(t *testing.T) {
	fx, fc := newProxyFixture(t)
	d := testpkg.Dist{Name: "beta", Version: "2.0"}
	whl := fx.up.add("beta", d)
	path := "/simple/beta/" + d.WheelName()
	if r := fx.get(t, path); r.status != 200 || !bytes.Equal(r.body, whl) {
		t.Fatalf("warm-up download: %d", r.status)
	}
	fc.Wait()
	if r := fx.get(t, "/simple/beta/"); r.header.Get("X-Sluice-Stale") != "" {
		t.Fatal("a fresh page is flagged stale")
	}
	fx.up.mu.Lock()
	fx.up.status = http.StatusServiceUnavailable
	fx.up.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	r := fx.get(t, "/simple/beta/")
	if r.status != 200 || !strings.Contains(r.header.Get("X-Sluice-Stale"), "unreachable") || !bytes.Contains(r.body, []byte(d.WheelName())) {
		t.Fatalf("page during the outage: %d, X-Sluice-Stale %q", r.status, r.header.Get("X-Sluice-Stale"))
	}
	if r := fx.get(t, path); r.status != 200 || !bytes.Equal(r.body, whl) {
		t.Fatalf("cached file during the outage: %d", r.status)
	}
	if r := fx.get(t, "/readyz"); r.status != 200 {
		t.Fatalf("/readyz during an upstream outage: %d", r.status)
	}
	// a project never seen is still the upstream's error
	if r := fx.get(t, "/simple/unknown/"); r.status != http.StatusBadGateway {
		t.Fatalf("unknown project during the outage: %d", r.status)
	}
	m := fx.get(t, "/metrics")
	if !bytes.Contains(m.body, []byte("sluice_cache_hits_total 1\n")) || !bytes.Contains(m.body, []byte("sluice_cache_upstream_fetches_total 1\n")) {
		t.Fatalf("metrics:\n%s", m.body)
	}
}

// Through the file cache, a file whose bytes do not match the page's
// sha256 is never served complete: a 502 when it is found out before the
// response starts, a broken connection after.
func TestCachedHashMismatchIsNeverServedComplete(t *testing.T) {
	fx, fc := newProxyFixture(t)
	small := testpkg.Dist{Name: "gamma", Version: "1.0"}
	// incompressible, so that the wheel is larger than what a response
	// waits for before it starts
	var payload strings.Builder
	sum := sha256.Sum256([]byte("seed"))
	for payload.Len() < 2<<20 {
		sum = sha256.Sum256(sum[:])
		payload.WriteString(hex.EncodeToString(sum[:]))
	}
	big := testpkg.Dist{Name: "gamma", Version: "2.0", Payload: "# " + payload.String() + "\n"}
	fx.up.add("gamma", small)
	fx.up.add("gamma", big)
	fx.up.corrupt[small.WheelName()] = true
	fx.up.corrupt[big.WheelName()] = true
	if r := fx.get(t, "/simple/gamma/"+small.WheelName()); r.status != http.StatusBadGateway || !bytes.Contains(r.body, []byte("sha256")) {
		t.Fatalf("small mismatching file: %d %q", r.status, r.body)
	}
	resp, err := http.Get(fx.srv.URL + "/simple/gamma/" + big.WheelName())
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Logf("big mismatching file: status %d, %d bytes, then %v", resp.StatusCode, n, err)
		if err == nil && resp.StatusCode == http.StatusOK {
			t.Fatal("a big file whose bytes do not match the page's hash was served as complete")
		}
	}
	fc.Wait()
	if m := fx.get(t, "/metrics"); !bytes.Contains(m.body, []byte("sluice_cache_fill_errors_total 2\n")) || !bytes.Contains(m.body, []byte("sluice_cache_files 0\n")) {
		t.Fatalf("metrics:\n%s", m.body)
	}
}
