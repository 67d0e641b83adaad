package simple

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func open(t testing.TB, name string) io.Reader {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func pypiURL(name string) string {
	h := sha(name)
	return "https://files.pythonhosted.org/packages/" + h[:2] + "/" + h[2:4] + "/" + h[4:] + "/" + name
}

// pypiSample is what testdata/pypi_project.{json,html} hold.
func pypiSample() *Project {
	md := func(name string) map[string]string { return map[string]string{"sha256": sha(name + ".metadata")} }
	file := func(name, rp string, yanked bool, reason string, size int64, t string, meta bool) File {
		f := File{
			Filename:       name,
			URL:            pypiURL(name),
			Hashes:         map[string]string{"sha256": sha(name)},
			RequiresPython: rp,
			Yanked:         yanked,
			YankedReason:   reason,
			Size:           size,
		}
		f.UploadTime, _ = time.Parse(time.RFC3339Nano, t)
		if meta {
			f.CoreMetadata = md(name)
		}
		return f
	}
	return &Project{
		Name:     "sampleproject",
		Versions: []string{"1.2.0", "1.3.0", "2.0.0", "3.0.0"},
		Files: []File{
			file("sampleproject-1.2.0-py2.py3-none-any.whl", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, <4", false, "", 3795, "2015-06-14T14:38:05.875222Z", false),
			file("sampleproject-1.2.0.tar.gz", "", false, "", 3148, "2015-06-14T14:37:56.000000Z", false),
			file("sampleproject-2.0.0-py3-none-any.whl", ">=3.5, <4", true, "broken metadata, use 3.0.0", 4651, "2020-06-25T19:09:43.025356Z", true),
			file("sampleproject-2.0.0.tar.gz", ">=3.5, <4", true, "", 7281, "2020-06-25T19:09:45.178516Z", false),
			file("sampleproject-3.0.0-py3-none-any.whl", ">=3.7", false, "", 4662, "2021-11-04T20:23:02.123456Z", true),
			file("sampleproject-3.0.0.tar.gz", ">=3.7", false, "", 7279, "2021-11-04T20:23:04.654321Z", true),
		},
	}
}

func TestParsePyPIJSON(t *testing.T) {
	got, err := ParseProjectJSON(open(t, "pypi_project.json"), mustURL(t, "https://pypi.org/simple/sampleproject/"))
	if err != nil {
		t.Fatal(err)
	}
	if want := pypiSample(); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestParsePyPIHTML(t *testing.T) {
	got, err := ParseProjectHTML(open(t, "pypi_project.html"), mustURL(t, "https://pypi.org/simple/sampleproject/"))
	if err != nil {
		t.Fatal(err)
	}
	want := pypiSample()
	want.Name, want.Versions = "", nil
	for i := range want.Files {
		want.Files[i].Size, want.Files[i].UploadTime = -1, time.Time{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestParseDevpiHTML(t *testing.T) {
	// The page's <base href> wins over the URL it was fetched from.
	got, err := ParseProjectHTML(open(t, "devpi_project.html"), mustURL(t, "https://mirror.example/ignored/"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Project{Files: []File{
		{
			Filename: "mypkg-1.0.tar.gz",
			URL:      "https://devpi.example.com/root/dev/+f/3a1/" + sha("a")[:13] + "/mypkg-1.0.tar.gz",
			Hashes:   map[string]string{"md5": md5hex("mypkg-1.0.tar.gz")},
			Size:     -1,
		},
		{
			Filename:       "mypkg-1.1-py3-none-any.whl",
			URL:            "https://devpi.example.com/root/dev/+f/8c2/" + sha("b")[:13] + "/mypkg-1.1-py3-none-any.whl",
			Hashes:         map[string]string{"sha256": sha("mypkg-1.1-py3-none-any.whl")},
			RequiresPython: ">=3.8",
			Yanked:         true,
			Size:           -1,
		},
		{
			Filename: "mypkg-1.2.zip",
			URL:      "https://devpi.example.com/root/dev/+f/9d0/" + sha("c")[:13] + "/mypkg-1.2.zip",
			Hashes:   map[string]string{"sha256": sha("mypkg-1.2.zip")},
			Size:     -1,
		},
		{
			// Empty anchor text: the name is the URL's last segment.
			Filename: "mypkg-2.0.tar.gz",
			URL:      "https://devpi.example.com/other/place/mypkg-2.0.tar.gz",
			Hashes:   map[string]string{"sha256": sha("mypkg-2.0.tar.gz")},
			Size:     -1,
		},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestParsePypiserverHTML(t *testing.T) {
	got, err := ParseProjectHTML(open(t, "pypiserver_project.html"), mustURL(t, "http://localhost:8080/simple/mypkg/"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Project{Files: []File{
		{
			Filename: "mypkg-0.1.tar.gz",
			URL:      "http://localhost:8080/packages/mypkg-0.1.tar.gz",
			Hashes:   map[string]string{"md5": md5hex("mypkg-0.1.tar.gz")},
			Size:     -1,
		},
		{
			Filename: "mypkg-0.2-py2.py3-none-any.whl",
			URL:      "http://localhost:8080/packages/mypkg-0.2-py2.py3-none-any.whl",
			Hashes:   map[string]string{"sha256": sha("mypkg-0.2-py2.py3-none-any.whl")},
			Size:     -1,
		},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestParseProjectListPages(t *testing.T) {
	got, err := ParseProjectListHTML(open(t, "pypi_root.html"))
	want := []string{"0", "0-._.-._.-._.-._.-._.-._.-0", "requests", "zope.interface", "AB&C", "fallback-name"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("HTML: got %q, %v; want %q", got, err, want)
	}
	got, err = ParseProjectListJSON(open(t, "pypi_root.json"))
	want = want[:5]
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("JSON: got %q, %v; want %q", got, err, want)
	}
}

func TestParseProjectListJSON(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{`{"projects":[]}`, []string{}, ""},
		{`{"meta":{"api-version":"1.0"},"projects":[{"name":"a"},{"name":""},{"name":"b/c"},{"other":1},{"name":"d","x":[{}]}],"extra":{"a":[1,2,{"b":null}]}}`, []string{"a", "d"}, ""},
		{`{"meta":{"api-version":"2.0"},"projects":[]}`, nil, "unsupported"},
		{`{"meta":{"api-version":"x"},"projects":[]}`, nil, "invalid API version"},
		{`{"meta":{}}`, nil, "no \"projects\""},
		{`{"projects":[],"projects":[]}`, nil, "two"},
		{`[]`, nil, "want {"},
		{`{"projects":{}}`, nil, "want ["},
		{`{"projects":[{"name":1}]}`, nil, "cannot unmarshal"},
		{`{"projects":[`, nil, "EOF"},
		{``, nil, "EOF"},
	}
	for _, tt := range tests {
		got, err := ParseProjectListJSON(strings.NewReader(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	_, err := ParseProjectListJSON(strings.NewReader(`{"meta":{"api-version":"2.1"},"projects":[]}`))
	if !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("2.1: %v does not wrap ErrUnsupportedVersion", err)
	}
}

func TestParseProjectJSONEdgeCases(t *testing.T) {
	base := mustURL(t, "https://up.example/simple/p/")
	tests := []struct {
		name string
		in   string
		want []File
		err  string
	}{
		{
			name: "relative URL, fragment, upper-case hashes, legacy metadata",
			in: `{"meta":{"api-version":"1.0"},"name":"p","files":[{"filename":"p-1.tar.gz","url":"../../files/p-1.tar.gz#sha256=ignored",
				"hashes":{"SHA256":"ABCDEF","md5":""},"dist-info-metadata":{"sha256":"AA"}}]}`,
			want: []File{{Filename: "p-1.tar.gz", URL: "https://up.example/files/p-1.tar.gz",
				Hashes: map[string]string{"sha256": "abcdef"}, Size: -1, CoreMetadata: map[string]string{"sha256": "aa"}}},
		},
		{
			name: "core-metadata preferred over dist-info-metadata",
			in: `{"files":[{"filename":"a","url":"a","hashes":{},"core-metadata":true,"dist-info-metadata":{"sha256":"bb"}},
				{"filename":"b","url":"b","hashes":{},"core-metadata":false,"dist-info-metadata":{"sha256":"bb"}}]}`,
			want: []File{
				{Filename: "a", URL: "https://up.example/simple/p/a", Size: -1, CoreMetadata: map[string]string{}},
				{Filename: "b", URL: "https://up.example/simple/p/b", Size: -1},
			},
		},
		{
			name: "yanked forms",
			in: `{"files":[{"filename":"a","url":"a","yanked":true},{"filename":"b","url":"b","yanked":""},
				{"filename":"c","url":"c","yanked":"why \u003cnot\u003e"},{"filename":"d","url":"d","yanked":null}]}`,
			want: []File{
				{Filename: "a", URL: "https://up.example/simple/p/a", Size: -1, Yanked: true},
				{Filename: "b", URL: "https://up.example/simple/p/b", Size: -1},
				{Filename: "c", URL: "https://up.example/simple/p/c", Size: -1, Yanked: true, YankedReason: "why <not>"},
				{Filename: "d", URL: "https://up.example/simple/p/d", Size: -1},
			},
		},
		{
			name: "size and upload-time forms",
			in: `{"files":[{"filename":"a","url":"a","size":1.5,"upload-time":"yesterday"},
				{"filename":"b","url":"b","size":-3,"upload-time":"2024-01-02T03:04:05+01:00"},
				{"filename":"c","url":"c","size":"12","upload-time":"2024-01-02T03:04:05.5"},
				{"filename":"d","url":"d","size":9007199254740993,"gpg-sig":true,"requires-python":null}]}`,
			want: []File{
				{Filename: "a", URL: "https://up.example/simple/p/a", Size: -1},
				{Filename: "b", URL: "https://up.example/simple/p/b", Size: -1, UploadTime: time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC)},
				{Filename: "c", URL: "https://up.example/simple/p/c", Size: -1, UploadTime: time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)},
				{Filename: "d", URL: "https://up.example/simple/p/d", Size: 9007199254740993, GPGSig: new(true)},
			},
		},
		{
			name: "unusable files are skipped",
			in: `{"files":[{"filename":"","url":"a"},{"filename":"../x","url":"a"},{"filename":"..","url":"a"},
				{"filename":"a\u0000b","url":"a"},{"filename":"ok","url":"javascript:alert(1)"},
				{"filename":"ok","url":"file:///etc/passwd"},{"filename":"ok","url":"http://[::1"},
				{"filename":"ok","url":""},{"filename":"ok","url":"#sha256=00"},
				{"filename":"` + strings.Repeat("x", 256) + `","url":"a"},{"filename":"ok","url":"HTTPS://Up.Example/ok"}]}`,
			want: []File{{Filename: "ok", URL: "https://Up.Example/ok", Size: -1}},
		},
		{name: "no files", in: `{"meta":{"api-version":"1.1"},"name":"p"}`, err: `no "files"`},
		{name: "null files", in: `{"files":null}`, err: `no "files"`},
		{name: "api 2", in: `{"meta":{"api-version":"2.0"},"files":[]}`, err: "unsupported simple API version"},
		{name: "api 0", in: `{"meta":{"api-version":"0.9"},"files":[]}`, err: "unsupported simple API version"},
		{name: "bad yanked", in: `{"files":[{"filename":"a","url":"a","yanked":1}]}`, err: "yanked"},
		{name: "bad metadata", in: `{"files":[{"filename":"a","url":"a","core-metadata":"yes"}]}`, err: "core-metadata"},
		{name: "not JSON", in: `<html>`, err: "invalid character"},
		{name: "array", in: `[]`, err: "cannot unmarshal"},
	}
	for _, tt := range tests {
		p, err := ParseProjectJSON(strings.NewReader(tt.in), base)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(p.Files, tt.want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, dump(p), dump(&Project{Files: tt.want}))
		}
	}
}

func TestParseProjectJSONMeta(t *testing.T) {
	in := `{"meta":{"api-version":"1.2"},"name":"Foo.Bar","versions":["1","2"],"files":[],
		"tracks":["https://pypi.org/simple/foo-bar/"],"alternate-locations":["https://a/","https://b/"]}`
	p, err := ParseProjectJSON(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Project{Name: "Foo.Bar", Files: []File{}, Versions: []string{"1", "2"},
		Tracks: []string{"https://pypi.org/simple/foo-bar/"}, AlternateLocations: []string{"https://a/", "https://b/"}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %s, want %s", dump(p), dump(want))
	}
	// PEP 708 metadata round-trips through HTML too.
	var buf bytes.Buffer
	if err := WriteProjectHTML(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	h, err := ParseProjectHTML(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Tracks, want.Tracks) || !reflect.DeepEqual(h.AlternateLocations, want.AlternateLocations) {
		t.Errorf("HTML: got %s", dump(h))
	}
}

func TestParseProjectHTMLEdgeCases(t *testing.T) {
	base := mustURL(t, "https://up.example/simple/p/")
	h := sha("x")
	tests := []struct {
		name string
		in   string
		want []File
		err  string
	}{
		{
			name: "attribute syntax",
			in: `<a HREF = "a.whl#SHA256=` + strings.ToUpper(h) + `" Data-Requires-Python = '&gt;=3.7,&lt;4' data-yanked data-gpg-sig=TRUE>a.whl</a>` +
				`<a href=b.whl data-core-metadata=true data-requires-python=&gt;=3 >b.whl</a>` +
				`<a href="c.whl"data-core-metadata="sha256=AB"data-dist-info-metadata="sha256=cd">c.whl</a>` +
				`<a href="d.whl" href="ignored.whl" data-dist-info-metadata="md5=ef" data-gpg-sig="maybe">d.whl</a>` +
				`<a href="e.whl" data-core-metadata="false" data-yanked="a &quot;quoted&quot; &#39;reason&#39; &lt;script&gt;">e.whl</a>` +
				`<a href="f.whl" data-core-metadata="bogus">f.whl</a>`,
			want: []File{
				{Filename: "a.whl", URL: "https://up.example/simple/p/a.whl", Hashes: map[string]string{"sha256": h},
					RequiresPython: ">=3.7,<4", Yanked: true, GPGSig: new(true), Size: -1},
				{Filename: "b.whl", URL: "https://up.example/simple/p/b.whl", RequiresPython: ">=3",
					CoreMetadata: map[string]string{}, Size: -1},
				{Filename: "c.whl", URL: "https://up.example/simple/p/c.whl", CoreMetadata: map[string]string{"sha256": "ab"}, Size: -1},
				{Filename: "d.whl", URL: "https://up.example/simple/p/d.whl", CoreMetadata: map[string]string{"md5": "ef"}, Size: -1},
				{Filename: "e.whl", URL: "https://up.example/simple/p/e.whl", Yanked: true,
					YankedReason: `a "quoted" 'reason' <script>`, Size: -1},
				{Filename: "f.whl", URL: "https://up.example/simple/p/f.whl", CoreMetadata: map[string]string{}, Size: -1},
			},
		},
		{
			name: "text and entities",
			in: "<a href='x/y%20z.whl'>\n  y z&#46;whl\n</a>" +
				"<a href=\"q.whl?a=1&copy=2&amp;b=3&not;\"><b>q</b>.whl</a>" +
				"<a href=\"https://e/r.whl\"><!-- c -->r&period;whl</a>" +
				"<a href=\"https://e/s%2Bt.whl\"></a>" +
				"<a href=\"https://e/dir/\"> </a>", // no name at all: skipped
			want: []File{
				{Filename: "y z.whl", URL: "https://up.example/simple/p/x/y%20z.whl", Size: -1},
				{Filename: "q.whl", URL: "https://up.example/simple/p/q.whl?a=1&copy=2&b=3¬", Size: -1},
				{Filename: "r.whl", URL: "https://e/r.whl", Size: -1},
				{Filename: "s+t.whl", URL: "https://e/s%2Bt.whl", Size: -1},
			},
		},
		{
			name: "markup that hides or breaks anchors",
			in: `<!DOCTYPE html><?xml x?><!-- <a href="c1">c1</a> --><!--><a href="ok1">ok1</a>` +
				`<script>var s = "<a href='s1'>s1</a>"; // </scripts> </script ><a href="ok2">ok2</a>` +
				`<style>a{x:"</a>"}</style><title><a href="t">t</a></title><textarea><a href="ta">ta</a></textarea>` +
				`<a href="ok3">ok3<a href="ok4">ok4</a>` + // an <a> closes an open one
				`<a name="n">named</a><a href="ok5" title="x>y">ok5</a><a href="ok6" title='it"s'>ok6</a >` +
				`< a href="no">no</a><a/href="ok7">ok7</a><a href="ok8"`,
			want: []File{
				{Filename: "ok1", URL: "https://up.example/simple/p/ok1", Size: -1},
				{Filename: "ok2", URL: "https://up.example/simple/p/ok2", Size: -1},
				{Filename: "ok3", URL: "https://up.example/simple/p/ok3", Size: -1},
				{Filename: "ok4", URL: "https://up.example/simple/p/ok4", Size: -1},
				{Filename: "ok5", URL: "https://up.example/simple/p/ok5", Size: -1},
				{Filename: "ok6", URL: "https://up.example/simple/p/ok6", Size: -1},
				{Filename: "ok7", URL: "https://up.example/simple/p/ok7", Size: -1},
			},
		},
		{
			name: "unclosed anchor at the end",
			in:   `<a href="x.whl">x.whl`,
			want: []File{{Filename: "x.whl", URL: "https://up.example/simple/p/x.whl", Size: -1}},
		},
		{
			name: "base href, relative to the page",
			in:   `<head><base href="../../mirror/"><base href="https://ignored/"></head><a href="f/x.whl">x.whl</a>`,
			want: []File{{Filename: "x.whl", URL: "https://up.example/mirror/f/x.whl", Size: -1}},
		},
		{
			name: "unusable links",
			in: `<a href="javascript:alert(1)">x</a><a href="mailto:a@b">x</a><a href="http://[::1">x</a>` +
				`<a href="">x</a><a href="#sha256=00">x</a><a href=" ">x</a>` +
				`<a href="a">a/b</a><a href="a">..</a><a href="a">` + strings.Repeat("n", 256) + `</a>` +
				`<a href="a" data-x="` + strings.Repeat("v", maxTagLen) + `">big</a>` +
				`<a href="a"` + strings.Repeat(" x", maxAttrs) + `>many</a>` +
				`<a href="a">` + strings.Repeat(" ", maxTextLen) + `big</a><a href="ok">ok</a>`,
			want: []File{{Filename: "ok", URL: "https://up.example/simple/p/ok", Size: -1}},
		},
		{name: "version 2", in: `<meta name="pypi:repository-version" content="2.0"><a href="a">a</a>`, err: "unsupported simple API version"},
		{name: "version garbage", in: `<meta name="PyPI:Repository-Version" content="one">`, err: "invalid API version"},
		{name: "version 1.3", in: `<META NAME="pypi:repository-version" CONTENT="1.3">`},
	}
	for _, tt := range tests {
		p, err := ParseProjectHTML(strings.NewReader(tt.in), base)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(p.Files, tt.want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, dump(p), dump(&Project{Files: tt.want}))
		}
	}
}

func TestUnescapeAttr(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           "plain",
		"&gt;=3.7":        ">=3.7",
		"&gt=3":           "&gt=3", // legacy name without ';' followed by '='
		"&gt 3":           "> 3",
		"?a=1&copy=2":     "?a=1&copy=2",
		"?a=1&copy;=2":    "?a=1©=2",
		"&copy 2024":      "© 2024",
		"&copyx":          "&copyx",
		"&notit;":         "&notit;",
		"&notin;":         "∉",
		"&ampx;":          "&ampx;",
		"&fjlig;":         "fj",
		"&semi;":          ";",
		"&#60;&#x3C;&#62": "<<>",
		"&unknown;":       "&unknown;",
		"& &&":            "& &&",
		"a&":              "a&",
	} {
		if got := unescapeAttr(in); got != want {
			t.Errorf("unescapeAttr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestScanHTMLChunks feeds a page one byte at a time: the scanner must not
// depend on how reads split the input.
func TestScanHTMLChunks(t *testing.T) {
	b, err := os.ReadFile("testdata/devpi_project.html")
	if err != nil {
		t.Fatal(err)
	}
	base := mustURL(t, "https://x/")
	want, err := ParseProjectHTML(bytes.NewReader(b), base)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseProjectHTML(iotestOneByte(bytes.NewReader(b)), base)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("one byte at a time: got %s, %v; want %s", dump(got), err, dump(want))
	}
}

type oneByteReader struct{ r io.Reader }

func (r oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return r.r.Read(p[:1])
}

func iotestOneByte(r io.Reader) io.Reader { return oneByteReader{r} }

type errReader struct{}

var errRead = errors.New("read failed")

func (errReader) Read([]byte) (int, error) { return 0, errRead }

func TestParseReadErrors(t *testing.T) {
	r := func() io.Reader { return io.MultiReader(strings.NewReader(`{"projects":[{"name":"a"},`), errReader{}) }
	if _, err := ParseProjectJSON(r(), nil); !errors.Is(err, errRead) {
		t.Errorf("ParseProjectJSON: %v", err)
	}
	if _, err := ParseProjectListJSON(r()); !errors.Is(err, errRead) {
		t.Errorf("ParseProjectListJSON: %v", err)
	}
	if _, err := ParseProjectHTML(r(), nil); !errors.Is(err, errRead) {
		t.Errorf("ParseProjectHTML: %v", err)
	}
	if _, err := ParseProjectListHTML(r()); !errors.Is(err, errRead) {
		t.Errorf("ParseProjectListHTML: %v", err)
	}
}

// TestParseProjectListLarge parses 900,000-name pages in both formats and
// checks that the memory in use beyond the result stays small.
func TestParseProjectListLarge(t *testing.T) {
	n := 900_000
	if testing.Short() || raceEnabled {
		n = 50_000 // the race detector makes the full size take minutes
	}
	names := manyNames(n)
	var html, js bytes.Buffer
	if err := WriteProjectListHTML(&html, names, func(n string) string { return "/simple/" + n + "/" }); err != nil {
		t.Fatal(err)
	}
	if err := WriteProjectListJSON(&js, names); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		parse func() ([]string, error)
	}{
		{"HTML", func() ([]string, error) { return ParseProjectListHTML(bytes.NewReader(html.Bytes())) }},
		{"JSON", func() ([]string, error) { return ParseProjectListJSON(bytes.NewReader(js.Bytes())) }},
	} {
		got, err := tc.parse()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(got, names) {
			t.Fatalf("%s: %d names, want %d", tc.name, len(got), len(names))
		}
	}
}

// Fuzz targets for the upstream parsers: any input, no panic, and what
// comes out is sane.

func checkParsedProject(t *testing.T, p *Project) {
	for _, f := range p.Files {
		if !validName(f.Filename) {
			t.Fatalf("invalid file name %q", f.Filename)
		}
		if strings.Contains(f.URL, "#") {
			t.Fatalf("URL %q keeps its fragment", f.URL)
		}
		u, err := url.Parse(f.URL)
		if err != nil {
			t.Fatalf("URL %q does not parse: %v", f.URL, err)
		}
		if s := u.Scheme; s != "http" && s != "https" {
			t.Fatalf("URL %q: scheme %q", f.URL, s)
		}
		if f.Size < -1 {
			t.Fatalf("size %d", f.Size)
		}
		// What was parsed renders to valid output.
		var buf bytes.Buffer
		if err := WriteProjectJSON(&buf, p, nil); err != nil || !bytes.Contains(buf.Bytes(), []byte(`"files"`)) {
			t.Fatal(err)
		}
	}
}

func FuzzParseProjectJSON(f *testing.F) {
	for _, name := range []string{"pypi_project.json", "pypi_root.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"meta":{"api-version":"1.1"},"name":"p","files":[{"filename":"p-1.tar.gz","url":"../p-1.tar.gz#x",` +
		`"hashes":{"SHA256":"AB"},"yanked":"r","size":3,"upload-time":"2024-01-02T03:04:05Z","core-metadata":{"sha256":"cd"},` +
		`"dist-info-metadata":true,"gpg-sig":false}],"versions":["1"],"tracks":["t"],"alternate-locations":["a"]}`))
	f.Add([]byte(`{"files":[{"filename":"a","url":"a","yanked":null,"size":-1,"core-metadata":null}]}`))
	base, _ := url.Parse("https://up.example/simple/p/")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProjectJSON(bytes.NewReader(data), base)
		if err != nil {
			return
		}
		checkParsedProject(t, p)
	})
}

func FuzzParseProjectHTML(f *testing.F) {
	for _, name := range []string{"pypi_project.html", "devpi_project.html", "pypiserver_project.html", "pypi_root.html"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<a href=x.whl#sha256=AB data-yanked data-core-metadata=true data-gpg-sig=false>x&amp;.whl</a><!---->` +
		`<script></script ><base href="../"><meta name=pypi:tracks content=x><a href='y'>`))
	base, _ := url.Parse("https://up.example/simple/p/")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProjectHTML(bytes.NewReader(data), base)
		if err != nil {
			if !errors.Is(err, ErrUnsupportedVersion) && !strings.Contains(err.Error(), "invalid API version") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		checkParsedProject(t, p)
		// The scanner does not depend on how reads split the input.
		p2, err := ParseProjectHTML(iotestOneByte(bytes.NewReader(data)), base)
		if err != nil || !reflect.DeepEqual(p, p2) {
			t.Fatalf("one byte at a time: %v\n%s\nvs\n%s", err, dump(p2), dump(p))
		}
	})
}

func FuzzParseProjectListHTML(f *testing.F) {
	for _, name := range []string{"pypi_root.html", "devpi_project.html"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<a href="/simple/a/">a</a><a href=b/>b&amp;</a ><A HREF=/c/></A><a href="/d/"><i> d </i></a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		names, err := ParseProjectListHTML(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, n := range names {
			if !validName(n) {
				t.Fatalf("invalid name %q", n)
			}
		}
		// Render and parse back: the names survive.
		var buf bytes.Buffer
		if err := WriteProjectListHTML(&buf, names, nil); err != nil {
			t.Fatal(err)
		}
		back, err := ParseProjectListHTML(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for i := range back {
			back[i] = strings.Trim(back[i], htmlWhitespace)
		}
		if !reflect.DeepEqual(back, names) {
			t.Fatalf("round trip: %q, want %q", back, names)
		}
	})
}

func BenchmarkParseProjectJSON(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteProjectJSON(&buf, bigProject(2000), nil); err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse("https://pypi.org/simple/numpy/")
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProjectJSON(bytes.NewReader(buf.Bytes()), base); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseProjectHTML(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteProjectHTML(&buf, bigProject(2000), nil); err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse("https://pypi.org/simple/numpy/")
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProjectHTML(bytes.NewReader(buf.Bytes()), base); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseProjectListHTML(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteProjectListHTML(&buf, manyNames(100_000), func(n string) string { return "/simple/" + n + "/" }); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProjectListHTML(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseProjectListJSON(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteProjectListJSON(&buf, manyNames(100_000)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProjectListJSON(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
