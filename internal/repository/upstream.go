package repository

import (
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

	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/simple"
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

	flight singleflight.Group
	mu     sync.Mutex
	pages  map[string]*list.Element // of *pageEntry
	lru    *list.List
	root   *listEntry
}

type pageEntry struct {
	name    string
	page    *simple.Project // nil: the upstream said 404
	fetched time.Time
}

type listEntry struct {
	names   []string
	fetched time.Time
}

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
	return &Upstream{
		name:   name,
		base:   u,
		cfg:    cfg,
		client: newHTTPClient(cfg.Timeout),
		pages:  map[string]*list.Element{},
		lru:    list.New(),
	}, nil
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

// get fetches a page, retrying once on a transport error or a 5xx.
func (u *Upstream) get(ctx context.Context, rawURL string) (*http.Response, error) {
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

func isJSON(resp *http.Response) bool {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return strings.HasSuffix(mt, "json")
}

// Project implements Repository.
func (u *Upstream) Project(ctx context.Context, name string) (*simple.Project, error) {
	return u.cachedPage(ctx, name)
}

func (u *Upstream) cachedPage(ctx context.Context, name string) (*simple.Project, error) {
	u.mu.Lock()
	if el, ok := u.pages[name]; ok {
		e := el.Value.(*pageEntry)
		if time.Since(e.fetched) < u.cfg.PageTTL {
			u.lru.MoveToFront(el)
			u.mu.Unlock()
			if e.page == nil {
				return nil, ErrNotFound
			}
			return e.page, nil
		}
	}
	u.mu.Unlock()
	v, err, _ := u.flight.Do(name, func() (any, error) {
		// Detached from the first caller: one client hanging up must not
		// fail the others waiting on the same fetch.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*u.cfg.Timeout)
		defer cancel()
		page, err := u.fetchPage(fctx, name)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		u.store(name, page)
		return page, nil
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

func (u *Upstream) store(name string, page *simple.Project) {
	u.mu.Lock()
	defer u.mu.Unlock()
	e := &pageEntry{name: name, page: page, fetched: time.Now()}
	if el, ok := u.pages[name]; ok {
		el.Value = e
		u.lru.MoveToFront(el)
		return
	}
	u.pages[name] = u.lru.PushFront(e)
	for u.lru.Len() > pageCacheEntries {
		last := u.lru.Back()
		delete(u.pages, last.Value.(*pageEntry).name)
		u.lru.Remove(last)
	}
}

func (u *Upstream) fetchPage(ctx context.Context, name string) (*simple.Project, error) {
	pageURL := u.base.JoinPath(name).String() + "/"
	resp, err := u.get(ctx, pageURL)
	if err != nil {
		return nil, u.fail(pageURL, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		return nil, u.fail(pageURL, fmt.Errorf("answered %s", resp.Status))
	}
	body := io.LimitReader(resp.Body, maxPageBytes+1)
	var page *simple.Project
	if isJSON(resp) {
		page, err = simple.ParseProjectJSON(body, resp.Request.URL)
	} else {
		page, err = simple.ParseProjectHTML(body, resp.Request.URL)
	}
	if err != nil {
		return nil, u.fail(pageURL, fmt.Errorf("unreadable project page: %w", err))
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

// Projects implements Repository.
func (u *Upstream) Projects(ctx context.Context) ([]string, error) {
	u.mu.Lock()
	if r := u.root; r != nil && time.Since(r.fetched) < u.cfg.ListTTL {
		u.mu.Unlock()
		return r.names, nil
	}
	u.mu.Unlock()
	v, err, _ := u.flight.Do("\x00root", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*u.cfg.Timeout)
		defer cancel()
		names, err := u.fetchList(fctx)
		if err != nil {
			return nil, err
		}
		u.mu.Lock()
		u.root = &listEntry{names: names, fetched: time.Now()}
		u.mu.Unlock()
		return names, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

func (u *Upstream) fetchList(ctx context.Context) ([]string, error) {
	rootURL := u.base.String()
	resp, err := u.get(ctx, rootURL)
	if err != nil {
		return nil, u.fail(rootURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, u.fail(rootURL, fmt.Errorf("answered %s", resp.Status))
	}
	body := io.LimitReader(resp.Body, maxListBytes+1)
	var raw []string
	if isJSON(resp) {
		raw, err = simple.ParseProjectListJSON(body)
	} else {
		raw, err = simple.ParseProjectListHTML(body)
	}
	if err != nil {
		return nil, u.fail(rootURL, fmt.Errorf("unreadable project list: %w", err))
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
func (u *Upstream) Resource(ctx context.Context, project, name string) (*Resource, error) {
	page, err := u.cachedPage(ctx, project)
	if err != nil {
		return nil, err
	}
	file, isMeta := SplitMetadata(name)
	f := page.Find(file)
	if f == nil {
		return nil, ErrNotFound
	}
	if isMeta {
		if !f.HasMetadata() {
			return nil, ErrNotFound
		}
		return u.metadata(ctx, f)
	}
	hf := newHTTPFile(ctx, u, f.Origin, f.Size, f.SHA256())
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
	resp, err := u.get(ctx, metaURL)
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
