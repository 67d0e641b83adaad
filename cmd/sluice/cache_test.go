package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/store"
)

func TestCachePrune(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := writeConfig(t, dir, "data_dir: "+data+"\ncache: {max_size: 1GiB}\nrepositories:\n  local: {type: hosted}\nindexes: [{path: /simple/, repository: local, upload: local}]\n")
	// a cache entry without its blob: prune forgets it all the same
	db, err := store.OpenSQLite(context.Background(), filepath.Join(data, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.PutCachedFile(context.Background(), strings.Repeat("a", 64), 2048)
	db.Close()
	if code, out, errOut := runCmd(t, "cache", "prune", "--config", cfg); code != 0 || !strings.Contains(out, "evicted 0 files") || !strings.Contains(out, "limit 1073741824") {
		t.Fatalf("prune within the limit: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "cache", "prune", "--config", cfg, "--max-size", "1KB"); code != 0 || !strings.Contains(out, "evicted 1 files (2048 bytes); 0 files") {
		t.Fatalf("prune to 1KB: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "cache", "prune", "--config", cfg, "--max-size", "lots"); code != 1 || !strings.Contains(errOut, "--max-size") {
		t.Fatalf("bad size: %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "cache", "clear"); code != 2 {
		t.Fatalf("unknown subcommand: %d", code)
	}
}
