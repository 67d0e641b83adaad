// Package config reads Sluice's YAML configuration file: where it listens,
// where it keeps data, the repository graph and the indexes clients see.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sluice-pkg/sluice/internal/pypi"
)

// Default is the embedded configuration used when no file is given
// (CONTRACT.md: exactly the documented example).
const Default = `listen: 127.0.0.1:8080
public_url: http://127.0.0.1:8080
data_dir: ./sluice-data

repositories:
  local:
    type: hosted
  pypi:
    type: upstream
    url: https://pypi.org/simple/
  main:
    type: priority
    sources: [local, pypi]

indexes:
  - path: /simple/
    repository: main
    upload: local
`

// Config is the whole file.
type Config struct {
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
	DataDir   string `yaml:"data_dir"`
	Database  string `yaml:"database"`
	Storage   string `yaml:"storage"`
	// Repositories in file order.
	Repositories []Node  `yaml:"-"`
	Indexes      []Index `yaml:"indexes"`
	// Auth configures publishing security: CI identities, trusted
	// publishers and the name guard's popular list.
	Auth Auth `yaml:"auth"`
	// Cache configures the proxy's file cache.
	Cache Cache `yaml:"cache"`

	// Source names where the configuration came from, for messages.
	Source string `yaml:"-"`
}

// Node is one repository of the graph. Spec holds the node's own keys,
// decoded by the component that implements Type (see Node.Decode).
type Node struct {
	Name string
	Type string
	spec yaml.Node
}

// Decode decodes the node's keys (everything but "type") into v, refusing
// unknown keys so that a misspelt option is an error, not a silent default.
func (n Node) Decode(v any) error {
	m := n.spec
	// drop "type" from a copy of the mapping
	content := make([]*yaml.Node, 0, len(m.Content))
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "type" {
			continue
		}
		content = append(content, m.Content[i], m.Content[i+1])
	}
	m.Content = content
	raw, err := yaml.Marshal(&m)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("repositories.%s: %s", n.Name, cleanYAMLError(err))
	}
	return nil
}

// Line is the node's line in the file, for messages.
func (n Node) Line() int { return n.spec.Line }

// Index is one simple index clients use.
type Index struct {
	// Path is the index root, ending in "/simple/" (for example /simple/
	// or /restricted/simple/); uploads go to the sibling "legacy/".
	Path       string `yaml:"path"`
	Repository string `yaml:"repository"`
	// Upload names the hosted repository that takes uploads for this
	// index; empty means the index takes none.
	Upload string `yaml:"upload"`
	// Private indexes answer reads only to authenticated identities
	// (any role).
	Private bool `yaml:"private"`
	// Snapshots also serves the index as of any instant at
	// /snapshot/<RFC 3339 instant>/<path> (for example
	// /snapshot/2025-06-01T00:00:00Z/simple/), to reproduce past builds.
	Snapshots bool `yaml:"snapshots"`
}

// Auth is the "auth" section.
type Auth struct {
	// GitLab, when its URL is set, accepts GitLab CI job tokens (user
	// "gitlab-ci-token") and verifies them against that GitLab.
	GitLab GitLab `yaml:"gitlab"`
	// Audience is the default audience trusted publishers' ID tokens must
	// carry, and what /_/oidc/audience answers. Default "sluice".
	Audience string `yaml:"audience"`
	// TrustedPublishers may exchange an OIDC ID token for a short-lived
	// upload token (PyPI's trusted publishing).
	TrustedPublishers []TrustedPublisher `yaml:"trusted_publishers"`
	// PopularNames replaces the embedded list of popular public project
	// names the typo guard compares new names with: a file of
	// "rank<TAB>name" (or "name") lines, most popular first.
	PopularNames string `yaml:"popular_names"`
}

// GitLab is the GitLab instance whose CI job tokens are accepted.
type GitLab struct {
	URL string `yaml:"url"`
	// Projects limits which CI projects are accepted: exact project
	// paths, or "group/*" for every project under a group. Empty accepts
	// every project of the instance (set it on a shared instance such as
	// gitlab.com).
	Projects []string `yaml:"projects"`
}

// TrustedPublisher is a CI identity, defined by its OIDC issuer and
// required claims, that may publish the named projects.
type TrustedPublisher struct {
	// Name identifies the publisher in ownership and audit records
	// ("oidc:<name>"). Default: the value of its project_path or
	// repository claim.
	Name   string `yaml:"name"`
	Issuer string `yaml:"issuer"`
	// Audience overrides Auth.Audience for this publisher.
	Audience string `yaml:"audience"`
	// Claims must all be present in the ID token with exactly these
	// values (for example project_path and ref for GitLab, repository
	// and environment for GitHub Actions). At least one is required.
	Claims map[string]string `yaml:"claims"`
	// Projects the publisher may upload to, normalised on load.
	Projects []string `yaml:"projects"`
}

// DefaultAudience is Auth.Audience's default.
const DefaultAudience = "sluice"

// UploadPath is where twine posts for this index: /X/simple/ -> /X/legacy/.
func (ix Index) UploadPath() string {
	return strings.TrimSuffix(ix.Path, "simple/") + "legacy/"
}

// Load reads the file at path, or the embedded default when path is "".
func Load(path string) (*Config, error) {
	if path == "" {
		return Parse([]byte(Default), "the embedded default configuration")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

type fileShape struct {
	Listen       string    `yaml:"listen"`
	PublicURL    string    `yaml:"public_url"`
	DataDir      string    `yaml:"data_dir"`
	Database     string    `yaml:"database"`
	Storage      string    `yaml:"storage"`
	Repositories yaml.Node `yaml:"repositories"`
	Indexes      []Index   `yaml:"indexes"`
	Auth         Auth      `yaml:"auth"`
	Cache        Cache     `yaml:"cache"`
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parse parses and validates a configuration; source names it in errors.
// ${VAR} references are replaced by environment variables so that secrets
// (upstream passwords, database URLs) need not be written in the file.
func Parse(data []byte, source string) (*Config, error) {
	var missing []string
	data = envRef.ReplaceAllFunc(data, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: environment variable %s is not set", source, missing[0])
	}
	var f fileShape
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file is empty", source)
		}
		return nil, fmt.Errorf("%s: %s", source, cleanYAMLError(err))
	}
	c := &Config{
		Listen: f.Listen, PublicURL: f.PublicURL, DataDir: f.DataDir, Database: f.Database,
		Storage: f.Storage, Indexes: f.Indexes, Auth: f.Auth, Source: source,
	}
	c.Cache = f.Cache
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./sluice-data"
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if err := c.readNodes(&f.Repositories); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := c.Auth.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return c, nil
}

func (c *Config) readNodes(m *yaml.Node) error {
	if m.Kind == 0 {
		return errors.New("repositories: missing; define at least one repository")
	}
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: repositories must be a mapping of name to repository", m.Line)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		name := k.Value
		if seen[name] {
			return fmt.Errorf("line %d: repository %q is defined twice", k.Line, name)
		}
		seen[name] = true
		if !validNodeName(name) {
			return fmt.Errorf("line %d: repository name %q must be letters, digits, '-' or '_'", k.Line, name)
		}
		if v.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: repositories.%s must be a mapping with a 'type'", v.Line, name)
		}
		n := Node{Name: name, spec: *v}
		for j := 0; j+1 < len(v.Content); j += 2 {
			if v.Content[j].Value == "type" {
				n.Type = v.Content[j+1].Value
			}
		}
		if n.Type == "" {
			return fmt.Errorf("line %d: repositories.%s has no 'type'", v.Line, name)
		}
		c.Repositories = append(c.Repositories, n)
	}
	if len(c.Repositories) == 0 {
		return errors.New("repositories: define at least one repository")
	}
	return nil
}

func validNodeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// Node returns the repository with the given name.
func (c *Config) Node(name string) (Node, bool) {
	for _, n := range c.Repositories {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

func (c *Config) validate() error {
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return fmt.Errorf("public_url %q must start with http:// or https://", c.PublicURL)
	}
	if len(c.Indexes) == 0 {
		return errors.New("indexes: define at least one index (for example path: /simple/)")
	}
	paths := map[string]bool{}
	for i, ix := range c.Indexes {
		where := fmt.Sprintf("indexes[%d]", i)
		if !strings.HasPrefix(ix.Path, "/") || !strings.HasSuffix(ix.Path, "/simple/") {
			return fmt.Errorf("%s.path %q must start with / and end with /simple/ (for example /simple/ or /team/simple/)", where, ix.Path)
		}
		if strings.Contains(ix.Path, "//") || strings.Contains(ix.Path, "/../") || strings.Contains(ix.Path, "/./") ||
			strings.ContainsAny(ix.Path, "{}?#% \t") {
			return fmt.Errorf("%s.path %q is not a clean URL path", where, ix.Path)
		}
		if paths[ix.Path] {
			return fmt.Errorf("%s.path %q is used by two indexes", where, ix.Path)
		}
		paths[ix.Path] = true
		if _, ok := c.Node(ix.Repository); !ok {
			return fmt.Errorf("%s.repository %q is not defined under repositories", where, ix.Repository)
		}
		if ix.Upload != "" {
			n, ok := c.Node(ix.Upload)
			if !ok {
				return fmt.Errorf("%s.upload %q is not defined under repositories", where, ix.Upload)
			}
			if n.Type != "hosted" {
				return fmt.Errorf("%s.upload %q is a %s repository; uploads go to a hosted repository", where, ix.Upload, n.Type)
			}
		}
	}
	return nil
}

// cleanYAMLError turns yaml.v3's "yaml: unmarshal errors:\n  line 3: field x
// not found in type config.fileShape" into one sentence without Go types.
func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:\n")
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, " not found in type "); i >= 0 {
			line = line[:i] + " is not a known option"
			line = strings.Replace(line, "field ", "option '", 1)
			line = strings.Replace(line, " is not", "' is not", 1)
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "; ")
}

// validate checks the auth section and fills in its defaults.
func (a *Auth) validate() error {
	if a.GitLab.URL != "" {
		u, err := url.Parse(a.GitLab.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("auth.gitlab.url %q must be the http:// or https:// URL of the GitLab instance", a.GitLab.URL)
		}
		a.GitLab.URL = strings.TrimRight(a.GitLab.URL, "/")
	}
	for i, p := range a.GitLab.Projects {
		if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(strings.TrimSuffix(p, "/*"), "*") {
			return fmt.Errorf("auth.gitlab.projects[%d] %q must be a project path (group/project) or a group followed by /*", i, p)
		}
	}
	if len(a.GitLab.Projects) > 0 && a.GitLab.URL == "" {
		return errors.New("auth.gitlab.projects is set but auth.gitlab.url is not")
	}
	if a.Audience == "" {
		a.Audience = DefaultAudience
	}
	names := map[string]bool{}
	for i := range a.TrustedPublishers {
		p := &a.TrustedPublishers[i]
		where := fmt.Sprintf("auth.trusted_publishers[%d]", i)
		u, err := url.Parse(p.Issuer)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
			!(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
			return fmt.Errorf("%s.issuer %q must be an https:// URL (http:// only on the loopback interface)", where, p.Issuer)
		}
		if p.Audience == "" {
			p.Audience = a.Audience
		}
		if len(p.Claims) == 0 {
			return fmt.Errorf("%s.claims: name at least one required claim (such as project_path or repository): without one, every identity of the issuer could publish", where)
		}
		for k, v := range p.Claims {
			if k == "" || v == "" {
				return fmt.Errorf("%s.claims: claim names and values must not be empty", where)
			}
		}
		if len(p.Projects) == 0 {
			return fmt.Errorf("%s.projects: name at least one project the publisher may upload", where)
		}
		for j, name := range p.Projects {
			if !pypi.ValidName(name) {
				return fmt.Errorf("%s.projects[%d] %q is not a valid project name", where, j, name)
			}
			p.Projects[j] = pypi.Normalize(name)
		}
		if p.Name == "" {
			p.Name = cmp.Or(p.Claims["project_path"], p.Claims["repository"])
		}
		if p.Name == "" {
			return fmt.Errorf("%s.name: give the publisher a name (it has no project_path or repository claim to take it from)", where)
		}
		if names[p.Name] {
			return fmt.Errorf("%s.name %q is used by two trusted publishers; give each its own name", where, p.Name)
		}
		names[p.Name] = true
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
