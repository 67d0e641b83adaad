package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFSAdopt(t *testing.T) {
	ctx := context.Background()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateTemp("fill-*")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "adopted content")
	f.Close()
	sum := sha256.Sum256([]byte("adopted content"))
	digest := hex.EncodeToString(sum[:])
	info, err := s.Adopt(ctx, f.Name(), digest)
	if err != nil || info.Size != int64(len("adopted content")) {
		t.Fatalf("Adopt: %+v, %v", info, err)
	}
	obj, err := s.Open(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj)
	obj.Close()
	if string(got) != "adopted content" {
		t.Fatalf("read %q", got)
	}
	if _, err := os.Stat(f.Name()); !os.IsNotExist(err) {
		t.Fatal("the temporary file is still there")
	}
	// only files of the store's own temporary directory
	outside := filepath.Join(t.TempDir(), "x")
	os.WriteFile(outside, []byte("x"), 0o600)
	if _, err := s.Adopt(ctx, outside, digest); err == nil {
		t.Fatal("adopted a file from elsewhere")
	}
	if _, err := s.Adopt(ctx, f.Name(), "../../etc"); err == nil {
		t.Fatal("adopted under an invalid digest")
	}
}

func TestFSRemoveStaleTemp(t *testing.T) {
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := s.CreateTemp("fill-*")
	old.Close()
	young, _ := s.CreateTemp("fill-*")
	young.Close()
	other, _ := s.CreateTemp("put-*")
	other.Close()
	past := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old.Name(), past, past)
	os.Chtimes(other.Name(), past, past)
	if n, err := s.RemoveStaleTemp("fill-*", 24*time.Hour); n != 1 || err != nil {
		t.Fatalf("removed %d, %v", n, err)
	}
	for name, want := range map[string]bool{old.Name(): false, young.Name(): true, other.Name(): true} {
		if _, err := os.Stat(name); (err == nil) != want {
			t.Errorf("%s present = %v, want %v", filepath.Base(name), err == nil, want)
		}
	}
}
