package dist

import (
	"archive/zip"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"strings"
)

// Zip record signatures and fixed lengths (APPNOTE.TXT).
const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64Loc   = 0x07064b50
	sigEnd64      = 0x06064b50
	sigDescriptor = 0x08074b50

	lenLocal     = 30
	lenCentral   = 46
	lenEnd       = 22
	lenEnd64Loc  = 20
	lenEnd64     = 56
	zip64ExtraID = 0x0001

	// maxCommentLen is the longest archive comment the end record can
	// describe; the end record is searched for in the last
	// maxCommentLen+lenEnd bytes.
	maxCommentLen = 0xffff

	// Flag bits that change how a member is read. CheckWheel requires the
	// local and central headers to agree on them.
	flagEncrypted       = 0x0001
	flagDescriptor      = 0x0008
	flagStrongEncrypted = 0x0040
	flagUTF8            = 0x0800
	flagMaskedHeaders   = 0x2000
	flagsThatMatter     = flagEncrypted | flagDescriptor | flagStrongEncrypted | flagUTF8 | flagMaskedHeaders
)

// zipEnd is what the end of a zip archive says about its central directory.
type zipEnd struct {
	offset     int64 // of the end of central directory record
	commentLen int64

	// Fields of the end record as stored; 0xffff and 0xffffffff mean "see
	// the zip64 record".
	disk, dirDisk          uint16
	recordsHere, records   uint16
	dirSize32, dirOffset32 uint32

	// The zip64 end locator and record, if the locator is present.
	loc64      int64 // -1 if absent
	end64      int64 // -1 if absent
	end64Len   uint64
	disk64     uint32
	dirDisk64  uint32
	recsHere64 uint64
	recs64     uint64
	dirSize64  uint64
	dirOff64   uint64
	totalDisks uint32

	// The values archive/zip uses.
	nrecords  uint64
	dirSize   uint64
	dirOffset uint64
	dirEnd    int64 // where the directory ends: the zip64 record if used, else the end record
}

// zipArchive is a zip archive opened for inspection.
type zipArchive struct {
	src  *source
	win  *window
	size int64
	end  zipEnd
	zr   *zip.Reader
}

// openZip reads the end records, fetches the central directory into a
// window and opens the archive with archive/zip over that window. It
// enforces MaxMembers and MaxDirectorySize before archive/zip allocates
// anything for the directory.
func openZip(r io.ReaderAt, size int64, lim Limits, budget int64) (*zipArchive, error) {
	if size < 0 {
		return nil, errors.New("dist: negative archive size")
	}
	src := &source{r: r, budget: budget}
	z := &zipArchive{src: src, size: size}
	if err := z.readEnd(lim); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(z.win, size)
	if err != nil && err != zip.ErrInsecurePath { // paths are checked by CheckWheel, with better messages
		return nil, src.fail(err, "the file is not a valid zip archive, or it is truncated (%v)", err)
	}
	if len(zr.File) > lim.MaxMembers {
		return nil, invalidf("the archive has %d members, more than the limit of %d", len(zr.File), lim.MaxMembers)
	}
	z.zr = zr
	return z, nil
}

// readEnd finds the end of central directory record the way archive/zip
// does (the last signature in the final 64 KiB whose comment fits), and the
// zip64 records if any, then reads the central directory into z.win.
func (z *zipArchive) readEnd(lim Limits) error {
	var (
		buf    []byte
		bufOff int64
		p      = -1
	)
	for _, n := range []int64{1024, maxCommentLen + lenEnd} {
		n = min(n, z.size)
		buf = make([]byte, n)
		bufOff = z.size - n
		z.win = &window{src: z.src} // empty: read through
		if err := z.win.readFull(buf, bufOff, "the end of central directory record"); err != nil {
			return err
		}
		if p = findEnd(buf); p >= 0 || n == z.size {
			break
		}
	}
	z.win = &window{src: z.src, off: bufOff, buf: buf}
	if p < 0 {
		return invalidf("the file is not a zip archive, or it is truncated: it has no end of central directory record")
	}
	e := &z.end
	e.offset = bufOff + int64(p)
	b := buf[p+4:]
	e.disk = le16(b[0:])
	e.dirDisk = le16(b[2:])
	e.recordsHere = le16(b[4:])
	e.records = le16(b[6:])
	e.dirSize32 = le32(b[8:])
	e.dirOffset32 = le32(b[12:])
	e.commentLen = int64(le16(b[16:]))
	e.nrecords, e.dirSize, e.dirOffset = uint64(e.records), uint64(e.dirSize32), uint64(e.dirOffset32)
	e.dirEnd = e.offset
	e.loc64, e.end64 = -1, -1

	// Look for a zip64 locator whether or not the end record asks for one:
	// Python's zipfile always uses it when present, archive/zip only when
	// a field of the end record is saturated. checkEnd requires the two to
	// agree.
	if loc := e.offset - lenEnd64Loc; loc >= 0 {
		var l [lenEnd64Loc]byte
		if err := z.win.readFull(l[:], loc, "the zip64 end of central directory locator"); err != nil {
			return err
		}
		if le32(l[0:]) == sigEnd64Loc {
			e.loc64 = loc
			e.dirDisk64 = le32(l[4:])
			off := le64(l[8:])
			e.totalDisks = le32(l[16:])
			if off > uint64(z.size) || z.size-int64(off) < lenEnd64 {
				return invalidf("the archive's zip64 end of central directory locator points past the end of the file")
			}
			e.end64 = int64(off)
			var r [lenEnd64]byte
			if err := z.win.readFull(r[:], e.end64, "the zip64 end of central directory record"); err != nil {
				return err
			}
			if le32(r[0:]) != sigEnd64 {
				return invalidf("the archive's zip64 end of central directory record is missing or corrupt")
			}
			e.end64Len = le64(r[4:])
			e.disk64 = le32(r[16:])
			// r[20:24] is the directory's disk again; the locator's copy is kept.
			e.recsHere64 = le64(r[24:])
			e.recs64 = le64(r[32:])
			e.dirSize64 = le64(r[40:])
			e.dirOff64 = le64(r[48:])
		}
	}
	// archive/zip compares the directory size with 0xffff, not 0xffffffff;
	// the windowing below has to follow it to prefetch the right bytes.
	if e.end64 >= 0 && (e.records == 0xffff || e.dirSize32 == 0xffff || e.dirOffset32 == 0xffffffff) {
		e.nrecords, e.dirSize, e.dirOffset = e.recs64, e.dirSize64, e.dirOff64
		e.dirEnd = e.end64
	}

	if e.nrecords > uint64(lim.MaxMembers) {
		return invalidf("the archive has %d members, more than the limit of %d", e.nrecords, lim.MaxMembers)
	}
	if e.dirSize > uint64(lim.MaxDirectorySize) {
		return invalidf("the archive's central directory is %s, more than the limit of %s",
			formatSize(int64(min(e.dirSize, 1<<62))), formatSize(lim.MaxDirectorySize))
	}
	dirStart := e.dirEnd - int64(e.dirSize)
	if dirStart < 0 {
		return invalidf("the archive's end record describes a central directory that starts before the file does")
	}

	// Read the directory into the window. If the end records are
	// inconsistent the directory may lie far from the end; then only the
	// tail is cached and archive/zip reads the rest itself.
	if dirStart < bufOff && bufOff-dirStart <= int64(e.dirSize)+lenEnd64+lenEnd64Loc {
		head := make([]byte, bufOff-dirStart, z.size-dirStart)
		if err := z.win.readFull(head, dirStart, "the central directory"); err != nil {
			return err
		}
		z.win.off, z.win.buf = dirStart, append(head, buf...)
	}
	return nil
}

// findEnd returns the offset in b of the end of central directory record,
// or -1. Like archive/zip it takes the last signature, and gives up if that
// one's comment would run past the end of b.
func findEnd(b []byte) int {
	for i := len(b) - lenEnd; i >= 0; i-- {
		if b[i] == 'P' && b[i+1] == 'K' && b[i+2] == 0x05 && b[i+3] == 0x06 {
			n := int(le16(b[i+lenEnd-2:]))
			if i+lenEnd+n > len(b) {
				return -1
			}
			return i
		}
	}
	return -1
}

// checkEnd applies the strict rules of CheckWheel to the end records: no
// data after the end record, a zip64 record consistent with the end record
// and exactly where the locator says, a single disk, and a central
// directory that ends where the end records begin. Different zip readers
// resolve violations of these rules differently, which is how parser
// confusion attacks hide files from some of them.
func (z *zipArchive) checkEnd() error {
	e := &z.end
	if extra := z.size - (e.offset + lenEnd + e.commentLen); extra != 0 {
		return invalidf("the archive has %d bytes of data after its end of central directory record", extra)
	}
	if e.disk != 0 || e.dirDisk != 0 || e.recordsHere != e.records {
		return invalidf("the archive claims to span several disks; split zip archives are not supported")
	}
	if e.end64 >= 0 {
		if e.dirDisk64 != 0 || e.totalDisks != 1 || e.disk64 != 0 || e.recsHere64 != e.recs64 {
			return invalidf("the archive claims to span several disks; split zip archives are not supported")
		}
		if e.end64Len < lenEnd64-12 || e.end64Len > uint64(e.loc64) || uint64(e.end64)+12+e.end64Len != uint64(e.loc64) {
			return invalidf("the archive's zip64 end of central directory locator does not point at the record before it")
		}
		if (e.records != 0xffff && uint64(e.records) != e.recs64) ||
			(e.dirSize32 != 0xffffffff && uint64(e.dirSize32) != e.dirSize64) ||
			(e.dirOffset32 != 0xffffffff && uint64(e.dirOffset32) != e.dirOff64) {
			return invalidf("the archive's end of central directory record and zip64 record disagree")
		}
		e.nrecords, e.dirSize, e.dirOffset, e.dirEnd = e.recs64, e.dirSize64, e.dirOff64, e.end64
	}
	if e.dirOffset > uint64(e.dirEnd) || e.dirOffset+e.dirSize != uint64(e.dirEnd) {
		return invalidf("the archive's central directory is not where its end record says; the archive may have data prepended to it")
	}
	return nil
}

// zipEntry is one central directory entry, as parsed by entries.
type zipEntry struct {
	name    string
	flags   uint16
	method  uint16
	crc     uint32
	csize   uint64
	usize   uint64
	offset  uint64 // of the local header
	dataOff int64  // of the member's data; set by checkLocal
}

// entries parses the central directory independently of archive/zip,
// strictly, and requires the result to agree with archive/zip's. Callers
// must have called checkEnd.
func (z *zipArchive) entries() ([]zipEntry, error) {
	e := &z.end
	dir := make([]byte, e.dirSize)
	if err := z.win.readFull(dir, int64(e.dirOffset), "the central directory"); err != nil {
		return nil, err
	}
	var out []zipEntry
	for b := dir; len(b) > 0; {
		if len(b) < lenCentral || le32(b) != sigCentral {
			return nil, invalidf("the archive's central directory is corrupt at entry %d", len(out)+1)
		}
		ent := zipEntry{
			flags:  le16(b[8:]),
			method: le16(b[10:]),
			crc:    le32(b[16:]),
			csize:  uint64(le32(b[20:])),
			usize:  uint64(le32(b[24:])),
			offset: uint64(le32(b[42:])),
		}
		nameLen, extraLen, commentLen := int(le16(b[28:])), int(le16(b[30:])), int(le16(b[32:]))
		diskStart := le16(b[34:])
		b = b[lenCentral:]
		if len(b) < nameLen+extraLen+commentLen {
			return nil, invalidf("the archive's central directory is corrupt at entry %d", len(out)+1)
		}
		ent.name = string(b[:nameLen])
		extra := b[nameLen : nameLen+extraLen]
		b = b[nameLen+extraLen+commentLen:]
		if diskStart != 0 {
			return nil, invalidf("member %q claims to start on another disk; split zip archives are not supported", ent.name)
		}
		needU, needC, needO := ent.usize == 0xffffffff, ent.csize == 0xffffffff, ent.offset == 0xffffffff
		z64, err := zip64Field(extra, ent.name)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			need bool
			v    *uint64
		}{{needU, &ent.usize}, {needC, &ent.csize}, {needO, &ent.offset}} {
			if !f.need {
				continue
			}
			if len(z64) < 8 {
				return nil, invalidf("member %q has a corrupt zip64 extra field", ent.name)
			}
			*f.v, z64 = le64(z64), z64[8:]
		}
		out = append(out, ent)
		if len(out) > len(z.zr.File) {
			break // reported below
		}
	}
	if uint64(len(out)) != e.nrecords || len(out) != len(z.zr.File) {
		return nil, invalidf("the archive's end record says it has %d members but its central directory lists %d", e.nrecords, len(out))
	}
	for i, f := range z.zr.File {
		ent := &out[i]
		if f.Name != ent.name || f.Flags != ent.flags || f.Method != ent.method || f.CRC32 != ent.crc ||
			f.CompressedSize64 != ent.csize || f.UncompressedSize64 != ent.usize {
			return nil, invalidf("the archive's central directory entry for %q is ambiguous", ent.name)
		}
	}
	return out, nil
}

// zip64Field returns the data of the zip64 extended information field in
// extra, or nil. Like Python's zipfile it rejects a field whose declared
// length runs past the end of the extra data.
func zip64Field(extra []byte, name string) ([]byte, error) {
	var z64 []byte
	for len(extra) >= 4 {
		id, n := le16(extra), int(le16(extra[2:]))
		if 4+n > len(extra) {
			return nil, invalidf("member %q has a corrupt extra field", name)
		}
		if id == zip64ExtraID && z64 == nil {
			z64 = extra[4 : 4+n]
		}
		extra = extra[4+n:]
	}
	return z64, nil
}

// checkLocal reads the local header of ent and requires it to agree with
// the central directory on the name, the method, the flags that matter and,
// unless a data descriptor follows the data, the sizes and checksum.
// Installers that stream a wheel read local headers; those that seek read
// the central directory; a disagreement shows each of them different files.
func (z *zipArchive) checkLocal(ent *zipEntry) error {
	if ent.offset > uint64(z.size) || uint64(z.size)-ent.offset < lenLocal {
		return invalidf("the local header of member %q lies past the end of the archive", ent.name)
	}
	var h [lenLocal]byte
	if err := z.win.readFull(h[:], int64(ent.offset), "a local file header"); err != nil {
		return err
	}
	if le32(h[:]) != sigLocal {
		return invalidf("the local header of member %q is missing or corrupt", ent.name)
	}
	flags, method := le16(h[6:]), le16(h[8:])
	crc, csize, usize := le32(h[14:]), uint64(le32(h[18:])), uint64(le32(h[22:]))
	nameLen, extraLen := int64(le16(h[26:])), int64(le16(h[28:]))
	end := int64(ent.offset) + lenLocal + nameLen + extraLen
	if end > z.size {
		return invalidf("the local header of member %q extends past the end of the archive", ent.name)
	}
	ne := make([]byte, nameLen+extraLen)
	if err := z.win.readFull(ne, int64(ent.offset)+lenLocal, "a local file header"); err != nil {
		return err
	}
	if string(ne[:nameLen]) != ent.name {
		return invalidf("member %q is named %q in its local header; the two copies of a member's name must agree", ent.name, ne[:nameLen])
	}
	if flags&flagsThatMatter != ent.flags&flagsThatMatter || method != ent.method {
		return invalidf("the local and central headers of member %q disagree about its flags or compression method", ent.name)
	}
	if csize == 0xffffffff || usize == 0xffffffff {
		z64, err := zip64Field(ne[nameLen:], ent.name)
		if err != nil {
			return err
		}
		// A local zip64 field holds both sizes, uncompressed first.
		if len(z64) < 16 {
			return invalidf("member %q has a corrupt zip64 extra field in its local header", ent.name)
		}
		usize, csize = le64(z64), le64(z64[8:])
	}
	ok := crc == ent.crc && csize == ent.csize && usize == ent.usize
	if ent.flags&flagDescriptor != 0 {
		// The sizes and checksum follow the data; the header may hold
		// zeros instead.
		ok = (crc == 0 || crc == ent.crc) && (csize == 0 || csize == ent.csize) && (usize == 0 || usize == ent.usize)
	}
	if !ok {
		return invalidf("the local and central headers of member %q disagree about its size or checksum", ent.name)
	}
	if ent.csize > uint64(z.size-end) {
		return invalidf("the data of member %q extends past the end of the archive", ent.name)
	}
	ent.dataOff = end
	return nil
}

// checkLayout checks every local header and requires the members to tile
// the archive from offset 0 to the central directory: no prepended data,
// no gaps, no overlaps. Overlapping members are how the most efficient zip
// bombs are built, and unlisted bytes between members are where parser
// confusion attacks hide a second set of local headers.
func (z *zipArchive) checkLayout(ents []zipEntry) error {
	order := fileOrder(ents)
	pos := uint64(0)
	for k, i := range order {
		ent := &ents[i]
		if ent.offset < pos {
			return invalidf("member %q overlaps the member before it", ent.name)
		}
		if ent.offset > pos {
			if k == 0 {
				return invalidf("the archive has %d bytes of data before its first member", ent.offset)
			}
			return invalidf("the archive has %d bytes of unlisted data before member %q", ent.offset-pos, ent.name)
		}
		if err := z.checkLocal(ent); err != nil {
			return err
		}
		if off, err := z.zr.File[i].DataOffset(); err != nil || off != ent.dataOff {
			return z.src.fail(err, "the local header of member %q is ambiguous", ent.name)
		}
		pos = uint64(ent.dataOff) + ent.csize
		if ent.flags&flagDescriptor != 0 {
			next := z.end.dirOffset
			if k+1 < len(order) {
				next = ents[order[k+1]].offset
			}
			n, err := z.checkDescriptor(ent, pos, next)
			if err != nil {
				return err
			}
			pos += n
		}
	}
	if pos != z.end.dirOffset {
		if pos > z.end.dirOffset {
			return invalidf("the last member overlaps the central directory")
		}
		return invalidf("the archive has %d bytes of unlisted data before its central directory", z.end.dirOffset-pos)
	}
	return nil
}

// checkDescriptor checks the data descriptor of ent at off and returns
// its length. The descriptor comes in four forms: with or without a
// signature, with 32- or 64-bit sizes. The form is the one whose fields
// match the central directory, preferring one that ends where the next
// record (at next) starts.
func (z *zipArchive) checkDescriptor(ent *zipEntry, off, next uint64) (uint64, error) {
	b := make([]byte, min(24, z.end.dirOffset-min(off, z.end.dirOffset)))
	if err := z.win.readFull(b, int64(off), "a data descriptor"); err != nil {
		return 0, err
	}
	found := uint64(0)
	for _, form := range []struct {
		sig  bool
		size int
	}{{true, 4}, {true, 8}, {false, 4}, {false, 8}} {
		d, n := b, uint64(4+2*form.size)
		if form.sig {
			if len(d) < 4 || le32(d) != sigDescriptor {
				continue
			}
			d, n = d[4:], n+4
		}
		if len(d) < 4+2*form.size || le32(d) != ent.crc {
			continue
		}
		var csize, usize uint64
		if form.size == 4 {
			csize, usize = uint64(le32(d[4:])), uint64(le32(d[8:]))
		} else {
			csize, usize = le64(d[4:]), le64(d[12:])
		}
		if csize != ent.csize || usize != ent.usize {
			continue
		}
		if off+n == next {
			return n, nil
		}
		if found == 0 {
			found = n
		}
	}
	if found == 0 {
		return 0, invalidf("the data descriptor of member %q is missing or disagrees with the central directory", ent.name)
	}
	return found, nil
}

// checkMethod returns an error if f cannot be read: it is encrypted or uses
// a compression method other than stored or deflate.
func checkMethod(f *zip.File) error {
	if f.Flags&(flagEncrypted|flagStrongEncrypted|flagMaskedHeaders) != 0 {
		return invalidf("member %q is encrypted; distributions must not contain encrypted files", f.Name)
	}
	switch f.Method {
	case zip.Store, zip.Deflate:
		return nil
	}
	name := ""
	switch f.Method {
	case 9:
		name = " (deflate64)"
	case 12:
		name = " (bzip2)"
	case 14:
		name = " (LZMA)"
	case 93:
		name = " (Zstandard)"
	case 95:
		name = " (XZ)"
	}
	return invalidf("member %q uses compression method %d%s; only stored and deflate are supported", f.Name, f.Method, name)
}

// readMember returns the contents of f, which may be at most max bytes,
// verifying its size and CRC-32. what describes f in errors.
func (z *zipArchive) readMember(f *zip.File, max int64, what string) ([]byte, error) {
	if err := checkMethod(f); err != nil {
		return nil, err
	}
	if f.UncompressedSize64 > uint64(max) {
		return nil, invalidf("%s is %s, more than the limit of %s", what, formatSize(int64(min(f.UncompressedSize64, 1<<62))), formatSize(max))
	}
	// Deflate never grows data by more than a few bytes per 16 KiB block;
	// a larger compressed size would only make us read, or fetch, bytes
	// that cannot contribute to the output.
	if f.CompressedSize64 > f.UncompressedSize64+f.UncompressedSize64/256+1024 {
		return nil, invalidf("%s is corrupt: its compressed size %d is implausible for %d bytes of data", what, f.CompressedSize64, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, z.src.fail(err, "%s is corrupt: %v", what, err)
	}
	defer rc.Close()
	buf := make([]byte, 0, f.UncompressedSize64+1)
	crc := crc32.NewIEEE()
	for {
		if len(buf) == cap(buf) {
			// The reader refuses to deliver more than the declared size,
			// so this only happens at EOF; read once more to see it.
			buf = slices.Grow(buf, 1)
		}
		n, err := rc.Read(buf[len(buf):cap(buf)])
		crc.Write(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, invalidf("%s is larger than the limit of %s", what, formatSize(max))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, z.src.fail(err, "%s is corrupt: %s", what, describeZipError(err))
		}
	}
	if crc.Sum32() != f.CRC32 {
		return nil, invalidf("%s is corrupt: %s", what, describeZipError(zip.ErrChecksum))
	}
	return buf, nil
}

// describeZipError turns an error from reading a zip member into a phrase.
func describeZipError(err error) string {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return "its CRC-32 checksum does not match its data"
	case errors.Is(err, zip.ErrFormat):
		return "it decompresses to more data than its header declares"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "its data is truncated or decompresses to less data than its header declares"
	case errors.As(err, &ce):
		return "its deflate data is invalid"
	case errors.Is(err, zip.ErrAlgorithm):
		return "it uses an unsupported compression method"
	}
	return strings.TrimPrefix(err.Error(), "zip: ")
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
