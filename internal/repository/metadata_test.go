package repository

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/blob"
	"github.com/sluice-pkg/sluice/internal/store"
)

// bigWheel builds a wheel of about size bytes: one large stored member and a
// normal dist-info, as an ML wheel looks.
func bigWheel(t *testing.T, size int, meta string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "big/weights.bin", Method: zip.Store})
	chunk := bytes.Repeat([]byte{0x5a}, 1<<20)
	for written := 0; written < size; written += len(chunk) {
		w.Write(chunk)
	}
	for i := range 300 { // a central directory of some size
		w, _ := zw.Create(fmt.Sprintf("big/mod%03d.py", i))
		io.WriteString(w, "x = 1\n")
	}
	for name, data := range map[string]string{
		"big-1.0.dist-info/METADATA": meta,
		"big-1.0.dist-info/WHEEL":    "Wheel-Version: 1.0\nTag: py3-none-any\n",
		"big-1.0.dist-info/RECORD":   "",
	} {
		w, _ := zw.Create(name)
		io.WriteString(w, data)
	}
	zw.Close()
	return buf.Bytes()
}

func TestMetadataOfABigWheelReadsOnlyItsEnd(t *testing.T) {
	meta := "Metadata-Version: 2.1\nName: big\nVersion: 1.0\nRequires-Dist: numpy\n"
	whl := bigWheel(t, 60<<20, meta)
	var served atomic.Int64
	var requests atomic.Int64
	u, _ := newTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/simple/") {
			fmt.Fprintf(w, `<a href="/f/big-1.0-py3-none-any.whl#sha256=%s">big-1.0-py3-none-any.whl</a>`, hexOf(string(whl)))
			return
		}
		requests.Add(1)
		cw := &countingWriter{ResponseWriter: w, n: &served}
		http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(whl))
	}), UpstreamConfig{})
	dir := t.TempDir()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bs, _ := blob.NewFS(filepath.Join(dir, "blobs"))
	m := NewMetadataExtractor(u, MetadataConfig{}, db, bs)
	page, err := m.Project(context.Background(), "big")
	if err != nil {
		t.Fatal(err)
	}
	if got := page.Files[0].CoreMetadata["sha256"]; got != hexOf(meta) {
		t.Fatalf("advertised %q, want %q", got, hexOf(meta))
	}
	t.Logf("metadata of a %d MiB wheel: %d bytes fetched in %d requests", len(whl)>>20, served.Load(), requests.Load())
	if served.Load() >= 256<<10 {
		t.Fatalf("fetched %d bytes of a %d-byte wheel to read its metadata, want under 256 KiB", served.Load(), len(whl))
	}
	res, err := m.Resource(context.Background(), "big", "big-1.0-py3-none-any.whl.metadata")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	if string(got) != meta {
		t.Fatalf("metadata %q", got)
	}
	before := requests.Load()
	m.Project(context.Background(), "big")
	if requests.Load() != before {
		t.Fatal("metadata extracted again for a known wheel")
	}
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.ResponseWriter.Write(p)
}

// A broken wheel is remembered as broken: no metadata advertised, no retry.
func TestMetadataOfABrokenWheel(t *testing.T) {
	junk := []byte(strings.Repeat("not a zip ", 1000))
	var requests atomic.Int64
	u, _ := newTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/simple/") {
			fmt.Fprintf(w, `<a href="/f/x-1.0-py3-none-any.whl#sha256=%s">x-1.0-py3-none-any.whl</a>`, hexOf(string(junk)))
			return
		}
		requests.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(junk)))
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(junk))
	}), UpstreamConfig{})
	dir := t.TempDir()
	db, _ := store.OpenSQLite(context.Background(), filepath.Join(dir, "db"))
	defer db.Close()
	bs, _ := blob.NewFS(filepath.Join(dir, "blobs"))
	m := NewMetadataExtractor(u, MetadataConfig{}, db, bs)
	for range 2 {
		page, err := m.Project(context.Background(), "x")
		if err != nil || page.Files[0].HasMetadata() {
			t.Fatalf("page %+v, %v", page, err)
		}
	}
	if n := requests.Load(); n == 0 || n > 2 {
		t.Fatalf("%d requests for a broken wheel over two pages", n)
	}
}
