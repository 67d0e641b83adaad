package repository

import (
	"context"
	"errors"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// Priority serves each project from the first source that has it, whatever
// the later sources have: an in-house project hides every public file of the
// same name, which closes the dependency-confusion hole.
//
// Any error other than "not found" from an earlier source fails the request
// instead of falling through: a hosted database hiccup must never let a
// public project of an in-house name through.
type Priority struct {
	Sources []Repository
}

// Projects implements Repository: the union of the sources' names.
func (p *Priority) Projects(ctx context.Context) ([]string, error) {
	return unionProjects(ctx, p.Sources)
}

// owner returns the first source that has the project, and its page.
func (p *Priority) owner(ctx context.Context, name string) (Repository, *simple.Project, error) {
	for _, s := range p.Sources {
		page, err := s.Project(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		return s, page, nil
	}
	return nil, nil, ErrNotFound
}

// Project implements Repository.
func (p *Priority) Project(ctx context.Context, name string) (*simple.Project, error) {
	_, page, err := p.owner(ctx, name)
	return page, err
}

// Resource implements Repository: only the owning source is asked.
func (p *Priority) Resource(ctx context.Context, project, name string) (*Resource, error) {
	s, _, err := p.owner(ctx, project)
	if err != nil {
		return nil, err
	}
	return s.Resource(ctx, project, name)
}

// unionProjects merges the sorted name lists of several sources.
func unionProjects(ctx context.Context, sources []Repository) ([]string, error) {
	var out []string
	for i, s := range sources {
		names, err := s.Projects(ctx)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			out = names
			continue
		}
		out = mergeSorted(out, names)
	}
	return out, nil
}

// mergeSorted merges two sorted, duplicate-free lists into one.
func mergeSorted(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
