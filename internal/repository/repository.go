// Package repository defines Sluice's one abstraction for "a repository"
// and the components that implement it. A component either holds packages
// (hosted), reaches them (upstream) or wraps other repositories and changes
// what they say (priority, merge, and the policy components). Any graph of
// components can be composed in the configuration file; see Build.
package repository

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// Repository is what every component implements.
//
// Names passed in are PEP 503 normalised by the caller; a component never
// has to normalise or guess. Pages returned are shared and immutable: a
// component that changes a page builds a new one (new slices, new maps), so
// that cached pages can be handed out without copying.
type Repository interface {
	// Projects lists the normalised names of the projects the repository
	// serves, sorted, without duplicates.
	Projects(ctx context.Context) ([]string, error)
	// Project returns a project page, or an error wrapping ErrNotFound.
	Project(ctx context.Context, name string) (*simple.Project, error)
	// Resource opens a file listed on the project's page, or its PEP 658
	// metadata when name is the file name plus ".metadata".
	Resource(ctx context.Context, project, name string) (*Resource, error)
}

// ErrNotFound means the repository does not have the project or resource.
var ErrNotFound = errors.New("not found")

// UpstreamError is a failure of a remote index (unreachable, timed out,
// answered 5xx or garbage). Servers map it to 502 with its message.
type UpstreamError struct {
	Upstream string // the node name
	URL      string
	Err      error
}

func (e *UpstreamError) Error() string {
	return fmt.Sprintf("upstream %q (%s): %v", e.Upstream, e.URL, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// Resource is an open file or metadata file.
type Resource struct {
	// Body is the content. When it also implements io.Seeker, range
	// requests are served from it; it is closed by the consumer.
	Body io.ReadCloser
	// Size in bytes, or -1 when unknown.
	Size int64
	// ModTime is the upload time, zero when unknown.
	ModTime time.Time
	// SHA256 is the content's digest when known; it is the strong ETag.
	SHA256 string
}

// MetadataSuffix marks a PEP 658 metadata resource.
const MetadataSuffix = ".metadata"

// SplitMetadata returns the distribution file name of a resource name and
// whether the resource is that file's metadata.
func SplitMetadata(name string) (file string, metadata bool) {
	if f, ok := strings.CutSuffix(name, MetadataSuffix); ok {
		return f, true
	}
	return name, false
}
