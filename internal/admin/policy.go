package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/auth"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/store"
)

// Routes of the policy controls, for admins:
//
//	GET    /api/admin/yank-overrides
//	POST   /api/admin/yank-overrides        {"project": "glob", "version": "spec", "file": "glob", "reason": "..."}
//	DELETE /api/admin/yank-overrides/{id}
//	GET    /api/admin/explain?index=/simple/&project=P[&file=F]
func (h *Handler) policyRoutes() {
	h.handle("GET /api/admin/yank-overrides", h.yankOverrides)
	h.handle("POST /api/admin/yank-overrides", h.setYankOverride)
	h.handle("DELETE /api/admin/yank-overrides/{id}", h.clearYankOverride)
	h.handle("GET /api/admin/explain", h.explain)
}

type yankOverrideJSON struct {
	ID        int64     `json:"id"`
	Project   string    `json:"project"`
	Version   string    `json:"version,omitempty"`
	File      string    `json:"file,omitempty"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func overrideJSON(o store.YankOverride) yankOverrideJSON {
	return yankOverrideJSON{o.ID, o.Project, o.Version, o.File, o.Reason, o.CreatedBy, o.CreatedAt}
}

func (h *Handler) yankOverrides(c *call) (any, error) {
	if err := h.svc.Gate.AuthorizeAdmin(c.id); err != nil {
		return nil, err
	}
	rows, err := h.svc.DB.YankOverrides(c.r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]yankOverrideJSON, len(rows))
	for i, o := range rows {
		out[i] = overrideJSON(o)
	}
	return map[string]any{"yank_overrides": out}, nil
}

func (h *Handler) setYankOverride(c *call) (any, error) {
	if err := h.svc.Gate.AuthorizeAdmin(c.id); err != nil {
		return nil, err
	}
	var in struct {
		Project string `json:"project"`
		Version string `json:"version"`
		File    string `json:"file"`
		Reason  string `json:"reason"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return nil, &Error{Status: http.StatusBadRequest, Msg: "a reason is required: pip shows it to whoever pinned the file"}
	}
	if err := repository.CompileYankRule(in.Project, in.Version, in.File); err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	actor := auth.ActorOf(c.id, c.r.RemoteAddr)
	o, err := h.svc.DB.AddYankOverride(c.r.Context(), store.YankOverride{
		Project: in.Project, Version: in.Version, File: in.File, Reason: in.Reason,
		CreatedBy: actor.Name, CreatedAt: h.svc.now().UTC(),
	})
	if err != nil {
		return nil, err
	}
	e := actor.Event(audit.YankOverrideSet)
	e.Project, e.Version, e.Filename, e.Detail = o.Project, o.Version, o.File, fmt.Sprintf("override #%d: %s", o.ID, o.Reason)
	h.svc.Audit.Record(c.r.Context(), e)
	return overrideJSON(o), nil
}

func (h *Handler) clearYankOverride(c *call) (any, error) {
	if err := h.svc.Gate.AuthorizeAdmin(c.id); err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("%q is not an override id", c.r.PathValue("id"))}
	}
	o, err := h.svc.DB.DeleteYankOverride(c.r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("there is no yank override #%d", id)}
	}
	if err != nil {
		return nil, err
	}
	e := auth.ActorOf(c.id, c.r.RemoteAddr).Event(audit.YankOverrideCleared)
	e.Project, e.Version, e.Filename, e.Detail = o.Project, o.Version, o.File, fmt.Sprintf("override #%d: %s", o.ID, o.Reason)
	h.svc.Audit.Record(c.r.Context(), e)
	return overrideJSON(o), nil
}

func (h *Handler) explain(c *call) (any, error) {
	if err := h.svc.Gate.AuthorizeAdmin(c.id); err != nil {
		return nil, err
	}
	if h.svc.Explain == nil {
		return nil, &Error{Status: http.StatusNotFound, Msg: "explain is not available on this server"}
	}
	q := c.r.URL.Query()
	project := q.Get("project")
	if !pypi.ValidName(project) {
		return nil, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("%q is not a valid project name", project)}
	}
	text, err := h.svc.Explain(c.r.Context(), q.Get("index"), pypi.Normalize(project), q.Get("file"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"explain": text}, nil
}
