package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/testpkg"
)

func TestYankOverrideAndExplain(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `data_dir: `+filepath.Join(dir, "data")+`
repositories:
  local: {type: hosted}
  yanks:
    type: yank
    source: local
    rules:
      - {project: "acme-*", version: "1.0", reason: "use 2.0"}
  main:
    type: filter
    source: yanks
    deny: [evil]
indexes:
  - path: /simple/
    repository: main
    upload: local
`)
	t.Setenv("SLUICE_CONFIG", cfg)
	for _, v := range []string{"1.0", "2.0"} {
		d := testpkg.Dist{Name: "acme-core", Version: v}
		p := filepath.Join(dir, d.WheelName())
		if err := os.WriteFile(p, d.Wheel(), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out, errOut := runCmd(t, "import", p); code != 0 {
			t.Fatalf("import: %s %s", out, errOut)
		}
	}
	code, out, errOut := runCmd(t, "yank-override", "set", "acme-core", "--version", ">=2", "--reason", "CVE-2025-1")
	if code != 0 || !strings.Contains(out, "set override #1") || !strings.Contains(errOut, `"event":"yank_override.set"`) {
		t.Fatalf("set: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "yank-override", "set", "acme-core", "--version", ">>2", "--reason", "x"); code != 1 || !strings.Contains(errOut, ">>2") {
		t.Fatalf("bad version: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "yank-override", "set", "acme-core"); code != 1 || !strings.Contains(errOut, "--reason is required") {
		t.Fatalf("no reason: %d %q", code, errOut)
	}
	if code, out, _ := runCmd(t, "yank-override", "list"); code != 0 || !strings.Contains(out, "#1\tproject acme-core version >=2") {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, errOut = runCmd(t, "explain", "Acme_Core")
	if code != 0 || !strings.Contains(out, "main (filter): 2 files (2 yanked)") ||
		!strings.Contains(out, `yanked acme_core-1.0-py3-none-any.whl: rule 1: "use 2.0"`) ||
		!strings.Contains(out, `yanked acme_core-2.0-py3-none-any.whl: override #1 by cli:`) ||
		!strings.Contains(out, "local (hosted): 2 files") {
		t.Fatalf("explain: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "explain", "acme-core", "acme_core-2.0-py3-none-any.whl")
	if code != 0 || strings.Contains(out, "1.0-py3") || !strings.Contains(out, `result: acme_core-2.0-py3-none-any.whl is served but yanked ("CVE-2025-1")`) {
		t.Fatalf("explain FILE: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, "explain", "evil"); code != 0 || !strings.Contains(out, `hid project: denied by pattern "evil"`) {
		t.Fatalf("explain evil: %d %q", code, out)
	}
	if code, out, errOut := runCmd(t, "yank-override", "clear", "1"); code != 0 || !strings.Contains(out, "cleared override #1") || !strings.Contains(errOut, "yank_override.cleared") {
		t.Fatalf("clear: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "yank-override", "clear", "1"); code != 1 || !strings.Contains(errOut, "no override #1") {
		t.Fatalf("clear again: %d %q", code, errOut)
	}
}

// TestServeReload changes the file under a running server: a valid change
// takes effect on SIGHUP, an invalid one is refused and the old graph keeps
// serving.
func TestServeReload(t *testing.T) {
	dir := t.TempDir()
	base := "data_dir: " + filepath.Join(dir, "data") + "\nlisten: 127.0.0.1:0\nrepositories:\n  local: {type: hosted}\n"
	cfg := writeConfig(t, dir, base+"indexes:\n  - {path: /simple/, repository: local}\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- cmdServe(ctx, []string{"--config", cfg}, pw) }()
	lines := make(chan map[string]any, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				select {
				case lines <- m:
				default:
				}
			}
		}
	}()
	waitEvent := func(event string) map[string]any {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case m := <-lines:
				if m["event"] == event {
					return m
				}
			case <-timeout:
				t.Fatalf("no %s log line", event)
			}
		}
	}
	addr := waitEvent("server.start")["listen"].(string)
	status := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status("/other/simple/") != 404 || status("/simple/") != 200 {
		t.Fatal("unexpected routes before the reload")
	}
	writeConfig(t, dir, base+"indexes:\n  - {path: /simple/, repository: local}\n  - {path: /other/simple/, repository: local}\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitEvent("config.reloaded")
	if status("/other/simple/") != 200 {
		t.Fatal("the new index is not served after the reload")
	}
	writeConfig(t, dir, base+"indexes:\n  - {path: /simple/, repository: nowhere}\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	if m := waitEvent("config.reload_failed"); !strings.Contains(m["error"].(string), "nowhere") {
		t.Fatalf("reload error: %v", m)
	}
	if status("/other/simple/") != 200 || status("/simple/") != 200 {
		t.Fatal("the old graph stopped serving after an invalid file")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pw.Close()
}
