package auth

import (
	"strings"
	"testing"
)

// FuzzParseToken: whatever a client sends as a token, parsing never panics,
// and an accepted token has the documented shape and its id inside it.
func FuzzParseToken(f *testing.F) {
	tok, id, _, err := newToken()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(id)
	f.Add("sluice_")
	f.Add("")
	f.Add(strings.Repeat("_", tokenLen))
	f.Add("sluice_0123456789abcdef_" + strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseToken(s)
		if !ok {
			return
		}
		if len(s) != tokenLen || !strings.HasPrefix(s, tokenPrefix) || !strings.Contains(s, got) || got == "" {
			t.Fatalf("parseToken(%q) accepted with id %q", s, got)
		}
	})
}
