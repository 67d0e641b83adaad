package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Count(h, "$") != 5 {
		t.Fatalf("hash %q is not in the PHC format", h)
	}
	if h2, _ := HashPassword("correct horse"); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if ok, err := VerifyPassword(h, "correct horse"); !ok || err != nil {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, err := VerifyPassword(h, "correct horsE"); ok || err != nil {
		t.Fatalf("wrong password: %v, %v", ok, err)
	}
	// a hash made with other parameters still verifies: they travel with it
	parts := strings.Split(h, "$")
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=2,p=1$" + parts[4] + "$" + parts[5], // a memory bomb
		"$argon2id$v=19$m=19456,t=2,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$c2hvcnQ",
	} {
		if ok, err := VerifyPassword(bad, "correct horse"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestTokens(t *testing.T) {
	tok, id, digest, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != tokenLen || !strings.HasPrefix(tok, "sluice_"+id+"_") {
		t.Fatalf("token %q (id %s) has the wrong shape", tok, id)
	}
	if got, ok := parseToken(tok); !ok || got != id {
		t.Fatalf("parseToken = %q, %v", got, ok)
	}
	if !digestMatches(tok, digest) || digestMatches(tok[:len(tok)-1]+"x", digest) {
		t.Fatal("digestMatches")
	}
	if strings.Contains(digest, tok[len(tok)-43:]) {
		t.Fatal("the digest contains the secret")
	}
	for _, bad := range []string{"", "sluice_", tok[:len(tok)-1], "pypi-" + tok[5:], strings.ToUpper(tok[:23]) + tok[23:],
		tok[:len(tok)-2] + "!!", "sluice_zzzzzzzzzzzzzzzz_" + tok[24:]} {
		if _, ok := parseToken(bad); ok {
			t.Errorf("parseToken(%q) accepted it", bad)
		}
	}
}

func TestGitLabProjectPath(t *testing.T) {
	g := &gitlab{base: mustURL("https://git.example.com/gitlab")}
	for _, tc := range []struct{ web, want string }{
		{"https://git.example.com/gitlab/group/sub/project/-/jobs/8", "group/sub/project"},
		{"https://other.example.com/gitlab/a/b/-/jobs/8", "a/b"}, // GitLab's external URL may differ
		{"https://git.example.com/gitlab/-/jobs/8", ""},
		{"https://git.example.com/gitlab/a/../b/-/jobs/8", ""},
		{"https://git.example.com/gitlab/a b/c/-/jobs/8", ""},
		{"https://git.example.com/gitlab/a/b/jobs/8", ""},
		{"", ""},
	} {
		got, ok := g.projectPath(tc.web)
		if got != tc.want && ok || ok != (tc.want != "") {
			t.Errorf("projectPath(%q) = %q, %v; want %q", tc.web, got, ok, tc.want)
		}
	}
	g.allow = []string{"acme/*", "solo/tool"}
	for path, want := range map[string]bool{"acme/x": true, "acme/sub/x": true, "acme": false, "acmex/y": false, "solo/tool": true, "solo/other": false} {
		if g.allowed(path) != want {
			t.Errorf("allowed(%q) = %v", path, !want)
		}
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestClaims(t *testing.T) {
	claims := map[string]any{"project_path": "acme/app", "ref_protected": true, "run": float64(42), "ref": "main"}
	if _, _, ok := mismatch(map[string]string{"project_path": "acme/app", "ref_protected": "true", "run": "42"}, claims); !ok {
		t.Fatal("matching claims refused")
	}
	name, got, ok := mismatch(map[string]string{"ref": "main", "environment": "production"}, claims)
	if ok || name != "environment" || got != "(absent)" {
		t.Fatalf("mismatch = %q, %q, %v", name, got, ok)
	}
	if name, got, _ := mismatch(map[string]string{"ref": "refs/heads/main"}, claims); name != "ref" || got != "main" {
		t.Fatalf("mismatch = %q, %q", name, got)
	}
	for raw, want := range map[string]string{
		"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2kuZXhhbXBsZSJ9.c2ln": "https://i.example",
		"a.b":                "",
		"a.!!!.c":            "",
		"eyJ9.eyJhIjoxfQ.c2": "",
	} {
		got, err := unverifiedIssuer(raw)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("unverifiedIssuer(%q) = %q, %v", raw, got, err)
		}
	}
}

func TestCredCache(t *testing.T) {
	c := newCredCache[string](time.Minute, 2)
	now := time.Now()
	k1, k2, k3 := c.keyOf("a", "b"), c.keyOf("ab", ""), c.keyOf("x")
	if k1 == k2 {
		t.Fatal("keys of different credentials collide: parts are not separated")
	}
	c.put(k1, "one", now)
	if v, ok := c.get(k1, now.Add(30*time.Second)); !ok || v != "one" {
		t.Fatal("a fresh entry was not found")
	}
	if _, ok := c.get(k1, now.Add(2*time.Minute)); ok {
		t.Fatal("an expired entry was found")
	}
	c.put(k2, "two", now)
	c.put(k3, "three", now) // over the bound: the cache starts over
	if len(c.entries) > 2 {
		t.Fatalf("%d entries in a cache bounded to 2", len(c.entries))
	}
	if v, ok := c.get(k3, now); !ok || v != "three" {
		t.Fatal("the newest entry was lost")
	}
}
