package repository

import (
	"slices"
	"strings"

	"github.com/sluice-pkg/sluice/internal/pep440"
)

// sortVersions sorts version strings in PEP 440 order; strings that are not
// valid versions go last, in byte order.
func sortVersions(vs []string) {
	type pv struct {
		s  string
		v  pep440.Version
		ok bool
	}
	parsed := make([]pv, len(vs))
	for i, s := range vs {
		v, err := pep440.Parse(s)
		parsed[i] = pv{s, v, err == nil}
	}
	slices.SortStableFunc(parsed, func(a, b pv) int {
		switch {
		case a.ok && b.ok:
			return pep440.Compare(a.v, b.v)
		case a.ok:
			return -1
		case b.ok:
			return 1
		}
		return strings.Compare(a.s, b.s)
	})
	for i := range parsed {
		vs[i] = parsed[i].s
	}
}
