package server

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/store"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

// openGate lets everyone upload: the authorisation rules are tested with
// the real gate in package auth; this test is about the transport.
type openGate struct{}

func (openGate) Authenticate(*http.Request) (Identity, error) {
	return Identity{Kind: "user", Name: "t", Role: "uploader"}, nil
}
func (openGate) AuthorizeUpload(context.Context, Identity, string, string) error    { return nil }
func (openGate) Published(context.Context, Identity, store.File, string)            {}
func (openGate) Refused(context.Context, *Identity, string, string, string, string) {}

// A client that stalls in the middle of an upload is cut off after the
// idle limit, and nothing of its upload stays behind.
func TestStalledUploadIsCutOff(t *testing.T) {
	cfg, db, bs, dir := testStores(t, "data_dir: %s\nrepositories:\n  local: {type: hosted}\nindexes: [{path: /simple/, repository: local, upload: local}]\n")
	spool := filepath.Join(dir, "tmp")
	os.MkdirAll(spool, 0o750)
	g, err := repository.Build(cfg, repository.Deps{Meta: db, Blobs: bs, TmpDir: spool})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: cfg, Graph: g, Gate: openGate{}, UploadIdle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	d := testpkg.Dist{Name: "slow", Version: "1.0"}
	whl := d.Wheel()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField(":action", "file_upload")
		part, _ := mw.CreateFormFile("content", d.WheelName())
		part.Write(whl[:len(whl)/2])
		time.Sleep(3 * time.Second) // stall
		part.Write(whl[len(whl)/2:])
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/legacy/", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("the stalled upload was accepted: %s", body)
		}
	}
	if time.Since(start) > 2500*time.Millisecond {
		t.Fatalf("the stalled upload was not cut off (took %v)", time.Since(start))
	}
	time.Sleep(100 * time.Millisecond) // the handler cleans up as it returns
	if names, _ := db.ProjectNames(context.Background(), "local"); len(names) != 0 {
		t.Fatalf("stored after a stall: %v", names)
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Fatalf("spool files left: %d", len(left))
	}
}
