package admin

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/auth"
	"github.com/sluice-pkg/sluice/internal/server"
)

// Handler is the JSON admin API, mounted at /api/admin/. Every request
// carries the same credentials as an upload (HTTP Basic, user __token__
// with an API token, or a bearer token). Routes, each taking an optional
// ?repository=NAME (default: the default hosted repository):
//
//	GET    /api/admin/projects/{project}/owners
//	POST   /api/admin/projects/{project}/owners              {"owner": "alice"}
//	DELETE /api/admin/projects/{project}/owners/{owner}
//	POST   /api/admin/projects/{project}/transfer            {"owners": ["bob"]}
//	POST   /api/admin/projects/{project}/releases/{version}/yank     {"reason": "..."}
//	POST   /api/admin/projects/{project}/releases/{version}/unyank
//	DELETE /api/admin/projects/{project}/releases/{version}
//	POST   /api/admin/projects/{project}/files/{filename}/yank       {"reason": "..."}
//	POST   /api/admin/projects/{project}/files/{filename}/unyank
//	DELETE /api/admin/projects/{project}/files/{filename}
//	GET    /api/admin/names
//	POST   /api/admin/names                                  {"patterns": ["acme-*"]}
//	DELETE /api/admin/names/{pattern}
//	GET    /api/admin/audit?project=P&limit=N
//
// Owners may act on their projects (admins on all); names and the audit
// trail are for admins. Errors are {"error": "one sentence"} with the
// status that fits.
type Handler struct {
	svc *Service
	log *slog.Logger
	mux *http.ServeMux
}

// NewHandler returns the API over svc.
func NewHandler(svc *Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: svc, log: log, mux: http.NewServeMux()}
	p := "/api/admin/projects/{project}"
	h.handle("GET "+p+"/owners", h.owners)
	h.handle("POST "+p+"/owners", h.addOwner)
	h.handle("DELETE "+p+"/owners/{owner...}", h.removeOwner)
	h.handle("POST "+p+"/transfer", h.transfer)
	for _, kind := range []string{"releases/{version}", "files/{filename}"} {
		h.handle("POST "+p+"/"+kind+"/yank", h.yank(true))
		h.handle("POST "+p+"/"+kind+"/unyank", h.yank(false))
		h.handle("DELETE "+p+"/"+kind, h.delete)
	}
	h.handle("GET /api/admin/names", h.names)
	h.handle("POST /api/admin/names", h.allowNames)
	h.handle("DELETE /api/admin/names/{pattern}", h.disallowName)
	h.handle("GET /api/admin/audit", h.auditTrail)
	h.policyRoutes()
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such admin API route: "+r.Method+" "+r.URL.Path)
	})
	return h
}

// call is what a route sees: the authenticated identity and the request.
type call struct {
	w  http.ResponseWriter
	r  *http.Request
	id server.Identity
}

func (h *Handler) handle(pattern string, fn func(c *call) (any, error)) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		id, err := h.svc.Gate.Authenticate(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v, err := fn(&call{w: w, r: r, id: id})
		if err != nil {
			var ae *server.AuthError
			if errors.As(err, &ae) && ae.Status == http.StatusForbidden {
				e := auth.ActorOf(id, r.RemoteAddr).Event(audit.AdminRefused)
				e.Project, e.Detail = r.PathValue("project"), r.Method+" "+r.URL.Path+": "+ae.Msg
				h.svc.Audit.Record(r.Context(), e)
			}
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *server.AuthError
	var e *Error
	switch {
	case errors.As(err, &ae):
		if ae.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="sluice"`)
		}
		writeError(w, ae.Status, ae.Msg)
	case errors.As(err, &e):
		writeError(w, e.Status, e.Msg)
	case errors.Is(err, errBadBody):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		h.log.Error("admin API error", "event", "admin.error", "method", r.Method, "path", r.URL.Path, "error", err.Error())
		writeError(w, http.StatusInternalServerError, "internal server error; the server log has the details")
	}
}

var errBadBody = errors.New("the request body is not the JSON this route takes")

func (c *call) decode(v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, 1<<20)).Decode(v); err != nil {
		return errBadBody
	}
	return nil
}

// project resolves the repository and project of a project route and
// authorises the caller for it.
func (h *Handler) project(c *call, changeOwners bool) (repo, project string, err error) {
	if repo, project, err = h.locate(c); err != nil {
		return "", "", err
	}
	return repo, project, h.svc.Gate.AuthorizeManage(c.r.Context(), c.id, repo, project, changeOwners)
}

// locate resolves the repository and project of a project route.
func (h *Handler) locate(c *call) (repo, project string, err error) {
	if repo, err = h.svc.Repository(c.r.URL.Query().Get("repository")); err != nil {
		return "", "", err
	}
	if project, err = Project(c.r.PathValue("project")); err != nil {
		return "", "", err
	}
	return repo, project, nil
}

func (c *call) actor() audit.Actor { return auth.ActorOf(c.id, c.r.RemoteAddr) }

type ownerJSON struct {
	Owner   string    `json:"owner"`
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

// owners answers any authenticated identity: who owns a project is who
// to ask for access.
func (h *Handler) owners(c *call) (any, error) {
	repo, project, err := h.locate(c)
	if err != nil {
		return nil, err
	}
	owners, err := h.svc.Owners(c.r.Context(), repo, project)
	if err != nil {
		return nil, err
	}
	out := make([]ownerJSON, len(owners))
	for i, o := range owners {
		out[i] = ownerJSON{o.Principal, o.AddedAt, o.AddedBy}
	}
	return map[string]any{"repository": repo, "project": project, "owners": out}, nil
}

func (h *Handler) addOwner(c *call) (any, error) {
	var body struct {
		Owner string `json:"owner"`
	}
	if err := c.decode(&body); err != nil {
		return nil, err
	}
	repo, project, err := h.project(c, true)
	if err != nil {
		return nil, err
	}
	if err := h.svc.AddOwner(c.r.Context(), c.actor(), repo, project, body.Owner); err != nil {
		return nil, err
	}
	return h.owners(c)
}

func (h *Handler) removeOwner(c *call) (any, error) {
	repo, project, err := h.project(c, true)
	if err != nil {
		return nil, err
	}
	if err := h.svc.RemoveOwner(c.r.Context(), c.actor(), repo, project, c.r.PathValue("owner"), c.id.Role == auth.RoleAdmin); err != nil {
		return nil, err
	}
	return h.owners(c)
}

func (h *Handler) transfer(c *call) (any, error) {
	var body struct {
		Owners []string `json:"owners"`
	}
	if err := c.decode(&body); err != nil {
		return nil, err
	}
	repo, project, err := h.project(c, true)
	if err != nil {
		return nil, err
	}
	if err := h.svc.Transfer(c.r.Context(), c.actor(), repo, project, body.Owners); err != nil {
		return nil, err
	}
	return h.owners(c)
}

func target(c *call) Target {
	return Target{Filename: c.r.PathValue("filename"), Version: c.r.PathValue("version")}
}

func (h *Handler) yank(yanked bool) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		var body struct {
			Reason string `json:"reason"`
		}
		if c.r.ContentLength != 0 {
			if err := c.decode(&body); err != nil {
				return nil, err
			}
		}
		repo, project, err := h.project(c, false)
		if err != nil {
			return nil, err
		}
		files, err := h.svc.Yank(c.r.Context(), c.actor(), repo, project, target(c), yanked, body.Reason)
		if err != nil {
			return nil, err
		}
		return map[string]any{"repository": repo, "project": project, "files": files, "yanked": yanked}, nil
	}
}

func (h *Handler) delete(c *call) (any, error) {
	repo, project, err := h.project(c, false)
	if err != nil {
		return nil, err
	}
	files, err := h.svc.Delete(c.r.Context(), c.actor(), repo, project, target(c))
	if err != nil {
		return nil, err
	}
	return map[string]any{"repository": repo, "project": project, "deleted": files}, nil
}

type allowanceJSON struct {
	Pattern string    `json:"pattern"`
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

func (h *Handler) names(c *call) (any, error) {
	if err := h.svc.Gate.AuthorizeAdmin(c.id); err != nil {
		return nil, err
	}
	list, err := h.svc.Allowances(c.r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]allowanceJSON, len(list))
	for i, a := range list {
		out[i] = allowanceJSON{a.Pattern, a.AddedAt, a.AddedBy}
	}
	return map[string]any{"allowances": out}, nil
}

func (h *Handler) allowNames(c *call) (any, error) {
	var body struct {
		Patterns []string `json:"patterns"`
	}
	if err := c.decode(&body); err != nil {
		return nil, err
	}
	if err := h.svc.Gate.AuthorizeAdmin(c.id); err != nil {
		return nil, err
	}
	if _, err := h.svc.AllowNames(c.r.Context(), c.actor(), body.Patterns); err != nil {
		return nil, err
	}
	return h.names(c)
}

func (h *Handler) disallowName(c *call) (any, error) {
	if err := h.svc.Gate.AuthorizeAdmin(c.id); err != nil {
		return nil, err
	}
	if err := h.svc.DisallowName(c.r.Context(), c.actor(), c.r.PathValue("pattern")); err != nil {
		return nil, err
	}
	return h.names(c)
}

func (h *Handler) auditTrail(c *call) (any, error) {
	if err := h.svc.Gate.AuthorizeAdmin(c.id); err != nil {
		return nil, err
	}
	limit := 100
	if s := c.r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			return nil, &Error{Status: http.StatusBadRequest, Msg: "limit must be a number from 1 to 10000"}
		}
		limit = n
	}
	events, err := h.svc.DB.AuditEvents(c.r.Context(), c.r.URL.Query().Get("project"), limit)
	if err != nil {
		return nil, err
	}
	out := make([]eventJSON, len(events))
	for i, e := range events {
		out[i] = eventJSON{e.ID, e.At, e.Event, e.Actor, e.ActorKind, e.Repository, e.Project, e.Version, e.Filename, e.Detail, e.Remote}
	}
	return map[string]any{"events": out}, nil
}

type eventJSON struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Event      string    `json:"event"`
	Actor      string    `json:"actor"`
	ActorKind  string    `json:"actor_kind"`
	Repository string    `json:"repository,omitempty"`
	Project    string    `json:"project,omitempty"`
	Version    string    `json:"version,omitempty"`
	Filename   string    `json:"filename,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	Remote     string    `json:"remote,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v) // an error means the client went away: nobody to tell
}
