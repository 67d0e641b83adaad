package nameguard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultList(t *testing.T) {
	p := Default()
	if p.Len() < 14000 {
		t.Fatalf("embedded list has %d names", p.Len())
	}
	for _, n := range []string{"boto3", "requests", "numpy", "django", "scikit-learn"} {
		if !p.Contains(n) {
			t.Errorf("%s is not on the embedded list", n)
		}
	}
}

// The embedded list is a copy of the shared data file; a change there
// should be carried over.
func TestEmbeddedListIsTheSharedOne(t *testing.T) {
	shared, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "pypi-top.tsv"))
	if errors.Is(err, os.ErrNotExist) {
		return // a checkout without ../shared beside it
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(shared) != defaultPopular {
		t.Fatal("internal/nameguard/pypi-top.tsv differs from ../shared/data/pypi-top.tsv")
	}
}

func TestLookalike(t *testing.T) {
	p := Default()
	cases := []struct{ name, want string }{
		{"reqeusts", "requests"},        // transposition
		{"requets", "requests"},         // deletion
		{"requestss", "requests"},       // insertion
		{"requesta", "requests"},        // substitution
		{"requests-py", "requests"},     // suffix
		{"python-requests", "requests"}, // prefix
		{"py-numpy", "numpy"},
		{"nurnpy", "numpy"},             // rn / m
		{"djang0", "django"},            // 0 / o
		{"scikitlearn", "scikit-learn"}, // separators
		{"f1ask", "flask"},              // 1 / l
		{"acme-internal-utils", ""},
		{"acme-internal-app", ""},
		{"tox2", ""}, // too short for the edit-distance check
		{"mycompany-billing", ""},
	}
	for _, tc := range cases {
		got, ok := p.Lookalike(tc.name)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Lookalike(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

func TestWithinOneEdit(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"abcd", "abcd", true},
		{"abcd", "abce", true},
		{"abcd", "abdc", true},
		{"abcd", "bacd", true},
		{"abcd", "abc", true},
		{"abcd", "bcd", true},
		{"abcd", "abxcd", true},
		{"abcd", "badc", false},
		{"abcd", "ab", false},
		{"abcd", "axcx", false},
		{"abcd", "acbe", false},
	}
	for _, tc := range cases {
		if got := withinOneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("withinOneEdit(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := withinOneEdit(tc.b, tc.a); got != tc.want {
			t.Errorf("withinOneEdit(%q, %q) = %v", tc.b, tc.a, got)
		}
	}
}

// The indexed lookup finds exactly what a scan of every name finds.
func TestLookalikeMatchesBruteForce(t *testing.T) {
	p, err := Parse(strings.NewReader("1\talpha-lib\n2\tbeta\n3\tgammas\n4\tdelta-x\n5\tzz\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	brute := func(name string) string {
		if f := Fold(name); f != "" {
			for _, n := range p.names {
				if Fold(n) == f && n != name {
					return n
				}
			}
		}
		if len(name) < MinTypoLength {
			return ""
		}
		for _, n := range p.names {
			if n != name && len(n) >= MinTypoLength && withinOneEdit(name, n) {
				return n
			}
		}
		return ""
	}
	var names []string
	for _, base := range []string{"alpha-lib", "gammas", "delta-x"} {
		names = append(names, base)
		for i := range len(base) {
			names = append(names, base[:i]+base[i+1:], base[:i]+"q"+base[i:], base[:i]+"q"+base[i+1:])
			if i+1 < len(base) {
				names = append(names, base[:i]+base[i+1:i+2]+base[i:i+1]+base[i+2:])
			}
		}
	}
	names = append(names, "beta", "betaa", "zzz", "alphalib", "gamas", "x-delta")
	for _, n := range names {
		got, _ := p.Lookalike(n)
		if want := brute(n); got != want {
			t.Errorf("Lookalike(%q) = %q, brute force says %q", n, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := Parse(strings.NewReader("# top names\n\n1\tRequests\n2\tFoo_Bar\nplain-name\n3\trequests\n"), "x.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 3 || !p.Contains("foo-bar") || !p.Contains("plain-name") {
		t.Fatalf("parsed %v", p.names)
	}
	for _, bad := range []string{"1\tnot a name\n", "", "# only a comment\n"} {
		if _, err := Parse(strings.NewReader(bad), "x.tsv"); err == nil || !strings.HasPrefix(err.Error(), "x.tsv") {
			t.Errorf("Parse(%q) = %v, want an error naming the file", bad, err)
		}
	}
	path := filepath.Join(t.TempDir(), "popular.tsv")
	os.WriteFile(path, []byte("1\tinternal-favourite\n"), 0o644)
	if p, err := LoadFile(path); err != nil || !p.Contains("internal-favourite") {
		t.Fatalf("LoadFile = %v", err)
	}
	if _, err := LoadFile(path + ".missing"); err == nil {
		t.Fatal("LoadFile of a missing file succeeded")
	}
}

func TestPatterns(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"acme-*", "acme-*"},
		{"Acme_*", "acme-*"},
		{"requests", "requests"},
		{"Foo.Bar", "foo-bar"},
		{"a?c", "a?c"},
	} {
		if got, err := NormalizePattern(tc.in); err != nil || got != tc.want {
			t.Errorf("NormalizePattern(%q) = %q, %v", tc.in, got, err)
		}
	}
	for _, bad := range []string{"", "a/b", "[a]", "-x-", "x y"} {
		if _, err := NormalizePattern(bad); err == nil {
			t.Errorf("NormalizePattern(%q) accepted it", bad)
		}
	}
	if !Match("acme-*", "acme-tools") || Match("acme-*", "acme") || Match("acme-*", "xacme-tools") || !Match("x", "x") {
		t.Fatal("Match")
	}
}

func TestGuard(t *testing.T) {
	ctx := context.Background()
	public := map[string]bool{"acme-internal-utils": true}
	var upstreamErr error
	g := &Guard{Popular: Default(), PublicExists: func(ctx context.Context, name string) (bool, error) {
		return public[name], upstreamErr
	}}
	check := func(name string, allow ...string) error { return g.Check(ctx, name, allow) }

	var r *Refusal
	if err := check("acme-internal-utils"); !errors.As(err, &r) || r.Error() != "'acme-internal-utils' exists on the public index; ask an admin to allow this name" {
		t.Fatalf("public name: %v", err)
	}
	if err := check("requests"); err == nil || err.Error() != "'requests' exists on the public index; ask an admin to allow this name" {
		t.Fatalf("popular name: %v", err)
	}
	if err := check("reqeusts"); err == nil || err.Error() != "'reqeusts' looks like the popular public project 'requests'; ask an admin to allow this name" {
		t.Fatalf("typo: %v", err)
	}
	if err := check("acme-new-thing"); err != nil {
		t.Fatalf("a fresh name: %v", err)
	}
	for _, allowed := range [][]string{{"acme-internal-utils"}, {"acme-*"}, {"*"}} {
		if err := check("acme-internal-utils", allowed...); err != nil {
			t.Fatalf("allowed by %v: %v", allowed, err)
		}
	}
	if err := check("reqeusts", "reqeusts"); err != nil {
		t.Fatalf("an allowed typo: %v", err)
	}
	upstreamErr = errors.New("connection refused")
	var u *UnavailableError
	if err := check("acme-new-thing"); !errors.As(err, &u) || !strings.Contains(err.Error(), "try again later") {
		t.Fatalf("upstream down must fail closed: %v", err)
	}
	if err := check("acme-new-thing", "acme-*"); err != nil {
		t.Fatalf("an allowance needs no upstream: %v", err)
	}
}
