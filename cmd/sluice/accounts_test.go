package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/store"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

func runStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestAccountCommands drives user, token and names as an operator would,
// on the configuration a running server would use.
func TestAccountCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "data_dir: "+filepath.Join(dir, "data")+"\nrepositories:\n  local: {type: hosted}\nindexes: [{path: /simple/, repository: local, upload: local}]\n")
	c := []string{"--config", cfg}

	if code, out, errOut := runStdin(t, "uploader-secret\n", append([]string{"user", "add", "alice", "--role", "admin", "--password-stdin"}, c...)...); code != 0 || out != "created user alice (role admin)\n" {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"uploader-secret", []string{"user", "add", "alice", "--password-stdin"}, "user alice already exists"},
		{"uploader-secret", []string{"user", "add", "bob", "--role", "owner", "--password-stdin"}, `role "owner"`},
		{"", []string{"user", "add", "bob", "--password-stdin"}, "no password"},
		{"short", []string{"user", "add", "bob", "--password-stdin"}, "shorter than 8"},
		{"uploader-secret", []string{"user", "add", "bob"}, "--password-stdin"},
		{"", []string{"token", "create", "--user", "nobody"}, "no user nobody"},
		{"", []string{"token", "create", "--user", "alice", "--expires", "soon"}, `--expires "soon"`},
		{"", []string{"token", "revoke", "0123456789abcdef"}, "no API token with id 0123456789abcdef"},
		{"", []string{"names", "allow", "not/a/name"}, "not/a/name"},
		{"", []string{"names", "remove", "never-allowed"}, "never-allowed"},
	} {
		code, out, errOut := runStdin(t, tc.stdin, append(tc.args, c...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 && code != 2 {
			t.Errorf("%v: %d %q %q; want a one-line error naming %q", tc.args, code, out, errOut, tc.want)
		}
	}

	code, out, errOut := runStdin(t, "", append([]string{"token", "create", "--user", "alice", "--project", "Acme_Lib", "--expires", "90d"}, c...)...)
	token := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(token, "sluice_") || strings.Contains(token, "\n") || !strings.Contains(errOut, "shown only this once") {
		t.Fatalf("token create: %d %q %q", code, out, errOut)
	}
	id := strings.Split(token, "_")[1]
	if code, out, _ := runStdin(t, "", append([]string{"token", "list"}, c...)...); code != 0 || !strings.Contains(out, id+"\talice\tacme-lib\texpires ") {
		t.Fatalf("token list: %d %q", code, out)
	}
	if code, _, _ := runStdin(t, "", append([]string{"token", "revoke", id}, c...)...); code != 0 {
		t.Fatal("token revoke")
	}
	if _, out, _ := runStdin(t, "", append([]string{"token", "list", "--user", "alice"}, c...)...); !strings.Contains(out, "revoked") {
		t.Fatalf("token list after revoke: %q", out)
	}

	if code, out, _ := runStdin(t, "", append([]string{"names", "allow", "acme-internal-utils", "Acme_*"}, c...)...); code != 0 || out != "allowed acme-internal-utils\nallowed acme-*\n" {
		t.Fatalf("names allow: %d %q", code, out)
	}
	if _, out, _ := runStdin(t, "", append([]string{"names", "list"}, c...)...); !strings.HasPrefix(out, "acme-*\tallowed ") || !strings.Contains(out, "acme-internal-utils\t") {
		t.Fatalf("names list: %q", out)
	}
	if code, _, _ := runStdin(t, "", append([]string{"names", "remove", "acme-*"}, c...)...); code != 0 {
		t.Fatal("names remove")
	}

	// every change is in the audit trail, by the operator
	db, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "data", "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events, _ := db.AuditEvents(context.Background(), "", 100)
	kinds := map[string]bool{}
	for _, e := range events {
		kinds[e.Event] = true
		if !strings.HasPrefix(e.Actor, "cli:") || e.ActorKind != "cli" {
			t.Errorf("event %s by %q (%s)", e.Event, e.Actor, e.ActorKind)
		}
	}
	for _, k := range []string{"user.created", "token.created", "token.revoked", "name.allowed", "name.disallowed"} {
		if !kinds[k] {
			t.Errorf("no %s event", k)
		}
	}
}

func TestProjectCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "data_dir: "+filepath.Join(dir, "data")+"\nrepositories:\n  local: {type: hosted}\nindexes: [{path: /simple/, repository: local, upload: local}]\n")
	c := []string{"--config", cfg}
	d := testpkg.Dist{Name: "Acme_Lib", Version: "1.0"}
	os.WriteFile(filepath.Join(dir, d.WheelName()), d.Wheel(), 0o600)
	os.WriteFile(filepath.Join(dir, d.SdistName()), d.Sdist(), 0o600)
	if code, out, _ := runStdin(t, "", append([]string{"import", filepath.Join(dir, d.WheelName()), filepath.Join(dir, d.SdistName())}, c...)...); code != 0 {
		t.Fatalf("import: %s", out)
	}
	runStdin(t, "pw-alice-secret", append([]string{"user", "add", "alice", "--password-stdin"}, c...)...)

	// imported projects have no owner until an operator names one
	if code, out, _ := runStdin(t, "", append([]string{"owner", "list", "acme-lib"}, c...)...); code != 0 || !strings.Contains(out, "has no owner") {
		t.Fatalf("owner list: %d %q", code, out)
	}
	if code, out, errOut := runStdin(t, "", append([]string{"owner", "add", "Acme.Lib", "alice"}, c...)...); code != 0 || !strings.HasPrefix(out, "alice\tadded ") {
		t.Fatalf("owner add: %d %q %q", code, out, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"owner", "add", "acme-lib", "nobody"}, "no user nobody"},
		{[]string{"owner", "add", "ghost", "alice"}, "no project 'ghost'"},
		{[]string{"owner", "remove", "acme-lib", "bob"}, "bob is not an owner"},
		{[]string{"yank", "acme-lib", "3.0"}, "no files of version 3.0"},
		{[]string{"yank", "--repository", "nope", "acme-lib", "1.0"}, `"nope"`},
		{[]string{"delete", "acme-lib", "other-1.0.tar.gz"}, "other-1.0.tar.gz is not a file of project 'acme-lib'"},
		{[]string{"yank", "x_", "1.0"}, "not a valid project name"},
	} {
		if code, _, errOut := runStdin(t, "", append(tc.args, c...)...); code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: %d %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
	if code, _, errOut := runStdin(t, "", append([]string{"yank", "acme-lib"}, c...)...); code != 2 || !strings.Contains(errOut, "usage") {
		t.Errorf("yank without a target: %d %q", code, errOut)
	}

	code, out, _ := runStdin(t, "", append([]string{"yank", "acme-lib", "1.0", "--reason", "CVE-2026-1"}, c...)...)
	if code != 0 || out != "yanked "+d.SdistName()+"\nyanked "+d.WheelName()+"\n" && out != "yanked "+d.WheelName()+"\nyanked "+d.SdistName()+"\n" {
		t.Fatalf("yank: %d %q", code, out)
	}
	db, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "data", "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if f, _ := db.FileByName(context.Background(), "local", d.WheelName()); !f.Yanked || f.YankReason != "CVE-2026-1" {
		t.Fatalf("after yank: %+v", f)
	}
	if code, out, _ := runStdin(t, "", append([]string{"unyank", "acme-lib", d.WheelName()}, c...)...); code != 0 || out != "unyanked "+d.WheelName()+"\n" {
		t.Fatalf("unyank: %d %q", code, out)
	}
	if f, _ := db.FileByName(context.Background(), "local", d.WheelName()); f.Yanked || f.YankReason != "" {
		t.Fatalf("after unyank: %+v", f)
	}
	if code, out, _ := runStdin(t, "", append([]string{"delete", "acme-lib", d.WheelName()}, c...)...); code != 0 || out != "deleted "+d.WheelName()+"\n" {
		t.Fatalf("delete: %d %q", code, out)
	}
	if _, err := db.FileByName(context.Background(), "local", d.WheelName()); err == nil {
		t.Fatal("the deleted file is still listed")
	}
	blobs, _ := filepath.Glob(filepath.Join(dir, "data", "blobs", "sha256", "*", "*", "*"))
	if len(blobs) != 1 {
		t.Fatalf("blobs left after deleting the wheel: %v (want the sdist's alone)", blobs)
	}

	runStdin(t, "pw-carol-secret", append([]string{"user", "add", "carol", "--password-stdin"}, c...)...)
	// without a GitLab configured, a gitlab: owner is refused and nothing changes
	if code, _, errOut := runStdin(t, "", append([]string{"owner", "transfer", "acme-lib", "carol", "gitlab:acme/ci"}, c...)...); code != 1 || !strings.Contains(errOut, "no GitLab is configured") {
		t.Fatalf("transfer to a gitlab owner: %d %q", code, errOut)
	}
	if code, out, _ := runStdin(t, "", append([]string{"owner", "transfer", "acme-lib", "carol"}, c...)...); code != 0 || !strings.HasPrefix(out, "carol\t") || strings.Contains(out, "alice") {
		t.Fatalf("transfer: %d %q", code, out)
	}
	if code, out, _ := runStdin(t, "", append([]string{"owner", "remove", "acme-lib", "carol"}, c...)...); code != 0 || !strings.Contains(out, "has no owner") {
		t.Fatalf("an operator orphans a project: %d %q", code, out)
	}
}
