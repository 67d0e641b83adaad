package pypi

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseRequirement(t *testing.T) {
	tests := []struct {
		in   string
		want Requirement
	}{
		{"requests", Requirement{Name: "requests"}},
		{"  requests  ", Requirement{Name: "requests"}},
		{"A", Requirement{Name: "A"}},
		{"requests>=2.0", Requirement{Name: "requests", Specifier: ">=2.0"}},
		{"requests (>=2.0)", Requirement{Name: "requests", Specifier: ">=2.0"}},
		{"requests(>=2.0,<3)", Requirement{Name: "requests", Specifier: ">=2.0,<3"}},
		{"requests ( >= 2.0 , < 3 )", Requirement{Name: "requests", Specifier: ">= 2.0 , < 3"}},
		{"requests >= 2.0 , < 3", Requirement{Name: "requests", Specifier: ">= 2.0 , < 3"}},
		{"requests\t>=2.0\t", Requirement{Name: "requests", Specifier: ">=2.0"}},
		{"requests ()", Requirement{Name: "requests"}},
		{"requests>=1,", Requirement{Name: "requests", Specifier: ">=1,"}},
		{"name [extra1, extra2] (>=1.0, <2) ; python_version < \"3.8\"", Requirement{
			Name: "name", Extras: []string{"extra1", "extra2"}, Specifier: ">=1.0, <2", Marker: `python_version < "3.8"`,
		}},
		{"name[ extra1 ,extra2 ]>=1.0;python_version<'3.8'", Requirement{
			Name: "name", Extras: []string{"extra1", "extra2"}, Specifier: ">=1.0", Marker: "python_version<'3.8'",
		}},
		{"name[]", Requirement{Name: "name"}},
		{"name [ ] ", Requirement{Name: "name"}},
		{"Zeta.Name_Mixed[Some.Extra_1]", Requirement{Name: "Zeta.Name_Mixed", Extras: []string{"Some.Extra_1"}}},
		{"httpcore==1.*", Requirement{Name: "httpcore", Specifier: "==1.*"}},
		{"foo~=1.4.5", Requirement{Name: "foo", Specifier: "~=1.4.5"}},
		{"foo!=1.5.*,>=1.0.post1+local.2", Requirement{Name: "foo", Specifier: "!=1.5.*,>=1.0.post1+local.2"}},
		{"foo===any-thing_1!", Requirement{Name: "foo", Specifier: "===any-thing_1!"}},
		{"foo ===weird@thing", Requirement{Name: "foo", Specifier: "===weird@thing"}},
		{"foo==1!2.0", Requirement{Name: "foo", Specifier: "==1!2.0"}},
		{"pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686", Requirement{
			Name: "pip", URL: "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
		}},
		{"name @ https://example.com/x.whl ; python_version >= '3.8'", Requirement{
			Name: "name", URL: "https://example.com/x.whl", Marker: "python_version >= '3.8'",
		}},
		{"name[x]@file:///tmp/x.tar.gz\t;\tos_name=='nt'", Requirement{
			Name: "name", Extras: []string{"x"}, URL: "file:///tmp/x.tar.gz", Marker: "os_name=='nt'",
		}},
		// A ';' right after the URL is part of it, as in the packaging library.
		{"name @ https://x/y;z", Requirement{Name: "name", URL: "https://x/y;z"}},
		{"x @ git+https://github.com/a/b.git@v1", Requirement{Name: "x", URL: "git+https://github.com/a/b.git@v1"}},
		{"x @ file:x.whl", Requirement{Name: "x", URL: "file:x.whl"}},
		{"x @ FILE:///tmp/x.whl", Requirement{Name: "x", URL: "FILE:///tmp/x.whl"}},
		{"name ; extra == 'test'", Requirement{Name: "name", Marker: "extra == 'test'"}},
		{"name;os_name=='a;b'", Requirement{Name: "name", Marker: "os_name=='a;b'"}},
		{`brotli; (platform_python_implementation == 'CPython') and extra == 'brotli'`, Requirement{
			Name: "brotli", Marker: `(platform_python_implementation == 'CPython') and extra == 'brotli'`,
		}},
		{`foo; sys_platform == "win32" and platform_machine in "AMD64;x86" or ('3' not in python_version)`, Requirement{
			Name: "foo", Marker: `sys_platform == "win32" and platform_machine in "AMD64;x86" or ('3' not in python_version)`,
		}},
		{`foo; "3.8" <= python_full_version and os.name=="posix" and sys.platform!='x'`, Requirement{
			Name: "foo", Marker: `"3.8" <= python_full_version and os.name=="posix" and sys.platform!='x'`,
		}},
		{`foo; python_version>"3"and(os_name=="a"or os_name=='b')`, Requirement{
			Name: "foo", Marker: `python_version>"3"and(os_name=="a"or os_name=='b')`,
		}},
		{`foo; implementation_name === "cpython" and platform_release ~= "5" and "x" in extras`, Requirement{
			Name: "foo", Marker: `implementation_name === "cpython" and platform_release ~= "5" and "x" in extras`,
		}},
		{"foo; \"\u00e9\" == platform_version", Requirement{Name: "foo", Marker: `"é" == platform_version`}},
	}
	for _, tt := range tests {
		got, err := ParseRequirement(tt.in)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRequirement(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
		// String gives a requirement that parses back to the same.
		again, err := ParseRequirement(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("ParseRequirement(%q).String() = %q, which parses as %#v, %v", tt.in, got.String(), again, err)
		}
	}
}

func TestParseRequirementErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `invalid requirement "": expected a project name at the end`},
		{"   ", "expected a project name"},
		{">=1.0", `invalid requirement ">=1.0": expected a project name at ">=1.0"`},
		{"-foo", `a project name "-foo" is invalid`},
		{"foo-", `a project name "foo-" is invalid: it must start and end with a letter or digit`},
		{"foo.>=1", `a project name "foo." is invalid`},
		{"foo bar", `expected '[', '(', a version operator, '@', ';' or the end after the name at "bar"`},
		{"foo\x00", `requirement "foo\x00" contains a control character`},
		{"foo\n>=1", "contains a control character"},
		{"foo; os_name == '\r'", "contains a control character"},
		{"foo\xff", `requirement "foo\xff" is not valid UTF-8`},
		{"fooé", "expected '['"},
		{"foo[", "expected an extra name at the end"},
		{"foo[a", "expected ',' or ']' in the extras at the end"},
		{"foo[a b]", `expected ',' or ']' in the extras at "b]"`},
		{"foo[a,]", `expected an extra name at "]"`},
		{"foo[,a]", "expected an extra name"},
		{"foo[a-]", `an extra name "a-" is invalid`},
		{"foo[a]]", "expected '[', '(', a version operator"},
		{"foo (>=1", "expected ',' or ')' in the version specifier at the end"},
		{"foo (>=1 <2)", `expected ',' or ')' in the version specifier at "<2)"`},
		{"foo >=1 <2", `expected ',', ';' or the end after the version specifier at "<2"`},
		{"foo (>=1))", "expected ',', ';' or the end"},
		{"foo >=", `expected a version after ">=" at the end`},
		{"foo >= ,", `expected a version after ">="`},
		{"foo (>=1.0#)", `expected ',' or ')'`},
		{"foo =1", "expected a version operator"},
		{"foo !1", "expected a version operator"},
		{"foo ~1", "expected a version operator"},
		{"foo (=>1)", `expected ',' or ')' in the version specifier at "=>1)"`},
		{"foo >=1,,<2", "expected ',', ';' or the end"},
		{"foo @", "expected a URL after '@' at the end"},
		{"foo @   ", "expected a URL after '@'"},
		{"foo @ url", `URL "url" is not absolute`},
		{"foo @ 0:x", `URL "0:x" is not absolute`},
		{"foo @ :x", "is not absolute"},
		{"foo @ http:x", "is not absolute"},
		{"foo @ http:///x", "is not absolute"},
		{"foo @ ht_tp://x", "is not absolute"},
		{"foo @ /abs/path.whl", "is not absolute"},
		{"foo @ ./rel.whl", "is not absolute"},
		{"foo @ https://x junk", `expected whitespace and ';' or the end after the URL at "junk"`},
		{"foo >=1 @ https://x", "expected ',', ';' or the end"},
		{"foo ;", "expected a marker after ';'"},
		{"foo ;  ", "expected a marker after ';'"},
		{`foo; python_version < "3.8`, `invalid marker: unterminated string at "\"3.8"`},
		{`foo; python_version < '3.8"`, "unterminated string"},
		{`foo; (python_version < "3.8"`, "invalid marker: expected ')' at the end"},
		{`foo; python_version < "3.8")`, `invalid marker: expected 'and', 'or' or the end at ")"`},
		{`foo; python_version`, "expected a marker operator at the end"},
		{`foo; python_version <`, "expected a marker variable or a quoted string at the end"},
		{`foo; python_version = "3"`, `expected a marker operator at "= \"3\""`},
		{`foo; python_version not "3"`, `expected 'in' after 'not'`},
		{`foo; python_version notin "3"`, "expected a marker operator"},
		{`foo; os_name == "a" and`, "expected a marker variable or a quoted string at the end"},
		{`foo; os_name == "a" xor os_name == "b"`, `expected 'and', 'or' or the end at "xor`},
		{`foo; python_versions == "3"`, `unknown marker variable "python_versions"`},
		{`foo; __import__ == "os"`, `unknown marker variable "__import__"`},
		{`foo; 3 == python_version`, `unknown marker variable "3"`},
		{`foo; ()`, "expected a marker variable or a quoted string"},
		{`foo; extra == 'a' and and`, "unknown marker variable"},
		{"foo; " + strings.Repeat("(", 100) + "extra=='a'" + strings.Repeat(")", 100), "invalid marker: parentheses nest more than 64 deep"},
		{"foo; " + strings.Repeat("(", 1<<20), "parentheses nest more than 64 deep"},
	}
	for _, tt := range tests {
		got, err := ParseRequirement(tt.in)
		if err == nil {
			t.Errorf("ParseRequirement(%q) = %#v, want error", clip(tt.in), got)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRequirement(%q) error = %q, want it to contain %q", clip(tt.in), err, tt.want)
		}
	}
	// 64 levels are fine.
	deep := "foo; " + strings.Repeat("(", 64) + "extra=='a'" + strings.Repeat(")", 64)
	if _, err := ParseRequirement(deep); err != nil {
		t.Errorf("64 levels of parentheses: %v", err)
	}
}

func TestRequirementMethods(t *testing.T) {
	r, err := ParseRequirement("Zeta.Name_Mixed [A , b] ( >=1 ) ; extra == 'A'")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.NormalizedName(); got != "zeta-name-mixed" {
		t.Errorf("NormalizedName() = %q", got)
	}
	if got := r.String(); got != "Zeta.Name_Mixed[A,b]>=1; extra == 'A'" {
		t.Errorf("String() = %q", got)
	}
	u := Requirement{Name: "x", URL: "https://x/y.whl", Marker: "os_name == 'nt'"}
	if got := u.String(); got != "x @ https://x/y.whl ; os_name == 'nt'" {
		t.Errorf("String() = %q", got)
	}
}

func FuzzParseRequirement(f *testing.F) {
	for _, s := range []string{
		"requests",
		"name [extra1, extra2] (>=1.0, <2) ; python_version < \"3.8\"",
		"name @ https://example.com/x.whl ; os_name == 'posix'",
		"foo===x",
		`foo; (platform_python_implementation == 'CPython') and extra == 'brotli'`,
		`foo; "a;b" not in sys.platform or (extra=="x")`,
		"foo[] ()",
		"foo >=1,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequirement(s)
		if err != nil {
			return
		}
		if !ValidName(r.Name) {
			t.Fatalf("ParseRequirement(%q): invalid name %q", s, r.Name)
		}
		for _, e := range r.Extras {
			if !ValidName(e) {
				t.Fatalf("ParseRequirement(%q): invalid extra %q", s, e)
			}
		}
		if r.URL != "" && r.Specifier != "" {
			t.Fatalf("ParseRequirement(%q): both URL and specifier", s)
		}
		if strings.ContainsAny(r.Specifier, ";()") && !strings.HasPrefix(r.Specifier, "===") && !strings.Contains(r.Specifier, "===") {
			t.Fatalf("ParseRequirement(%q): specifier %q", s, r.Specifier)
		}
		again, err := ParseRequirement(r.String())
		if err != nil {
			t.Fatalf("ParseRequirement(%q).String() = %q: %v", s, r.String(), err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("ParseRequirement(%q) = %#v, but its String %q parses as %#v", s, r, r.String(), again)
		}
	})
}
