// Package app wires Sluice together from a configuration: the metadata
// store, the blob store and the repository graph that every command uses.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/store"
)

// App is an opened configuration.
type App struct {
	Config *config.Config
	DB     *store.DB
	Blobs  blob.Store
	Graph  *repository.Graph
	TmpDir string
	// Files is the upstream file cache, shared by every graph built
	// (a configuration reload keeps its fills and figures).
	Files *repository.FileCache
	// BlobLocks serialise publishing and deleting of shared blobs within
	// the process (see blob.Locks).
	BlobLocks *blob.Locks
}

// Open opens the stores a configuration names and builds its graph.
func Open(ctx context.Context, cfg *config.Config) (*App, error) {
	a := &App{Config: cfg, BlobLocks: new(blob.Locks)}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data_dir %s: %w", cfg.DataDir, err)
	}
	a.TmpDir = filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(a.TmpDir, 0o750); err != nil {
		return nil, fmt.Errorf("data_dir %s: %w", cfg.DataDir, err)
	}
	removeStale(a.TmpDir, time.Now())
	removeStale(filepath.Join(cfg.DataDir, "blobs", "tmp"), time.Now())
	switch {
	case cfg.Database == "":
		db, err := store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "sluice.db"))
		if err != nil {
			return nil, err
		}
		a.DB = db
	default:
		return nil, fmt.Errorf("%s: database %q: only the embedded SQLite database is supported by this build (leave 'database' unset)", cfg.Source, redact(cfg.Database))
	}
	switch {
	case cfg.Storage == "":
		bs, err := blob.NewFS(filepath.Join(cfg.DataDir, "blobs"))
		if err != nil {
			a.DB.Close()
			return nil, err
		}
		a.Blobs = bs
	default:
		a.DB.Close()
		return nil, fmt.Errorf("%s: storage %q: only the filesystem blob store is supported by this build (leave 'storage' unset)", cfg.Source, redact(cfg.Storage))
	}
	maxCache := int64(cfg.Cache.MaxSize)
	if maxCache <= 0 {
		maxCache = config.DefaultCacheMaxSize
	}
	a.Files = repository.NewFileCache(a.Blobs, a.DB, repository.FileCacheConfig{MaxSize: maxCache, TmpDir: a.TmpDir})
	g, err := a.BuildGraph(cfg)
	if err != nil {
		a.DB.Close()
		return nil, err
	}
	a.Graph = g
	return a, nil
}

// BuildGraph builds the repository graph of cfg over the app's stores; it
// is how `sluice serve` reloads a changed configuration.
func (a *App) BuildGraph(cfg *config.Config) (*repository.Graph, error) {
	g, err := repository.Build(cfg, repository.Deps{Meta: a.DB, Extracted: a.DB, Blobs: a.Blobs, TmpDir: a.TmpDir, BlobLocks: a.BlobLocks, YankOverrides: a.DB,
		Pages: a.DB, Files: a.Files})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Source, err)
	}
	return g, nil
}

// Close releases the stores.
func (a *App) Close() error { return a.DB.Close() }

// UploadRepository picks the hosted repository commands act on: the named
// one, else the first index's upload target, else the only hosted one.
func (a *App) UploadRepository(name string) (*repository.Hosted, error) {
	if name != "" {
		h, ok := a.Graph.Hosted(name)
		if !ok {
			return nil, fmt.Errorf("repository %q is not a hosted repository in %s", name, a.Config.Source)
		}
		return h, nil
	}
	for _, ix := range a.Config.Indexes {
		if ix.Upload != "" {
			h, _ := a.Graph.Hosted(ix.Upload)
			return h, nil
		}
	}
	var found []string
	for _, n := range a.Config.Repositories {
		if n.Type == "hosted" {
			found = append(found, n.Name)
		}
	}
	if len(found) == 1 {
		h, _ := a.Graph.Hosted(found[0])
		return h, nil
	}
	if len(found) == 0 {
		return nil, errors.New("the configuration has no hosted repository")
	}
	return nil, fmt.Errorf("several hosted repositories (%s): choose one with --repository", strings.Join(found, ", "))
}

// redact hides the password of a URL-like setting in messages.
func redact(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.LastIndex(s, "@"); at > i {
			if c := strings.Index(s[i+3:at], ":"); c >= 0 {
				return s[:i+3+c] + ":xxxxx" + s[at:]
			}
		}
	}
	return s
}
