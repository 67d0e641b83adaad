package repository

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/store"
	"github.com/sluice-pkg/sluice/internal/testpkg"
)

type hostedFixture struct {
	h       *Hosted
	db      *store.DB
	blobDir string
	tmpDir  string
}

func newHosted(t *testing.T, cfg HostedConfig) *hostedFixture {
	t.Helper()
	dir := t.TempDir()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	return &hostedFixture{h: NewHosted("local", cfg, db, bs, tmp), db: db, blobDir: filepath.Join(dir, "blobs"), tmpDir: tmp}
}

// files lists every regular file under dir.
func files(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// assertEmpty checks that nothing at all is stored: no rows, no blobs, no
// spooled temporary files.
func (f *hostedFixture) assertEmpty(t *testing.T) {
	t.Helper()
	names, err := f.db.ProjectNames(context.Background(), "local")
	if err != nil || len(names) != 0 {
		t.Errorf("projects after refusal: %v %v", names, err)
	}
	if left := files(t, filepath.Join(f.blobDir, "sha256")); len(left) != 0 {
		t.Errorf("blobs after refusal: %v", left)
	}
	if left := files(t, filepath.Join(f.blobDir, "tmp")); len(left) != 0 {
		t.Errorf("blob temporary files after refusal: %v", left)
	}
	if left := files(t, f.tmpDir); len(left) != 0 {
		t.Errorf("spooled files after refusal: %v", left)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPublishAndServe(t *testing.T) {
	ctx := context.Background()
	f := newHosted(t, HostedConfig{})
	d := testpkg.Dist{Name: "Acme_Internal.Utils", Version: "1.0", RequiresPython: ">=3.8", Requires: []string{"alpha-lib>=1.0"}}
	whl, sdist := d.Wheel(), d.Sdist()
	for _, up := range []Upload{
		{Filename: d.WheelName(), Content: bytes.NewReader(whl), SHA256: sha(whl), Name: "acme-internal-utils", Version: "1.0"},
		{Filename: d.SdistName(), Content: bytes.NewReader(sdist)},
	} {
		if _, err := f.h.Publish(ctx, up); err != nil {
			t.Fatalf("Publish(%s): %v", up.Filename, err)
		}
	}
	page, err := f.h.Project(ctx, "acme-internal-utils")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Files) != 2 || len(page.Versions) != 1 || page.Versions[0] != "1.0" {
		t.Fatalf("page = %+v", page)
	}
	w := page.Find(d.WheelName())
	if w == nil || w.SHA256() != sha(whl) || w.Size != int64(len(whl)) || w.RequiresPython != ">=3.8" || w.UploadTime.IsZero() {
		t.Fatalf("wheel entry = %+v", w)
	}
	if w.CoreMetadata["sha256"] != sha(d.Metadata()) {
		t.Fatalf("core-metadata hash %q, want the METADATA's %q", w.CoreMetadata["sha256"], sha(d.Metadata()))
	}
	if s := page.Find(d.SdistName()); s == nil || s.HasMetadata() {
		t.Fatalf("sdist entry = %+v (sdists get no PEP 658 file)", s)
	}
	for name, want := range map[string][]byte{d.WheelName(): whl, d.WheelName() + ".metadata": d.Metadata(), d.SdistName(): sdist} {
		res, err := f.h.Resource(ctx, "acme-internal-utils", name)
		if err != nil {
			t.Fatalf("Resource(%s): %v", name, err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !bytes.Equal(got, want) || res.SHA256 != sha(want) {
			t.Fatalf("Resource(%s) = %d bytes (sha %s), want %d", name, len(got), res.SHA256, len(want))
		}
	}
	// a resource is found only under its own project
	if _, err := f.h.Resource(ctx, "other-project", d.WheelName()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Resource under another project: %v", err)
	}
	if _, err := f.h.Resource(ctx, "acme-internal-utils", d.SdistName()+".metadata"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("sdist metadata: %v", err)
	}
	if _, err := f.h.Project(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
	names, _ := f.h.Projects(ctx)
	if len(names) != 1 || names[0] != "acme-internal-utils" {
		t.Fatalf("Projects = %v", names)
	}
}

func TestPublishDuplicates(t *testing.T) {
	ctx := context.Background()
	f := newHosted(t, HostedConfig{})
	d := testpkg.Dist{Name: "dup", Version: "1.0"}
	whl := d.Wheel()
	if _, err := f.h.Publish(ctx, Upload{Filename: d.WheelName(), Content: bytes.NewReader(whl)}); err != nil {
		t.Fatal(err)
	}
	var pe *PublishError
	_, err := f.h.Publish(ctx, Upload{Filename: d.WheelName(), Content: bytes.NewReader(whl)})
	if !errors.As(err, &pe) || pe.Kind != Exists || !strings.Contains(pe.Msg, "already exists") {
		t.Fatalf("identical re-upload: %v", err)
	}
	other := testpkg.Dist{Name: "dup", Version: "1.0", Payload: "# different"}.Wheel()
	_, err = f.h.Publish(ctx, Upload{Filename: d.WheelName(), Content: bytes.NewReader(other)})
	if !errors.As(err, &pe) || pe.Kind != Conflict || !strings.Contains(pe.Msg, "already exists") {
		t.Fatalf("conflicting re-upload: %v", err)
	}
	res, err := f.h.Resource(ctx, "dup", d.WheelName())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, whl) {
		t.Fatal("the original file was replaced")
	}
}

func wheelWith(entries map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range entries {
		w, _ := zw.Create(name)
		io.WriteString(w, data)
	}
	zw.Close()
	return buf.Bytes()
}

func TestPublishRefusalsStoreNothing(t *testing.T) {
	good := testpkg.Dist{Name: "pkg", Version: "1.0"}
	whl := good.Wheel()
	meta := func(name, version string) string {
		return "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
	}
	wheelInfo := "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	cases := []struct {
		name string
		up   Upload
		cfg  HostedConfig
		kind PublishErrorKind
		want string
	}{
		{"not a distribution name", Upload{Filename: "setup.py", Content: strings.NewReader("x")}, HostedConfig{}, Invalid, "setup.py"},
		{"path in file name", Upload{Filename: "../pkg-1.0-py3-none-any.whl", Content: bytes.NewReader(whl)}, HostedConfig{}, Invalid, ""},
		{"bad version", Upload{Filename: "pkg-1.0.x.y.z-py3-none-any.whl", Content: bytes.NewReader(whl)}, HostedConfig{}, Invalid, "version"},
		{"corrupt wheel", Upload{Filename: good.WheelName(), Content: strings.NewReader(strings.Repeat("garbage", 500))}, HostedConfig{}, Invalid, good.WheelName()},
		{"empty file", Upload{Filename: good.WheelName(), Content: strings.NewReader("")}, HostedConfig{}, Invalid, "empty"},
		{"metadata names another project", Upload{Filename: "pkg-1.0-py3-none-any.whl", Content: bytes.NewReader(
			testpkg.Dist{Name: "pkg", Version: "1.0", RawMetadata: []byte(meta("other", "1.0"))}.Wheel())}, HostedConfig{}, Invalid, "other"},
		{"metadata has another version", Upload{Filename: "pkg-1.0-py3-none-any.whl", Content: bytes.NewReader(
			testpkg.Dist{Name: "pkg", Version: "1.0", RawMetadata: []byte(meta("pkg", "2.0"))}.Wheel())}, HostedConfig{}, Invalid, "2.0"},
		{"sdist metadata names another project", Upload{Filename: "pkg-1.0.tar.gz", Content: bytes.NewReader(
			testpkg.Dist{Name: "pkg", Version: "1.0", RawMetadata: []byte(meta("other", "1.0"))}.Sdist())}, HostedConfig{}, Invalid, "other"},
		{"metadata is garbage", Upload{Filename: "pkg-1.0-py3-none-any.whl", Content: bytes.NewReader(
			testpkg.Dist{Name: "pkg", Version: "1.0", RawMetadata: []byte("\x00\x01 not metadata")}.Wheel())}, HostedConfig{}, Invalid, "metadata"},
		{"path trick inside the wheel", Upload{Filename: "pkg-1.0-py3-none-any.whl", Content: bytes.NewReader(wheelWith(map[string]string{
			"pkg-1.0.dist-info/METADATA": meta("pkg", "1.0"), "pkg-1.0.dist-info/WHEEL": wheelInfo, "pkg-1.0.dist-info/RECORD": "", "../../evil.py": "x"}))}, HostedConfig{}, Invalid, ""},
		{"form name disagrees", Upload{Filename: good.WheelName(), Content: bytes.NewReader(whl), Name: "other"}, HostedConfig{}, Invalid, "other"},
		{"form version disagrees", Upload{Filename: good.WheelName(), Content: bytes.NewReader(whl), Version: "1.1"}, HostedConfig{}, Invalid, "1.1"},
		{"sha256 digest disagrees", Upload{Filename: good.WheelName(), Content: bytes.NewReader(whl), SHA256: sha([]byte("x"))}, HostedConfig{}, Invalid, "sha256"},
		{"md5 digest disagrees", Upload{Filename: good.WheelName(), Content: bytes.NewReader(whl), MD5: "00000000000000000000000000000000"}, HostedConfig{}, Invalid, "md5"},
		{"too large", Upload{Filename: good.WheelName(), Content: bytes.NewReader(whl)}, HostedConfig{MaxFileSize: 100}, TooLarge, "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newHosted(t, tc.cfg)
			_, err := f.h.Publish(context.Background(), tc.up)
			var pe *PublishError
			if !errors.As(err, &pe) || pe.Kind != tc.kind {
				t.Fatalf("Publish = %v, want a refusal of kind %d", err, tc.kind)
			}
			if !strings.Contains(pe.Msg, tc.want) {
				t.Fatalf("message %q does not mention %q", pe.Msg, tc.want)
			}
			f.assertEmpty(t)
		})
	}
}

// A client that hangs up mid-upload leaves nothing behind either.
func TestPublishBrokenStream(t *testing.T) {
	f := newHosted(t, HostedConfig{})
	d := testpkg.Dist{Name: "pkg", Version: "1.0"}
	r := io.MultiReader(bytes.NewReader(d.Wheel()[:100]), errReader{})
	if _, err := f.h.Publish(context.Background(), Upload{Filename: d.WheelName(), Content: r}); err == nil {
		t.Fatal("Publish of a broken stream succeeded")
	}
	f.assertEmpty(t)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// Deleting every file of an in-house project must not hand its name to a
// public project: the page stays, empty, and priority does not fall through.
// A deleted file's name cannot be used again, whatever the bytes.
func TestDeletedProjectStaysInHouse(t *testing.T) {
	ctx := context.Background()
	f := newHosted(t, HostedConfig{})
	d := testpkg.Dist{Name: "acme-secret", Version: "1.0"}
	whl := d.Wheel()
	if _, err := f.h.Publish(ctx, Upload{Filename: d.WheelName(), Content: bytes.NewReader(whl)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.Project(ctx, "acme-secret"); err != nil { // warm the page cache
		t.Fatal(err)
	}
	if _, err := f.db.DeleteFile(ctx, "local", d.WheelName()); err != nil {
		t.Fatal(err)
	}
	public := newMem("public", map[string][]string{"acme-secret": {"acme-secret-99.0.tar.gz"}})
	p := &Priority{Sources: []Repository{f.h, public}}
	page, err := p.Project(ctx, "acme-secret")
	if err != nil || len(page.Files) != 0 {
		t.Fatalf("after deleting every file: %v, %v; want an empty in-house page", fileNames(page), err)
	}
	if names, _ := f.h.Projects(ctx); len(names) != 1 {
		t.Fatalf("Projects after delete = %v", names)
	}
	var pe *PublishError
	for _, content := range [][]byte{whl, testpkg.Dist{Name: "acme-secret", Version: "1.0", Payload: "# other"}.Wheel()} {
		_, err := f.h.Publish(ctx, Upload{Filename: d.WheelName(), Content: bytes.NewReader(content)})
		if !errors.As(err, &pe) || pe.Kind != Conflict || !strings.Contains(pe.Msg, "was deleted") {
			t.Fatalf("re-upload of a deleted file name: %v", err)
		}
	}
	// a new version is fine
	d2 := testpkg.Dist{Name: "acme-secret", Version: "1.1"}
	if _, err := f.h.Publish(ctx, Upload{Filename: d2.WheelName(), Content: bytes.NewReader(d2.Wheel())}); err != nil {
		t.Fatal(err)
	}
	page, _ = p.Project(ctx, "acme-secret")
	if !slices.Equal(fileNames(page), []string{d2.WheelName()}) {
		t.Fatalf("page = %v", fileNames(page))
	}
}

// Another process's write (sluice import while sluice serve runs) is seen by
// the very next request, although answers are cached between writes.
func TestHostedSeesOtherProcessesAtOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *Hosted {
		db, err := store.OpenSQLite(ctx, filepath.Join(dir, "sluice.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		bs, _ := blob.NewFS(filepath.Join(dir, "blobs"))
		return NewHosted("local", HostedConfig{}, db, bs, t.TempDir())
	}
	server, importer := open(), open()
	for round := range 20 {
		// a cached "not found", then a new project
		name := fmt.Sprintf("proj-%d", round)
		if _, err := server.Project(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Fatalf("round %d: %v", round, err)
		}
		d := testpkg.Dist{Name: name, Version: "1.0"}
		if _, err := importer.Publish(ctx, Upload{Filename: d.WheelName(), Content: bytes.NewReader(d.Wheel())}); err != nil {
			t.Fatal(err)
		}
		page, err := server.Project(ctx, name)
		if err != nil || len(page.Files) != 1 {
			t.Fatalf("round %d: the other process's new project is not seen at once: %v", round, err)
		}
		// a cached page, then a new file
		d2 := testpkg.Dist{Name: name, Version: "2.0"}
		if _, err := importer.Publish(ctx, Upload{Filename: d2.WheelName(), Content: bytes.NewReader(d2.Wheel())}); err != nil {
			t.Fatal(err)
		}
		if page, _ := server.Project(ctx, name); len(page.Files) != 2 {
			t.Fatalf("round %d: the other process's new file is not seen at once", round)
		}
	}
}
