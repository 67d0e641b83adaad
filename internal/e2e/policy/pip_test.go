package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/app"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/server"
	"github.com/sluice-pkg/sluice/internal/store"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

// release is one wheel the fake public index serves.
type release struct {
	dist     testpkg.Dist
	uploaded time.Time // zero: the page says nothing
}

// publicIndex serves PEP 691 JSON pages with PEP 700 upload times, as
// pypi.org does, and the wheels themselves.
func publicIndex(t *testing.T, releases []release) *httptest.Server {
	t.Helper()
	wheels := map[string][]byte{}
	pages := map[string][]map[string]any{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, r := range releases {
		name, body := r.dist.WheelName(), r.dist.Wheel()
		wheels[name] = body
		sum := sha256.Sum256(body)
		f := map[string]any{"filename": name, "url": srv.URL + "/files/" + name, "hashes": map[string]string{"sha256": hex.EncodeToString(sum[:])}, "size": len(body)}
		if !r.uploaded.IsZero() {
			f["upload-time"] = r.uploaded.UTC().Format("2006-01-02T15:04:05.000000Z")
		}
		pages[r.dist.Name] = append(pages[r.dist.Name], f)
	}
	mux.HandleFunc("GET /simple/{project}/", func(w http.ResponseWriter, r *http.Request) {
		files, ok := pages[r.PathValue("project")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		json.NewEncoder(w).Encode(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": r.PathValue("project"), "files": files})
	})
	mux.HandleFunc("GET /simple/{$}", func(w http.ResponseWriter, r *http.Request) {
		var ps []map[string]string
		for n := range pages {
			ps = append(ps, map[string]string{"name": n})
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		json.NewEncoder(w).Encode(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "projects": ps})
	})
	mux.HandleFunc("GET /files/{name}", func(w http.ResponseWriter, r *http.Request) {
		b, ok := wheels[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	return srv
}

// sluice serves the configuration (with UPSTREAM replaced) from a fresh
// data directory.
func sluice(t *testing.T, upstream, yaml string) (*httptest.Server, *app.App) {
	t.Helper()
	dir := t.TempDir()
	yaml = strings.ReplaceAll(yaml, "UPSTREAM", upstream+"/simple/")
	yaml = "data_dir: " + filepath.Join(dir, "data") + "\n" + yaml
	cfg, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	s, err := server.New(server.Options{Config: cfg, Graph: a.Graph})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return hs, a
}

// pip is a virtual environment with a real pip.
type pip struct {
	t   *testing.T
	bin string
	dir string
}

func newPip(t *testing.T) *pip {
	t.Helper()
	// pyenv's CPython 3.11.7 (pip 23.2.1, the acceptance checks' main
	// client), else the system's python3 with Debian's pip: never a skip.
	python := ""
	if root, err := exec.Command("pyenv", "root").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(root)), "versions", "3.11.7", "bin", "python")
		if _, err := os.Stat(p); err == nil {
			python = p
		}
	}
	if python == "" {
		p, err := exec.LookPath("python3")
		if err != nil {
			t.Fatal("no Python to run pip with: install python3 and python3-pip (../shared/tools/install-clients.sh)")
		}
		python = p
	}
	dir := t.TempDir()
	if out, err := exec.Command(python, "-m", "venv", "--without-pip", filepath.Join(dir, "venv")).CombinedOutput(); err != nil {
		t.Fatalf("venv: %v\n%s", err, out)
	}
	// Reuse the interpreter's own pip instead of installing one per venv.
	pipPath, err := exec.Command(python, "-c", "import pip, os; print(os.path.dirname(os.path.dirname(pip.__file__)))").Output()
	if err != nil {
		t.Fatalf("%s has no pip: install python3-pip (../shared/tools/install-clients.sh)", python)
	}
	return &pip{t: t, bin: filepath.Join(dir, "venv", "bin", "python"), dir: strings.TrimSpace(string(pipPath))}
}

// install installs requirement into a fresh target directory and returns
// pip's output and the installed "name-version" dist-info directories.
func (p *pip) install(index, requirement string) (string, []string, error) {
	p.t.Helper()
	target := p.t.TempDir()
	cmd := exec.Command(p.bin, "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check",
		"--no-input", "--target", target, "--index-url", index, requirement)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+p.dir, "PIP_CONFIG_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	var got []string
	entries, _ := os.ReadDir(target)
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".dist-info"); ok {
			got = append(got, n)
		}
	}
	return string(out), got, err
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func dist(name, version string) testpkg.Dist {
	return testpkg.Dist{Name: name, Version: version}
}

func TestPipPolicies(t *testing.T) {
	p := newPip(t)
	now := time.Now()
	past := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	up := publicIndex(t, []release{
		{dist("alpha", "1.0"), past.AddDate(0, -6, 0)},
		{dist("alpha", "2.0"), past.AddDate(0, 6, 0)},
		{dist("alpha", "3.0"), now.Add(-time.Hour)}, // just published
		{dist("beta", "1.0"), past.AddDate(-1, 0, 0)},
		{dist("acme-evil", "99.0"), past},
	})
	srv, a := sluice(t, up.URL, `
repositories:
  pypi:
    type: upstream
    url: UPSTREAM
  vetted:
    type: filter
    source: pypi
    allow: [alpha]
  cool:
    type: cooldown
    source: pypi
    min_age: 72h
  yanks:
    type: yank
    source: pypi
  local:
    type: hosted
  grouped:
    type: groups
    hosted: [local]
    external: [pypi]
    groups:
      - {pattern: "acme-*", external_upstream: block}
indexes:
  - path: /simple/
    repository: pypi
    snapshots: true
  - path: /restricted/simple/
    repository: vetted
  - path: /cool/simple/
    repository: cool
  - path: /y/simple/
    repository: yanks
  - path: /g/simple/
    repository: grouped
    upload: local
`)

	t.Run("restricted", func(t *testing.T) {
		t.Parallel()
		out, got, err := p.install(srv.URL+"/restricted/simple/", "alpha")
		if err != nil || len(got) != 1 || got[0] != "alpha-3.0" {
			t.Fatalf("allow-listed alpha: %v %v\n%s", got, err, out)
		}
		out, _, err = p.install(srv.URL+"/restricted/simple/", "beta")
		if err == nil || !strings.Contains(out, "No matching distribution found for beta") {
			t.Fatalf("beta installed from the restricted index: %v\n%s", err, out)
		}
		if code, body := get(t, srv.URL+"/restricted/simple/beta/"); code != 404 || !strings.Contains(body, `no project named "beta"`) {
			t.Fatalf("beta page: %d %s", code, body)
		}
		if code, _ := get(t, srv.URL+"/restricted/simple/beta/beta-1.0-py3-none-any.whl"); code != 404 {
			t.Fatalf("beta file: %d", code)
		}
	})
	t.Run("cooldown", func(t *testing.T) {
		t.Parallel()
		out, got, err := p.install(srv.URL+"/cool/simple/", "alpha")
		if err != nil || len(got) != 1 || got[0] != "alpha-2.0" {
			t.Fatalf("cooldown: installed %v, want alpha-2.0: %v\n%s", got, err, out)
		}
		if _, _, err := p.install(srv.URL+"/cool/simple/", "alpha==3.0"); err == nil {
			t.Fatal("the just-published alpha 3.0 was installable through the cooldown")
		}
		if code, _ := get(t, srv.URL+"/cool/simple/alpha/alpha-3.0-py3-none-any.whl"); code != 404 {
			t.Fatalf("direct request of the young file: %d, want 404", code)
		}
	})
	t.Run("snapshot", func(t *testing.T) {
		t.Parallel()
		out, got, err := p.install(srv.URL+"/snapshot/2025-01-15T00:00:00Z/simple/", "alpha")
		if err != nil || len(got) != 1 || got[0] != "alpha-1.0" {
			t.Fatalf("snapshot: installed %v, want alpha-1.0: %v\n%s", got, err, out)
		}
		if code, _ := get(t, srv.URL+"/snapshot/2025-01-15T00:00:00Z/simple/alpha/alpha-2.0-py3-none-any.whl"); code != 404 {
			t.Fatalf("a file from after the snapshot: %d, want 404", code)
		}
		if code, _ := get(t, srv.URL+"/snapshot/yesterday/simple/"); code != 404 {
			t.Fatalf("a bad instant: %d", code)
		}
	})
	t.Run("groups", func(t *testing.T) {
		t.Parallel()
		out, _, err := p.install(srv.URL+"/g/simple/", "acme-evil")
		if err == nil || !strings.Contains(out, "No matching distribution found for acme-evil") {
			t.Fatalf("a public acme-* project was installed: %v\n%s", err, out)
		}
		out, got, err := p.install(srv.URL+"/g/simple/", "beta")
		if err != nil || len(got) != 1 || got[0] != "beta-1.0" {
			t.Fatalf("beta: %v %v\n%s", got, err, out)
		}
	})
	t.Run("yank override", func(t *testing.T) {
		t.Parallel()
		if _, err := a.DB.AddYankOverride(context.Background(), store.YankOverride{Project: "alpha", Version: "3.0", Reason: "CVE-2025-0001", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		// the running server applies it within the overrides' cache time
		deadline := time.Now().Add(5 * time.Second)
		for {
			req, _ := http.NewRequest("GET", srv.URL+"/y/simple/alpha/", nil)
			req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), `"yanked":"CVE-2025-0001"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the override did not show: %s", b)
			}
			time.Sleep(200 * time.Millisecond)
		}
		out, got, err := p.install(srv.URL+"/y/simple/", "alpha")
		if err != nil || len(got) != 1 || got[0] != "alpha-2.0" {
			t.Fatalf("yanked 3.0: installed %v, want alpha-2.0: %v\n%s", got, err, out)
		}
	})
}
