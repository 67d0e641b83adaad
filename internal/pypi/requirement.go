package pypi

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxMarkerDepth bounds the nesting of parentheses in a marker, so that a
// hostile Requires-Dist cannot exhaust the stack of the recursive parser.
// Real markers nest two or three levels.
const maxMarkerDepth = 64

// Requirement is a parsed PEP 508 dependency specifier, such as
// `name[extra1,extra2] (>=1.0,<2) ; python_version < "3.8"` or
// `name @ https://example.com/name.whl ; os_name == "posix"`.
type Requirement struct {
	// Name is the project name as written.
	Name string
	// Extras are the extra names as written, in order; nil when none.
	Extras []string
	// Specifier is the version specifier as written, parentheses and
	// surrounding whitespace removed: ">=1.0, <2". Empty when there is
	// none (and always for a URL requirement).
	Specifier string
	// URL is the direct reference after '@', verbatim ("" if none).
	URL string
	// Marker is the environment marker after ';', verbatim and trimmed
	// ("" if none). It has been checked against the marker grammar, not
	// evaluated.
	Marker string
}

// NormalizedName returns the PEP 503 normal form of r.Name.
func (r Requirement) NormalizedName() string { return Normalize(r.Name) }

// String returns the requirement in PEP 508 form, with the specifier and
// marker as written: "name[a,b]>=1.0,<2; python_version < \"3.8\"".
func (r Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(r.Extras, ","))
		b.WriteByte(']')
	}
	if r.URL != "" {
		b.WriteString(" @ ")
		b.WriteString(r.URL)
		if r.Marker != "" {
			b.WriteByte(' ')
		}
	} else {
		b.WriteString(r.Specifier)
	}
	if r.Marker != "" {
		b.WriteString("; ")
		b.WriteString(r.Marker)
	}
	return b.String()
}

// ParseRequirement parses a PEP 508 dependency specifier, the value of a
// Requires-Dist field.
//
// It follows the grammar of PEP 508 as the packaging library implements
// it: whitespace (spaces and tabs) wherever the grammar allows it, empty
// extras "[]", an empty "()" specifier and a trailing comma in a specifier
// list are accepted; a URL must be absolute (a scheme, and a host unless
// the scheme is "file"), it ends at the first whitespace, and a marker
// after it must be separated from it by whitespace (a ';' right after the
// URL is part of the URL). The versions in the specifier are only checked
// to be made of PEP 508 version characters; callers validate them with the
// pep440 package. The marker is checked against the marker grammar,
// including the names of the marker variables, but not evaluated. Errors
// are one sentence that quotes the requirement (shortened when long).
func ParseRequirement(s string) (Requirement, error) {
	if !utf8.ValidString(s) {
		return Requirement{}, fmt.Errorf("requirement %q is not valid UTF-8", clip(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return Requirement{}, fmt.Errorf("requirement %q contains a control character", clip(s))
		}
	}
	p := reqParser{s: s}
	r, err := p.parse()
	if err != nil {
		return Requirement{}, fmt.Errorf("invalid requirement %q: %w", clip(s), err)
	}
	return r, nil
}

type reqParser struct {
	s string
	i int
}

func (p *reqParser) eof() bool  { return p.i >= len(p.s) }
func (p *reqParser) peek() byte { return p.s[p.i] }

func (p *reqParser) skipWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// errorf reports a syntax error at the current position.
func (p *reqParser) errorf(format string, args ...any) error {
	if p.eof() {
		return fmt.Errorf(format+" at the end", args...)
	}
	return fmt.Errorf(format+" at %q", append(args, clip(p.s[p.i:]))...)
}

// identifier reads a run of name characters and checks that it is a valid
// name. what names it in errors.
func (p *reqParser) identifier(what string) (string, error) {
	start := p.i
	for p.i < len(p.s) && (isAlnum(p.peek()) || isNameSep(p.peek())) {
		p.i++
	}
	id := p.s[start:p.i]
	if id == "" {
		return "", p.errorf("expected %s", what)
	}
	if !ValidName(id) {
		return "", fmt.Errorf("%s %q is invalid: it must start and end with a letter or digit", what, id)
	}
	return id, nil
}

func (p *reqParser) parse() (Requirement, error) {
	var r Requirement
	var err error
	p.skipWS()
	if r.Name, err = p.identifier("a project name"); err != nil {
		return r, err
	}
	p.skipWS()
	if !p.eof() && p.peek() == '[' {
		if r.Extras, err = p.extras(); err != nil {
			return r, err
		}
		p.skipWS()
	}
	if p.eof() {
		return r, nil
	}
	switch c := p.peek(); {
	case c == '@':
		p.i++
		p.skipWS()
		start := p.i
		for p.i < len(p.s) && p.peek() != ' ' && p.peek() != '\t' {
			p.i++
		}
		if r.URL = p.s[start:p.i]; r.URL == "" {
			return r, p.errorf("expected a URL after '@'")
		}
		if !isAbsoluteURL(r.URL) {
			return r, fmt.Errorf("URL %q is not absolute (expected scheme://host/... or file:...)", clip(r.URL))
		}
		ws := p.i
		p.skipWS()
		if p.eof() {
			return r, nil
		}
		if p.i == ws || p.peek() != ';' {
			return r, p.errorf("expected whitespace and ';' or the end after the URL")
		}
	case c == '(':
		p.i++
		start := p.i
		if err := p.versionMany(true); err != nil {
			return r, err
		}
		if p.eof() || p.peek() != ')' {
			return r, p.errorf("expected ',' or ')' in the version specifier")
		}
		r.Specifier = strings.Trim(p.s[start:p.i], " \t")
		p.i++
	case strings.IndexByte("<>=!~", c) >= 0:
		start := p.i
		if err := p.versionMany(false); err != nil {
			return r, err
		}
		r.Specifier = strings.Trim(p.s[start:p.i], " \t")
	case c == ';':
	default:
		return r, p.errorf("expected '[', '(', a version operator, '@', ';' or the end after the name")
	}
	p.skipWS()
	if p.eof() {
		return r, nil
	}
	if p.peek() != ';' {
		return r, p.errorf("expected ',', ';' or the end after the version specifier")
	}
	p.i++
	r.Marker = strings.Trim(p.s[p.i:], " \t")
	if r.Marker == "" {
		return r, errors.New("expected a marker after ';'")
	}
	if err := checkMarker(r.Marker); err != nil {
		return r, fmt.Errorf("invalid marker: %w", err)
	}
	return r, nil
}

// isAbsoluteURL reports whether u starts with a scheme and, unless the
// scheme is "file", an authority: the URLs the packaging library accepts
// in a direct reference.
func isAbsoluteURL(u string) bool {
	colon := strings.IndexByte(u, ':')
	if colon < 1 {
		return false
	}
	scheme := u[:colon]
	for i := 0; i < len(scheme); i++ {
		// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
		switch c := scheme[i]; {
		case i == 0 && (isDigit(c) || !isAlnum(c)):
			return false
		case !isAlnum(c) && c != '+' && c != '-' && c != '.':
			return false
		}
	}
	if strings.EqualFold(scheme, "file") {
		return true
	}
	rest := u[colon+1:]
	return strings.HasPrefix(rest, "//") && len(rest) > 2 && rest[2] != '/'
}

// extras reads "[extra, ...]", the '[' included.
func (p *reqParser) extras() ([]string, error) {
	p.i++ // '['
	p.skipWS()
	var extras []string
	if !p.eof() && p.peek() == ']' {
		p.i++
		return nil, nil
	}
	for {
		e, err := p.identifier("an extra name")
		if err != nil {
			return nil, err
		}
		extras = append(extras, e)
		p.skipWS()
		if p.eof() {
			return nil, p.errorf("expected ',' or ']' in the extras")
		}
		switch p.peek() {
		case ']':
			p.i++
			return extras, nil
		case ',':
			p.i++
			p.skipWS()
		default:
			return nil, p.errorf("expected ',' or ']' in the extras")
		}
	}
}

// versionOp returns the PEP 440 comparison operator s starts with, or "".
// Longer operators are tried first so that "===" is not read as "==".
func versionOp(s string) string {
	for _, op := range [...]string{"===", "==", "!=", "<=", ">=", "~=", "<", ">"} {
		if strings.HasPrefix(s, op) {
			return op
		}
	}
	return ""
}

// versionMany reads a comma-separated list of "op version" clauses. It
// stops before the first byte that cannot continue the list.
func (p *reqParser) versionMany(paren bool) error {
	for n := 0; ; n++ {
		p.skipWS()
		op := ""
		if !p.eof() {
			op = versionOp(p.s[p.i:])
		}
		if op == "" {
			// An empty "()" and a trailing comma are accepted, as
			// the packaging library does.
			if n == 0 && paren || n > 0 {
				return nil
			}
			return p.errorf("expected a version operator")
		}
		p.i += len(op)
		p.skipWS()
		start := p.i
		for p.i < len(p.s) && isVersionChar(p.peek(), op == "===") {
			p.i++
		}
		if p.i == start {
			return p.errorf("expected a version after %q", op)
		}
		p.skipWS()
		if p.eof() || p.peek() != ',' {
			return nil
		}
		p.i++
	}
}

// isVersionChar reports whether c may appear in the version of a
// specifier clause: PEP 508's letters, digits and "-_.*+!", or for the
// arbitrary equality "===" anything but whitespace and the bytes that end a
// clause.
func isVersionChar(c byte, arbitrary bool) bool {
	if arbitrary {
		return c != ' ' && c != '\t' && c != ',' && c != ';' && c != ')'
	}
	return isAlnum(c) || strings.IndexByte("-_.*+!", c) >= 0
}

// checkMarker checks a marker against the PEP 508 marker grammar:
//
//	marker    = and ("or" and)*
//	and       = atom ("and" atom)*
//	atom      = "(" marker ")" | var op var
//	var       = variable | quoted string
//	op        = "<=" | "<" | "!=" | "===" | "==" | ">=" | ">" | "~=" | "in" | "not" "in"
func checkMarker(s string) error {
	p := markerParser{reqParser{s: s}}
	if err := p.or(0); err != nil {
		return err
	}
	p.skipWS()
	if !p.eof() {
		return p.errorf("expected 'and', 'or' or the end")
	}
	return nil
}

type markerParser struct {
	reqParser
}

// word returns the run of identifier bytes at the current position,
// without consuming it.
func (p *markerParser) word() string {
	j := p.i
	for j < len(p.s) && (isAlnum(p.s[j]) || p.s[j] == '_' || p.s[j] == '.') {
		j++
	}
	return p.s[p.i:j]
}

// keyword consumes kw if it is the next word.
func (p *markerParser) keyword(kw string) bool {
	p.skipWS()
	if p.word() == kw {
		p.i += len(kw)
		return true
	}
	return false
}

func (p *markerParser) or(depth int) error {
	if err := p.and(depth); err != nil {
		return err
	}
	for p.keyword("or") {
		if err := p.and(depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *markerParser) and(depth int) error {
	if err := p.atom(depth); err != nil {
		return err
	}
	for p.keyword("and") {
		if err := p.atom(depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *markerParser) atom(depth int) error {
	p.skipWS()
	if !p.eof() && p.peek() == '(' {
		if depth >= maxMarkerDepth {
			return fmt.Errorf("parentheses nest more than %d deep", maxMarkerDepth)
		}
		p.i++
		if err := p.or(depth + 1); err != nil {
			return err
		}
		p.skipWS()
		if p.eof() || p.peek() != ')' {
			return p.errorf("expected ')'")
		}
		p.i++
		return nil
	}
	if err := p.value(); err != nil {
		return err
	}
	if err := p.op(); err != nil {
		return err
	}
	return p.value()
}

// value reads a marker variable or a quoted string.
func (p *markerParser) value() error {
	p.skipWS()
	if p.eof() {
		return p.errorf("expected a marker variable or a quoted string")
	}
	if q := p.peek(); q == '"' || q == '\'' {
		end := strings.IndexByte(p.s[p.i+1:], q)
		if end < 0 {
			return p.errorf("unterminated string")
		}
		p.i += end + 2
		return nil
	}
	w := p.word()
	if w == "" {
		return p.errorf("expected a marker variable or a quoted string")
	}
	if !isMarkerVariable(w) {
		return p.errorf("unknown marker variable %q", w)
	}
	p.i += len(w)
	return nil
}

func (p *markerParser) op() error {
	p.skipWS()
	if !p.eof() {
		if op := versionOp(p.s[p.i:]); op != "" {
			p.i += len(op)
			return nil
		}
	}
	if p.keyword("in") {
		return nil
	}
	if p.keyword("not") {
		if p.keyword("in") {
			return nil
		}
		return p.errorf("expected 'in' after 'not'")
	}
	return p.errorf("expected a marker operator")
}

// isMarkerVariable reports whether name is a marker variable: those of
// PEP 508 and the legacy dotted spellings the packaging library still
// accepts.
func isMarkerVariable(name string) bool {
	switch name {
	case "python_version", "python_full_version",
		"os_name", "os.name", "sys_platform", "sys.platform",
		"platform_release", "platform_system",
		"platform_version", "platform.version",
		"platform_machine", "platform.machine",
		"platform_python_implementation", "platform.python_implementation",
		"python_implementation", "implementation_name", "implementation_version",
		"extra", "extras", "dependency_groups":
		return true
	}
	return false
}
