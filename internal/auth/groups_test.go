package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/auth/authtest"
)

// A package group that blocks publishing refuses the upload with 403 and
// names the group, for every identity, admins included, and stores nothing.
func TestGroupBlocksUpload(t *testing.T) {
	e := authtest.New(t, authtest.WithGroups(`[{pattern: "vendor-*", publish: block}]`))
	for _, who := range []string{"alice", "root"} {
		u := e.Upload(authtest.UserCred(who), "vendor-patched-lib")
		if u.Status != http.StatusForbidden || !strings.Contains(u.Body, `package group "vendor-*"`) {
			t.Fatalf("%s: upload into a blocked group: %d %q", who, u.Status, u.Body)
		}
		if err := e.NothingOf("vendor-patched-lib"); err != nil {
			t.Fatal(err)
		}
	}
	if u := e.Upload(authtest.UserCred("alice"), "zq-group-allowed"); u.Status != http.StatusOK {
		t.Fatalf("upload outside the group: %d %q", u.Status, u.Body)
	}
}
