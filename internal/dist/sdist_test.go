package dist

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"slices"
	"testing"
)

// testTarBz2 is a .tar.bz2 sdist written by Python's tarfile (there is no
// bzip2 writer in Go's standard library): foo-1.0/PKG-INFO and setup.py.
const testTarBz2 = "QlpoOTFBWSZTWbyr8vcAAKRfgsqQQGP/EAGrwQBnJ94gQAAISDAAuSEqNFGnlHkgANNNGnqPUGnqGBkGQAGI0GQyAwSSiemk0aaAPQmgAYhl9U5gw0rAAzgQijZabSYIzOZR4hDIKJflriCuvudueWeZlXJOQGBVLQRAjuRCHj3SVj1Ji1bC0sta2puU+E5d4Z/0rpPJMqYWD1nrhzmTuDjSmhjTqOwQVNDBUb6KrXe4x8h9Ibt6RHi3ZKyCBEMCOAkGIu5IpwoSF5V+XuA="

func TestSdistMetadata(t *testing.T) {
	// A pax global header first, as git archive writes, and a symbolic
	// link to a file in the parent directory, as some sdists have.
	ms := append([]member{{name: "pax_global_header", tflag: tar.TypeXGlobalHeader}}, sdistMembers(
		member{name: "foo-1.0/docs/"},
		member{name: "foo-1.0/docs/README.md", tflag: tar.TypeSymlink, link: "../README.md"},
		member{name: "foo-1.0/docs/README2.md", tflag: tar.TypeLink, link: "foo-1.0/README.md"},
		member{name: "foo-1.0/src/foo/data.txt", tflag: tar.TypeSymlink, link: "../../docs/README.md"},
	)...)
	tests := []struct {
		filename string
		b        []byte
	}{
		{"foo-1.0.tar.gz", buildTar(t, true, ms)},
		{"foo-1.0.TGZ", buildTar(t, true, ms)},
		{"foo-1.0.tar", buildTar(t, false, ms)},
		{"foo-1.0.zip", buildZip(t, sdistMembers(member{name: "foo-1.0/docs/README.md", data: []byte("../README.md"), mode: fs.ModeSymlink | 0o777}))},
	}
	for _, tt := range tests {
		t.Run(tt.filename, func(t *testing.T) {
			got, err := SdistMetadata(bytes.NewReader(tt.b), int64(len(tt.b)), tt.filename, Limits{})
			if err != nil || !bytes.Equal(got, testPKGInfo) {
				t.Fatalf("got %q, %v", got, err)
			}
			if err := CheckSdist(bytes.NewReader(tt.b), int64(len(tt.b)), tt.filename, Limits{}); err != nil {
				t.Fatalf("CheckSdist: %v", err)
			}
		})
	}
	t.Run("tar.bz2", func(t *testing.T) {
		b, _ := base64.StdEncoding.DecodeString(testTarBz2)
		got, err := SdistMetadata(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.bz2", Limits{})
		if want := "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"; err != nil || string(got) != want {
			t.Fatalf("got %q, %v", got, err)
		}
		if err := CheckSdist(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.bz2", Limits{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("dot slash", func(t *testing.T) {
		var dotted []member
		for _, m := range append([]member{{name: "./"}}, sdistMembers()...) {
			m.name = "./" + m.name
			dotted = append(dotted, m)
		}
		b := buildTar(t, true, dotted)
		got, err := SdistMetadata(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.gz", Limits{})
		if err != nil || !bytes.Equal(got, testPKGInfo) {
			t.Fatalf("got %q, %v", got, err)
		}
		if err := CheckSdist(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.gz", Limits{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSdistHostile(t *testing.T) {
	tests := []struct {
		name  string
		ms    []member
		wants []string
		// early: SdistMetadata stops before reaching the problem.
		early bool
	}{
		{"dotdot", sdistMembers(member{name: "foo-1.0/../evil", data: []byte("x")}), []string{`".." component`}, true},
		{"dotdot first", append([]member{{name: "../evil", data: []byte("x")}}, sdistMembers()...), []string{`".." component`}, false},
		{"absolute", append([]member{{name: "/etc/passwd", data: []byte("x")}}, sdistMembers()...), []string{"absolute"}, false},
		{"backslash", sdistMembers(member{name: `foo-1.0/a\b`, data: []byte("x")}), []string{"backslash"}, true},
		{"symlink escape", sdistMembers(member{name: "foo-1.0/evil", tflag: tar.TypeSymlink, link: "../../etc/passwd"}), []string{"points outside the top-level directory"}, true},
		{"symlink to parent", sdistMembers(member{name: "foo-1.0/evil", tflag: tar.TypeSymlink, link: ".."}), []string{"points outside"}, true},
		{"symlink absolute", sdistMembers(member{name: "foo-1.0/evil", tflag: tar.TypeSymlink, link: "/etc/passwd"}), []string{"absolute path"}, true},
		{"symlink chain", sdistMembers(
			member{name: "foo-1.0/src/up", tflag: tar.TypeSymlink, link: ".."},
			member{name: "foo-1.0/evil", tflag: tar.TypeSymlink, link: "src/up/.."},
		), []string{`points through another symbolic link "foo-1.0/src/up"`}, true},
		{"write through symlink", sdistMembers(
			member{name: "foo-1.0/lnk", tflag: tar.TypeSymlink, link: "src"},
			member{name: "foo-1.0/lnk/x", data: []byte("x")},
		), []string{"inside symbolic link"}, true},
		{"hard link outside", sdistMembers(member{name: "foo-1.0/evil", tflag: tar.TypeLink, link: "../etc/passwd"}), []string{"unsafe target"}, true},
		{"hard link missing", sdistMembers(member{name: "foo-1.0/evil", tflag: tar.TypeLink, link: "foo-1.0/nothere"}), []string{"must point to a file earlier"}, true},
		{"device", sdistMembers(member{name: "foo-1.0/dev", tflag: tar.TypeChar}), []string{"device file"}, true},
		{"fifo", sdistMembers(member{name: "foo-1.0/fifo", tflag: tar.TypeFifo}), []string{"named pipe"}, true},
		{"no PKG-INFO", []member{{name: "foo-1.0/setup.py", data: []byte("x")}}, []string{`no PKG-INFO file in its top-level directory "foo-1.0"`}, false},
		{"egg-info only", []member{{name: "foo-1.0/foo.egg-info/PKG-INFO", data: testPKGInfo}}, []string{"no PKG-INFO"}, false},
		{"empty", nil, []string{"empty"}, false},
		{"two top dirs", append([]member{{name: "bar-1.0/setup.py", data: []byte("x")}}, sdistMembers()...), []string{`outside the top-level directory "bar-1.0"`}, false},
		{"two top dirs later", sdistMembers(member{name: "bar-1.0/setup.py", data: []byte("x")}), []string{"outside the top-level directory"}, true},
		{"top-level file", []member{{name: "PKG-INFO", data: testPKGInfo}}, []string{"at the top level"}, false},
		{"duplicate", sdistMembers(member{name: "foo-1.0/PKG-INFO", data: []byte("Name: evil\n")}), []string{"more than once"}, true},
		{"PKG-INFO symlink", []member{{name: "foo-1.0/x", data: testPKGInfo}, {name: "foo-1.0/PKG-INFO", tflag: tar.TypeSymlink, link: "x"}}, []string{"not a regular file"}, false},
		{"PKG-INFO dir", []member{{name: "foo-1.0/PKG-INFO/"}}, []string{"PKG-INFO"}, false},
	}
	for _, tt := range tests {
		for _, kind := range []string{"tar.gz", "zip"} {
			if kind == "zip" && slices.ContainsFunc(tt.ms, func(m member) bool { return m.tflag != 0 }) {
				continue // tar-only member types
			}
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				var b []byte
				if kind == "zip" {
					b = buildZip(t, tt.ms)
				} else {
					b = buildTar(t, true, tt.ms)
				}
				filename := "foo-1.0." + kind
				wantInvalid(t, CheckSdist(bytes.NewReader(b), int64(len(b)), filename, Limits{}), tt.wants...)
				got, err := SdistMetadata(bytes.NewReader(b), int64(len(b)), filename, Limits{})
				switch {
				case kind == "tar.gz" && tt.early:
					if err != nil || !bytes.Equal(got, testPKGInfo) {
						t.Errorf("SdistMetadata: got %q, %v", got, err)
					}
				case kind == "zip" && tt.early:
					// Depends on the check; it must not panic.
				default:
					if !errors.Is(err, ErrInvalid) {
						t.Errorf("SdistMetadata: got %q, %v; want ErrInvalid", got, err)
					}
				}
			})
		}
	}
}

func TestSdistMetadataLimits(t *testing.T) {
	b := buildTar(t, true, sdistMembers())
	_, err := SdistMetadata(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.gz", Limits{MaxMetadataSize: 10})
	wantInvalid(t, err, "PKG-INFO file is", "limit of 10 bytes")
	wantInvalid(t, CheckSdist(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.gz", Limits{MaxMembers: 2}), "more members than the limit of 2")
	z := buildZip(t, sdistMembers())
	_, err = SdistMetadata(bytes.NewReader(z), int64(len(z)), "foo-1.0.zip", Limits{MaxMetadataSize: 10})
	wantInvalid(t, err, "PKG-INFO file is", "limit of 10 bytes")
	wantInvalid(t, CheckSdist(bytes.NewReader(z), int64(len(z)), "foo-1.0.zip", Limits{MaxMetadataSize: 10}), "PKG-INFO file is")
}

func TestSdistFileNames(t *testing.T) {
	b := buildTar(t, true, sdistMembers())
	for _, name := range []string{"foo-1.0.tar.xz", "foo-1.0.whl", "foo", ""} {
		_, err := SdistMetadata(bytes.NewReader(b), int64(len(b)), name, Limits{})
		wantInvalid(t, err, "not an sdist file name")
	}
	// The content does not match the name.
	_, err := SdistMetadata(bytes.NewReader(b), int64(len(b)), "foo-1.0.zip", Limits{})
	wantInvalid(t, err, "not a zip archive")
	z := buildZip(t, sdistMembers())
	_, err = SdistMetadata(bytes.NewReader(z), int64(len(z)), "foo-1.0.tar.gz", Limits{})
	wantInvalid(t, err, "not a gzip-compressed tar archive")
	_, err = SdistMetadata(bytes.NewReader(z), int64(len(z)), "foo-1.0.tar", Limits{})
	wantInvalid(t, err, "not a valid tar archive")
	_, err = SdistMetadata(bytes.NewReader(z), int64(len(z)), "foo-1.0.tar.bz2", Limits{})
	wantInvalid(t, err, "bzip2")
}

// The bomb tests assert how much of the archive was read rather than how
// long refusing it took, which depends on the machine and the race
// detector: reading a small part of a bomb proves that inflating stopped
// early.

func TestSdistBomb(t *testing.T) {
	// 1 GiB of zeros in a 1 MB .tar.gz, refused as soon as the tar header
	// declares more than the ratio allows.
	b := tarBomb(t, "foo-1.0/zeros", 1<<30)
	for _, check := range []func(io.ReaderAt) error{
		func(r io.ReaderAt) error { return CheckSdist(r, int64(len(b)), "foo-1.0.tar.gz", Limits{}) },
		func(r io.ReaderAt) error {
			_, err := SdistMetadata(r, int64(len(b)), "foo-1.0.tar.gz", Limits{})
			return err
		},
	} {
		cr := &countingReaderAt{r: bytes.NewReader(b)}
		wantInvalid(t, check(cr), "decompression bombs")
		if cr.bytes > 128<<10 {
			t.Errorf("read %d of %d bytes to refuse", cr.bytes, len(b))
		}
	}
	// The same with an absolute limit.
	b = tarBomb(t, "foo-1.0/zeros", 8<<20)
	wantInvalid(t, CheckSdist(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.gz", Limits{MaxTotalUncompressed: 4 << 20}), "expands to more than 4 MiB")

	// A bomb after PKG-INFO does not concern SdistMetadata, which stops
	// at PKG-INFO; CheckSdist refuses it.
	var head bytes.Buffer
	tw := tar.NewWriter(&head)
	tw.WriteHeader(&tar.Header{Name: "foo-1.0/PKG-INFO", Size: int64(len(testPKGInfo)), Mode: 0o644, Format: tar.FormatUSTAR})
	tw.Write(testPKGInfo)
	tw.WriteHeader(&tar.Header{Name: "foo-1.0/zeros", Size: 1 << 30, Mode: 0o644, Format: tar.FormatUSTAR})
	tw.Flush()
	b = gzipZeros(head.Bytes(), 1<<30+1024)
	cr := &countingReaderAt{r: bytes.NewReader(b)}
	got, err := SdistMetadata(cr, int64(len(b)), "foo-1.0.tar.gz", Limits{})
	if err != nil || !bytes.Equal(got, testPKGInfo) || cr.bytes > 128<<10 {
		t.Errorf("SdistMetadata: got %q, %v after reading %d bytes", got, err, cr.bytes)
	}
	wantInvalid(t, CheckSdist(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.gz", Limits{}), "decompression bombs")

	// No header declares much, but 1 GiB of zero "padding" follows the
	// end-of-archive marker: only the limit on the decompressed stream
	// catches it, after max(64 MiB, 200 * 1 MB).
	b = gzipZeros(buildTar(t, false, sdistMembers()), 1<<30)
	cr = &countingReaderAt{r: bytes.NewReader(b)}
	wantInvalid(t, CheckSdist(cr, int64(len(b)), "foo-1.0.tar.gz", Limits{}), "decompression bombs")
	if cr.bytes > int64(len(b))/3 {
		t.Errorf("read %d of %d bytes to refuse", cr.bytes, len(b))
	}
}

func TestSdistCorrupt(t *testing.T) {
	ms := sdistMembers(member{name: "foo-1.0/big.txt", data: bytes.Repeat([]byte("some text\n"), 10000)})
	valid := buildTar(t, true, ms)

	// Truncated: SdistMetadata finds PKG-INFO early, CheckSdist does not
	// get to the end.
	for _, n := range []int{0, 5, 20, len(valid) / 2, len(valid) - 4} {
		b := valid[:n]
		err := CheckSdist(bytes.NewReader(b), int64(n), "foo-1.0.tar.gz", Limits{})
		wantInvalid(t, err)
	}
	// Bad gzip checksum.
	b := bytes.Clone(valid)
	b[len(b)-6] ^= 1
	wantInvalid(t, CheckSdist(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.gz", Limits{}), "gzip checksum")
	// Data after the gzip stream.
	b = append(bytes.Clone(valid), "trailing junk"...)
	wantInvalid(t, CheckSdist(bytes.NewReader(b), int64(len(b)), "foo-1.0.tar.gz", Limits{}), "after its gzip stream")
	// Data after the tar end-of-archive marker.
	tb := append(buildTar(t, false, ms), "hidden"...)
	wantInvalid(t, CheckSdist(bytes.NewReader(tb), int64(len(tb)), "foo-1.0.tar", Limits{}), "data after the end of its tar archive")
	if _, err := SdistMetadata(bytes.NewReader(tb), int64(len(tb)), "foo-1.0.tar", Limits{}); err != nil {
		t.Error(err)
	}
	// A corrupt tar header.
	tb = buildTar(t, false, ms)
	tb[512*3+100] ^= 0x40
	wantInvalid(t, CheckSdist(bytes.NewReader(tb), int64(len(tb)), "foo-1.0.tar", Limits{}), "not a valid tar archive")

	// Zip sdist with a corrupt member.
	z := buildZip(t, append(ms, member{name: "foo-1.0/stored", data: []byte("stored data"), store: true}))
	z[dataOffset(t, z, "foo-1.0/stored")] ^= 1
	wantInvalid(t, CheckSdist(bytes.NewReader(z), int64(len(z)), "foo-1.0.zip", Limits{}), `"foo-1.0/stored" is corrupt`)
}

func TestSdistIOError(t *testing.T) {
	for _, name := range []string{"foo-1.0.tar.gz", "foo-1.0.zip"} {
		var b []byte
		if name == "foo-1.0.zip" {
			b = buildZip(t, sdistMembers())
		} else {
			b = buildTar(t, true, sdistMembers())
		}
		r := failingReaderAt{bytes.NewReader(b), 0, int64(len(b))}
		_, err := SdistMetadata(r, int64(len(b)), name, Limits{})
		if !errors.Is(err, errDisk) || errors.Is(err, ErrInvalid) {
			t.Errorf("%s: SdistMetadata error %v, want the I/O error and not ErrInvalid", name, err)
		}
		err = CheckSdist(r, int64(len(b)), name, Limits{})
		if !errors.Is(err, errDisk) || errors.Is(err, ErrInvalid) {
			t.Errorf("%s: CheckSdist error %v, want the I/O error and not ErrInvalid", name, err)
		}
	}
}

func TestIsSparse(t *testing.T) {
	if !isSparse(&tar.Header{Typeflag: tar.TypeGNUSparse}) ||
		!isSparse(&tar.Header{Typeflag: tar.TypeReg, PAXRecords: map[string]string{"GNU.sparse.major": "1"}}) ||
		isSparse(&tar.Header{Typeflag: tar.TypeReg, PAXRecords: map[string]string{"path": "x"}}) {
		t.Error("isSparse is wrong")
	}
}
