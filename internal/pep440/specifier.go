package pep440

import (
	"strconv"
	"strings"
)

// Operator is the comparison operator of a version specifier clause.
type Operator uint8

// The operators of PEP 440, in the order packaging lists them.
const (
	Compatible     Operator = iota + 1 // ~=
	Equal                              // ==
	NotEqual                           // !=
	LessEqual                          // <=
	GreaterEqual                       // >=
	Less                               // <
	Greater                            // >
	ArbitraryEqual                     // ===
)

// String returns the operator as written in a specifier, such as "~=".
func (op Operator) String() string {
	switch op {
	case Compatible:
		return "~="
	case Equal:
		return "=="
	case NotEqual:
		return "!="
	case LessEqual:
		return "<="
	case GreaterEqual:
		return ">="
	case Less:
		return "<"
	case Greater:
		return ">"
	case ArbitraryEqual:
		return "==="
	}
	return "Operator(" + strconv.Itoa(int(op)) + ")"
}

// InvalidSpecifierError reports a string that is not a valid version
// specifier or specifier set.
type InvalidSpecifierError struct {
	Specifier string // the offending clause as given
}

func (e *InvalidSpecifierError) Error() string {
	return "pep440: invalid specifier " + strconv.Quote(e.Specifier)
}

// Specifier is one clause of a version specifier, such as ">=1.0" or
// "==2.1.*". It is an immutable value, safe for concurrent use. The zero
// Specifier matches nothing.
type Specifier struct {
	op       Operator
	version  string  // the version as written, white space stripped
	v        Version // version parsed (without ".*"); for === only if vOK
	vOK      bool    // v is valid (always, except for === on a non-version)
	wildcard bool    // ==V.* or !=V.*

	// For ==V.*, !=V.* and ~=V: the split version that a candidate must
	// start with, in the form of packaging's _version_split (epoch first),
	// and how many of its leading components are numeric.
	prefix    []string
	prefixNum int

	// For <V where V is not a pre-release: V.dev0, the earliest
	// pre-release of V, which <V must not reach.
	bound Version
}

// ParseSpecifier parses a single specifier clause: an operator (~=, ==, !=,
// <=, >=, <, >, ===) followed by a version, with white space allowed around
// and between them. It applies packaging's rules: ".*" only with == and != and
// only after a release segment; local versions only with ==, != and ===; ~=
// needs at least two release components; === takes any string free of white
// space, ";" and ")".
func ParseSpecifier(s string) (Specifier, error) {
	sp, ok := parseSpecifier(s)
	if !ok {
		return Specifier{}, &InvalidSpecifierError{Specifier: s}
	}
	return sp, nil
}

func parseSpecifier(s string) (Specifier, bool) {
	var sp Specifier
	t := trimSpace(s)
	var rest string
	switch {
	case strings.HasPrefix(t, "==="):
		sp.op, rest = ArbitraryEqual, t[3:]
	case strings.HasPrefix(t, "~="):
		sp.op, rest = Compatible, t[2:]
	case strings.HasPrefix(t, "=="):
		sp.op, rest = Equal, t[2:]
	case strings.HasPrefix(t, "!="):
		sp.op, rest = NotEqual, t[2:]
	case strings.HasPrefix(t, "<="):
		sp.op, rest = LessEqual, t[2:]
	case strings.HasPrefix(t, ">="):
		sp.op, rest = GreaterEqual, t[2:]
	case strings.HasPrefix(t, "<"):
		sp.op, rest = Less, t[1:]
	case strings.HasPrefix(t, ">"):
		sp.op, rest = Greater, t[1:]
	default:
		return sp, false
	}
	// White space may separate the operator from the version; trailing
	// white space went with trimSpace.
	sp.version = trimLeftSpace(rest)

	if sp.op == ArbitraryEqual {
		// Any string at all, even an empty one, except for white space and
		// the characters that end a specifier inside a requirement.
		if indexSpace(sp.version) >= 0 || strings.ContainsAny(sp.version, ";)") {
			return sp, false
		}
		sp.v, sp.vOK = parseVersion(sp.version, nil)
		return sp, true
	}

	vs := sp.version
	if (sp.op == Equal || sp.op == NotEqual) && strings.HasSuffix(vs, ".*") {
		sp.wildcard = true
		vs = vs[:len(vs)-2]
	}
	v, ok := parseVersion(vs, nil)
	if !ok {
		return sp, false
	}
	sp.v, sp.vOK = v, true
	local := v.Local() != ""
	switch {
	case sp.wildcard:
		// Only a release segment may precede ".*".
		if v.preEnd != v.relEnd || v.devEnd != v.preEnd || local {
			return sp, false
		}
		sp.prefix = versionSplit(v.String())
		sp.prefixNum = len(sp.prefix)
	case sp.op == Compatible:
		if local || strings.IndexByte(v.release(), '.') < 0 {
			return sp, false
		}
		sp.prefix, sp.prefixNum = compatiblePrefix(sp.version)
	case sp.op == Equal || sp.op == NotEqual:
		// Local versions are allowed.
	case local:
		return sp, false
	case sp.op == Less && !v.IsPrerelease():
		sp.bound = MustParse(v.String() + ".dev0")
	}
	return sp, true
}

// Operator returns the operator of s.
func (s Specifier) Operator() Operator { return s.op }

// Version returns the version of s as written, for example "2.1.*" or
// "v1.0RC1" (white space removed); for === it is the arbitrary string.
func (s Specifier) Version() string { return s.version }

// String returns the specifier as packaging's str(Specifier) does: the
// operator followed by the version as written, without white space.
func (s Specifier) String() string {
	if s.op == 0 {
		return ""
	}
	return s.op.String() + s.version
}

// Prereleases reports whether s asks for pre-releases by naming one, as
// packaging's Specifier.prereleases does: true when its version is a
// pre-release, except for != and .* clauses, which never do.
func (s Specifier) Prereleases() bool {
	switch {
	case s.op == NotEqual, s.wildcard, !s.vOK:
		return false
	}
	return s.v.IsPrerelease()
}

// Contains reports whether v satisfies s under PEP 440's matching rules,
// including zero padding, prefix matching, local labels, epochs and the
// exclusive ordered comparisons (<V admits no pre-release of V unless V is
// one; >V admits no post-release of V unless V is one, nor a local version
// of V). If prereleases is false, pre-releases never match; if it is true
// they match like any version, which is also packaging 26's default for a
// single version. For ===, v is compared in its canonical string form.
func (s Specifier) Contains(v Version, prereleases bool) bool {
	if !prereleases && v.IsPrerelease() {
		return false
	}
	return s.match(v.norm(), v.String())
}

// match reports whether v, whose string form as given is raw, satisfies s.
func (s Specifier) match(v Version, raw string) bool {
	switch s.op {
	case ArbitraryEqual:
		// packaging compares the lower-cased strings; this lowers ASCII
		// letters only and so stays byte-exact elsewhere.
		return equalFoldASCII(raw, s.version)
	case Equal:
		return s.equal(v)
	case NotEqual:
		return !s.equal(v)
	case LessEqual:
		return Compare(v.Public(), s.v) <= 0
	case GreaterEqual:
		return Compare(v.Public(), s.v) >= 0
	case Less:
		if Compare(v, s.v) >= 0 {
			return false
		}
		// <V must not admit a pre-release of V unless V is one itself.
		return s.v.IsPrerelease() || !v.IsPrerelease() || Compare(v, s.bound) < 0
	case Greater:
		if Compare(v, s.v) <= 0 {
			return false
		}
		// >V must not admit a post-release of V unless V is one itself...
		if !s.v.IsPostrelease() && v.IsPostrelease() && Compare(v.truncate(v.preEnd), s.v) == 0 {
			return false
		}
		// ...nor a local version of V.
		return v.Local() == "" || Compare(v.Public(), s.v) != 0
	case Compatible:
		return Compare(v.Public(), s.v) >= 0 && prefixMatch(v, s.prefix, s.prefixNum)
	}
	return false
}

// equal implements == without regard to its negation.
func (s Specifier) equal(v Version) bool {
	if s.wildcard {
		return prefixMatch(v, s.prefix, s.prefixNum)
	}
	// A specifier without a local label matches every local version of its
	// public version.
	if s.v.Local() == "" {
		v = v.Public()
	}
	return Compare(v, s.v) == 0
}

// canonical returns the form under which packaging considers two
// specifiers equal: the version normalised (trailing zeros stripped except
// for ~=), or as written for === and prefix matches.
func (s Specifier) canonical() string {
	if s.op == ArbitraryEqual || s.wildcard {
		return s.String()
	}
	v := s.v
	if s.op != Compatible {
		v = trimTrailingZeros(v)
	}
	return s.op.String() + v.String()
}

// trimTrailingZeros drops trailing zero components of v's release segment,
// keeping at least one.
func trimTrailingZeros(v Version) Version {
	rel := v.release()
	cut := len(rel)
	for cut > 1 && strings.HasSuffix(rel[:cut], ".0") {
		cut -= 2
	}
	if cut == len(rel) {
		return v
	}
	return MustParse(v.s[:v.relStart] + rel[:cut] + v.s[v.relEnd:])
}

// versionSplit is packaging's _version_split: the epoch ("0" when absent)
// followed by the dot-separated components, where a component made of a
// number and a pre-release ("0rc1") counts as two.
func versionSplit(s string) []string {
	epoch, rest := "0", s
	if i := strings.LastIndexByte(s, '!'); i >= 0 {
		if s[:i] != "" {
			epoch = s[:i]
		}
		rest = s[i+1:]
	}
	out := make([]string, 1, 2+strings.Count(rest, ".")+1)
	out[0] = epoch
	for {
		item, after, more := strings.Cut(rest, ".")
		if k := preSplit(item); k > 0 {
			out = append(out, item[:k], item[k:])
		} else {
			out = append(out, item)
		}
		if !more {
			return out
		}
		rest = after
	}
}

// preSplit returns where item splits if it fully matches
// [0-9]+(a|b|c|rc)[0-9]+ (case-sensitive, as in packaging), or 0.
func preSplit(item string) int {
	k := scanDigits(item, 0)
	if k == 0 || k == len(item) {
		return 0
	}
	l := k
	switch {
	case strings.HasPrefix(item[l:], "rc"):
		l += 2
	case item[l] == 'a' || item[l] == 'b' || item[l] == 'c':
		l++
	default:
		return 0
	}
	if l == len(item) || scanDigits(item, l) != len(item) {
		return 0
	}
	return k
}

// compatiblePrefix computes the prefix that ~=V requires of a candidate, as
// packaging does: it splits the version as written, keeps the components
// before the first pre-, post- or dev-release one, drops the last of them,
// and normalises the result like the version of a ==P.* clause. It works on
// the spelling as written, which is what packaging does, so unusual
// spellings give packaging's answers rather than a cleaner reading of PEP
// 440.
func compatiblePrefix(written string) ([]string, int) {
	parts := versionSplit(written)
	k := 0
	for k < len(parts) && !isSuffix(parts[k]) {
		k++
	}
	kept := parts[:k]
	if len(kept) > 0 {
		kept = kept[:len(kept)-1]
	}
	if len(kept) == 0 {
		// Cannot happen for a valid ~= clause, whose version has at least
		// two release components; match nothing rather than everything.
		return []string{""}, 0
	}
	joined := kept[0] + "!" + strings.Join(kept[1:], ".")
	if v, ok := parseVersion(joined, nil); ok {
		joined = v.String()
	}
	split := versionSplit(joined)
	n := 0
	for n < len(split) && isDigits(split[n]) {
		n++
	}
	return split, n
}

// isSuffix reports whether a split component starts a pre-, post- or
// dev-release, by packaging's case-sensitive test.
func isSuffix(c string) bool {
	for _, p := range [...]string{"dev", "a", "b", "rc", "post"} {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	return false
}

// prefixMatch reports whether the public part of v, split like
// versionSplit and padded with zero release components up to num numeric
// components, starts with prefix. This is packaging's prefix matching for
// ==V.* (and for the prefix part of ~=V).
func prefixMatch(v Version, prefix []string, num int) bool {
	v = v.norm()
	// v's split form: epoch, release components (numeric), then up to
	// three suffix components: the pre-release ("rc1"), "postN" and "devN".
	if prefix[0] != v.Epoch() {
		return false
	}
	rel := v.release()
	relLen := 1 + strings.Count(rel, ".")
	numeric := 1 + relLen // components of v that are numeric
	padded := max(numeric, num)
	var suffix [3]string
	ns := 0
	if v.preEnd != v.relEnd {
		suffix[ns] = v.s[v.relEnd:v.preEnd]
		ns++
	}
	if v.postEnd != v.preEnd {
		suffix[ns] = v.s[v.preEnd+1 : v.postEnd]
		ns++
	}
	if v.devEnd != v.postEnd {
		suffix[ns] = v.s[v.postEnd+1 : v.devEnd]
		ns++
	}
	if len(prefix) > padded+ns {
		return false
	}
	for i := 1; i < len(prefix); i++ {
		var c string
		switch {
		case i < numeric:
			c, rel = nextComponent(rel, '.')
		case i < padded:
			c = "0"
		default:
			c = suffix[i-padded]
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
