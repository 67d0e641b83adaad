package repository

import (
	"context"
	"errors"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// Merge serves the union of its sources' files for every project; for a
// file name that several sources have, the first source's file wins.
//
// Merge reopens the dependency-confusion hole that Priority closes: a public
// project that reuses an in-house name at a higher version is offered to
// pip. Use it only over sources that are all trusted (for example two
// in-house repositories), or behind a filter; docs/configuration.md says so.
type Merge struct {
	Sources []Repository
}

// Projects implements Repository.
func (m *Merge) Projects(ctx context.Context) ([]string, error) {
	return unionProjects(ctx, m.Sources)
}

// Project implements Repository.
func (m *Merge) Project(ctx context.Context, name string) (*simple.Project, error) {
	var out *simple.Project
	seen := map[string]bool{}
	versions := map[string]bool{}
	for _, s := range m.Sources {
		page, err := s.Project(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &simple.Project{Name: page.Name}
		}
		for _, f := range page.Files {
			if !seen[f.Filename] {
				seen[f.Filename] = true
				out.Files = append(out.Files, f)
			}
		}
		for _, v := range page.Versions {
			if !versions[v] {
				versions[v] = true
				out.Versions = append(out.Versions, v)
			}
		}
	}
	if out == nil {
		return nil, ErrNotFound
	}
	sortVersions(out.Versions)
	return out, nil
}

// Resource implements Repository: the first source whose page lists the
// file serves it, as on the merged page.
func (m *Merge) Resource(ctx context.Context, project, name string) (*Resource, error) {
	file, _ := SplitMetadata(name)
	for _, s := range m.Sources {
		page, err := s.Project(ctx, project)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if page.Find(file) != nil {
			return s.Resource(ctx, project, name)
		}
	}
	return nil, ErrNotFound
}
