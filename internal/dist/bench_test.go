package dist

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// benchWheel returns a wheel with n small members.
func benchWheel(b *testing.B, n int) []byte {
	var extra []member
	for i := range n {
		extra = append(extra, member{name: fmt.Sprintf("foo_bar/sub%d/module%d.py", i%50, i), data: fmt.Appendf(nil, "def f%d():\n    return %d\n", i, i)})
	}
	return buildZip(b, wheelMembers("foo_bar-1.0.dist-info", extra...))
}

// bigWheel returns a wheel of about total bytes of data taken from the
// test executable: machine code and data, like the shared libraries that
// make up large wheels, and compressed like them (about 2.5:1).
func bigWheel(b *testing.B, total int) (wheel []byte, uncompressed int64) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	code, err := os.ReadFile(exe)
	if err != nil {
		b.Fatal(err)
	}
	var extra []member
	const chunk = 4 << 20
	for i, off := 0, 0; i < total/chunk; i++ {
		data := make([]byte, 0, chunk)
		for len(data) < chunk {
			n := min(chunk-len(data), len(code)-off)
			data = append(data, code[off:off+n]...)
			off = (off + n + 4093) % len(code)
		}
		uncompressed += chunk
		extra = append(extra, member{name: fmt.Sprintf("foo_bar/lib%d.so", i), data: data})
	}
	return buildZip(b, wheelMembers("foo_bar-1.0.dist-info", extra...)), uncompressed
}

func BenchmarkWheelMetadata(b *testing.B) {
	w := benchWheel(b, 5000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WheelMetadata(bytes.NewReader(w), int64(len(w)), "foo-bar", "1.0", Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckWheel(b *testing.B) {
	b.Run("5000members", func(b *testing.B) {
		w := benchWheel(b, 5000)
		b.ReportAllocs()
		for b.Loop() {
			if err := CheckWheel(bytes.NewReader(w), int64(len(w)), Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	w, n := bigWheel(b, 200<<20)
	b.Logf("200MB wheel: %d bytes compressed, %d uncompressed", len(w), n)
	b.Run("200MB", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			if err := CheckWheel(bytes.NewReader(w), int64(len(w)), Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The structural checks alone, without inflating anything: what
	// CheckWheel would cost if it trusted the CRCs.
	b.Run("200MB-structure-only", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			z, err := openZip(bytes.NewReader(w), int64(len(w)), DefaultLimits(), 0)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := z.checkStructure(DefaultLimits(), newTree()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSdist(b *testing.B) {
	var extra []member
	for i := range 2000 {
		extra = append(extra, member{name: fmt.Sprintf("foo-1.0/src/m%d.py", i), data: bytes.Repeat([]byte("x = 1\n"), 100)})
	}
	s := buildTar(b, true, sdistMembers(extra...))
	b.Run("SdistMetadata", func(b *testing.B) {
		for b.Loop() {
			if _, err := SdistMetadata(bytes.NewReader(s), int64(len(s)), "foo-1.0.tar.gz", Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CheckSdist", func(b *testing.B) {
		for b.Loop() {
			if err := CheckSdist(bytes.NewReader(s), int64(len(s)), "foo-1.0.tar.gz", Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
