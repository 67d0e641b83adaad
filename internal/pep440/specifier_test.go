package pep440

import (
	"errors"
	"slices"
	"testing"
)

func TestSpecifierString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  >=  1.0 ", ">=1.0"},
		{"==\u20031.0", "==1.0"},   // any Python white space between operator and version
		{"~=V1.0RC1", "~=V1.0RC1"}, // the version is kept as written
		{"==1.0.*", "==1.0.*"},
		{"=== foo", "===foo"},
		{"===", "==="}, // === accepts an empty string, as packaging does
		{"===(x", "===(x"},
	} {
		sp, err := ParseSpecifier(tc.in)
		if err != nil {
			t.Errorf("ParseSpecifier(%q): %v", tc.in, err)
			continue
		}
		if got := sp.String(); got != tc.want {
			t.Errorf("ParseSpecifier(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{
		"===foo bar", "===a;b", "===a)", ">= 1.0 .*", "== 1.0 +abc", "<==1.0", "!==1.0",
		"<>1.0", "~=1.0+abc", "~=1.*", "=1.0", ">=", "", ",",
	} {
		if sp, err := ParseSpecifier(in); err == nil {
			t.Errorf("ParseSpecifier(%q) = %q, want error", in, sp)
		} else if ise := (*InvalidSpecifierError)(nil); !errors.As(err, &ise) {
			t.Errorf("ParseSpecifier(%q) error %T, want *InvalidSpecifierError", in, err)
		}
	}
	sp, _ := ParseSpecifier("~= 2.2")
	if sp.Operator() != Compatible || sp.Operator().String() != "~=" || sp.Version() != "2.2" {
		t.Errorf("accessors of ~= 2.2: %v %q %q", sp.Operator(), sp.Operator(), sp.Version())
	}
}

// TestSpecifierQuirks pins cases where packaging works on the version as
// written in a ~= clause rather than its normal form. The expected values
// were checked against packaging itself.
func TestSpecifierQuirks(t *testing.T) {
	for _, tc := range []struct {
		spec, version string
		want          bool
	}{
		{"~=1.0rc1", "1.5", true},
		{"~=1.0c1", "1.5", false}, // c is not a suffix to _is_not_suffix
		{"~=1.0c1", "1.0.5", true},
		{"~=v1.0", "1.0", false}, // "v1" never equals a candidate component
		{"~=v1.0", "1.5", false},
		{"~=1.0.0-alpha.1", "1.0.0a1", false},
		{"~=1.0.0a1", "1.0.5", true},
		{"~=1.0.0-a1", "1.0.5", true},
		{"~=1!1.0", "1!1.5", true},
		{"~=2.2.post3", "2.9", true},
		{"~=2.2.post3", "3.0", false},
		{"~=2.2.0", "2.2.9", true},
		{"~=2.2.0", "2.3", false},
		{"==1.*", "1.0a1", true},
		{"<1.0.post1", "1.0.post1.dev0", false},
		{"<1.0.post1", "1.0", true},
		{">1.0a1", "1.0a1.post1", false},
		{">1.0a1", "1.0a2", true},
		{">=1.0", "1.0+local", true},
		{"<=1.0", "1.0+local", true},
		{"<1.0", "1.0+local", false},
		{"==1.0.*", "1.0+x", true},
		{"!=1.0", "1.0+x", false},
		{"===1.0", "1.0", true},
		{"===1.0", "1.0.0", false},
		{"===1.0A1", "1.0a1", true}, // ASCII case is ignored
	} {
		sp, err := ParseSpecifier(tc.spec)
		if err != nil {
			t.Errorf("ParseSpecifier(%q): %v", tc.spec, err)
			continue
		}
		if got := sp.Contains(MustParse(tc.version), true); got != tc.want {
			t.Errorf("ParseSpecifier(%q).Contains(%q) = %v, want %v", tc.spec, tc.version, got, tc.want)
		}
	}
}

func TestSpecifierPrereleasePolicy(t *testing.T) {
	sp, _ := ParseSpecifier(">=1.0")
	pre := MustParse("2.0a1")
	if !sp.Contains(pre, true) {
		t.Error(">=1.0 does not contain 2.0a1 with pre-releases allowed")
	}
	if sp.Contains(pre, false) {
		t.Error(">=1.0 contains 2.0a1 with pre-releases excluded")
	}
	for _, tc := range []struct {
		spec string
		want bool
	}{
		{">=1.0a1", true}, {"==1.0.dev1", true}, {"!=1.0a1", false}, {"==1.*", false},
		{">=1.0", false}, {"===1.0a1", true}, {"===foobar", false},
	} {
		sp, _ := ParseSpecifier(tc.spec)
		if got := sp.Prereleases(); got != tc.want {
			t.Errorf("ParseSpecifier(%q).Prereleases() = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

func TestSpecifierSetString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{" , ,", ""},
		{">=1.0.0, >=1.0,<2,  ==1.*, ===Foo ,===foo", "<2,==1.*,===Foo,===foo,>=1.0"},
		{"~=1.0,~=1.0.0", "~=1.0,~=1.0.0"}, // ~= keeps trailing zeros
		{"==1.0+Ab,==1.0.0+ab", "==1.0+Ab"},
		{">=1.0,!=1.5", "!=1.5,>=1.0"},
		// packaging deems these equal and keeps the first in sorted
		// order, although "~=v1.0" matches nothing (TestSpecifierQuirks):
		// a fuzzer finding, kept as packaging has it.
		{"~=v1.0,~=1.0", "~=1.0"},
	} {
		ss, err := ParseSpecifierSet(tc.in)
		if err != nil {
			t.Errorf("ParseSpecifierSet(%q): %v", tc.in, err)
			continue
		}
		if got := ss.String(); got != tc.want {
			t.Errorf("ParseSpecifierSet(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := ParseSpecifierSet(">=1.0,=>2.0"); err == nil {
		t.Error("a set with an invalid clause parsed")
	} else if ise := (*InvalidSpecifierError)(nil); !errors.As(err, &ise) || ise.Specifier != "=>2.0" {
		t.Errorf("error %v does not name the invalid clause", err)
	}
	ss, _ := ParseSpecifierSet(">=1.0, <2")
	if ss.Len() != 2 || len(ss.Specifiers()) != 2 || ss.Specifiers()[1].String() != "<2" {
		t.Errorf("Len/Specifiers of %q: %d %v", ss, ss.Len(), ss.Specifiers())
	}
}

func TestSpecifierSetContainsAndFilter(t *testing.T) {
	empty, _ := ParseSpecifierSet("")
	if !empty.Contains("not a version") || !empty.Contains("1.0a1") {
		t.Error("the empty set must contain every string")
	}
	if got := empty.Filter(nil); len(got) != 0 {
		t.Errorf("Filter(nil) = %q", got)
	}
	arb, _ := ParseSpecifierSet("===Foo")
	if !arb.Contains("foo") || arb.Contains("foo ") || arb.Contains("bar") {
		t.Error("=== must compare the given string ignoring ASCII case")
	}
	// === compares the string as given, not its normal form.
	one, _ := ParseSpecifierSet("===1.0")
	if !one.Contains("1.0") || one.Contains("1.0.0") || one.Contains("v1.0") {
		t.Error("=== matched a different spelling")
	}
	if !one.ContainsVersion(MustParse("v1.0")) {
		t.Error("ContainsVersion must compare the canonical form for ===")
	}
	rng, _ := ParseSpecifierSet(">=1.0,<2.0")
	if !rng.ContainsVersion(MustParse("1.5a1")) || rng.ContainsVersion(MustParse("2.0")) {
		t.Error("ContainsVersion disagrees with >=1.0,<2.0")
	}
	// Pre-releases are kept when only pre-releases match, whatever the
	// invalid strings around them.
	gt, _ := ParseSpecifierSet(">=1.0")
	if got, want := gt.Filter([]string{"2.0a1", "junk", "0.5"}), []string{"2.0a1"}; !slices.Equal(got, want) {
		t.Errorf("Filter = %q, want %q", got, want)
	}
	if got, want := empty.Filter([]string{"junk", "2.0a1", "1.0", "junk2"}), []string{"junk", "1.0", "junk2"}; !slices.Equal(got, want) {
		t.Errorf("Filter = %q, want %q", got, want)
	}
}
