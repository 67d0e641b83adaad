package repository

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// memRepo is an in-memory source for testing the wrapping components.
type memRepo struct {
	pages map[string]*simple.Project
	err   error // returned by every call when set
	tag   string
}

func newMem(tag string, files map[string][]string) *memRepo {
	m := &memRepo{pages: map[string]*simple.Project{}, tag: tag}
	for project, names := range files {
		p := &simple.Project{Name: project}
		for _, n := range names {
			p.Files = append(p.Files, simple.File{Filename: n, Hashes: map[string]string{"sha256": tag}})
			v := strings.TrimSuffix(strings.Split(n, "-")[1], ".tar.gz")
			if !slices.Contains(p.Versions, v) {
				p.Versions = append(p.Versions, v)
			}
		}
		m.pages[project] = p
	}
	return m
}

func (m *memRepo) Projects(ctx context.Context) ([]string, error) {
	if m.err != nil {
		return nil, m.err
	}
	var out []string
	for n := range m.pages {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

func (m *memRepo) Project(ctx context.Context, name string) (*simple.Project, error) {
	if m.err != nil {
		return nil, m.err
	}
	p, ok := m.pages[name]
	if !ok {
		return nil, ErrNotFound
	}
	return clonePage(p), nil
}

func (m *memRepo) Resource(ctx context.Context, project, name string) (*Resource, error) {
	if m.err != nil {
		return nil, m.err
	}
	p, ok := m.pages[project]
	file, _ := SplitMetadata(name)
	if !ok || p.Find(file) == nil {
		return nil, ErrNotFound
	}
	return &Resource{Body: BytesBody([]byte(m.tag + ":" + name)), Size: -1}, nil
}

func read(t *testing.T, r Repository, project, name string) string {
	t.Helper()
	res, err := r.Resource(context.Background(), project, name)
	if err != nil {
		t.Fatalf("Resource(%s, %s): %v", project, name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func fileNames(p *simple.Project) []string {
	var out []string
	for _, f := range p.Files {
		out = append(out, f.Filename)
	}
	return out
}

func TestPriority(t *testing.T) {
	ctx := context.Background()
	local := newMem("local", map[string][]string{"acme": {"acme-1.0.tar.gz"}})
	public := newMem("public", map[string][]string{"acme": {"acme-99.0.tar.gz"}, "requests": {"requests-2.0.tar.gz"}})
	p := &Priority{Sources: []Repository{local, public}}

	page, err := p.Project(ctx, "acme")
	if err != nil || !slices.Equal(fileNames(page), []string{"acme-1.0.tar.gz"}) {
		t.Fatalf("acme = %v, %v: the in-house project must hide the public one entirely", fileNames(page), err)
	}
	if _, err := p.Resource(ctx, "acme", "acme-99.0.tar.gz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the public file of an in-house name is reachable: %v", err)
	}
	if got := read(t, p, "acme", "acme-1.0.tar.gz"); got != "local:acme-1.0.tar.gz" {
		t.Fatalf("served %q", got)
	}
	if got := read(t, p, "requests", "requests-2.0.tar.gz"); got != "public:requests-2.0.tar.gz" {
		t.Fatalf("served %q", got)
	}
	names, _ := p.Projects(ctx)
	if !slices.Equal(names, []string{"acme", "requests"}) {
		t.Fatalf("Projects = %v", names)
	}
	if _, err := p.Project(ctx, "none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	// fail closed: an error of the in-house source never falls through
	local.err = errors.New("database is locked")
	if _, err := p.Project(ctx, "acme"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("with the first source failing, Project = %v; it must fail, not fall through", err)
	}
	if _, err := p.Resource(ctx, "acme", "acme-99.0.tar.gz"); err == nil {
		t.Fatal("with the first source failing, the public file was served")
	}
}

func TestMerge(t *testing.T) {
	ctx := context.Background()
	a := newMem("a", map[string][]string{"x": {"x-1.0.tar.gz", "x-2.0.tar.gz"}})
	b := newMem("b", map[string][]string{"x": {"x-2.0.tar.gz", "x-3.0.tar.gz"}, "y": {"y-1.0.tar.gz"}})
	m := &Merge{Sources: []Repository{a, b}}
	page, err := m.Project(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fileNames(page), []string{"x-1.0.tar.gz", "x-2.0.tar.gz", "x-3.0.tar.gz"}) {
		t.Fatalf("files = %v", fileNames(page))
	}
	if page.Find("x-2.0.tar.gz").Hashes["sha256"] != "a" {
		t.Fatal("the first source's file must win a name clash")
	}
	if !slices.Equal(page.Versions, []string{"1.0", "2.0", "3.0"}) {
		t.Fatalf("versions = %v", page.Versions)
	}
	if got := read(t, m, "x", "x-2.0.tar.gz"); got != "a:x-2.0.tar.gz" {
		t.Fatalf("served %q", got)
	}
	if got := read(t, m, "x", "x-3.0.tar.gz"); got != "b:x-3.0.tar.gz" {
		t.Fatalf("served %q", got)
	}
	names, _ := m.Projects(ctx)
	if !slices.Equal(names, []string{"x", "y"}) {
		t.Fatalf("Projects = %v", names)
	}
	b.err = errors.New("boom")
	if _, err := m.Project(ctx, "x"); err == nil {
		t.Fatal("a failing source must fail the merged page")
	}
}

func TestMergeSorted(t *testing.T) {
	got := mergeSorted([]string{"a", "c", "e"}, []string{"b", "c", "f", "g"})
	if !slices.Equal(got, []string{"a", "b", "c", "e", "f", "g"}) {
		t.Fatal(got)
	}
}

func TestSortVersions(t *testing.T) {
	vs := []string{"1.10", "1.2", "not-a-version", "1.0rc1", "1.0", "2!0.1"}
	sortVersions(vs)
	if !slices.Equal(vs, []string{"1.0rc1", "1.0", "1.2", "1.10", "2!0.1", "not-a-version"}) {
		t.Fatal(vs)
	}
}

func clonePage(p *simple.Project) *simple.Project {
	c := *p
	c.Files = slices.Clone(p.Files)
	c.Versions = slices.Clone(p.Versions)
	c.Tracks = slices.Clone(p.Tracks)
	c.AlternateLocations = slices.Clone(p.AlternateLocations)
	return &c
}
