package repository

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/simple"
	"github.com/sluice-pkg/sluice/internal/store"
)

// UpstreamConfig is the configuration of an upstream node.
type UpstreamConfig struct {
	// URL is the remote simple index root, e.g. https://pypi.org/simple/.
	URL string `yaml:"url"`
	// Username and Password authenticate to a private upstream (HTTP
	// Basic). Use ${ENV} references in the file to keep them out of it.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Timeout bounds connecting and waiting for response headers, and
	// each pause while a body streams. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// PageTTL is how long a fetched page is reused before it is fetched
	// again. Default 60s.
	PageTTL time.Duration `yaml:"page_ttl"`
	// ListTTL is the same for the root listing. Default 10m.
	ListTTL time.Duration `yaml:"list_ttl"`
	// MaxStale is how long after the upstream last confirmed a page it is
	// still served when the upstream is unreachable. Default 168h (7 days).
	MaxStale time.Duration `yaml:"max_stale"`
	// ExtractMetadata (default true) serves PEP 658 metadata for wheels
	// the upstream offers none for, read from the wheel itself.
	ExtractMetadata *bool `yaml:"extract_metadata"`
	// Metadata tunes that extraction.
	Metadata MetadataConfig `yaml:"metadata"`
}

// Limits on what an upstream may send us.
const (
	maxPageBytes     = 256 << 20 // the largest public project pages are tens of MiB
	maxListBytes     = 512 << 20 // the public root listing is ~40 MiB of HTML
	maxMetadataBytes = 16 << 20
	pageCacheEntries = 4096
)

// Upstream is a remote simple index (PEP 503 HTML or PEP 691 JSON).
type Upstream struct {
	name   string
	base   *url.URL
	cfg    UpstreamConfig
	client *http.Client

	// stored keeps pages across restarts and for outages; files caches
	// files. Either may be nil.
	stored PageStore
	files  *FileCache

	flight singleflight.Group
	mu     sync.Mutex
	pages  map[string]*list.Element // of *pageEntry
	lru    *list.List
	root   *listEntry
}

// PageStore keeps the last page each upstream answered, with its
// validators.
type PageStore interface {
	UpstreamPage(ctx context.Context, upstream, name string) (store.UpstreamPage, error)
	PutUpstreamPage(ctx context.Context, p store.UpstreamPage) error
	RevalidateUpstreamPage(ctx context.Context, upstream, name string, at time.Time) error
}

type pageEntry struct {
	name string
	page *simple.Project // as served (Stale set during an outage); nil: the upstream said 404
	// checked is when the entry was last checked; it is reused without a
	// request until checked+ttl.
	checked time.Time
	ttl     time.Duration
	// validated is when the upstream last confirmed the content: the
	// staleness an outage is measured by.
	validated          time.Time
	etag, lastModified string
}

type listEntry struct {
	names              []string
	checked            time.Time
	ttl                time.Duration
	validated          time.Time
	etag, lastModified string
}

// staleRetry is how long a page served stale is reused before the upstream
// is tried again: an unreachable upstream must not cost every request a
// timeout.
const staleRetry = 15 * time.Second

// StaleUnreachable is what a page served during an outage says (the server
// puts it in the X-Sluice-Stale header).
const StaleUnreachable = "upstream unreachable"

// NewUpstream returns an upstream node called name.
func NewUpstream(name string, cfg UpstreamConfig) (*Upstream, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q must be an http:// or https:// URL", cfg.URL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.PageTTL <= 0 {
		cfg.PageTTL = 60 * time.Second
	}
	if cfg.ListTTL <= 0 {
		cfg.ListTTL = 10 * time.Minute
	}
	if cfg.MaxStale <= 0 {
		cfg.MaxStale = 7 * 24 * time.Hour
	}
	return &Upstream{
		name:   name,
		base:   u,
		cfg:    cfg,
		client: newHTTPClient(cfg.Timeout),
		pages:  map[string]*list.Element{},
		lru:    list.New(),
	}, nil
}

// UseCaches makes the node keep its pages in pages (across restarts,
// revalidated with the upstream's validators, served during outages) and its
// files in files. Either may be nil. Call it before the node serves.
func (u *Upstream) UseCaches(pages PageStore, files *FileCache) {
	u.stored, u.files = pages, files
}

// newHTTPClient returns a client that reuses connections, speaks HTTP/2,
// honours the standard proxy variables and never waits forever.
func newHTTPClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: tr}
}

func (u *Upstream) fail(rawURL string, err error) error {
	return &UpstreamError{Upstream: u.name, URL: rawURL, Err: err}
}

func (u *Upstream) newRequest(ctx context.Context, method, rawURL, accept string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "sluice")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if u.cfg.Username != "" || u.cfg.Password != "" {
		// only to the upstream's own host: file hosts elsewhere get none
		if req.URL.Host == u.base.Host {
			req.SetBasicAuth(u.cfg.Username, u.cfg.Password)
		}
	}
	return req, nil
}

const pageAccept = simple.TypeJSON + ", " + simple.TypeHTMLv1 + ";q=0.2, " + simple.TypeHTML + ";q=0.1"

// get fetches a page, retrying twice on a transport error or a 5xx. The
// validators in cond (may be nil) make it conditional.
func (u *Upstream) get(ctx context.Context, rawURL string, cond http.Header) (*http.Response, error) {
	var lastErr error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 250 * time.Millisecond):
			}
		}
		req, err := u.newRequest(ctx, http.MethodGet, rawURL, pageAccept)
		if err != nil {
			return nil, err
		}
		for k, v := range cond {
			req.Header[k] = v
		}
		resp, err := u.client.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		if resp.StatusCode >= 500 {
			resp.Body.Close()
			lastErr = fmt.Errorf("answered %s", resp.Status)
			continue
		}
		return resp, nil
	}
	return nil, lastErr
}

func isJSONType(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return strings.HasSuffix(mt, "json")
}

// Project implements Repository.
func (u *Upstream) Project(ctx context.Context, name string) (*simple.Project, error) {
	return u.cachedPage(ctx, name)
}

func (u *Upstream) cachedPage(ctx context.Context, name string) (*simple.Project, error) {
	u.mu.Lock()
	var prev *pageEntry
	if el, ok := u.pages[name]; ok {
		prev = el.Value.(*pageEntry)
		if time.Since(prev.checked) < prev.ttl {
			u.lru.MoveToFront(el)
			u.mu.Unlock()
			if prev.page == nil {
				return nil, ErrNotFound
			}
			return prev.page, nil
		}
	}
	u.mu.Unlock()
	v, err, _ := u.flight.Do(name, func() (any, error) {
		// Detached from the first caller: one client hanging up must not
		// fail the others waiting on the same fetch.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*u.cfg.Timeout)
		defer cancel()
		e, err := u.refreshPage(fctx, name, prev)
		if err != nil {
			return nil, err
		}
		u.remember(e)
		return e.page, nil
	})
	if err != nil {
		return nil, err
	}
	page := v.(*simple.Project)
	if page == nil {
		return nil, ErrNotFound
	}
	return page, nil
}

// refreshPage brings a page up to date: from the store after a restart,
// else by a request that is conditional when validators are known. When the
// upstream fails, the last known page is served, flagged, until it is older
// than max_stale.
func (u *Upstream) refreshPage(ctx context.Context, name string, prev *pageEntry) (*pageEntry, error) {
	if prev == nil && u.stored != nil {
		if sp, err := u.stored.UpstreamPage(ctx, u.name, name); err == nil {
			if page, err := u.parseStoredPage(name, sp); err == nil {
				prev = &pageEntry{name: name, page: page, validated: sp.ValidatedAt, etag: sp.ETag, lastModified: sp.LastModified}
				if time.Since(sp.ValidatedAt) < u.cfg.PageTTL {
					prev.checked, prev.ttl = sp.ValidatedAt, u.cfg.PageTTL
					return prev, nil
				}
			}
		}
	}
	now := time.Now()
	fetched, err := u.fetchPage(ctx, name, prev)
	var ue *UpstreamError
	switch {
	case err == nil && fetched == nil: // 304: what we have is current
		e := *prev
		e.page = unstale(prev.page)
		e.checked, e.ttl, e.validated = now, u.cfg.PageTTL, now
		if u.stored != nil {
			u.stored.RevalidateUpstreamPage(ctx, u.name, name, now) // best effort: the memory copy is current
		}
		return &e, nil
	case err == nil:
		fetched.checked, fetched.ttl, fetched.validated = now, u.cfg.PageTTL, now
		return fetched, nil
	case errors.Is(err, ErrNotFound):
		return &pageEntry{name: name, checked: now, ttl: u.cfg.PageTTL, validated: now}, nil
	case errors.As(err, &ue) && prev != nil && time.Since(prev.validated) < u.cfg.MaxStale:
		e := *prev
		e.checked, e.ttl = now, min(staleRetry, u.cfg.PageTTL)
		if prev.page != nil {
			p := *unstale(prev.page)
			p.Stale = StaleUnreachable
			e.page = &p
		}
		return &e, nil
	}
	return nil, err
}

// unstale returns the page without the outage flag.
func unstale(p *simple.Project) *simple.Project {
	if p == nil || p.Stale == "" {
		return p
	}
	c := *p
	c.Stale = ""
	return &c
}

func (u *Upstream) remember(e *pageEntry) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if el, ok := u.pages[e.name]; ok {
		el.Value = e
		u.lru.MoveToFront(el)
		return
	}
	u.pages[e.name] = u.lru.PushFront(e)
	for u.lru.Len() > pageCacheEntries {
		last := u.lru.Back()
		delete(u.pages, last.Value.(*pageEntry).name)
		u.lru.Remove(last)
	}
}

// conditional returns the validators of what we have, for a conditional
// request.
func conditional(etag, lastModified string) http.Header {
	h := http.Header{}
	if etag != "" {
		h.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		h.Set("If-Modified-Since", lastModified)
	}
	return h
}

// fetchPage fetches a project page: nil and no error when the upstream
// answered 304 to the validators of prev, ErrNotFound for a 404 (both
// remembered in the store).
func (u *Upstream) fetchPage(ctx context.Context, name string, prev *pageEntry) (*pageEntry, error) {
	pageURL := u.base.JoinPath(name).String() + "/"
	var cond http.Header
	if prev != nil && prev.page != nil {
		cond = conditional(prev.etag, prev.lastModified)
	}
	resp, err := u.get(ctx, pageURL, cond)
	if err != nil {
		return nil, u.fail(pageURL, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && cond != nil:
		return nil, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		if u.stored != nil {
			u.stored.PutUpstreamPage(ctx, store.UpstreamPage{Upstream: u.name, Name: name, Status: http.StatusNotFound,
				URL: pageURL, Body: []byte{}, ValidatedAt: time.Now()})
		}
		return nil, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		return nil, u.fail(pageURL, fmt.Errorf("answered %s", resp.Status))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return nil, u.fail(pageURL, err)
	}
	sp := store.UpstreamPage{
		Upstream: u.name, Name: name, Status: http.StatusOK,
		URL: resp.Request.URL.String(), ContentType: resp.Header.Get("Content-Type"),
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		Body: body, ValidatedAt: time.Now(),
	}
	page, err := u.parseStoredPage(name, sp)
	if err != nil {
		return nil, u.fail(pageURL, err)
	}
	if u.stored != nil {
		// best effort: a page that is not stored is only fetched again
		u.stored.PutUpstreamPage(ctx, sp)
	}
	return &pageEntry{name: name, page: page, etag: sp.ETag, lastModified: sp.LastModified}, nil
}

// parseStoredPage parses a page as the upstream sent it; a remembered 404
// is a nil page.
func (u *Upstream) parseStoredPage(name string, sp store.UpstreamPage) (*simple.Project, error) {
	if sp.Status == http.StatusNotFound {
		return nil, nil
	}
	if len(sp.Body) > maxPageBytes {
		return nil, errors.New("project page is larger than 256 MiB")
	}
	base, err := url.Parse(sp.URL)
	if err != nil {
		return nil, err
	}
	var page *simple.Project
	if isJSONType(sp.ContentType) {
		page, err = simple.ParseProjectJSON(bytes.NewReader(sp.Body), base)
	} else {
		page, err = simple.ParseProjectHTML(bytes.NewReader(sp.Body), base)
	}
	if err != nil {
		return nil, fmt.Errorf("unreadable project page: %w", err)
	}
	page.Name = name
	page.Files = u.sane(name, page.Files)
	return page, nil
}

// sane keeps only files that are distributions of this very project, at
// http(s) URLs: a hostile or broken upstream cannot slip another project's
// file onto a page, nor point us at file:// or other schemes.
func (u *Upstream) sane(project string, files []simple.File) []simple.File {
	out := files[:0]
	for _, f := range files {
		fn, err := pypi.ParseFilenameFor(project, f.Filename)
		if err != nil || fn.NormalizedProject() != project {
			continue
		}
		loc, err := url.Parse(f.URL)
		if err != nil || (loc.Scheme != "http" && loc.Scheme != "https") || loc.Host == "" {
			continue
		}
		loc.Fragment = ""
		f.Origin = loc.String()
		if s := f.Hashes["sha256"]; s != "" && !isHexDigest(s) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// Projects implements Repository. The listing is kept like pages are:
// stored, revalidated, and served stale during an outage.
func (u *Upstream) Projects(ctx context.Context) ([]string, error) {
	u.mu.Lock()
	prev := u.root
	if prev != nil && time.Since(prev.checked) < prev.ttl {
		u.mu.Unlock()
		return prev.names, nil
	}
	u.mu.Unlock()
	v, err, _ := u.flight.Do("\x00root", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*u.cfg.Timeout)
		defer cancel()
		e, err := u.refreshList(fctx, prev)
		if err != nil {
			return nil, err
		}
		u.mu.Lock()
		u.root = e
		u.mu.Unlock()
		return e.names, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

func (u *Upstream) refreshList(ctx context.Context, prev *listEntry) (*listEntry, error) {
	if prev == nil && u.stored != nil {
		if sp, err := u.stored.UpstreamPage(ctx, u.name, ""); err == nil {
			if names, err := u.storedList(ctx, sp); err == nil {
				prev = &listEntry{names: names, validated: sp.ValidatedAt, etag: sp.ETag, lastModified: sp.LastModified}
				if time.Since(sp.ValidatedAt) < u.cfg.ListTTL {
					prev.checked, prev.ttl = sp.ValidatedAt, u.cfg.ListTTL
					return prev, nil
				}
			}
		}
	}
	now := time.Now()
	e, err := u.fetchList(ctx, prev)
	var ue *UpstreamError
	switch {
	case err == nil && e == nil: // 304
		c := *prev
		c.checked, c.ttl, c.validated = now, u.cfg.ListTTL, now
		if u.stored != nil {
			u.stored.RevalidateUpstreamPage(ctx, u.name, "", now)
		}
		return &c, nil
	case err == nil:
		e.checked, e.ttl, e.validated = now, u.cfg.ListTTL, now
		return e, nil
	case errors.As(err, &ue) && prev != nil && time.Since(prev.validated) < u.cfg.MaxStale:
		c := *prev
		c.checked, c.ttl = now, min(staleRetry, u.cfg.ListTTL)
		return &c, nil
	}
	return nil, err
}

// fetchList fetches the root listing; nil and no error for a 304.
func (u *Upstream) fetchList(ctx context.Context, prev *listEntry) (*listEntry, error) {
	rootURL := u.base.String()
	var cond http.Header
	if prev != nil {
		cond = conditional(prev.etag, prev.lastModified)
	}
	resp, err := u.get(ctx, rootURL, cond)
	if err != nil {
		return nil, u.fail(rootURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && cond != nil {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, u.fail(rootURL, fmt.Errorf("answered %s", resp.Status))
	}
	ct := resp.Header.Get("Content-Type")
	src := io.LimitReader(resp.Body, maxListBytes+1)
	e := &listEntry{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	sp := store.UpstreamPage{Upstream: u.name, Name: "", Status: http.StatusOK, URL: resp.Request.URL.String(),
		ContentType: ct, ETag: e.etag, LastModified: e.lastModified, Body: []byte{}}
	switch {
	case u.stored != nil && u.files != nil:
		// A public-scale listing is tens of MiB: it is parsed as it
		// streams into the blob store, never held whole in memory.
		e.names, sp.BodyBlob, err = u.parseAndKeep(ctx, ct, src)
	case u.stored != nil:
		if sp.Body, err = io.ReadAll(src); err == nil {
			e.names, err = parseList(ct, bytes.NewReader(sp.Body))
		}
	default:
		e.names, err = parseList(ct, src)
	}
	if err != nil {
		return nil, u.fail(rootURL, err)
	}
	if u.stored != nil {
		old, _ := u.stored.UpstreamPage(ctx, u.name, "")
		sp.ValidatedAt = time.Now()
		if err := u.stored.PutUpstreamPage(ctx, sp); err == nil && old.BodyBlob != "" && old.BodyBlob != sp.BodyBlob {
			u.files.blobs.Delete(ctx, old.BodyBlob) // best effort: an orphan costs only space
		}
	}
	return e, nil
}

// parseAndKeep parses a listing while it is written to the blob store.
func (u *Upstream) parseAndKeep(ctx context.Context, contentType string, src io.Reader) ([]string, string, error) {
	pr, pw := io.Pipe()
	type put struct {
		info blob.Info
		err  error
	}
	done := make(chan put, 1)
	go func() {
		info, err := u.files.blobs.Put(ctx, pr, "")
		pr.CloseWithError(err) // unblocks the parser if the store fails
		done <- put{info, err}
	}()
	names, err := parseList(contentType, io.TeeReader(src, pw))
	if err == nil {
		_, err = io.Copy(pw, src) // whatever the parser did not need
	}
	pw.CloseWithError(err)
	p := <-done
	if err == nil {
		err = p.err
	}
	if err != nil {
		return nil, "", err
	}
	return names, p.info.Digest, nil
}

// storedList reads a stored listing.
func (u *Upstream) storedList(ctx context.Context, sp store.UpstreamPage) ([]string, error) {
	if sp.BodyBlob == "" {
		return parseList(sp.ContentType, bytes.NewReader(sp.Body))
	}
	if u.files == nil {
		return nil, errors.New("the listing is in the blob store, which this node has not")
	}
	obj, err := u.files.blobs.Open(ctx, sp.BodyBlob)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return parseList(sp.ContentType, obj)
}

// parseList parses a root listing into normalised, sorted, unique names.
func parseList(contentType string, body io.Reader) ([]string, error) {
	var raw []string
	var err error
	if isJSONType(contentType) {
		raw, err = simple.ParseProjectListJSON(body)
	} else {
		raw, err = simple.ParseProjectListHTML(body)
	}
	if err != nil {
		return nil, fmt.Errorf("unreadable project list: %w", err)
	}
	names := make([]string, 0, len(raw))
	for _, n := range raw {
		if pypi.ValidName(n) {
			names = append(names, pypi.Normalize(n))
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// Resource implements Repository. The file is located through the
// upstream's own page for the project, never through a URL a client sent.
// Files whose page promises a sha256 go through the file cache when there is
// one; others are streamed.
func (u *Upstream) Resource(ctx context.Context, project, name string) (*Resource, error) {
	f, isMeta, err := u.locate(ctx, project, name)
	if err != nil {
		return nil, err
	}
	if isMeta {
		// metadata is cached too: pip needs it first, also during an outage
		if sha := f.CoreMetadata["sha256"]; u.files != nil && isHexDigest(sha) {
			return u.cached(ctx, f.Origin+MetadataSuffix, sha, -1, f.UploadTime)
		}
		return u.metadata(ctx, f)
	}
	if sha := f.SHA256(); u.files != nil && sha != "" {
		return u.cached(ctx, f.Origin, sha, f.Size, f.UploadTime)
	}
	return u.stream(ctx, f, false)
}

// cached serves a remote file through the file cache.
func (u *Upstream) cached(ctx context.Context, origin, sha string, size int64, modTime time.Time) (*Resource, error) {
	return u.files.resource(ctx, cacheFetch{
		digest: sha,
		size:   size,
		open: func(ctx context.Context) (io.ReadCloser, int64, error) {
			// the cache hashes what it stores; the stream need not
			hf := newHTTPFile(ctx, u, origin, size, "")
			if hf.size < 0 {
				if err := hf.learnSize(); err != nil && !errors.Is(err, errUnknownSize) {
					return nil, -1, err
				}
			}
			return hf, hf.size, nil
		},
		fail: func(err error) error { return u.fail(origin, err) },
	}, modTime)
}

// RandomAccess opens a file for reading at random without downloading it
// whole: from the file cache when it holds the file, else through HTTP range
// requests. The metadata extractor reads a wheel's end through it.
func (u *Upstream) RandomAccess(ctx context.Context, project, name string) (*Resource, error) {
	f, isMeta, err := u.locate(ctx, project, name)
	if err != nil {
		return nil, err
	}
	if isMeta {
		return u.metadata(ctx, f)
	}
	if sha := f.SHA256(); u.files != nil && sha != "" {
		if obj, err := u.files.blobs.Open(ctx, sha); err == nil {
			return &Resource{Body: obj, Size: obj.Info().Size, ModTime: f.UploadTime, SHA256: sha}, nil
		}
	}
	return u.stream(ctx, f, true)
}

// locate finds a file (or its metadata) on the upstream's page.
func (u *Upstream) locate(ctx context.Context, project, name string) (*simple.File, bool, error) {
	page, err := u.cachedPage(ctx, project)
	if err != nil {
		return nil, false, err
	}
	file, isMeta := SplitMetadata(name)
	f := page.Find(file)
	if f == nil || (isMeta && !f.HasMetadata()) {
		return nil, false, ErrNotFound
	}
	return f, isMeta, nil
}

// stream opens a file as a seekable view of the remote file.
// For random access the size is learnt by the first ranged read instead.
func (u *Upstream) stream(ctx context.Context, f *simple.File, random bool) (*Resource, error) {
	hf := newHTTPFile(ctx, u, f.Origin, f.Size, f.SHA256())
	if random && hf.size < 0 {
		if err := hf.learnSizeRanged(); err != nil {
			return nil, err
		}
	}
	if hf.size < 0 {
		// HTML pages carry no sizes: the response to the GET that is
		// needed anyway tells, so that ranges can be served.
		if err := hf.learnSize(); err != nil && !errors.Is(err, errUnknownSize) {
			return nil, err
		}
	}
	return &Resource{Body: hf, Size: hf.size, ModTime: f.UploadTime, SHA256: f.SHA256()}, nil
}

// metadata fetches a PEP 658 file (small) and checks it against the hash
// the page promised before anyone sees it.
func (u *Upstream) metadata(ctx context.Context, f *simple.File) (*Resource, error) {
	metaURL := f.Origin + MetadataSuffix
	resp, err := u.get(ctx, metaURL, nil)
	if err != nil {
		return nil, u.fail(metaURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, ErrNotFound
	}
	if resp.StatusCode != http.StatusOK {
		return nil, u.fail(metaURL, fmt.Errorf("answered %s", resp.Status))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, u.fail(metaURL, err)
	}
	if len(data) > maxMetadataBytes {
		return nil, u.fail(metaURL, errors.New("metadata file is larger than 16 MiB"))
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if want := f.CoreMetadata["sha256"]; want != "" && want != got {
		return nil, u.fail(metaURL, fmt.Errorf("metadata sha256 is %s, the page promised %s", got, want))
	}
	return &Resource{Body: BytesBody(data), Size: int64(len(data)), ModTime: f.UploadTime, SHA256: got}, nil
}
