package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/store"
)

func openTest(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluice.db")
	db, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func file(name, project, version, sha string) store.File {
	return store.File{
		Repository: "local", Project: project, Filename: name, Version: version, Kind: "wheel",
		SHA256: sha, Size: 10, UploadedAt: time.Unix(1700000000, 123000).UTC(), RequiresPython: ">=3.8",
		MetadataSHA256: "m" + sha[1:],
	}
}

func TestFilesRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	f := file("a_b-1.0-py3-none-any.whl", "a-b", "1.0", "a000000000000000000000000000000000000000000000000000000000000001")
	if _, err := db.AddFile(ctx, f, "A_B"); err != nil {
		t.Fatal(err)
	}
	got, err := db.FileByName(ctx, "local", f.Filename)
	if err != nil {
		t.Fatal(err)
	}
	if got != f {
		t.Fatalf("FileByName = %+v\nwant %+v", got, f)
	}
	names, err := db.ProjectNames(ctx, "local")
	if err != nil || len(names) != 1 || names[0] != "a-b" {
		t.Fatalf("ProjectNames = %v, %v", names, err)
	}
	if names, _ := db.ProjectNames(ctx, "other"); len(names) != 0 {
		t.Fatalf("another repository sees %v", names)
	}
	files, err := db.ProjectFiles(ctx, "local", "a-b")
	if err != nil || len(files) != 1 {
		t.Fatalf("ProjectFiles = %v, %v", files, err)
	}
}

func TestAddFileExists(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	f := file("x-1.0.tar.gz", "x", "1.0", "b000000000000000000000000000000000000000000000000000000000000001")
	if _, err := db.AddFile(ctx, f, "x"); err != nil {
		t.Fatal(err)
	}
	g := f
	g.SHA256 = "c000000000000000000000000000000000000000000000000000000000000001"
	old, err := db.AddFile(ctx, g, "x")
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second AddFile: %v, want ErrExists", err)
	}
	if old.SHA256 != f.SHA256 {
		t.Fatalf("ErrExists returned row %+v, want the original", old)
	}
	got, _ := db.FileByName(ctx, "local", f.Filename)
	if got.SHA256 != f.SHA256 {
		t.Fatal("the original row was replaced")
	}
}

func TestYankAndDelete(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	f := file("y-1.0.tar.gz", "y", "1.0", "d000000000000000000000000000000000000000000000000000000000000001")
	db.AddFile(ctx, f, "y")
	if err := db.SetYanked(ctx, "local", f.Filename, true, "broken"); err != nil {
		t.Fatal(err)
	}
	got, _ := db.FileByName(ctx, "local", f.Filename)
	if !got.Yanked || got.YankReason != "broken" {
		t.Fatalf("after yank: %+v", got)
	}
	if err := db.SetYanked(ctx, "local", "nope.tar.gz", true, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("yank of a missing file: %v", err)
	}
	inUse, _ := db.BlobInUse(ctx, f.SHA256)
	if !inUse {
		t.Fatal("BlobInUse false for a stored file")
	}
	if _, err := db.DeleteFile(ctx, "local", f.Filename); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FileByName(ctx, "local", f.Filename); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if inUse, _ := db.BlobInUse(ctx, f.SHA256); inUse {
		t.Fatal("BlobInUse true after delete")
	}
}

// Two processes (serve and import) open the same database: migrations run
// once and concurrent writers wait for each other instead of failing.
func TestConcurrentOpenAndWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sluice.db")
	var dbs [3]*store.DB
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.OpenSQLite(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			dbs[i] = db
		}()
	}
	wg.Wait()
	for i, db := range dbs {
		if db == nil {
			t.Fatalf("open %d failed: %v", i, <-errs)
		}
		defer db.Close()
	}
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sha := "e" + string(rune('a'+i%26)) + "00000000000000000000000000000000000000000000000000000000000" + string(rune('0'+i/26)) + "0"
			_, err := dbs[i%3].AddFile(ctx, file("p-1.0."+string(rune('a'+i%26))+string(rune('0'+i/26))+".tar.gz", "p", "1.0", sha), "p")
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	files, err := dbs[0].ProjectFiles(ctx, "local", "p")
	if err != nil || len(files) != 30 {
		t.Fatalf("got %d files, %v", len(files), err)
	}
}
