package simple

import "strings"

// Candidates of content negotiation, in the server's order of preference
// among equally specific, equally weighted exact matches.
const (
	candJSON = iota
	candHTMLv1
	candHTML
	numCand
)

// candType maps a candidate to the media type Sluice answers with.
var candType = [numCand]string{TypeJSON, TypeHTMLv1, TypeHTML}

// Specificity of the media range that set a candidate's quality
// (RFC 9110 §12.5.1: the most specific matching range counts).
const (
	specNone  = iota // no range matched the candidate
	specAny          // */*
	specType         // application/* or text/*
	specExact        // the full media type
)

// Negotiate chooses the media type of a simple API response from the value
// of the request's Accept header (PEP 691 and RFC 9110 §12.5.1). It returns
// one of [TypeJSON], [TypeHTMLv1] or [TypeHTML], or false when the client
// accepts none of them and the caller should answer 406 Not Acceptable.
//
// The rules:
//
//   - A missing or empty header (or one made only of empty list elements)
//     means text/html, the PEP 503 default every client understands.
//   - Media types and parameter names are case-insensitive (ASCII only);
//     spaces and tabs around ',', ';' and '=' are allowed. Parameters other
//     than q are ignored.
//   - application/vnd.pypi.simple.latest+json and +html are aliases of the
//     v1 types; the answer always names the v1 type.
//   - Each candidate takes the quality of the most specific range that
//     matches it (exact type, then application/* or text/*, then */*); among
//     equally specific ranges for the same candidate the highest q counts.
//     q=0 makes a candidate unacceptable.
//   - application/* matches both v1 types (and answers JSON on a tie);
//     text/* matches text/html; */* (and the legacy bare "*") matches all
//     three.
//   - The highest q wins. On a tie, the candidate set by the more specific
//     range wins. Remaining ties between exact matches go by the server's
//     preference: JSON, then v1 HTML, then text/html. Remaining ties between
//     candidates set only by */* go to text/html (then JSON, then v1 HTML):
//     a client that accepts anything is most likely a browser or a PEP 503
//     client.
//   - q values are read leniently: a decimal number with an optional integer
//     part and any number of fraction digits (".5", "0.25", "0.12345"; a
//     quoted value is unquoted), truncated to thousandths, values above 1
//     clamped to 1. Anything else ("abc", "", "-1", "1e3") makes the whole
//     range malformed and it is ignored: it can neither make a type
//     acceptable nor unacceptable.
//   - Unknown types (application/json, image/png) are ignored; a header
//     naming only such types is not acceptable.
//
// Negotiate does not allocate.
func Negotiate(accept string) (string, bool) {
	var (
		q    [numCand]int // quality in thousandths
		spec [numCand]int // specificity of the range that set q
		seen bool         // a non-empty list element was present
	)
	for rest := accept; ; {
		elem := rest
		i := strings.IndexByte(rest, ',')
		if i >= 0 {
			elem, rest = rest[:i], rest[i+1:]
		}
		if elem = trimOWS(elem); elem != "" {
			seen = true
			if qv, ok := rangeQuality(elem); ok {
				match(elem, qv, &q, &spec)
			}
		}
		if i < 0 {
			break
		}
	}
	if !seen {
		return TypeHTML, true
	}
	best := -1
	for c := range numCand {
		if q[c] == 0 {
			continue
		}
		if best < 0 || q[c] > q[best] ||
			q[c] == q[best] && (spec[c] > spec[best] ||
				spec[c] == spec[best] && prefer(c, spec[c]) < prefer(best, spec[best])) {
			best = c
		}
	}
	if best < 0 {
		return "", false
	}
	return candType[best], true
}

// prefer ranks a candidate among equals (lower is better). Only */* prefers
// text/html; see Negotiate.
func prefer(c, spec int) int {
	if spec == specAny {
		return (c + 1) % numCand // HTML 0, JSON 1, HTMLv1 2
	}
	return c
}

// match records the quality qv of the media range in elem (which still
// carries its parameters) for every candidate it matches.
func match(elem string, qv int, q, spec *[numCand]int) {
	mr := elem
	if i := strings.IndexByte(mr, ';'); i >= 0 {
		mr = mr[:i]
	}
	mr = trimOWS(mr)
	set := func(c, s int) {
		if s > spec[c] {
			spec[c], q[c] = s, qv
		} else if s == spec[c] && qv > q[c] {
			q[c] = qv
		}
	}
	switch r := lookupRange(mr); r {
	case rangeAny:
		set(candJSON, specAny)
		set(candHTMLv1, specAny)
		set(candHTML, specAny)
	case rangeApplication:
		set(candJSON, specType)
		set(candHTMLv1, specType)
	case rangeText:
		set(candHTML, specType)
	case rangeJSON, rangeLatestJSON:
		set(candJSON, specExact)
	case rangeHTMLv1, rangeLatestHTML:
		set(candHTMLv1, specExact)
	case rangeHTML:
		set(candHTML, specExact)
	}
}

// Media ranges Negotiate knows.
const (
	rangeUnknown = iota
	rangeAny
	rangeApplication
	rangeText
	rangeJSON
	rangeLatestJSON
	rangeHTMLv1
	rangeLatestHTML
	rangeHTML
)

// lookupRange identifies a media range. It dispatches on the length, then
// compares exactly (clients nearly always send lower case) before ignoring
// case. Media types are ASCII tokens, so only ASCII case is ignored:
// strings.EqualFold would also let "ſ" match "s".
func lookupRange(mr string) int {
	is := func(t string) bool { return mr == t || equalFoldASCII(mr, t) }
	switch len(mr) {
	case len("*"), len("*/*"):
		if mr == "*" || mr == "*/*" {
			return rangeAny
		}
	case len("text/*"):
		if is("text/*") {
			return rangeText
		}
	case len(TypeHTML):
		if is(TypeHTML) {
			return rangeHTML
		}
	case len("application/*"):
		if is("application/*") {
			return rangeApplication
		}
	case len(TypeJSON): // and TypeHTMLv1
		switch {
		case is(TypeJSON):
			return rangeJSON
		case is(TypeHTMLv1):
			return rangeHTMLv1
		}
	case len(TypeLatestJSON): // and TypeLatestHTML
		switch {
		case is(TypeLatestJSON):
			return rangeLatestJSON
		case is(TypeLatestHTML):
			return rangeLatestHTML
		}
	}
	return rangeUnknown
}

// equalFoldASCII reports whether s equals the lower-case ASCII string
// lower, ignoring the case of ASCII letters in s.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// rangeQuality returns the quality of one media range (with parameters) in
// thousandths: 1000 without a q parameter, false when q is malformed. Only
// the first q parameter counts.
func rangeQuality(elem string) (int, bool) {
	i := strings.IndexByte(elem, ';')
	for i >= 0 {
		elem = elem[i+1:]
		i = strings.IndexByte(elem, ';')
		param := elem
		if i >= 0 {
			param = elem[:i]
		}
		eq := strings.IndexByte(param, '=')
		if eq < 0 || !equalFoldASCII(trimOWS(param[:eq]), "q") {
			continue
		}
		value := param[eq+1:]
		value = trimOWS(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		return parseQ(value)
	}
	return 1000, true
}

// parseQ parses a q value leniently (see Negotiate) into thousandths.
func parseQ(v string) (int, bool) {
	i, whole, digits := 0, 0, 0
	for ; i < len(v) && '0' <= v[i] && v[i] <= '9'; i++ {
		if v[i] != '0' {
			whole = 1 // only "is it at least 1" matters: values clamp to 1
		}
		digits++
	}
	frac, n := 0, 0
	if i < len(v) && v[i] == '.' {
		for i++; i < len(v) && '0' <= v[i] && v[i] <= '9'; i++ {
			if n < 3 {
				frac = frac*10 + int(v[i]-'0')
				n++
			}
			digits++
		}
	}
	if i != len(v) || digits == 0 {
		return 0, false
	}
	if whole > 0 {
		return 1000, true
	}
	for ; n < 3; n++ {
		frac *= 10
	}
	return frac, true
}

// trimOWS removes the optional white space of RFC 9110 (spaces and tabs).
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
