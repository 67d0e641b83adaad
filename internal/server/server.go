// Package server is Sluice's HTTP surface: the simple indexes (PEP 503 HTML
// and PEP 691 JSON with content negotiation), file and metadata downloads,
// health endpoints, and the upload API.
package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/simple"
)

// Pinger is something /readyz checks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configure a Server.
type Options struct {
	Config *config.Config
	Graph  *repository.Graph
	Logger *slog.Logger
	// Ready lists what /readyz checks (database, blob store).
	Ready map[string]Pinger
	// Gate authenticates and authorises uploads; nil refuses them all.
	Gate Gate
	// Metrics, when set, adds its figures (Prometheus text format) to
	// GET /metrics, after the request figures.
	Metrics http.Handler
	// ReadAuth authenticates reads of private indexes; New refuses a
	// configuration with a private index when it is nil.
	ReadAuth func(r *http.Request) (Identity, error)
	// Admin, when set, is mounted at /api/admin/ (the JSON admin API).
	Admin http.Handler
	// OIDC, when set, is mounted at /_/oidc/ (trusted publishing).
	OIDC http.Handler
	// UploadIdle is how long an upload may stall between reads before the
	// connection is closed; default 60s.
	UploadIdle time.Duration
	// Requests collects request metrics for /metrics; pass the same value
	// to every Server of a process so figures survive reloads. Nil makes
	// one for this Server.
	Requests *RequestMetrics
}

// Server serves every configured index.
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	indexes  []*index
	bufs     sync.Pool
	renders  renderCache
	requests *RequestMetrics
}

// index is one configured simple index.
type index struct {
	cfg  config.Index
	repo repository.Repository
	// base is prepended to paths in links: public_url, or "" for
	// path-absolute links.
	base string
}

// New builds the server's routes.
func New(opts Options) (*Server, error) {
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.requests = opts.Requests
	if s.requests == nil {
		s.requests = new(RequestMetrics)
	}
	for _, ixc := range opts.Config.Indexes {
		repo, ok := opts.Graph.Node(ixc.Repository)
		if !ok {
			return nil, fmt.Errorf("index %s: repository %q not built", ixc.Path, ixc.Repository)
		}
		if ixc.Private && opts.ReadAuth == nil {
			return nil, fmt.Errorf("index %s is private but no authentication is configured", ixc.Path)
		}
		ix := &index{cfg: ixc, repo: repo, base: opts.Config.PublicURL}
		s.indexes = append(s.indexes, ix)
		p := ixc.Path
		s.mux.HandleFunc("GET "+p+"{$}", func(w http.ResponseWriter, r *http.Request) { s.serveRoot(w, r, ix) })
		s.mux.HandleFunc("GET "+strings.TrimSuffix(p, "/"), func(w http.ResponseWriter, r *http.Request) {
			redirect(w, r, p)
		})
		s.mux.HandleFunc("GET "+p+"{project}", func(w http.ResponseWriter, r *http.Request) {
			s.redirectProject(w, r, ix, r.PathValue("project"))
		})
		s.mux.HandleFunc("GET "+p+"{project}/{$}", func(w http.ResponseWriter, r *http.Request) {
			s.serveProject(w, r, ix, r.PathValue("project"))
		})
		s.mux.HandleFunc("GET "+p+"{project}/{file}", func(w http.ResponseWriter, r *http.Request) {
			s.serveFile(w, r, ix, r.PathValue("project"), r.PathValue("file"))
		})
		if ixc.Snapshots {
			s.mountSnapshots(ix)
		}
		if ixc.Upload != "" {
			h, ok := opts.Graph.Hosted(ixc.Upload)
			if !ok {
				return nil, fmt.Errorf("index %s: upload repository %q is not hosted", ixc.Path, ixc.Upload)
			}
			up := &uploader{s: s, ix: ix, hosted: h}
			s.mux.Handle("POST "+ixc.UploadPath(), up)
			s.mux.Handle("POST "+strings.TrimSuffix(ixc.UploadPath(), "/"), up)
		}
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	s.mux.HandleFunc("GET /readyz", s.serveReady)
	s.mux.HandleFunc("GET /metrics", s.serveMetrics)
	if opts.Admin != nil {
		s.mux.Handle("/api/admin/", opts.Admin)
	}
	if opts.OIDC != nil {
		s.mux.Handle("/_/oidc/", opts.OIDC)
	}
	s.mux.HandleFunc("GET /{$}", s.serveHome)
	return s, nil
}

// ServeHTTP implements http.Handler, with one structured log line per
// request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	s.requests.observe(r, rec.status, rec.bytes, time.Since(start))
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("event", "http.request"),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", time.Since(start)),
		slog.String("remote", r.RemoteAddr),
		slog.String("user_agent", r.UserAgent()),
	)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom keeps sendfile(2) for blobs on the filesystem.
func (r *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.wrote = true
	n, err := io.Copy(r.ResponseWriter, src)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// httpError answers with a status and one plain-text sentence.
func httpError(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("ETag")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

// fail maps repository errors to HTTP answers.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error, notFound string) {
	var ue *repository.UpstreamError
	switch {
	case errors.Is(err, repository.ErrNotFound):
		httpError(w, http.StatusNotFound, notFound)
	case errors.As(err, &ue):
		s.log.Warn("upstream failure", "event", "upstream.error", "upstream", ue.Upstream, "url", ue.URL, "error", ue.Err.Error(), "path", r.URL.Path)
		httpError(w, http.StatusBadGateway, "Bad gateway: "+ue.Error())
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// the client went away; nobody reads an answer
	default:
		s.log.Error("internal error", "event", "server.error", "path", r.URL.Path, "error", err.Error())
		httpError(w, http.StatusInternalServerError, "Internal server error; the server log has the details.")
	}
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, to, http.StatusMovedPermanently)
}

// negotiate picks the page format, or answers 406.
func negotiate(w http.ResponseWriter, r *http.Request) (string, bool) {
	w.Header().Add("Vary", "Accept")
	ct, ok := simple.Negotiate(r.Header.Get("Accept"))
	if !ok {
		httpError(w, http.StatusNotAcceptable, "Not acceptable: this index serves "+simple.TypeJSON+", "+simple.TypeHTMLv1+" and text/html.")
	}
	return ct, ok
}

func contentType(ct string) string {
	if ct == simple.TypeHTML {
		return "text/html; charset=utf-8"
	}
	return ct
}

func (ix *index) projectURL(name string) string {
	return ix.base + ix.cfg.Path + name + "/"
}

func (ix *index) fileURL(project string, f *simple.File) string {
	return ix.base + ix.cfg.Path + project + "/" + url.PathEscape(f.Filename)
}

// readAllowed answers 401/403 for a read of a private index without
// acceptable credentials.
func (s *Server) readAllowed(w http.ResponseWriter, r *http.Request, ix *index) bool {
	if !ix.cfg.Private {
		return true
	}
	_, err := s.opts.ReadAuth(r)
	if err == nil {
		return true
	}
	var ae *AuthError
	if !errors.As(err, &ae) {
		s.fail(w, r, err, "")
		return false
	}
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="sluice"`)
	}
	httpError(w, ae.Status, ae.Msg)
	return false
}

func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request, ix *index) {
	if !s.readAllowed(w, r, ix) {
		return
	}
	ct, ok := negotiate(w, r)
	if !ok {
		return
	}
	names, err := ix.repo.Projects(r.Context())
	if err != nil {
		s.fail(w, r, err, "Not found.")
		return
	}
	w.Header().Set("Content-Type", contentType(ct))
	w.Header().Set("Cache-Control", "max-age=60, public")
	if r.Method == http.MethodHead {
		return
	}
	// streamed: a public-scale listing has ~900,000 names
	if ct == simple.TypeJSON {
		err = simple.WriteProjectListJSON(w, names)
	} else {
		err = simple.WriteProjectListHTML(w, names, ix.projectURL)
	}
	if err != nil && r.Context().Err() == nil {
		s.log.Warn("writing the project list failed", "event", "server.write_error", "error", err.Error())
	}
}

// canonicalProject checks a project name from a URL. A name that is not a
// valid project name is not found; a valid, non-normalised one is
// redirected to the normalised URL (PEP 503).
func canonicalProject(w http.ResponseWriter, r *http.Request, ix *index, raw, rest string) (string, bool) {
	if !pypi.ValidName(raw) {
		httpError(w, http.StatusNotFound, fmt.Sprintf("Not found: %q is not a valid project name.", raw))
		return "", false
	}
	name := pypi.Normalize(raw)
	if name != raw {
		redirect(w, r, ix.cfg.Path+name+"/"+rest)
		return "", false
	}
	return name, true
}

func (s *Server) redirectProject(w http.ResponseWriter, r *http.Request, ix *index, raw string) {
	if !s.readAllowed(w, r, ix) {
		return
	}
	if !pypi.ValidName(raw) {
		httpError(w, http.StatusNotFound, fmt.Sprintf("Not found: %q is not a valid project name.", raw))
		return
	}
	redirect(w, r, ix.cfg.Path+pypi.Normalize(raw)+"/")
}

func (s *Server) serveProject(w http.ResponseWriter, r *http.Request, ix *index, raw string) {
	if !s.readAllowed(w, r, ix) {
		return
	}
	ct, ok := negotiate(w, r)
	if !ok {
		return
	}
	name, ok := canonicalProject(w, r, ix, raw, "")
	if !ok {
		return
	}
	page, err := ix.repo.Project(r.Context(), name)
	if err != nil {
		s.fail(w, r, err, fmt.Sprintf("Not found: no project named %q on this index.", name))
		return
	}
	if page.Stale != "" {
		// the last known page of a source that cannot be reached now
		w.Header().Set("X-Sluice-Stale", page.Stale)
		s.log.Warn("serving a stale page", "event", "upstream.stale", "project", name, "reason", page.Stale)
	}
	body, etag, err := s.render(ix, ct, name, page)
	if err != nil {
		s.fail(w, r, err, "")
		return
	}
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "max-age=60, public")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType(ct))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// render returns the page's bytes in the format and their ETag. Pages are
// immutable and the caches behind the graph hand out the same page while it
// is fresh, so the bytes rendered for that very page are reused: a warm page
// costs a lookup, not a render and a hash.
func (s *Server) render(ix *index, ct, name string, page *simple.Project) ([]byte, string, error) {
	key := renderKey{ix: ix, ct: ct, name: name}
	if body, etag, ok := s.renders.get(key, page); ok {
		return body, etag, nil
	}
	buf := s.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer s.bufs.Put(buf)
	fileURL := func(f *simple.File) string { return ix.fileURL(name, f) }
	var err error
	if ct == simple.TypeJSON {
		err = simple.WriteProjectJSON(buf, page, fileURL)
	} else {
		err = simple.WriteProjectHTML(buf, page, fileURL)
	}
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	body := bytes.Clone(buf.Bytes())
	s.renders.put(key, page, body, etag)
	return body, etag, nil
}

// etagMatch implements If-None-Match's weak comparison.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// serveFile serves a distribution file or its metadata. The file must be
// listed on this index's own effective page for the project: a request can
// never reach a file the graph hides, whatever name spelling it uses.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, ix *index, raw, name string) {
	if !s.readAllowed(w, r, ix) {
		return
	}
	project, ok := canonicalProject(w, r, ix, raw, url.PathEscape(name))
	if !ok {
		return
	}
	file, isMeta := repository.SplitMetadata(name)
	notFound := fmt.Sprintf("Not found: %q is not a file of project %q on this index.", name, project)
	page, err := ix.repo.Project(r.Context(), project)
	if err != nil {
		s.fail(w, r, err, notFound)
		return
	}
	f := page.Find(file)
	if f == nil || (isMeta && !f.HasMetadata()) {
		httpError(w, http.StatusNotFound, notFound)
		return
	}
	res, err := ix.repo.Resource(r.Context(), project, name)
	if err != nil {
		s.fail(w, r, err, notFound)
		return
	}
	defer res.Body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	if res.SHA256 != "" {
		h.Set("ETag", `"`+res.SHA256+`"`)
	}
	// released files never change; a yank changes the page, not the file
	h.Set("Cache-Control", "max-age=31536000, public, immutable")
	if seeker, ok := res.Body.(io.ReadSeeker); ok && res.Size >= 0 {
		http.ServeContent(w, r, "", res.ModTime, seeker)
		return
	}
	if res.SHA256 != "" && etagMatch(r.Header.Get("If-None-Match"), `"`+res.SHA256+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if res.Size >= 0 {
		h.Set("Content-Length", fmt.Sprint(res.Size))
	}
	if !res.ModTime.IsZero() {
		h.Set("Last-Modified", res.ModTime.UTC().Format(http.TimeFormat))
	}
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, res.Body); err != nil && r.Context().Err() == nil {
		s.log.Warn("file stream failed", "event", "server.stream_error", "path", r.URL.Path, "error", err.Error())
		panic(http.ErrAbortHandler) // the client must see a broken download
	}
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	var failed []string
	for name, p := range s.opts.Ready {
		if err := p.Ping(ctx); err != nil {
			failed = append(failed, name+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		httpError(w, http.StatusServiceUnavailable, "Not ready: "+strings.Join(failed, "; "))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ready\n")
}

func (s *Server) serveHome(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>Sluice</title></head><body><h1>Sluice</h1><ul>\n")
	for _, ix := range s.indexes {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", ix.cfg.Path, ix.cfg.Path)
	}
	b.WriteString("</ul></body></html>\n")
	io.WriteString(w, b.String())
}
