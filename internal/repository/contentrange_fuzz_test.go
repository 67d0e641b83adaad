package repository

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseContentRange: an upstream's Content-Range header never panics
// the parser, and what it accepts is well-formed.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/1000", "bytes 10-19/*", "bytes */1000", "bytes -1-5/10", "bytes 5-/10", "", "bytes 99999999999999999999-1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, total, ok := parseContentRange(s)
		if !ok {
			return
		}
		// only digits are accepted, so the numbers print back as written
		// (but for leading zeros)
		if start < 0 || total < -1 || !strings.Contains(s, " "+strconv.FormatInt(start, 10)) && !strings.Contains(s, " 0") {
			t.Fatalf("%q accepted as start %d, total %d", s, start, total)
		}
		if total >= 0 && !strings.HasSuffix(s, strconv.FormatInt(total, 10)) {
			t.Fatalf("%q accepted with total %d", s, total)
		}
	})
}
