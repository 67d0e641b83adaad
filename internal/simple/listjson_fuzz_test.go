package simple

import (
	"bytes"
	"testing"
)

// FuzzParseProjectListJSON: an upstream root listing in JSON never panics
// the streaming parser, and the names it returns are plausible.
func FuzzParseProjectListJSON(f *testing.F) {
	f.Add([]byte(`{"meta":{"api-version":"1.1"},"projects":[{"name":"a"},{"name":"B_c"}]}`))
	f.Add([]byte(`{"meta":{"api-version":"2.0"},"projects":[]}`))
	f.Add([]byte(`{"projects":[{"name":""},{"name":"x","extra":[1,2,{"y":null}]}]}`))
	f.Add([]byte(`{"projects":{"name":"x"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		names, err := ParseProjectListJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" || len(n) > 255 {
				t.Fatalf("implausible name %q", n)
			}
		}
	})
}
