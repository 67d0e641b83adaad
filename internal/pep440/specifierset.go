package pep440

import (
	"slices"
	"strings"
)

// SpecifierSet is a comma-separated list of specifier clauses, all of which
// a version must satisfy, such as ">=1.0,!=1.3.*,<2". The empty set matches
// everything, and so does the zero SpecifierSet. It is an immutable value,
// safe for concurrent use.
type SpecifierSet struct {
	specs []Specifier
}

// ParseSpecifierSet parses a comma-separated list of specifier clauses.
// White space around clauses is ignored, and so are empty clauses, so ""
// (and ",") is the empty set. Any invalid clause makes the whole set invalid.
func ParseSpecifierSet(s string) (SpecifierSet, error) {
	var ss SpecifierSet
	for rest := s; ; {
		clause, after, more := strings.Cut(rest, ",")
		if clause = trimSpace(clause); clause != "" {
			sp, ok := parseSpecifier(clause)
			if !ok {
				return SpecifierSet{}, &InvalidSpecifierError{Specifier: clause}
			}
			ss.specs = append(ss.specs, sp)
		}
		if !more {
			break
		}
		rest = after
	}
	return ss, nil
}

// Specifiers returns the clauses of ss in the order they were written.
func (ss SpecifierSet) Specifiers() []Specifier {
	return slices.Clone(ss.specs)
}

// Len returns the number of clauses in ss.
func (ss SpecifierSet) Len() int { return len(ss.specs) }

// String returns ss as packaging's str(SpecifierSet) does: the clauses
// sorted by their string form, duplicates (clauses packaging considers
// equal, such as ">=1.0" and ">=1.0.0") dropped, joined by commas.
func (ss SpecifierSet) String() string {
	sorted := slices.Clone(ss.specs)
	slices.SortStableFunc(sorted, func(a, b Specifier) int {
		return strings.Compare(a.String(), b.String())
	})
	var b strings.Builder
	seen := make(map[string]bool, len(sorted))
	for _, sp := range sorted {
		key := sp.canonical()
		if seen[key] {
			continue
		}
		seen[key] = true
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(sp.String())
	}
	return b.String()
}

// Prereleases reports whether ss asks for pre-releases: some clause names a
// pre-release version, as in ">=1.0b1" (see [Specifier.Prereleases]).
func (ss SpecifierSet) Prereleases() bool {
	for _, sp := range ss.specs {
		if sp.Prereleases() {
			return true
		}
	}
	return false
}

// Contains reports whether the version string satisfies every clause, with
// packaging 26's default semantics for a single version: asking about one
// version explicitly does not exclude it for being a pre-release. The empty
// set contains every string. A string that is not a valid version is
// contained only in the empty set or in a set made of === clauses that all
// equal it (ignoring ASCII case); === always compares the string as given.
func (ss SpecifierSet) Contains(version string) bool {
	v, err := Parse(version)
	return ss.matches(version, v, err == nil)
}

// ContainsVersion is like Contains for a parsed version; === clauses
// compare against its canonical string form.
func (ss SpecifierSet) ContainsVersion(v Version) bool {
	return ss.matches(v.String(), v.norm(), true)
}

// matches reports whether every clause admits the candidate raw, which
// parsed as v if valid.
func (ss SpecifierSet) matches(raw string, v Version, valid bool) bool {
	for _, sp := range ss.specs {
		if valid {
			if !sp.match(v, raw) {
				return false
			}
		} else if sp.op != ArbitraryEqual || !equalFoldASCII(raw, sp.version) {
			return false
		}
	}
	return true
}

// Filter returns the candidates that satisfy ss, in their original order,
// choosing pre-releases as an installer does (packaging 26's
// SpecifierSet.filter with no explicit policy):
//
//   - if some clause names a pre-release (see [SpecifierSet.Prereleases]),
//     every matching candidate is kept;
//   - otherwise matching pre-releases are dropped when any matching final
//     release exists, and kept when only pre-releases match.
//
// Strings that are not valid versions are kept by the empty set, match ===
// clauses that equal them (ignoring ASCII case) and are dropped by every
// other clause; they never count as pre-releases.
func (ss SpecifierSet) Filter(candidates []string) []string {
	type candidate struct {
		raw   string
		isPre bool // a valid version that is a pre-release
	}
	matched := make([]candidate, 0, len(candidates))
	haveFinal := false
	for _, c := range candidates {
		v, err := Parse(c)
		valid := err == nil
		if !ss.matches(c, v, valid) {
			continue
		}
		isPre := valid && v.IsPrerelease()
		haveFinal = haveFinal || valid && !isPre
		matched = append(matched, candidate{c, isPre})
	}
	keepPre := !haveFinal || ss.Prereleases()
	out := make([]string, 0, len(matched))
	for _, m := range matched {
		if keepPre || !m.isPre {
			out = append(out, m.raw)
		}
	}
	return out
}
