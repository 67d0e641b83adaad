package pep440

import (
	"encoding/json"
	"os"
	"testing"
)

// fuzzSeeds returns the version and specifier strings of the conformance
// vectors, to seed the fuzzers alongside the committed corpus in
// testdata/fuzz. A missing file yields no seeds here; TestConformance is the
// test that fails on it.
func fuzzSeeds() (versions, specs []string) {
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		return nil, nil
	}
	var vec vectors
	if json.Unmarshal(data, &vec) != nil {
		return nil, nil
	}
	versions = append(versions, vec.Versions...)
	versions = append(versions, vec.InvalidVersions...)
	for _, row := range vec.Normalized {
		versions = append(versions, row[0])
	}
	for _, row := range vec.StrRepr {
		versions = append(versions, row[0])
	}
	specs = append(specs, vec.SpecValid...)
	specs = append(specs, vec.InvalidSpecs...)
	for _, row := range vec.SpecContains {
		if s, ok := row[1].(string); ok {
			specs = append(specs, s)
		}
	}
	for _, row := range vec.SetFilterDefault {
		if s, ok := row[0].(string); ok {
			specs = append(specs, s)
		}
	}
	return versions, specs
}

// fuzzProbes returns versions every fuzzed value is compared or matched
// with.
func fuzzProbes() []string {
	return []string{"0", "1.0", "1.0.dev0", "1.0a1", "1.0+local", "1.0.post1", "1!0", "2.0rc1.post1.dev1",
		"999999999.999999999", "1000000000", "0.1000000000"}
}

func FuzzParse(f *testing.F) {
	versions, _ := fuzzSeeds()
	for _, s := range versions {
		f.Add(s)
	}
	var probes []Version
	for _, s := range fuzzProbes() {
		probes = append(probes, MustParse(s))
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if n, err := Normalize(s); err == nil {
				t.Fatalf("Normalize(%q) = %q, but Parse failed", s, n)
			}
			return
		}
		str := v.String()
		for i := 0; i < len(str); i++ {
			c := str[i]
			if !isDigit(c) && !('a' <= c && c <= 'z') && c != '.' && c != '!' && c != '+' {
				t.Fatalf("canonical form %q of %q has byte %q", str, s, c)
			}
		}
		w, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) failed on the canonical form of %q: %v", str, s, err)
		}
		if w != v {
			t.Fatalf("round trip of %q: %#v != %#v", s, w, v)
		}
		if Compare(v, v) != 0 || Compare(v, w) != 0 {
			t.Fatalf("Compare is not reflexive on %q", str)
		}
		if p := v.Public(); Compare(p, v) > 0 || (v.Local() == "") != (Compare(p, v) == 0) {
			t.Fatalf("public %q of %q sorts wrongly", p, str)
		}
		if b := v.BaseVersion(); b.IsPrerelease() || b.IsPostrelease() || b.Local() != "" {
			t.Fatalf("base version %q of %q has suffixes", b, str)
		}
		for _, p := range probes {
			if c1, c2 := Compare(v, p), Compare(p, v); c1 != -c2 {
				t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", str, p, c1, p, str, c2)
			}
			if c1, c2 := Compare(v, p), compareFull(v, p); c1 != c2 {
				t.Fatalf("Compare(%q, %q) = %d but compareFull = %d", str, p, c1, c2)
			}
		}
	})
}

func FuzzParseSpecifierSet(f *testing.F) {
	versions, specs := fuzzSeeds()
	for _, s := range specs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ss, err := ParseSpecifierSet(s)
		if err != nil {
			return
		}
		str := ss.String()
		ss2, err := ParseSpecifierSet(str)
		if err != nil {
			t.Fatalf("String() of %q is %q, which does not parse: %v", s, str, err)
		}
		if str2 := ss2.String(); str2 != str {
			t.Fatalf("String() is not stable: %q -> %q -> %q", s, str, str2)
		}
		// String drops clauses that packaging deems equal. They behave
		// alike except for ~= clauses spelled unusually ("~=v1.0"), which
		// packaging matches by their spelling (see TestSpecifierQuirks), so
		// the set and its String agree when every ~= clause is canonical.
		if canonicalCompatible(ss) {
			for _, c := range append(fuzzProbes(), s, str) {
				if ss.Contains(c) != ss2.Contains(c) {
					t.Fatalf("%q and its String() %q disagree on %q", s, str, c)
				}
			}
		}
		ss.Filter(append(fuzzProbes(), versions...))
		for _, sp := range ss.Specifiers() {
			sp2, err := ParseSpecifier(sp.String())
			if err != nil {
				t.Fatalf("clause %q of %q does not parse alone: %v", sp, s, err)
			}
			for _, p := range fuzzProbes() {
				v := MustParse(p)
				if sp.Contains(v, true) != sp2.Contains(v, true) {
					t.Fatalf("clause %q and its String() disagree on %q", sp, p)
				}
			}
		}
	})
}

// canonicalCompatible reports whether every ~= clause of ss spells its
// version in canonical form.
func canonicalCompatible(ss SpecifierSet) bool {
	for _, sp := range ss.Specifiers() {
		if sp.Operator() == Compatible {
			if n, err := Normalize(sp.Version()); err != nil || n != sp.Version() {
				return false
			}
		}
	}
	return true
}
