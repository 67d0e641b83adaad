package repository

import (
	"context"
	"errors"
	"slices"

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
	var locations []string // PEP 708: where the contributing sources say the project lives
	contributing := 0
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
		contributing++
		for _, l := range slices.Concat(page.Tracks, page.AlternateLocations) {
			if !slices.Contains(locations, l) {
				locations = append(locations, l)
			}
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
	// The merged page is the same project as each source's (PEP 708):
	// say so only when it really is made of several sources.
	if contributing > 1 {
		out.AlternateLocations = locations
	}
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
