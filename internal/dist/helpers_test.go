package dist

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"
)

// testMetadata deliberately has CRLF line ends, trailing spaces and a
// byte that is not UTF-8: WheelMetadata must return it untouched.
var testMetadata = []byte("Metadata-Version: 2.1\r\nName: Foo_Bar\r\nVersion: 1.0 \r\nSummary: caf\xe9\r\n\r\nA description.\n")

const testWheelFile = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"

// member describes one archive member for the builders below.
type member struct {
	name   string
	data   []byte
	store  bool        // zip: use zip.Store rather than zip.Deflate
	method uint16      // zip: if not 0, the method (raw only)
	mode   fs.FileMode // zip and tar: file type and permissions
	link   string      // tar: link target
	tflag  byte        // tar: type flag; 0 means regular (or directory, by name)
	// raw writes the member with CreateRaw, with no data descriptor, as
	// Python's zipfile does; the data are compressed here.
	raw bool
	// lie, if set, replaces the declared uncompressed size (raw only).
	lie uint64
	// flags are extra zip flags (raw only).
	flags uint16
	// rawComp and rawCRC, if set, are the compressed data and CRC-32
	// (raw only; lie must be set to the uncompressed size).
	rawComp []byte
	rawCRC  uint32
}

// buildZip writes members to a zip archive.
func buildZip(t testing.TB, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		fh := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
		if m.store {
			fh.Method = zip.Store
		} else if m.method != 0 {
			fh.Method = m.method
		}
		if m.mode != 0 {
			fh.SetMode(m.mode)
		}
		if !m.raw {
			w, err := zw.CreateHeader(fh)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(m.data); err != nil {
				t.Fatal(err)
			}
			continue
		}
		comp := m.data
		if fh.Method == zip.Deflate {
			comp = deflate(t, m.data)
		}
		fh.CRC32 = crc32.ChecksumIEEE(m.data)
		if m.rawComp != nil {
			comp, fh.CRC32 = m.rawComp, m.rawCRC
		}
		fh.CompressedSize64 = uint64(len(comp))
		fh.UncompressedSize64 = uint64(len(m.data))
		if m.lie != 0 {
			fh.UncompressedSize64 = m.lie
		}
		fh.Flags |= m.flags
		w, err := zw.CreateRaw(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(comp); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func deflate(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	fw.Close()
	return buf.Bytes()
}

// withRecord appends a correct RECORD for members to dir.
func withRecord(dir string, members []member) []member {
	var rec strings.Builder
	for _, m := range members {
		if strings.HasSuffix(m.name, "/") {
			continue
		}
		sum := sha256.Sum256(m.data)
		fmt.Fprintf(&rec, "%s,sha256=%s,%d\n", csvQuote(m.name), base64.RawURLEncoding.EncodeToString(sum[:]), len(m.data))
	}
	fmt.Fprintf(&rec, "%s/RECORD,,\n", dir)
	return append(members, member{name: dir + "/RECORD", data: []byte(rec.String())})
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// wheelMembers returns the members of a small valid wheel whose
// .dist-info directory is dir, with extra members before the dist-info.
func wheelMembers(dir string, extra ...member) []member {
	ms := []member{
		{name: "foo_bar/"},
		{name: "foo_bar/__init__.py", data: []byte("print('hello')\n")},
		{name: "foo_bar/data.bin", data: bytes.Repeat([]byte{1, 2, 3, 4}, 1000), method: zip.Store},
	}
	ms = append(ms, extra...)
	ms = append(ms,
		member{name: dir + "/METADATA", data: testMetadata},
		member{name: dir + "/WHEEL", data: []byte(testWheelFile)},
	)
	return withRecord(dir, ms)
}

func testWheel(t testing.TB, extra ...member) []byte {
	return buildZip(t, wheelMembers("Foo_Bar-1.0.dist-info", extra...))
}

// buildTar writes members to a tar archive, compressed with gzip if gz.
func buildTar(t testing.TB, gz bool, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	tw := tar.NewWriter(w)
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: m.tflag, Linkname: m.link,
			ModTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Format: tar.FormatPAX}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
			if strings.HasSuffix(m.name, "/") {
				hdr.Typeflag = tar.TypeDir
			}
		}
		if hdr.Typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			hdr = &tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "0123abcd"}, Format: tar.FormatPAX}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			if _, err := tw.Write(m.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

var testPKGInfo = []byte("Metadata-Version: 2.1\r\nName: foo\nVersion: 1.0  \n\nDescription \xff\n")

// sdistMembers returns the members of a small valid sdist.
func sdistMembers(extra ...member) []member {
	ms := []member{
		{name: "foo-1.0/"},
		{name: "foo-1.0/PKG-INFO", data: testPKGInfo},
		{name: "foo-1.0/setup.py", data: []byte("from setuptools import setup\nsetup()\n")},
		{name: "foo-1.0/README.md", data: []byte("# foo\n")},
		{name: "foo-1.0/src/foo/__init__.py", data: []byte("")},
	}
	return append(ms, extra...)
}

// countingReaderAt counts the bytes and calls that go through it.
type countingReaderAt struct {
	r     io.ReaderAt
	bytes int64
	calls int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.calls++
	n, err := c.r.ReadAt(p, off)
	c.bytes += int64(n)
	return n, err
}

// failingReaderAt fails every read that touches offsets in [from, to).
type failingReaderAt struct {
	r        io.ReaderAt
	from, to int64
}

var errDisk = errors.New("disk on fire")

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < f.to && off+int64(len(p)) > f.from {
		return 0, errDisk
	}
	return f.r.ReadAt(p, off)
}

// zipLayout locates the central directory of an archive built by buildZip
// (no comment, no zip64).
func zipLayout(t testing.TB, b []byte) (dirOff, dirSize, eocd int) {
	t.Helper()
	eocd = len(b) - lenEnd
	if binary.LittleEndian.Uint32(b[eocd:]) != sigEnd {
		t.Fatal("no end record at the end")
	}
	return int(binary.LittleEndian.Uint32(b[eocd+16:])), int(binary.LittleEndian.Uint32(b[eocd+12:])), eocd
}

// centralEntries returns the offsets of the central directory entries.
func centralEntries(t testing.TB, b []byte) (offs []int, names []string) {
	dirOff, dirSize, _ := zipLayout(t, b)
	for p := dirOff; p < dirOff+dirSize; {
		n := int(binary.LittleEndian.Uint16(b[p+28:]))
		x := int(binary.LittleEndian.Uint16(b[p+30:]))
		c := int(binary.LittleEndian.Uint16(b[p+32:]))
		offs = append(offs, p)
		names = append(names, string(b[p+46:p+46+n]))
		p += 46 + n + x + c
	}
	return offs, names
}

// dropCentral removes the central directory entry for name, leaving its
// local header and data in place: the classic way to hide a file from
// readers of the central directory but not from streaming readers.
func dropCentral(t testing.TB, b []byte, name string) []byte {
	t.Helper()
	dirOff, dirSize, eocd := zipLayout(t, b)
	offs, names := centralEntries(t, b)
	var out []byte
	out = append(out, b[:dirOff]...)
	kept := 0
	for i, off := range offs {
		end := dirOff + dirSize
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		if names[i] == name {
			continue
		}
		out = append(out, b[off:end]...)
		kept++
	}
	newSize := len(out) - dirOff
	end := append([]byte(nil), b[eocd:]...)
	binary.LittleEndian.PutUint16(end[8:], uint16(kept))
	binary.LittleEndian.PutUint16(end[10:], uint16(kept))
	binary.LittleEndian.PutUint32(end[12:], uint32(newSize))
	return append(out, end...)
}

// localOffset returns the offset of the local header of name.
func localOffset(t testing.TB, b []byte, name string) int {
	t.Helper()
	offs, names := centralEntries(t, b)
	for i, n := range names {
		if n == name {
			return int(binary.LittleEndian.Uint32(b[offs[i]+42:]))
		}
	}
	t.Fatalf("no member %q", name)
	return 0
}

// dataOffset returns the offset of the data of name.
func dataOffset(t testing.TB, b []byte, name string) int {
	off := localOffset(t, b, name)
	return off + lenLocal + int(binary.LittleEndian.Uint16(b[off+26:])) + int(binary.LittleEndian.Uint16(b[off+28:]))
}

// setFlags ORs flags into both headers of name.
func setFlags(t testing.TB, b []byte, name string, flags uint16) {
	offs, names := centralEntries(t, b)
	for i, n := range names {
		if n == name {
			p := offs[i] + 8
			binary.LittleEndian.PutUint16(b[p:], binary.LittleEndian.Uint16(b[p:])|flags)
			l := int(binary.LittleEndian.Uint32(b[offs[i]+42:])) + 6
			binary.LittleEndian.PutUint16(b[l:], binary.LittleEndian.Uint16(b[l:])|flags)
		}
	}
}

// wantInvalid fails unless err wraps ErrInvalid and mentions every one of
// the substrings.
func wantInvalid(t *testing.T, err error, substrings ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want ErrInvalid mentioning %q", substrings)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %q does not wrap ErrInvalid", err)
	}
	for _, s := range substrings {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not mention %q", err, s)
		}
	}
}

// bitWriter writes a deflate bit stream, least significant bit first.
type bitWriter struct {
	buf []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// code writes a Huffman code, which deflate stores most significant bit
// first.
func (w *bitWriter) code(c uint64, n uint) {
	var r uint64
	for i := uint(0); i < n; i++ {
		r |= (c >> i & 1) << (n - 1 - i)
	}
	w.bits(r, n)
}

func (w *bitWriter) align() {
	if w.n > 0 {
		w.bits(0, 8-w.n)
	}
}

// zeroDeflate returns a raw deflate stream that inflates to prefix (at
// most 64 KiB) followed by zeros zero bytes, as efficiently as deflate
// allows: two bits per 258 bytes, a ratio of about 1030. It builds a 1 GiB
// bomb in milliseconds where compress/flate takes seconds.
func zeroDeflate(prefix []byte, zeros int64) []byte {
	w := &bitWriter{}
	if len(prefix) > 0 {
		w.bits(0, 1) // not final
		w.bits(0, 2) // stored
		w.align()
		w.bits(uint64(len(prefix)), 16)
		w.bits(uint64(^uint16(len(prefix))), 16)
		w.buf = append(w.buf, prefix...)
	}
	w.bits(1, 1)  // final
	w.bits(2, 2)  // dynamic Huffman codes
	w.bits(29, 5) // 286 literal/length codes
	w.bits(0, 5)  // 1 distance code
	w.bits(14, 4) // 18 code length codes, in the order below
	// Code length code lengths for 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1:
	// 18 gets 1 bit (code 0), 1 and 2 get 2 bits (codes 10 and 11).
	for _, l := range []uint64{0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2} {
		w.bits(l, 3)
	}
	zerosRun := func(n uint64) { w.code(0, 1); w.bits(n-11, 7) }
	// Literal/length code lengths: 0 and 256 (end of block) get 2 bits
	// (codes 10 and 11), 285 (length 258) 1 bit (code 0).
	w.code(3, 2) // literal 0: length 2
	zerosRun(138)
	zerosRun(117) // literals 1-255 unused
	w.code(3, 2)  // 256: length 2
	zerosRun(28)  // 257-284 unused
	w.code(2, 2)  // 285: length 1
	w.code(2, 2)  // distance code 0 (distance 1): length 1
	if zeros > 0 {
		w.code(2, 2) // literal 0
		zeros--
	}
	for ; zeros >= 258; zeros -= 258 {
		w.bits(0, 2) // length 258 (code 0), distance 1 (code 0)
	}
	for ; zeros > 0; zeros-- {
		w.code(2, 2)
	}
	w.code(3, 2) // end of block
	w.align()
	return w.buf
}

// crcZeros returns the CRC-32 of prefix followed by n zero bytes.
func crcZeros(prefix []byte, n int64) uint32 {
	crc := crc32.ChecksumIEEE(prefix)
	zero := make([]byte, 1<<20)
	for ; n > 0; n -= int64(len(zero)) {
		crc = crc32.Update(crc, crc32.IEEETable, zero[:min(n, int64(len(zero)))])
	}
	return crc
}

// gzipZeros returns a gzip file that decompresses to prefix followed by n
// zero bytes.
func gzipZeros(prefix []byte, n int64) []byte {
	b := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	b = append(b, zeroDeflate(prefix, n)...)
	b = binary.LittleEndian.AppendUint32(b, crcZeros(prefix, n))
	return binary.LittleEndian.AppendUint32(b, uint32(int64(len(prefix))+n))
}

// tarBomb returns a .tar.gz whose only member, name, holds n zero bytes
// (n a multiple of 512).
func tarBomb(t testing.TB, name string, n int64) []byte {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Name: name, Size: n, Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	tw.Flush()
	// The member's data, then the end-of-archive marker, are all zeros.
	return gzipZeros(hdr.Bytes(), n+1024)
}

// zipBomb returns a member of n zero bytes compressed with zeroDeflate.
func zipBomb(name string, n int64) member {
	return member{name: name, raw: true, rawComp: zeroDeflate(nil, n), rawCRC: crcZeros(nil, n), lie: uint64(n)}
}

// eofReaderAt returns io.EOF with a full read that reaches the end of the
// data, as io.ReaderAt allows.
type eofReaderAt struct{ b []byte }

func (e eofReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := bytes.NewReader(e.b).ReadAt(p, off)
	if err == nil && off+int64(n) == int64(len(e.b)) {
		err = io.EOF
	}
	return n, err
}
