package repository

import (
	"fmt"
	"strings"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/config"
)

// Deps are the shared parts components are built with.
type Deps struct {
	Meta      Metadata
	Extracted ExtractedStore
	Blobs     blob.Store
	TmpDir    string
}

// Graph is the built repository graph of a configuration.
type Graph struct {
	cfg    *config.Config
	deps   Deps
	nodes  map[string]Repository
	hosted map[string]*Hosted
}

// sourcesConfig is the configuration shape of every node that wraps others.
type sourcesConfig struct {
	Sources []string `yaml:"sources"`
}

// Build constructs every node of the configuration. It refuses unknown
// types, unknown options, references to undefined nodes and cycles, each
// with a message naming the node.
func Build(cfg *config.Config, deps Deps) (*Graph, error) {
	g := &Graph{cfg: cfg, deps: deps, nodes: map[string]Repository{}, hosted: map[string]*Hosted{}}
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
		r, err := g.buildNode(n, func(src string) (Repository, error) { return build(src, append(path, name)) })
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
		h := NewHosted(n.Name, c, g.deps.Meta, g.deps.Blobs, g.deps.TmpDir)
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
	}
	return nil, fmt.Errorf("repositories.%s: unknown type %q (known: hosted, upstream, priority, merge)", n.Name, n.Type)
}

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
		var c sourcesConfig
		if n.Type != "hosted" && n.Type != "upstream" && n.Decode(&c) == nil {
			for _, s := range c.Sources {
				walk(s, indent+"  ")
			}
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
