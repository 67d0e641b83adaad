package repository

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/sluice-pkg/sluice/internal/dist"
	"github.com/sluice-pkg/sluice/internal/pep440"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/store"
)

// Upload is one file offered to a hosted repository.
type Upload struct {
	Filename string
	Content  io.Reader
	// Uploader names the identity, for the record.
	Uploader string
	// Digests the client sent (legacy upload form); each must match.
	SHA256, MD5, Blake2b256 string
	// Name and Version the client sent in the form, if any; they must
	// agree with the file name and the file's metadata.
	Name, Version string
}

// PublishErrorKind says why a file was refused.
type PublishErrorKind int

// The kinds of refusal.
const (
	Invalid  PublishErrorKind = iota + 1 // the file or the request is wrong
	Exists                               // this very file exists already
	Conflict                             // another file of this name exists
	TooLarge                             // over the size limit
)

// PublishError is a refusal with one sentence saying why.
type PublishError struct {
	Kind PublishErrorKind
	Msg  string
}

func (e *PublishError) Error() string { return e.Msg }

func refuse(kind PublishErrorKind, format string, args ...any) error {
	return &PublishError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Publish validates an uploaded file completely and then records it. A
// refusal, an error or a crash at any point leaves no visible trace: the
// file is spooled and checked first, stored content-addressed second, and
// becomes visible only when its row commits.
func (h *Hosted) Publish(ctx context.Context, up Upload) (store.File, error) {
	fn, err := pypi.ParseFilename(up.Filename)
	if err != nil {
		return store.File{}, refuse(Invalid, "%v", err)
	}
	ver, err := pep440.Parse(fn.Version)
	if err != nil {
		return store.File{}, refuse(Invalid, "%q: version %q in the file name is not a valid PEP 440 version", up.Filename, fn.Version)
	}
	project := pypi.Normalize(fn.Project)
	if up.Name != "" && pypi.Normalize(up.Name) != project {
		return store.File{}, refuse(Invalid, "%q: the form names project %q but the file name says %q", up.Filename, up.Name, fn.Project)
	}
	if up.Version != "" && !sameVersion(up.Version, ver) {
		return store.File{}, refuse(Invalid, "%q: the form says version %q but the file name says %q", up.Filename, up.Version, fn.Version)
	}
	// An identical re-upload is recognised before the bytes are spooled
	// only when the client sent a sha256; otherwise after.
	if existing, err := h.meta.FileByName(ctx, h.name, up.Filename); err == nil && up.SHA256 != "" {
		return store.File{}, existsError(existing, strings.ToLower(up.SHA256))
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.File{}, err
	}

	tmp, err := os.CreateTemp(h.tmpDir, "upload-*")
	if err != nil {
		return store.File{}, fmt.Errorf("spooling upload: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	sh, m5 := sha256.New(), md5.New()
	b2, _ := blake2b.New256(nil)
	n, err := io.Copy(io.MultiWriter(tmp, sh, m5, b2), io.LimitReader(up.Content, h.cfg.MaxFileSize+1))
	if err != nil {
		return store.File{}, fmt.Errorf("receiving %s: %w", up.Filename, err)
	}
	if n > h.cfg.MaxFileSize {
		return store.File{}, refuse(TooLarge, "%q is larger than this repository's limit of %d bytes", up.Filename, h.cfg.MaxFileSize)
	}
	if n == 0 {
		return store.File{}, refuse(Invalid, "%q is empty", up.Filename)
	}
	sum := hex.EncodeToString(sh.Sum(nil))
	for _, d := range []struct{ name, sent, got string }{
		{"sha256", up.SHA256, sum},
		{"md5", up.MD5, hex.EncodeToString(m5.Sum(nil))},
		{"blake2_256", up.Blake2b256, hex.EncodeToString(b2.Sum(nil))},
	} {
		if d.sent != "" && !strings.EqualFold(d.sent, d.got) {
			return store.File{}, refuse(Invalid, "%q: the %s digest sent (%s) does not match the file received (%s)", up.Filename, d.name, d.sent, d.got)
		}
	}
	if existing, err := h.meta.FileByName(ctx, h.name, up.Filename); err == nil {
		return store.File{}, existsError(existing, sum)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.File{}, err
	}

	raw, err := inspect(tmp, n, up.Filename, fn)
	if err != nil {
		return store.File{}, err
	}
	md, err := pypi.ParseMetadata(raw)
	if err != nil {
		return store.File{}, refuse(Invalid, "%q: its metadata is unreadable: %v", up.Filename, err)
	}
	if err := md.Validate(); err != nil {
		return store.File{}, refuse(Invalid, "%q: its metadata is invalid: %v", up.Filename, err)
	}
	if pypi.Normalize(md.Name()) != project {
		return store.File{}, refuse(Invalid, "%q: its metadata names project %q, not %q", up.Filename, md.Name(), fn.Project)
	}
	if !sameVersion(md.Version(), ver) {
		return store.File{}, refuse(Invalid, "%q: its metadata says version %q, not %q", up.Filename, md.Version(), fn.Version)
	}

	// Store the bytes, then the row. Blobs this call created are removed
	// again if the row cannot be written. The digests stay locked from the
	// moment a blob is found present until the row that refers to it is
	// committed, so a concurrent delete cannot remove it in between.
	var metaSum string
	if fn.Kind == pypi.Wheel {
		msum := sha256.Sum256(raw)
		metaSum = hex.EncodeToString(msum[:])
	}
	defer h.locks.Lock(sum, metaSum)()
	var created []string
	cleanup := func() {
		for _, d := range created {
			if inUse, err := h.meta.BlobInUse(context.WithoutCancel(ctx), d); err == nil && !inUse {
				h.blobs.Delete(context.WithoutCancel(ctx), d)
			}
		}
	}
	put := func(r io.Reader, digest string) error {
		if _, err := h.blobs.Stat(ctx, digest); err == nil {
			return nil
		}
		if _, err := h.blobs.Put(ctx, r, digest); err != nil {
			return err
		}
		created = append(created, digest)
		return nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return store.File{}, err
	}
	if err := put(tmp, sum); err != nil {
		cleanup()
		return store.File{}, fmt.Errorf("storing %s: %w", up.Filename, err)
	}
	row := store.File{
		Repository:     h.name,
		Project:        project,
		Filename:       up.Filename,
		Version:        ver.String(),
		Kind:           "sdist",
		SHA256:         sum,
		Blake2b256:     hex.EncodeToString(b2.Sum(nil)),
		MD5:            hex.EncodeToString(m5.Sum(nil)),
		Size:           n,
		RequiresPython: md.RequiresPython(),
		Summary:        md.Summary(),
		UploadedAt:     time.Now().UTC().Truncate(time.Microsecond),
		UploadedBy:     up.Uploader,
	}
	if fn.Kind == pypi.Wheel {
		// PEP 658 metadata is served for wheels, whose METADATA is
		// authoritative; an sdist's PKG-INFO may be dynamic.
		row.Kind = "wheel"
		row.MetadataSHA256 = metaSum
		if err := put(bytes.NewReader(raw), row.MetadataSHA256); err != nil {
			cleanup()
			return store.File{}, fmt.Errorf("storing metadata of %s: %w", up.Filename, err)
		}
	}
	saved, err := h.meta.AddFile(ctx, row, md.Name())
	if err != nil {
		cleanup()
		if errors.Is(err, store.ErrExists) {
			return store.File{}, existsError(saved, sum)
		}
		if errors.Is(err, store.ErrDeleted) {
			return store.File{}, refuse(Conflict, "%q was deleted from this repository; a file name cannot be used again, publish a new version instead", up.Filename)
		}
		return store.File{}, fmt.Errorf("recording %s: %w", up.Filename, err)
	}
	return saved, nil
}

func existsError(existing store.File, sum string) error {
	if sum != "" && existing.SHA256 == sum {
		return refuse(Exists, "%q already exists in this repository (identical content)", existing.Filename)
	}
	return refuse(Conflict, "%q already exists in this repository with different content; a released file cannot be replaced, publish a new version instead", existing.Filename)
}

func sameVersion(s string, v pep440.Version) bool {
	w, err := pep440.Parse(s)
	return err == nil && pep440.Compare(v, w) == 0 && w.String() == v.String()
}

// inspect validates the archive and returns its core metadata bytes.
func inspect(f *os.File, size int64, filename string, fn pypi.Filename) ([]byte, error) {
	lim := dist.DefaultLimits()
	var raw []byte
	var err error
	if fn.Kind == pypi.Wheel {
		if err = dist.CheckWheel(f, size, lim); err == nil {
			raw, err = dist.WheelMetadata(f, size, fn.Project, fn.Version, lim)
		}
	} else {
		if err = dist.CheckSdist(f, size, filename, lim); err == nil {
			raw, err = dist.SdistMetadata(f, size, filename, lim)
		}
	}
	if errors.Is(err, dist.ErrInvalid) {
		return nil, refuse(Invalid, "%q is not a valid distribution: %v", filename, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filename, err)
	}
	return raw, nil
}
