package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/testpkg"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := runCmd(t, "version"); code != 0 || !strings.HasPrefix(out, "sluice ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, _, errOut := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t); code != 2 {
		t.Fatalf("no command: %d", code)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_CONFIG", "")
	code, out, _ := runCmd(t, "config", "check")
	if code != 0 || !strings.Contains(out, "embedded default") || !strings.Contains(out, "pypi (upstream) https://pypi.org/simple/") ||
		!strings.Contains(out, "index /simple/ (uploads at /legacy/ into local)") {
		t.Fatalf("default: %d\n%s", code, out)
	}
	bad := writeConfig(t, dir, "repositories:\n  main: {type: priority, sources: [local, nowhere]}\n  local: {type: hosted}\nindexes: [{path: /simple/, repository: main}]\n")
	code, _, errOut := runCmd(t, "config", "check", "--config", bad)
	if code != 1 || !strings.Contains(errOut, bad) || !strings.Contains(errOut, `"nowhere" is not defined`) {
		t.Fatalf("undefined source: %d %q", code, errOut)
	}
	cyc := writeConfig(t, dir, "repositories:\n  a: {type: priority, sources: [b]}\n  b: {type: merge, sources: [a]}\nindexes: [{path: /simple/, repository: a}]\n")
	if code, _, errOut := runCmd(t, "config", "check", "--config", cyc); code != 1 || !strings.Contains(errOut, "cycle") {
		t.Fatalf("cycle: %d %q", code, errOut)
	}
	unknownType := writeConfig(t, dir, "repositories:\n  a: {type: mirror}\nindexes: [{path: /simple/, repository: a}]\n")
	if code, _, errOut := runCmd(t, "config", "check", "--config", unknownType); code != 1 || !strings.Contains(errOut, `unknown type "mirror"`) {
		t.Fatalf("unknown type: %d %q", code, errOut)
	}
	// SLUICE_CONFIG is read when --config is absent
	t.Setenv("SLUICE_CONFIG", cyc)
	if code, _, _ := runCmd(t, "config", "check"); code != 1 {
		t.Fatalf("SLUICE_CONFIG not read: %d", code)
	}
	// a check creates nothing
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("config check wrote files: %v", entries)
	}
}

func TestImport(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "data_dir: "+filepath.Join(dir, "data")+"\nrepositories:\n  local: {type: hosted}\nindexes: [{path: /simple/, repository: local, upload: local}]\n")
	src := filepath.Join(dir, "src", "nested")
	os.MkdirAll(src, 0o750)
	d := testpkg.Dist{Name: "Acme_Lib", Version: "1.0"}
	os.WriteFile(filepath.Join(src, d.WheelName()), d.Wheel(), 0o600)
	os.WriteFile(filepath.Join(src, d.SdistName()), d.Sdist(), 0o600)
	os.WriteFile(filepath.Join(src, "README.txt"), []byte("not a distribution"), 0o600)

	code, out, errOut := runCmd(t, "import", "--config", cfg, filepath.Join(dir, "src"))
	if code != 0 || !strings.Contains(out, "imported  "+d.WheelName()) || !strings.Contains(out, "imported  "+d.SdistName()) ||
		!strings.Contains(out, "2 imported, 0 already present, 0 failed") {
		t.Fatalf("import dir: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "import", "--config", cfg, filepath.Join(src, d.WheelName()))
	if code != 0 || !strings.Contains(out, "0 imported, 1 already present") {
		t.Fatalf("re-import: %d\n%s", code, out)
	}
	junk := filepath.Join(dir, "acme_lib-2.0-py3-none-any.whl")
	os.WriteFile(junk, []byte("not a zip at all, just bytes"), 0o600)
	code, out, _ = runCmd(t, "import", "--config", cfg, junk)
	if code != 1 || !strings.Contains(out, "failed    acme_lib-2.0-py3-none-any.whl") || !strings.Contains(out, "1 failed") {
		t.Fatalf("corrupt: %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "import", "--config", cfg, filepath.Join(dir, "missing.whl"))
	if code != 1 || !strings.Contains(out, "missing.whl") {
		t.Fatalf("missing file: %d\n%s", code, out)
	}
	if code, _, errOut := runCmd(t, "import", "--config", cfg); code != 2 || !strings.Contains(errOut, "at least one") {
		t.Fatalf("no paths: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "import", "--config", cfg, "--repository", "nope", junk); code != 1 || !strings.Contains(errOut, `"nope"`) {
		t.Fatalf("unknown repository: %d %q", code, errOut)
	}
}
