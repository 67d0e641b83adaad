package simple

import (
	"io"
	"slices"
	"strconv"
	"time"
)

// WriteProjectListJSON writes the PEP 691 root page listing names (API 1.1)
// to w, streaming it through a small buffer: memory use does not depend on
// the number of names.
func WriteProjectListJSON(w io.Writer, names []string) error {
	pw := newPageWriter(w)
	pw.buf = append(pw.buf, `{"meta":{"api-version":"`+APIVersion+`"},"projects":[`...)
	for i, name := range names {
		if i > 0 {
			pw.buf = append(pw.buf, ',')
		}
		pw.buf = append(pw.buf, `{"name":`...)
		pw.buf = appendJSONString(pw.buf, name)
		pw.buf = append(pw.buf, '}')
		if !pw.flushIfFull() {
			return pw.err
		}
	}
	pw.buf = append(pw.buf, "]}\n"...)
	return pw.flush()
}

// WriteProjectJSON writes the PEP 691 page of project p to w: API 1.1
// (PEP 700), or 1.2 when p carries PEP 708 metadata, which then appears as
// the top-level keys "tracks" and "alternate-locations".
//
// "versions" is p.Versions as given ([] when empty): this package does not
// parse versions, the caller fills them in. Each file, in p.Files order,
// has:
//
//   - "filename"; "url": fileURL(f), or f.URL when fileURL is nil;
//   - "hashes": every known hash, keys sorted ({} when none);
//   - "requires-python": only when not empty;
//   - "yanked": false, true, or the reason when yanked with a non-empty one;
//   - "size": PEP 700 makes it required, but Sluice never invents one: it is
//     left out when f.Size is negative (unknown);
//   - "upload-time": only when known, in UTC with microseconds
//     (2024-01-02T03:04:05.123456Z); also left out for years outside
//     0000-9999, which ISO 8601 cannot write without extensions;
//   - "core-metadata": the hashes of the metadata file, or true when none is
//     known, left out when f.CoreMetadata is nil (PEP 714). The legacy key
//     dist-info-metadata is never written: pip 22.3 to 23.1 mishandle it
//     (PEP 714);
//   - "gpg-sig": only when f.GPGSig is non-nil.
//
// Strings are escaped as encoding/json escapes them (including <, > and &),
// and invalid UTF-8 becomes U+FFFD, so the output is valid JSON whatever the
// data.
func WriteProjectJSON(w io.Writer, p *Project, fileURL func(f *File) string) error {
	pw := newPageWriter(w)
	b := append(pw.buf, `{"meta":{"api-version":"`...)
	b = append(b, pageAPIVersion(p)...)
	b = append(b, `"},"name":`...)
	b = appendJSONString(b, p.Name)
	if len(p.Tracks) > 0 {
		b = append(b, `,"tracks":`...)
		b = appendJSONStrings(b, p.Tracks)
	}
	if len(p.AlternateLocations) > 0 {
		b = append(b, `,"alternate-locations":`...)
		b = appendJSONStrings(b, p.AlternateLocations)
	}
	b = append(b, `,"versions":`...)
	b = appendJSONStrings(b, p.Versions)
	b = append(b, `,"files":[`...)
	pw.buf = b
	for i := range p.Files {
		if i > 0 {
			pw.buf = append(pw.buf, ',')
		}
		pw.buf = appendFileJSON(pw.buf, &p.Files[i], fileURL)
		if !pw.flushIfFull() {
			return pw.err
		}
	}
	pw.buf = append(pw.buf, "]}\n"...)
	return pw.flush()
}

// appendFileJSON appends the object of one file.
func appendFileJSON(b []byte, f *File, fileURL func(f *File) string) []byte {
	u := f.URL
	if fileURL != nil {
		u = fileURL(f)
	}
	b = append(b, `{"filename":`...)
	b = appendJSONString(b, f.Filename)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, u)
	b = append(b, `,"hashes":`...)
	b = appendJSONHashes(b, f.Hashes)
	if f.RequiresPython != "" {
		b = append(b, `,"requires-python":`...)
		b = appendJSONString(b, f.RequiresPython)
	}
	switch {
	case !f.Yanked:
		b = append(b, `,"yanked":false`...)
	case f.YankedReason == "":
		b = append(b, `,"yanked":true`...)
	default:
		b = append(b, `,"yanked":`...)
		b = appendJSONString(b, f.YankedReason)
	}
	if f.Size >= 0 {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, f.Size, 10)
	}
	if !f.UploadTime.IsZero() {
		b = appendUploadTime(b, f.UploadTime)
	}
	if f.CoreMetadata != nil {
		b = append(b, `,"core-metadata":`...)
		if len(f.CoreMetadata) == 0 {
			b = append(b, "true"...)
		} else {
			b = appendJSONHashes(b, f.CoreMetadata)
		}
	}
	if f.GPGSig != nil {
		if *f.GPGSig {
			b = append(b, `,"gpg-sig":true`...)
		} else {
			b = append(b, `,"gpg-sig":false`...)
		}
	}
	return append(b, '}')
}

// appendUploadTime appends the "upload-time" member for t, in UTC, with
// microseconds (truncated), as 2024-01-02T03:04:05.123456Z. It writes the
// digits itself: time.AppendFormat was a fifth of the cost of a page. Years
// outside 0000-9999 are left out.
func appendUploadTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return b
	}
	hour, minute, sec := t.Clock()
	b = append(b, `,"upload-time":"`...)
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1000, 6)
	return append(b, `Z"`...)
}

// appendDigits appends the n low decimal digits of v (v >= 0), zero-padded.
func appendDigits(b []byte, v, n int) []byte {
	var d [6]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}

// appendJSONStrings appends a JSON array of strings ([] when empty).
func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONHashes appends a hash map as a JSON object with sorted keys, so
// that pages are byte-for-byte reproducible (and cacheable by ETag).
func appendJSONHashes(b []byte, h map[string]string) []byte {
	b = append(b, '{')
	switch len(h) {
	case 0:
	case 1:
		// The common case; a lookup is cheaper than starting an iterator.
		if v, ok := h["sha256"]; ok {
			b = append(b, `"sha256":`...)
			b = appendJSONString(b, v)
			break
		}
		for k, v := range h {
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, v)
		}
	default:
		// Files rarely have more than a few hashes: sort the keys with an
		// insertion sort in a stack array rather than allocate.
		var arr [8]string
		keys := arr[:0]
		for k := range h {
			keys = append(keys, k)
		}
		if len(keys) > len(arr) {
			slices.Sort(keys) // hostile upstream data: stay O(n log n)
		} else {
			for i := 1; i < len(keys); i++ {
				for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
					keys[j], keys[j-1] = keys[j-1], keys[j]
				}
			}
		}
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, h[k])
		}
	}
	return append(b, '}')
}
