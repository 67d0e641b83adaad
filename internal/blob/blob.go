// Package blob stores immutable byte streams under their SHA-256 digest.
//
// The Store interface is deliberately narrow (put, open, stat, delete) so that
// every backend (the local filesystem here, S3-compatible object stores later)
// passes the same conformance suite in package blobtest, and behaviour such as
// metrics or caching is added by wrapping a Store rather than by changing one.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned when no blob has the requested digest.
var ErrNotFound = errors.New("blob not found")

// ErrDigestMismatch is returned by Put when the content does not hash to the
// digest the caller expected; nothing is stored.
var ErrDigestMismatch = errors.New("content does not match the expected sha256")

// Info describes a stored blob.
type Info struct {
	Digest  string // lower-case hex SHA-256
	Size    int64
	ModTime time.Time
}

// Object is an open blob. It supports sequential reads, seeking (so HTTP range
// requests can be answered) and random access (so archives can be inspected
// without reading them whole).
type Object interface {
	io.ReadSeekCloser
	io.ReaderAt
	Info() Info
}

// Store is a content-addressed blob store.
type Store interface {
	// Put streams r into the store and returns its digest and size. If
	// expect is not empty the content must hash to it, or Put returns
	// ErrDigestMismatch and stores nothing. A Put that fails leaves no
	// visible blob; a Put of content that already exists succeeds.
	Put(ctx context.Context, r io.Reader, expect string) (Info, error)
	// Open returns the blob with the given digest, or ErrNotFound.
	Open(ctx context.Context, digest string) (Object, error)
	// Stat returns the blob's Info, or ErrNotFound.
	Stat(ctx context.Context, digest string) (Info, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, digest string) error
	// Ping reports whether the store is reachable and writable.
	Ping(ctx context.Context) error
}

// ValidDigest reports whether s is a lower-case hex SHA-256 digest. Stores
// use it so that a digest can never be a path trick.
func ValidDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
