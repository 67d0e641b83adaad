package pep440

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestHugeNumbers(t *testing.T) {
	// Components longer than uint64 must neither overflow nor lose
	// precision; they compare as canonical decimal strings.
	ordered := []string{
		"1.18446744073709551615", // max uint64
		"1.18446744073709551616", // max uint64 + 1
		"1.99999999999999999999999999999999",
		"1.100000000000000000000000000000000",
		"2",
		"2.0.post18446744073709551616",
		"2.0.post99999999999999999999999999999",
		"18446744073709551617!0",
		"99999999999999999999999999999999999999!0",
	}
	for i := range ordered {
		for j := range ordered {
			a, b := MustParse(ordered[i]), MustParse(ordered[j])
			if got, want := Compare(a, b), sign(i-j); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}

	for _, tc := range []struct{ in, want string }{
		{"1.000000000000000000000000000000000001", "1.1"},
		{"00000000000000000000000000000000000000!1", "1"},
		{"000000000000000000000000000000000000001!1", "1!1"},
		{"1.0a000000000000000000000000000000000000000", "1.0a0"},
		{"1.0+00000000000000000000000000000000000000007", "1.0+7"},
		{"1.123456789012345678901234567890.dev123456789012345678901234567890",
			"1.123456789012345678901234567890.dev123456789012345678901234567890"},
	} {
		if got, err := Normalize(tc.in); err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}

	// Beyond Python's 4,300-digit integer conversion limit (where packaging
	// raises ValueError) versions still parse and order.
	long := strings.Repeat("9", 5000)
	v, err := Parse("1." + long + ".dev" + long)
	if err != nil {
		t.Fatalf("Parse of a 5,000-digit component: %v", err)
	}
	if Compare(v, MustParse("1."+long+"0")) != -1 || Compare(v, MustParse("1."+long+".dev"+long+"8")) != -1 {
		t.Error("5,000-digit components compare wrongly")
	}

	// Equal values with different spellings compare equal.
	if c := Compare(MustParse("1.0000000000000000000000000001"), MustParse("1.1.0.0")); c != 0 {
		t.Errorf("Compare of equal huge versions = %d, want 0", c)
	}
	// Huge numeric local segments compare numerically, above strings.
	if c := Compare(MustParse("1+99999999999999999999999"), MustParse("1+100000000000000000000000")); c != -1 {
		t.Errorf("huge local segments: Compare = %d, want -1", c)
	}
	if c := Compare(MustParse("1+99999999999999999999999"), MustParse("1+zzz")); c != 1 {
		t.Errorf("numeric vs string local segment: Compare = %d, want 1", c)
	}
}

// TestOrderKey checks the shortcut Compare takes through Version.key
// around the limits of that key: epochs, components of ten digits or more,
// and ties on the first two components.
func TestOrderKey(t *testing.T) {
	ordered := []string{
		"0.dev0", "0", "0.0.1", "0.999999999", "0.1000000000", "0.1000000000.1",
		"1a1", "1", "1.0.0.1", "1.1", "999999999.999999999", "999999999.999999999.1",
		"1000000000", "1000000000.0.1", "1!0", "1!1", "2!0.dev0",
	}
	for i := range ordered {
		for j := range ordered {
			a, b := MustParse(ordered[i]), MustParse(ordered[j])
			if got, want := Compare(a, b), sign(i-j); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
			if got, want := compareFull(a, b), sign(i-j); got != want {
				t.Errorf("compareFull(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestParseEdgeCases(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.0.0-a.1.post-dev.+Abc-01_x", "1.0.0a1.post0.dev0+abc.1.x"},
		{"v01!002.0003-A-01-dev", "1!2.3a1.dev0"},
		{"V1.0", "1.0"},
		{"1.0a.", "1.0a0"},         // a trailing separator after a label is allowed
		{"1.0a--1", "1.0a0.post1"}, // then the implicit post-release
		{"1.0-r-1", "1.0.post1"},   // r is a post-release
		{"1.0rc", "1.0rc0"},        // rc is a pre-release, not r + c
		{"1.0preview", "1.0rc0"},   // preview before pre
		{"1.0alpha", "1.0a0"},      // alpha before a
		{"1.0dev-+abc", "1.0.dev0+abc"},
		{"\x1c1.0\x1f", "1.0"},     // Python counts U+001C..U+001F as space
		{"\u30001.0\u0085", "1.0"}, // ideographic space, next line
		{"1.0+0a.00.a0", "1.0+0a.0.a0"},
		{"0!0", "0"},
		{"0", "0"},
	} {
		if got, err := Normalize(tc.in); err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}

	for _, in := range []string{
		"",
		" ",
		"v",
		"1!",
		"!1",
		"1.0-",
		"1.0.",
		"1.0+",
		"1.0+a.",
		"1.0+a..b",
		"1.0++a",
		"1.0a1a1",
		"1.0.post1.post2",
		"1.0.dev1.dev2",
		"1.0.dev1a1", // parts out of order
		"1.0-1-1",    // two implicit post-releases
		"vv1.0",
		"1.0\u200b",        // zero-width space is not white space
		"\ufeff1.0",        // nor is a byte-order mark
		"1.0\u180e",        // nor, since Unicode 6.3, the Mongolian vowel separator
		"1.0+\u212a",       // KELVIN SIGN folds to k under Unicode rules
		"1.0.po\u017ft1",   // LONG S folds to s
		"1.0.prev\u0131ew", // DOTLESS I
		"\uff11.0",         // FULLWIDTH DIGIT ONE
		"1.0\xff",          // invalid UTF-8
		"1.0 +local",
		"1.0+loc al",
	} {
		if v, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want error", in, v)
		} else {
			var ive *InvalidVersionError
			if !errors.As(err, &ive) || ive.Version != in {
				t.Errorf("Parse(%q) error = %#v, want *InvalidVersionError for the input", in, err)
			}
		}
	}
}

func TestAccessors(t *testing.T) {
	v := MustParse("  V2!1.02.3-RC.4_post5.DEV6+Ubuntu-01  ")
	if got, want := v.String(), "2!1.2.3rc4.post5.dev6+ubuntu.1"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if got := v.Epoch(); got != "2" {
		t.Errorf("Epoch() = %q", got)
	}
	if got := v.Release(); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("Release() = %q", got)
	}
	if l, n, ok := v.Pre(); l != "rc" || n != "4" || !ok {
		t.Errorf("Pre() = %q, %q, %v", l, n, ok)
	}
	if n, ok := v.Post(); n != "5" || !ok {
		t.Errorf("Post() = %q, %v", n, ok)
	}
	if n, ok := v.Dev(); n != "6" || !ok {
		t.Errorf("Dev() = %q, %v", n, ok)
	}
	if got := v.Local(); got != "ubuntu.1" {
		t.Errorf("Local() = %q", got)
	}
	if got := v.Public().String(); got != "2!1.2.3rc4.post5.dev6" {
		t.Errorf("Public() = %q", got)
	}
	if got := v.BaseVersion().String(); got != "2!1.2.3" {
		t.Errorf("BaseVersion() = %q", got)
	}
	if !v.IsPrerelease() || !v.IsPostrelease() || !v.IsDevrelease() {
		t.Errorf("Is*release = %v %v %v, want all true", v.IsPrerelease(), v.IsPostrelease(), v.IsDevrelease())
	}
	// Accessors of parts that are absent.
	w := MustParse("1.0")
	if _, _, ok := w.Pre(); ok {
		t.Error("Pre() reported on 1.0")
	}
	if _, ok := w.Post(); ok {
		t.Error("Post() reported on 1.0")
	}
	if _, ok := w.Dev(); ok {
		t.Error("Dev() reported on 1.0")
	}
	if w.Local() != "" || w.Epoch() != "0" || w.IsPrerelease() || w.IsPostrelease() || w.IsDevrelease() {
		t.Error("1.0 reports parts it does not have")
	}
	for _, tc := range []struct{ in, label string }{{"1a1", "a"}, {"1b1", "b"}, {"1c1", "rc"}} {
		if l, _, _ := MustParse(tc.in).Pre(); l != tc.label {
			t.Errorf("Parse(%q).Pre() label = %q, want %q", tc.in, l, tc.label)
		}
	}
}

func TestZeroVersion(t *testing.T) {
	var z Version
	if got := z.String(); got != "0" {
		t.Errorf("zero Version String() = %q, want \"0\"", got)
	}
	for _, s := range []string{"0", "0.0", "0!0.0.0"} {
		if c := Compare(z, MustParse(s)); c != 0 {
			t.Errorf("Compare(zero, %q) = %d, want 0", s, c)
		}
	}
	if c := Compare(z, MustParse("0.dev0")); c != 1 {
		t.Errorf("Compare(zero, 0.dev0) = %d, want 1", c)
	}
	if z.IsPrerelease() || z.Local() != "" || z.Epoch() != "0" || !slices.Equal(z.Release(), []string{"0"}) {
		t.Error("zero Version accessors do not describe 0")
	}
}

func TestTrailingZerosAndIdentity(t *testing.T) {
	a, b := MustParse("1.0"), MustParse("1.0.0")
	if Compare(a, b) != 0 {
		t.Error("1.0 and 1.0.0 differ")
	}
	if a == b {
		t.Error("== on Versions with different canonical forms is true")
	}
	if MustParse("v1.0") != MustParse("1.0") {
		t.Error("== on Versions with the same canonical form is false")
	}
	// The parsed canonical input is shared, not copied.
	in := "1.2.3"
	if v := MustParse(in); v.String() != in {
		t.Errorf("String() = %q", v.String())
	}
}

func TestSortMatchesCompare(t *testing.T) {
	in := []string{"1.0.post1", "1.0", "1.0rc1", "1.0.dev0", "0.9", "1!0.1", "1.0+abc", "1.0a1", "1.0+1"}
	vs := make([]Version, len(in))
	for i, s := range in {
		vs[i] = MustParse(s)
	}
	slices.SortFunc(vs, Compare)
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	want := "0.9 1.0.dev0 1.0a1 1.0rc1 1.0 1.0+abc 1.0+1 1.0.post1 1!0.1"
	if strings.Join(got, " ") != want {
		t.Errorf("sorted = %q, want %q", strings.Join(got, " "), want)
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic on an invalid version")
		}
	}()
	MustParse("french toast")
}
