package config

import (
	"strings"
	"testing"
)

func TestDefault(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./sluice-data" || len(c.Repositories) != 3 || len(c.Indexes) != 1 {
		t.Fatalf("default config = %+v", c)
	}
	if got := c.Indexes[0].UploadPath(); got != "/legacy/" {
		t.Fatalf("upload path of /simple/ = %q", got)
	}
	names := []string{}
	for _, n := range c.Repositories {
		names = append(names, n.Name+":"+n.Type)
	}
	if strings.Join(names, ",") != "local:hosted,pypi:upstream,main:priority" {
		t.Fatalf("nodes in file order: %v", names)
	}
	var up struct {
		URL string `yaml:"url"`
	}
	n, _ := c.Node("pypi")
	if err := n.Decode(&up); err != nil || up.URL != "https://pypi.org/simple/" {
		t.Fatalf("Decode = %+v, %v", up, err)
	}
}

func TestUploadPath(t *testing.T) {
	if got := (Index{Path: "/team/simple/"}).UploadPath(); got != "/team/legacy/" {
		t.Fatalf("got %q", got)
	}
}

func TestEnvExpansion(t *testing.T) {
	t.Setenv("SLUICE_TEST_PW", "s3cret")
	c, err := Parse([]byte("repositories:\n  up: {type: upstream, url: 'http://x/simple/', password: '${SLUICE_TEST_PW}'}\nindexes: [{path: /simple/, repository: up}]\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		URL      string `yaml:"url"`
		Password string `yaml:"password"`
	}
	n, _ := c.Node("up")
	if err := n.Decode(&v); err != nil || v.Password != "s3cret" {
		t.Fatalf("password = %q, %v", v.Password, err)
	}
}

func TestErrors(t *testing.T) {
	base := "repositories:\n  local: {type: hosted}\n"
	cases := []struct{ name, yaml, want string }{
		{"empty", "", "empty"},
		{"unknown top-level key", base + "indexes: [{path: /simple/, repository: local}]\nlisten_addr: x\n", "listen_addr"},
		{"no repositories", "indexes: [{path: /simple/, repository: x}]\n", "repositories"},
		{"no type", "repositories:\n  a: {url: x}\nindexes: [{path: /simple/, repository: a}]\n", "no 'type'"},
		{"bad index path", base + "indexes: [{path: /pypi/, repository: local}]\n", "end with /simple/"},
		{"undefined index repository", base + "indexes: [{path: /simple/, repository: nope}]\n", `"nope" is not defined`},
		{"upload to non-hosted", "repositories:\n  local: {type: hosted}\n  m: {type: priority, sources: [local]}\nindexes: [{path: /simple/, repository: m, upload: m}]\n", "hosted repository"},
		{"duplicate index path", base + "indexes: [{path: /simple/, repository: local}, {path: /simple/, repository: local}]\n", "used by two"},
		{"missing env", base + "indexes: [{path: /simple/, repository: local}]\ndata_dir: ${SLUICE_SURELY_UNSET_VAR}\n", "SLUICE_SURELY_UNSET_VAR"},
		{"bad public_url", base + "public_url: ftp://x\nindexes: [{path: /simple/, repository: local}]\n", "public_url"},
		{"path trick", base + "indexes: [{path: /a/../simple/, repository: local}]\n", "clean"},
		{"duplicate repository", "repositories:\n  a: {type: hosted}\n  a: {type: hosted}\nindexes: [{path: /simple/, repository: a}]\n", "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml")
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "test.yaml") {
				t.Fatalf("error %q does not name the file and %q", err, tc.want)
			}
		})
	}
}

func TestNodeDecodeRefusesUnknownOptions(t *testing.T) {
	c, err := Parse([]byte("repositories:\n  up: {type: upstream, url: 'http://x/simple/', pasword: x}\nindexes: [{path: /simple/, repository: up}]\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		URL      string `yaml:"url"`
		Password string `yaml:"password"`
	}
	n, _ := c.Node("up")
	err = n.Decode(&v)
	if err == nil || !strings.Contains(err.Error(), "pasword") || !strings.Contains(err.Error(), "repositories.up") {
		t.Fatalf("Decode error = %v", err)
	}
}

func TestAuthSection(t *testing.T) {
	c, err := Parse([]byte(`repositories:
  local: {type: hosted}
indexes:
  - {path: /simple/, repository: local, upload: local, private: true}
auth:
  gitlab: {url: "https://gitlab.example.com/", projects: [acme/*, other/tool]}
  popular_names: /etc/sluice/popular.tsv
  trusted_publishers:
    - issuer: https://gitlab.example.com
      claims: {project_path: acme/tools, ref_protected: true}
      projects: [Acme_Tools]
    - name: gh
      issuer: https://token.actions.githubusercontent.com
      audience: custom
      claims: {repository: acme/other}
      projects: [other]
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Indexes[0].Private {
		t.Fatal("private: true not read")
	}
	a := c.Auth
	if a.GitLab.URL != "https://gitlab.example.com" || a.Audience != DefaultAudience || a.PopularNames != "/etc/sluice/popular.tsv" {
		t.Fatalf("auth = %+v", a)
	}
	p := a.TrustedPublishers[0]
	if p.Name != "acme/tools" || p.Audience != "sluice" || p.Projects[0] != "acme-tools" || p.Claims["ref_protected"] != "true" {
		t.Fatalf("publisher defaults = %+v", p)
	}
	if q := a.TrustedPublishers[1]; q.Name != "gh" || q.Audience != "custom" {
		t.Fatalf("publisher = %+v", q)
	}

	d, _ := Load("")
	if d.Auth.Audience != DefaultAudience || d.Indexes[0].Private {
		t.Fatalf("default auth = %+v", d.Auth)
	}
}

func TestAuthErrors(t *testing.T) {
	base := "repositories:\n  local: {type: hosted}\nindexes: [{path: /simple/, repository: local}]\n"
	pub := func(s string) string { return base + "auth:\n  trusted_publishers:\n    - " + s + "\n" }
	cases := []struct{ name, yaml, want string }{
		{"gitlab url", base + "auth: {gitlab: {url: gitlab.example.com}}\n", "auth.gitlab.url"},
		{"gitlab projects", base + "auth: {gitlab: {url: 'https://g', projects: ['a/*/b']}}\n", "auth.gitlab.projects[0]"},
		{"gitlab projects without url", base + "auth: {gitlab: {projects: [a/b]}}\n", "auth.gitlab.url is not"},
		{"unknown auth key", base + "auth: {gitlab_url: x}\n", "gitlab_url"},
		{"http issuer", pub("{issuer: 'http://issuer.example.com', claims: {a: b}, projects: [p]}"), "auth.trusted_publishers[0].issuer"},
		{"no claims", pub("{issuer: 'https://i.example.com', projects: [p]}"), "auth.trusted_publishers[0].claims"},
		{"no projects", pub("{issuer: 'https://i.example.com', claims: {project_path: a/b}}"), "auth.trusted_publishers[0].projects"},
		{"bad project", pub("{issuer: 'https://i.example.com', claims: {project_path: a/b}, projects: ['-x']}"), "projects[0]"},
		{"no name", pub("{issuer: 'https://i.example.com', claims: {ref: main}, projects: [p]}"), "auth.trusted_publishers[0].name"},
		{"duplicate name", base + "auth:\n  trusted_publishers:\n    - {issuer: 'https://i.example.com', claims: {project_path: a/b}, projects: [p]}\n    - {issuer: 'https://i.example.com', claims: {project_path: a/b, ref: x}, projects: [p]}\n", "used by two"},
		{"unknown index key", "repositories:\n  local: {type: hosted}\nindexes: [{path: /simple/, repository: local, privat: true}]\n", "privat"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "test.yaml") {
				t.Fatalf("error %v does not name the file and %q", err, tc.want)
			}
		})
	}
	// a loopback issuer may be plain http (tests, local development)
	if _, err := Parse([]byte(pub("{issuer: 'http://127.0.0.1:9999', claims: {project_path: a/b}, projects: [p]}")), "t.yaml"); err != nil {
		t.Fatal(err)
	}
}
