package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FS stores blobs as files under a root directory:
// root/sha256/ab/cd/abcd…, written to root/tmp first, fsynced and renamed so a
// reader never sees a partial blob, even after a crash.
type FS struct {
	root string
}

// NewFS returns a filesystem store rooted at dir, creating it if needed.
func NewFS(dir string) (*FS, error) {
	for _, d := range []string{dir, filepath.Join(dir, "tmp"), filepath.Join(dir, "sha256")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("blob store: %w", err)
		}
	}
	return &FS{root: dir}, nil
}

func (s *FS) path(digest string) string {
	return filepath.Join(s.root, "sha256", digest[:2], digest[2:4], digest)
}

// Put implements Store.
func (s *FS) Put(ctx context.Context, r io.Reader, expect string) (Info, error) {
	if expect != "" && !ValidDigest(expect) {
		return Info{}, fmt.Errorf("blob store: invalid digest %q", expect)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return Info{}, err
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if expect != "" && digest != expect {
		return Info{}, fmt.Errorf("%w: got %s, want %s", ErrDigestMismatch, digest, expect)
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	dst := s.path(digest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	committed = true
	syncDir(filepath.Dir(dst))
	fi, err := os.Stat(dst)
	if err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	return Info{Digest: digest, Size: n, ModTime: fi.ModTime()}, nil
}

// syncDir makes a rename durable; failures only weaken durability, so they
// are ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

type fsObject struct {
	*os.File
	info Info
}

func (o fsObject) Info() Info { return o.info }

// Open implements Store.
func (s *FS) Open(ctx context.Context, digest string) (Object, error) {
	if !ValidDigest(digest) {
		return nil, ErrNotFound
	}
	f, err := os.Open(s.path(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return fsObject{f, Info{Digest: digest, Size: fi.Size(), ModTime: fi.ModTime()}}, nil
}

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, digest string) (Info, error) {
	if !ValidDigest(digest) {
		return Info{}, ErrNotFound
	}
	fi, err := os.Stat(s.path(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	return Info{Digest: digest, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete implements Store.
func (s *FS) Delete(ctx context.Context, digest string) error {
	if !ValidDigest(digest) {
		return nil
	}
	err := os.Remove(s.path(digest))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

// Ping implements Store: the temporary directory must accept a file.
func (s *FS) Ping(ctx context.Context) error {
	f, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "ping-*")
	if err != nil {
		return fmt.Errorf("blob store not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// ctxReader stops a long copy when the context is cancelled (a client that
// hangs up in the middle of an upload).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// CreateTemp creates a file in the store's temporary directory, on the same
// filesystem as the blobs, so that a caller that fills it (the proxy's file
// cache, while clients read behind it) can Adopt it without a second copy.
func (s *FS) CreateTemp(pattern string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Join(s.root, "tmp"), pattern)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return f, nil
}

// Adopt moves a complete file made by CreateTemp into the store under
// digest. The caller vouches for the digest (it hashed the content while
// writing it) and has synced the file; Adopt only renames, so the blob
// appears whole or not at all.
func (s *FS) Adopt(ctx context.Context, path, digest string) (Info, error) {
	if !ValidDigest(digest) {
		return Info{}, fmt.Errorf("blob store: invalid digest %q", digest)
	}
	if filepath.Dir(path) != filepath.Join(s.root, "tmp") {
		return Info{}, fmt.Errorf("blob store: %s is not in the store's temporary directory", path)
	}
	dst := s.path(digest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	if err := os.Rename(path, dst); err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	syncDir(filepath.Dir(dst))
	fi, err := os.Stat(dst)
	if err != nil {
		return Info{}, fmt.Errorf("blob store: %w", err)
	}
	return Info{Digest: digest, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// RemoveStaleTemp removes temporary files matching pattern (filepath.Match
// syntax) last modified more than age ago: what a crash left of fills.
// Younger files may belong to work in progress in another process.
func (s *FS) RemoveStaleTemp(pattern string, age time.Duration) (int, error) {
	return removeStale(filepath.Join(s.root, "tmp"), pattern, age)
}

func removeStale(dir, pattern string, age time.Duration) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("blob store: %w", err)
	}
	n := 0
	for _, e := range entries {
		if ok, _ := filepath.Match(pattern, e.Name()); !ok || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > age {
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				n++
			}
		}
	}
	return n, nil
}
