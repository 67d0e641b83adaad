package simple

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// hostile holds strings an upstream could put in a requires-python or a
// yank reason.
const hostile = `<script>alert("x&y")</script>'` + "\u2028\x00\n\t"

// sampleProject is a small project with every field in use.
func sampleProject() *Project {
	return &Project{
		Name:     "sample",
		Versions: []string{"1.0", "2.0", "3.0"},
		Files: []File{
			{
				Filename:       "sample-1.0.tar.gz",
				URL:            "https://files.example.org/packages/sample-1.0.tar.gz",
				Hashes:         map[string]string{"sha256": sha("a")},
				RequiresPython: `>=3.7, <4, !="3.8" & '3.9'`,
				Size:           1234,
				UploadTime:     time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC),
				GPGSig:         new(false),
			},
			{
				Filename:     "sample-2.0-py3-none-any.whl",
				URL:          "https://files.example.org/packages/sample-2.0-py3-none-any.whl",
				Hashes:       map[string]string{"sha256": sha("b"), "md5": "0123456789abcdef0123456789abcdef"},
				Yanked:       true,
				YankedReason: hostile,
				Size:         0,
				UploadTime:   time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("x", 3600)),
				CoreMetadata: map[string]string{"sha256": sha("b.metadata")},
				GPGSig:       new(true),
			},
			{
				Filename:       "sample-3.0-py3-none-any.whl",
				URL:            "https://files.example.org/packages/sample-3.0-py3-none-any.whl",
				RequiresPython: hostile,
				Yanked:         true,
				Size:           -1,
				CoreMetadata:   map[string]string{},
			},
		},
	}
}

func TestWriteProjectHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteProjectHTML(&buf, sampleProject(), nil); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"<!DOCTYPE html>\n",
		`<meta name="pypi:repository-version" content="1.1">`,
		"<title>Links for sample</title>",
		"<h1>Links for sample</h1>",
		`<a href="https://files.example.org/packages/sample-1.0.tar.gz#sha256=` + sha("a") +
			`" data-requires-python="&gt;=3.7, &lt;4, !=&#34;3.8&#34; &amp; &#39;3.9&#39;" data-gpg-sig="false">sample-1.0.tar.gz</a>`,
		`<a href="https://files.example.org/packages/sample-2.0-py3-none-any.whl#sha256=` + sha("b") +
			`" data-yanked="&lt;script&gt;alert(&#34;x&amp;y&#34;)&lt;/script&gt;&#39;` + "\u2028\x00\n\t" +
			`" data-core-metadata="sha256=` + sha("b.metadata") + `" data-dist-info-metadata="sha256=` + sha("b.metadata") +
			`" data-gpg-sig="true">sample-2.0-py3-none-any.whl</a>`,
		`<a href="https://files.example.org/packages/sample-3.0-py3-none-any.whl" data-requires-python="&lt;script&gt;`,
		`data-yanked="" data-core-metadata="true" data-dist-info-metadata="true">sample-3.0-py3-none-any.whl</a>`,
		"</html>\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("page lacks %q\npage:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<script") {
		t.Errorf("page contains raw <script:\n%s", got)
	}
	if strings.Contains(got, "pypi:tracks") {
		t.Errorf("page has tracks meta without tracks")
	}
}

func TestWriteProjectHTMLFileURL(t *testing.T) {
	p := sampleProject()
	var buf bytes.Buffer
	err := WriteProjectHTML(&buf, p, func(f *File) string {
		return "/files/sample/" + f.Filename + "#stale=fragment"
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `<a href="/files/sample/sample-1.0.tar.gz#sha256=` + sha("a") + `"`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("page lacks %q:\n%s", want, buf.String())
	}
	if strings.Contains(buf.String(), "stale") {
		t.Errorf("the URL's own fragment was kept:\n%s", buf.String())
	}
}

func TestLinkHashFallback(t *testing.T) {
	p := &Project{Name: "x", Files: []File{{
		Filename:     "x-1.tar.gz",
		URL:          "https://e.org/x-1.tar.gz",
		Hashes:       map[string]string{"md5": "aa", "sha512": "bb", "blake2b": "cc"},
		CoreMetadata: map[string]string{"md5": "dd"},
		Size:         -1,
	}}}
	var buf bytes.Buffer
	if err := WriteProjectHTML(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	want := `<a href="https://e.org/x-1.tar.gz#sha512=bb" data-core-metadata="md5=dd" data-dist-info-metadata="md5=dd">`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("page lacks %q:\n%s", want, buf.String())
	}
}

func TestWriteProjectJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteProjectJSON(&buf, sampleProject(), nil); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", got)
	}
	if strings.Contains(got, "dist-info-metadata") {
		t.Errorf("JSON contains dist-info-metadata:\n%s", got)
	}
	if strings.Contains(got, "<") {
		t.Errorf("JSON contains a raw '<':\n%s", got)
	}
	want := `{"meta":{"api-version":"1.1"},"name":"sample","versions":["1.0","2.0","3.0"],"files":[` +
		`{"filename":"sample-1.0.tar.gz","url":"https://files.example.org/packages/sample-1.0.tar.gz",` +
		`"hashes":{"sha256":"` + sha("a") + `"},"requires-python":"\u003e=3.7, \u003c4, !=\"3.8\" \u0026 '3.9'",` +
		`"yanked":false,"size":1234,"upload-time":"2024-01-02T03:04:05.123456Z","gpg-sig":false},` +
		`{"filename":"sample-2.0-py3-none-any.whl","url":"https://files.example.org/packages/sample-2.0-py3-none-any.whl",` +
		`"hashes":{"md5":"0123456789abcdef0123456789abcdef","sha256":"` + sha("b") + `"},` +
		`"yanked":"\u003cscript\u003ealert(\"x\u0026y\")\u003c/script\u003e'\u2028\u0000\n\t",` +
		`"size":0,"upload-time":"1999-12-31T22:59:59.000000Z","core-metadata":{"sha256":"` + sha("b.metadata") + `"},"gpg-sig":true},` +
		`{"filename":"sample-3.0-py3-none-any.whl","url":"https://files.example.org/packages/sample-3.0-py3-none-any.whl",` +
		`"hashes":{},"requires-python":"\u003cscript\u003ealert(\"x\u0026y\")\u003c/script\u003e'\u2028\u0000\n\t",` +
		`"yanked":true,"core-metadata":true}]}` + "\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	// The hostile strings come back verbatim.
	var page struct {
		Files []struct {
			RequiresPython string `json:"requires-python"`
			Yanked         any    `json:"yanked"`
		} `json:"files"`
	}
	if err := json.Unmarshal(buf.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if page.Files[1].Yanked != hostile || page.Files[2].RequiresPython != hostile {
		t.Errorf("hostile strings not kept verbatim: %q, %q", page.Files[1].Yanked, page.Files[2].RequiresPython)
	}
}

func TestWriteProjectJSONVersionsAndPEP708(t *testing.T) {
	p := &Project{Name: "x"}
	var buf bytes.Buffer
	if err := WriteProjectJSON(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	if want := `{"meta":{"api-version":"1.1"},"name":"x","versions":[],"files":[]}` + "\n"; buf.String() != want {
		t.Errorf("got %s, want %s", buf.String(), want)
	}

	p.Tracks = []string{"https://pypi.org/simple/x/"}
	p.AlternateLocations = []string{"https://a.example/simple/x/", "https://b.example/simple/x/"}
	buf.Reset()
	if err := WriteProjectJSON(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	want := `{"meta":{"api-version":"1.2"},"name":"x","tracks":["https://pypi.org/simple/x/"],` +
		`"alternate-locations":["https://a.example/simple/x/","https://b.example/simple/x/"],"versions":[],"files":[]}` + "\n"
	if buf.String() != want {
		t.Errorf("got %s, want %s", buf.String(), want)
	}

	buf.Reset()
	if err := WriteProjectHTML(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<meta name="pypi:repository-version" content="1.2">`,
		`<meta name="pypi:tracks" content="https://pypi.org/simple/x/">`,
		`<meta name="pypi:alternate-locations" content="https://a.example/simple/x/">`,
		`<meta name="pypi:alternate-locations" content="https://b.example/simple/x/">`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("HTML lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestJSONStringEscaping(t *testing.T) {
	for _, s := range []string{
		"", "plain", hostile, "\xff", "a\xffb\xc3", "\xe2\x80", "é\u2029€𝄞", "\x7f\x1f\\/",
		string([]byte{0xed, 0xa0, 0x80}), // a UTF-16 surrogate in UTF-8: invalid
	} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: invalid JSON %s: %v", s, b, err)
			continue
		}
		want, _ := json.Marshal(s)
		if string(b) != string(want) {
			t.Errorf("%q: got %s, encoding/json writes %s", s, b, want)
		}
	}
}

func TestHTMLEscaping(t *testing.T) {
	for _, s := range []string{"", "plain", hostile, "\xff", "a\xffb", "é€𝄞", `"'&<>`} {
		got := string(appendHTML(nil, s))
		if strings.ContainsAny(got, `"'<>`) {
			t.Errorf("%q: %q has unescaped markup", s, got)
		}
		if back := unescapeText([]byte(got)); utf8.ValidString(s) && back != s {
			t.Errorf("%q: %q unescapes to %q", s, got, back)
		}
	}
	if got := string(appendHTML(nil, "a\xff\xfeb")); got != "a\uFFFD\uFFFDb" {
		t.Errorf("invalid UTF-8: got %q", got)
	}
}

func TestUploadTimeRange(t *testing.T) {
	p := &Project{Name: "x", Files: []File{
		{Filename: "a", URL: "https://e/a", Size: -1, UploadTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Filename: "b", URL: "https://e/b", Size: -1, UploadTime: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Filename: "c", URL: "https://e/c", Size: -1, UploadTime: time.Date(2020, 1, 1, 0, 0, 0, 999, time.UTC)},
	}}
	var buf bytes.Buffer
	if err := WriteProjectJSON(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "upload-time"); n != 1 {
		t.Errorf("%d upload-times, want 1:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), `"upload-time":"2020-01-01T00:00:00.000000Z"`) {
		t.Errorf("sub-microsecond time not truncated:\n%s", buf.String())
	}
}

func TestWriteProjectList(t *testing.T) {
	names := []string{"a", "b-c", `x"<y>`}
	var buf bytes.Buffer
	if err := WriteProjectListHTML(&buf, names, func(n string) string { return "/simple/" + n + "/" }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<meta name="pypi:repository-version" content="1.1">`,
		`<a href="/simple/a/">a</a>`,
		`<a href="/simple/b-c/">b-c</a>`,
		`<a href="/simple/x&#34;&lt;y&gt;/">x&#34;&lt;y&gt;</a>`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("HTML lacks %q:\n%s", want, buf.String())
		}
	}
	got, err := ParseProjectListHTML(&buf)
	if err != nil || !reflect.DeepEqual(got, names) {
		t.Errorf("parsed back %q, %v; want %q", got, err, names)
	}

	buf.Reset()
	if err := WriteProjectListHTML(&buf, names[:1], nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<a href="a/">a</a>`) {
		t.Errorf("nil projectURL: %s", buf.String())
	}

	buf.Reset()
	if err := WriteProjectListJSON(&buf, names); err != nil {
		t.Fatal(err)
	}
	if want := `{"meta":{"api-version":"1.1"},"projects":[{"name":"a"},{"name":"b-c"},{"name":"x\"\u003cy\u003e"}]}` + "\n"; buf.String() != want {
		t.Errorf("got %s, want %s", buf.String(), want)
	}
	got, err = ParseProjectListJSON(&buf)
	if err != nil || !reflect.DeepEqual(got, names) {
		t.Errorf("parsed back %q, %v; want %q", got, err, names)
	}

	buf.Reset()
	if err := WriteProjectListJSON(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if want := `{"meta":{"api-version":"1.1"},"projects":[]}` + "\n"; buf.String() != want {
		t.Errorf("got %s, want %s", buf.String(), want)
	}
}

// countingWriter counts bytes and the largest single write.
type countingWriter struct {
	n, max int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.max = max(w.max, len(p))
	return len(p), nil
}

// TestWriteProjectListLarge renders 900,000 names: the output is streamed
// in bounded chunks, and the writers allocate no memory per name.
func TestWriteProjectListLarge(t *testing.T) {
	n := 900_000
	if testing.Short() || raceEnabled {
		n = 50_000 // the race detector makes the full size take minutes
	}
	names := manyNames(n)
	for _, tc := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"HTML", func(w io.Writer) error { return WriteProjectListHTML(w, names, nil) }},
		{"JSON", func(w io.Writer) error { return WriteProjectListJSON(w, names) }},
	} {
		var cw countingWriter
		allocs := testing.AllocsPerRun(1, func() {
			cw = countingWriter{}
			if err := tc.write(&cw); err != nil {
				t.Fatal(err)
			}
		})
		if cw.n < n*10 || cw.max > bufSize {
			t.Errorf("%s: wrote %d bytes, largest write %d", tc.name, cw.n, cw.max)
		}
		if allocs > 10 {
			t.Errorf("%s: %v allocations for %d names", tc.name, allocs, n)
		}
	}
}

// failingWriter fails after n bytes.
type failingWriter struct{ n int }

var errWrite = errors.New("write failed")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	names := manyNames(10_000)
	p := bigProject(500)
	for _, n := range []int{0, 100, bufSize + 1} {
		if err := WriteProjectListHTML(&failingWriter{n}, names, nil); err != errWrite {
			t.Errorf("WriteProjectListHTML: %v", err)
		}
		if err := WriteProjectListJSON(&failingWriter{n}, names); err != errWrite {
			t.Errorf("WriteProjectListJSON: %v", err)
		}
		if err := WriteProjectHTML(&failingWriter{n}, p, nil); err != errWrite {
			t.Errorf("WriteProjectHTML: %v", err)
		}
		if err := WriteProjectJSON(&failingWriter{n}, p, nil); err != errWrite {
			t.Errorf("WriteProjectJSON: %v", err)
		}
	}
}

// TestRoundTripJSON renders a project as JSON and parses it back: every
// field survives.
func TestRoundTripJSON(t *testing.T) {
	p := sampleProject()
	var buf bytes.Buffer
	if err := WriteProjectJSON(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ParseProjectJSON(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleProject()
	for i := range want.Files {
		want.Files[i].UploadTime = want.Files[i].UploadTime.UTC().Truncate(time.Microsecond)
	}
	want.Files[2].Hashes = nil // {} reads as no hashes
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %s\nwant %s", dump(got), dump(want))
	}
}

// TestRoundTripHTML renders a project as HTML and parses it back: every
// field HTML carries survives.
func TestRoundTripHTML(t *testing.T) {
	p := sampleProject()
	var buf bytes.Buffer
	if err := WriteProjectHTML(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://sluice.example/simple/sample/")
	got, err := ParseProjectHTML(&buf, base)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleProject()
	want.Name = "" // not in PEP 503 pages
	want.Versions = nil
	for i := range want.Files {
		f := &want.Files[i]
		f.Size, f.UploadTime = -1, time.Time{}
		if n, v := linkHash(f.Hashes); n != "" {
			f.Hashes = map[string]string{n: v}
		} else {
			f.Hashes = nil
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %s\nwant %s", dump(got), dump(want))
	}
}

func dump(p *Project) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name=%q versions=%q tracks=%q alt=%q\n", p.Name, p.Versions, p.Tracks, p.AlternateLocations)
	for _, f := range p.Files {
		gpg := "nil"
		if f.GPGSig != nil {
			gpg = fmt.Sprint(*f.GPGSig)
		}
		fmt.Fprintf(&b, "  %q %q %v rp=%q y=%v %q size=%d t=%v md=%v gpg=%s\n",
			f.Filename, f.URL, f.Hashes, f.RequiresPython, f.Yanked, f.YankedReason,
			f.Size, f.UploadTime, f.CoreMetadata, gpg)
	}
	return b.String()
}

// manyNames returns n distinct, realistic project names.
func manyNames(n int) []string {
	prefixes := []string{"django-", "flask-", "py", "python-", "aws-cdk-", "types-", "", "jupyterlab-"}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%sproject-%d", prefixes[i%len(prefixes)], i)
	}
	return names
}

// bigProject returns a realistic project with n files: wheels for several
// platforms and an sdist per version, sha256 hashes, requires-python,
// metadata hashes, a yanked version now and then.
func bigProject(n int) *Project {
	tags := []string{
		"cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
		"cp312-cp312-musllinux_1_1_aarch64",
		"cp311-cp311-macosx_11_0_arm64",
		"cp310-cp310-win_amd64",
		"pp310-pypy310_pp73-manylinux_2_17_x86_64.manylinux2014_x86_64",
	}
	p := &Project{Name: "numpy", Files: make([]File, 0, n)}
	t0 := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; len(p.Files) < n; i++ {
		version := fmt.Sprintf("1.%d.%d", i/10, i%10)
		p.Versions = append(p.Versions, version)
		names := []string{fmt.Sprintf("numpy-%s.tar.gz", version)}
		for _, tag := range tags {
			names = append(names, fmt.Sprintf("numpy-%s-%s.whl", version, tag))
		}
		for j, name := range names {
			if len(p.Files) == n {
				break
			}
			h := sha(name)
			f := File{
				Filename:       name,
				URL:            "https://files.pythonhosted.org/packages/" + h[:2] + "/" + h[2:4] + "/" + h[4:] + "/" + name,
				Hashes:         map[string]string{"sha256": h},
				RequiresPython: ">=3.9",
				Size:           int64(10_000_000 + i*1000 + j),
				UploadTime:     t0.Add(time.Duration(i)*24*time.Hour + time.Duration(j)*time.Second + 123456*time.Microsecond),
			}
			if j > 0 {
				f.CoreMetadata = map[string]string{"sha256": sha(name + ".metadata")}
			}
			if i%17 == 3 {
				f.Yanked = true
				if i%2 == 0 {
					f.YankedReason = "Broken wheels on <Windows>; use " + version + ".1 instead"
				}
			}
			p.Files = append(p.Files, f)
		}
	}
	return p
}

// sluiceFileURL is a fileURL as the server passes one: Sluice's own URL.
func sluiceFileURL(f *File) string { return "/files/numpy/" + f.Filename }

func BenchmarkWriteProjectHTML(b *testing.B) {
	p := bigProject(2000)
	for _, bc := range []struct {
		name    string
		fileURL func(*File) string
	}{{"fileURL=nil", nil}, {"fileURL=concat", sluiceFileURL}} {
		b.Run(bc.name, func(b *testing.B) {
			var cw countingWriter
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteProjectHTML(&cw, p, bc.fileURL); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(cw.n / b.N))
		})
	}
}

func BenchmarkWriteProjectJSON(b *testing.B) {
	p := bigProject(2000)
	for _, bc := range []struct {
		name    string
		fileURL func(*File) string
	}{{"fileURL=nil", nil}, {"fileURL=concat", sluiceFileURL}} {
		b.Run(bc.name, func(b *testing.B) {
			var cw countingWriter
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteProjectJSON(&cw, p, bc.fileURL); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(cw.n / b.N))
		})
	}
}

func BenchmarkWriteProjectListHTML(b *testing.B) {
	names := manyNames(100_000)
	for _, bc := range []struct {
		name       string
		projectURL func(string) string
	}{{"projectURL=nil", nil}, {"projectURL=concat", func(n string) string { return "/simple/" + n + "/" }}} {
		b.Run(bc.name, func(b *testing.B) {
			var cw countingWriter
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteProjectListHTML(&cw, names, bc.projectURL); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(cw.n / b.N))
		})
	}
}

func BenchmarkWriteProjectListJSON(b *testing.B) {
	names := manyNames(100_000)
	var cw countingWriter
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteProjectListJSON(&cw, names); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(cw.n / b.N))
}
