// Package pep440 parses, normalises, orders and matches Python package
// versions and version specifiers as defined by PEP 440, behaving exactly as
// the Python "packaging" library (version 26, the one pip vendors) does.
//
// Versions are parsed strictly: strings that are not PEP 440 versions are
// rejected, there is no "legacy version" fallback. Parsing is ASCII-only:
// letters are case-folded with ASCII rules alone and digits are ASCII digits,
// so look-alikes such as U+212A KELVIN SIGN or Arabic-Indic digits never pass.
// The only non-ASCII characters accepted are the Unicode white space that
// Python's str.strip removes around a version.
//
// Numeric components of any length are supported: they are kept as canonical
// decimal strings and compared by length and then byte by byte, so a release
// segment longer than 64 bits neither overflows nor loses precision.
//
// Specifiers follow packaging 26 too, including its less obvious choices:
// a ~= clause is interpreted from its version as written (so "~=1.0c1"
// differs from "~=1.0rc1", and "~=v1.0" matches nothing), and
// [SpecifierSet.String] drops clauses packaging deems equal.
//
// Two differences from packaging are deliberate. The === operator ignores
// ASCII case only, where packaging lower-cases with Python's Unicode-aware
// str.lower; non-ASCII characters must match exactly. And a numeric
// component of more than 4,300 digits is accepted, where packaging fails
// with Python's integer conversion limit (a ValueError, not InvalidVersion).
package pep440

import (
	"strconv"
	"strings"
)

// Version is a parsed PEP 440 version. It is an immutable value, cheap to
// copy, and safe for concurrent use.
//
// A Version holds its canonical string form together with the offsets of
// each part in it, so String allocates nothing and two Versions are equal
// under == exactly when their canonical forms are identical. PEP 440 equality
// is looser (1.0 and 1.0.0 are the same version): use [Compare] for it.
//
// The zero Version is the version "0".
type Version struct {
	s string // canonical form, e.g. "1!2.0rc1.post2.dev3+ubuntu.4"

	// Offsets into s. The release segment is s[relStart:relEnd] (relStart is
	// just past "N!" when there is an epoch, else 0). The pre-release, if
	// any, is s[relEnd:preEnd] ("a1", "b2", "rc3"); the post-release is
	// s[preEnd:postEnd] (".postN"); the dev-release is s[postEnd:devEnd]
	// (".devN"); a local label follows devEnd as "+label". An absent part has
	// equal start and end offsets. uint32 keeps the struct small.
	relStart, relEnd, preEnd, postEnd, devEnd uint32

	// key orders most versions without reading s: for epoch 0 and first
	// two release components r0, r1 (0 when absent) below 10^9, it is
	// 1 + r0<<32 | r1, else 0 (unknown). Versions with different known
	// keys compare as their keys do; sorting mostly needs no more.
	key uint64
}

// InvalidVersionError reports a string that is not a valid PEP 440 version.
type InvalidVersionError struct {
	Version string // the string as given
}

func (e *InvalidVersionError) Error() string {
	return "pep440: invalid version " + strconv.Quote(e.Version)
}

// Parse parses a PEP 440 version, accepting every spelling that packaging
// accepts: surrounding white space, a leading "v", alternative pre- and
// post-release spellings (alpha, beta, c, pre, preview, rev, r), implicit
// post-releases ("1.0-1"), the separators ".", "-" and "_", implicit numbers
// ("1.0a" is "1.0a0"), upper case letters and local versions. Anything else
// is rejected with an *InvalidVersionError.
func Parse(s string) (Version, error) {
	// A stack buffer keeps the common case (short versions) free of
	// allocations when the input is already canonical.
	var stack [64]byte
	v, ok := parseVersion(trimSpace(s), stack[:0])
	if !ok {
		return Version{}, &InvalidVersionError{Version: s}
	}
	return v, nil
}

// MustParse is like [Parse] but panics if s is not a valid version. It is
// meant for versions written into programs and tests.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Normalize returns the canonical form of the version s, as packaging's
// str(Version(s)) does.
func Normalize(s string) (string, error) {
	v, err := Parse(s)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// zeroVersion is what the zero Version stands for. It is a function rather
// than a package variable so that no mutable global state exists.
func zeroVersion() Version {
	return Version{s: "0", relEnd: 1, preEnd: 1, postEnd: 1, devEnd: 1, key: 1}
}

// norm maps the zero Version to "0" so that every method sees a well-formed
// value.
func (v Version) norm() Version {
	if v.s == "" {
		return zeroVersion()
	}
	return v
}

// String returns the canonical form of v, identical to packaging's
// str(Version).
func (v Version) String() string {
	return v.norm().s
}

// Epoch returns the epoch as a canonical decimal string ("0" when the
// version has none).
func (v Version) Epoch() string {
	return v.norm().epoch()
}

// Release returns the components of the release segment as canonical decimal
// strings, trailing zeros included (packaging's Version.release).
func (v Version) Release() []string {
	return strings.Split(v.release(), ".")
}

func (v Version) release() string {
	v = v.norm()
	return v.s[v.relStart:v.relEnd]
}

// Pre returns the pre-release label ("a", "b" or "rc") and number, and
// whether v has a pre-release part.
func (v Version) Pre() (label, n string, ok bool) {
	v = v.norm()
	if v.preEnd == v.relEnd {
		return "", "", false
	}
	p := v.s[v.relEnd:v.preEnd]
	if p[0] == 'r' {
		return "rc", p[2:], true
	}
	return p[:1], p[1:], true
}

// Post returns the post-release number and whether v is a post-release.
func (v Version) Post() (n string, ok bool) {
	v = v.norm()
	if v.postEnd == v.preEnd {
		return "", false
	}
	return v.s[v.preEnd+uint32(len(".post")) : v.postEnd], true
}

// Dev returns the development release number and whether v is a
// development release.
func (v Version) Dev() (n string, ok bool) {
	v = v.norm()
	if v.devEnd == v.postEnd {
		return "", false
	}
	return v.s[v.postEnd+uint32(len(".dev")) : v.devEnd], true
}

// Local returns the normalised local version label ("ubuntu.1" for
// "1.0+ubuntu-01"), or "" when v has none.
func (v Version) Local() string {
	v = v.norm()
	if int(v.devEnd) == len(v.s) {
		return ""
	}
	return v.s[v.devEnd+1:]
}

// IsPrerelease reports whether v is a pre-release: it has a pre-release or a
// development release part. Local labels do not matter, and a post-release of
// a pre-release is still a pre-release.
func (v Version) IsPrerelease() bool {
	v = v.norm()
	return v.preEnd != v.relEnd || v.devEnd != v.postEnd
}

// IsPostrelease reports whether v has a post-release part.
func (v Version) IsPostrelease() bool {
	v = v.norm()
	return v.postEnd != v.preEnd
}

// IsDevrelease reports whether v has a development release part.
func (v Version) IsDevrelease() bool {
	v = v.norm()
	return v.devEnd != v.postEnd
}

// Public returns v without its local version label.
func (v Version) Public() Version {
	v = v.norm()
	return v.truncate(v.devEnd)
}

// BaseVersion returns the epoch and release segment of v alone, without
// pre-, post-, dev-release or local parts (packaging's base_version).
func (v Version) BaseVersion() Version {
	v = v.norm()
	return v.truncate(v.relEnd)
}

// truncate returns the version made of v.s[:end], where end is one of v's
// part boundaries. It shares v's memory.
func (v Version) truncate(end uint32) Version {
	v.s = v.s[:end]
	v.preEnd = min(v.preEnd, end)
	v.postEnd = min(v.postEnd, end)
	v.devEnd = min(v.devEnd, end)
	return v
}

// Compare returns -1, 0 or +1 as a sorts before, the same as, or after b in
// PEP 440 order. Epochs come first; trailing zeros of the release segment are
// insignificant (1.0 == 1.0.0); dev-releases sort before pre-releases, which
// sort before the final release, which sorts before post-releases; and a
// local version sorts after its public version, label segment by segment
// with numeric segments above alphanumeric ones.
//
// Compare suits slices.SortFunc directly.
func Compare(a, b Version) int {
	if a.key != b.key && a.key != 0 && b.key != 0 {
		return cmpUint64(a.key, b.key)
	}
	return compareFull(a, b)
}

// compareFull is Compare without the shortcut through Version.key.
func compareFull(a, b Version) int {
	a, b = a.norm(), b.norm()
	if a.s == b.s {
		return 0
	}
	if c := cmpNum(a.epoch(), b.epoch()); c != 0 {
		return c
	}
	if c := cmpRelease(a.s[a.relStart:a.relEnd], b.s[b.relStart:b.relEnd]); c != 0 {
		return c
	}

	// Pre-release: a dev-release of a final version (no pre or post part)
	// sorts before every pre-release, and a version without a pre-release
	// sorts after all of them.
	ar, an := a.preRank()
	br, bn := b.preRank()
	if ar != br {
		return cmpInt(ar, br)
	}
	if c := cmpNum(an, bn); c != 0 {
		return c
	}

	// Post-release: absent sorts first.
	if c := cmpOptional(a.s[a.preEnd:a.postEnd], b.s[b.preEnd:b.postEnd], len(".post"), -1); c != 0 {
		return c
	}
	// Dev-release: absent sorts last.
	if c := cmpOptional(a.s[a.postEnd:a.devEnd], b.s[b.postEnd:b.devEnd], len(".dev"), 1); c != 0 {
		return c
	}

	// Local label: absent sorts first.
	al, bl := a.s[a.devEnd:], b.s[b.devEnd:]
	switch {
	case al == "" && bl == "":
		return 0
	case al == "":
		return -1
	case bl == "":
		return 1
	}
	return cmpLocal(al[1:], bl[1:])
}

// epoch is Epoch for a version known not to be the zero Version.
func (v Version) epoch() string {
	if v.relStart == 0 {
		return "0"
	}
	return v.s[:v.relStart-1]
}

// cmpOptional compares two optional numbered parts (".postN", ".devN"), each
// either empty or a label of labelLen bytes followed by a number. An absent
// part sorts before a present one if absent is -1, after it if absent is +1.
func cmpOptional(a, b string, labelLen, absent int) int {
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return absent
	case b == "":
		return -absent
	}
	return cmpNum(a[labelLen:], b[labelLen:])
}

// Pre-release ranks, in sort order.
const (
	rankDevOnly = iota // X.devN without pre or post part
	rankAlpha
	rankBeta
	rankRC
	rankNone
)

// preRank returns the sort rank of v's pre-release part and its number ("" when
// there is no pre-release).
func (v Version) preRank() (int, string) {
	if v.preEnd == v.relEnd {
		if v.postEnd == v.preEnd && v.devEnd != v.postEnd {
			return rankDevOnly, ""
		}
		return rankNone, ""
	}
	p := v.s[v.relEnd:v.preEnd]
	switch p[0] {
	case 'a':
		return rankAlpha, p[1:]
	case 'b':
		return rankBeta, p[1:]
	default:
		return rankRC, p[2:]
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// orderKey computes Version.key from the canonical epoch and release
// segment.
func orderKey(epoch, release string) uint64 {
	if epoch != "0" {
		return 0
	}
	r0, rest := nextComponent(release, '.')
	r1, _ := nextComponent(rest, '.')
	x, ok0 := smallNum(r0)
	y, ok1 := smallNum(r1)
	if !ok0 || !ok1 {
		return 0
	}
	return 1 + x<<32 | y
}

// smallNum converts a canonical decimal number ("" meaning 0) of at most
// nine digits, so below 2^30.
func smallNum(s string) (uint64, bool) {
	if len(s) > 9 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	return n, true
}

// cmpNum compares two canonical decimal numbers (no leading zeros except
// "0" itself) of any length. "" compares equal to "" only, which callers use
// for absent numbers whose presence was already compared.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		return cmpInt(len(a), len(b))
	}
	return strings.Compare(a, b)
}

// cmpRelease compares two canonical release segments as if both were padded
// with zero components to the same length, which is packaging's comparison
// of releases with trailing zeros stripped. It scans both strings once:
// this is the hot loop of sorting.
func cmpRelease(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		x, y := "0", "0"
		if i < len(a) {
			k := i
			for k < len(a) && a[k] != '.' {
				k++
			}
			x, i = a[i:k], k+1
		}
		if j < len(b) {
			k := j
			for k < len(b) && b[k] != '.' {
				k++
			}
			y, j = b[j:k], k+1
		}
		if len(x) != len(y) {
			return cmpInt(len(x), len(y))
		}
		if x != y {
			return strings.Compare(x, y)
		}
	}
	return 0
}

// nextComponent splits s at the first sep, returning the part before it and
// the rest after it.
func nextComponent(s string, sep byte) (head, rest string) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// cmpLocal compares two normalised local labels: segment by segment, numeric
// segments numerically and above alphanumeric ones, alphanumeric segments
// lexicographically, and a label that is a prefix of the other first.
func cmpLocal(a, b string) int {
	for a != "" && b != "" {
		var x, y string
		x, a = nextComponent(a, '.')
		y, b = nextComponent(b, '.')
		xn, yn := isDigits(x), isDigits(y)
		var c int
		switch {
		case xn && yn:
			c = cmpNum(x, y)
		case xn:
			c = 1
		case yn:
			c = -1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}
