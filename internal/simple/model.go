// Package simple holds the data model of the Python Simple Repository API
// (PEP 503, 592, 658, 691, 700, 708, 714) and its two wire formats: the HTML
// and JSON pages Sluice renders, and the upstream pages it parses.
//
// The package is pure: no I/O beyond the io.Writer/io.Reader it is handed.
package simple

import "time"

// APIVersion is the simple API version Sluice speaks (1.1 adds PEP 700 fields,
// 1.2 adds PEP 708 tracks and alternate-locations).
const APIVersion = "1.1"

// Media types of the simple API (PEP 691).
const (
	TypeJSON       = "application/vnd.pypi.simple.v1+json"
	TypeHTMLv1     = "application/vnd.pypi.simple.v1+html"
	TypeHTML       = "text/html"
	TypeLatestJSON = "application/vnd.pypi.simple.latest+json"
	TypeLatestHTML = "application/vnd.pypi.simple.latest+html"
)

// ProjectList is the root page: every project an index serves.
type ProjectList struct {
	// Names are normalised (PEP 503) and sorted in byte order, no duplicates.
	Names []string
}

// Project is one project page.
type Project struct {
	// Name is the normalised project name (PEP 503); pages and URLs use it.
	Name string
	// Files in page order (Sluice sorts by version, then file name).
	Files []File
	// Versions (PEP 700): every version of the project, including ones
	// without files, in PEP 440 order. Renderers write it as given.
	Versions []string
	// Tracks and AlternateLocations are PEP 708 metadata (API 1.2).
	Tracks             []string
	AlternateLocations []string
	// Stale is not empty when the page is the last one known of a source
	// that cannot be reached now; it says why. Renderers ignore it; the
	// server turns it into a response header.
	Stale string
}

// File is one distribution file on a project page.
type File struct {
	Filename string
	// URL is where the file is downloaded from. On pages Sluice renders it
	// is always Sluice's own URL; on parsed upstream pages it is absolute
	// (relative links are resolved against the page URL by the parser).
	URL string
	// Hashes maps algorithm (lower case, e.g. "sha256") to lower-case hex.
	Hashes map[string]string
	// RequiresPython is the verbatim Requires-Python value ("" if none).
	RequiresPython string
	// Yanked is true for a PEP 592 yanked file; YankedReason may be "".
	Yanked       bool
	YankedReason string
	// Size in bytes, -1 when unknown (PEP 700).
	Size int64
	// UploadTime is zero when unknown (PEP 700).
	UploadTime time.Time
	// CoreMetadata is non-nil when a PEP 658 metadata file exists at
	// URL+".metadata": the hashes of that file (possibly empty when the
	// upstream said only "true").
	CoreMetadata map[string]string
	// GPGSig is nil when unknown, else whether URL+".asc" exists.
	GPGSig *bool
	// Origin is an opaque locator set by the repository component that
	// produced the file (for example the upstream's absolute URL). It is
	// never rendered.
	Origin string
}

// SHA256 returns the file's sha256 hex digest, or "".
func (f *File) SHA256() string { return f.Hashes["sha256"] }

// HasMetadata reports whether a PEP 658 metadata file is advertised.
func (f *File) HasMetadata() bool { return f.CoreMetadata != nil }

// Find returns the file with exactly this file name, or nil.
func (p *Project) Find(filename string) *File {
	for i := range p.Files {
		if p.Files[i].Filename == filename {
			return &p.Files[i]
		}
	}
	return nil
}
