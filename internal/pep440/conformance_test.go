package pep440

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// vectorsPath is the shared conformance file, which sits beside the
// checkout (in CI too). It holds packaging's own test cases, table by table.
const vectorsPath = "../../../shared/conformance/pep440-vectors.json"

type vectors struct {
	Versions           []string    `json:"versions"`
	InvalidVersions    []string    `json:"invalid_versions"`
	Normalized         [][2]string `json:"normalized"`
	StrRepr            [][2]string `json:"str_repr"`
	IsPrerelease       [][2]any    `json:"is_prerelease"`        // [version, bool]
	SpecValid          []string    `json:"spec_valid"`           // specifier
	InvalidSpecs       []string    `json:"invalid_specs"`        // specifier
	SpecContains       [][3]any    `json:"spec_contains"`        // [version, specifier, bool]
	SetContainsDefault [][3]any    `json:"set_contains_default"` // [set, version, bool]
	SetFilterDefault   [][3]any    `json:"set_filter_default"`   // [set, []string in, []string out]
}

// loadVectors reads the conformance file. A missing or malformed file fails
// the test rather than skipping it: conformance is not optional.
func loadVectors(t *testing.T) *vectors {
	t.Helper()
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("reading conformance vectors: %v", err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding %s: %v", vectorsPath, err)
	}
	return &v
}

// rowName names a subtest after its row; strconv.Quote keeps the leading
// and trailing white space and non-ASCII characters of some rows visible.
func rowName(parts ...string) string {
	for i, p := range parts {
		parts[i] = strconv.Quote(p)
	}
	return strings.Join(parts, " ")
}

func asString(t *testing.T, x any) string {
	t.Helper()
	s, ok := x.(string)
	if !ok {
		t.Fatalf("vector field %v is %T, want string", x, x)
	}
	return s
}

func asBool(t *testing.T, x any) bool {
	t.Helper()
	b, ok := x.(bool)
	if !ok {
		t.Fatalf("vector field %v is %T, want bool", x, x)
	}
	return b
}

func asStrings(t *testing.T, x any) []string {
	t.Helper()
	list, ok := x.([]any)
	if !ok {
		t.Fatalf("vector field %v is %T, want list", x, x)
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, asString(t, e))
	}
	return out
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestConformance(t *testing.T) {
	vec := loadVectors(t)

	// Every table must be present and non-empty, so that a renamed or
	// emptied table cannot pass silently.
	for name, n := range map[string]int{
		"versions":             len(vec.Versions),
		"invalid_versions":     len(vec.InvalidVersions),
		"normalized":           len(vec.Normalized),
		"str_repr":             len(vec.StrRepr),
		"is_prerelease":        len(vec.IsPrerelease),
		"spec_valid":           len(vec.SpecValid),
		"invalid_specs":        len(vec.InvalidSpecs),
		"spec_contains":        len(vec.SpecContains),
		"set_contains_default": len(vec.SetContainsDefault),
		"set_filter_default":   len(vec.SetFilterDefault),
	} {
		if n == 0 {
			t.Errorf("table %s is missing or empty", name)
		}
	}

	t.Run("versions", func(t *testing.T) {
		parsed := make([]Version, len(vec.Versions))
		for i, s := range vec.Versions {
			v, err := Parse(s)
			if err != nil {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			parsed[i] = v
		}
		// The list is in strictly ascending order: every pair compares
		// like its indexes, which covers <, <=, ==, !=, >= and >.
		for i, s := range vec.Versions {
			t.Run(rowName(s), func(t *testing.T) {
				for j := range parsed {
					if got, want := Compare(parsed[i], parsed[j]), sign(i-j); got != want {
						t.Errorf("Compare(%q, %q) = %d, want %d", s, vec.Versions[j], got, want)
					}
				}
			})
		}
	})

	t.Run("invalid_versions", func(t *testing.T) {
		for _, s := range vec.InvalidVersions {
			t.Run(rowName(s), func(t *testing.T) {
				if v, err := Parse(s); err == nil {
					t.Errorf("Parse(%q) = %q, want error", s, v)
				}
			})
		}
	})

	for _, table := range []struct {
		name string
		rows [][2]string
	}{
		{"normalized", vec.Normalized},
		{"str_repr", vec.StrRepr},
	} {
		t.Run(table.name, func(t *testing.T) {
			for _, row := range table.rows {
				t.Run(rowName(row[0], row[1]), func(t *testing.T) {
					got, err := Normalize(row[0])
					if err != nil {
						t.Fatalf("Normalize(%q): %v", row[0], err)
					}
					if got != row[1] {
						t.Errorf("Normalize(%q) = %q, want %q", row[0], got, row[1])
					}
				})
			}
		})
	}

	t.Run("is_prerelease", func(t *testing.T) {
		for _, row := range vec.IsPrerelease {
			s, want := asString(t, row[0]), asBool(t, row[1])
			t.Run(rowName(s, strconv.FormatBool(want)), func(t *testing.T) {
				v, err := Parse(s)
				if err != nil {
					t.Fatalf("Parse(%q): %v", s, err)
				}
				if got := v.IsPrerelease(); got != want {
					t.Errorf("Parse(%q).IsPrerelease() = %v, want %v", s, got, want)
				}
			})
		}
	})

	t.Run("spec_valid", func(t *testing.T) {
		for _, s := range vec.SpecValid {
			t.Run(rowName(s), func(t *testing.T) {
				if _, err := ParseSpecifier(s); err != nil {
					t.Errorf("ParseSpecifier(%q): %v", s, err)
				}
			})
		}
	})

	t.Run("invalid_specs", func(t *testing.T) {
		for _, s := range vec.InvalidSpecs {
			t.Run(rowName(s), func(t *testing.T) {
				if sp, err := ParseSpecifier(s); err == nil {
					t.Errorf("ParseSpecifier(%q) = %q, want error", s, sp)
				}
			})
		}
	})

	t.Run("spec_contains", func(t *testing.T) {
		for _, row := range vec.SpecContains {
			vs, ss, want := asString(t, row[0]), asString(t, row[1]), asBool(t, row[2])
			t.Run(rowName(vs, ss, strconv.FormatBool(want)), func(t *testing.T) {
				v, err := Parse(vs)
				if err != nil {
					t.Fatalf("Parse(%q): %v", vs, err)
				}
				sp, err := ParseSpecifier(ss)
				if err != nil {
					t.Fatalf("ParseSpecifier(%q): %v", ss, err)
				}
				if got := sp.Contains(v, true); got != want {
					t.Errorf("ParseSpecifier(%q).Contains(%q, true) = %v, want %v", ss, vs, got, want)
				}
				// A one-clause set must agree: packaging 26 does not exclude
				// a version asked about explicitly for being a pre-release.
				set, err := ParseSpecifierSet(ss)
				if err != nil {
					t.Fatalf("ParseSpecifierSet(%q): %v", ss, err)
				}
				if got := set.Contains(vs); got != want {
					t.Errorf("ParseSpecifierSet(%q).Contains(%q) = %v, want %v", ss, vs, got, want)
				}
			})
		}
	})

	t.Run("set_contains_default", func(t *testing.T) {
		for _, row := range vec.SetContainsDefault {
			ss, vs, want := asString(t, row[0]), asString(t, row[1]), asBool(t, row[2])
			t.Run(rowName(ss, vs, strconv.FormatBool(want)), func(t *testing.T) {
				set, err := ParseSpecifierSet(ss)
				if err != nil {
					t.Fatalf("ParseSpecifierSet(%q): %v", ss, err)
				}
				if got := set.Contains(vs); got != want {
					t.Errorf("ParseSpecifierSet(%q).Contains(%q) = %v, want %v", ss, vs, got, want)
				}
			})
		}
	})

	t.Run("set_filter_default", func(t *testing.T) {
		for _, row := range vec.SetFilterDefault {
			ss, in, want := asString(t, row[0]), asStrings(t, row[1]), asStrings(t, row[2])
			t.Run(rowName(append([]string{ss}, in...)...), func(t *testing.T) {
				set, err := ParseSpecifierSet(ss)
				if err != nil {
					t.Fatalf("ParseSpecifierSet(%q): %v", ss, err)
				}
				if got := set.Filter(in); !slices.Equal(got, want) {
					t.Errorf("ParseSpecifierSet(%q).Filter(%q) = %q, want %q", ss, in, got, want)
				}
			})
		}
	})
}
