package pep440

import (
	"math"
	"unicode/utf8"
)

// The parser below is a hand-written equivalent of packaging's version
// regular expression
//
//	v? (N!)? N(.N)* ([._-]? pre [._-]? N?)? (-N | [._-]? post [._-]? N?)?
//	([._-]? dev [._-]? N?)? (+ [a-z0-9]+ ([._-][a-z0-9]+)*)?
//
// compiled with IGNORECASE and ASCII-only matching. Every optional part is
// matched greedily and never given back: whatever may follow a consumed
// separator may equally follow without it, so backtracking could never turn
// a rejected string into an accepted one or change what a part captures.
// Letters are compared with ASCII case folding alone and digits are ASCII
// digits alone.

// parseVersion parses t, which has no surrounding white space, writing the
// canonical form into buf (whose capacity may be reused). It reports whether
// t is a valid version.
func parseVersion(t string, buf []byte) (Version, bool) {
	var v Version
	i, n := 0, len(t)

	if i < n && lower(t[i]) == 'v' {
		i++
	}

	// Epoch or first release component.
	j := scanDigits(t, i)
	if j == i {
		return v, false
	}
	relStart := 0
	if j < n && t[j] == '!' {
		epoch := canonDigits(t[i:j])
		if epoch != "0" {
			buf = append(buf, epoch...)
			buf = append(buf, '!')
			relStart = len(buf)
		}
		i = j + 1
		j = scanDigits(t, i)
		if j == i {
			return v, false
		}
	}
	buf = append(buf, canonDigits(t[i:j])...)
	i = j
	for i+1 < n && t[i] == '.' && isDigit(t[i+1]) {
		j = scanDigits(t, i+1)
		buf = append(buf, '.')
		buf = append(buf, canonDigits(t[i+1:j])...)
		i = j
	}
	relEnd := len(buf)

	// Pre-release.
	if label, num, next, ok := matchPre(t, i); ok {
		buf = append(buf, label...)
		buf = append(buf, canonDigits(num)...)
		i = next
	}
	preEnd := len(buf)

	// Post-release.
	if num, next, ok := matchPost(t, i); ok {
		buf = append(buf, ".post"...)
		buf = append(buf, canonDigits(num)...)
		i = next
	}
	postEnd := len(buf)

	// Development release.
	if num, next, ok := matchLabel(t, i, "dev"); ok {
		buf = append(buf, ".dev"...)
		buf = append(buf, canonDigits(num)...)
		i = next
	}
	devEnd := len(buf)

	// Local version label.
	if i < n && t[i] == '+' {
		var ok bool
		if buf, ok = appendLocal(buf, t[i+1:]); !ok {
			return v, false
		}
		i = n
	}
	if i != n || len(buf) > math.MaxUint32 {
		return v, false
	}

	// Reuse the input's memory when it is already canonical, which is the
	// common case for versions read back from an index.
	if string(buf) == t {
		v.s = t
	} else {
		v.s = string(buf)
	}
	v.relStart = uint32(relStart)
	v.relEnd = uint32(relEnd)
	v.preEnd = uint32(preEnd)
	v.postEnd = uint32(postEnd)
	v.devEnd = uint32(devEnd)
	v.key = orderKey(v.epoch(), v.s[relStart:relEnd])
	return v, true
}

// matchPre matches an optional pre-release part at t[i:]: a separator, a
// label, a separator and a number, all but the label optional. It returns
// the canonical label, the digits of the number ("" when implicit) and the
// offset just past the part.
func matchPre(t string, i int) (label, num string, next int, ok bool) {
	p := i
	if p < len(t) && isSep(t[p]) {
		p++
	}
	// The order is the regular expression's: longer spellings first where
	// one is a prefix of another.
	switch {
	case hasPrefixFold(t[p:], "alpha"):
		label, p = "a", p+len("alpha")
	case hasPrefixFold(t[p:], "a"):
		label, p = "a", p+len("a")
	case hasPrefixFold(t[p:], "beta"):
		label, p = "b", p+len("beta")
	case hasPrefixFold(t[p:], "b"):
		label, p = "b", p+len("b")
	case hasPrefixFold(t[p:], "preview"):
		label, p = "rc", p+len("preview")
	case hasPrefixFold(t[p:], "pre"):
		label, p = "rc", p+len("pre")
	case hasPrefixFold(t[p:], "c"):
		label, p = "rc", p+len("c")
	case hasPrefixFold(t[p:], "rc"):
		label, p = "rc", p+len("rc")
	default:
		return "", "", i, false
	}
	num, next = optNumber(t, p)
	return label, num, next, true
}

// matchPost matches an optional post-release part at t[i:]: either the
// implicit form "-N", or a separator, a label (post, rev or r), a separator
// and a number, all but the label optional.
func matchPost(t string, i int) (num string, next int, ok bool) {
	if i+1 < len(t) && t[i] == '-' && isDigit(t[i+1]) {
		j := scanDigits(t, i+1)
		return t[i+1 : j], j, true
	}
	p := i
	if p < len(t) && isSep(t[p]) {
		p++
	}
	switch {
	case hasPrefixFold(t[p:], "post"):
		p += len("post")
	case hasPrefixFold(t[p:], "rev"):
		p += len("rev")
	case hasPrefixFold(t[p:], "r"):
		p += len("r")
	default:
		return "", i, false
	}
	num, next = optNumber(t, p)
	return num, next, true
}

// matchLabel matches an optional separator, the given lower-case label, an
// optional separator and an optional number at t[i:].
func matchLabel(t string, i int, label string) (num string, next int, ok bool) {
	p := i
	if p < len(t) && isSep(t[p]) {
		p++
	}
	if !hasPrefixFold(t[p:], label) {
		return "", i, false
	}
	num, next = optNumber(t, p+len(label))
	return num, next, true
}

// optNumber matches an optional separator and an optional number after a
// label. The separator is consumed even when no number follows it, as the
// regular expression's possessive quantifier does.
func optNumber(t string, p int) (num string, next int) {
	if p < len(t) && isSep(t[p]) {
		p++
	}
	j := scanDigits(t, p)
	return t[p:j], j
}

// appendLocal validates a local version label (the part after "+") and
// appends its normalised form: lower case, "." as the only separator, and
// numeric segments without leading zeros.
func appendLocal(buf []byte, l string) ([]byte, bool) {
	buf = append(buf, '+')
	for {
		j := 0
		for j < len(l) && isAlnum(l[j]) {
			j++
		}
		if j == 0 {
			return buf, false
		}
		seg := l[:j]
		if isDigits(seg) {
			buf = append(buf, canonDigits(seg)...)
		} else {
			for k := 0; k < len(seg); k++ {
				buf = append(buf, lower(seg[k]))
			}
		}
		if j == len(l) {
			return buf, true
		}
		if !isSep(l[j]) {
			return buf, false
		}
		buf = append(buf, '.')
		l = l[j+1:]
	}
}

// canonDigits strips leading zeros from a run of ASCII digits, as Python's
// str(int(s)) does, without converting to an integer. An empty run is an
// implicit zero.
func canonDigits(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	if s == "" {
		return "0"
	}
	return s
}

func scanDigits(t string, i int) int {
	for i < len(t) && isDigit(t[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSep(c byte) bool { return c == '.' || c == '-' || c == '_' }

func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= lower(c) && lower(c) <= 'z'
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// lower maps ASCII upper-case letters to lower case and leaves every other
// byte alone. Unlike Unicode case folding it never maps a non-ASCII
// character onto an ASCII letter.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// hasPrefixFold reports whether s begins with prefix, which is lower-case
// ASCII, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// equalFoldASCII reports whether a and b are equal ignoring ASCII case.
// Non-ASCII bytes must match exactly.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// isSpace reports whether r is white space to Python's str.isspace and the
// \s of its regular expressions, which is what packaging strips around
// versions and specifiers. It is a fixed list rather than unicode.IsSpace
// because the two differ: Python also counts U+001C to U+001F.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ',
		0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200a
}

// trimSpace removes leading and trailing white space as Python's str.strip
// does.
func trimSpace(s string) string {
	for s != "" {
		if c := s[0]; c < utf8.RuneSelf {
			if !isSpace(rune(c)) {
				break
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		if !isSpace(r) {
			break
		}
		s = s[size:]
	}
	for s != "" {
		if c := s[len(s)-1]; c < utf8.RuneSelf {
			if !isSpace(rune(c)) {
				break
			}
			s = s[:len(s)-1]
			continue
		}
		r, size := utf8.DecodeLastRuneInString(s)
		if !isSpace(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// trimLeftSpace removes leading white space as Python's str.lstrip does.
func trimLeftSpace(s string) string {
	for s != "" {
		r, size := utf8.DecodeRuneInString(s)
		if !isSpace(r) {
			break
		}
		s = s[size:]
	}
	return s
}

// indexSpace returns the byte offset of the first white space character in
// s, or -1.
func indexSpace(s string) int {
	for i, r := range s {
		if isSpace(r) {
			return i
		}
	}
	return -1
}
