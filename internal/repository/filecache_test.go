package repository

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/store"
)

// fakeIndex is an upstream serving one project, "demo", in PEP 691 JSON,
// with switches for the failures the proxy must survive.
type fakeIndex struct {
	mu    sync.Mutex
	files map[string][]byte // file name -> content
	// promised overrides the sha256 the page announces for a file.
	promised map[string]string
	gets     map[string]int // path -> GET count
	// down makes every answer a 503; gate, when set, holds a file's
	// second half until closed; cut ends file bodies halfway.
	down bool
	gate chan struct{}
	cut  bool
	etag string
	cond int // conditional requests answered 304
}

func newFakeIndex() *fakeIndex {
	return &fakeIndex{files: map[string][]byte{}, promised: map[string]string{}, gets: map[string]int{}, etag: `"v1"`}
}

func (fi *fakeIndex) count(path string) int {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.gets[path]
}

func (fi *fakeIndex) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fi.mu.Lock()
	fi.gets[r.URL.Path]++
	down, gate, cut, etag := fi.down, fi.gate, fi.cut, fi.etag
	fi.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	switch {
	case r.URL.Path == "/simple/":
		if r.Header.Get("If-None-Match") == etag {
			fi.mu.Lock()
			fi.cond++
			fi.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		io.WriteString(w, `<html><body><a href="demo/">demo</a><a href="Other_Name/">Other_Name</a></body></html>`)
	case r.URL.Path == "/simple/demo/":
		if r.Header.Get("If-None-Match") == etag {
			fi.mu.Lock()
			fi.cond++
			fi.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		type file struct {
			Filename string            `json:"filename"`
			URL      string            `json:"url"`
			Hashes   map[string]string `json:"hashes"`
			Size     int64             `json:"size"`
		}
		var files []file
		fi.mu.Lock()
		for name, data := range fi.files {
			sha := hexOf(string(data))
			if p, ok := fi.promised[name]; ok {
				sha = p
			}
			files = append(files, file{name, "/files/" + name, map[string]string{"sha256": sha}, int64(len(data))})
		}
		fi.mu.Unlock()
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		w.Header().Set("ETag", etag)
		json.NewEncoder(w).Encode(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": "demo", "files": files})
	case strings.HasPrefix(r.URL.Path, "/files/"):
		fi.mu.Lock()
		data, ok := fi.files[strings.TrimPrefix(r.URL.Path, "/files/")]
		fi.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		half := len(data) / 2
		w.Write(data[:half])
		w.(http.Flusher).Flush()
		if cut {
			panic(http.ErrAbortHandler)
		}
		if gate != nil {
			<-gate
		}
		w.Write(data[half:])
	default:
		http.NotFound(w, r)
	}
}

type cacheFixture struct {
	fi    *fakeIndex
	u     *Upstream
	db    *store.DB
	blobs *blob.FS
	fc    *FileCache
	dir   string
}

func newCacheFixture(t *testing.T, maxSize int64) *cacheFixture {
	t.Helper()
	dir := t.TempDir()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	fx := &cacheFixture{fi: newFakeIndex(), db: db, blobs: bs, dir: dir}
	fx.fc = NewFileCache(bs, db, FileCacheConfig{MaxSize: maxSize, TmpDir: dir})
	t.Cleanup(fx.fc.Wait)
	fx.u, _ = newTestUpstream(t, fx.fi, UpstreamConfig{PageTTL: time.Hour})
	fx.u.UseCaches(db, fx.fc)
	return fx
}

func (fx *cacheFixture) get(ctx context.Context, name string) ([]byte, error) {
	res, err := fx.u.Resource(ctx, "demo", name)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

// tmpFiles lists what is left in the blob store's temporary directory.
func (fx *cacheFixture) tmpFiles(t *testing.T) []string {
	entries, err := os.ReadDir(filepath.Join(fx.dir, "blobs", "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

// Fifty clients asking at once for an uncached file cause one upstream
// download; all get the right bytes, and the first bytes arrive while the
// download is still running.
func TestFileCacheCoalesces(t *testing.T) {
	fx := newCacheFixture(t, 0)
	data := payload(3<<20, 1)
	name := "demo-1.0-py3-none-any.whl"
	fx.fi.files[name] = data
	fx.fi.gate = make(chan struct{})
	ctx := context.Background()

	// the first client sees bytes before the upstream sent the second half
	res, err := fx.u.Resource(ctx, "demo", name)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1024)
	if _, err := io.ReadFull(res.Body, first); err != nil {
		t.Fatal(err)
	}
	const clients = 50
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients - 1 {
		wg.Go(func() {
			got, err := fx.get(ctx, name)
			if err == nil && !bytes.Equal(got, data) {
				err = errors.New("wrong bytes")
			}
			errs <- err
		})
	}
	time.Sleep(100 * time.Millisecond)
	close(fx.fi.gate)
	rest, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || !bytes.Equal(append(first, rest...), data) {
		t.Fatalf("first client: err %v, right bytes %v", err, bytes.Equal(append(first, rest...), data))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := fx.fi.count("/files/" + name); n != 1 {
		t.Fatalf("%d upstream GETs for %d clients, want 1", n, clients)
	}
	fx.fc.Wait()
	if _, err := fx.blobs.Stat(ctx, hexOf(string(data))); err != nil {
		t.Fatalf("not cached: %v", err)
	}
	// now a hit: no further upstream request
	if got, err := fx.get(ctx, name); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("hit: %v", err)
	}
	if n := fx.fi.count("/files/" + name); n != 1 {
		t.Fatalf("a cache hit went upstream (%d GETs)", n)
	}
	// (a slow client may come after the fill: a hit, not a second fetch)
	if fx.fc.hits.Load() < 1 || fx.fc.fetches.Load() != 1 || fx.fc.hits.Load()+fx.fc.misses.Load() != clients+1 {
		t.Fatalf("hits %d, fetches %d", fx.fc.hits.Load(), fx.fc.fetches.Load())
	}
	if left := fx.tmpFiles(t); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// Bytes that do not hash to the promised sha256 are not served as a
// complete file, not kept, and the error names the upstream.
func TestFileCacheDigestMismatch(t *testing.T) {
	fx := newCacheFixture(t, 0)
	ctx := context.Background()
	small, big := "demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl"
	fx.fi.files[small] = []byte("tampered")
	fx.fi.promised[small] = hexOf("original")
	fx.fi.files[big] = payload(1<<20, 2)
	fx.fi.promised[big] = hexOf("original")

	// small: the whole file is in before the first byte is released, so
	// the request itself fails (the server answers 502)
	_, err := fx.u.Resource(ctx, "demo", small)
	var ue *UpstreamError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("err = %v, want an UpstreamError about the sha256", err)
	}
	// big: the stream breaks before its last byte
	got, err := fx.get(ctx, big)
	if !errors.As(err, &ue) || len(got) >= 1<<20 {
		t.Fatalf("read %d of %d bytes, err %v: a wrong file must not arrive whole", len(got), 1<<20, err)
	}
	fx.fc.Wait()
	for _, d := range []string{hexOf("original"), hexOf("tampered"), hexOf(string(payload(1<<20, 2)))} {
		if _, err := fx.blobs.Stat(ctx, d); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("blob %s kept after a mismatch", d)
		}
	}
	if n, _, _ := fx.db.CachedFilesSize(ctx); n != 0 {
		t.Fatalf("%d cache rows after mismatches", n)
	}
	if left := fx.tmpFiles(t); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// nothing poisoned: the next request tries the upstream again
	fx.get(ctx, small)
	if n := fx.fi.count("/files/" + small); n != 2 {
		t.Fatalf("%d GETs, want 2", n)
	}
}

// A client hanging up does not abort the download: the file is cached.
func TestFileCacheHangUpKeepsFilling(t *testing.T) {
	fx := newCacheFixture(t, 0)
	data := payload(2<<20, 3)
	name := "demo-1.0-py3-none-any.whl"
	fx.fi.files[name] = data
	fx.fi.gate = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	res, err := fx.u.Resource(ctx, "demo", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.Body.Read(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	cancel()
	res.Body.Close()
	close(fx.fi.gate)
	fx.fc.Wait()
	got, err := fx.blobs.Open(context.Background(), hexOf(string(data)))
	if err != nil {
		t.Fatalf("the fill was aborted by the client: %v", err)
	}
	got.Close()
}

// A download that breaks leaves nothing visible: no blob, no row, no
// temporary file, and the reader gets an error, not a short "complete" file.
func TestFileCachePartialNeverVisible(t *testing.T) {
	fx := newCacheFixture(t, 0)
	data := payload(1<<20, 4)
	name := "demo-1.0-py3-none-any.whl"
	fx.fi.files[name] = data
	fx.fi.cut = true
	ctx := context.Background()
	got, err := fx.get(ctx, name)
	if err == nil {
		t.Fatalf("read %d bytes without an error from a broken download", len(got))
	}
	fx.fc.Wait()
	if _, err := fx.blobs.Stat(ctx, hexOf(string(data))); !errors.Is(err, blob.ErrNotFound) {
		t.Fatal("a partial download became a blob")
	}
	if n, _, _ := fx.db.CachedFilesSize(ctx); n != 0 {
		t.Fatal("a partial download was recorded")
	}
	if left := fx.tmpFiles(t); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if fx.fc.fillErrors.Load() != 1 {
		t.Fatalf("fill errors = %d", fx.fc.fillErrors.Load())
	}
}

// inUseIndex marks one digest as referenced by a hosted file.
type inUseIndex struct {
	*store.DB
	hosted string
}

func (x inUseIndex) BlobInUse(ctx context.Context, digest string) (bool, error) {
	return digest == x.hosted, nil
}

// Past the limit the least recently used files go, never one a hosted file
// references.
func TestFileCacheEvictsLeastRecentlyUsed(t *testing.T) {
	fx := newCacheFixture(t, 0)
	ctx := context.Background()
	names := []string{"demo-1.0-py3-none-any.whl", "demo-2.0-py3-none-any.whl", "demo-3.0-py3-none-any.whl", "demo-4.0-py3-none-any.whl"}
	for i, n := range names {
		fx.fi.files[n] = payload(100<<10, byte(10+i))
	}
	for _, n := range names {
		if _, err := fx.get(ctx, n); err != nil {
			t.Fatal(err)
		}
		fx.fc.Wait()
		time.Sleep(2 * time.Millisecond)
	}
	// file 0 is referenced by a hosted file; file 1 is used again now
	digest := func(i int) string { return hexOf(string(fx.fi.files[names[i]])) }
	back := time.Now().Add(-time.Hour).UnixMicro()
	// TouchCachedFile writes at most once a minute: age the rows first
	for i := range names {
		if err := fx.db.PutCachedFile(ctx, digest(i), 100<<10); err != nil {
			t.Fatal(err)
		}
	}
	agedDB(t, fx, back, digest(0), digest(1), digest(2), digest(3))
	if _, err := fx.get(ctx, names[1]); err != nil {
		t.Fatal(err)
	}
	fx.fc.Wait() // the access is recorded in the background
	fc := NewFileCache(fx.blobs, inUseIndex{fx.db, digest(0)}, FileCacheConfig{MaxSize: 200 << 10})
	res, err := fc.Prune(ctx, 200<<10)
	if err != nil {
		t.Fatal(err)
	}
	// 0 leaves the cache's books (hosted) but stays; 2 is evicted; 1 (just used) and 3 stay
	for i, want := range []bool{true, true, false, true} {
		_, err := fx.blobs.Stat(ctx, digest(i))
		if (err == nil) != want {
			t.Errorf("file %d present = %v, want %v", i, err == nil, want)
		}
	}
	if res.Evicted != 1 || res.Size != 200<<10 || res.Files != 2 {
		t.Fatalf("prune = %+v", res)
	}
}

// agedDB sets the last access of rows to at.
func agedDB(t *testing.T, fx *cacheFixture, at int64, digests ...string) {
	t.Helper()
	for i, d := range digests {
		if err := fx.db.SetCachedFileAccess(context.Background(), d, at+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// The background eviction runs after a fill that crosses the limit.
func TestFileCacheEvictsInBackground(t *testing.T) {
	fx := newCacheFixture(t, 150<<10)
	ctx := context.Background()
	a, b := "demo-1.0-py3-none-any.whl", "demo-2.0-py3-none-any.whl"
	fx.fi.files[a] = payload(100<<10, 20)
	fx.fi.files[b] = payload(100<<10, 21)
	fx.get(ctx, a)
	fx.fc.Wait()
	agedDB(t, fx, time.Now().Add(-time.Hour).UnixMicro(), hexOf(string(fx.fi.files[a])))
	fx.get(ctx, b)
	fx.fc.Wait()
	if _, err := fx.blobs.Stat(ctx, hexOf(string(fx.fi.files[a]))); !errors.Is(err, blob.ErrNotFound) {
		t.Fatal("the older file was not evicted")
	}
	if _, err := fx.blobs.Stat(ctx, hexOf(string(fx.fi.files[b]))); err != nil {
		t.Fatal("the newer file was evicted")
	}
	var m strings.Builder
	rec := &metricsRecorder{header: http.Header{}, w: &m}
	fx.fc.ServeHTTP(rec, httptestRequest())
	if !strings.Contains(m.String(), "sluice_cache_evictions_total 1\n") {
		t.Fatalf("metrics:\n%s", m.String())
	}
}

type metricsRecorder struct {
	header http.Header
	w      io.Writer
}

func (r *metricsRecorder) Header() http.Header         { return r.header }
func (r *metricsRecorder) Write(p []byte) (int, error) { return r.w.Write(p) }
func (r *metricsRecorder) WriteHeader(int)             {}

func httptestRequest() *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	return r
}

// When the upstream fails, the last known page and every cached file are
// served, the page flagged; past max_stale the error comes back.
func TestUpstreamOutageServesStale(t *testing.T) {
	fx := newCacheFixture(t, 0)
	ctx := context.Background()
	name := "demo-1.0-py3-none-any.whl"
	fx.fi.files[name] = payload(10<<10, 30)
	fx.u.cfg.PageTTL = time.Millisecond
	fx.u.cfg.MaxStale = time.Hour
	if _, err := fx.get(ctx, name); err != nil {
		t.Fatal(err)
	}
	fx.fc.Wait()
	fx.fi.mu.Lock()
	fx.fi.down = true
	fx.fi.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	page, err := fx.u.Project(ctx, "demo")
	if err != nil {
		t.Fatalf("outage: %v", err)
	}
	if page.Stale != StaleUnreachable || page.Find(name) == nil {
		t.Fatalf("page = %+v, want the last page flagged stale", page)
	}
	if got, err := fx.get(ctx, name); err != nil || !bytes.Equal(got, fx.fi.files[name]) {
		t.Fatalf("cached file during the outage: %v", err)
	}
	// a restarted server knows the page from the store
	u2, _ := newTestUpstream(t, fx.fi, UpstreamConfig{URL: fx.u.base.String(), PageTTL: time.Millisecond, MaxStale: time.Hour})
	u2.UseCaches(fx.db, fx.fc)
	if page, err := u2.Project(ctx, "demo"); err != nil || page.Stale == "" {
		t.Fatalf("after a restart: %v, %+v", err, page)
	}
	// the upstream comes back: the flag goes
	fx.fi.mu.Lock()
	fx.fi.down = false
	fx.fi.mu.Unlock()
	u2.mu.Lock()
	for _, el := range u2.pages {
		el.Value.(*pageEntry).checked = time.Time{}
	}
	u2.mu.Unlock()
	if page, err := u2.Project(ctx, "demo"); err != nil || page.Stale != "" {
		t.Fatalf("after recovery: %v, stale %q", err, page.Stale)
	}
	// past max_stale: the upstream's error
	fx.fi.mu.Lock()
	fx.fi.down = true
	fx.fi.mu.Unlock()
	u3, _ := newTestUpstream(t, fx.fi, UpstreamConfig{URL: fx.u.base.String(), PageTTL: time.Millisecond, MaxStale: time.Millisecond})
	u3.UseCaches(fx.db, fx.fc)
	time.Sleep(5 * time.Millisecond)
	var ue *UpstreamError
	if _, err := u3.Project(ctx, "demo"); !errors.As(err, &ue) {
		t.Fatalf("past max_stale: err = %v, want the upstream's error", err)
	}
}

// Pages survive restarts and are revalidated with the upstream's ETag.
func TestUpstreamPagesPersistAndRevalidate(t *testing.T) {
	fx := newCacheFixture(t, 0)
	ctx := context.Background()
	fx.fi.files["demo-1.0.tar.gz"] = []byte("sdist")
	if _, err := fx.u.Project(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	// fresh in the store: a restarted node asks nobody
	u2, _ := newTestUpstream(t, fx.fi, UpstreamConfig{URL: fx.u.base.String(), PageTTL: time.Hour})
	u2.UseCaches(fx.db, fx.fc)
	if page, err := u2.Project(ctx, "demo"); err != nil || page.Find("demo-1.0.tar.gz") == nil {
		t.Fatalf("from the store: %v", err)
	}
	if n := fx.fi.count("/simple/demo/"); n != 1 {
		t.Fatalf("%d page requests, want 1", n)
	}
	// stale in the store: one conditional request, answered 304
	u3, _ := newTestUpstream(t, fx.fi, UpstreamConfig{URL: fx.u.base.String(), PageTTL: time.Millisecond})
	u3.UseCaches(fx.db, fx.fc)
	time.Sleep(5 * time.Millisecond)
	if page, err := u3.Project(ctx, "demo"); err != nil || page.Find("demo-1.0.tar.gz") == nil {
		t.Fatalf("revalidated: %v", err)
	}
	if fx.fi.cond != 1 {
		t.Fatalf("%d conditional 304s, want 1", fx.fi.cond)
	}
	sp, err := fx.db.UpstreamPage(ctx, "pypi", "demo")
	if err != nil || time.Since(sp.ValidatedAt) > time.Second {
		t.Fatalf("revalidation not recorded: %v %v", err, sp.ValidatedAt)
	}
}

// The root listing is kept in the blob store, revalidated, and served
// during an outage.
func TestUpstreamListingPersists(t *testing.T) {
	fx := newCacheFixture(t, 0)
	ctx := context.Background()
	want := []string{"demo", "other-name"}
	if names, err := fx.u.Projects(ctx); err != nil || !slices.Equal(names, want) {
		t.Fatalf("Projects = %v, %v", names, err)
	}
	sp, err := fx.db.UpstreamPage(ctx, "pypi", "")
	if err != nil || sp.BodyBlob == "" || len(sp.Body) != 0 {
		t.Fatalf("stored listing: %+v, %v", sp, err)
	}
	u2, _ := newTestUpstream(t, fx.fi, UpstreamConfig{URL: fx.u.base.String(), ListTTL: time.Millisecond, MaxStale: time.Hour})
	u2.UseCaches(fx.db, fx.fc)
	time.Sleep(5 * time.Millisecond)
	if names, err := u2.Projects(ctx); err != nil || !slices.Equal(names, want) || fx.fi.cond != 1 {
		t.Fatalf("revalidated: %v, %v, %d 304s", names, err, fx.fi.cond)
	}
	fx.fi.mu.Lock()
	fx.fi.down = true
	fx.fi.mu.Unlock()
	u3, _ := newTestUpstream(t, fx.fi, UpstreamConfig{URL: fx.u.base.String(), ListTTL: time.Millisecond, MaxStale: time.Hour})
	u3.UseCaches(fx.db, fx.fc)
	time.Sleep(5 * time.Millisecond)
	if names, err := u3.Projects(ctx); err != nil || !slices.Equal(names, want) {
		t.Fatalf("during an outage: %v, %v", names, err)
	}
}
