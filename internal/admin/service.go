// Package admin changes hosted projects after the fact: yanking and
// un-yanking (PEP 592), deleting files and releases, managing owners, and
// the name allowances of the name-collision guard. Service holds the
// operations, shared by the command line (which acts with an operator's
// authority) and Handler, the JSON API at /api/admin/ (which authorises
// every call through the auth Gate first).
package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/auth"
	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/nameguard"
	"github.com/sluice-pkg/sluice/internal/pep440"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/store"
)

// Service performs administrative operations and audits each change.
type Service struct {
	DB    *store.DB
	Blobs blob.Store
	Gate  *auth.Gate
	Audit *audit.Recorder
	// Hosted resolves a hosted repository by name, "" meaning the
	// default one (app.App.UploadRepository).
	Hosted func(name string) (*repository.Hosted, error)
	// BlobLocks, shared with the hosted repositories' publishing, keeps a
	// delete from removing a blob a concurrent upload is about to refer to.
	BlobLocks *blob.Locks
	// Explain describes how the graph treats a project (and file) on an
	// index: `sluice explain` over HTTP. Nil disables the route.
	Explain func(ctx context.Context, index, project, file string) (string, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Error is a refused operation: an HTTP status for the API and one
// sentence for everyone.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func errorf(status int, format string, args ...any) error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Target names what an operation acts on: one file, or every file of one
// release.
type Target struct {
	Filename string
	Version  string
}

func (t Target) String() string {
	if t.Filename != "" {
		return t.Filename
	}
	return "version " + t.Version
}

// ParseTarget reads a command-line argument that is either a distribution
// file name or a version.
func ParseTarget(s string) Target {
	if _, err := pypi.ParseFilename(s); err == nil {
		return Target{Filename: s}
	}
	return Target{Version: s}
}

// Repository returns the name of the hosted repository name designates.
func (s *Service) Repository(name string) (string, error) {
	h, err := s.Hosted(name)
	if err != nil {
		return "", errorf(http.StatusNotFound, "%v", err)
	}
	return h.Name(), nil
}

// Project checks a project name and returns its normal form.
func Project(name string) (string, error) {
	if !pypi.ValidName(name) {
		return "", errorf(http.StatusBadRequest, "%q is not a valid project name", name)
	}
	return pypi.Normalize(name), nil
}

// files returns the files of a project a target designates, or an error
// naming what is missing.
func (s *Service) files(ctx context.Context, repo, project string, t Target) ([]store.File, error) {
	if t.Filename != "" {
		f, err := s.DB.FileByName(ctx, repo, t.Filename)
		if errors.Is(err, store.ErrNotFound) || (err == nil && f.Project != project) {
			return nil, errorf(http.StatusNotFound, "%s is not a file of project '%s' in repository %s", t.Filename, project, repo)
		}
		if err != nil {
			return nil, err
		}
		return []store.File{f}, nil
	}
	v, err := pep440.Parse(t.Version)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%q is neither a distribution file name nor a valid version", t.Version)
	}
	all, err := s.DB.ProjectFiles(ctx, repo, project)
	if err != nil {
		return nil, err
	}
	var out []store.File
	for _, f := range all {
		if w, err := pep440.Parse(f.Version); err == nil && pep440.Compare(v, w) == 0 {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, errorf(http.StatusNotFound, "project '%s' has no files of version %s in repository %s", project, t.Version, repo)
	}
	return out, nil
}

// Yank yanks (or, with yanked false, un-yanks) a file or a release, and
// returns the names of the files changed. The pages of every index show
// it at once: they are built from these rows.
func (s *Service) Yank(ctx context.Context, by audit.Actor, repo, project string, t Target, yanked bool, reason string) ([]string, error) {
	files, err := s.files(ctx, repo, project, t)
	if err != nil {
		return nil, err
	}
	event := audit.FileYanked
	if !yanked {
		event, reason = audit.FileUnyanked, ""
	}
	var names []string
	for _, f := range files {
		if err := s.DB.SetYanked(ctx, repo, f.Filename, yanked, reason); err != nil {
			return names, fmt.Errorf("yanking %s: %w", f.Filename, err)
		}
		names = append(names, f.Filename)
		e := by.Event(event)
		e.Repository, e.Project, e.Version, e.Filename, e.Detail = repo, project, f.Version, f.Filename, reason
		s.Audit.Record(ctx, e)
	}
	return names, nil
}

// Delete removes a file or a release: the rows first, so that nothing
// lists the files any more, then the blobs no other row refers to. The
// project's own record, and its owners, stay: its name remains in-house.
func (s *Service) Delete(ctx context.Context, by audit.Actor, repo, project string, t Target) ([]string, error) {
	files, err := s.files(ctx, repo, project, t)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		row, err := s.DB.DeleteFile(ctx, repo, f.Filename)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return names, fmt.Errorf("deleting %s: %w", f.Filename, err)
		}
		names = append(names, f.Filename)
		e := by.Event(audit.FileDeleted)
		e.Repository, e.Project, e.Version, e.Filename, e.Detail = repo, project, row.Version, row.Filename, "sha256 "+row.SHA256
		s.Audit.Record(ctx, e)
		for _, d := range []string{row.SHA256, row.MetadataSHA256} {
			if d == "" {
				continue
			}
			// A blob left behind by a failure here is garbage, not an
			// inconsistency: no row refers to it.
			if err := s.deleteUnreferenced(ctx, d); err != nil {
				return names, fmt.Errorf("deleting the blob of %s: %w", f.Filename, err)
			}
		}
	}
	return names, nil
}

// Owners lists a project's owners.
func (s *Service) Owners(ctx context.Context, repo, project string) ([]store.Owner, error) {
	if err := s.known(ctx, repo, project); err != nil {
		return nil, err
	}
	return s.DB.Owners(ctx, repo, project)
}

// known refuses projects the hosted repository never had.
func (s *Service) known(ctx context.Context, repo, project string) error {
	ok, err := s.DB.ProjectExists(ctx, repo, project)
	if err != nil {
		return err
	}
	if !ok {
		return errorf(http.StatusNotFound, "there is no project '%s' in repository %s", project, repo)
	}
	return nil
}

// AddOwner makes principal (an account name, gitlab:<path> or
// oidc:<publisher>) an owner of an existing project.
func (s *Service) AddOwner(ctx context.Context, by audit.Actor, repo, project, principal string) error {
	if err := s.known(ctx, repo, project); err != nil {
		return err
	}
	if err := s.Gate.CheckPrincipal(ctx, principal); err != nil {
		return &Error{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	added, err := s.DB.AddOwner(ctx, repo, project, principal, by.Name, s.now())
	if err != nil {
		return err
	}
	if !added {
		return nil
	}
	e := by.Event(audit.OwnerAdded)
	e.Repository, e.Project, e.Detail = repo, project, principal
	s.Audit.Record(ctx, e)
	return nil
}

// RemoveOwner removes an owner. Only an admin (allowLast) may remove the
// last one, leaving the project to admins until they assign another.
func (s *Service) RemoveOwner(ctx context.Context, by audit.Actor, repo, project, principal string, allowLast bool) error {
	err := s.DB.RemoveOwner(ctx, repo, project, principal, allowLast)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "%s is not an owner of '%s'", principal, project)
	case errors.Is(err, store.ErrLastOwner):
		return errorf(http.StatusConflict, "%s is the last owner of '%s'; add another owner first, or ask an admin to transfer the project", principal, project)
	case err != nil:
		return err
	}
	e := by.Event(audit.OwnerRemoved)
	e.Repository, e.Project, e.Detail = repo, project, principal
	s.Audit.Record(ctx, e)
	return nil
}

// Transfer makes principals the project's only owners.
func (s *Service) Transfer(ctx context.Context, by audit.Actor, repo, project string, principals []string) error {
	if err := s.known(ctx, repo, project); err != nil {
		return err
	}
	if len(principals) == 0 {
		return errorf(http.StatusBadRequest, "name at least one new owner of '%s'", project)
	}
	for _, p := range principals {
		if err := s.Gate.CheckPrincipal(ctx, p); err != nil {
			return &Error{Status: http.StatusBadRequest, Msg: err.Error()}
		}
	}
	old, err := s.DB.ReplaceOwners(ctx, repo, project, principals, by.Name, s.now())
	if err != nil {
		return err
	}
	e := by.Event(audit.ProjectTransferred)
	e.Repository, e.Project = repo, project
	e.Detail = fmt.Sprintf("owners %s -> %s", cmp.Or(strings.Join(old, ", "), "(none)"), strings.Join(principals, ", "))
	s.Audit.Record(ctx, e)
	return nil
}

// AllowNames records name allowances and returns them normalised. Every
// pattern is checked before any is recorded.
func (s *Service) AllowNames(ctx context.Context, by audit.Actor, patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		return nil, errorf(http.StatusBadRequest, "name at least one project name or pattern to allow")
	}
	var norm []string
	for _, p := range patterns {
		n, err := nameguard.NormalizePattern(p)
		if err != nil {
			return nil, &Error{Status: http.StatusBadRequest, Msg: err.Error()}
		}
		if !slices.Contains(norm, n) {
			norm = append(norm, n)
		}
	}
	for _, n := range norm {
		added, err := s.DB.AddNameAllowance(ctx, n, by.Name, s.now())
		if err != nil {
			return nil, err
		}
		if added {
			e := by.Event(audit.NameAllowed)
			e.Detail = n
			s.Audit.Record(ctx, e)
		}
	}
	return norm, nil
}

// DisallowName removes an allowance. Projects created under it stay.
func (s *Service) DisallowName(ctx context.Context, by audit.Actor, pattern string) error {
	n, err := nameguard.NormalizePattern(pattern)
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	if err := s.DB.RemoveNameAllowance(ctx, n); errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "%s is not an allowed name pattern", n)
	} else if err != nil {
		return err
	}
	e := by.Event(audit.NameDisallowed)
	e.Detail = n
	s.Audit.Record(ctx, e)
	return nil
}

// Allowances lists the name allowances.
func (s *Service) Allowances(ctx context.Context) ([]store.NameAllowance, error) {
	return s.DB.NameAllowances(ctx)
}

// deleteUnreferenced removes a blob that no row refers to, holding its
// lock so that a concurrent publish cannot start referring to it between the
// check and the removal.
func (s *Service) deleteUnreferenced(ctx context.Context, digest string) error {
	defer s.BlobLocks.Lock(digest)()
	if inUse, err := s.DB.BlobInUse(ctx, digest); err != nil || inUse {
		return nil
	}
	return s.Blobs.Delete(ctx, digest)
}
