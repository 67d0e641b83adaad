// Package dist inspects Python distribution archives: wheels (.whl, which
// are zip archives) and source distributions (.tar.gz, and the legacy .zip,
// .tgz, .tar.bz2 and .tar forms).
//
// It does two jobs. WheelMetadata and SdistMetadata extract the core
// metadata file (a wheel's .dist-info/METADATA, an sdist's PKG-INFO) exactly
// as stored, byte for byte, because Sluice serves those bytes as PEP 658
// .metadata files and publishes their hashes. CheckWheel and CheckSdist
// validate a whole archive before Sluice accepts it from an upload or an
// import.
//
// Every archive is treated as hostile. Work is bounded by [Limits]: member
// counts, the size of a zip central directory, the size of the metadata
// file, and the number of bytes an archive may expand to, both in absolute
// terms and relative to its compressed size. Errors caused by the archive's
// content wrap [ErrInvalid] and read as sentences a user can act on; errors
// returned by the caller's io.ReaderAt are passed through without
// [ErrInvalid], so a server can answer 400 for the first kind and 500 or
// 502 for the second.
//
// WheelMetadata reads only the end of the zip archive, its central directory
// and the METADATA member: for a typical wheel four or five reads and a few
// KiB in all, however large the wheel. Called with an io.ReaderAt backed by
// HTTP range requests it fetches little more than the metadata itself. Its
// first read is the final 1 KiB of the file, and the central directory
// comes next, just before it; a remote reader may fetch more of the tail
// at once and cache it to save a round trip.
//
// The functions keep no state between calls and may be called
// concurrently. CheckWheel and CheckSdist of a zip archive issue concurrent
// ReadAt calls, as the io.ReaderAt contract allows.
package dist

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrInvalid is wrapped by every error caused by the content of an archive:
// a corrupt, truncated, hostile or non-conforming distribution. Callers
// report such errors to whoever supplied the file (HTTP 400 for an upload).
// Errors that do not wrap ErrInvalid come from the io.ReaderAt.
var ErrInvalid = errors.New("invalid distribution")

// ErrRecord is wrapped, together with [ErrInvalid], by the CheckWheel error
// that reports a wheel whose RECORD file does not match its contents (a file
// missing from RECORD, a RECORD entry missing from the archive, or a wrong
// hash or size). CheckWheel checks RECORD last, so an error wrapping
// ErrRecord means every other check passed; a caller mirroring old wheels
// from an upstream index may choose to accept such files.
var ErrRecord = errors.New("the wheel's RECORD file does not match its contents")

// Limits bound the work done on one archive. A zero or negative field
// takes its default; [DefaultLimits] returns all of them.
type Limits struct {
	// MaxMetadataSize is the largest accepted core metadata file (a
	// wheel's METADATA, an sdist's PKG-INFO), in bytes. The file is held
	// in memory. Default 16 MiB; real files are a few KiB, the largest
	// (long descriptions inlined from a README) a few hundred KiB.
	MaxMetadataSize int64

	// MaxMembers is the largest number of members (files, directories and
	// links) an archive may hold. Default 100,000; the largest wheels on
	// PyPI hold a few tens of thousands.
	MaxMembers int

	// MaxDirectorySize is the largest accepted zip central directory, in
	// bytes. archive/zip reads the whole directory into memory before any
	// member can be found, and over HTTP range requests it is the bulk of
	// what WheelMetadata fetches. Default 32 MiB, enough for about 150,000
	// members with typical names.
	MaxDirectorySize int64

	// MaxTotalUncompressed is the largest number of bytes an archive may
	// expand to: for zip archives the sum of the sizes its members declare,
	// for tar archives the size of the decompressed tar stream and the sum
	// of the member sizes. Default 16 GiB, several times the largest
	// machine-learning wheels published (about 1 GB compressed expanding
	// to 2-4 GB), yet small enough to refuse a decompression bomb before
	// it fills an installer's disk.
	MaxTotalUncompressed int64

	// MaxCompressionRatio bounds the expansion relative to the archive's
	// size: an archive of n bytes may expand to at most
	// max(n*MaxCompressionRatio, 64 MiB) bytes (and never more than
	// MaxTotalUncompressed). Default 200. Real distributions expand 2 to
	// 10 times, highly repetitive data 30 times; deflate and gzip bombs
	// reach about 1000. The ratio keeps the cost of CheckWheel and
	// CheckSdist proportional to the bytes a client actually sent, which
	// the absolute limit alone does not: without it a 16 MB upload could
	// make the server inflate 16 GB.
	MaxCompressionRatio int64
}

// Default limits; see the fields of Limits.
const (
	defaultMaxMetadataSize      = 16 << 20
	defaultMaxMembers           = 100_000
	defaultMaxDirectorySize     = 32 << 20
	defaultMaxTotalUncompressed = 16 << 30
	defaultMaxCompressionRatio  = 200

	// ratioFloor is the expansion always allowed whatever the ratio, so
	// that small archives of sparse or repetitive files are not refused.
	ratioFloor = 64 << 20
)

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		MaxMetadataSize:      defaultMaxMetadataSize,
		MaxMembers:           defaultMaxMembers,
		MaxDirectorySize:     defaultMaxDirectorySize,
		MaxTotalUncompressed: defaultMaxTotalUncompressed,
		MaxCompressionRatio:  defaultMaxCompressionRatio,
	}
}

// withDefaults returns l with every unset field set to its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxMetadataSize <= 0 {
		l.MaxMetadataSize = d.MaxMetadataSize
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = d.MaxMembers
	}
	if l.MaxDirectorySize <= 0 {
		l.MaxDirectorySize = d.MaxDirectorySize
	}
	if l.MaxTotalUncompressed <= 0 {
		l.MaxTotalUncompressed = d.MaxTotalUncompressed
	}
	if l.MaxCompressionRatio <= 0 {
		l.MaxCompressionRatio = d.MaxCompressionRatio
	}
	return l
}

// expansion is the number of uncompressed bytes an archive of the given
// size may expand to.
type expansion struct {
	max     int64
	byRatio bool // max was set by MaxCompressionRatio, not MaxTotalUncompressed
	ratio   int64
	total   int64
}

func (l Limits) expansion(size int64) expansion {
	e := expansion{max: l.MaxTotalUncompressed, ratio: l.MaxCompressionRatio, total: l.MaxTotalUncompressed}
	byRatio := int64(ratioFloor)
	if size > 0 && size <= (1<<62)/l.MaxCompressionRatio {
		byRatio = max(byRatio, size*l.MaxCompressionRatio)
	} else if size > 0 {
		byRatio = 1 << 62
	}
	if byRatio < e.max {
		e.max, e.byRatio = byRatio, true
	}
	return e
}

// exceeded returns the error for an archive that expands past e.max.
func (e expansion) exceeded(what string) error {
	if e.byRatio {
		return invalidf("%s expands to more than %d times its compressed size (%s), which is how decompression bombs look",
			what, e.ratio, formatSize(e.max))
	}
	return invalidf("%s expands to more than %s, the limit for uncompressed data", what, formatSize(e.total))
}

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// recordf returns an error wrapping ErrInvalid and ErrRecord.
func recordf(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrInvalid, ErrRecord, fmt.Sprintf(format, args...))
}

// formatSize formats a byte count for error messages.
func formatSize(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
	)
	switch {
	case n >= gib && n%gib == 0:
		return fmt.Sprintf("%d GiB", n/gib)
	case n >= gib:
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= mib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	case n >= kib:
		return fmt.Sprintf("%.1f KiB", float64(n)/kib)
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// source wraps the caller's io.ReaderAt. It remembers the first error that
// is not io.EOF, so that a failure surfacing from archive/zip or
// compress/flate as a format error can be told apart from an I/O error, and
// it can enforce a budget on the bytes read, which bounds what
// WheelMetadata fetches from a remote file whatever the archive claims.
// Like any io.ReaderAt it may be used concurrently.
type source struct {
	r      io.ReaderAt
	budget int64 // maximum bytes to read; <= 0 means unlimited

	mu   sync.Mutex
	err  error // first I/O error
	read int64 // bytes requested
	over bool  // a read was refused because of the budget
}

// errBudget is returned by source.ReadAt when the budget is exhausted.
// It never reaches callers: fail turns it into an ErrInvalid error.
var errBudget = errors.New("dist: read budget exhausted")

// errNegativeOffset is returned by source.ReadAt for a negative offset.
var errNegativeOffset = errors.New("dist: negative offset")

func (s *source) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		// Only a corrupt archive leads archive/zip to a negative offset;
		// the underlying reader would report it as an I/O error.
		return 0, errNegativeOffset
	}
	if s.budget > 0 {
		s.mu.Lock()
		if s.read+int64(len(p)) > s.budget {
			s.over = true
			s.mu.Unlock()
			return 0, errBudget
		}
		s.read += int64(len(p))
		s.mu.Unlock()
	}
	n, err := s.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
	return n, err
}

// ioErr returns the first I/O error of the underlying reader, and whether
// a read was refused because of the budget.
func (s *source) ioErr() (error, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err, s.over
}

// fail classifies err, returned by code reading from s: an I/O error of the
// underlying reader is returned as is (wrapped with context), anything else
// becomes an ErrInvalid error with the given description.
func (s *source) fail(err error, format string, args ...any) error {
	ioErr, over := s.ioErr()
	if ioErr != nil {
		return fmt.Errorf("reading distribution: %w", ioErr)
	}
	if errors.Is(err, ErrInvalid) {
		return err
	}
	if over {
		return invalidf("reading the archive's metadata needs more than %s, which no real archive needs", formatSize(s.budget))
	}
	return invalidf(format, args...)
}

// window serves reads of one cached byte range from memory and passes the
// rest to the source. The zip end records and central directory are read
// into it once, so archive/zip's small buffered reads of them cost nothing
// and a remote reader sees one or two requests instead of dozens.
type window struct {
	src *source
	off int64
	buf []byte
}

func (w *window) ReadAt(p []byte, off int64) (int, error) {
	if off >= w.off && off-w.off <= int64(len(w.buf)) && int64(len(p)) <= int64(len(w.buf))-(off-w.off) {
		return copy(p, w.buf[off-w.off:]), nil
	}
	return w.src.ReadAt(p, off)
}

// readFull reads len(p) bytes at off, reporting a short read as a
// truncated archive.
func (w *window) readFull(p []byte, off int64, what string) error {
	n, err := w.ReadAt(p, off)
	if n == len(p) {
		return nil // even if err is io.EOF, as io.ReaderAt allows at the end
	}
	return w.src.fail(err, "the archive is truncated: %s at offset %d extends past the end of the file", what, off)
}
