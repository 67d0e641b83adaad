package simple

import (
	"bytes"
	"encoding/json"
	"html"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// validUTF8 replaces each byte of invalid UTF-8 with U+FFFD, as the
// writers (and encoding/json) do.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// FuzzRoundTrip builds a project from fuzzed strings, renders it as JSON
// and as HTML, parses both back, and checks that every field each format
// carries survives.
func FuzzRoundTrip(f *testing.F) {
	f.Add("sample", "sample-1.0-py3-none-any.whl", "packages/sample-1.0-py3-none-any.whl", "sha256", sha("a"), "md5", "0123456789abcdef",
		">=3.7", true, "<script>alert('\"x\"')</script>", int64(1234), int64(1704164645), int64(123456789), true, sha("m"), uint8(2), "1.0")
	f.Add("x", "x.tar.gz", "x.tar.gz", "sha256", "", "", "", "", false, "", int64(-1), int64(0), int64(0), false, "", uint8(0), "")
	f.Add("\xff", " a&amp;b.whl ", "a b/c%2F", "SHA256", "ABC", "sha256", "def", "\u2028\x00", true, "", int64(0), int64(-62135596800), int64(0), true, "", uint8(1), "\xc3")
	f.Fuzz(func(t *testing.T, name, filename, path, hashName2, hash, metaName, metaHash, requires string, yanked bool, reason string,
		size, unix, nanos int64, hasMeta bool, metaHashValue string, gpg uint8, version string) {
		// The escapers agree with the standard library's.
		for _, s := range []string{name, filename, requires, reason} {
			if want, _ := json.Marshal(s); string(appendJSONString(nil, s)) != string(want) {
				t.Fatalf("appendJSONString(%q) = %s, encoding/json writes %s", s, appendJSONString(nil, s), want)
			}
			if want := html.EscapeString(validUTF8(s)); string(appendHTML(nil, s)) != want {
				t.Fatalf("appendHTML(%q) = %s, html.EscapeString writes %s", s, appendHTML(nil, s), want)
			}
		}

		file := File{
			Filename:       filename,
			URL:            "https://files.example.org/" + url.PathEscape(path),
			Hashes:         map[string]string{"sha256": hash},
			RequiresPython: requires,
			Yanked:         yanked,
			YankedReason:   reason,
			Size:           size,
			UploadTime:     time.Unix(unix, nanos),
		}
		if unix == 0 && nanos == 0 {
			file.UploadTime = time.Time{}
		}
		if hashName2 != "" && !strings.EqualFold(hashName2, "sha256") {
			file.Hashes[hashName2] = metaHash
		}
		if hasMeta {
			file.CoreMetadata = map[string]string{}
			if metaName != "" {
				file.CoreMetadata[metaName] = metaHashValue
			}
		}
		switch gpg % 3 {
		case 1:
			file.GPGSig = new(false)
		case 2:
			file.GPGSig = new(true)
		}
		p := &Project{Name: name, Files: []File{file}}
		if version != "" {
			p.Versions = []string{version}
		}

		// JSON carries everything.
		var buf bytes.Buffer
		if err := WriteProjectJSON(&buf, p, nil); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("invalid JSON: %s", buf.Bytes())
		}
		if bytes.Contains(buf.Bytes(), []byte("dist-info-metadata")) {
			t.Fatalf("JSON has dist-info-metadata: %s", buf.Bytes())
		}
		got, err := ParseProjectJSON(&buf, nil)
		if err != nil {
			t.Fatalf("parsing rendered JSON: %v", err)
		}
		want := &Project{Name: validUTF8(name)}
		if version != "" {
			want.Versions = []string{validUTF8(version)}
		}
		wf := expectedFile(file)
		if validName(wf.Filename) {
			want.Files = []File{wf}
		} else {
			want.Files = []File{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("JSON round trip:\n got %s\nwant %s", dump(got), dump(want))
		}

		// HTML carries the name in the anchor text (trimmed), one hash in
		// the fragment (read back through URL parsing, so compared only
		// when hex), and no size, upload time, name or versions.
		buf.Reset()
		if err := WriteProjectHTML(&buf, p, nil); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(buf.Bytes(), []byte("<script")) {
			t.Fatalf("HTML has a raw <script: %s", buf.Bytes())
		}
		got, err = ParseProjectHTML(&buf, nil)
		if err != nil {
			t.Fatalf("parsing rendered HTML: %v", err)
		}
		wf.Filename = strings.Trim(wf.Filename, htmlWhitespace)
		if wf.Filename == "" { // the parser falls back to the URL's file name
			u, _ := url.Parse(wf.URL)
			wf.Filename = lastSegment(u)
		}
		if !validName(wf.Filename) {
			if len(got.Files) != 0 {
				t.Fatalf("HTML: file %q not skipped: %s", wf.Filename, dump(got))
			}
			return
		}
		if len(got.Files) != 1 {
			t.Fatalf("HTML: %d files, want 1 (%q)\n%s", len(got.Files), wf.Filename, buf.Bytes())
		}
		gf := got.Files[0]
		wf.Size, wf.UploadTime = -1, time.Time{}
		wf.Hashes, gf.Hashes = nil, nil
		if n, v := linkHash(file.Hashes); n != "" && isLowerHex(v) {
			if h := got.Files[0].Hashes; h[n] != v {
				t.Fatalf("HTML: hashes %v, want %s=%s", h, n, v)
			}
		}
		if wf.CoreMetadata != nil {
			n, v := linkHash(file.CoreMetadata)
			wf.CoreMetadata = map[string]string{}
			if n != "" {
				wf.CoreMetadata[n] = strings.ToLower(validUTF8(v))
			}
		}
		if !reflect.DeepEqual(gf, wf) {
			t.Fatalf("HTML round trip:\n got %s\nwant %s", dump(&Project{Files: []File{gf}}), dump(&Project{Files: []File{wf}}))
		}
	})
}

// expectedFile is what parsing a rendered f gives back.
func expectedFile(f File) File {
	w := File{
		Filename:       validUTF8(f.Filename),
		URL:            f.URL,
		RequiresPython: validUTF8(f.RequiresPython),
		Yanked:         f.Yanked,
		Size:           f.Size,
		GPGSig:         f.GPGSig,
	}
	if f.Yanked {
		w.YankedReason = validUTF8(f.YankedReason)
	}
	if u, err := url.Parse(f.URL); err == nil {
		w.URL = u.String()
	}
	if w.Size < 0 {
		w.Size = -1
	}
	if t := f.UploadTime.UTC(); !f.UploadTime.IsZero() && t.Year() >= 0 && t.Year() <= 9999 {
		w.UploadTime = t.Truncate(time.Microsecond)
	}
	clean := func(h map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			if k, v = validUTF8(k), validUTF8(v); k != "" && v != "" {
				out[strings.ToLower(k)] = strings.ToLower(v)
			}
		}
		return out
	}
	if w.Hashes = clean(f.Hashes); len(w.Hashes) == 0 {
		w.Hashes = nil
	}
	if f.CoreMetadata != nil {
		w.CoreMetadata = clean(f.CoreMetadata)
	}
	return w
}
