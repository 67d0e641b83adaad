package repository

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/sluice-pkg/sluice/internal/pep440"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/simple"
)

// A pattern matches normalised project names: an exact name, or a glob in
// path.Match syntax such as "acme-*". Patterns are normalised the way names
// are (lower case, runs of "-", "_" and "." become "-"), so that "Acme_*"
// in the file means what the operator meant.
type pattern string

// compilePatterns normalises and checks patterns; key names the option in
// errors.
func compilePatterns(node, key string, raw []string) ([]pattern, error) {
	out := make([]pattern, 0, len(raw))
	for _, r := range raw {
		p, err := compilePattern(r)
		if err != nil {
			return nil, fmt.Errorf("repositories.%s: %s: %w", node, key, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func compilePattern(raw string) (pattern, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("empty pattern")
	}
	var b strings.Builder
	sep := false
	for _, c := range strings.ToLower(s) {
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteRune(c)
	}
	if sep {
		b.WriteByte('-')
	}
	p := b.String()
	if _, err := path.Match(p, ""); err != nil {
		return "", fmt.Errorf("pattern %q: %w", raw, err)
	}
	return pattern(p), nil
}

func (p pattern) match(name string) bool {
	ok, _ := path.Match(string(p), name) // checked by compilePattern
	return ok
}

// isGlob reports whether the pattern has glob characters.
func (p pattern) isGlob() bool { return strings.ContainsAny(string(p), `*?[\`) }

// firstMatch returns the first pattern that matches name.
func firstMatch(ps []pattern, name string) (pattern, bool) {
	for _, p := range ps {
		if p.match(name) {
			return p, true
		}
	}
	return "", false
}

// keepFiles returns a new page with the files keep accepts, or the page
// itself when it keeps them all (pages are immutable, so sharing is safe).
// Versions left without any file are dropped from the PEP 700 list: a
// version whose files are all hidden is not offered.
func keepFiles(page *simple.Project, keep func(f *simple.File) bool) *simple.Project {
	var files []simple.File
	dropped := false
	for i := range page.Files {
		if keep(&page.Files[i]) {
			files = append(files, page.Files[i])
		} else {
			dropped = true
		}
	}
	if !dropped {
		return page
	}
	out := *page
	out.Files = files
	out.Versions = nil
	have := map[string]bool{}
	for i := range files {
		if v := fileVersion(page.Name, files[i].Filename); v != "" {
			have[v] = true
		}
	}
	for _, v := range page.Versions {
		if have[normVersion(v)] {
			out.Versions = append(out.Versions, v)
		}
	}
	return &out
}

// fileVersion is the normalised version of a distribution file, or "".
func fileVersion(project, filename string) string {
	fn, err := pypi.ParseFilenameFor(project, filename)
	if err != nil {
		return ""
	}
	return normVersion(fn.Version)
}

func normVersion(v string) string {
	if n, err := pep440.Normalize(v); err == nil {
		return n
	}
	return v
}

// pageResource serves a resource of source only when page (the wrapper's
// effective page) lists the file: a component that hides a file from the
// page also refuses it when it is asked for directly.
func pageResource(ctx context.Context, page *simple.Project, source Repository, project, name string) (*Resource, error) {
	file, isMeta := SplitMetadata(name)
	f := page.Find(file)
	if f == nil || (isMeta && !f.HasMetadata()) {
		return nil, ErrNotFound
	}
	return source.Resource(ctx, project, name)
}

// filterProjects keeps the names keep accepts, in a new slice.
func filterProjects(names []string, keep func(string) bool) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !keep(n) })
}
