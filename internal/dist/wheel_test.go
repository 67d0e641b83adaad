package dist

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestWheelMetadata(t *testing.T) {
	b := testWheel(t)
	got, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), "foo-bar", "1.0", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, testMetadata) {
		t.Errorf("got %q, want %q", got, testMetadata)
	}
	if err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}); err != nil {
		t.Errorf("CheckWheel: %v", err)
	}
}

func TestWheelMetadataStored(t *testing.T) {
	// METADATA stored, and written the way Python's zipfile does it:
	// sizes in the local header, no data descriptor.
	ms := wheelMembers("foo-1.0.dist-info")
	for i := range ms {
		ms[i].raw = true
		ms[i].store = strings.HasSuffix(ms[i].name, "METADATA") || strings.HasSuffix(ms[i].name, "/")
	}
	b := buildZip(t, ms)
	got, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), "foo", "1.0", Limits{})
	if err != nil || !bytes.Equal(got, testMetadata) {
		t.Fatalf("got %q, %v", got, err)
	}
	if err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}); err != nil {
		t.Errorf("CheckWheel: %v", err)
	}
}

func TestWheelMetadataNames(t *testing.T) {
	tests := []struct {
		dir, dist, version string
		ok                 bool
	}{
		{"Foo_Bar-1.0.dist-info", "foo-bar", "1.0", true},
		{"Foo_Bar-1.0.dist-info", "foo.bar", "1.0", true},
		{"Foo_Bar-1.0.dist-info", "FOO__bar", " 1.0 ", true},
		{"Foo_Bar-1.0.dist-info", "foo_bar", "", true},
		{"foo-bar-1.0.dist-info", "foo_bar", "1.0", true}, // unescaped, by old tools
		{"foo_bar-1.0rc1.dist-info", "foo-bar", "1.0RC1", true},
		{"foo_bar-1.0_1.dist-info", "foo-bar", "1.0-1", true},
		{"foo_bar-1.0.post1+local.dist-info", "foo-bar", "1.0.post1+local", true},
		{"Foo_Bar-1.0.dist-info", "foo-baz", "1.0", false},
		{"Foo_Bar-1.0.dist-info", "foo", "1.0", false},
		{"Foo_Bar-1.0.dist-info", "foo-bar", "1.1", false},
		{"Foo_Bar-1.0.dist-info", "foo-bar", "1.0.0", false},
		{"Foo_Bar.dist-info", "foo-bar", "", false},
		{"other-1.0.dist-info", "foo-bar", "1.0", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s", tt.dir, tt.dist, tt.version), func(t *testing.T) {
			b := buildZip(t, wheelMembers(tt.dir))
			got, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), tt.dist, tt.version, Limits{})
			if tt.ok {
				if err != nil || !bytes.Equal(got, testMetadata) {
					t.Fatalf("got %q, %v", got, err)
				}
				return
			}
			wantInvalid(t, err, "does not match its file name", tt.dir)
		})
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Foo_Bar": "foo-bar", "foo.bar": "foo-bar", "FOO-._bar": "foo-bar",
		"a": "a", "_a_": "-a-", "zope.interface": "zope-interface",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWheelMetadataErrors(t *testing.T) {
	dir := "foo-1.0.dist-info"
	valid := buildZip(t, wheelMembers(dir))
	tests := []struct {
		name  string
		b     []byte
		lim   Limits
		wants []string
	}{
		{"not a zip", []byte("this is not a zip file, just some text that goes on"), Limits{}, []string{"not a zip archive"}},
		{"empty", nil, Limits{}, []string{"not a zip archive"}},
		{"truncated", valid[:len(valid)/2], Limits{}, []string{"not a zip archive"}},
		{"truncated end", valid[:len(valid)-5], Limits{}, []string{"not a zip archive"}},
		{"no dist-info", buildZip(t, []member{{name: "foo/__init__.py"}}), Limits{}, []string{"no .dist-info directory"}},
		{"two dist-info", buildZip(t, append(wheelMembers(dir), member{name: "bar-1.0.dist-info/METADATA", data: testMetadata})), Limits{},
			[]string{"more than one .dist-info", "bar-1.0.dist-info", dir}},
		{"no METADATA", buildZip(t, []member{{name: dir + "/WHEEL", data: []byte(testWheelFile)}}), Limits{}, []string{"no foo-1.0.dist-info/METADATA file"}},
		{"METADATA too large", valid, Limits{MaxMetadataSize: 10}, []string{"METADATA file is", "more than the limit of 10 bytes"}},
		{"METADATA twice", buildZip(t, append(wheelMembers(dir), member{name: dir + "/METADATA", data: testMetadata})), Limits{},
			[]string{"contains foo-1.0.dist-info/METADATA more than once"}},
		{"too many members", valid, Limits{MaxMembers: 3}, []string{"more than the limit of 3"}},
		{"directory too large", valid, Limits{MaxDirectorySize: 100}, []string{"central directory is", "more than the limit of 100 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WheelMetadata(bytes.NewReader(tt.b), int64(len(tt.b)), "foo", "1.0", tt.lim)
			wantInvalid(t, err, tt.wants...)
		})
	}
}

func TestWheelMetadataCorrupt(t *testing.T) {
	dir := "foo-1.0.dist-info"
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		for _, raw := range []bool{false, true} {
			t.Run(fmt.Sprintf("method%d/raw=%v", method, raw), func(t *testing.T) {
				ms := wheelMembers(dir)
				for i := range ms {
					if strings.HasSuffix(ms[i].name, "/METADATA") {
						ms[i].store, ms[i].raw = method == zip.Store, raw
					}
				}
				b := buildZip(t, ms)
				off := dataOffset(t, b, dir+"/METADATA")
				b[off+20] ^= 0x55
				_, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), "foo", "1.0", Limits{})
				wantInvalid(t, err, "METADATA file is corrupt")
				wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}), "corrupt")
			})
		}
	}
}

func TestWheelMetadataZeroCRC(t *testing.T) {
	// archive/zip does not check a stored CRC of zero; we do.
	dir := "foo-1.0.dist-info"
	b := buildZip(t, wheelMembers(dir))
	offs, names := centralEntries(t, b)
	for i, n := range names {
		if n == dir+"/METADATA" {
			copy(b[offs[i]+16:], []byte{0, 0, 0, 0})
		}
	}
	_, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), "foo", "1.0", Limits{})
	wantInvalid(t, err, "CRC-32")
}

func TestWheelMetadataEncrypted(t *testing.T) {
	dir := "foo-1.0.dist-info"
	b := buildZip(t, wheelMembers(dir))
	setFlags(t, b, dir+"/METADATA", flagEncrypted)
	_, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), "foo", "1.0", Limits{})
	wantInvalid(t, err, "encrypted")
	wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}), "encrypted")
}

func TestWheelMetadataMethod(t *testing.T) {
	dir := "foo-1.0.dist-info"
	ms := wheelMembers(dir)
	for i := range ms {
		if strings.HasSuffix(ms[i].name, "/METADATA") {
			ms[i].raw, ms[i].method = true, 12
		}
	}
	b := buildZip(t, ms)
	_, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), "foo", "1.0", Limits{})
	wantInvalid(t, err, "compression method 12 (bzip2)", "only stored and deflate")
	wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}), "compression method 12")
}

func TestWheelMetadataIOError(t *testing.T) {
	b := testWheel(t)
	size := int64(len(b))
	meta := int64(dataOffset(t, b, "Foo_Bar-1.0.dist-info/METADATA"))
	local := int64(localOffset(t, b, "Foo_Bar-1.0.dist-info/METADATA"))
	for _, r := range []failingReaderAt{
		{bytes.NewReader(b), 0, size},              // everything
		{bytes.NewReader(b), size - 1, size},       // the end record
		{bytes.NewReader(b), meta + 10, meta + 11}, // METADATA's data
		{bytes.NewReader(b), local + 3, local + 4}, // METADATA's local header
	} {
		_, err := WheelMetadata(r, size, "foo-bar", "1.0", Limits{})
		if !errors.Is(err, errDisk) || errors.Is(err, ErrInvalid) {
			t.Errorf("fail [%d, %d): WheelMetadata error %v, want the I/O error and not ErrInvalid", r.from, r.to, err)
		}
		err = CheckWheel(r, size, Limits{})
		if !errors.Is(err, errDisk) || errors.Is(err, ErrInvalid) {
			t.Errorf("fail [%d, %d): CheckWheel error %v, want the I/O error and not ErrInvalid", r.from, r.to, err)
		}
	}
}

// TestWheelMetadataRangeReads checks the property that lets Sluice read
// the metadata of an upstream wheel with HTTP range requests: a few KiB
// are read from a 50 MB wheel.
func TestWheelMetadataRangeReads(t *testing.T) {
	big := make([]byte, 50<<20)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(big)
	dir := "big-2.0.dist-info"
	b := buildZip(t, wheelMembers(dir, member{name: "big/blob.so", data: big, store: true}))
	cr := &countingReaderAt{r: bytes.NewReader(b)}
	got, err := WheelMetadata(cr, int64(len(b)), "big", "2.0", Limits{})
	if err != nil || !bytes.Equal(got, testMetadata) {
		t.Fatalf("got %q, %v", got, err)
	}
	t.Logf("WheelMetadata read %d bytes in %d calls from a %d-byte wheel", cr.bytes, cr.calls, len(b))
	if cr.bytes >= 256<<10 {
		t.Errorf("read %d bytes, want < 256 KiB", cr.bytes)
	}
}

func TestCheckWheel(t *testing.T) {
	tests := []struct {
		name  string
		extra []member
		ok    bool
		wants []string
	}{
		{"valid", nil, true, nil},
		{"nested dirs", []member{{name: "foo_bar/sub/"}, {name: "foo_bar/sub/x.py", data: []byte("x")}, {name: "foo-1.0.data/scripts/run", data: []byte("#!python\n")}}, true, nil},
		{"utf8 name", []member{{name: "foo_bar/café.py", data: []byte("x")}}, true, nil},
		{"internal symlink", []member{{name: "foo_bar/link", data: []byte("data.bin"), mode: fs.ModeSymlink | 0o777}}, true, nil},
		{"dotdot", []member{{name: "../evil", data: []byte("x")}}, false, []string{`"../evil"`, `".." component`}},
		{"dotdot inside", []member{{name: "foo_bar/../../evil", data: []byte("x")}}, false, []string{`".." component`}},
		{"absolute", []member{{name: "/abs", data: []byte("x")}}, false, []string{`"/abs"`, "absolute"}},
		{"backslash", []member{{name: `a\b`, data: []byte("x")}}, false, []string{"backslash"}},
		{"drive letter", []member{{name: "C:x", data: []byte("x")}}, false, []string{"drive letter"}},
		{"empty name", []member{{name: "", data: []byte("x")}}, false, []string{"is empty"}},
		{"nul", []member{{name: "a\x00b", data: []byte("x")}}, false, []string{"NUL"}},
		{"control", []member{{name: "a\nb", data: []byte("x")}}, false, []string{"control character"}},
		{"double slash", []member{{name: "foo_bar//x", data: []byte("x")}}, false, []string{"not a clean path"}},
		{"dot", []member{{name: "./foo_bar/x", data: []byte("x")}}, false, []string{"not a clean path"}},
		{"duplicate", []member{{name: "foo_bar/__init__.py", data: []byte("x")}}, false, []string{`contains "foo_bar/__init__.py" more than once`}},
		{"file and dir", []member{{name: "foo_bar/x", data: []byte("x")}, {name: "foo_bar/x/y", data: []byte("x")}}, false, []string{`inside "foo_bar/x", which is not a directory`}},
		{"dir and file", []member{{name: "foo_bar/x/y", data: []byte("x")}, {name: "foo_bar/x", data: []byte("x")}}, false, []string{`"foo_bar/x" is a file`}},
		{"escaping symlink", []member{{name: "foo_bar/link", data: []byte("../../etc/passwd"), mode: fs.ModeSymlink | 0o777}}, false, []string{"points outside the archive"}},
		{"absolute symlink", []member{{name: "foo_bar/link", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}}, false, []string{"absolute path"}},
		{"write through symlink", []member{{name: "foo_bar/link", data: []byte("."), mode: fs.ModeSymlink | 0o777}, {name: "foo_bar/link/x", data: []byte("x")}}, false, []string{"inside symbolic link"}},
		{"fifo", []member{{name: "foo_bar/fifo", mode: fs.ModeNamedPipe | 0o644}}, false, []string{"named pipe"}},
		{"two dist-info", []member{{name: "bar-1.0.dist-info/METADATA", data: testMetadata}}, false, []string{"more than one .dist-info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := buildZip(t, wheelMembers("foo-1.0.dist-info", tt.extra...))
			err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantInvalid(t, err, tt.wants...)
			if errors.Is(err, ErrRecord) {
				t.Errorf("error %q wraps ErrRecord", err)
			}
		})
	}
}

func TestCheckWheelNonUTF8Name(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range wheelMembers("foo-1.0.dist-info", member{name: "foo_bar/caf\xc3\xa9.py", data: []byte("x")}) {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate, NonUTF8: true})
		w.Write(m.data)
	}
	zw.Close()
	b := buf.Bytes()
	wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}), "not ASCII and not marked as UTF-8")
}

func TestCheckWheelDistInfo(t *testing.T) {
	dir := "foo-1.0.dist-info"
	without := func(name string) []byte {
		var ms []member
		for _, m := range wheelMembers(dir) {
			if m.name != dir+"/"+name {
				ms = append(ms, m)
			}
		}
		return buildZip(t, ms)
	}
	for _, name := range []string{"METADATA", "WHEEL", "RECORD"} {
		b := without(name)
		wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}), "no "+dir+"/"+name+" file")
	}
	var ms []member
	for _, m := range wheelMembers(dir) {
		if strings.HasSuffix(m.name, "/WHEEL") {
			m.mode = fs.ModeSymlink | 0o777
		}
		ms = append(ms, m)
	}
	b := buildZip(t, ms)
	wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}), "WHEEL is not a regular file")
	b = buildZip(t, wheelMembers(dir))
	wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{MaxMetadataSize: 20}), "METADATA file is", "limit of 20 bytes")
	wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{MaxMembers: 4}), "more than the limit of 4")
}

func TestCheckWheelRecord(t *testing.T) {
	dir := "foo-1.0.dist-info"
	record := func(edit func(string) string) []byte {
		ms := wheelMembers(dir)
		last := &ms[len(ms)-1]
		last.data = []byte(edit(string(last.data)))
		return buildZip(t, ms)
	}
	sum := sha256.Sum256([]byte("print('hello')\n"))
	good := base64.RawURLEncoding.EncodeToString(sum[:])
	tests := []struct {
		name  string
		b     []byte
		wants []string
	}{
		{"unlisted file", buildZip(t, append(wheelMembers(dir), member{name: "foo_bar/smuggled.py", data: []byte("x")})), []string{`"foo_bar/smuggled.py" is in the archive but not listed`}},
		{"listed missing", record(func(s string) string { return s + "foo_bar/gone.py,sha256=" + good + ",15\n" }), []string{`lists "foo_bar/gone.py", which is not in the archive`}},
		{"wrong hash", record(func(s string) string { return strings.Replace(s, good, strings.Repeat("A", 43), 1) }), []string{`sha256 hash of "foo_bar/__init__.py" does not match`}},
		{"wrong size", record(func(s string) string { return strings.Replace(s, good+",15", good+",16", 1) }), []string{"is 15 bytes but RECORD says 16"}},
		{"no hash", record(func(s string) string { return strings.Replace(s, "sha256="+good, "", 1) }), []string{"no hash for"}},
		{"md5", record(func(s string) string { return strings.Replace(s, "sha256="+good, "md5=1B2M2Y8AsgTpgAmY7PhCfg", 1) }), []string{"md5", "forbids"}},
		{"bad csv", record(func(s string) string { return s + "a,b\n" }), []string{"has 2 fields"}},
		{"listed twice", record(func(s string) string { return s + "foo_bar/__init__.py,sha256=" + good + ",15\n" }), []string{"more than once"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWheel(bytes.NewReader(tt.b), int64(len(tt.b)), Limits{})
			wantInvalid(t, err, tt.wants...)
			if !errors.Is(err, ErrRecord) {
				t.Errorf("error %q does not wrap ErrRecord", err)
			}
		})
	}

	// A corrupt member is reported as such even if RECORD is wrong too.
	b := buildZip(t, append(wheelMembers(dir), member{name: "foo_bar/smuggled.py", data: []byte("some data to corrupt"), store: true}))
	b[dataOffset(t, b, "foo_bar/smuggled.py")] ^= 1
	err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{})
	wantInvalid(t, err, "corrupt")
	if errors.Is(err, ErrRecord) {
		t.Errorf("error %q wraps ErrRecord", err)
	}

	// Signatures of RECORD need not be listed; blake2b is accepted unverified.
	ms := wheelMembers(dir, member{name: dir + "/RECORD.jws", data: []byte("sig")})
	b = buildZip(t, ms)
	if err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}); err != nil {
		t.Errorf("RECORD.jws: %v", err)
	}
	b = record(func(s string) string { return strings.Replace(s, "sha256="+good, "blake2b=AAAA", 1) })
	if err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}); err != nil {
		t.Errorf("blake2b: %v", err)
	}
}

func TestCheckWheelBombs(t *testing.T) {
	dir := "foo-1.0.dist-info"

	// Declared sizes past the absolute limit.
	zeros := make([]byte, 16<<20)
	b := buildZip(t, wheelMembers(dir, member{name: "foo_bar/zeros", data: zeros}))
	err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{MaxTotalUncompressed: 8 << 20})
	wantInvalid(t, err, "expands to more than 8 MiB")

	// A member that lies about its size: it declares 1 KiB and inflates
	// to 16 MiB. archive/zip stops reading at the declared size.
	b = buildZip(t, wheelMembers(dir, member{name: "foo_bar/zeros", data: zeros, raw: true, method: zip.Deflate, lie: 1024}))
	err = CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{})
	wantInvalid(t, err, `"foo_bar/zeros" is corrupt`, "more data than its header declares")

	// Declared size larger than the data: 1 GB claimed for 16 KiB.
	b = buildZip(t, wheelMembers(dir, member{name: "foo_bar/zeros", data: zeros, raw: true, method: zip.Deflate, lie: 1 << 30}))
	wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}), "times its compressed size", "decompression bombs")

	// A real bomb under default limits: 1 GiB of zeros in about 1 MB,
	// refused by the ratio before anything is inflated.
	b = buildZip(t, wheelMembers(dir, zipBomb("foo_bar/zeros", 1<<30)))
	cr := &countingReaderAt{r: bytes.NewReader(b)}
	wantInvalid(t, CheckWheel(cr, int64(len(b)), Limits{}), "decompression bombs")
	if cr.bytes > 64<<10 {
		t.Errorf("read %d of %d bytes to refuse", cr.bytes, len(b))
	}
	// WheelMetadata does not care: it never reads the member.
	if _, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), "foo", "1.0", Limits{}); err != nil {
		t.Error(err)
	}
}

func TestZeroDeflate(t *testing.T) {
	for _, tt := range []struct {
		prefix string
		n      int64
	}{{"", 0}, {"", 1}, {"", 258}, {"", 259}, {"", 1000}, {"abc", 1 << 20}, {"", 1<<20 + 7}} {
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(zeroDeflate([]byte(tt.prefix), tt.n))))
		want := append([]byte(tt.prefix), make([]byte, tt.n)...)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("zeroDeflate(%q, %d): got %d bytes, %v", tt.prefix, tt.n, len(got), err)
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(gzipZeros([]byte("x"), 5000)))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, zr); n != 5001 || err != nil {
		t.Errorf("gzipZeros: %d, %v", n, err)
	}
}

func TestCheckWheelConfusion(t *testing.T) {
	dir := "foo-1.0.dist-info"
	ms := wheelMembers(dir)
	valid := buildZip(t, ms)
	check := func(t *testing.T, b []byte, wants ...string) {
		t.Helper()
		wantInvalid(t, CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}), wants...)
	}

	t.Run("hidden local file", func(t *testing.T) {
		// The hidden member is not in RECORD either: only streaming
		// installers would see it.
		b := buildZip(t, append(ms[:len(ms)-1:len(ms)-1], member{name: "foo_bar/hidden.py", data: []byte("import os")}, ms[len(ms)-1]))
		b = dropCentral(t, b, "foo_bar/hidden.py")
		// archive/zip alone accepts it.
		if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		check(t, b, "unlisted data before member")
	})
	t.Run("local name differs", func(t *testing.T) {
		b := bytes.Clone(valid)
		off := localOffset(t, b, "foo_bar/__init__.py")
		b[off+lenLocal] = 'g' // "goo_bar/__init__.py"
		check(t, b, `is named "goo_bar/__init__.py" in its local header`)
	})
	t.Run("prepended data", func(t *testing.T) {
		b := append([]byte("#!/bin/sh\nexec python -m foo\n"), valid...)
		// archive/zip accepts it, adjusting its offsets.
		if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		check(t, b, "prepended")
	})
	t.Run("trailing data", func(t *testing.T) {
		b := append(bytes.Clone(valid), "junk"...)
		check(t, b, "4 bytes of data after its end of central directory record")
	})
	t.Run("comment", func(t *testing.T) {
		// A comment is fine, but not one that runs past the end.
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, m := range ms {
			w, _ := zw.Create(m.name)
			w.Write(m.data)
		}
		zw.SetComment("a comment")
		zw.Close()
		b := buf.Bytes()
		if err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}); err != nil {
			t.Fatal(err)
		}
		check(t, append(bytes.Clone(b), 0), "1 bytes of data after its end of central directory record")
	})
	t.Run("local flags differ", func(t *testing.T) {
		b := bytes.Clone(valid)
		off := localOffset(t, b, "foo_bar/__init__.py")
		b[off+6] |= 0x01
		check(t, b, "disagree about its flags")
	})
	t.Run("descriptor wrong", func(t *testing.T) {
		b := bytes.Clone(valid)
		off := localOffset(t, b, "foo_bar/data.bin")
		next := localOffset(t, b, "foo-1.0.dist-info/METADATA")
		b[next-16+4] ^= 1 // the CRC in the descriptor (signature, crc, sizes)
		_ = off
		check(t, b, "data descriptor")
	})
	t.Run("overlap", func(t *testing.T) {
		// Point two central entries at the same local header.
		b := bytes.Clone(valid)
		offs, names := centralEntries(t, b)
		var a, c int
		for i, n := range names {
			switch n {
			case "foo_bar/__init__.py":
				a = offs[i]
			case "foo_bar/data.bin":
				c = offs[i]
			}
		}
		copy(b[c+42:c+46], b[a+42:a+46])
		check(t, b)
	})
	t.Run("count mismatch", func(t *testing.T) {
		b := bytes.Clone(valid)
		_, _, eocd := zipLayout(t, b)
		b[eocd+8]++
		b[eocd+10]++
		check(t, b)
	})
}

func TestCheckWheelTruncated(t *testing.T) {
	b := testWheel(t)
	for n := 0; n < len(b); n += 7 {
		if err := CheckWheel(bytes.NewReader(b[:n]), int64(n), Limits{}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("truncated at %d: got %v", n, err)
		}
		if _, err := WheelMetadata(bytes.NewReader(b[:n]), int64(n), "foo-bar", "1.0", Limits{}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("truncated at %d: got %v", n, err)
		}
	}
	// The caller's size is larger than the data.
	if err := CheckWheel(bytes.NewReader(b), int64(len(b))+10, Limits{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v", err)
	}
}

func TestCheckWheelZip64(t *testing.T) {
	// Python's zipfile writes zip64 records only past 65535 members or
	// 4 GiB; a wheel with 70,000 members exercises the first.
	if testing.Short() {
		t.Skip("slow")
	}
	var extra []member
	for i := range 70_000 {
		extra = append(extra, member{name: fmt.Sprintf("foo_bar/m%d.py", i), data: []byte{byte(i)}, store: true})
	}
	b := buildZip(t, wheelMembers("foo-1.0.dist-info", extra...))
	if err := CheckWheel(bytes.NewReader(b), int64(len(b)), Limits{}); err != nil {
		t.Fatal(err)
	}
	if got, err := WheelMetadata(bytes.NewReader(b), int64(len(b)), "foo", "1.0", Limits{}); err != nil || !bytes.Equal(got, testMetadata) {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestEOFAtEnd(t *testing.T) {
	w := testWheel(t)
	if _, err := WheelMetadata(eofReaderAt{w}, int64(len(w)), "foo-bar", "1.0", Limits{}); err != nil {
		t.Error(err)
	}
	if err := CheckWheel(eofReaderAt{w}, int64(len(w)), Limits{}); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"foo-1.0.tar.gz", "foo-1.0.zip"} {
		var s []byte
		if name == "foo-1.0.zip" {
			s = buildZip(t, sdistMembers())
		} else {
			s = buildTar(t, true, sdistMembers())
		}
		if _, err := SdistMetadata(eofReaderAt{s}, int64(len(s)), name, Limits{}); err != nil {
			t.Error(err)
		}
		if err := CheckSdist(eofReaderAt{s}, int64(len(s)), name, Limits{}); err != nil {
			t.Error(err)
		}
	}
}
