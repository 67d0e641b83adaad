package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/store"
)

// CacheIndex is what the file cache records in the metadata store: which
// blobs are cached upstream files, and when each was last used.
type CacheIndex interface {
	PutCachedFile(ctx context.Context, digest string, size int64) error
	TouchCachedFile(ctx context.Context, digest string) error
	CachedFilesSize(ctx context.Context) (count int, total int64, err error)
	CachedFilesLRU(ctx context.Context) ([]store.CachedFile, error)
	DeleteCachedFile(ctx context.Context, digest string) error
	// BlobInUse reports whether a hosted file references the blob: such a
	// blob is never evicted.
	BlobInUse(ctx context.Context, digest string) (bool, error)
}

// tempAdopter is the optional fast path of a blob store on the local
// filesystem (blob.FS): the cache fills a file in the store's own temporary
// directory and moves it into place when it is complete and verified, so a
// gigabyte wheel is written once, not twice.
type tempAdopter interface {
	CreateTemp(pattern string) (*os.File, error)
	Adopt(ctx context.Context, path, digest string) (blob.Info, error)
}

// staleTempRemover removes what a crash left in the blob store's temporary
// directory (blob.FS).
type staleTempRemover interface {
	RemoveStaleTemp(pattern string, age time.Duration) (int, error)
}

// FileCacheConfig configures a FileCache.
type FileCacheConfig struct {
	// MaxSize bounds the total size of cached files; the least recently
	// used are evicted in the background past it. 0 means no limit.
	MaxSize int64
	// TmpDir holds fills when the blob store cannot adopt files.
	TmpDir string
}

// FileCache keeps upstream files in the blob store under the sha256 their
// upstream page promised.
//
// The first request for an uncached file starts one download (a "fill")
// into a temporary file; that request and every concurrent one for the same
// file read behind the writer, so the first bytes reach clients at once and
// the upstream sees a single GET however many clients ask. The fill runs
// detached from the requests: a client hanging up does not abort it. Clients
// never get the last byte before the whole file hashed to the promised
// digest, and the file enters the blob store only then, so a partial or
// wrong copy is never served as complete nor kept.
type FileCache struct {
	blobs blob.Store
	index CacheIndex
	cfg   FileCacheConfig

	mu    sync.Mutex
	fills map[string]*fill // by digest

	evicting sync.Mutex    // one eviction pass at a time
	touching chan struct{} // bounds background access records
	bg       sync.WaitGroup

	hits, misses, fetches, fillErrors, fillBytes, evictions, evictedBytes atomic.Int64
}

// NewFileCache returns a cache over blobs, recording entries in index.
func NewFileCache(blobs blob.Store, index CacheIndex, cfg FileCacheConfig) *FileCache {
	return &FileCache{blobs: blobs, index: index, cfg: cfg, fills: map[string]*fill{}, touching: make(chan struct{}, 4)}
}

// cacheFetch says how to download one uncached file.
type cacheFetch struct {
	digest string
	size   int64 // -1 when the page does not say
	// open starts a sequential download from the first byte; size is the
	// length the response announced, or -1.
	open func(ctx context.Context) (body io.ReadCloser, size int64, err error)
	// fail wraps the fill's own errors (a short or wrong download) so that
	// they name the source, as the source's errors do.
	fail func(error) error
}

// fill is one download in progress.
type fill struct {
	digest string
	file   *os.File // readers ReadAt it while the filler appends
	path   string

	mu      sync.Mutex
	cond    *sync.Cond
	size    int64 // -1 until known
	sized   bool  // size is final (known, or known to be unknown)
	written int64
	done    bool
	err     error
	refs    int // the filler and each reader hold the file open
}

// published is how far readers may read. Until the content is verified the
// last byte is held back, so that no client sees a complete download of
// bytes that might not match the digest.
func (f *fill) published() int64 {
	if f.done && f.err == nil {
		return f.written
	}
	return max(f.written-1, 0)
}

func (f *fill) release() {
	f.mu.Lock()
	f.refs--
	last := f.refs == 0
	f.mu.Unlock()
	if last {
		f.file.Close()
	}
}

// readAt reads what the filler has published at off, waiting for it.
func (f *fill) readAt(ctx context.Context, p []byte, off int64) (int, error) {
	f.mu.Lock()
	for !f.done && f.published() <= off {
		if err := ctx.Err(); err != nil {
			f.mu.Unlock()
			return 0, err
		}
		f.cond.Wait()
	}
	avail := f.published() - off
	err := f.err
	f.mu.Unlock()
	if avail <= 0 {
		if err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	n, rerr := f.file.ReadAt(p[:min(int64(len(p)), avail)], off)
	if n > 0 {
		return n, nil
	}
	if rerr == nil || rerr == io.EOF {
		rerr = io.ErrUnexpectedEOF
	}
	return 0, rerr
}

// waitStart waits until the fill has published its first chunk, or ended,
// and returns the file's size (-1 if the upstream does not say). Files up to
// a chunk (sdists, small wheels) are thus verified before the response
// starts, and a mismatch is a clean 502.
func (f *fill) waitStart(ctx context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.done && f.published() < fillChunk {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		f.cond.Wait()
	}
	if f.err != nil {
		return 0, f.err
	}
	return f.size, nil
}

// resource serves a file from the cache, or from a fill of it. For a miss
// it returns once the fill has published its first bytes (or failed), so
// that an upstream that refuses or times out is an error the server can
// still answer with 502.
func (c *FileCache) resource(ctx context.Context, fetch cacheFetch, modTime time.Time) (*Resource, error) {
	if obj, err := c.blobs.Open(ctx, fetch.digest); err == nil {
		c.hits.Add(1)
		c.touch(fetch.digest)
		return &Resource{Body: obj, Size: obj.Info().Size, ModTime: modTime, SHA256: fetch.digest}, nil
	} else if !errors.Is(err, blob.ErrNotFound) {
		return nil, err
	}
	f, obj, err := c.join(ctx, fetch)
	if err != nil {
		return nil, err
	}
	if obj != nil {
		return &Resource{Body: obj, Size: obj.Info().Size, ModTime: modTime, SHA256: fetch.digest}, nil
	}
	r := &cacheReader{ctx: ctx, f: f}
	r.stop = context.AfterFunc(ctx, func() {
		// a reader waiting for bytes wakes up when its client goes away
		f.mu.Lock()
		f.cond.Broadcast()
		f.mu.Unlock()
	})
	size, err := f.waitStart(ctx)
	if err != nil {
		r.Close()
		return nil, err
	}
	r.size = size
	return &Resource{Body: r, Size: size, ModTime: modTime, SHA256: fetch.digest}, nil
}

// touch records an access in the background: a download must not wait for
// the database's write lock (an import may hold it). When a few touches are
// already pending this one is dropped; the eviction order is approximate
// anyway (one write a minute per file).
func (c *FileCache) touch(digest string) {
	select {
	case c.touching <- struct{}{}:
	default:
		return
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		defer func() { <-c.touching }()
		c.index.TouchCachedFile(context.Background(), digest) // best effort
	}()
}

// join attaches the reader to the fill of its file, starting one if there
// is none. It finds the blob instead when a fill completed meanwhile.
func (c *FileCache) join(ctx context.Context, fetch cacheFetch) (*fill, blob.Object, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.misses.Add(1)
	if f, ok := c.fills[fetch.digest]; ok {
		f.mu.Lock()
		f.refs++
		f.mu.Unlock()
		return f, nil, nil
	}
	// A fill that completed since resource() looked has left the map and
	// its blob is in the store.
	if obj, err := c.blobs.Open(ctx, fetch.digest); err == nil {
		return nil, obj, nil
	}
	var file *os.File
	var err error
	if a, ok := c.blobs.(tempAdopter); ok {
		file, err = a.CreateTemp("fill-*")
	} else {
		file, err = os.CreateTemp(c.cfg.TmpDir, "fill-*")
	}
	if err != nil {
		return nil, nil, err
	}
	f := &fill{digest: fetch.digest, file: file, path: file.Name(), size: fetch.size, sized: fetch.size >= 0, refs: 2}
	f.cond = sync.NewCond(&f.mu)
	c.fills[fetch.digest] = f
	c.fetches.Add(1)
	c.bg.Add(1)
	go c.run(f, fetch)
	return f, nil, nil
}

// fillChunk is the size of the fill's reads and writes. The fill has no
// overall deadline: the source's idle timeout ends a stalled download.
const fillChunk = 256 << 10

// run downloads one file into its fill, on a context of its own: the
// clients that asked may all hang up, the cache still gets the file.
func (c *FileCache) run(f *fill, fetch cacheFetch) {
	defer c.bg.Done()
	defer f.release()
	err := c.download(f, fetch)
	var de *digestError
	if errors.As(err, &de) || errors.Is(err, errShortFill) {
		err = fetch.fail(err)
	}
	if err == nil {
		err = c.commit(f)
	}
	c.mu.Lock()
	delete(c.fills, f.digest)
	c.mu.Unlock()
	if err != nil {
		c.fillErrors.Add(1)
		os.Remove(f.path) // readers keep their open descriptor
	}
	f.mu.Lock()
	f.done, f.err, f.sized = true, err, true
	f.cond.Broadcast()
	f.mu.Unlock()
	if err == nil {
		c.evictSoon()
	}
}

func (c *FileCache) download(f *fill, fetch cacheFetch) error {
	body, size, err := fetch.open(context.Background())
	if err != nil {
		return err
	}
	defer body.Close()
	f.mu.Lock()
	if !f.sized {
		f.size, f.sized = size, true
		f.cond.Broadcast()
	}
	want := f.size
	f.mu.Unlock()
	h := sha256.New()
	buf := make([]byte, fillChunk)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := f.file.Write(buf[:n]); err != nil {
				return fmt.Errorf("file cache: %w", err)
			}
			h.Write(buf[:n])
			c.fillBytes.Add(int64(n))
			f.mu.Lock()
			f.written += int64(n)
			f.cond.Broadcast()
			f.mu.Unlock()
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	f.mu.Lock()
	written := f.written
	f.mu.Unlock()
	if want >= 0 && written != want {
		return fmt.Errorf("%w: %d bytes of a %d-byte file", errShortFill, written, want)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != fetch.digest {
		return &digestError{got: got, want: fetch.digest}
	}
	return nil
}

// errShortFill: the download ended early or ran long.
var errShortFill = errors.New("the download's length is not the file's")

// digestError: the upstream's bytes do not hash to what its page promised.
type digestError struct{ got, want string }

func (e *digestError) Error() string {
	return fmt.Sprintf("file sha256 is %s, the page promised %s", e.got, e.want)
}

// commit moves a verified fill into the blob store and records it.
func (c *FileCache) commit(f *fill) error {
	ctx := context.Background()
	if err := f.file.Sync(); err != nil {
		return fmt.Errorf("file cache: %w", err)
	}
	var info blob.Info
	var err error
	if a, ok := c.blobs.(tempAdopter); ok {
		info, err = a.Adopt(ctx, f.path, f.digest)
	} else {
		info, err = c.blobs.Put(ctx, io.NewSectionReader(f.file, 0, f.written), f.digest)
		os.Remove(f.path)
	}
	if err != nil {
		return err
	}
	return c.index.PutCachedFile(ctx, info.Digest, info.Size)
}

// evictSoon starts an eviction pass in the background if the cache is over
// its limit and no pass is running.
func (c *FileCache) evictSoon() {
	if c.cfg.MaxSize <= 0 || !c.evicting.TryLock() {
		return
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		defer c.evicting.Unlock()
		c.prune(context.Background(), c.cfg.MaxSize)
	}()
}

// Wait waits for background fills and evictions (tests, shutdown).
func (c *FileCache) Wait() { c.bg.Wait() }

// PruneResult says what a prune did.
type PruneResult struct {
	Evicted, EvictedBytes int64
	Files                 int   // cached files left
	Size                  int64 // their total size
}

// Prune evicts least-recently-used files until the cache holds at most
// maxSize bytes. Blobs a hosted file references are never deleted; they
// stop counting as cache.
func (c *FileCache) Prune(ctx context.Context, maxSize int64) (PruneResult, error) {
	c.evicting.Lock()
	defer c.evicting.Unlock()
	return c.prune(ctx, maxSize)
}

func (c *FileCache) prune(ctx context.Context, maxSize int64) (PruneResult, error) {
	var res PruneResult
	if r, ok := c.blobs.(staleTempRemover); ok {
		// a fill in progress writes at least every idle timeout; a day-old
		// fill file is a crash's leftover
		r.RemoveStaleTemp("fill-*", 24*time.Hour)
	}
	n, total, err := c.index.CachedFilesSize(ctx)
	if err != nil || total <= maxSize {
		res.Files, res.Size = n, total
		return res, err
	}
	lru, err := c.index.CachedFilesLRU(ctx)
	if err != nil {
		return res, err
	}
	for _, cf := range lru {
		if total <= maxSize {
			break
		}
		inUse, err := c.index.BlobInUse(ctx, cf.SHA256)
		if err != nil {
			return res, err
		}
		if !inUse {
			if err := c.blobs.Delete(ctx, cf.SHA256); err != nil {
				return res, err
			}
			res.Evicted++
			res.EvictedBytes += cf.Size
			c.evictions.Add(1)
			c.evictedBytes.Add(cf.Size)
		}
		if err := c.index.DeleteCachedFile(ctx, cf.SHA256); err != nil {
			return res, err
		}
		total -= cf.Size
		n--
	}
	res.Files, res.Size = n, total
	return res, nil
}

// ServeHTTP writes the cache's figures in the Prometheus text format.
func (c *FileCache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	metric := func(name, typ, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	metric("sluice_cache_hits_total", "counter", "Upstream file requests served from the cache.", c.hits.Load())
	metric("sluice_cache_misses_total", "counter", "Upstream file requests that read behind a download.", c.misses.Load())
	metric("sluice_cache_upstream_fetches_total", "counter", "Upstream file downloads started (misses share them).", c.fetches.Load())
	metric("sluice_cache_fill_errors_total", "counter", "Downloads that failed or did not match their sha256.", c.fillErrors.Load())
	metric("sluice_cache_fill_bytes_total", "counter", "Bytes downloaded from upstreams into the cache.", c.fillBytes.Load())
	metric("sluice_cache_evictions_total", "counter", "Files evicted (least recently used first).", c.evictions.Load())
	metric("sluice_cache_evicted_bytes_total", "counter", "Bytes evicted.", c.evictedBytes.Load())
	if n, total, err := c.index.CachedFilesSize(r.Context()); err == nil {
		metric("sluice_cache_files", "gauge", "Files in the cache.", int64(n))
		metric("sluice_cache_size_bytes", "gauge", "Total size of the files in the cache.", total)
	}
	metric("sluice_cache_max_size_bytes", "gauge", "The configured limit (0: none).", c.cfg.MaxSize)
}

// cacheReader is the body of a file being filled: it reads behind the
// writer.
type cacheReader struct {
	ctx    context.Context
	f      *fill
	size   int64
	off    int64
	stop   func() bool
	closed bool
}

func (r *cacheReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	n, err := r.f.readAt(r.ctx, p, r.off)
	r.off += int64(n)
	return n, err
}

func (r *cacheReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := seekTarget(r.off, offset, whence, func() (int64, error) {
		if r.size < 0 {
			return 0, errUnknownSize
		}
		return r.size, nil
	})
	if err != nil {
		return 0, err
	}
	r.off = pos
	return pos, nil
}

// ReadAt reads behind the writer, waiting for the bytes.
func (r *cacheReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.f.readAt(r.ctx, p[n:], off+int64(n))
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (r *cacheReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.stop()
	r.f.release()
	return nil
}
