package simple

import (
	"bytes"
	"html"
	"io"
	"strings"
)

// Limits of the HTML scanner. Upstream pages are untrusted: whatever the
// input, the scanner's memory is bounded by these (plus the read buffer),
// not by the size of the page.
const (
	// maxTagLen bounds the bytes kept of one tag (its name and its
	// attribute names and values). A longer tag is ignored; an anchor whose
	// tag is that long is skipped.
	maxTagLen = 64 << 10
	// maxAttrs bounds the attributes of one tag; a tag with more is
	// ignored like an over-long one.
	maxAttrs = 256
	// maxTextLen bounds the raw text kept of one anchor. An anchor with
	// more text is skipped (its name would be over maxNameLen anyway, unless
	// padded with megabytes of white space).
	maxTextLen = 4 << 10
	// readBufSize is the scanner's read buffer.
	readBufSize = 32 << 10
)

// htmlWhitespace is ASCII white space as HTML defines it.
const htmlWhitespace = " \t\n\f\r"

// Anchor attributes the scanner keeps.
const (
	attrHref = iota
	attrRequiresPython
	attrYanked
	attrCoreMetadata
	attrDistInfoMetadata
	attrGPGSig
	numAnchorAttrs
)

var anchorAttrNames = [numAnchorAttrs]string{
	attrHref:             "href",
	attrRequiresPython:   "data-requires-python",
	attrYanked:           "data-yanked",
	attrCoreMetadata:     "data-core-metadata",
	attrDistInfoMetadata: "data-dist-info-metadata",
	attrGPGSig:           "data-gpg-sig",
}

// span locates a byte range in a scratch buffer.
type span struct {
	start, end int
	ok         bool // present (an attribute may be present and empty)
}

// htmlAnchor is one <a> element as the scanner hands it over. Its byte
// slices are only valid during the handler call. Attribute values and text
// are raw: entities are not decoded yet (see unescapeAttr, unescapeText).
type htmlAnchor struct {
	buf   []byte
	attrs [numAnchorAttrs]span
	text  []byte
	// bad is set when the anchor's tag or text was over the limits, or its
	// tag was cut short by the end of the input.
	bad bool
}

// attr returns an attribute's raw value and whether it is present.
func (a *htmlAnchor) attr(i int) ([]byte, bool) {
	s := a.attrs[i]
	return a.buf[s.start:s.end], s.ok
}

// htmlHandler receives what the scanner finds.
type htmlHandler interface {
	// base is called for the first <base> element that has an href.
	base(href string)
	// meta is called for each <meta> element with a name attribute; an
	// error stops the scan.
	meta(name, content string) error
	// anchor is called for each <a> element with an href; an error stops
	// the scan.
	anchor(a *htmlAnchor) error
}

// htmlScanner is a small, tolerant, streaming HTML tokenizer that finds
// anchors, base and meta elements. It follows the HTML tokenizer closely
// enough for real index pages (tags, attributes quoted with ' or " or
// unquoted, comments, doctype, processing instructions, and the raw text of
// script, style and similar elements, in which it finds no tags), and never
// fails on malformed markup: the worst outcome is a missed anchor.
type htmlScanner struct {
	src      io.Reader
	buf      []byte
	pos, end int
	rerr     error // sticky read error; io.EOF at the end

	tag      []byte // name and attributes of the current tag
	attrs    []tagAttr
	overflow bool // the current tag is over maxTagLen

	inA   bool
	a     htmlAnchor
	h     htmlHandler
	based bool
}

// tagAttr locates one attribute of the current tag in htmlScanner.tag.
type tagAttr struct {
	key, val span
}

// scanHTML scans the page read from r and reports to h. It returns the
// first error of h or of r (io.EOF is not an error).
func scanHTML(r io.Reader, h htmlHandler) error {
	s := &htmlScanner{src: r, buf: make([]byte, readBufSize), h: h}
	err := s.run()
	if err == nil && s.rerr != io.EOF {
		err = s.rerr
	}
	return err
}

// fill refills the read buffer once it is consumed.
func (s *htmlScanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	for range 100 { // io.Reader allows (0, nil); don't spin forever
		n, err := s.src.Read(s.buf)
		if n > 0 {
			s.pos, s.end = 0, n
			if err != nil {
				s.rerr = err
			}
			return true
		}
		if err != nil {
			s.rerr = err
			return false
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

// readByte returns the next byte. The fast path is small enough to be
// inlined: the scanner calls it for every byte of every tag.
func (s *htmlScanner) readByte() (byte, bool) {
	if s.pos < s.end {
		c := s.buf[s.pos]
		s.pos++
		return c, true
	}
	return s.readByteSlow()
}

// readByteSlow refills the buffer. Not inlined, so that readByte is.
//
//go:noinline
func (s *htmlScanner) readByteSlow() (byte, bool) {
	if !s.fill() {
		return 0, false
	}
	c := s.buf[s.pos]
	s.pos++
	return c, true
}

// unread steps back over the byte just read; only valid right after a
// successful readByte.
func (s *htmlScanner) unread() { s.pos-- }

// skipTo consumes input up to and including the next c.
func (s *htmlScanner) skipTo(c byte) bool {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], c); i >= 0 {
			s.pos += i + 1
			return true
		}
		s.pos = s.end
		if !s.fill() {
			return false
		}
	}
}

// readText consumes anchor text up to and including the next '<', keeping
// at most maxTextLen bytes of it.
func (s *htmlScanner) readText() bool {
	for {
		chunk := s.buf[s.pos:s.end]
		i := bytes.IndexByte(chunk, '<')
		if i >= 0 {
			chunk = chunk[:i]
		}
		s.appendText(chunk)
		if i >= 0 {
			s.pos += i + 1
			return true
		}
		s.pos = s.end
		if !s.fill() {
			return false
		}
	}
}

func (s *htmlScanner) appendText(b []byte) {
	if len(s.a.text)+len(b) > maxTextLen {
		s.a.bad = true
		return
	}
	s.a.text = append(s.a.text, b...)
}

func (s *htmlScanner) run() error {
	for {
		var ok bool
		if s.inA {
			ok = s.readText()
		} else {
			ok = s.skipTo('<')
		}
		if !ok {
			break
		}
		c, ok := s.readByte()
		if !ok {
			if s.inA {
				s.appendText([]byte{'<'})
			}
			break
		}
		switch {
		case isASCIILetter(c):
			s.unread()
			if err := s.startTag(); err != nil {
				return err
			}
		case c == '/':
			c, ok := s.readByte()
			switch {
			case !ok:
			case isASCIILetter(c):
				s.unread()
				s.readTag()
				if s.inA && string(s.tagName()) == "a" {
					if err := s.endAnchor(); err != nil {
						return err
					}
				}
			case c == '>': // "</>" is ignored
			default: // bogus comment
				s.skipTo('>')
			}
		case c == '!':
			if s.consume('-') {
				if s.consume('-') {
					s.skipComment()
				} else {
					s.skipTo('>')
				}
			} else {
				s.skipTo('>') // doctype, CDATA, bogus comment
			}
		case c == '?':
			s.skipTo('>')
		default: // a lone '<' is text
			s.unread()
			if s.inA {
				s.appendText([]byte{'<'})
			}
		}
	}
	if s.inA {
		return s.endAnchor()
	}
	return nil
}

// consume reads the next byte if it is c.
func (s *htmlScanner) consume(c byte) bool {
	d, ok := s.readByte()
	if ok && d != c {
		s.unread()
		return false
	}
	return ok
}

// skipComment skips a comment after "<!--", up to "-->" or "--!>". The
// count of dashes starts at 2 so that "<!-->" and "<!--->" end at once, as
// in HTML.
func (s *htmlScanner) skipComment() {
	dashes := 2
	for {
		c, ok := s.readByte()
		if !ok {
			return
		}
		switch {
		case c == '-':
			dashes++
		case c == '>' && dashes >= 2:
			return
		case c == '!' && dashes >= 2:
			if s.consume('>') {
				return
			}
			dashes = 0
		default:
			dashes = 0
		}
	}
}

// startTag reads a start tag and acts on it.
func (s *htmlScanner) startTag() error {
	s.readTag()
	name := s.tagName()
	// switch on string(name) compares without converting (allocating).
	switch string(name) {
	case "a":
		if s.inA { // an <a> closes an open one
			if err := s.endAnchor(); err != nil {
				return err
			}
		}
		s.beginAnchor()
	case "base":
		if !s.based && !s.overflow {
			if v, ok := s.attr("href"); ok {
				s.based = true
				s.h.base(unescapeAttr(string(v)))
			}
		}
	case "meta":
		if s.overflow {
			break
		}
		if name, ok := s.attr("name"); ok {
			content, _ := s.attr("content")
			return s.h.meta(unescapeAttr(string(name)), unescapeAttr(string(content)))
		}
	case "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes":
		s.skipRawText(name)
	}
	return nil
}

// tagName returns the lower-case name of the current tag.
func (s *htmlScanner) tagName() []byte {
	n := s.attrs[0].key
	return s.tag[n.start:n.end]
}

// attr returns the raw value of the current tag's first attribute named
// key (lower case).
func (s *htmlScanner) attr(key string) ([]byte, bool) {
	for _, a := range s.attrs[1:] {
		if string(s.tag[a.key.start:a.key.end]) == key {
			return s.tag[a.val.start:a.val.end], true
		}
	}
	return nil, false
}

// beginAnchor starts an anchor from the current tag, copying the attributes
// the handlers need (the tag buffer is reused by tags inside the anchor).
func (s *htmlScanner) beginAnchor() {
	s.inA = true
	a := &s.a
	a.buf, a.text, a.bad = a.buf[:0], a.text[:0], s.overflow
	a.attrs = [numAnchorAttrs]span{}
	for _, ta := range s.attrs[1:] {
		key := s.tag[ta.key.start:ta.key.end]
		for i, name := range anchorAttrNames {
			if string(key) == name && !a.attrs[i].ok { // first one wins
				start := len(a.buf)
				a.buf = append(a.buf, s.tag[ta.val.start:ta.val.end]...)
				a.attrs[i] = span{start, len(a.buf), true}
			}
		}
	}
}

func (s *htmlScanner) endAnchor() error {
	s.inA = false
	if !s.a.attrs[attrHref].ok {
		return nil // a named anchor, not a link
	}
	return s.h.anchor(&s.a)
}

// readTag reads a tag's name and attributes, from its first letter to its
// '>', into s.tag and s.attrs (the name is s.attrs[0].key). Names are
// lower-cased. It follows the states of the HTML tokenizer for tag names and
// attributes.
func (s *htmlScanner) readTag() {
	s.tag, s.attrs, s.overflow = s.tag[:0], s.attrs[:0], false
	// Tag name.
	c, ok := s.readUntil(&tagNameStop, true)
	s.attrs = append(s.attrs, tagAttr{key: span{0, len(s.tag), true}})
	for ok && c != '>' {
		// Before attribute name.
		if isHTMLSpace(c) || c == '/' {
			c, ok = s.readByte()
			continue
		}
		// Attribute name: the first character may be '='.
		ks := len(s.tag)
		s.put(lower(c))
		c, ok = s.readUntil(&attrNameStop, true)
		key := span{ks, len(s.tag), true}
		// After attribute name.
		for ok && isHTMLSpace(c) {
			c, ok = s.readByte()
		}
		if !ok || c != '=' {
			s.addAttr(key, span{len(s.tag), len(s.tag), true})
			continue // c is reconsumed: '/', '>' or a new name
		}
		// Before attribute value.
		c, ok = s.readByte()
		for ok && isHTMLSpace(c) {
			c, ok = s.readByte()
		}
		if !ok || c == '>' {
			s.addAttr(key, span{len(s.tag), len(s.tag), true})
			continue
		}
		vs := len(s.tag)
		if c == '"' || c == '\'' {
			ok = s.readQuoted(c)
			if ok {
				c, ok = s.readByte()
			}
		} else {
			s.put(c)
			c, ok = s.readUntil(&unquotedStop, false)
		}
		s.addAttr(key, span{vs, len(s.tag), true})
	}
	if !ok {
		s.overflow = true // a tag cut by the end of input is not trusted
	}
}

// Byte classes that end a tag name, an attribute name and an unquoted
// attribute value.
var (
	tagNameStop  = byteClass(" \t\n\f\r/>")
	attrNameStop = byteClass(" \t\n\f\r/>=")
	unquotedStop = byteClass(" \t\n\f\r>")
)

func byteClass(chars string) (t [256]bool) {
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

// readUntil appends bytes of the current tag (lower-cased when low) up to
// the first byte in stop, which it consumes and returns. It works on the
// read buffer directly: this is the scanner's inner loop.
func (s *htmlScanner) readUntil(stop *[256]bool, low bool) (byte, bool) {
	for {
		chunk := s.buf[s.pos:s.end]
		for i, c := range chunk {
			if stop[c] {
				s.putBytes(chunk[:i], low)
				s.pos += i + 1
				return c, true
			}
		}
		s.putBytes(chunk, low)
		s.pos = s.end
		if !s.fill() {
			return 0, false
		}
	}
}

// readQuoted reads a quoted attribute value up to the closing quote q.
func (s *htmlScanner) readQuoted(q byte) bool {
	for {
		chunk := s.buf[s.pos:s.end]
		i := bytes.IndexByte(chunk, q)
		if i >= 0 {
			chunk = chunk[:i]
		}
		s.putBytes(chunk, false)
		if i >= 0 {
			s.pos += i + 1
			return true
		}
		s.pos = s.end
		if !s.fill() {
			return false
		}
	}
}

// putBytes appends bytes of the current tag, within maxTagLen.
func (s *htmlScanner) putBytes(b []byte, low bool) {
	if s.overflow {
		return
	}
	if len(s.tag)+len(b) > maxTagLen {
		s.overflow = true
		return
	}
	start := len(s.tag)
	s.tag = append(s.tag, b...)
	if low {
		for i, c := range s.tag[start:] {
			if 'A' <= c && c <= 'Z' {
				s.tag[start+i] = c + ('a' - 'A')
			}
		}
	}
}

// put appends one byte of the current tag, within maxTagLen.
func (s *htmlScanner) put(c byte) {
	if len(s.tag) >= maxTagLen {
		s.overflow = true
		return
	}
	s.tag = append(s.tag, c)
}

func (s *htmlScanner) addAttr(key, val span) {
	if s.overflow {
		return
	}
	if len(s.attrs) > maxAttrs {
		s.overflow = true
		return
	}
	s.attrs = append(s.attrs, tagAttr{key, val})
}

// skipRawText skips the content of a raw text or RCDATA element up to its
// end tag, "</name" followed by white space, '/' or '>'.
func (s *htmlScanner) skipRawText(name []byte) {
	for {
		if !s.skipTo('<') {
			return
		}
		if !s.consume('/') {
			continue
		}
		matched := true
		for i := 0; i < len(name); i++ {
			c, ok := s.readByte()
			if !ok {
				return
			}
			if lower(c) != name[i] {
				s.unread()
				matched = false
				break
			}
		}
		if !matched {
			continue
		}
		c, ok := s.readByte()
		if !ok {
			return
		}
		if c == '>' {
			return
		}
		if isHTMLSpace(c) || c == '/' {
			s.unread()
			s.readTag() // the rest of the end tag
			return
		}
		s.unread()
	}
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func isASCIIAlnum(c byte) bool { return isASCIILetter(c) || '0' <= c && c <= '9' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// unescapeText decodes the character references of text content.
func unescapeText(b []byte) string {
	return html.UnescapeString(string(b))
}

// unescapeAttr decodes the character references of an attribute value.
// Unlike in text, HTML leaves a named reference without its ';' undecoded
// in an attribute when an '=' or an alphanumeric follows it, so that query
// strings like "?a=1&copy=2" survive; html.UnescapeString alone would turn
// that "&copy" into "©".
func unescapeAttr(s string) string {
	i := strings.IndexByte(s, '&')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:] // starts with '&'
		j := 1
		numeric := j < len(s) && s[j] == '#'
		if numeric {
			j++
		}
		for j < len(s) && isASCIIAlnum(s[j]) {
			j++
		}
		semi := j < len(s) && s[j] == ';'
		if semi {
			j++
		}
		ref := s[:j]
		d := html.UnescapeString(ref)
		switch {
		case numeric || d == ref:
			// Numeric references decode with or without ';'.
		case semi:
			// html.UnescapeString falls back to the longest legacy name
			// that prefixes the reference ("&ampx;" to "&x;"); HTML does
			// not in attributes. Such a fallback leaves the rest of the
			// name, alphanumeric, before the ';'; no entity's value ends
			// that way.
			if len(d) >= 2 && isASCIIAlnum(d[len(d)-2]) && d[len(d)-1] == ';' {
				d = ref
			}
		default:
			// Without ';', decode only when the whole name is a legacy
			// entity (whose values are never ASCII alphanumerics) and no
			// '=' follows.
			if j < len(s) && s[j] == '=' || strings.IndexFunc(d, func(r rune) bool {
				return r < 0x80 && isASCIIAlnum(byte(r))
			}) >= 0 {
				d = ref
			}
		}
		b.WriteString(d)
		s = s[j:]
		i = strings.IndexByte(s, '&')
	}
	b.WriteString(s)
	return b.String()
}
