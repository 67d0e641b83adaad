package repository

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/store"
)

func TestFilter(t *testing.T) {
	ctx := context.Background()
	src := newMem("pub", map[string][]string{
		"requests": {"requests-2.0.tar.gz"}, "numpy": {"numpy-1.0.tar.gz"},
		"acme-utils": {"acme_utils-1.0.tar.gz"}, "evil": {"evil-1.0.tar.gz"},
	})
	for _, tc := range []struct {
		name        string
		cfg         FilterConfig
		want        []string
		hiddenProbe string
	}{
		{"deny", FilterConfig{Deny: []string{"evil", "Acme_*"}}, []string{"numpy", "requests"}, "acme-utils"},
		{"allow", FilterConfig{Allow: []string{"requests", "num*"}}, []string{"numpy", "requests"}, "evil"},
		{"deny wins", FilterConfig{Allow: []string{"*"}, Deny: []string{"numpy"}}, []string{"acme-utils", "evil", "requests"}, "numpy"},
		{"empty allow serves nothing", FilterConfig{Allow: []string{}}, nil, "requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFilter("f", src, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			names, err := f.Projects(ctx)
			if err != nil || !slices.Equal(names, tc.want) {
				t.Fatalf("Projects = %v, %v; want %v", names, err, tc.want)
			}
			if _, err := f.Project(ctx, tc.hiddenProbe); !errors.Is(err, ErrNotFound) {
				t.Fatalf("hidden project %s: %v", tc.hiddenProbe, err)
			}
			if _, err := f.Resource(ctx, tc.hiddenProbe, src.pages[tc.hiddenProbe].Files[0].Filename); !errors.Is(err, ErrNotFound) {
				t.Fatalf("hidden project's file: %v", err)
			}
		})
	}
	if _, err := NewFilter("f", src, FilterConfig{Deny: []string{"[a-"}}); err == nil || !strings.Contains(err.Error(), "repositories.f: deny") {
		t.Fatalf("bad pattern: %v", err)
	}
	src.err = errors.New("boom")
	f, _ := NewFilter("f", src, FilterConfig{Allow: []string{"requests"}})
	if _, err := f.Project(ctx, "requests"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("a source failure must fail, not hide: %v", err)
	}
}

// timedMem is a source whose files have upload times.
func timedMem(times map[string]time.Time) *memRepo {
	var names []string
	for n := range times {
		names = append(names, n)
	}
	slices.Sort(names)
	m := newMem("up", map[string][]string{"pkg": names})
	for i := range m.pages["pkg"].Files {
		m.pages["pkg"].Files[i].UploadTime = times[m.pages["pkg"].Files[i].Filename]
	}
	return m
}

func TestCooldown(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	src := timedMem(map[string]time.Time{
		"pkg-1.0.tar.gz": now.Add(-30 * 24 * time.Hour),
		"pkg-2.0.tar.gz": now.Add(-time.Hour),
		"pkg-3.0.tar.gz": {},
	})
	c, err := NewCooldown("cool", src, CooldownConfig{MinAge: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return now }
	page, err := c.Project(ctx, "pkg")
	if err != nil || !slices.Equal(fileNames(page), []string{"pkg-1.0.tar.gz"}) {
		t.Fatalf("page = %v, %v; the young and the undated files must be hidden", fileNames(page), err)
	}
	if !slices.Equal(page.Versions, []string{"1.0"}) {
		t.Fatalf("versions = %v", page.Versions)
	}
	if len(src.pages["pkg"].Files) != 3 {
		t.Fatal("the source's page was changed in place")
	}
	if _, err := c.Resource(ctx, "pkg", "pkg-2.0.tar.gz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a hidden file was served directly: %v", err)
	}
	if got := read(t, c, "pkg", "pkg-1.0.tar.gz"); got != "up:pkg-1.0.tar.gz" {
		t.Fatal(got)
	}
	// time passes
	c.now = func() time.Time { return now.Add(72 * time.Hour) }
	if page, _ := c.Project(ctx, "pkg"); len(page.Files) != 2 {
		t.Fatalf("after the cooldown: %v", fileNames(page))
	}
	show, _ := NewCooldown("cool", src, CooldownConfig{MinAge: 72 * time.Hour, UnknownTime: "show"})
	show.now = func() time.Time { return now }
	if page, _ := show.Project(ctx, "pkg"); !slices.Equal(fileNames(page), []string{"pkg-1.0.tar.gz", "pkg-3.0.tar.gz"}) {
		t.Fatalf("unknown_time show: %v", fileNames(page))
	}
	ex, _ := NewCooldown("cool", src, CooldownConfig{MinAge: 72 * time.Hour, Exempt: []string{"pk*"}})
	ex.now = func() time.Time { return now }
	if page, _ := ex.Project(ctx, "pkg"); len(page.Files) != 3 {
		t.Fatalf("exempt: %v", fileNames(page))
	}
	c.now = func() time.Time { return now }
	ds, _ := c.Explain(ctx, "pkg")
	if len(ds) != 3 || ds[1].Action != ActionHid || !strings.Contains(ds[1].Reason, "cut-off") {
		t.Fatalf("explain = %+v", ds)
	}
	for _, bad := range []CooldownConfig{{}, {MinAge: time.Hour, UnknownTime: "maybe"}} {
		if _, err := NewCooldown("cool", src, bad); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
}

func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	src := timedMem(map[string]time.Time{
		"pkg-1.0.tar.gz": at.Add(-time.Hour),
		"pkg-2.0.tar.gz": at,
	})
	s := SnapshotAt(src, at, false)
	page, err := s.Project(ctx, "pkg")
	if err != nil || !slices.Equal(fileNames(page), []string{"pkg-1.0.tar.gz"}) {
		t.Fatalf("page = %v, %v", fileNames(page), err)
	}
	if _, err := s.Resource(ctx, "pkg", "pkg-2.0.tar.gz.metadata"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a later file's metadata: %v", err)
	}
	if _, err := SnapshotAt(src, at.Add(-2*time.Hour), false).Project(ctx, "pkg"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a project without files at the instant must not be found: %v", err)
	}
	if _, err := NewSnapshot("snap", src, SnapshotConfig{}); err == nil {
		t.Fatal("a snapshot without 'at' was accepted")
	}
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	local := newMem("local", map[string][]string{"acme-core": {"acme_core-1.0.tar.gz"}})
	team := newMem("team", map[string][]string{"acme-tools": {"acme_tools-1.0.tar.gz"}})
	pub := newMem("pub", map[string][]string{
		"acme-core": {"acme_core-9.0.tar.gz"}, "acme-evil": {"acme_evil-1.0.tar.gz"},
		"acme-tools": {"acme_tools-9.0.tar.gz"}, "acme-public": {"acme_public-1.0.tar.gz"},
		"requests": {"requests-2.0.tar.gz"},
	})
	srcs := map[string]Repository{"local": local, "team": team, "pub": pub}
	g, err := NewGroups("main", GroupsConfig{
		Hosted: []string{"local"}, Internal: []string{"team"}, External: []string{"pub"},
		Groups: []GroupConfig{
			{Pattern: "*", Publish: "block"},
			{Pattern: "acme-*", Publish: "allow", ExternalUpstream: "block"},
			{Pattern: "Acme.Public", ExternalUpstream: "allow"},
		},
	}, func(n string) (Repository, error) { return srcs[n], nil })
	if err != nil {
		t.Fatal(err)
	}
	for project, want := range map[string]string{
		"acme-core": "local", "acme-tools": "team", "acme-public": "pub", "requests": "pub",
	} {
		page, err := g.Project(ctx, project)
		if err != nil || page.Files[0].Hashes["sha256"] != want {
			t.Errorf("%s: %v, %v; want from %s", project, page, err, want)
		}
	}
	if _, err := g.Project(ctx, "acme-evil"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a public acme-* project was served: %v", err)
	}
	if _, err := g.Resource(ctx, "acme-evil", "acme_evil-1.0.tar.gz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a public acme-* file was served: %v", err)
	}
	names, _ := g.Projects(ctx)
	if !slices.Equal(names, []string{"acme-core", "acme-public", "acme-tools", "requests"}) {
		t.Fatalf("Projects = %v", names)
	}
	for project, want := range map[string]struct {
		ok    bool
		group string
	}{
		"acme-new": {true, "acme-*"}, "acme-public": {true, "acme-public"}, "requests": {false, "*"},
	} {
		if ok, grp := g.CanPublish(project); ok != want.ok || grp != want.group {
			t.Errorf("CanPublish(%s) = %v, %q; want %v, %q", project, ok, grp, want.ok, want.group)
		}
	}
	ds, _ := g.Explain(ctx, "acme-evil")
	if !slices.ContainsFunc(ds, func(d Decision) bool {
		return d.Source == 3 && d.Action == ActionRefused && strings.Contains(d.Reason, `group "acme-*" blocks external`)
	}) {
		t.Fatalf("explain = %+v", ds)
	}
	// a hosted failure never falls through to an upstream
	local.err = errors.New("database is locked")
	if _, err := g.Project(ctx, "acme-core"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("hosted failure: %v", err)
	}
	for _, bad := range []GroupConfig{{Pattern: "a*b"}, {Pattern: "x", Publish: "maybe"}} {
		if _, err := NewGroups("g", GroupsConfig{Hosted: []string{"local"}, Groups: []GroupConfig{bad}}, func(n string) (Repository, error) { return srcs[n], nil }); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

type fakeOverrides struct {
	rows  []store.YankOverride
	err   error
	reads int
}

func (f *fakeOverrides) YankOverrides(ctx context.Context) ([]store.YankOverride, error) {
	f.reads++
	return f.rows, f.err
}

func TestYank(t *testing.T) {
	ctx := context.Background()
	src := newMem("up", map[string][]string{
		"pkg":   {"pkg-1.0.tar.gz", "pkg-1.5.tar.gz", "pkg-2.0.tar.gz"},
		"other": {"other-1.0.tar.gz"},
	})
	ov := &fakeOverrides{}
	y, err := NewYank("y", src, YankConfig{Rules: []YankRule{
		{Project: "pkg", Version: ">=1.5,<2", Reason: "CVE-2025-1"},
		{Project: "oth*", File: "*.tar.gz", Reason: "broken sdist"},
	}}, ov)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	y.now = func() time.Time { return now }
	yanked := func(project string) map[string]string {
		t.Helper()
		page, err := y.Project(ctx, project)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, f := range page.Files {
			if f.Yanked {
				out[f.Filename] = f.YankedReason
			}
		}
		return out
	}
	if got := yanked("pkg"); len(got) != 1 || got["pkg-1.5.tar.gz"] != "CVE-2025-1" {
		t.Fatalf("pkg yanked = %v", got)
	}
	if got := yanked("other"); got["other-1.0.tar.gz"] != "broken sdist" {
		t.Fatalf("other yanked = %v", got)
	}
	if src.pages["pkg"].Files[1].Yanked {
		t.Fatal("the source's page was changed in place")
	}
	// a run-time override shows once the cache expires, without a restart
	ov.rows = []store.YankOverride{{ID: 7, Project: "pkg", Version: "1.0", Reason: "bad build", CreatedBy: "alice"}}
	if got := yanked("pkg"); len(got) != 1 {
		t.Fatalf("the override applied before the cache expired: %v", got)
	}
	now = now.Add(overridesTTL)
	if got := yanked("pkg"); got["pkg-1.0.tar.gz"] != "bad build" {
		t.Fatalf("override not applied: %v", got)
	}
	ds, _ := y.Explain(ctx, "pkg")
	if len(ds) != 2 || !strings.Contains(ds[0].Reason, "override #7 by alice") {
		t.Fatalf("explain = %+v", ds)
	}
	// a yanked file is still served
	if got := read(t, y, "pkg", "pkg-1.0.tar.gz"); got != "up:pkg-1.0.tar.gz" {
		t.Fatal(got)
	}
	// the store failing fails the page
	ov.err = errors.New("database is locked")
	now = now.Add(overridesTTL)
	if _, err := y.Project(ctx, "pkg"); err == nil {
		t.Fatal("a store failure was ignored")
	}
	if _, err := NewYank("y", src, YankConfig{Rules: []YankRule{{Version: "1.0"}}}, nil); err == nil {
		t.Fatal("a rule without a project was accepted")
	}
	if _, err := NewYank("y", src, YankConfig{Rules: []YankRule{{Project: "x", Version: ">>1"}}}, nil); err == nil {
		t.Fatal("a bad specifier was accepted")
	}
}

func TestBuildPolicyNodes(t *testing.T) {
	cfg, err := config.Parse([]byte(`
repositories:
  up1:
    type: upstream
    url: http://127.0.0.1:1/simple/
  up2:
    type: upstream
    url: http://127.0.0.1:2/simple/
  local:
    type: hosted
  cool:
    type: cooldown
    source: up1
    min_age: 72h
  yanked:
    type: yank
    source: cool
    rules:
      - {project: "foo", version: "1.0", reason: "bad"}
  curated:
    type: filter
    source: yanked
    allow: [requests, "acme-*"]
  localyanks:
    type: yank
    source: local
  main:
    type: groups
    hosted: [localyanks]
    internal: [up2]
    external: [curated]
    groups:
      - {pattern: "acme-*", publish: allow, external_upstream: block}
      - {pattern: "*", publish: block}
  past:
    type: snapshot
    source: main
    at: 2025-06-01T00:00:00Z
indexes:
  - path: /simple/
    repository: main
    upload: local
  - path: /past/simple/
    repository: past
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, node, grp := g.CanPublish("local", "requests"); ok || node != "main" || grp != "*" {
		t.Fatalf("CanPublish = %v %q %q", ok, node, grp)
	}
	if ok, _, _ := g.CanPublish("local", "acme-x"); !ok {
		t.Fatal("acme-x refused")
	}
	d := g.Describe()
	for _, want := range []string{"main (groups)", "    curated (filter)", "      yanked (yank)", "past (snapshot)"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe lacks %q:\n%s", want, d)
		}
	}
	for _, bad := range []string{
		"type: filter\n    source: up1\n    alow: [x]",
		"type: cooldown\n    source: up1",
		"type: snapshot\n    source: up1\n    at: yesterday",
		"type: yank\n    rules: []",
		"type: groups\n    hosted: [nope]",
	} {
		cfg, err := config.Parse([]byte("repositories:\n  up1:\n    type: upstream\n    url: http://127.0.0.1:1/simple/\n  x:\n    "+bad+"\nindexes:\n  - path: /simple/\n    repository: x\n"), "bad.yaml")
		if err != nil {
			continue // refused by the parser already
		}
		if _, err := Build(cfg, Deps{}); err == nil || !strings.Contains(err.Error(), "repositories.x") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestMergeAlternateLocations(t *testing.T) {
	ctx := context.Background()
	a := newMem("a", map[string][]string{"x": {"x-1.0.tar.gz"}})
	b := newMem("b", map[string][]string{"x": {"x-2.0.tar.gz"}, "y": {"y-1.0.tar.gz"}})
	a.pages["x"].Tracks = []string{"https://a.example/simple/x/"}
	b.pages["x"].Tracks = []string{"https://b.example/simple/x/"}
	b.pages["y"].Tracks = []string{"https://b.example/simple/y/"}
	m := &Merge{Sources: []Repository{a, b}}
	page, _ := m.Project(ctx, "x")
	if !slices.Equal(page.AlternateLocations, []string{"https://a.example/simple/x/", "https://b.example/simple/x/"}) {
		t.Fatalf("alternate-locations = %v", page.AlternateLocations)
	}
	if page, _ := m.Project(ctx, "y"); len(page.AlternateLocations) != 0 || len(page.Tracks) != 0 {
		t.Fatalf("a project of one source: %+v", page)
	}
	p := &Priority{Sources: []Repository{a, b}}
	if page, _ := p.Project(ctx, "x"); len(page.AlternateLocations) != 0 {
		t.Fatalf("priority serves one source and must not claim alternates: %v", page.AlternateLocations)
	}
}
