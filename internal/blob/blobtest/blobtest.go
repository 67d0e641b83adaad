// Package blobtest is the conformance suite every blob.Store must pass.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-pkg/sluice/internal/blob"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// failingReader returns some bytes, then an error, like a client that hangs up.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), f.n)
	for i := range k {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

// Run runs the suite against stores made by newStore, one per subtest.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := context.Background()
	t.Run("PutOpenStat", func(t *testing.T) {
		s := newStore(t)
		data := bytes.Repeat([]byte("wheel bytes "), 10000)
		info, err := s.Put(ctx, bytes.NewReader(data), "")
		if err != nil {
			t.Fatal(err)
		}
		if info.Digest != digest(data) || info.Size != int64(len(data)) {
			t.Fatalf("Put = %+v, want digest %s size %d", info, digest(data), len(data))
		}
		st, err := s.Stat(ctx, info.Digest)
		if err != nil || st.Size != int64(len(data)) {
			t.Fatalf("Stat = %+v, %v", st, err)
		}
		o, err := s.Open(ctx, info.Digest)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		got, err := io.ReadAll(o)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, err %v", len(got), err)
		}
		if o.Info().Size != int64(len(data)) {
			t.Fatalf("Object.Info().Size = %d", o.Info().Size)
		}
		// random access and seeking, as range requests and zip readers use them
		buf := make([]byte, 5)
		if _, err := o.ReadAt(buf, 12); err != nil || string(buf) != "wheel" {
			t.Fatalf("ReadAt = %q, %v", buf, err)
		}
		if _, err := o.Seek(6, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(o, buf); err != nil || string(buf) != "bytes" {
			t.Fatalf("Seek+Read = %q, %v", buf, err)
		}
	})
	t.Run("PutIdempotent", func(t *testing.T) {
		s := newStore(t)
		for range 2 {
			if _, err := s.Put(ctx, strings.NewReader("same"), digest([]byte("same"))); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("DigestMismatchStoresNothing", func(t *testing.T) {
		s := newStore(t)
		want := digest([]byte("promised"))
		_, err := s.Put(ctx, strings.NewReader("delivered"), want)
		if !errors.Is(err, blob.ErrDigestMismatch) {
			t.Fatalf("Put with wrong digest: %v, want ErrDigestMismatch", err)
		}
		for _, d := range []string{want, digest([]byte("delivered"))} {
			if _, err := s.Stat(ctx, d); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("Stat(%s) after refused Put: %v, want ErrNotFound", d, err)
			}
		}
	})
	t.Run("FailedReaderStoresNothing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Put(ctx, &failingReader{n: 100000}, "")
		if err == nil {
			t.Fatal("Put from a failing reader succeeded")
		}
		full := digest(bytes.Repeat([]byte("x"), 100000))
		if _, err := s.Stat(ctx, full); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("partial blob visible: %v", err)
		}
	})
	t.Run("NotFoundAndHostileDigests", func(t *testing.T) {
		s := newStore(t)
		for _, d := range []string{digest([]byte("never stored")), "../../etc/passwd", "", strings.Repeat("A", 64)} {
			if _, err := s.Open(ctx, d); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Open(%q) = %v, want ErrNotFound", d, err)
			}
			if _, err := s.Stat(ctx, d); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Stat(%q) = %v, want ErrNotFound", d, err)
			}
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		info, err := s.Put(ctx, strings.NewReader("to delete"), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, info.Digest); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, info.Digest); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Open after Delete: %v", err)
		}
		if err := s.Delete(ctx, info.Digest); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
	})
	t.Run("ConcurrentPutsOfSameContent", func(t *testing.T) {
		s := newStore(t)
		data := bytes.Repeat([]byte("concurrent"), 50000)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Put(ctx, bytes.NewReader(data), digest(data))
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		o, err := s.Open(ctx, digest(data))
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		got, _ := io.ReadAll(o)
		if !bytes.Equal(got, data) {
			t.Fatal("content differs after concurrent puts")
		}
	})
	t.Run("Ping", func(t *testing.T) {
		if err := newStore(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
