package blob_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/blob/blobtest"
)

func TestFSConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A refused or failed Put must not leave temporary files behind either.
func TestFSLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), os.Stdin, "0000000000000000000000000000000000000000000000000000000000000000"); err == nil {
		t.Fatal("Put of stdin with a made-up digest succeeded")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
