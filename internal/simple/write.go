package simple

import (
	"io"
	"unicode/utf8"
)

// bufSize is the size of the output buffer of the page writers. Pages are
// streamed to the underlying writer in chunks of about this size, so memory
// stays bounded however many projects or files a page lists.
const bufSize = 32 << 10

// pageWriter is a minimal buffered writer. The renderers append escaped
// output straight into buf (append on a byte slice is much faster than
// going through io.Writer calls for every small piece) and call flushIfFull
// between records. The first write error is sticky.
type pageWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func newPageWriter(w io.Writer) *pageWriter {
	return &pageWriter{w: w, buf: make([]byte, 0, bufSize)}
}

// flushIfFull writes the buffer out once it is nearly full and reports
// whether the writer is still healthy.
func (pw *pageWriter) flushIfFull() bool {
	if len(pw.buf) >= bufSize-1024 {
		pw.flush()
	}
	return pw.err == nil
}

// flush writes out everything buffered and returns the sticky error.
func (pw *pageWriter) flush() error {
	if pw.err == nil && len(pw.buf) > 0 {
		_, pw.err = pw.w.Write(pw.buf)
	}
	if cap(pw.buf) > 4*bufSize {
		// One huge record grew the buffer; don't keep it for the rest.
		pw.buf = make([]byte, 0, bufSize)
	}
	pw.buf = pw.buf[:0]
	return pw.err
}

// htmlSafe[c] is true for bytes that need no escaping in HTML text and in
// double- or single-quoted attribute values: ASCII other than &, <, >, "
// and '. Bytes of multi-byte UTF-8 are false, to be validated.
var htmlSafe = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = true
	}
	for _, c := range `&<>"'` {
		t[c] = false
	}
	return t
}()

// appendHTML appends s escaped for HTML text and quoted attribute values.
// It escapes the five characters html.EscapeString escapes (&, <, >, " and
// '), using the same entities, and replaces each byte of invalid UTF-8 with
// U+FFFD so that the page is valid UTF-8 whatever the data.
func appendHTML(b []byte, s string) []byte {
	for {
		// The tight loop over safe bytes is where rendering spends its
		// time; keep it free of bounds checks and branches.
		i := 0
		for i < len(s) && htmlSafe[s[i]] {
			i++
		}
		b = append(b, s[:i]...)
		if i == len(s) {
			return b
		}
		c := s[i]
		switch c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&#34;"...)
		case '\'':
			b = append(b, "&#39;"...)
		default: // c >= utf8.RuneSelf
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			s = s[i+size:]
			continue
		}
		s = s[i+1:]
	}
}

// jsonSafe[c] is true for bytes that need no escaping in a JSON string:
// ASCII other than control characters, '"' and '\\'. Like encoding/json,
// '<', '>' and '&' are escaped too, so that a page sniffed or embedded as
// HTML cannot open a tag. Bytes of multi-byte UTF-8 are false, to be
// validated.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string, escaping it the way
// encoding/json does: the short escapes for \n, \r, \t, \b and \f, \u00XX
// for other control characters and for <, > and &, \u2028 and \u2029 (which
// JavaScript does not allow raw in strings), and \ufffd for each byte of
// invalid UTF-8. The result is valid JSON for any input.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for {
		i := 0
		for i < len(s) && jsonSafe[s[i]] {
			i++
		}
		b = append(b, s[:i]...)
		if i == len(s) {
			return append(b, '"')
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			default:
				b = append(b, s[i:i+size]...)
			}
			s = s[i+size:]
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		s = s[i+1:]
	}
}
