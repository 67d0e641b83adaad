package nameguard

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/sluice-pkg/sluice/internal/pypi"
)

// Guard checks the names of new in-house projects.
type Guard struct {
	// Popular is the list of popular public names for the typo check.
	Popular *Popular
	// PublicExists reports whether an upstream index has the normalised
	// name. Nil means there is no upstream to ask.
	PublicExists func(ctx context.Context, name string) (bool, error)
}

// Refusal is a name the guard refuses; its message is the one sentence
// the uploader sees.
type Refusal struct {
	Name string
	// Lookalike is the popular name Name resembles, "" when Name itself
	// exists on a public index.
	Lookalike string
}

func (r *Refusal) Error() string {
	if r.Lookalike != "" {
		return fmt.Sprintf("'%s' looks like the popular public project '%s'; ask an admin to allow this name", r.Name, r.Lookalike)
	}
	return fmt.Sprintf("'%s' exists on the public index; ask an admin to allow this name", r.Name)
}

// UnavailableError means the public index could not be asked. The guard
// fails closed: the name is refused until the question can be answered.
type UnavailableError struct {
	Name string
	Err  error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("cannot tell whether '%s' exists on the public index (%v); try again later", e.Name, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Check decides whether a new project may take the normalised name, given
// the allowance patterns administrators recorded. It returns nil, a
// *Refusal, an *UnavailableError, or (for a context error) that error.
func (g *Guard) Check(ctx context.Context, name string, allowances []string) error {
	for _, p := range allowances {
		if Match(p, name) {
			return nil
		}
	}
	if g.Popular != nil && g.Popular.Contains(name) {
		return &Refusal{Name: name}
	}
	if g.PublicExists != nil {
		exists, err := g.PublicExists(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &UnavailableError{Name: name, Err: err}
		}
		if exists {
			return &Refusal{Name: name}
		}
	}
	if g.Popular != nil {
		if pop, ok := g.Popular.Lookalike(name); ok {
			return &Refusal{Name: name, Lookalike: pop}
		}
	}
	return nil
}

// NormalizePattern checks an allowance pattern and returns its normal
// form. A pattern is a project name, or a glob over normalised names in
// which '*' matches any run of characters and '?' any one character
// ("acme-*"); it is normalised like a name (lower case, runs of '-', '_'
// and '.' as one '-').
func NormalizePattern(p string) (string, error) {
	if p == "" {
		return "", errors.New("an empty name pattern")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c == '*' || c == '?' || c == '-' || c == '_' || c == '.' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "", fmt.Errorf("name pattern %q: only letters, digits, '-', '_', '.', '*' and '?' are allowed", p)
		}
	}
	if !strings.ContainsAny(p, "*?") && !pypi.ValidName(p) {
		return "", fmt.Errorf("name pattern %q is not a valid project name", p)
	}
	return pypi.Normalize(p), nil
}

// Match reports whether the normalised name matches a normalised pattern.
func Match(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}
