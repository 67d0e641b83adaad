package repository

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// GroupsConfig is the configuration of a groups node: package groups in
// the manner of AWS CodeArtifact, over sources that have roles.
type GroupsConfig struct {
	// Hosted sources hold in-house packages; uploads to them are governed
	// by the groups' publish setting. They are always served first.
	Hosted []string `yaml:"hosted"`
	// Internal upstreams (another team's index, a vetted mirror) come
	// next, then external (public) ones.
	Internal []string      `yaml:"internal"`
	External []string      `yaml:"external"`
	Groups   []GroupConfig `yaml:"groups"`
}

// GroupConfig defines one group.
type GroupConfig struct {
	// Pattern is "*" (the root group), a prefix ending in "*" such as
	// "acme-*", or an exact project name.
	Pattern string `yaml:"pattern"`
	// Each setting is "allow", "block", or unset to inherit from the
	// next less specific group (and "allow" at the root).
	Publish          string `yaml:"publish"`
	InternalUpstream string `yaml:"internal_upstream"`
	ExternalUpstream string `yaml:"external_upstream"`
}

type groupDef struct {
	pattern                     string // normalised
	prefix                      bool   // pattern is prefix + "*"
	publish, internal, external string
}

func (gr *groupDef) match(name string) bool {
	if gr.prefix {
		return strings.HasPrefix(name, strings.TrimSuffix(gr.pattern, "*"))
	}
	return gr.pattern == name
}

// Groups serves each project like a priority node over its hosted, then
// internal, then external sources, skipping the kinds of upstream the
// project's group blocks: with "acme-*" blocking external upstreams, no
// public project named acme-anything is ever served, even before the first
// in-house upload.
type Groups struct {
	hosted, internal, external []Repository
	// hostedNames are the names of the hosted sources, for upload checks.
	hostedNames []string
	// groups, most specific first: exact names, then longer prefixes.
	groups []groupDef
}

// NewGroups builds a groups node; source resolves source names.
func NewGroups(node string, c GroupsConfig, source func(string) (Repository, error)) (*Groups, error) {
	g := &Groups{hostedNames: c.Hosted}
	if len(c.Hosted)+len(c.Internal)+len(c.External) == 0 {
		return nil, fmt.Errorf("repositories.%s: a groups repository needs sources in 'hosted', 'internal' or 'external'", node)
	}
	for _, role := range []struct {
		names []string
		into  *[]Repository
	}{{c.Hosted, &g.hosted}, {c.Internal, &g.internal}, {c.External, &g.external}} {
		for _, n := range role.names {
			r, err := source(n)
			if err != nil {
				return nil, err
			}
			*role.into = append(*role.into, r)
		}
	}
	seen := map[string]bool{}
	for i, gc := range c.Groups {
		where := fmt.Sprintf("repositories.%s: groups[%d]", node, i)
		p, err := compilePattern(gc.Pattern)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		gr := groupDef{pattern: string(p), publish: gc.Publish, internal: gc.InternalUpstream, external: gc.ExternalUpstream}
		if body, ok := strings.CutSuffix(gr.pattern, "*"); ok {
			gr.prefix = true
			if strings.ContainsAny(body, `*?[\`) {
				return nil, fmt.Errorf("%s: pattern %q: only an exact name or a prefix ending in '*' is allowed", where, gc.Pattern)
			}
		} else if p.isGlob() {
			return nil, fmt.Errorf("%s: pattern %q: only an exact name or a prefix ending in '*' is allowed", where, gc.Pattern)
		}
		if seen[gr.pattern] {
			return nil, fmt.Errorf("%s: pattern %q is defined twice", where, gc.Pattern)
		}
		seen[gr.pattern] = true
		for key, v := range map[string]string{"publish": gr.publish, "internal_upstream": gr.internal, "external_upstream": gr.external} {
			if v != "" && v != "allow" && v != "block" {
				return nil, fmt.Errorf("%s: %s: %q is neither \"allow\" nor \"block\"", where, key, v)
			}
		}
		g.groups = append(g.groups, gr)
	}
	slices.SortFunc(g.groups, func(a, b groupDef) int {
		if a.prefix != b.prefix {
			if a.prefix {
				return 1
			}
			return -1
		}
		return cmp.Compare(len(b.pattern), len(a.pattern))
	})
	return g, nil
}

// setting resolves one setting for a project: the most specific group that
// sets it decides. It returns the value, the project's own group (its most
// specific one, "*" when none matches) and the group the value comes from.
func (g *Groups) setting(project string, get func(*groupDef) string) (allow bool, own, from string) {
	own, from = "*", "*"
	first := true
	for i := range g.groups {
		gr := &g.groups[i]
		if !gr.match(project) {
			continue
		}
		if first {
			own, first = gr.pattern, false
		}
		if v := get(gr); v != "" {
			return v == "allow", own, gr.pattern
		}
	}
	return true, own, from
}

// CanPublish reports whether uploads of project are allowed, and the
// project's group, which a refusal must name.
func (g *Groups) CanPublish(project string) (ok bool, group string) {
	ok, own, _ := g.setting(project, func(gr *groupDef) string { return gr.publish })
	return ok, own
}

func (g *Groups) upstreamAllowed(project string, internal bool) (bool, string) {
	get, kind := func(gr *groupDef) string { return gr.external }, "external"
	if internal {
		get, kind = func(gr *groupDef) string { return gr.internal }, "internal"
	}
	ok, own, from := g.setting(project, get)
	verb := "allows"
	if !ok {
		verb = "blocks"
	}
	why := fmt.Sprintf("group %q %s %s upstreams", own, verb, kind)
	if from != own {
		why += fmt.Sprintf(" (inherited from group %q)", from)
	}
	return ok, why
}

// sources lists the sources consulted for a project, in order, with the
// reasons the skipped ones are skipped.
func (g *Groups) sources(project string) (use []Repository, skipped map[int]string) {
	skipped = map[int]string{}
	use = append(use, g.hosted...)
	n := len(g.hosted)
	for _, role := range []struct {
		srcs     []Repository
		internal bool
	}{{g.internal, true}, {g.external, false}} {
		ok, why := g.upstreamAllowed(project, role.internal)
		for _, s := range role.srcs {
			n++
			if ok {
				use = append(use, s)
			} else {
				skipped[n] = why
			}
		}
	}
	return use, skipped
}

// Projects implements Repository. Blocked upstream projects are left out.
func (g *Groups) Projects(ctx context.Context) ([]string, error) {
	out, err := unionProjects(ctx, g.hosted)
	if err != nil {
		return nil, err
	}
	for _, role := range []struct {
		srcs     []Repository
		internal bool
	}{{g.internal, true}, {g.external, false}} {
		for _, s := range role.srcs {
			names, err := s.Projects(ctx)
			if err != nil {
				return nil, err
			}
			names = filterProjects(names, func(n string) bool {
				ok, _ := g.upstreamAllowed(n, role.internal)
				return ok
			})
			out = mergeSorted(out, names)
		}
	}
	return out, nil
}

// Project implements Repository.
func (g *Groups) Project(ctx context.Context, name string) (*simple.Project, error) {
	use, _ := g.sources(name)
	return (&Priority{Sources: use}).Project(ctx, name)
}

// Resource implements Repository.
func (g *Groups) Resource(ctx context.Context, project, name string) (*Resource, error) {
	use, _ := g.sources(project)
	return (&Priority{Sources: use}).Resource(ctx, project, name)
}

// Explain implements Explainer.
func (g *Groups) Explain(ctx context.Context, project string) ([]Decision, error) {
	_, skipped := g.sources(project)
	all := slices.Concat(g.hosted, g.internal, g.external)
	var out []Decision
	owner := 0
	for i, s := range all {
		pos := i + 1
		if why, ok := skipped[pos]; ok {
			out = append(out, Decision{Source: pos, Action: ActionRefused, Reason: why})
			continue
		}
		if owner > 0 {
			out = append(out, Decision{Source: pos, Action: ActionSkipped, Reason: fmt.Sprintf("the project is served by source %d, the first allowed source that has it", owner)})
			continue
		}
		_, err := s.Project(ctx, project)
		switch {
		case errors.Is(err, ErrNotFound):
			out = append(out, Decision{Source: pos, Action: ActionSkipped, Reason: "does not have the project"})
		case err != nil:
			out = append(out, Decision{Source: pos, Action: ActionRefused, Reason: "failed, and a failure never falls through: " + err.Error()})
			return out, nil
		default:
			owner = pos
			out = append(out, Decision{Source: pos, Action: ActionServed, Reason: "first allowed source that has the project: it serves all of it"})
		}
	}
	if ok, grp := g.CanPublish(project); !ok {
		out = append(out, Decision{Action: ActionRefused, Reason: fmt.Sprintf("uploads refused: group %q blocks publishing", grp)})
	}
	return out, nil
}
