// Package nameguard decides whether a new in-house project may take a name:
// names that exist on a public index, and names that are likely typos or
// look-alikes of popular public names, are refused unless an administrator
// allowed them. That closes the two doors of dependency confusion: an
// in-house name a public project can shadow, and a public typosquat an
// in-house name resembles.
package nameguard

import (
	"bufio"
	_ "embed" // the default popular list
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/sluice-pkg/sluice/internal/pypi"
)

// defaultPopular is a copy of ../shared/data/pypi-top.tsv: the ~15,000 most
// downloaded public projects, "rank<TAB>name" per line.
//
//go:embed pypi-top.tsv
var defaultPopular string

// MinTypoLength is the shortest name the edit-distance check applies to.
// Short names are dense: measured against every public project name, 30%
// of the four-letter ones are one edit from a top-15,000 name (20% of the
// five-letter ones, 9% of six), so below five letters the check would
// refuse names nearly at random.
const MinTypoLength = 5

// Popular is an index of popular public project names, built once and
// then read concurrently.
type Popular struct {
	names  []string            // normalised, most popular first
	set    map[string]struct{} // the same names
	folded map[string]string   // look-alike form -> most popular name with it
	// neighbours holds, for every name of at least MinTypoLength bytes, a
	// hash of the name and of each of its one-byte deletions, with the
	// name's index, sorted by hash. Two names within one edit (insertion,
	// deletion, substitution, adjacent transposition) share such a key, so
	// a lookup costs len(name)+1 binary searches and a few exact checks.
	neighbours []neighbour
}

type neighbour struct {
	hash uint64
	name int32
}

// Default returns the embedded popular list.
func Default() *Popular {
	p, err := Parse(strings.NewReader(defaultPopular), "the embedded popular list")
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return p
}

// LoadFile reads a popular list from a file in the format of Parse.
func LoadFile(path string) (*Popular, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("popular names: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a popular list: one project per line, either "rank<TAB>name"
// (the format of pypi-top.tsv) or just "name", most popular first. Blank
// lines and lines starting with '#' are skipped.
func Parse(r io.Reader, source string) (*Popular, error) {
	p := &Popular{set: map[string]struct{}{}, folded: map[string]string{}}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name := text
		if i := strings.LastIndexByte(text, '\t'); i >= 0 {
			name = strings.TrimSpace(text[i+1:])
		}
		if !pypi.ValidName(name) {
			return nil, fmt.Errorf("%s:%d: %q is not a project name (want \"rank<TAB>name\" or \"name\")", source, line, name)
		}
		name = pypi.Normalize(name)
		if _, dup := p.set[name]; dup {
			continue
		}
		p.set[name] = struct{}{}
		p.names = append(p.names, name)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(p.names) == 0 {
		return nil, fmt.Errorf("%s: no project names", source)
	}
	for i, name := range p.names {
		if f := Fold(name); f != "" {
			if _, ok := p.folded[f]; !ok {
				p.folded[f] = name
			}
		}
		if len(name) >= MinTypoLength {
			p.neighbours = append(p.neighbours, neighbour{hashSkip(name, -1), int32(i)})
			for j := range len(name) {
				p.neighbours = append(p.neighbours, neighbour{hashSkip(name, j), int32(i)})
			}
		}
	}
	slices.SortFunc(p.neighbours, func(a, b neighbour) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return int(a.name - b.name)
	})
	return p, nil
}

// Len is the number of names.
func (p *Popular) Len() int { return len(p.names) }

// Contains reports whether the normalised name is on the list.
func (p *Popular) Contains(name string) bool {
	_, ok := p.set[name]
	return ok
}

// Lookalike returns the most popular name on the list that the normalised
// name could be mistaken for, other than the name itself: one that is
// equal after folding (see Fold), or, for names of at least MinTypoLength
// bytes, within one edit (an insertion, a deletion, a substitution or a
// transposition of neighbouring characters).
func (p *Popular) Lookalike(name string) (string, bool) {
	if f := Fold(name); f != "" {
		if pop, ok := p.folded[f]; ok && pop != name {
			return pop, true
		}
	}
	if len(name) < MinTypoLength {
		return "", false
	}
	best := int32(-1)
	for j := -1; j < len(name); j++ {
		h := hashSkip(name, j)
		i, _ := slices.BinarySearchFunc(p.neighbours, h, func(n neighbour, h uint64) int {
			switch {
			case n.hash < h:
				return -1
			case n.hash > h:
				return 1
			}
			return 0
		})
		for ; i < len(p.neighbours) && p.neighbours[i].hash == h; i++ {
			k := p.neighbours[i].name
			if (best < 0 || k < best) && p.names[k] != name && withinOneEdit(name, p.names[k]) {
				best = k
			}
		}
	}
	if best < 0 {
		return "", false
	}
	return p.names[best], true
}

// hashSkip is FNV-1a over s without the byte at index skip (none if skip
// is negative), so that deletions are hashed without building strings.
func hashSkip(s string, skip int) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		if i == skip {
			continue
		}
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// withinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or transposition of adjacent bytes.
func withinOneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if i == len(a) {
			return true
		}
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		return a[i+1:] == b[i:]
	}
	return false
}

// Fold maps a normalised name to the form a reader could not tell apart
// from others: "python-", "py-" prefixes and "-python", "-py" suffixes
// dropped, separators removed, and look-alike characters unified ("rn" and
// "m", "vv" and "w", "0" and "o", "1", "i" and "l"). It returns "" for
// names whose folded form is too short to compare meaningfully.
func Fold(name string) string {
	for _, pre := range []string{"python-", "py-"} {
		if s, ok := strings.CutPrefix(name, pre); ok {
			name = s
			break
		}
	}
	for _, suf := range []string{"-python", "-py"} {
		if s, ok := strings.CutSuffix(name, suf); ok {
			name = s
			break
		}
	}
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-':
			continue
		case c == 'r' && i+1 < len(name) && name[i+1] == 'n':
			c = 'm'
			i++
		case c == 'v' && i+1 < len(name) && name[i+1] == 'v':
			c = 'w'
			i++
		case c == '0':
			c = 'o'
		case c == '1', c == 'i':
			c = 'l'
		}
		b.WriteByte(c)
	}
	if b.Len() < 3 {
		return ""
	}
	return b.String()
}
