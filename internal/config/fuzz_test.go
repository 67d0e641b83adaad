package config

import (
	"strings"
	"testing"
)

// FuzzParse: any input either parses into a configuration that satisfies
// the invariants validate promises, or fails with an error naming the
// source; it never panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(Default))
	f.Add([]byte("repositories:\n  a: {type: hosted}\nindexes: [{path: /simple/, repository: a, upload: a}]\n"))
	f.Add([]byte("repositories: [1, 2]\nindexes: {}\n"))
	f.Add([]byte("listen: ${HOME}\nrepositories:\n  a: {type: hosted}\nindexes: [{path: /x/simple/, repository: a}]\n"))
	f.Add([]byte("repositories:\n  a: &x {type: hosted}\n  b: *x\nindexes: [{path: /simple/, repository: b}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the source: %v", err)
			}
			return
		}
		if len(c.Repositories) == 0 || len(c.Indexes) == 0 || c.Listen == "" || c.DataDir == "" {
			t.Fatalf("accepted an incomplete configuration: %+v", c)
		}
		for _, ix := range c.Indexes {
			if !strings.HasPrefix(ix.Path, "/") || !strings.HasSuffix(ix.Path, "/simple/") {
				t.Fatalf("accepted index path %q", ix.Path)
			}
			if _, ok := c.Node(ix.Repository); !ok {
				t.Fatalf("index names undefined repository %q", ix.Repository)
			}
		}
		for _, n := range c.Repositories {
			if n.Type == "" || n.Name == "" {
				t.Fatalf("node without name or type: %+v", n)
			}
		}
	})
}
