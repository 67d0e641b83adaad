package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

func TestSnapshotRoutes(t *testing.T) {
	cfg, db, bs, _ := testStores(t, `data_dir: %s
repositories:
  local: {type: hosted}
indexes:
  - {path: /simple/, repository: local, snapshots: true}
  - {path: /plain/simple/, repository: local}
`)
	g, err := repository.Build(cfg, repository.Deps{Meta: db, Extracted: db, Blobs: bs, TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := g.Hosted("local")
	d := testpkg.Dist{Name: "Acme.Core", Version: "1.0"}
	if _, err := h.Publish(context.Background(), repository.Upload{Filename: d.WheelName(), Content: bytes.NewReader(d.Wheel())}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: cfg, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string, string) {
		t.Helper()
		r, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, r.Header.Get("Location"), string(b)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	code, _, body := get("/snapshot/" + future + "/simple/acme-core/")
	if want := "/snapshot/" + future + "/simple/acme-core/Acme_Core-1.0-py3-none-any.whl"; code != 200 || !strings.Contains(body, want) {
		t.Fatalf("page: %d, want a link to %s:\n%s", code, want, body)
	}
	if code, _, _ := get("/snapshot/" + future + "/simple/acme-core/Acme_Core-1.0-py3-none-any.whl"); code != 200 {
		t.Fatalf("file: %d", code)
	}
	if code, loc, _ := get("/snapshot/" + future + "/simple/Acme.Core/"); code != 301 || loc != "/snapshot/"+future+"/simple/acme-core/" {
		t.Fatalf("redirect: %d %q", code, loc)
	}
	if code, _, body := get("/snapshot/" + future + "/simple/"); code != 200 || !strings.Contains(body, "acme-core") {
		t.Fatalf("root: %d %s", code, body)
	}
	if code, _, _ := get("/snapshot/2020-01-01T00:00:00Z/simple/acme-core/"); code != 404 {
		t.Fatalf("before the upload: %d", code)
	}
	if code, _, _ := get("/snapshot/2020-01-01T00:00:00Z/simple/acme-core/Acme_Core-1.0-py3-none-any.whl"); code != 404 {
		t.Fatalf("file before the upload: %d", code)
	}
	if code, _, body := get("/snapshot/last-week/simple/"); code != 404 || !strings.Contains(body, "RFC 3339") {
		t.Fatalf("bad instant: %d %s", code, body)
	}
	if code, _, _ := get("/snapshot/" + future + "/plain/simple/acme-core/"); code != 404 {
		t.Fatalf("an index without snapshots: %d", code)
	}
}

func TestSwap(t *testing.T) {
	sw := NewSwap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "old") }))
	rec := httptest.NewRecorder()
	sw.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	sw.Store(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "new") }))
	rec2 := httptest.NewRecorder()
	sw.ServeHTTP(rec2, httptest.NewRequest("GET", "/", nil))
	if rec.Body.String() != "old" || rec2.Body.String() != "new" {
		t.Fatal(rec.Body.String(), rec2.Body.String())
	}
}
