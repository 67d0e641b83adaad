package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// Unknown-time rules: what cooldown and snapshot nodes do with a file
// whose upload time the source does not say (an HTML-only upstream).
const (
	UnknownHide = "hide"
	UnknownShow = "show"
)

func checkUnknown(node, v string) (bool, error) {
	switch v {
	case "", UnknownHide:
		return false, nil
	case UnknownShow:
		return true, nil
	}
	return false, fmt.Errorf("repositories.%s: unknown_time: %q is neither %q nor %q", node, v, UnknownHide, UnknownShow)
}

// timeCut is what cooldown and snapshot share: hide the files uploaded at
// or after a cut-off instant.
type timeCut struct {
	source      Repository
	showUnknown bool
	// exempt says whether a project is exempt, and by which pattern.
	exempt func(project string) (pattern, bool)
}

// decide says whether f is kept when the cut-off is cut, and why.
func (c *timeCut) decide(f *simple.File, cut time.Time, what string) (bool, string) {
	if f.UploadTime.IsZero() {
		if c.showUnknown {
			return true, "upload time unknown; unknown_time: show"
		}
		return false, "upload time unknown; unknown_time: hide"
	}
	if f.UploadTime.Before(cut) {
		return true, fmt.Sprintf("uploaded %s, before %s", f.UploadTime.UTC().Format(time.RFC3339), what)
	}
	return false, fmt.Sprintf("uploaded %s, not before %s", f.UploadTime.UTC().Format(time.RFC3339), what)
}

func (c *timeCut) project(ctx context.Context, name string, cut time.Time) (*simple.Project, error) {
	page, err := c.source.Project(ctx, name)
	if err != nil {
		return nil, err
	}
	if c.exempt != nil {
		if _, ok := c.exempt(name); ok {
			return page, nil
		}
	}
	page = keepFiles(page, func(f *simple.File) bool {
		ok, _ := c.decide(f, cut, "")
		return ok
	})
	if len(page.Files) == 0 {
		// A project that had no files yet did not exist: pip says "not
		// found", as it would have at that time.
		return nil, ErrNotFound
	}
	return page, nil
}

func (c *timeCut) resource(ctx context.Context, project, name string, cut time.Time) (*Resource, error) {
	page, err := c.project(ctx, project, cut)
	if err != nil {
		return nil, err
	}
	return pageResource(ctx, page, c.source, project, name)
}

func (c *timeCut) explain(ctx context.Context, project string, cut time.Time, what string) ([]Decision, error) {
	page, err := c.source.Project(ctx, project)
	if err != nil {
		return nil, err
	}
	if c.exempt != nil {
		if p, ok := c.exempt(project); ok {
			return []Decision{{Action: ActionKept, Reason: fmt.Sprintf("project exempt by pattern %q", p)}}, nil
		}
	}
	var out []Decision
	for i := range page.Files {
		ok, why := c.decide(&page.Files[i], cut, what)
		d := Decision{File: page.Files[i].Filename, Action: ActionKept, Reason: why}
		if !ok {
			d.Action = ActionHid
		}
		out = append(out, d)
	}
	return out, nil
}

// CooldownConfig is the configuration of a cooldown node.
type CooldownConfig struct {
	Source string `yaml:"source"`
	// MinAge is how old a file must be to be served (for example 72h).
	MinAge time.Duration `yaml:"min_age"`
	// Exempt projects are served without delay (exact names or globs).
	Exempt []string `yaml:"exempt"`
	// UnknownTime is "hide" (the default) or "show".
	UnknownTime string `yaml:"unknown_time"`
}

// Cooldown hides files younger than a minimum age, so that a malicious or
// broken release has time to be noticed and removed upstream before any
// build picks it up. Hidden files are refused when asked for directly.
// Put it over upstreams only: in-house files must not wait.
type Cooldown struct {
	cut    timeCut
	minAge time.Duration
	// now is the clock; tests replace it.
	now func() time.Time
}

// NewCooldown returns a cooldown over source; node names it in errors.
func NewCooldown(node string, source Repository, c CooldownConfig) (*Cooldown, error) {
	if c.MinAge <= 0 {
		return nil, fmt.Errorf("repositories.%s: a cooldown needs a positive 'min_age' (for example 72h)", node)
	}
	show, err := checkUnknown(node, c.UnknownTime)
	if err != nil {
		return nil, err
	}
	exempt, err := compilePatterns(node, "exempt", c.Exempt)
	if err != nil {
		return nil, err
	}
	return &Cooldown{
		cut: timeCut{source: source, showUnknown: show, exempt: func(p string) (pattern, bool) {
			return firstMatch(exempt, p)
		}},
		minAge: c.MinAge,
		now:    time.Now,
	}, nil
}

func (c *Cooldown) cutoff() time.Time { return c.now().Add(-c.minAge) }

// Projects implements Repository. A project whose files are all too young
// is still listed: listing it reveals nothing installable, and checking
// every page for the root listing would cost a request per project.
func (c *Cooldown) Projects(ctx context.Context) ([]string, error) {
	return c.cut.source.Projects(ctx)
}

// Project implements Repository.
func (c *Cooldown) Project(ctx context.Context, name string) (*simple.Project, error) {
	return c.cut.project(ctx, name, c.cutoff())
}

// Resource implements Repository.
func (c *Cooldown) Resource(ctx context.Context, project, name string) (*Resource, error) {
	return c.cut.resource(ctx, project, name, c.cutoff())
}

// Explain implements Explainer.
func (c *Cooldown) Explain(ctx context.Context, project string) ([]Decision, error) {
	cut := c.cutoff()
	return c.cut.explain(ctx, project, cut, fmt.Sprintf("the cooldown cut-off %s (min_age %s)", cut.UTC().Format(time.RFC3339), c.minAge))
}

// SnapshotConfig is the configuration of a snapshot node.
type SnapshotConfig struct {
	Source string `yaml:"source"`
	// At is the instant the index is frozen at.
	At time.Time `yaml:"at"`
	// UnknownTime is "hide" (the default) or "show".
	UnknownTime string `yaml:"unknown_time"`
}

// Snapshot serves its source as it was at an instant: only files uploaded
// before it. Yanks are today's: the simple API does not say when a file was
// yanked, and a yank is a warning worth keeping anyway.
type Snapshot struct {
	cut timeCut
	at  time.Time
}

// NewSnapshot returns a snapshot of source at an instant; node names it in
// errors.
func NewSnapshot(node string, source Repository, c SnapshotConfig) (*Snapshot, error) {
	if c.At.IsZero() {
		return nil, fmt.Errorf("repositories.%s: a snapshot needs 'at' (an RFC 3339 instant such as 2025-06-01T00:00:00Z)", node)
	}
	show, err := checkUnknown(node, c.UnknownTime)
	if err != nil {
		return nil, err
	}
	return SnapshotAt(source, c.At, show), nil
}

// SnapshotAt returns a snapshot of source at an instant; showUnknown keeps
// files whose upload time is unknown.
func SnapshotAt(source Repository, at time.Time, showUnknown bool) *Snapshot {
	return &Snapshot{cut: timeCut{source: source, showUnknown: showUnknown}, at: at}
}

// Projects implements Repository; see Cooldown.Projects.
func (s *Snapshot) Projects(ctx context.Context) ([]string, error) {
	return s.cut.source.Projects(ctx)
}

// Project implements Repository.
func (s *Snapshot) Project(ctx context.Context, name string) (*simple.Project, error) {
	return s.cut.project(ctx, name, s.at)
}

// Resource implements Repository.
func (s *Snapshot) Resource(ctx context.Context, project, name string) (*Resource, error) {
	return s.cut.resource(ctx, project, name, s.at)
}

// Explain implements Explainer.
func (s *Snapshot) Explain(ctx context.Context, project string) ([]Decision, error) {
	return s.cut.explain(ctx, project, s.at, "the snapshot instant "+s.at.UTC().Format(time.RFC3339))
}
