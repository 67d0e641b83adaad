package admin_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/auth/authtest"
)

func TestYankOverrideAPI(t *testing.T) {
	e := authtest.New(t)
	root, alice := authtest.UserCred("root"), authtest.UserCred("alice")
	body := map[string]string{"project": "urllib3", "version": ">=2.0,<2.0.7", "reason": "CVE-2023-45803"}
	if st, out := e.API(alice, "POST", "/api/admin/yank-overrides", body); st != http.StatusForbidden {
		t.Fatalf("an uploader set an override: %d %v", st, out)
	}
	if st, out := e.API(root, "POST", "/api/admin/yank-overrides", map[string]string{"project": "urllib3"}); st != http.StatusBadRequest || !strings.Contains(authtest.ErrorOf(out), "reason") {
		t.Fatalf("override without a reason: %d %v", st, out)
	}
	if st, out := e.API(root, "POST", "/api/admin/yank-overrides", map[string]string{"project": "x", "version": "not a spec", "reason": "r"}); st != http.StatusBadRequest {
		t.Fatalf("override with a bad version: %d %v", st, out)
	}
	st, out := e.API(root, "POST", "/api/admin/yank-overrides", body)
	if st != http.StatusOK || out["reason"] != "CVE-2023-45803" {
		t.Fatalf("set: %d %v", st, out)
	}
	id := int64(out["id"].(float64))
	rows, err := e.DB.YankOverrides(context.Background())
	if err != nil || len(rows) != 1 || rows[0].ID != id || rows[0].CreatedBy != "root" {
		t.Fatalf("stored: %+v %v", rows, err)
	}
	if st, out := e.API(root, "GET", "/api/admin/yank-overrides", nil); st != http.StatusOK || len(out["yank_overrides"].([]any)) != 1 {
		t.Fatalf("list: %d %v", st, out)
	}
	if n := e.AuditCount("yank_override.set"); n != 1 {
		t.Fatalf("%d audit rows for the set", n)
	}
	if st, _ := e.API(root, "DELETE", "/api/admin/yank-overrides/"+strconv.FormatInt(id, 10), nil); st != http.StatusOK {
		t.Fatalf("clear: %d", st)
	}
	if st, _ := e.API(root, "DELETE", "/api/admin/yank-overrides/"+strconv.FormatInt(id, 10), nil); st != http.StatusNotFound {
		t.Fatalf("second clear: %d", st)
	}
	if n := e.AuditCount("yank_override.cleared"); n != 1 {
		t.Fatalf("%d audit rows for the clear", n)
	}
}

func TestExplainAPI(t *testing.T) {
	e := authtest.New(t)
	e.Svc.Explain = func(ctx context.Context, index, project, file string) (string, error) {
		return "index " + index + " project " + project + " file " + file, nil
	}
	if st, _ := e.API(authtest.UserCred("alice"), "GET", "/api/admin/explain?project=x", nil); st != http.StatusForbidden {
		t.Fatalf("uploader: %d", st)
	}
	if st, _ := e.API(authtest.UserCred("root"), "GET", "/api/admin/explain?project=-bad-", nil); st != http.StatusBadRequest {
		t.Fatalf("bad name: %d", st)
	}
	st, out := e.API(authtest.UserCred("root"), "GET", "/api/admin/explain?index=/simple/&project=Alpha_Lib&file=a.whl", nil)
	if st != http.StatusOK || out["explain"] != "index /simple/ project alpha-lib file a.whl" {
		t.Fatalf("explain: %d %v", st, out)
	}
}
