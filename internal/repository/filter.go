package repository

import (
	"context"
	"fmt"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// FilterConfig is the configuration of a filter node.
type FilterConfig struct {
	Source string `yaml:"source"`
	// Allow, when set, makes the node a curated index: only projects that
	// match one of these patterns pass.
	Allow []string `yaml:"allow"`
	// Deny hides matching projects; deny wins over allow.
	Deny []string `yaml:"deny"`
}

// Filter hides whole projects of its source by name. A hidden project is
// not found: not listed, no page, no files.
type Filter struct {
	Source   Repository
	allow    []pattern
	hasAllow bool
	deny     []pattern
}

// NewFilter returns a filter over source; node names it in errors.
func NewFilter(node string, source Repository, c FilterConfig) (*Filter, error) {
	allow, err := compilePatterns(node, "allow", c.Allow)
	if err != nil {
		return nil, err
	}
	deny, err := compilePatterns(node, "deny", c.Deny)
	if err != nil {
		return nil, err
	}
	// "allow: []" is an index that serves nothing: surprising, but it
	// fails closed, so it is accepted.
	return &Filter{Source: source, allow: allow, hasAllow: c.Allow != nil, deny: deny}, nil
}

// decide says whether a project passes, and why.
func (f *Filter) decide(name string) (bool, string) {
	if p, ok := firstMatch(f.deny, name); ok {
		return false, fmt.Sprintf("denied by pattern %q", p)
	}
	if !f.hasAllow {
		return true, "not denied"
	}
	if p, ok := firstMatch(f.allow, name); ok {
		return true, fmt.Sprintf("allowed by pattern %q", p)
	}
	return false, "matches no allow pattern"
}

func (f *Filter) passes(name string) bool {
	ok, _ := f.decide(name)
	return ok
}

// Projects implements Repository.
func (f *Filter) Projects(ctx context.Context) ([]string, error) {
	names, err := f.Source.Projects(ctx)
	if err != nil {
		return nil, err
	}
	return filterProjects(names, f.passes), nil
}

// Project implements Repository.
func (f *Filter) Project(ctx context.Context, name string) (*simple.Project, error) {
	if !f.passes(name) {
		return nil, ErrNotFound
	}
	return f.Source.Project(ctx, name)
}

// Resource implements Repository.
func (f *Filter) Resource(ctx context.Context, project, name string) (*Resource, error) {
	if !f.passes(project) {
		return nil, ErrNotFound
	}
	return f.Source.Resource(ctx, project, name)
}
