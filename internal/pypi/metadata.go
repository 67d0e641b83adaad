package pypi

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits of ParseMetadata. Real metadata is far below both: the largest
// files on PyPI are a few MiB of description and a few hundred fields.
// Callers that read metadata from an archive or the network should stop
// reading at MaxMetadataSize rather than rely on ParseMetadata to refuse it.
const (
	MaxMetadataSize   = 16 << 20 // bytes
	MaxMetadataFields = 8192     // header fields
)

// Metadata is parsed core metadata: the METADATA file of a wheel or the
// PKG-INFO file of an sdist (https://packaging.python.org/specifications/core-metadata/).
//
// The format is a series of "Name: value" header lines, a line starting
// with a space or tab continuing the previous one, then optionally a blank
// line and a body that holds the description (Metadata-Version 2.1 and
// later). Field names are case-insensitive; fields may repeat.
type Metadata struct {
	// Raw is the input, exactly as given to ParseMetadata, to be served
	// unchanged as the PEP 658 metadata file. ParseMetadata does not copy
	// it: the caller must not modify it afterwards.
	Raw []byte

	fields    []field
	bodyStart int // offset of the body in Raw; len(Raw) when there is none
}

type field struct {
	name  string // as written
	value string // unfolded and trimmed
	text  string // the value as written, lines included; "" unless folded
}

// Field is one header field of core metadata.
type Field struct {
	Name  string // as written
	Value string // unfolded (see Metadata.Get)
}

// ProjectURL is one Project-URL field: "Label, URL".
type ProjectURL struct {
	Label string // "" when the field has no comma
	URL   string
}

// ParseMetadata parses core metadata.
//
// It is strict about structure and lenient about content: it fails on
// empty input, input larger than MaxMetadataSize, a NUL byte anywhere, a
// UTF-8 byte order mark, and in the header on invalid UTF-8, control
// characters other than tab, a carriage return not followed by a line feed,
// a line that is neither a "Name: value" field nor a continuation line, and
// more than MaxMetadataFields fields. It accepts unknown fields, repeated
// fields and missing required ones (see Validate), and any body, which is
// not required to be UTF-8. Lines may end in LF or CRLF.
//
// Unlike net/mail and net/textproto, it keeps folded values and the body
// exactly as written, so descriptions survive unchanged.
func ParseMetadata(raw []byte) (*Metadata, error) {
	switch {
	case len(raw) == 0:
		return nil, errors.New("metadata is empty")
	case len(raw) > MaxMetadataSize:
		return nil, fmt.Errorf("metadata is %d bytes long, more than the limit of %d", len(raw), MaxMetadataSize)
	case bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")):
		return nil, errors.New("metadata starts with a UTF-8 byte order mark")
	}
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		return nil, fmt.Errorf("metadata contains a NUL byte at offset %d: it is binary, not text", i)
	}

	// Find the end of the header (the first empty line) so that only the
	// header is copied into a string; fields are substrings of it.
	end, bodyStart := len(raw), len(raw)
	for pos := 0; pos < len(raw); {
		nl := bytes.IndexByte(raw[pos:], '\n')
		if nl < 0 {
			break
		}
		line := raw[pos : pos+nl]
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			end, bodyStart = pos, pos+nl+1
			break
		}
		pos += nl + 1
	}
	hdr := string(raw[:end])
	if hdr == "" {
		return nil, errors.New("metadata has no header fields: it starts with an empty line")
	}

	m := &Metadata{Raw: raw, bodyStart: bodyStart}
	var cur struct {
		name       string
		start, end int // of the value in hdr
		folded     bool
		ok         bool
	}
	flush := func() {
		if !cur.ok {
			return
		}
		f := field{name: cur.name, value: hdr[cur.start:cur.end]}
		if cur.folded {
			f.text = f.value
			f.value = unfold(f.value)
		}
		f.value = strings.Trim(f.value, " \t")
		m.fields = append(m.fields, f)
	}
	for pos, n := 0, 1; pos < len(hdr); n++ {
		lineEnd := strings.IndexByte(hdr[pos:], '\n')
		next := len(hdr)
		if lineEnd < 0 {
			lineEnd = len(hdr)
		} else {
			lineEnd += pos
			next = lineEnd + 1
		}
		line := strings.TrimSuffix(hdr[pos:lineEnd], "\r")
		if line == "" {
			// A lone "\r" at the end of the input: a blank line
			// without its "\n", so the end of the header.
			break
		}
		if err := checkHeaderLine(n, line); err != nil {
			return nil, err
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !cur.ok {
				return nil, fmt.Errorf("metadata line %d starts with whitespace but there is no field before it to continue", n)
			}
			cur.end = pos + len(line)
			cur.folded = true
			pos = next
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			return nil, fmt.Errorf("metadata line %d is not a \"Name: value\" field: %q", n, clip(line))
		}
		name := line[:colon]
		if name == "" {
			return nil, fmt.Errorf("metadata line %d has an empty field name", n)
		}
		for i := 0; i < len(name); i++ {
			// RFC 5322 field names: printable ASCII except ':' and space.
			if c := name[i]; c <= ' ' || c > '~' {
				return nil, fmt.Errorf("metadata line %d has an invalid field name %q", n, clip(name))
			}
		}
		flush()
		if len(m.fields) == MaxMetadataFields {
			return nil, fmt.Errorf("metadata has more than %d fields", MaxMetadataFields)
		}
		start := pos + colon + 1
		for start < pos+len(line) && (hdr[start] == ' ' || hdr[start] == '\t') {
			start++
		}
		cur.name, cur.start, cur.end, cur.folded, cur.ok = name, start, pos+len(line), false, true
		pos = next
	}
	flush()
	if len(m.fields) == 0 {
		return nil, errors.New("metadata has no header fields")
	}
	return m, nil
}

// checkHeaderLine checks that a non-empty header line (without its line
// ending) is text.
func checkHeaderLine(n int, line string) error {
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\r' {
			return fmt.Errorf("metadata line %d contains a carriage return that does not end the line", n)
		}
		if c < 0x20 && c != '\t' {
			return fmt.Errorf("metadata line %d contains the control character %#02x", n, c)
		}
	}
	if !utf8.ValidString(line) {
		return fmt.Errorf("metadata line %d is not valid UTF-8", n)
	}
	return nil
}

// unfold removes the line breaks of a folded value (RFC 5322 section
// 2.2.3), keeping the whitespace that starts each continuation line.
func unfold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(strings.TrimSuffix(s[:i], "\r"))
		s = s[i+1:]
	}
}

// clip shortens s for an error message.
func clip(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// Fields returns every header field in order.
func (m *Metadata) Fields() []Field {
	fs := make([]Field, len(m.fields))
	for i, f := range m.fields {
		fs[i] = Field{Name: f.name, Value: f.value}
	}
	return fs
}

// Lookup returns the value of the first field with the given name (ASCII
// case-insensitive) and whether there is one. Folded values are unfolded:
// the line breaks are removed, the whitespace that started each
// continuation line is kept, and leading and trailing spaces and tabs are
// trimmed.
func (m *Metadata) Lookup(name string) (string, bool) {
	for _, f := range m.fields {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// Get returns the value of the first field with the given name, or "". See
// Lookup.
func (m *Metadata) Get(name string) string {
	v, _ := m.Lookup(name)
	return v
}

// GetAll returns the values of every field with the given name, in order,
// or nil. See Lookup.
func (m *Metadata) GetAll(name string) []string {
	var vs []string
	for _, f := range m.fields {
		if strings.EqualFold(f.name, name) {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// count returns how many fields have the given name.
func (m *Metadata) count(name string) int {
	n := 0
	for _, f := range m.fields {
		if strings.EqualFold(f.name, name) {
			n++
		}
	}
	return n
}

// MetadataVersion returns the Metadata-Version field ("2.1", ...).
func (m *Metadata) MetadataVersion() string { return m.Get("Metadata-Version") }

// Name returns the Name field, as written.
func (m *Metadata) Name() string { return m.Get("Name") }

// Version returns the Version field, verbatim.
func (m *Metadata) Version() string { return m.Get("Version") }

// Summary returns the Summary field.
func (m *Metadata) Summary() string { return m.Get("Summary") }

// RequiresPython returns the Requires-Python field, verbatim ("" if none).
func (m *Metadata) RequiresPython() string { return m.Get("Requires-Python") }

// RequiresDist returns the Requires-Dist fields, unparsed (see
// ParseRequirement).
func (m *Metadata) RequiresDist() []string { return m.GetAll("Requires-Dist") }

// ProvidesExtra returns the Provides-Extra fields.
func (m *Metadata) ProvidesExtra() []string { return m.GetAll("Provides-Extra") }

// Classifiers returns the Classifier fields.
func (m *Metadata) Classifiers() []string { return m.GetAll("Classifier") }

// HomePage returns the Home-page field (deprecated in favour of
// Project-URL, but still common).
func (m *Metadata) HomePage() string { return m.Get("Home-page") }

// DescriptionContentType returns the Description-Content-Type field
// ("text/markdown", ...; "" if none).
func (m *Metadata) DescriptionContentType() string { return m.Get("Description-Content-Type") }

// LicenseExpression returns the License-Expression field (PEP 639, SPDX).
func (m *Metadata) LicenseExpression() string { return m.Get("License-Expression") }

// License returns the License field, a free text that may span several
// lines, unescaped as Description is.
func (m *Metadata) License() string { return m.multiline("License") }

// ProjectURLs returns the Project-URL fields in order. Each is
// "Label, URL"; a field without a comma gives a ProjectURL with an empty
// Label.
func (m *Metadata) ProjectURLs() []ProjectURL {
	var us []ProjectURL
	for _, v := range m.GetAll("Project-URL") {
		label, url, ok := strings.Cut(v, ",")
		if !ok {
			label, url = "", label
		}
		us = append(us, ProjectURL{Label: strings.TrimSpace(label), URL: strings.TrimSpace(url)})
	}
	return us
}

// Body returns the body: the bytes after the first empty line, as written,
// or nil when there is none.
func (m *Metadata) Body() []byte {
	if m.bodyStart >= len(m.Raw) {
		return nil
	}
	return m.Raw[m.bodyStart:]
}

// Description returns the long description: the body when it is not
// blank (Metadata-Version 2.1 and later), with CRLF line endings turned into
// LF, else the Description field.
//
// A Description field spans several lines, each continuation line starting
// with whitespace. Old tools marked continuation lines either with eight
// spaces (distutils) or with seven spaces and '|' (PEP 345). Description
// removes the "       |" prefix where it is present and otherwise the
// indentation common to the continuation lines, as setuptools does when it
// reads PKG-INFO, and returns the lines joined with "\n".
//
// The result is valid UTF-8: invalid sequences in the body are replaced by
// U+FFFD.
func (m *Metadata) Description() string {
	if body := m.Body(); len(bytes.TrimSpace(body)) > 0 {
		s := strings.ReplaceAll(string(body), "\r\n", "\n")
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return m.multiline("Description")
}

// multiline returns the first field with the given name, unescaped as
// Description describes.
func (m *Metadata) multiline(name string) string {
	for _, f := range m.fields {
		if !strings.EqualFold(f.name, name) {
			continue
		}
		if f.text == "" {
			return f.value
		}
		return unescapeMultiline(f.text)
	}
	return ""
}

func unescapeMultiline(text string) string {
	const pep345 = "       |" // seven spaces and a bar
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r")
	}
	// The indentation common to the continuation lines that do not use
	// the PEP 345 bar and are not blank. Every continuation line starts
	// with whitespace, so it is at least one byte long.
	indent, have := "", false
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, pep345) || isBlank(l) {
			continue
		}
		ws := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if !have {
			indent, have = ws, true
			continue
		}
		n := 0
		for n < len(indent) && n < len(ws) && indent[n] == ws[n] {
			n++
		}
		indent = indent[:n]
	}
	var b strings.Builder
	b.Grow(len(text))
	b.WriteString(strings.TrimSpace(lines[0]))
	for _, l := range lines[1:] {
		b.WriteByte('\n')
		switch {
		case strings.HasPrefix(l, pep345):
			b.WriteString(l[len(pep345):])
		case isBlank(l):
		default:
			b.WriteString(l[len(indent):])
		}
	}
	return strings.Trim(b.String(), " \t\n")
}

func isBlank(s string) bool { return strings.Trim(s, " \t") == "" }

// Validate checks what the core metadata specification requires of every
// file and what an index relies on: Metadata-Version, Name and Version are
// present, Metadata-Version has the form "N.N", Name is a valid project
// name, Version is not empty, the fields that may appear only once appear
// once, and every Requires-Dist parses as a PEP 508 requirement. It does
// not check that Version is a valid PEP 440 version (callers do, with the
// pep440 package) nor that Name matches the file name.
func (m *Metadata) Validate() error {
	// Fields that may appear at most once. Several values for them are
	// ambiguous: tools that read the first and tools that read the last
	// would disagree.
	single := [...]string{
		"Metadata-Version", "Name", "Version", "Summary", "Description",
		"Description-Content-Type", "Keywords", "Home-page", "Download-URL",
		"Author", "Author-email", "Maintainer", "Maintainer-email",
		"License", "License-Expression", "Requires-Python",
	}
	for _, name := range single {
		if n := m.count(name); n > 1 {
			return fmt.Errorf("metadata has %d %s fields; it may have only one", n, name)
		}
	}
	for _, name := range [...]string{"Metadata-Version", "Name", "Version"} {
		if v, ok := m.Lookup(name); !ok {
			return fmt.Errorf("metadata has no %s field", name)
		} else if v == "" {
			return fmt.Errorf("metadata has an empty %s field", name)
		}
	}
	if v := m.MetadataVersion(); !isMetadataVersion(v) {
		return fmt.Errorf("metadata has an invalid Metadata-Version %q (expected a version such as 2.1)", clip(v))
	}
	if v := m.Name(); !ValidName(v) {
		return fmt.Errorf("metadata has an invalid Name %q: a project name is ASCII letters and digits, with '.', '_' or '-' between them", clip(v))
	}
	for _, v := range m.RequiresDist() {
		if _, err := ParseRequirement(v); err != nil {
			return fmt.Errorf("metadata has an invalid Requires-Dist: %w", err)
		}
	}
	return nil
}

// isMetadataVersion reports whether v has the form digits.digits.
func isMetadataVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	return ok && isDigits(major) && isDigits(minor)
}

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
