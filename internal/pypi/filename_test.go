package pypi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseFilename(t *testing.T) {
	tests := []struct {
		name string
		want Filename
	}{
		{"requests-2.31.0-py3-none-any.whl", Filename{
			Project: "requests", Version: "2.31.0", Kind: Wheel,
			PythonTags: []string{"py3"}, ABITags: []string{"none"}, PlatformTags: []string{"any"}, Ext: ".whl",
		}},
		{"six-1.16.0-py2.py3-none-any.whl", Filename{
			Project: "six", Version: "1.16.0", Kind: Wheel,
			PythonTags: []string{"py2", "py3"}, ABITags: []string{"none"}, PlatformTags: []string{"any"}, Ext: ".whl",
		}},
		{"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", Filename{
			Project: "numpy", Version: "1.26.4", Kind: Wheel,
			PythonTags: []string{"cp311"}, ABITags: []string{"cp311"},
			PlatformTags: []string{"manylinux_2_17_x86_64", "manylinux2014_x86_64"}, Ext: ".whl",
		}},
		{"foo-1.0-1-py3-none-any.whl", Filename{
			Project: "foo", Version: "1.0", Kind: Wheel, BuildTag: "1",
			PythonTags: []string{"py3"}, ABITags: []string{"none"}, PlatformTags: []string{"any"}, Ext: ".whl",
		}},
		{"foo-1.0-2_abc-py3-none-any.whl", Filename{
			Project: "foo", Version: "1.0", Kind: Wheel, BuildTag: "2_abc",
			PythonTags: []string{"py3"}, ABITags: []string{"none"}, PlatformTags: []string{"any"}, Ext: ".whl",
		}},
		{"Zeta.Name_Mixed-0.1.0-py3-none-any.whl", Filename{
			Project: "Zeta.Name_Mixed", Version: "0.1.0", Kind: Wheel,
			PythonTags: []string{"py3"}, ABITags: []string{"none"}, PlatformTags: []string{"any"}, Ext: ".whl",
		}},
		{"zeta_name_mixed-0.2.0-py3-none-any.whl", Filename{
			Project: "zeta_name_mixed", Version: "0.2.0", Kind: Wheel,
			PythonTags: []string{"py3"}, ABITags: []string{"none"}, PlatformTags: []string{"any"}, Ext: ".whl",
		}},
		{"foo-1!2.0+local.7-cp39-abi3-win_amd64.whl", Filename{
			Project: "foo", Version: "1!2.0+local.7", Kind: Wheel,
			PythonTags: []string{"cp39"}, ABITags: []string{"abi3"}, PlatformTags: []string{"win_amd64"}, Ext: ".whl",
		}},
		{"pkg-1.0_beta-py3-none-any.whl", Filename{ // a legacy version, '-' escaped as '_'
			Project: "pkg", Version: "1.0_beta", Kind: Wheel,
			PythonTags: []string{"py3"}, ABITags: []string{"none"}, PlatformTags: []string{"any"}, Ext: ".whl",
		}},
		{"alpha_lib-1.1.0.tar.gz", Filename{Project: "alpha_lib", Version: "1.1.0", Kind: Sdist, Ext: ".tar.gz"}},
		{"alpha-lib-1.1.0.tar.gz", Filename{Project: "alpha-lib", Version: "1.1.0", Kind: Sdist, Ext: ".tar.gz"}},
		{"python-dateutil-2.8.2.tar.gz", Filename{Project: "python-dateutil", Version: "2.8.2", Kind: Sdist, Ext: ".tar.gz"}},
		{"Zeta.Name_Mixed-0.1.0.tar.gz", Filename{Project: "Zeta.Name_Mixed", Version: "0.1.0", Kind: Sdist, Ext: ".tar.gz"}},
		{"foo-1.0.zip", Filename{Project: "foo", Version: "1.0", Kind: Sdist, Ext: ".zip"}},
		{"foo-v1.0.tar.gz", Filename{Project: "foo", Version: "v1.0", Kind: Sdist, Ext: ".tar.gz"}},
		{"python-3parclient-4.2.0.tar.gz", Filename{Project: "python-3parclient", Version: "4.2.0", Kind: Sdist, Ext: ".tar.gz"}},
		{"foo-bar-1.0-beta.tar.gz", Filename{Project: "foo-bar", Version: "1.0-beta", Kind: Sdist, Ext: ".tar.gz"}},
		{"foo-2.0rc1.post3.dev4+abc.tar.gz", Filename{Project: "foo", Version: "2.0rc1.post3.dev4+abc", Kind: Sdist, Ext: ".tar.gz"}},
		{"x-1.tar.gz", Filename{Project: "x", Version: "1", Kind: Sdist, Ext: ".tar.gz"}},
		// The documented ambiguity: a legacy version with "-<digit>".
		{"foo-1.0-1.tar.gz", Filename{Project: "foo-1.0", Version: "1", Kind: Sdist, Ext: ".tar.gz"}},
	}
	for _, tt := range tests {
		got, err := ParseFilename(tt.name)
		if err != nil {
			t.Errorf("ParseFilename(%q): %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFilename(%q) = %+v, want %+v", tt.name, got, tt.want)
		}
		if s := got.String(); s != tt.name {
			t.Errorf("ParseFilename(%q).String() = %q", tt.name, s)
		}
	}
}

func TestParseFilenameErrors(t *testing.T) {
	long := strings.Repeat("a", 250) + "-1.0.tar.gz"
	tests := []struct{ name, want string }{
		{"", "file name is empty"},
		{long, "file name is 261 bytes long, more than the limit of 255"},
		{"foo.exe", `"foo.exe" is a legacy .exe distribution, which is not accepted (expected .whl, .tar.gz or .zip)`},
		{"foo-1.0.txt", `"foo-1.0.txt" is not a wheel or sdist file name (expected .whl, .tar.gz or .zip)`},
		{"foo-1.0.tar.bz2", `"foo-1.0.tar.bz2" is a legacy .tar.bz2 distribution, which is not accepted`},
		{"foo-1.0.tgz", `legacy .tgz distribution`},
		{"foo-1.0.tar", `legacy .tar distribution`},
		{"foo-1.0-py2.7.egg", `legacy .egg distribution`},
		{"foo-1.0.TAR.GZ", `file name "foo-1.0.TAR.GZ" must end in ".tar.gz", in lower case`},
		{"foo-1.0-py3-none-any.WHL", `must end in ".whl", in lower case`},
		{"foo-1.0", `is not a wheel or sdist file name`},
		{"../foo-1.0.tar.gz", `file name "../foo-1.0.tar.gz" contains a path separator`},
		{`..\foo-1.0.tar.gz`, `contains a path separator`},
		{"dir/foo-1.0-py3-none-any.whl", `contains a path separator`},
		{"foo-1.0\x00.tar.gz", `file name "foo-1.0\x00.tar.gz" contains a control character`},
		{"foo-1.0\n.tar.gz", `contains a control character`},
		{"foo-1.0\x7f.tar.gz", `contains a control character`},
		{"foo\u00e9-1.0.tar.gz", `contains a non-ASCII character`},
		{"foo 1.0.tar.gz", `contains a space`},
		{"..tar.gz", `starts with "."`},
		{".hidden-1.0.tar.gz", `file name ".hidden-1.0.tar.gz" starts with "."`},
		{".whl", `starts with "."`},
		{"-foo-1.0.tar.gz", `starts with "-"`},
		{"foo..bar-1.0.tar.gz", `contains ".."`},
		{"foo-1..0.tar.gz", `contains ".."`},
		{"foo--1.0-py3-none-any.whl", `has an empty component ("--")`},
		{"foo-1.0-py3-none-.whl", `has an empty component before ".whl"`},
		{"foo-.tar.gz", `has an empty component before ".tar.gz"`},
		{"foo.tar.gz", `sdist file name "foo.tar.gz" has no version (expected {name}-{version}.tar.gz)`},
		{"foo-bar.zip", `sdist file name "foo-bar.zip" has no version: no "-" is followed by a digit`},
		{"foo-vx.tar.gz", `has no version`},
		{"foo_-1.0.tar.gz", `sdist file name "foo_-1.0.tar.gz" has an invalid project name "foo_"`},
		{"foo-1.0#x.tar.gz", `has an invalid version "1.0#x": it contains '#'`},
		{"foo-1.0_.tar.gz", `has an invalid version "1.0_": it must start and end with a letter or digit`},
		{"foo-1.0-py3-any.whl", `wheel file name "foo-1.0-py3-any.whl" has 4 "-"-separated components, not 5 or 6`},
		{"foo-1.0-1-2-py3-none-any.whl", `has 7 "-"-separated components`},
		{"foo-py3-none-any.whl", `has 4 "-"-separated components`},
		{"foo_-1.0-py3-none-any.whl", `has an invalid project name "foo_"`},
		{"foo-1.0-x1-py3-none-any.whl", `has an invalid build tag "x1": it must start with a digit`},
		{"foo-1.0-1+x-py3-none-any.whl", `has an invalid build tag "1+x": it contains '+'`},
		{"foo-_1.0-py3-none-any.whl", `has an invalid version "_1.0"`},
		{"foo-1.0-py3.-none-any.whl", `has an empty Python tag in "py3."`},
		{"foo-1.0-py3-.none-any.whl", `has an empty ABI tag in ".none"`},
		{"foo-1.0-py3-none-any+x.whl", `has an invalid platform tag "any+x": it contains '+'`},
		{"foo-1.0-py3-none-linux~x86.whl", `invalid platform tag`},
	}
	for _, tt := range tests {
		got, err := ParseFilename(tt.name)
		if err == nil {
			t.Errorf("ParseFilename(%q) = %+v, want error", tt.name, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFilename(%q) error = %q, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestUnsupportedFormatError(t *testing.T) {
	for _, name := range []string{"foo-1.0.exe", "foo-1.0.tar.bz2", "README.md"} {
		_, err := ParseFilename(name)
		var ufe *UnsupportedFormatError
		if !errors.As(err, &ufe) || ufe.Name != name {
			t.Errorf("ParseFilename(%q) error = %v, want an UnsupportedFormatError", name, err)
		}
	}
	for _, name := range []string{"foo.tar.gz", "../x.exe", "foo-1.0.ZIP"} {
		_, err := ParseFilename(name)
		var ufe *UnsupportedFormatError
		if err == nil || errors.As(err, &ufe) {
			t.Errorf("ParseFilename(%q) error = %v, want another error", name, err)
		}
	}
}

func TestParseFilenameFor(t *testing.T) {
	tests := []struct {
		project, name     string
		wantProj, wantVer string
	}{
		{"foo", "foo-1.0-1.tar.gz", "foo", "1.0-1"},
		{"python-dateutil", "python-dateutil-2.8.2.tar.gz", "python-dateutil", "2.8.2"},
		{"python_dateutil", "python-dateutil-2.8.2.tar.gz", "python-dateutil", "2.8.2"},
		{"zeta-name-mixed", "Zeta.Name_Mixed-0.1.0.tar.gz", "Zeta.Name_Mixed", "0.1.0"},
		{"Zeta.Name_Mixed", "zeta_name_mixed-0.1.0.tar.gz", "zeta_name_mixed", "0.1.0"},
		{"foo-bar", "foo__bar-1.0.zip", "foo__bar", "1.0"},
		{"foo__bar", "foo-bar-1.0.zip", "foo-bar", "1.0"},
		{"foo", "foo-dev.tar.gz", "foo", "dev"}, // no version start needed
		{"foo-1", "foo-1-2.0.tar.gz", "foo-1", "2.0"},
		{"foo", "foo-1-2.0.tar.gz", "foo", "1-2.0"},
		{"alpha-lib", "alpha_lib-1.1.0-py3-none-any.whl", "alpha_lib", "1.1.0"},
		{"ALPHA.LIB", "alpha_lib-1.1.0-py3-none-any.whl", "alpha_lib", "1.1.0"},
	}
	for _, tt := range tests {
		f, err := ParseFilenameFor(tt.project, tt.name)
		if err != nil {
			t.Errorf("ParseFilenameFor(%q, %q): %v", tt.project, tt.name, err)
			continue
		}
		if f.Project != tt.wantProj || f.Version != tt.wantVer {
			t.Errorf("ParseFilenameFor(%q, %q) = project %q version %q, want %q %q", tt.project, tt.name, f.Project, f.Version, tt.wantProj, tt.wantVer)
		}
		if f.String() != tt.name {
			t.Errorf("ParseFilenameFor(%q, %q).String() = %q", tt.project, tt.name, f.String())
		}
	}

	errs := []struct{ project, name, want string }{
		{"bar", "foo-1.0.tar.gz", `"foo-1.0.tar.gz" is not a file name of project "bar"`},
		{"foo", "foobar-1.0.tar.gz", `is not a file name of project "foo"`},
		{"foo-bar", "foo-1.0.tar.gz", `is not a file name of project "foo-bar"`},
		{"foo", "foo.tar.gz", `is not a file name of project "foo"`},
		{"foo", "foo-.tar.gz", `has an empty component`},
		{"foo", "foo-1.0#.tar.gz", `invalid version`},
		{"bar", "foo-1.0-py3-none-any.whl", `is not a file name of project "bar"`},
		{"foo", "foo-1.0-py3-any.whl", `4 "-"-separated components`},
		{"-foo", "foo-1.0.tar.gz", `"-foo" is not a valid project name`},
		{"", "foo-1.0.tar.gz", `"" is not a valid project name`},
		{"foo", "foo-1.0.exe", `legacy .exe`},
	}
	for _, tt := range errs {
		_, err := ParseFilenameFor(tt.project, tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFilenameFor(%q, %q) error = %v, want it to contain %q", tt.project, tt.name, err, tt.want)
		}
	}
}

func TestFilenameMethods(t *testing.T) {
	f, err := ParseFilename("Zeta.Name_Mixed-0.1.0.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.NormalizedProject(); got != "zeta-name-mixed" {
		t.Errorf("NormalizedProject() = %q", got)
	}
	for k, want := range map[Kind]string{Sdist: "sdist", Wheel: "wheel", 0: "Kind(0)", 9: "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{
		"requests-2.31.0-py3-none-any.whl",
		"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"foo-1.0-1-py2.py3-none-any.whl",
		"python-dateutil-2.8.2.tar.gz",
		"Zeta.Name_Mixed-0.1.0.tar.gz",
		"foo-1.0-1.tar.gz",
		"foo-v1.zip",
		"../x.whl",
		"foo.exe",
		"a-1-.whl",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fn, err := ParseFilename(name)
		if err != nil {
			if fn.Kind != 0 {
				t.Fatalf("ParseFilename(%q) returned %+v with error %v", name, fn, err)
			}
			return
		}
		if s := fn.String(); s != name {
			t.Fatalf("ParseFilename(%q).String() = %q", name, s)
		}
		if !ValidName(fn.Project) || fn.Version == "" {
			t.Fatalf("ParseFilename(%q) = %+v: invalid project or empty version", name, fn)
		}
		if strings.Contains(name, "..") || name[0] == '.' || len(name) > MaxFilenameLen {
			t.Fatalf("ParseFilename(%q) accepted a hostile name", name)
		}
		// Safe as a path component on every file system: no separator,
		// drive colon, control character, space or non-ASCII byte.
		for i := 0; i < len(name); i++ {
			if c := name[i]; !isAlnum(c) && !strings.ContainsRune("._+!-", rune(c)) {
				t.Fatalf("ParseFilename(%q) accepted the byte %q", name, c)
			}
		}
		// Knowing the project must give the same split.
		gn, err := ParseFilenameFor(fn.Project, name)
		if err != nil {
			t.Fatalf("ParseFilenameFor(%q, %q): %v", fn.Project, name, err)
		}
		if !reflect.DeepEqual(fn, gn) {
			t.Fatalf("ParseFilename(%q) = %+v but ParseFilenameFor = %+v", name, fn, gn)
		}
	})
}

func BenchmarkParseFilename(b *testing.B) {
	for _, name := range []string{
		"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"python-dateutil-2.8.2.tar.gz",
	} {
		b.Run(name[:strings.IndexByte(name, '-')], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseFilename(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
