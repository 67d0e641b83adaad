package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/auth/authtest"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

var (
	root  = authtest.UserCred("root")
	alice = authtest.UserCred("alice")
	rita  = authtest.UserCred("rita")
)

// page reads a project's page in one format.
func page(t *testing.T, e *authtest.Env, project, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/simple/"+project+"/", nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReleaseYankAndDelete: a release is yanked, un-yanked and deleted as
// a whole, and both page formats show it at once.
func TestReleaseYankAndDelete(t *testing.T) {
	e := authtest.New(t)
	d := testpkg.Dist{Name: "zq-rel", Version: "2.0"}
	whl := e.UploadBytes(alice, "zq-rel", "2.0", d.WheelName(), d.Wheel(), d.Metadata())
	sdist := e.UploadBytes(alice, "zq-rel", "2.0", d.SdistName(), d.Sdist(), d.Metadata())
	other := e.MustUpload(alice, "zq-rel")
	if whl.Status != http.StatusOK || sdist.Status != http.StatusOK {
		t.Fatalf("uploads: %d %s / %d %s", whl.Status, whl.Body, sdist.Status, sdist.Body)
	}

	status, out := e.API(alice, "POST", "/api/admin/projects/Zq_Rel/releases/2.0.0/yank", map[string]string{"reason": "broken \"build\" <b>"})
	if files, _ := out["files"].([]any); status != http.StatusOK || len(files) != 2 {
		t.Fatalf("yank release: %d %v", status, out)
	}
	_, js := page(t, e, "zq-rel", "application/vnd.pypi.simple.v1+json")
	var p struct {
		Files []struct {
			Filename string `json:"filename"`
			Yanked   any    `json:"yanked"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		want := any(false)
		if f.Filename != other.Filename {
			want = `broken "build" <b>`
		}
		if f.Yanked != want && !(want == false && f.Yanked == nil) {
			t.Errorf("JSON: %s yanked = %v, want %v", f.Filename, f.Yanked, want)
		}
	}
	if _, html := page(t, e, "zq-rel", "text/html"); strings.Count(html, "data-yanked=") != 2 || !strings.Contains(html, "&lt;b&gt;") {
		t.Errorf("HTML does not show the two yanks (escaped):\n%s", html)
	}

	if status, out := e.API(alice, "POST", "/api/admin/projects/zq-rel/releases/2.0/unyank", nil); status != http.StatusOK {
		t.Fatalf("unyank: %d %v", status, out)
	}
	if _, html := page(t, e, "zq-rel", "text/html"); strings.Contains(html, "data-yanked") {
		t.Errorf("still yanked after unyank:\n%s", html)
	}

	status, out = e.API(alice, "DELETE", "/api/admin/projects/zq-rel/releases/2.0", nil)
	if deleted, _ := out["deleted"].([]any); status != http.StatusOK || len(deleted) != 2 {
		t.Fatalf("delete release: %d %v", status, out)
	}
	for _, u := range []authtest.Upload{whl, sdist} {
		if row, blobs := e.Stored(u); row || blobs {
			t.Errorf("%s: row %v, blobs %v after deletion", u.Filename, row, blobs)
		}
	}
	if row, blobs := e.Stored(other); !row || !blobs {
		t.Fatal("deleting one release touched another")
	}
	// the name stays in-house, and owned
	if got := e.Owners("zq-rel"); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("owners after deletion: %v", got)
	}
	if status, _ := e.API(alice, "DELETE", "/api/admin/projects/zq-rel/releases/2.0", nil); status != http.StatusNotFound {
		t.Fatalf("second delete: %d", status)
	}
	if e.AuditCount("file.deleted") != 2 || e.AuditCount("file.yanked") != 2 || e.AuditCount("file.unyanked") != 2 {
		t.Fatal("yanks and deletions are not audited one event per file")
	}
}

func TestOwnershipAPI(t *testing.T) {
	e := authtest.New(t)
	f := e.MustUpload(alice, "zq-team")

	// anyone authenticated may see who to ask
	status, out := e.API(rita, "GET", "/api/admin/projects/zq-team/owners", nil)
	if owners, _ := out["owners"].([]any); status != http.StatusOK || len(owners) != 1 || owners[0].(map[string]any)["owner"] != "alice" {
		t.Fatalf("owners: %d %v", status, out)
	}
	for _, bad := range []struct {
		owner string
		want  string
	}{{"nobody", "no user nobody"}, {"oidc:unknown", "no trusted publisher"}, {"gitlab:../x", "not a GitLab project path"}, {"svn:x", "gitlab:PATH"}} {
		if status, out := e.API(alice, "POST", "/api/admin/projects/zq-team/owners", map[string]string{"owner": bad.owner}); status != http.StatusBadRequest || !strings.Contains(authtest.ErrorOf(out), bad.want) {
			t.Errorf("owner %q: %d %v", bad.owner, status, out)
		}
	}
	// a CI project as co-owner can then publish
	if status, out := e.API(alice, "POST", "/api/admin/projects/zq-team/owners", map[string]string{"owner": "gitlab:acme/ci"}); status != http.StatusOK {
		t.Fatalf("add gitlab owner: %d %v", status, out)
	}
	e.MustUpload(authtest.JobToken("job-acme-ci"), "zq-team")
	if status, _ := e.API(alice, "DELETE", "/api/admin/projects/zq-team/owners/gitlab:acme/ci", nil); status != http.StatusOK {
		t.Fatalf("remove gitlab owner: %d", status)
	}
	if u := e.Upload(authtest.JobToken("job-acme-ci"), "zq-team"); u.Status != http.StatusForbidden {
		t.Fatalf("removed owner uploads: %d", u.Status)
	}
	// an owner cannot orphan a project; an admin can
	status, out = e.API(alice, "DELETE", "/api/admin/projects/zq-team/owners/alice", nil)
	if status != http.StatusConflict || !strings.Contains(authtest.ErrorOf(out), "last owner") {
		t.Fatalf("remove last owner: %d %v", status, out)
	}
	// transfer hands the project over entirely
	if status, out := e.API(alice, "POST", "/api/admin/projects/zq-team/transfer", map[string][]string{"owners": {"carol"}}); status != http.StatusOK {
		t.Fatalf("transfer: %d %v", status, out)
	}
	if got := e.Owners("zq-team"); !slices.Equal(got, []string{"carol"}) {
		t.Fatalf("owners after transfer: %v", got)
	}
	if status, _ := e.API(alice, "POST", "/api/admin/projects/zq-team/files/"+f.Filename+"/yank", nil); status != http.StatusForbidden {
		t.Fatalf("former owner yanks: %d", status)
	}
	if status, _ := e.API(root, "DELETE", "/api/admin/projects/zq-team/owners/carol", nil); status != http.StatusOK {
		t.Fatalf("admin orphans: %d", status)
	}
	if got := e.Owners("zq-team"); len(got) != 0 {
		t.Fatalf("owners %v", got)
	}
	if status, _ := e.API(root, "POST", "/api/admin/projects/zq-nothing/owners", map[string]string{"owner": "alice"}); status != http.StatusNotFound {
		t.Fatalf("owner of an unknown project: %d", status)
	}
	if e.AuditCount("project.transferred") != 1 || e.AuditCount("owner.removed") != 2 {
		t.Fatal("ownership changes not audited")
	}
}

func TestNamesAndAuditAPI(t *testing.T) {
	e := authtest.New(t)
	if status, _ := e.API(alice, "POST", "/api/admin/names", map[string][]string{"patterns": {"acme-*"}}); status != http.StatusForbidden {
		t.Fatalf("uploader allows a name: %d", status)
	}
	if status, out := e.API(root, "POST", "/api/admin/names", map[string][]string{"patterns": {"acme-*", "bad/pattern"}}); status != http.StatusBadRequest || !strings.Contains(authtest.ErrorOf(out), "bad/pattern") {
		t.Fatalf("bad pattern: %d %v", status, out)
	}
	status, out := e.API(root, "POST", "/api/admin/names", map[string][]string{"patterns": {"Acme_*"}})
	if list, _ := out["allowances"].([]any); status != http.StatusOK || len(list) != 1 || list[0].(map[string]any)["pattern"] != "acme-*" {
		t.Fatalf("allow: %d %v", status, out)
	}
	e.MustUpload(alice, "acme-public")
	if status, _ := e.API(root, "DELETE", "/api/admin/names/acme-*", nil); status != http.StatusOK {
		t.Fatalf("disallow: %d", status)
	}
	if status, _ := e.API(root, "DELETE", "/api/admin/names/acme-*", nil); status != http.StatusNotFound {
		t.Fatalf("disallow twice: %d", status)
	}

	if status, _ := e.API(alice, "GET", "/api/admin/audit", nil); status != http.StatusForbidden {
		t.Fatalf("uploader reads the audit trail: %d", status)
	}
	status, out = e.API(root, "GET", "/api/admin/audit?project=acme-public&limit=5", nil)
	events, _ := out["events"].([]any)
	if status != http.StatusOK || len(events) == 0 {
		t.Fatalf("audit: %d %v", status, out)
	}
	first := events[len(events)-1].(map[string]any)
	if first["event"] != "upload.accepted" || first["actor"] != "alice" || first["remote"] == "" || first["at"] == "" {
		t.Fatalf("oldest event of acme-public: %v", first)
	}
	if status, _ := e.API(root, "GET", "/api/admin/audit?limit=x", nil); status != http.StatusBadRequest {
		t.Fatalf("bad limit: %d", status)
	}
}

func TestAPIErrors(t *testing.T) {
	e := authtest.New(t)
	f := e.MustUpload(alice, "zq-errs")
	for _, tc := range []struct {
		cred   authtest.Cred
		method string
		path   string
		body   any
		status int
		want   string
	}{
		{authtest.Anonymous, "GET", "/api/admin/names", nil, http.StatusUnauthorized, "Authentication required"},
		{authtest.Basic("alice", "nope"), "GET", "/api/admin/projects/zq-errs/owners", nil, http.StatusUnauthorized, "wrong user name or password"},
		{alice, "GET", "/api/admin/nothing", nil, http.StatusNotFound, "no such admin API route"},
		{alice, "POST", "/api/admin/projects/zq-errs/owners", "not an object", http.StatusBadRequest, "JSON"},
		{alice, "POST", "/api/admin/projects/-bad-/files/x.whl/yank", nil, http.StatusBadRequest, "not a valid project name"},
		{alice, "POST", "/api/admin/projects/zq-errs/files/zq_errs-9.9-py3-none-any.whl/yank", nil, http.StatusNotFound, "is not a file of project"},
		{alice, "POST", "/api/admin/projects/zq-other/files/" + f.Filename + "/yank", nil, http.StatusForbidden, "not an owner"},
		{root, "POST", "/api/admin/projects/zq-other/files/" + f.Filename + "/yank", nil, http.StatusNotFound, "is not a file of project 'zq-other'"},
		{alice, "DELETE", "/api/admin/projects/zq-errs/releases/not..a..version", nil, http.StatusBadRequest, "valid version"},
		{alice, "DELETE", "/api/admin/projects/zq-errs/releases/1.0?repository=nope", nil, http.StatusNotFound, "nope"},
		{rita, "POST", "/api/admin/projects/zq-errs/files/" + f.Filename + "/yank", nil, http.StatusForbidden, "role reader"},
	} {
		status, out := e.API(tc.cred, tc.method, tc.path, tc.body)
		if status != tc.status || !strings.Contains(authtest.ErrorOf(out), tc.want) {
			t.Errorf("%s %s: %d %v; want %d %q", tc.method, tc.path, status, out, tc.status, tc.want)
		}
	}
	if row, _ := e.Stored(f); !row {
		t.Fatal("a refused call changed the file")
	}
	if n := e.AuditCount("admin.refused"); n != 2 {
		t.Fatalf("%d admin.refused events, want 2 (the 403s)", n)
	}
	ff, _ := e.DB.FileByName(context.Background(), "local", f.Filename)
	if ff.Yanked {
		t.Fatal("a refused yank yanked")
	}
}
