package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestUpstream(t *testing.T, h http.Handler, cfg UpstreamConfig) (*Upstream, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if cfg.URL == "" {
		cfg.URL = srv.URL + "/simple/"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	u, err := NewUpstream("pypi", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return u, srv
}

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// An HTML-only upstream (pypiserver, devpi, a static mirror): relative
// links, fragments with hashes, data attributes, a redirect to the
// normalised name.
func TestUpstreamHTMLPages(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><a href="alpha-lib/">alpha-lib</a><a href="Other_Name/">Other_Name</a></body></html>`)
	})
	mux.HandleFunc("/simple/alpha-lib/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") == "" || !strings.Contains(r.Header.Get("Accept"), "json") {
			t.Errorf("the page request does not ask for JSON first: %q", r.Header.Get("Accept"))
		}
		fmt.Fprintf(w, `<html><body>
<a href="../../packages/alpha_lib-1.0-py3-none-any.whl#sha256=%s" data-requires-python="&gt;=3.7" data-dist-info-metadata="sha256=%s">alpha_lib-1.0-py3-none-any.whl</a>
<a href="../../packages/alpha-lib-1.0.tar.gz#md5=abc" data-yanked="bad &quot;build&quot;">alpha-lib-1.0.tar.gz</a>
<a href="../../packages/omega-9.9-py3-none-any.whl">omega-9.9-py3-none-any.whl</a>
<a href="javascript:alert(1)">alpha_lib-2.0-py3-none-any.whl</a>
<a href="file:///etc/passwd">alpha_lib-3.0-py3-none-any.whl</a>
</body></html>`, hexOf("wheel"), hexOf("meta"))
	})
	mux.HandleFunc("/simple/Alpha_Lib/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/simple/alpha-lib/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/packages/alpha_lib-1.0-py3-none-any.whl", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "wheel") })
	mux.HandleFunc("/packages/alpha_lib-1.0-py3-none-any.whl.metadata", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "meta") })
	u, srv := newTestUpstream(t, mux, UpstreamConfig{})
	ctx := context.Background()
	page, err := u.Project(ctx, "alpha-lib")
	if err != nil {
		t.Fatal(err)
	}
	if got := fileNames(page); !slices.Equal(got, []string{"alpha_lib-1.0-py3-none-any.whl", "alpha-lib-1.0.tar.gz"}) {
		t.Fatalf("files = %v: another project's file and non-http links must be dropped", got)
	}
	w := page.Files[0]
	if w.Origin != srv.URL+"/packages/alpha_lib-1.0-py3-none-any.whl" || w.SHA256() != hexOf("wheel") ||
		w.RequiresPython != ">=3.7" || w.CoreMetadata["sha256"] != hexOf("meta") {
		t.Fatalf("wheel = %+v", w)
	}
	if s := page.Files[1]; !s.Yanked || s.YankedReason != `bad "build"` {
		t.Fatalf("sdist = %+v", s)
	}
	names, err := u.Projects(ctx)
	if err != nil || !slices.Equal(names, []string{"alpha-lib", "other-name"}) {
		t.Fatalf("Projects = %v, %v", names, err)
	}
	res, err := u.Resource(ctx, "alpha-lib", "alpha_lib-1.0-py3-none-any.whl.metadata")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if string(b) != "meta" {
		t.Fatalf("metadata = %q", b)
	}
	res, err = u.Resource(ctx, "alpha-lib", "alpha_lib-1.0-py3-none-any.whl")
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(res.Body)
	if err != nil || string(b) != "wheel" {
		t.Fatalf("file = %q, %v", b, err)
	}
	if _, err := u.Resource(ctx, "alpha-lib", "omega-9.9-py3-none-any.whl"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a file the page does not list: %v", err)
	}
}

func TestUpstreamCachesAndCoalesces(t *testing.T) {
	var mu sync.Mutex
	hits := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		if strings.Contains(r.URL.Path, "missing") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		io.WriteString(w, `{"meta":{"api-version":"1.1"},"name":"p","files":[]}`)
	})
	u, _ := newTestUpstream(t, h, UpstreamConfig{PageTTL: time.Minute})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := u.Project(context.Background(), "p"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	u.Project(context.Background(), "p")
	for range 3 {
		if _, err := u.Project(context.Background(), "missing"); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	if hits != 2 {
		t.Fatalf("%d upstream requests for 24 page lookups of 2 names, want 2", hits)
	}
}

func TestUpstreamFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("5xx is retried then an UpstreamError", func(t *testing.T) {
		n := 0
		u, _ := newTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			w.WriteHeader(http.StatusBadGateway)
		}), UpstreamConfig{})
		_, err := u.Project(ctx, "x")
		var ue *UpstreamError
		if !errors.As(err, &ue) || ue.Upstream != "pypi" || n != 3 {
			t.Fatalf("err = %v after %d attempts", err, n)
		}
	})
	t.Run("a hanging upstream times out", func(t *testing.T) {
		release := make(chan struct{})
		u, _ := newTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
		}), UpstreamConfig{Timeout: 200 * time.Millisecond})
		defer close(release)
		start := time.Now()
		_, err := u.Project(ctx, "x")
		var ue *UpstreamError
		if !errors.As(err, &ue) || time.Since(start) > 5*time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
	t.Run("garbage page", func(t *testing.T) {
		u, _ := newTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
			io.WriteString(w, `{"meta":{"api-version":"1.0"},"files":[{"filename":`)
		}), UpstreamConfig{})
		_, err := u.Project(ctx, "x")
		var ue *UpstreamError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "unreadable") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("metadata that does not match its hash", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.HandleFunc("/simple/x/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<a href="/f/x-1.0-py3-none-any.whl" data-core-metadata="sha256=%s">x-1.0-py3-none-any.whl</a>`, hexOf("promised"))
		})
		mux.HandleFunc("/f/x-1.0-py3-none-any.whl.metadata", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "delivered") })
		u, _ := newTestUpstream(t, mux, UpstreamConfig{})
		_, err := u.Resource(ctx, "x", "x-1.0-py3-none-any.whl.metadata")
		var ue *UpstreamError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "promised") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad configuration", func(t *testing.T) {
		for _, raw := range []string{"", "ftp://x/simple/", "not a url", "http:///simple/"} {
			if _, err := NewUpstream("u", UpstreamConfig{URL: raw}); err == nil {
				t.Errorf("NewUpstream(%q) accepted", raw)
			}
		}
	})
}

// Credentials for a private upstream go to its own host only, never to a
// file host elsewhere that its pages link to.
func TestUpstreamCredentialsStayHome(t *testing.T) {
	var fileAuth string
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fileAuth = r.Header.Get("Authorization")
		io.WriteString(w, "wheel")
	}))
	defer files.Close()
	var pageUser, pagePass string
	u, _ := newTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageUser, pagePass, _ = r.BasicAuth()
		fmt.Fprintf(w, `<a href="%s/x-1.0-py3-none-any.whl#sha256=%s">x-1.0-py3-none-any.whl</a>`, files.URL, hexOf("wheel"))
	}), UpstreamConfig{Username: "ci", Password: "s3cret"})
	res, err := u.Resource(context.Background(), "x", "x-1.0-py3-none-any.whl")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(res.Body)
	if pageUser != "ci" || pagePass != "s3cret" {
		t.Fatalf("page credentials %q/%q", pageUser, pagePass)
	}
	if fileAuth != "" {
		t.Fatalf("credentials leaked to another host: %q", fileAuth)
	}
}

// An upstream that ignores Range still gives correct bytes for a ranged read.
func TestHTTPFileWithoutRangeSupport(t *testing.T) {
	content := strings.Repeat("0123456789", 1000)
	u, _ := newTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/simple/") {
			fmt.Fprintf(w, `<a href="/f/x-1.0-py3-none-any.whl">x-1.0-py3-none-any.whl</a>`)
			return
		}
		if !strings.Contains(r.URL.Path, "chunked") {
			w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		}
		io.WriteString(w, content) // 200, whole file, whatever the Range
	}), UpstreamConfig{})
	res, err := u.Resource(context.Background(), "x", "x-1.0-py3-none-any.whl")
	if err != nil {
		t.Fatal(err)
	}
	seeker := res.Body.(io.ReadSeeker)
	size, err := seeker.Seek(0, io.SeekEnd)
	if err != nil || size != int64(len(content)) {
		t.Fatalf("size %d, %v", size, err)
	}
	seeker.Seek(5005, io.SeekStart)
	buf := make([]byte, 10)
	if _, err := io.ReadFull(seeker, buf); err != nil || string(buf) != "5678901234" {
		t.Fatalf("ranged read = %q, %v", buf, err)
	}
}

// Without any size, the file still streams whole (ranges are not offered).
func TestHTTPFileOfUnknownSize(t *testing.T) {
	content := strings.Repeat("0123456789", 1000)
	u, _ := newTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/simple/") {
			fmt.Fprintf(w, `<a href="/f/chunked/x-1.0-py3-none-any.whl#sha256=%s">x-1.0-py3-none-any.whl</a>`, hexOf(content))
			return
		}
		io.WriteString(w, content) // chunked: no Content-Length
	}), UpstreamConfig{})
	res, err := u.Resource(context.Background(), "x", "x-1.0-py3-none-any.whl")
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != -1 {
		t.Fatalf("size %d, want unknown", res.Size)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil || string(b) != content {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
}
