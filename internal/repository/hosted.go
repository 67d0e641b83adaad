package repository

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/pep440"
	"github.com/sluice-pkg/sluice/internal/simple"
	"github.com/sluice-pkg/sluice/internal/store"
)

// HostedConfig is the configuration of a hosted node.
type HostedConfig struct {
	// MaxFileSize bounds one uploaded or imported file, in bytes.
	// Default 4 GiB: machine-learning wheels near 1 GB must fit.
	MaxFileSize int64 `yaml:"max_file_size"`
}

// DefaultMaxFileSize is HostedConfig.MaxFileSize's default.
const DefaultMaxFileSize = 4 << 30

// Metadata is the part of the metadata store a hosted repository uses.
type Metadata interface {
	ProjectNames(ctx context.Context, repository string) ([]string, error)
	ProjectFiles(ctx context.Context, repository, project string) ([]store.File, error)
	FileByName(ctx context.Context, repository, filename string) (store.File, error)
	AddFile(ctx context.Context, f store.File, displayName string) (store.File, error)
	ProjectSerial(ctx context.Context, repository, project string) (int64, error)
	BlobInUse(ctx context.Context, digest string) (bool, error)
}

// Hosted holds in-house packages: rows in the metadata store, bytes in the
// blob store. Files arrive through Publish (uploads and imports).
type Hosted struct {
	name   string
	cfg    HostedConfig
	meta   Metadata
	blobs  blob.Store
	tmpDir string
	locks  *blob.Locks

	// pages caches built pages by project; an entry is good while the
	// project's serial in the store is unchanged.
	mu    sync.Mutex
	pages map[string]cachedPage
}

type cachedPage struct {
	serial int64
	page   *simple.Project // nil: the project does not exist
	// token is the store's change token when the entry was verified; while
	// it is unchanged (and the entry younger than reverifyAfter), no query
	// is needed to know the entry is current.
	token    store.ChangeToken
	verified time.Time
}

// changeDetector is implemented by metadata stores that can tell cheaply
// whether anything may have changed (store.DB does, for SQLite).
type changeDetector interface {
	ChangeToken() (store.ChangeToken, bool)
}

// reverifyAfter bounds how long an entry is trusted on its token alone, in
// case a file system's timestamps are too coarse to tell two commits apart.
const reverifyAfter = time.Second

// maxCachedPages bounds the hosted page cache; past it, the cache starts over.
const maxCachedPages = 10000

// NewHosted returns a hosted node called name. tmpDir is where uploads are
// spooled while they are validated.
func NewHosted(name string, cfg HostedConfig, meta Metadata, blobs blob.Store, tmpDir string) *Hosted {
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	return &Hosted{name: name, cfg: cfg, meta: meta, blobs: blobs, tmpDir: tmpDir, pages: map[string]cachedPage{}}
}

// WithBlobLocks makes h hold locks per digest while it publishes, shared
// with whatever deletes blobs in the same process (see blob.Locks).
func (h *Hosted) WithBlobLocks(l *blob.Locks) *Hosted {
	h.locks = l
	return h
}

// Name is the node's name.
func (h *Hosted) Name() string { return h.name }

// Projects implements Repository.
func (h *Hosted) Projects(ctx context.Context) ([]string, error) {
	return h.meta.ProjectNames(ctx, h.name)
}

// Project implements Repository.
func (h *Hosted) Project(ctx context.Context, name string) (*simple.Project, error) {
	// The change token is read before the store is asked, so a commit that
	// lands in between changes the token and is seen on the next request.
	var tok store.ChangeToken
	tokOK := false
	if cd, ok := h.meta.(changeDetector); ok {
		tok, tokOK = cd.ChangeToken()
	}
	now := time.Now()
	h.mu.Lock()
	c, cached := h.pages[name]
	h.mu.Unlock()
	if cached && tokOK && c.token == tok && now.Sub(c.verified) < reverifyAfter {
		if c.page == nil {
			return nil, ErrNotFound
		}
		return c.page, nil
	}
	serial, err := h.meta.ProjectSerial(ctx, h.name, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c = cachedPage{serial: -1}
	case err != nil:
		return nil, err
	case !cached || c.page == nil || c.serial != serial:
		rows, err := h.meta.ProjectFiles(ctx, h.name, name)
		if err != nil {
			return nil, err
		}
		// A project whose files were all deleted still exists, with an
		// empty page: the name stays in-house, and a priority node must
		// not fall through to a public project of the same name.
		c = cachedPage{serial: serial, page: hostedPage(name, rows)}
	}
	if tokOK {
		c.token, c.verified = tok, now
	} else {
		c.token, c.verified = store.ChangeToken{}, time.Time{} // always re-verify
	}
	h.mu.Lock()
	if len(h.pages) >= maxCachedPages {
		h.pages = map[string]cachedPage{}
	}
	h.pages[name] = c
	h.mu.Unlock()
	if c.page == nil {
		return nil, ErrNotFound
	}
	return c.page, nil
}

func hostedPage(name string, rows []store.File) *simple.Project {
	type keyed struct {
		v   pep440.Version
		row *store.File
	}
	ks := make([]keyed, len(rows))
	for i := range rows {
		v, _ := pep440.Parse(rows[i].Version) // stored versions were validated
		ks[i] = keyed{v, &rows[i]}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if c := pep440.Compare(a.v, b.v); c != 0 {
			return c
		}
		return strings.Compare(a.row.Filename, b.row.Filename)
	})
	p := &simple.Project{Name: name, Files: make([]simple.File, 0, len(rows))}
	for _, k := range ks {
		r := k.row
		f := simple.File{
			Filename:       r.Filename,
			Hashes:         map[string]string{"sha256": r.SHA256},
			RequiresPython: r.RequiresPython,
			Yanked:         r.Yanked,
			YankedReason:   r.YankReason,
			Size:           r.Size,
			UploadTime:     r.UploadedAt,
			Origin:         r.SHA256,
		}
		if r.MetadataSHA256 != "" {
			f.CoreMetadata = map[string]string{"sha256": r.MetadataSHA256}
		}
		p.Files = append(p.Files, f)
		if n := len(p.Versions); n == 0 || p.Versions[n-1] != r.Version {
			p.Versions = append(p.Versions, r.Version)
		}
	}
	return p
}

// Resource implements Repository.
func (h *Hosted) Resource(ctx context.Context, project, name string) (*Resource, error) {
	file, isMeta := SplitMetadata(name)
	row, err := h.meta.FileByName(ctx, h.name, file)
	if errors.Is(err, store.ErrNotFound) || (err == nil && row.Project != project) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	digest := row.SHA256
	if isMeta {
		if row.MetadataSHA256 == "" {
			return nil, ErrNotFound
		}
		digest = row.MetadataSHA256
	}
	obj, err := h.blobs.Open(ctx, digest)
	if err != nil {
		return nil, err
	}
	return &Resource{Body: obj, Size: obj.Info().Size, ModTime: row.UploadedAt, SHA256: digest}, nil
}
