package repository

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// The actions a Decision reports.
const (
	ActionKept    = "kept"
	ActionHid     = "hid"
	ActionYanked  = "yanked"
	ActionRefused = "refused"
	ActionServed  = "served"
	ActionSkipped = "skipped"
)

// Decision is one thing a component did to a project or one of its files.
type Decision struct {
	// File is the file name, or "" when the decision is about the whole
	// project (or a whole source).
	File string
	// Source, when not 0, is the 1-based position of the source the
	// decision is about, in the node's configured order.
	Source int
	Action string
	Reason string
}

// Explainer is implemented by components that change what their sources
// say: Explain reports, for a project, what the component does and why.
// It computes the decisions with the same code that serves requests, so
// that the explanation cannot drift from the behaviour.
type Explainer interface {
	Explain(ctx context.Context, project string) ([]Decision, error)
}

// Explain describes, as indented text, the path a request for project takes
// through the graph from the named node: every node visited with what it
// decided, then the files the node serves. When file is not "", only the
// decisions about that file (and about the whole project) are shown.
func (g *Graph) Explain(ctx context.Context, root, project, file string) (string, error) {
	if _, ok := g.nodes[root]; !ok {
		return "", fmt.Errorf("repository %q is not defined", root)
	}
	var b strings.Builder
	var walk func(name, indent string)
	walk = func(name, indent string) {
		r := g.nodes[name]
		n, _ := g.cfg.Node(name)
		page, err := r.Project(ctx, project)
		fmt.Fprintf(&b, "%s%s (%s): %s\n", indent, name, n.Type, pageSummary(page, err, file))
		if ex, ok := r.(Explainer); ok {
			ds, err := ex.Explain(ctx, project)
			if err != nil && !errors.Is(err, ErrNotFound) {
				fmt.Fprintf(&b, "%s  ! %v\n", indent, err)
			}
			for _, d := range ds {
				if file != "" && d.File != "" && d.File != file {
					continue
				}
				subject := "project"
				if d.File != "" {
					subject = d.File
				}
				if d.Source > 0 && d.Source <= len(g.edges[name]) {
					subject = "source " + g.edges[name][d.Source-1]
				}
				fmt.Fprintf(&b, "%s  - %s %s: %s\n", indent, d.Action, subject, d.Reason)
			}
		}
		for _, src := range g.edges[name] {
			walk(src, indent+"    ")
		}
	}
	walk(root, "")
	return b.String(), nil
}

// pageSummary says what a node answers for the project (or one file).
func pageSummary(page *simple.Project, err error, file string) string {
	switch {
	case errors.Is(err, ErrNotFound):
		return "not found"
	case err != nil:
		return "error: " + err.Error()
	case file != "":
		f := page.Find(file)
		switch {
		case f == nil:
			return fmt.Sprintf("%d files; %s is not among them", len(page.Files), file)
		case f.Yanked:
			return fmt.Sprintf("serves %s, yanked: %q", file, f.YankedReason)
		}
		return "serves " + file
	}
	yanked := 0
	for _, f := range page.Files {
		if f.Yanked {
			yanked++
		}
	}
	s := fmt.Sprintf("%d files", len(page.Files))
	if yanked > 0 {
		s += fmt.Sprintf(" (%d yanked)", yanked)
	}
	if len(page.Files) > 0 {
		vs := slices.Clone(page.Versions)
		if len(vs) > 5 {
			vs = append([]string{"..."}, vs[len(vs)-5:]...)
		}
		if len(vs) > 0 {
			s += ", versions " + strings.Join(vs, " ")
		}
	}
	return s
}

// Explain implements Explainer.
func (p *Priority) Explain(ctx context.Context, project string) ([]Decision, error) {
	var out []Decision
	owner := 0
	for i, s := range p.Sources {
		if owner > 0 {
			out = append(out, Decision{Source: i + 1, Action: ActionSkipped, Reason: fmt.Sprintf("the project is served by source %d, the first that has it", owner)})
			continue
		}
		_, err := s.Project(ctx, project)
		switch {
		case errors.Is(err, ErrNotFound):
			out = append(out, Decision{Source: i + 1, Action: ActionSkipped, Reason: "does not have the project"})
		case err != nil:
			out = append(out, Decision{Source: i + 1, Action: ActionRefused, Reason: "failed, and a failure never falls through to later sources: " + err.Error()})
			return out, nil
		default:
			owner = i + 1
			out = append(out, Decision{Source: i + 1, Action: ActionServed, Reason: "first source that has the project: it serves all of it"})
		}
	}
	return out, nil
}

// Explain implements Explainer.
func (m *Merge) Explain(ctx context.Context, project string) ([]Decision, error) {
	var out []Decision
	seen := map[string]int{}
	for i, s := range m.Sources {
		page, err := s.Project(ctx, project)
		switch {
		case errors.Is(err, ErrNotFound):
			out = append(out, Decision{Source: i + 1, Action: ActionSkipped, Reason: "does not have the project"})
			continue
		case err != nil:
			out = append(out, Decision{Source: i + 1, Action: ActionRefused, Reason: "failed, so the merged page fails: " + err.Error()})
			return out, nil
		}
		out = append(out, Decision{Source: i + 1, Action: ActionServed, Reason: fmt.Sprintf("contributes its %d files to the union", len(page.Files))})
		for _, f := range page.Files {
			if first, ok := seen[f.Filename]; ok {
				out = append(out, Decision{File: f.Filename, Action: ActionHid, Reason: fmt.Sprintf("source %d's copy; source %d's file of the same name wins", i+1, first)})
				continue
			}
			seen[f.Filename] = i + 1
		}
	}
	return out, nil
}

// Explain implements Explainer.
func (f *Filter) Explain(ctx context.Context, project string) ([]Decision, error) {
	ok, why := f.decide(project)
	if !ok {
		return []Decision{{Action: ActionHid, Reason: why + ": the project is not found on this node"}}, nil
	}
	return []Decision{{Action: ActionKept, Reason: why}}, nil
}
