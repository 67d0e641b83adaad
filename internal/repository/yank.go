package repository

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/sluice-pkg/sluice/internal/pep440"
	"github.com/sluice-pkg/sluice/internal/simple"
	"github.com/sluice-pkg/sluice/internal/store"
)

// YankConfig is the configuration of a yank node.
type YankConfig struct {
	Source string     `yaml:"source"`
	Rules  []YankRule `yaml:"rules"`
	// Overrides, true by default, also applies the run-time overrides
	// admins set with `sluice yank-override`.
	Overrides *bool `yaml:"overrides"`
}

// YankRule marks matching files as yanked (PEP 592).
type YankRule struct {
	// Project is a name or glob (required).
	Project string `yaml:"project"`
	// Version is an exact version ("1.2.3") or a specifier set
	// ("<2.0,>=1.4"); empty matches every version.
	Version string `yaml:"version"`
	// File is a file name glob; empty matches every file.
	File   string `yaml:"file"`
	Reason string `yaml:"reason"`
}

// YankOverrides is where run-time overrides are read from (the store).
type YankOverrides interface {
	YankOverrides(ctx context.Context) ([]store.YankOverride, error)
}

// overridesTTL bounds how long a yank node serves overrides it read from
// the store: a change made with the CLI shows within this time, without a
// restart, and busy indexes do not query the database per request.
const overridesTTL = 2 * time.Second

// yankMatcher is a compiled rule.
type yankMatcher struct {
	project pattern
	exact   string // normalised exact version, or ""
	spec    *pep440.SpecifierSet
	file    string
	reason  string
	origin  string // for explanations: "rule 2" or "override #7 by alice"
}

// CompileYankRule checks a rule; the CLI uses it before storing one.
func CompileYankRule(project, version, file string) error {
	_, err := compileYank(project, version, file, "", "")
	return err
}

func compileYank(project, version, file, reason, origin string) (yankMatcher, error) {
	m := yankMatcher{reason: reason, origin: origin, file: file}
	if strings.TrimSpace(project) == "" {
		return m, fmt.Errorf("a yank rule needs a project (a name or a glob)")
	}
	p, err := compilePattern(project)
	if err != nil {
		return m, err
	}
	m.project = p
	if file != "" {
		if _, err := path.Match(file, ""); err != nil {
			return m, fmt.Errorf("file %q: %w", file, err)
		}
	}
	if v := strings.TrimSpace(version); v != "" {
		if strings.ContainsAny(v[:1], "<>=!~") {
			ss, err := pep440.ParseSpecifierSet(v)
			if err != nil {
				return m, fmt.Errorf("version %q: %w", version, err)
			}
			m.spec = &ss
		} else {
			n, err := pep440.Normalize(v)
			if err != nil {
				return m, fmt.Errorf("version %q: %w", version, err)
			}
			m.exact = n
		}
	}
	return m, nil
}

func (m *yankMatcher) match(project string, f *simple.File) bool {
	if !m.project.match(project) {
		return false
	}
	if m.file != "" {
		if ok, _ := path.Match(m.file, f.Filename); !ok {
			return false
		}
	}
	if m.exact == "" && m.spec == nil {
		return true
	}
	v := fileVersion(project, f.Filename)
	if v == "" {
		return false // a file whose version cannot be read is not guessed at
	}
	if m.exact != "" {
		return v == m.exact
	}
	return m.spec.Contains(v)
}

// Yank marks files of its source as yanked, by rules in the file and by
// overrides set at run time, so that pip stops choosing them (PEP 592)
// while pinned installs keep working.
type Yank struct {
	source    Repository
	rules     []yankMatcher
	overrides YankOverrides // nil: file rules only

	mu      sync.Mutex
	cached  []yankMatcher
	fetched time.Time
	now     func() time.Time
}

// NewYank returns a yank node over source; node names it in errors.
// overrides may be nil.
func NewYank(node string, source Repository, c YankConfig, overrides YankOverrides) (*Yank, error) {
	y := &Yank{source: source, now: time.Now}
	for i, r := range c.Rules {
		m, err := compileYank(r.Project, r.Version, r.File, r.Reason, fmt.Sprintf("rule %d", i+1))
		if err != nil {
			return nil, fmt.Errorf("repositories.%s: rules[%d]: %w", node, i, err)
		}
		y.rules = append(y.rules, m)
	}
	if c.Overrides == nil || *c.Overrides {
		y.overrides = overrides
	}
	return y, nil
}

// matchers returns the file rules and the current overrides. A store
// failure fails the request: serving a file an admin yanked, because the
// database hiccupped, is the wrong way to fail.
func (y *Yank) matchers(ctx context.Context) ([]yankMatcher, error) {
	if y.overrides == nil {
		return y.rules, nil
	}
	y.mu.Lock()
	defer y.mu.Unlock()
	if now := y.now(); y.fetched.IsZero() || now.Sub(y.fetched) >= overridesTTL || now.Before(y.fetched) {
		rows, err := y.overrides.YankOverrides(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading yank overrides: %w", err)
		}
		ms := make([]yankMatcher, 0, len(y.rules)+len(rows))
		ms = append(ms, y.rules...)
		for _, o := range rows {
			origin := fmt.Sprintf("override #%d", o.ID)
			if o.CreatedBy != "" {
				origin += " by " + o.CreatedBy
			}
			m, err := compileYank(o.Project, o.Version, o.File, o.Reason, origin)
			if err != nil {
				continue // checked when stored; a bad row must not hide the others
			}
			ms = append(ms, m)
		}
		y.cached, y.fetched = ms, now
	}
	return y.cached, nil
}

// yankOf returns the first matcher that yanks f.
func yankOf(ms []yankMatcher, project string, f *simple.File) *yankMatcher {
	for i := range ms {
		if ms[i].match(project, f) {
			return &ms[i]
		}
	}
	return nil
}

// Projects implements Repository.
func (y *Yank) Projects(ctx context.Context) ([]string, error) { return y.source.Projects(ctx) }

// Project implements Repository.
func (y *Yank) Project(ctx context.Context, name string) (*simple.Project, error) {
	page, err := y.source.Project(ctx, name)
	if err != nil {
		return nil, err
	}
	ms, err := y.matchers(ctx)
	if err != nil {
		return nil, err
	}
	var files []simple.File
	for i := range page.Files {
		f := &page.Files[i]
		if f.Yanked {
			continue // the source's own yank and reason stand
		}
		m := yankOf(ms, name, f)
		if m == nil {
			continue
		}
		if files == nil {
			files = append([]simple.File(nil), page.Files...)
		}
		files[i].Yanked = true
		files[i].YankedReason = m.reason
	}
	if files == nil {
		return page, nil
	}
	out := *page
	out.Files = files
	return &out, nil
}

// Resource implements Repository: a yanked file is still served (PEP 592:
// pinned installs keep working).
func (y *Yank) Resource(ctx context.Context, project, name string) (*Resource, error) {
	return y.source.Resource(ctx, project, name)
}

// Explain implements Explainer.
func (y *Yank) Explain(ctx context.Context, project string) ([]Decision, error) {
	page, err := y.source.Project(ctx, project)
	if err != nil {
		return nil, err
	}
	ms, err := y.matchers(ctx)
	if err != nil {
		return nil, err
	}
	var out []Decision
	for i := range page.Files {
		f := &page.Files[i]
		m := yankOf(ms, project, f)
		switch {
		case m == nil:
			continue
		case f.Yanked:
			out = append(out, Decision{File: f.Filename, Action: ActionKept, Reason: fmt.Sprintf("already yanked by the source (%q); %s not applied", f.YankedReason, m.origin)})
		default:
			out = append(out, Decision{File: f.Filename, Action: ActionYanked, Reason: fmt.Sprintf("%s: %q", m.origin, m.reason)})
		}
	}
	return out, nil
}
