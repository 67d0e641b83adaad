package simple

import (
	"io"
	"strings"
)

// APIVersionPEP708 is the simple API version of a project page that carries
// PEP 708 metadata (tracks or alternate-locations).
const APIVersionPEP708 = "1.2"

// hashPreference lists, best first, the hash algorithms that may name a
// file in an HTML link fragment or a PEP 658/714 attribute. These are the
// ones pip checks (hashlib names); sha256 is what every index publishes.
var hashPreference = [...]string{"sha256", "sha512", "sha384", "sha224", "sha1", "md5"}

// linkHash picks the hash that goes into an HTML link: sha256 when known,
// else the best other algorithm pip can check.
func linkHash(h map[string]string) (name, value string) {
	for _, name := range hashPreference {
		if v := h[name]; v != "" {
			return name, v
		}
	}
	return "", ""
}

// pageAPIVersion is the API version a project page declares.
func pageAPIVersion(p *Project) string {
	if len(p.Tracks) > 0 || len(p.AlternateLocations) > 0 {
		return APIVersionPEP708
	}
	return APIVersion
}

// WriteProjectListHTML writes the PEP 503 root page listing names, one
// anchor per project, streaming it to w through a small buffer: memory use
// does not depend on the number of names.
//
// projectURL returns the href of a project's page. When projectURL is nil
// the href is the relative "name/", which resolves correctly against a root
// page served at a URL ending in "/" (like /simple/) and costs no
// allocation per name. Names and URLs are HTML-escaped.
func WriteProjectListHTML(w io.Writer, names []string, projectURL func(name string) string) error {
	pw := newPageWriter(w)
	pw.buf = append(pw.buf, "<!DOCTYPE html>\n<html>\n<head>\n"+
		`<meta name="pypi:repository-version" content="`+APIVersion+`">`+
		"\n<title>Simple index</title>\n</head>\n<body>\n<h1>Simple index</h1>\n"...)
	for _, name := range names {
		pw.buf = append(pw.buf, `<a href="`...)
		if projectURL != nil {
			pw.buf = appendHTML(pw.buf, projectURL(name))
		} else {
			pw.buf = appendHTML(pw.buf, name)
			pw.buf = append(pw.buf, '/')
		}
		pw.buf = append(pw.buf, `">`...)
		pw.buf = appendHTML(pw.buf, name)
		pw.buf = append(pw.buf, "</a><br>\n"...)
		if !pw.flushIfFull() {
			return pw.err
		}
	}
	pw.buf = append(pw.buf, "</body>\n</html>\n"...)
	return pw.flush()
}

// WriteProjectHTML writes the PEP 503 page of project p (API 1.1, or 1.2
// when p carries PEP 708 metadata, announced in pypi:tracks and
// pypi:alternate-locations meta tags) to w, one anchor per file, in
// p.Files order.
//
// fileURL returns the download URL of a file; when nil, f.URL is used. Any
// fragment of that URL is dropped and replaced by "#sha256=<hex>" when the
// sha256 is known, else by the best other hash pip can check (sha512,
// sha384, sha224, sha1, md5), else by nothing. The anchor carries:
//
//   - data-requires-python when f.RequiresPython is not empty (PEP 503);
//   - data-yanked, present when f.Yanked, its value the reason, possibly
//     empty (PEP 592);
//   - data-core-metadata and its legacy twin data-dist-info-metadata when
//     f.CoreMetadata is non-nil: "sha256=<hex>" (or another hash as above),
//     or "true" when no hash is known (PEP 658, PEP 714);
//   - data-gpg-sig="true" or "false" when f.GPGSig is non-nil.
//
// The anchor text is the file name. Everything that comes from data is
// HTML-escaped, so upstream strings cannot inject markup.
func WriteProjectHTML(w io.Writer, p *Project, fileURL func(f *File) string) error {
	pw := newPageWriter(w)
	b := append(pw.buf, "<!DOCTYPE html>\n<html>\n<head>\n"+
		`<meta name="pypi:repository-version" content="`...)
	b = append(b, pageAPIVersion(p)...)
	b = append(b, "\">\n"...)
	for _, t := range p.Tracks {
		b = append(b, `<meta name="pypi:tracks" content="`...)
		b = appendHTML(b, t)
		b = append(b, "\">\n"...)
	}
	for _, a := range p.AlternateLocations {
		b = append(b, `<meta name="pypi:alternate-locations" content="`...)
		b = appendHTML(b, a)
		b = append(b, "\">\n"...)
	}
	b = append(b, "<title>Links for "...)
	b = appendHTML(b, p.Name)
	b = append(b, "</title>\n</head>\n<body>\n<h1>Links for "...)
	b = appendHTML(b, p.Name)
	b = append(b, "</h1>\n"...)
	pw.buf = b
	for i := range p.Files {
		f := &p.Files[i]
		pw.buf = appendFileHTML(pw.buf, f, fileURL)
		if !pw.flushIfFull() {
			return pw.err
		}
	}
	pw.buf = append(pw.buf, "</body>\n</html>\n"...)
	return pw.flush()
}

// appendFileHTML appends the anchor of one file.
func appendFileHTML(b []byte, f *File, fileURL func(f *File) string) []byte {
	u := f.URL
	if fileURL != nil {
		u = fileURL(f)
	}
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	b = append(b, `<a href="`...)
	b = appendHTML(b, u)
	if name, v := linkHash(f.Hashes); name != "" {
		b = append(b, '#')
		b = append(b, name...)
		b = append(b, '=')
		b = appendHTML(b, v)
	}
	b = append(b, '"')
	if f.RequiresPython != "" {
		b = append(b, ` data-requires-python="`...)
		b = appendHTML(b, f.RequiresPython)
		b = append(b, '"')
	}
	if f.Yanked {
		b = append(b, ` data-yanked="`...)
		b = appendHTML(b, f.YankedReason)
		b = append(b, '"')
	}
	if f.CoreMetadata != nil {
		b = append(b, ` data-core-metadata=`...)
		start := len(b)
		b = append(b, '"')
		if name, v := linkHash(f.CoreMetadata); name != "" {
			b = append(b, name...)
			b = append(b, '=')
			b = appendHTML(b, v)
		} else {
			b = append(b, "true"...)
		}
		b = append(b, '"')
		end := len(b)
		// The legacy attribute (PEP 658 before PEP 714) carries the same
		// value; copy it rather than escaping twice.
		b = append(b, ` data-dist-info-metadata=`...)
		b = append(b, b[start:end]...)
	}
	if f.GPGSig != nil {
		if *f.GPGSig {
			b = append(b, ` data-gpg-sig="true"`...)
		} else {
			b = append(b, ` data-gpg-sig="false"`...)
		}
	}
	b = append(b, '>')
	b = appendHTML(b, f.Filename)
	return append(b, "</a><br>\n"...)
}
