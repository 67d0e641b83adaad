package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/sluice-pkg/sluice/internal/auth/authtest"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

// Deleting a file while an identical file (same bytes, same METADATA: a
// wheel re-published under a build tag) is being uploaded must not remove
// the blobs the new file refers to.
func TestDeleteRacingAnIdenticalUpload(t *testing.T) {
	e := authtest.New(t)
	alice, root := authtest.UserCred("alice"), authtest.UserCred("root")
	ctx := context.Background()
	for i := range 25 {
		version := fmt.Sprintf("1.%d", i)
		d := testpkg.Dist{Name: "zq-racing", Version: version}
		whl := d.Wheel()
		first := fmt.Sprintf("zq_racing-%s-py3-none-any.whl", version)
		second := fmt.Sprintf("zq_racing-%s-1-py3-none-any.whl", version)
		if u := e.UploadBytes(alice, "zq-racing", version, first, whl, d.Metadata()); u.Status != http.StatusOK {
			t.Fatalf("upload %s: %d %s", first, u.Status, u.Body)
		}
		var wg sync.WaitGroup
		var up authtest.Upload
		wg.Add(2)
		go func() {
			defer wg.Done()
			up = e.UploadBytes(alice, "zq-racing", version, second, whl, d.Metadata())
		}()
		go func() {
			defer wg.Done()
			if st, out := e.API(root, "DELETE", "/api/admin/projects/zq-racing/files/"+first, nil); st != http.StatusOK {
				t.Errorf("delete %s: %d %v", first, st, out)
			}
		}()
		wg.Wait()
		if up.Status != http.StatusOK {
			t.Fatalf("upload %s: %d %s", second, up.Status, up.Body)
		}
		for _, digest := range []string{up.SHA256, up.MetaSHA} {
			if _, err := e.Blobs.Stat(ctx, digest); err != nil {
				t.Fatalf("round %d: a blob of the new file %s is gone: %v", i, second, err)
			}
		}
	}
}
