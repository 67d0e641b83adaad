package pypi

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"requests", "requests"},
		{"Django", "django"},
		{"Zeta.Name_Mixed", "zeta-name-mixed"},
		{"Acme_Internal.Utils", "acme-internal-utils"},
		{"python-dateutil", "python-dateutil"},
		{"zope.interface", "zope-interface"},
		{"a__b", "a-b"},
		{"a-_.-b", "a-b"},
		{"A--B", "a-b"},
		{"a--b", "a-b"},
		{"FOO", "foo"},
		{"x", "x"},
		{"0", "0"},
		// Not valid names: normalised byte-wise all the same.
		{"-x-", "-x-"},
		{"_x_", "-x-"},
		{"..", "-"},
		{"ÄBC", "Äbc"},
		{"a b", "a b"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeNoAlloc(t *testing.T) {
	for _, name := range []string{"requests", "python-dateutil", "a-b-c-d-e-f"} {
		if n := testing.AllocsPerRun(100, func() { _ = Normalize(name) }); n != 0 {
			t.Errorf("Normalize(%q) allocates %v times, want 0", name, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Normalize("Zeta.Name_Mixed") }); n != 1 {
		t.Errorf("Normalize of a non-normalised name allocates %v times, want 1", n)
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"requests", true},
		{"a", true},
		{"Z", true},
		{"9", true},
		{"Zeta.Name_Mixed", true},
		{"python-dateutil", true},
		{"a--b", true}, // separators may repeat between alphanumerics
		{"a._-b", true},
		{"", false},
		{"-a", false},
		{"a-", false},
		{"_a", false},
		{"a.", false},
		{".", false},
		{"a b", false},
		{"a/b", false},
		{"a@b", false},
		{"a+b", false},
		{"ä", false},
		{"aä", false},
		{"a\x00b", false},
		{"a\nb", false},
	}
	for _, tt := range tests {
		if got := ValidName(tt.in); got != tt.want {
			t.Errorf("ValidName(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestIsNormalized(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"requests", true},
		{"python-dateutil", true},
		{"a-b-c", true},
		{"a1", true},
		{"Requests", false},
		{"a_b", false},
		{"a.b", false},
		{"a--b", false},
		{"", false},
		{"-x-", false},
		{"a b", false},
	}
	for _, tt := range tests {
		if got := IsNormalized(tt.in); got != tt.want {
			t.Errorf("IsNormalized(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEqualNormalized(t *testing.T) {
	// Every string of up to three bytes over an alphabet that exercises
	// case folding and separator runs, plus a few longer ones.
	names := []string{"", "a-b-", "x.y_z", "A--_b.C"}
	for _, a := range []string{"a", "A", "b", "-", "_", "."} {
		names = append(names, a)
		for _, b := range []string{"a", "A", "b", "-", "_", "."} {
			names = append(names, a+b)
			for _, c := range []string{"a", "A", "b", "-", "_", "."} {
				names = append(names, a+b+c)
			}
		}
	}
	for _, a := range names {
		for _, b := range names {
			norm := Normalize(b)
			if got, want := equalNormalized(a, norm), Normalize(a) == norm; got != want {
				t.Errorf("equalNormalized(%q, %q) = %v, want %v", a, norm, got, want)
			}
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "requests", "Zeta.Name_Mixed", "a--b", "-_.", "ÄB", "a\x00B", "A-", strings.Repeat("a_", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n := Normalize(name)
		if Normalize(n) != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", name, n, Normalize(n))
		}
		if !isNormalForm(n) {
			t.Fatalf("Normalize(%q) = %q is not in normal form", name, n)
		}
		if !equalNormalized(name, n) {
			t.Fatalf("equalNormalized(%q, %q) = false", name, n)
		}
		if len(n) > len(name) {
			t.Fatalf("Normalize(%q) = %q is longer", name, n)
		}
		if ValidName(name) {
			if !IsNormalized(n) {
				t.Fatalf("Normalize(%q) = %q: not IsNormalized", name, n)
			}
			if strings.ToLower(name) == name && !strings.ContainsAny(name, "_.") && !strings.Contains(name, "--") && n != name {
				t.Fatalf("Normalize changed a normalised name %q to %q", name, n)
			}
		}
		if IsNormalized(name) && n != name {
			t.Fatalf("Normalize(%q) = %q, but the name IsNormalized", name, n)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	for _, name := range []string{"python-dateutil", "Zeta.Name_Mixed"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Normalize(name)
			}
		})
	}
}
