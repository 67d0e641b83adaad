package repository

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/dist"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/simple"
	"github.com/sluice-pkg/sluice/internal/store"
)

// ExtractedStore records metadata Sluice extracted itself.
type ExtractedStore interface {
	ExtractedMetadata(ctx context.Context, fileSHA256 string) (store.ExtractedMetadata, error)
	PutExtractedMetadata(ctx context.Context, m store.ExtractedMetadata) error
}

// MetadataConfig configures on-the-fly metadata extraction.
type MetadataConfig struct {
	// PerPage bounds how many wheels of one page are extracted while
	// the page request waits (newest first); the rest are extracted in
	// the background and advertised from the next request on. Default 8.
	PerPage int `yaml:"per_page"`
	// Budget bounds how long a page request waits for extraction.
	// Default 10s.
	Budget time.Duration `yaml:"budget"`
}

// MetadataExtractor adds PEP 658 metadata to wheels whose source offers
// none, reading only the end of each wheel (the zip central directory and
// the METADATA entry) through the source's random-access resources, which
// for an upstream means a few HTTP range requests. Results are kept in the
// store, keyed by the wheel's sha256, so each file is read once.
type MetadataExtractor struct {
	Source Repository
	cfg    MetadataConfig
	store  ExtractedStore
	blobs  blob.Store
	flight singleflight.Group
	bg     sync.WaitGroup
	sem    chan struct{} // bounds background extractions

	// memo keeps, per project, the source page last seen and the page
	// built from it once every wheel's metadata was settled: while the
	// source hands out the same (immutable) page, so does this node,
	// without a store lookup per wheel.
	memoMu sync.Mutex
	memo   map[string]memoPage
}

type memoPage struct{ src, out *simple.Project }

const maxMemoPages = 4096

// NewMetadataExtractor wraps source.
func NewMetadataExtractor(source Repository, cfg MetadataConfig, st ExtractedStore, blobs blob.Store) *MetadataExtractor {
	if cfg.PerPage <= 0 {
		cfg.PerPage = 8
	}
	if cfg.Budget <= 0 {
		cfg.Budget = 10 * time.Second
	}
	return &MetadataExtractor{Source: source, cfg: cfg, store: st, blobs: blobs, sem: make(chan struct{}, 4)}
}

// Projects implements Repository.
func (m *MetadataExtractor) Projects(ctx context.Context) ([]string, error) {
	return m.Source.Projects(ctx)
}

func needsMetadata(f *simple.File) bool {
	return !f.HasMetadata() && strings.HasSuffix(f.Filename, ".whl") && isHexDigest(f.SHA256())
}

// Project implements Repository.
func (m *MetadataExtractor) Project(ctx context.Context, name string) (*simple.Project, error) {
	page, err := m.Source.Project(ctx, name)
	if err != nil {
		return nil, err
	}
	m.memoMu.Lock()
	memo, ok := m.memo[name]
	m.memoMu.Unlock()
	if ok && memo.src == page {
		return memo.out, nil
	}
	out, settled := m.augment(ctx, name, page)
	if settled {
		m.memoMu.Lock()
		if m.memo == nil || len(m.memo) >= maxMemoPages {
			m.memo = make(map[string]memoPage)
		}
		m.memo[name] = memoPage{src: page, out: out}
		m.memoMu.Unlock()
	}
	return out, nil
}

// augment adds known or newly extracted metadata to a page; settled is
// false while some wheel's metadata is still to be extracted.
func (m *MetadataExtractor) augment(ctx context.Context, name string, page *simple.Project) (*simple.Project, bool) {
	var missing []int
	for i := range page.Files {
		if needsMetadata(&page.Files[i]) {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return page, true
	}
	out := *page
	out.Files = append([]simple.File(nil), page.Files...)
	type result struct {
		i   int
		sum string
		ok  bool // settled: extracted, or known to be broken
	}
	settled := true
	results := make(chan result, len(missing))
	bctx, cancel := context.WithTimeout(ctx, m.cfg.Budget)
	defer cancel()
	waiting := 0
	// newest files are last on a page: give them the synchronous budget
	for k := len(missing) - 1; k >= 0; k-- {
		i := missing[k]
		f := out.Files[i]
		if rec, err := m.store.ExtractedMetadata(ctx, f.SHA256()); err == nil {
			if rec.MetadataSHA256 != "" {
				out.Files[i].CoreMetadata = map[string]string{"sha256": rec.MetadataSHA256}
			}
			continue
		}
		if waiting < m.cfg.PerPage {
			waiting++
			go func() {
				sum, err := m.extract(bctx, name, f)
				results <- result{i, sum, err == nil}
			}()
			continue
		}
		settled = false
		m.background(name, f)
	}
	for ; waiting > 0; waiting-- {
		select {
		case r := <-results:
			if r.sum != "" {
				out.Files[r.i].CoreMetadata = map[string]string{"sha256": r.sum}
			}
			settled = settled && r.ok
		case <-bctx.Done():
			// late results are stored by extract and advertised next time
			return &out, false
		}
	}
	return &out, settled
}

// background extracts without holding up the request, a few at a time.
func (m *MetadataExtractor) background(project string, f simple.File) {
	select {
	case m.sem <- struct{}{}:
	default:
		return // busy: a later page request will try again
	}
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		defer func() { <-m.sem }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		m.extract(ctx, project, f)
	}()
}

// extract reads one wheel's METADATA once (concurrent callers share the
// work) and records the result; it returns the metadata digest or "".
func (m *MetadataExtractor) extract(ctx context.Context, project string, f simple.File) (string, error) {
	v, err, _ := m.flight.Do(f.SHA256(), func() (any, error) {
		// detached: the first caller hanging up must not waste the work
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		raw, err := m.read(ctx, project, f)
		rec := store.ExtractedMetadata{FileSHA256: f.SHA256()}
		switch {
		case errors.Is(err, dist.ErrInvalid):
			rec.Error = err.Error() // the wheel itself is broken: remember, don't retry
		case err != nil:
			return "", err // transient (network): try again another time
		default:
			info, err := m.blobs.Put(ctx, bytes.NewReader(raw), "")
			if err != nil {
				return "", err
			}
			rec.MetadataSHA256 = info.Digest
		}
		if err := m.store.PutExtractedMetadata(ctx, rec); err != nil {
			return "", err
		}
		return rec.MetadataSHA256, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func (m *MetadataExtractor) read(ctx context.Context, project string, f simple.File) ([]byte, error) {
	fn, err := pypi.ParseFilenameFor(project, f.Filename)
	if err != nil {
		return nil, err
	}
	open := m.Source.Resource
	if rs, ok := m.Source.(randomAccessSource); ok {
		open = rs.RandomAccess // not a download of the whole wheel into the file cache
	}
	res, err := open(ctx, project, f.Filename)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	ra, ok := res.Body.(io.ReaderAt)
	if !ok || res.Size < 0 {
		return nil, errors.New("the source cannot read the file at random")
	}
	return dist.WheelMetadata(ra, res.Size, fn.Project, fn.Version, dist.DefaultLimits())
}

// randomAccessSource is a source that can open a file for random access
// without downloading it whole (Upstream).
type randomAccessSource interface {
	RandomAccess(ctx context.Context, project, name string) (*Resource, error)
}

// Resource implements Repository: extracted metadata is served from the
// blob store; everything else goes to the source.
func (m *MetadataExtractor) Resource(ctx context.Context, project, name string) (*Resource, error) {
	file, isMeta := SplitMetadata(name)
	if !isMeta {
		return m.Source.Resource(ctx, project, name)
	}
	page, err := m.Source.Project(ctx, project)
	if err != nil {
		return nil, err
	}
	f := page.Find(file)
	if f == nil {
		return nil, ErrNotFound
	}
	if !needsMetadata(f) {
		return m.Source.Resource(ctx, project, name)
	}
	sum := ""
	if rec, err := m.store.ExtractedMetadata(ctx, f.SHA256()); err == nil {
		sum = rec.MetadataSHA256
	} else if sum, err = m.extract(ctx, project, *f); err != nil {
		return nil, err
	}
	if sum == "" {
		return nil, ErrNotFound
	}
	obj, err := m.blobs.Open(ctx, sum)
	if err != nil {
		return nil, err
	}
	return &Resource{Body: obj, Size: obj.Info().Size, ModTime: f.UploadTime, SHA256: sum}, nil
}
