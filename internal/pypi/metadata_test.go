package pypi

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// setuptoolsWheel is the METADATA of a wheel built by setuptools 68: the
// description is the body.
const setuptoolsWheel = `Metadata-Version: 2.1
Name: alpha_lib
Version: 1.1.0
Summary: Alpha library for the acceptance tests
Home-page: https://example.com/alpha
Author: Jane Doe
Author-email: jane@example.com
License: MIT
Project-URL: Source, https://github.com/example/alpha
Project-URL: Bug Tracker, https://github.com/example/alpha/issues
Classifier: Programming Language :: Python :: 3
Classifier: License :: OSI Approved :: MIT License
Classifier: Operating System :: OS Independent
Requires-Python: >=3.7
Description-Content-Type: text/markdown
License-File: LICENSE
Requires-Dist: requests (>=2.0)
Requires-Dist: importlib-metadata ; python_version < "3.8"
Provides-Extra: test
Requires-Dist: pytest>=7 ; extra == 'test'
Requires-Dist: pytest-cov[toml] (<5,>=4) ; extra == "test"

# Alpha

Some **markdown**, with a blank line above.

    indented code
`

// hatchlingWheel is the METADATA of a wheel built by hatchling
// (Metadata-Version 2.3), with markers that combine extras and parentheses.
const hatchlingWheel = `Metadata-Version: 2.3
Name: httpx
Version: 0.27.0
Summary: The next generation HTTP client.
Project-URL: Changelog, https://github.com/encode/httpx/blob/master/CHANGELOG.md
Project-URL: Documentation, https://www.python-httpx.org
Project-URL: Homepage, https://github.com/encode/httpx
Author-email: Tom Christie <tom@tomchristie.com>
License-Expression: BSD-3-Clause
Classifier: Development Status :: 4 - Beta
Classifier: Framework :: AsyncIO
Requires-Python: >=3.8
Requires-Dist: anyio
Requires-Dist: certifi
Requires-Dist: httpcore==1.*
Requires-Dist: idna
Requires-Dist: sniffio
Provides-Extra: brotli
Requires-Dist: brotli; (platform_python_implementation == 'CPython') and extra == 'brotli'
Requires-Dist: brotlicffi; (platform_python_implementation != 'CPython') and extra == 'brotli'
Provides-Extra: http2
Requires-Dist: h2<5,>=3; extra == 'http2'
Provides-Extra: socks
Requires-Dist: socksio==1.*; extra == 'socks'
Description-Content-Type: text/markdown

<p align="center">HTTPX</p>
`

// pep639Wheel is Metadata-Version 2.4 (PEP 639) with License-Expression,
// License-File and Dynamic, and no body.
const pep639Wheel = "Metadata-Version: 2.4\n" +
	"Name: Zeta.Name_Mixed\n" +
	"Version: 0.1.0\n" +
	"Summary: Mixed-case name\n" +
	"License-Expression: MIT OR Apache-2.0\n" +
	"License-File: LICENSE-MIT\n" +
	"License-File: LICENSES/Apache-2.0.txt\n" +
	"Dynamic: version\n" +
	"Requires-Dist: tomli>=1.1.0; python_version < \"3.11\"\n" +
	"Requires-Dist: foo @ https://example.com/foo-1.0-py3-none-any.whl ; os_name == \"posix\"\n" +
	"Requires-Dist: bar; sys_platform == \"win32\" and platform_machine in \"AMD64;x86\"\n"

// distutilsPKGINFO is an old PKG-INFO whose description is a folded
// header, continuation lines indented by eight spaces, blank lines
// included.
const distutilsPKGINFO = "Metadata-Version: 1.1\n" +
	"Name: python-dateutil\n" +
	"Version: 2.2\n" +
	"Summary: Extensions to the standard Python datetime module\n" +
	"Home-page: https://dateutil.readthedocs.org\n" +
	"Author: Tomi Pievilaeinen\n" +
	"Author-email: tomi.pievilainen@iki.fi\n" +
	"License: Simplified BSD\n" +
	"Description: The dateutil module provides powerful extensions to the\n" +
	"        datetime module available in the Python standard library.\n" +
	"        \n" +
	"        Example::\n" +
	"        \n" +
	"            >>> from dateutil import parser\n" +
	"        \n" +
	"Platform: UNKNOWN\n" +
	"Classifier: License :: OSI Approved :: BSD License\n" +
	"Requires: six\n"

// pep345PKGINFO uses the continuation convention of PEP 345: seven spaces
// and '|'.
const pep345PKGINFO = "Metadata-Version: 1.2\n" +
	"Name: BeagleVote\n" +
	"Version: 1.0a2\n" +
	"Description: This project provides powerful math functions\n" +
	"       |For example, you can use `sum()` to sum numbers:\n" +
	"       |\n" +
	"       |Example::\n" +
	"       |\n" +
	"       |    >>> sum(1, 2)\n" +
	"       |    3\n" +
	"       |\n" +
	"Keywords: dog puppy voting election\n" +
	"License: This software may only be obtained by sending the\n" +
	"        author a postcard, and then the user promises not\n" +
	"        to redistribute it.\n" +
	"Requires-Python: >=2.4\n"

func mustParse(t testing.TB, raw string) *Metadata {
	t.Helper()
	m, err := ParseMetadata([]byte(raw))
	if err != nil {
		t.Fatalf("ParseMetadata: %v", err)
	}
	return m
}

func TestParseMetadataSetuptools(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n"} {
		raw := strings.ReplaceAll(setuptoolsWheel, "\n", eol)
		m := mustParse(t, raw)
		if !bytes.Equal(m.Raw, []byte(raw)) {
			t.Error("Raw differs from the input")
		}
		checks := []struct{ got, want string }{
			{m.MetadataVersion(), "2.1"},
			{m.Name(), "alpha_lib"},
			{m.Version(), "1.1.0"},
			{m.Summary(), "Alpha library for the acceptance tests"},
			{m.HomePage(), "https://example.com/alpha"},
			{m.RequiresPython(), ">=3.7"},
			{m.DescriptionContentType(), "text/markdown"},
			{m.License(), "MIT"},
			{m.Get("author-EMAIL"), "jane@example.com"},
			{m.Get("License-File"), "LICENSE"},
			{m.Get("No-Such-Field"), ""},
			{m.Description(), "# Alpha\n\nSome **markdown**, with a blank line above.\n\n    indented code\n"},
		}
		for i, c := range checks {
			if c.got != c.want {
				t.Errorf("eol %q check %d: got %q, want %q", eol, i, c.got, c.want)
			}
		}
		wantReqs := []string{
			"requests (>=2.0)",
			`importlib-metadata ; python_version < "3.8"`,
			"pytest>=7 ; extra == 'test'",
			`pytest-cov[toml] (<5,>=4) ; extra == "test"`,
		}
		if got := m.RequiresDist(); !reflect.DeepEqual(got, wantReqs) {
			t.Errorf("RequiresDist() = %q", got)
		}
		if got := m.Classifiers(); len(got) != 3 || got[2] != "Operating System :: OS Independent" {
			t.Errorf("Classifiers() = %q", got)
		}
		if got := m.ProvidesExtra(); !reflect.DeepEqual(got, []string{"test"}) {
			t.Errorf("ProvidesExtra() = %q", got)
		}
		wantURLs := []ProjectURL{
			{"Source", "https://github.com/example/alpha"},
			{"Bug Tracker", "https://github.com/example/alpha/issues"},
		}
		if got := m.ProjectURLs(); !reflect.DeepEqual(got, wantURLs) {
			t.Errorf("ProjectURLs() = %q", got)
		}
		if err := m.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
		if n := len(m.Fields()); n != 21 {
			t.Errorf("len(Fields()) = %d, want 21", n)
		}
	}
}

func TestParseMetadataHatchling(t *testing.T) {
	m := mustParse(t, hatchlingWheel)
	if got := m.LicenseExpression(); got != "BSD-3-Clause" {
		t.Errorf("LicenseExpression() = %q", got)
	}
	if got := m.Description(); got != "<p align=\"center\">HTTPX</p>\n" {
		t.Errorf("Description() = %q", got)
	}
	reqs := m.RequiresDist()
	if len(reqs) != 9 {
		t.Fatalf("RequiresDist() = %q", reqs)
	}
	for _, s := range reqs {
		if _, err := ParseRequirement(s); err != nil {
			t.Error(err)
		}
	}
	if got := m.ProjectURLs(); len(got) != 3 || got[2] != (ProjectURL{"Homepage", "https://github.com/encode/httpx"}) {
		t.Errorf("ProjectURLs() = %q", got)
	}
	if got := m.HomePage(); got != "" {
		t.Errorf("HomePage() = %q", got)
	}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseMetadataPEP639(t *testing.T) {
	m := mustParse(t, pep639Wheel)
	if got := m.GetAll("license-file"); !reflect.DeepEqual(got, []string{"LICENSE-MIT", "LICENSES/Apache-2.0.txt"}) {
		t.Errorf("GetAll(license-file) = %q", got)
	}
	if got := m.LicenseExpression(); got != "MIT OR Apache-2.0" {
		t.Errorf("LicenseExpression() = %q", got)
	}
	if got := m.Description(); got != "" {
		t.Errorf("Description() = %q", got)
	}
	if m.Body() != nil {
		t.Errorf("Body() = %q", m.Body())
	}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	r, err := ParseRequirement(m.RequiresDist()[1])
	if err != nil || r.URL != "https://example.com/foo-1.0-py3-none-any.whl" || r.Marker != `os_name == "posix"` {
		t.Errorf("ParseRequirement(%q) = %+v, %v", m.RequiresDist()[1], r, err)
	}
}

func TestParseMetadataFoldedDescription(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n"} {
		m := mustParse(t, strings.ReplaceAll(distutilsPKGINFO, "\n", eol))
		want := "The dateutil module provides powerful extensions to the\n" +
			"datetime module available in the Python standard library.\n" +
			"\n" +
			"Example::\n" +
			"\n" +
			"    >>> from dateutil import parser"
		if got := m.Description(); got != want {
			t.Errorf("eol %q: Description() = %q, want %q", eol, got, want)
		}
		// Get unfolds as RFC 5322 does: line breaks go, whitespace stays.
		if got := m.Get("Description"); !strings.HasPrefix(got, "The dateutil module provides powerful extensions to the        datetime module") {
			t.Errorf("Get(Description) = %q", got)
		}
		if got := m.Get("Platform"); got != "UNKNOWN" {
			t.Errorf("Get(Platform) = %q", got)
		}
		if got := m.GetAll("Requires"); !reflect.DeepEqual(got, []string{"six"}) {
			t.Errorf("GetAll(Requires) = %q", got)
		}
		if err := m.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
	}

	m := mustParse(t, pep345PKGINFO)
	want := "This project provides powerful math functions\n" +
		"For example, you can use `sum()` to sum numbers:\n" +
		"\n" +
		"Example::\n" +
		"\n" +
		"    >>> sum(1, 2)\n" +
		"    3"
	if got := m.Description(); got != want {
		t.Errorf("PEP 345 Description() = %q, want %q", got, want)
	}
	wantLicense := "This software may only be obtained by sending the\n" +
		"author a postcard, and then the user promises not\n" +
		"to redistribute it."
	if got := m.License(); got != wantLicense {
		t.Errorf("License() = %q, want %q", got, wantLicense)
	}
	if got := m.Get("Keywords"); got != "dog puppy voting election" {
		t.Errorf("Get(Keywords) = %q", got)
	}
	if got := m.RequiresPython(); got != ">=2.4" {
		t.Errorf("RequiresPython() = %q", got)
	}
}

func TestMetadataDescriptionCases(t *testing.T) {
	tests := []struct{ raw, want string }{
		// The body wins over the header.
		{"Name: a\nDescription: header\n\nbody\n", "body\n"},
		// A blank body falls back to the header.
		{"Name: a\nDescription: header\n\n  \n\n", "header"},
		// CRLF in the body becomes LF; a lone CR stays.
		{"Name: a\r\n\r\nline 1\r\nline 2\rx\r\n", "line 1\nline 2\rx\n"},
		// Invalid UTF-8 in the body is replaced.
		{"Name: a\n\nlatin-1 caf\xe9\n", "latin-1 caf\uFFFD\n"},
		// A folded description whose first line is empty.
		{"Name: a\nDescription:\n    first\n      second\n", "first\n  second"},
		// Tab-indented continuation lines are dedented.
		{"Name: a\nDescription: x\n\ty\n\t\tz\n", "x\ny\n\tz"},
		// PEP 345 and distutils lines mixed: each prefix is removed.
		{"Name: a\nDescription: x\n       |  bar\n        plain\n", "x\n  bar\nplain"},
		// Not folded: the value as is.
		{"Name: a\nDescription:   one line  \n", "one line"},
		{"Name: a\n", ""},
	}
	for _, tt := range tests {
		m := mustParse(t, tt.raw)
		if got := m.Description(); got != tt.want {
			t.Errorf("ParseMetadata(%q).Description() = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestMetadataFolding(t *testing.T) {
	m := mustParse(t, "Name: a\nSummary: a very\n  long summary \nX-Empty:\nX-Tab:\tv\t\nKeywords: a,\n\tb\nName: second\n\nBody: not a field\n")
	checks := []struct{ field, want string }{
		{"Summary", "a very  long summary"},
		{"x-empty", ""},
		{"X-Tab", "v"},
		{"Keywords", "a,\tb"},
		{"Name", "a"},
		{"Body", ""},
	}
	for _, c := range checks {
		if got := m.Get(c.field); got != c.want {
			t.Errorf("Get(%q) = %q, want %q", c.field, got, c.want)
		}
	}
	if v, ok := m.Lookup("X-Empty"); !ok || v != "" {
		t.Errorf("Lookup(X-Empty) = %q, %v", v, ok)
	}
	if _, ok := m.Lookup("Body"); ok {
		t.Error("Lookup(Body) found a field in the body")
	}
	if got := m.GetAll("NAME"); !reflect.DeepEqual(got, []string{"a", "second"}) {
		t.Errorf("GetAll(NAME) = %q", got)
	}
	if got := m.GetAll("nothing"); got != nil {
		t.Errorf("GetAll(nothing) = %q", got)
	}
	want := []Field{{"Name", "a"}, {"Summary", "a very  long summary"}, {"X-Empty", ""}, {"X-Tab", "v"}, {"Keywords", "a,\tb"}, {"Name", "second"}}
	if got := m.Fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("Fields() = %q", got)
	}
	// No trailing newline, and a header that ends in a lone CR.
	for _, raw := range []string{"Name: a", "Name: a\r\n\r", "Name: a\n\r"} {
		if m := mustParse(t, raw); m.Name() != "a" || len(m.Fields()) != 1 {
			t.Errorf("ParseMetadata(%q) fields = %q", raw, m.Fields())
		}
	}
}

func TestProjectURLs(t *testing.T) {
	m := mustParse(t, "Project-URL: Docs, https://x/docs\nProject-URL: https://no-label\nProject-URL:  A, B , https://x?a,b \n")
	want := []ProjectURL{{"Docs", "https://x/docs"}, {"", "https://no-label"}, {"A", "B , https://x?a,b"}}
	if got := m.ProjectURLs(); !reflect.DeepEqual(got, want) {
		t.Errorf("ProjectURLs() = %q, want %q", got, want)
	}
	if got := mustParse(t, "Name: a\n").ProjectURLs(); got != nil {
		t.Errorf("ProjectURLs() = %q, want nil", got)
	}
}

func TestParseMetadataErrors(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", "metadata is empty"},
		{"\xef\xbb\xbfMetadata-Version: 2.1\n", "metadata starts with a UTF-8 byte order mark"},
		{"Name: a\x00b\n", "metadata contains a NUL byte at offset 7: it is binary, not text"},
		{"Name: a\n\nbody\x00", "NUL byte at offset 13"},
		{"PK\x03\x04\x14\x00\x00\x00", "NUL byte"},
		{"\x89PNG\r\n\x1a\n", "metadata line 1 is not valid UTF-8"},
		{"this is not metadata\n", `metadata line 1 is not a "Name: value" field: "this is not metadata"`},
		{"Name: a\ngarbage\n", `metadata line 2 is not a "Name: value" field`},
		{" Name: a\n", "metadata line 1 starts with whitespace but there is no field before it to continue"},
		{"\tName: a\n", "metadata line 1 starts with whitespace"},
		{"Name: caf\xe9\n", "metadata line 1 is not valid UTF-8"},
		{"Name: a\nSummary: \xff\xfe\n", "metadata line 2 is not valid UTF-8"},
		{"Name: a\x01b\n", "metadata line 1 contains the control character 0x01"},
		{"Name: a\x1b[31m\n", "control character 0x1b"},
		{"Name: a\rb\n", "metadata line 1 contains a carriage return that does not end the line"},
		{"Name: a\r\r\n", "carriage return"},
		{": a\n", "metadata line 1 has an empty field name"},
		{"Na me: a\n", `metadata line 1 has an invalid field name "Na me"`},
		{"Name\xc3\xa9: a\n", "invalid field name"},
		{"Name : a\n", `invalid field name "Name "`},
		{"\n", "metadata has no header fields: it starts with an empty line"},
		{"\r\nName: a\n", "metadata has no header fields"},
		{"\nName: a\n", "no header fields"},
		{"\r", "metadata has no header fields"},
		{"Name: a\n" + strings.Repeat("Classifier: x\n", MaxMetadataFields), fmt.Sprintf("metadata has more than %d fields", MaxMetadataFields)},
		{strings.Repeat("x", MaxMetadataSize+1), fmt.Sprintf("metadata is %d bytes long, more than the limit of %d", MaxMetadataSize+1, MaxMetadataSize)},
	}
	for _, tt := range tests {
		m, err := ParseMetadata([]byte(tt.raw))
		if err == nil {
			t.Errorf("ParseMetadata(%q) = %v, want error", clip(tt.raw), m.Fields())
			continue
		}
		if m != nil {
			t.Errorf("ParseMetadata(%q) returned metadata and an error", clip(tt.raw))
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseMetadata(%q) error = %q, want it to contain %q", clip(tt.raw), err, tt.want)
		}
	}
	// Exactly MaxMetadataFields fields is fine.
	raw := strings.Repeat("Classifier: x\n", MaxMetadataFields)
	if m, err := ParseMetadata([]byte(raw)); err != nil || len(m.Fields()) != MaxMetadataFields {
		t.Errorf("ParseMetadata of %d fields: %v", MaxMetadataFields, err)
	}
}

func TestMetadataValidate(t *testing.T) {
	const base = "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"
	tests := []struct{ raw, want string }{
		{base, ""},
		{base + "Requires-Dist: bar[x] (>=1); extra == 'x'\n", ""},
		{base + "Classifier: A\nClassifier: B\n", ""},
		{"Name: foo\nVersion: 1.0\n", "metadata has no Metadata-Version field"},
		{"Metadata-Version: 2.1\nVersion: 1.0\n", "metadata has no Name field"},
		{"Metadata-Version: 2.1\nName: foo\n", "metadata has no Version field"},
		{"Metadata-Version: 2.1\nName:\nVersion: 1.0\n", "metadata has an empty Name field"},
		{base + "Name: bar\n", "metadata has 2 Name fields; it may have only one"},
		{base + "version: 2.0\n", "metadata has 2 Version fields"},
		{base + "Description: a\nDescription: b\n", "metadata has 2 Description fields"},
		{base + "Requires-Python: >=3\nRequires-Python: <4\n", "metadata has 2 Requires-Python fields"},
		{"Metadata-Version: 2\nName: foo\nVersion: 1.0\n", `metadata has an invalid Metadata-Version "2" (expected a version such as 2.1)`},
		{"Metadata-Version: 2.x\nName: foo\nVersion: 1.0\n", "invalid Metadata-Version"},
		{"Metadata-Version: 2.1\nName: foo bar\nVersion: 1.0\n", `metadata has an invalid Name "foo bar"`},
		{"Metadata-Version: 2.1\nName: -foo\nVersion: 1.0\n", `invalid Name "-foo"`},
		{base + "Requires-Dist: bar >= 1.0 ; python_version < '3.8\n", `metadata has an invalid Requires-Dist: invalid requirement "bar >= 1.0 ; python_version < '3.8": invalid marker: unterminated string`},
		{base + "Requires-Dist: \n", "invalid Requires-Dist"},
	}
	for _, tt := range tests {
		err := mustParse(t, tt.raw).Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Validate(%q): %v", tt.raw, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Validate(%q) = %v, want an error containing %q", tt.raw, err, tt.want)
		}
	}
	for _, raw := range []string{setuptoolsWheel, hatchlingWheel, pep639Wheel, distutilsPKGINFO, pep345PKGINFO} {
		if err := mustParse(t, raw).Validate(); err != nil {
			t.Errorf("Validate(%q...): %v", raw[:40], err)
		}
	}
}

func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		setuptoolsWheel, hatchlingWheel, pep639Wheel, distutilsPKGINFO, pep345PKGINFO,
		strings.ReplaceAll(setuptoolsWheel, "\n", "\r\n"),
		"Name: a", "Name: a\r\n\r", " x\n", "\n", "Name: a\nDescription:\n\t|x\n       |y\n\n\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in := bytes.Clone(raw)
		m, err := ParseMetadata(raw)
		if err != nil {
			if m != nil {
				t.Fatalf("ParseMetadata returned metadata and error %v", err)
			}
			return
		}
		if !bytes.Equal(m.Raw, in) || !bytes.Equal(raw, in) {
			t.Fatalf("Raw %q differs from the input %q", m.Raw, in)
		}
		fs := m.Fields()
		if len(fs) == 0 || len(fs) > MaxMetadataFields {
			t.Fatalf("%d fields", len(fs))
		}
		first := map[string]string{} // lower-case name -> first value
		count := map[string]int{}
		for _, f := range fs {
			if f.Name == "" || strings.ContainsAny(f.Name, ": \t\r\n") {
				t.Fatalf("bad field name %q", f.Name)
			}
			if strings.ContainsAny(f.Value, "\r\n\x00") {
				t.Fatalf("field %q has an unfolded value %q", f.Name, f.Value)
			}
			k := strings.ToLower(f.Name)
			if _, ok := first[k]; !ok {
				first[k] = f.Value
			}
			count[k]++
		}
		for _, f := range fs {
			k := strings.ToLower(f.Name)
			if v := m.Get(f.Name); v != first[k] {
				t.Fatalf("Get(%q) = %q, want %q", f.Name, v, first[k])
			}
			if n := len(m.GetAll(strings.ToUpper(f.Name))); n != count[k] {
				t.Fatalf("GetAll(%q) has %d values, want %d", f.Name, n, count[k])
			}
		}
		_ = m.Name() + m.Version() + m.MetadataVersion() + m.Summary() + m.RequiresPython() +
			m.HomePage() + m.DescriptionContentType() + m.LicenseExpression() + m.License()
		_, _, _ = m.RequiresDist(), m.ProjectURLs(), m.Classifiers()
		if d := m.Description(); !utf8Valid(d) {
			t.Fatalf("Description() is not valid UTF-8: %q", d)
		}
		_ = m.Validate()
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func BenchmarkParseMetadata(b *testing.B) {
	var big strings.Builder
	big.WriteString("Metadata-Version: 2.1\nName: apache-airflow\nVersion: 2.8.0\n")
	for i := range 400 {
		fmt.Fprintf(&big, "Requires-Dist: provider-%d>=1.%d ; extra == \"p%d\"\n", i, i, i)
	}
	for i := range 100 {
		fmt.Fprintf(&big, "Classifier: Topic :: Thing %d\n", i)
	}
	big.WriteString("\n")
	big.WriteString(strings.Repeat("Some description text in the body.\n", 2000))
	for _, bm := range []struct{ name, raw string }{
		{"setuptools", setuptoolsWheel},
		{"distutils", distutilsPKGINFO},
		{"large", big.String()},
	} {
		raw := []byte(bm.raw)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := ParseMetadata(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
