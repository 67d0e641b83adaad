package pep440

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// benchVersions returns n realistic, varied version strings, deterministic
// for a given n.
func benchVersions(n int) []string {
	r := rand.New(rand.NewPCG(440, uint64(n)))
	suffixes := []string{"", "", "", "", "a1", "b2", "rc1", ".post1", ".dev3", "rc2.post1.dev4", "+ubuntu.1", "-1"}
	out := make([]string, n)
	for i := range out {
		s := strconv.Itoa(r.IntN(30)) + "." + strconv.Itoa(r.IntN(30))
		if r.IntN(2) == 0 {
			s += "." + strconv.Itoa(r.IntN(100))
		}
		if r.IntN(50) == 0 {
			s = "1!" + s
		}
		out[i] = s + suffixes[r.IntN(len(suffixes))]
	}
	return out
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"canonical", "1.24.3"},
		{"noncanonical", "v1.0-RC.1_post2.DEV3+Ubuntu-01"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("mixed2000", func(b *testing.B) {
		in := benchVersions(2000)
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range in {
				if _, err := Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkCompare sorts 2,000 versions per iteration.
func BenchmarkCompare(b *testing.B) {
	in := benchVersions(2000)
	vs := make([]Version, len(in))
	for i, s := range in {
		vs[i] = MustParse(s)
	}
	work := make([]Version, len(vs))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, vs)
		slices.SortFunc(work, Compare)
	}
}

func BenchmarkSpecifierSetFilter(b *testing.B) {
	ss, err := ParseSpecifierSet(">=1.2,!=1.5.*,<25,~=1.4")
	if err != nil {
		b.Fatal(err)
	}
	in := benchVersions(2000)
	b.ReportAllocs()
	for b.Loop() {
		ss.Filter(in)
	}
}
