package app

import (
	"os"
	"path/filepath"
	"time"
)

// staleAfter is how old a spooled upload must be before it is taken for the
// leftover of a crash. Another process (an import) may be spooling into the
// same directory right now, so only old files are removed.
const staleAfter = time.Hour

// removeStale deletes files under dir older than staleAfter: uploads that a
// killed process left half-spooled. They were never visible; this only
// gives their disk space back.
func removeStale(dir string, now time.Time) (removed int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < staleAfter {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			removed++
		}
	}
	return removed
}
