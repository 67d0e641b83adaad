package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/repository"
)

// SnapshotPrefix starts the routes that serve an index as of an instant:
// /snapshot/<RFC 3339 instant><index path>.
const SnapshotPrefix = "/snapshot/"

// mountSnapshots serves ix as of any instant, reusing the index handlers
// over a snapshot of the index's repository. Files whose upload time is
// unknown are left out: they cannot be shown to have existed then.
func (s *Server) mountSnapshots(ix *index) {
	p := strings.TrimPrefix(ix.cfg.Path, "/")
	at := func(w http.ResponseWriter, r *http.Request) (*index, bool) {
		raw := r.PathValue("at")
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			httpError(w, http.StatusNotFound, fmt.Sprintf("Not found: %q is not an RFC 3339 instant (for example 2025-06-01T00:00:00Z).", raw))
			return nil, false
		}
		snap := *ix
		snap.cfg.Path = SnapshotPrefix + raw + "/" + p
		snap.repo = repository.SnapshotAt(ix.repo, t, false)
		return &snap, true
	}
	base := "GET " + SnapshotPrefix + "{at}/" + p
	s.mux.HandleFunc(base+"{$}", func(w http.ResponseWriter, r *http.Request) {
		if six, ok := at(w, r); ok {
			s.serveRoot(w, r, six)
		}
	})
	s.mux.HandleFunc(base+"{project}", func(w http.ResponseWriter, r *http.Request) {
		if six, ok := at(w, r); ok {
			s.redirectProject(w, r, six, r.PathValue("project"))
		}
	})
	s.mux.HandleFunc(base+"{project}/{$}", func(w http.ResponseWriter, r *http.Request) {
		if six, ok := at(w, r); ok {
			s.serveProject(w, r, six, r.PathValue("project"))
		}
	})
	s.mux.HandleFunc(base+"{project}/{file}", func(w http.ResponseWriter, r *http.Request) {
		if six, ok := at(w, r); ok {
			s.serveFile(w, r, six, r.PathValue("project"), r.PathValue("file"))
		}
	})
}
