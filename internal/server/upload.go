package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/store"
)

// Identity is who a request acts as.
type Identity struct {
	Kind string // "user", "token", "gitlab", "oidc"
	Name string // account name or CI project path
	Role string
	// TokenID is the API token the request authenticated with ("" for a
	// password or a CI job token); the Gate looks up its project scope.
	TokenID string
}

// AuthError is a refusal by the Gate: Status is 401 or 403.
type AuthError struct {
	Status int
	Msg    string
}

func (e *AuthError) Error() string { return e.Msg }

// Gate decides who may upload what. The publishing subsystem implements it;
// without one, every upload is refused.
type Gate interface {
	// Authenticate identifies the request's credentials.
	Authenticate(r *http.Request) (Identity, error)
	// AuthorizeUpload says whether id may publish project into the
	// hosted repository (roles, token scopes, ownership, name guard).
	AuthorizeUpload(ctx context.Context, id Identity, repository, project string) error
	// Published records a successful upload (ownership, audit).
	Published(ctx context.Context, id Identity, f store.File, remote string)
	// Refused records a refused one (audit).
	Refused(ctx context.Context, id *Identity, repository, filename, reason, remote string)
}

// maxFormField bounds every non-file form field (descriptions can be long).
const maxFormField = 4 << 20

// uploadIdle is the longest an upload may stall between two reads, unless
// Options.UploadIdle says otherwise.
const uploadIdle = 60 * time.Second

// deadlineReader moves the connection's read deadline forward before each
// read, so that only a stalled client times out.
type deadlineReader struct {
	r    io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	d.rc.SetReadDeadline(time.Now().Add(d.idle)) // unsupported writers (tests) just don't time out
	return d.r.Read(p)
}

func (d *deadlineReader) Close() error { return d.r.Close() }

type uploader struct {
	s      *Server
	ix     *index
	hosted *repository.Hosted
}

// ServeHTTP implements the legacy upload API (twine, poetry, pdm): a
// multipart form with ":action=file_upload" and the file as "content".
// The body is read as a stream: fields first, then the file, which is
// validated while it is spooled.
func (u *uploader) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	gate := u.s.opts.Gate
	if gate == nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="sluice"`)
		httpError(w, http.StatusUnauthorized, "Uploads are not enabled on this server: no accounts are configured.")
		return
	}
	id, err := gate.Authenticate(r)
	if err != nil {
		u.authFail(w, r, nil, "", err)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		httpError(w, http.StatusBadRequest, "Bad request: an upload is a multipart/form-data POST (as twine sends it).")
		return
	}
	// A client may take as long as it likes in total (gigabyte wheels on
	// slow links), but not stall: each read must make progress within
	// uploadIdle, or the connection is closed and the spool discarded.
	idle := u.s.opts.UploadIdle
	if idle <= 0 {
		idle = uploadIdle
	}
	r.Body = &deadlineReader{r: r.Body, rc: http.NewResponseController(w), idle: idle}
	mr, err := r.MultipartReader()
	if err != nil {
		httpError(w, http.StatusBadRequest, "Bad request: "+err.Error())
		return
	}
	form := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			httpError(w, http.StatusBadRequest, "Bad request: the multipart body is malformed: "+err.Error())
			return
		}
		field := part.FormName()
		if field != "content" {
			v, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
			if err != nil {
				httpError(w, http.StatusBadRequest, "Bad request: reading form field "+field+": "+err.Error())
				return
			}
			if len(v) > maxFormField {
				httpError(w, http.StatusRequestEntityTooLarge, "Form field "+field+" is larger than 4 MiB.")
				return
			}
			if _, dup := form[field]; !dup { // repeated fields (classifiers) matter only for metadata
				form[field] = string(v)
			}
			continue
		}
		u.publish(w, r, id, form, part)
		return
	}
	if a := form[":action"]; a != "" && a != "file_upload" {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: action %q is not supported; only file_upload is.", a))
		return
	}
	httpError(w, http.StatusBadRequest, "Bad request: the upload has no file (form field 'content').")
}

func (u *uploader) authFail(w http.ResponseWriter, r *http.Request, id *Identity, filename string, err error) {
	var ae *AuthError
	if !errors.As(err, &ae) {
		u.s.fail(w, r, err, "")
		return
	}
	u.s.opts.Gate.Refused(r.Context(), id, u.hosted.Name(), filename, ae.Msg, r.RemoteAddr)
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="sluice"`)
	}
	httpError(w, ae.Status, ae.Msg)
}

func (u *uploader) publish(w http.ResponseWriter, r *http.Request, id Identity, form map[string]string, part io.Reader) {
	if a := form[":action"]; a != "file_upload" {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: action %q is not supported; send :action=file_upload before the file.", a))
		return
	}
	type named interface{ FileName() string }
	filename := ""
	if p, ok := part.(named); ok {
		filename = p.FileName()
	}
	if filename == "" || strings.ContainsAny(filename, "/\\") {
		httpError(w, http.StatusBadRequest, "Bad request: the file part has no plain file name.")
		return
	}
	fn, err := pypi.ParseFilename(filename)
	if err != nil {
		u.s.opts.Gate.Refused(r.Context(), &id, u.hosted.Name(), filename, err.Error(), r.RemoteAddr)
		httpError(w, http.StatusBadRequest, "Bad request: "+err.Error())
		return
	}
	project := pypi.Normalize(fn.Project)
	// Package groups first: a blocked name is refused before the gate
	// claims it for a new owner.
	if ok, node, group := u.s.opts.Graph.CanPublish(u.hosted.Name(), project); !ok {
		u.authFail(w, r, &id, filename, &AuthError{Status: http.StatusForbidden,
			Msg: fmt.Sprintf("Forbidden: uploads of %q are blocked by package group %q of repository %q.", project, group, node)})
		return
	}
	if err := u.s.opts.Gate.AuthorizeUpload(r.Context(), id, u.hosted.Name(), project); err != nil {
		u.authFail(w, r, &id, filename, err)
		return
	}
	saved, err := u.hosted.Publish(r.Context(), repository.Upload{
		Filename:   filename,
		Content:    part,
		Uploader:   id.Kind + ":" + id.Name,
		SHA256:     form["sha256_digest"],
		MD5:        form["md5_digest"],
		Blake2b256: form["blake2_256_digest"],
		Name:       form["name"],
		Version:    form["version"],
	})
	var pe *repository.PublishError
	switch {
	case errors.As(err, &pe):
		u.s.opts.Gate.Refused(r.Context(), &id, u.hosted.Name(), filename, pe.Msg, r.RemoteAddr)
		code := map[repository.PublishErrorKind]int{
			repository.Invalid:  http.StatusBadRequest,
			repository.Exists:   http.StatusConflict,
			repository.Conflict: http.StatusConflict,
			repository.TooLarge: http.StatusRequestEntityTooLarge,
		}[pe.Kind]
		httpError(w, code, pe.Msg)
		return
	case err != nil:
		// still a refusal for the gate: it releases the claim on a new
		// project name and records the failure
		u.s.opts.Gate.Refused(r.Context(), &id, u.hosted.Name(), filename, "not stored: "+err.Error(), r.RemoteAddr)
		u.s.fail(w, r, err, "")
		return
	}
	u.s.opts.Gate.Published(r.Context(), id, saved, r.RemoteAddr)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "OK: %s stored in %s\n", saved.Filename, u.hosted.Name())
}
