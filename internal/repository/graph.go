package repository

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/config"
)

// Deps are the shared parts components are built with.
type Deps struct {
	Meta Metadata
	// BlobLocks is shared with the blob deletes of the same process.
	BlobLocks *blob.Locks
	Extracted ExtractedStore
	Blobs     blob.Store
	TmpDir    string
	// YankOverrides are the run-time yank rules yank nodes apply; nil
	// means none.
	YankOverrides YankOverrides
	// Pages keeps upstream pages across restarts and outages; Files
	// caches upstream files. Either may be nil.
	Pages PageStore
	Files *FileCache
}

// Graph is the built repository graph of a configuration.
type Graph struct {
	cfg    *config.Config
	deps   Deps
	nodes  map[string]Repository
	hosted map[string]*Hosted
	// edges lists each node's sources in configured order, for Describe
	// and Explain.
	edges map[string][]string
	// groups are the package-groups nodes, for upload checks.
	groups []namedGroups
}

type namedGroups struct {
	name string
	g    *Groups
}

// sourcesConfig is the configuration shape of every node that wraps others.
type sourcesConfig struct {
	Sources []string `yaml:"sources"`
}

// Build constructs every node of the configuration. It refuses unknown
// types, unknown options, references to undefined nodes and cycles, each
// with a message naming the node.
func Build(cfg *config.Config, deps Deps) (*Graph, error) {
	g := &Graph{cfg: cfg, deps: deps, nodes: map[string]Repository{}, hosted: map[string]*Hosted{}, edges: map[string][]string{}}
	building := map[string]bool{}
	var build func(name string, path []string) (Repository, error)
	build = func(name string, path []string) (Repository, error) {
		if r, ok := g.nodes[name]; ok {
			return r, nil
		}
		n, ok := cfg.Node(name)
		if !ok {
			return nil, fmt.Errorf("repositories.%s: source %q is not defined", path[len(path)-1], name)
		}
		if building[name] {
			return nil, fmt.Errorf("repositories: cycle %s -> %s", strings.Join(path, " -> "), name)
		}
		building[name] = true
		defer delete(building, name)
		r, err := g.buildNode(n, func(src string) (Repository, error) {
			g.edges[name] = append(g.edges[name], src)
			return build(src, append(path, name))
		})
		if err != nil {
			return nil, err
		}
		g.nodes[name] = r
		return r, nil
	}
	for _, n := range cfg.Repositories {
		if _, err := build(n.Name, nil); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *Graph) buildNode(n config.Node, source func(string) (Repository, error)) (Repository, error) {
	sources := func() ([]Repository, error) {
		var c sourcesConfig
		if err := n.Decode(&c); err != nil {
			return nil, err
		}
		if len(c.Sources) == 0 {
			return nil, fmt.Errorf("repositories.%s: a %s repository needs 'sources'", n.Name, n.Type)
		}
		var out []Repository
		for _, s := range c.Sources {
			r, err := source(s)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	switch n.Type {
	case "hosted":
		var c HostedConfig
		if err := n.Decode(&c); err != nil {
			return nil, err
		}
		h := NewHosted(n.Name, c, g.deps.Meta, g.deps.Blobs, g.deps.TmpDir).WithBlobLocks(g.deps.BlobLocks)
		g.hosted[n.Name] = h
		return h, nil
	case "upstream":
		var c UpstreamConfig
		if err := n.Decode(&c); err != nil {
			return nil, err
		}
		u, err := NewUpstream(n.Name, c)
		if err != nil {
			return nil, fmt.Errorf("repositories.%s: %w", n.Name, err)
		}
		u.UseCaches(g.deps.Pages, g.deps.Files)
		if c.ExtractMetadata != nil && !*c.ExtractMetadata {
			return u, nil
		}
		return NewMetadataExtractor(u, c.Metadata, g.deps.Extracted, g.deps.Blobs), nil
	case "priority":
		s, err := sources()
		if err != nil {
			return nil, err
		}
		return &Priority{Sources: s}, nil
	case "merge":
		s, err := sources()
		if err != nil {
			return nil, err
		}
		return &Merge{Sources: s}, nil
	case "filter":
		var c FilterConfig
		src, err := decodeSingle(n, &c, &c.Source, source)
		if err != nil {
			return nil, err
		}
		return NewFilter(n.Name, src, c)
	case "cooldown":
		var c CooldownConfig
		src, err := decodeSingle(n, &c, &c.Source, source)
		if err != nil {
			return nil, err
		}
		return NewCooldown(n.Name, src, c)
	case "snapshot":
		var c SnapshotConfig
		src, err := decodeSingle(n, &c, &c.Source, source)
		if err != nil {
			return nil, err
		}
		return NewSnapshot(n.Name, src, c)
	case "yank":
		var c YankConfig
		src, err := decodeSingle(n, &c, &c.Source, source)
		if err != nil {
			return nil, err
		}
		return NewYank(n.Name, src, c, g.deps.YankOverrides)
	case "groups":
		var c GroupsConfig
		if err := n.Decode(&c); err != nil {
			return nil, err
		}
		gr, err := NewGroups(n.Name, c, source)
		if err != nil {
			return nil, err
		}
		g.groups = append(g.groups, namedGroups{n.Name, gr})
		return gr, nil
	}
	return nil, fmt.Errorf("repositories.%s: unknown type %q (known: hosted, upstream, priority, merge, filter, groups, cooldown, snapshot, yank)", n.Name, n.Type)
}

// decodeSingle decodes the configuration of a node that wraps one source
// into c and resolves that source, named by *name.
func decodeSingle(n config.Node, c any, name *string, source func(string) (Repository, error)) (Repository, error) {
	if err := n.Decode(c); err != nil {
		return nil, err
	}
	if *name == "" {
		return nil, fmt.Errorf("repositories.%s: a %s repository needs 'source'", n.Name, n.Type)
	}
	return source(*name)
}

// CanPublish reports whether an upload of project into the hosted node
// hosted is allowed by every package-groups node that serves it among its
// hosted sources (directly or through wrappers such as a yank node); when
// not, it names the groups node and the project's group that refused it.
func (g *Graph) CanPublish(hosted, project string) (ok bool, node, group string) {
	for _, ng := range g.groups {
		if !slices.ContainsFunc(ng.g.hostedNames, func(h string) bool { return g.reaches(h, hosted) }) {
			continue
		}
		if ok, grp := ng.g.CanPublish(project); !ok {
			return false, ng.name, grp
		}
	}
	return true, "", ""
}

// reaches reports whether node to is from or one of its sources, at any
// depth.
func (g *Graph) reaches(from, to string) bool {
	if from == to {
		return true
	}
	return slices.ContainsFunc(g.edges[from], func(s string) bool { return g.reaches(s, to) })
}

// FileCache returns the upstream file cache, or nil.
func (g *Graph) FileCache() *FileCache { return g.deps.Files }

// Node returns the named node.
func (g *Graph) Node(name string) (Repository, bool) {
	r, ok := g.nodes[name]
	return r, ok
}

// Hosted returns the named hosted node.
func (g *Graph) Hosted(name string) (*Hosted, bool) {
	h, ok := g.hosted[name]
	return h, ok
}

// Describe renders the graph as an indented tree, one index at a time, for
// `sluice config check`.
func (g *Graph) Describe() string {
	var b strings.Builder
	var walk func(name, indent string)
	walk = func(name, indent string) {
		n, _ := g.cfg.Node(name)
		line := fmt.Sprintf("%s%s (%s)", indent, name, n.Type)
		if n.Type == "upstream" {
			var c UpstreamConfig
			if n.Decode(&c) == nil {
				line += " " + c.URL
			}
		}
		b.WriteString(line + "\n")
		for _, s := range g.edges[name] {
			walk(s, indent+"  ")
		}
	}
	for _, ix := range g.cfg.Indexes {
		fmt.Fprintf(&b, "index %s", ix.Path)
		if ix.Upload != "" {
			fmt.Fprintf(&b, " (uploads at %s into %s)", ix.UploadPath(), ix.Upload)
		}
		b.WriteString("\n")
		walk(ix.Repository, "  ")
	}
	return b.String()
}
