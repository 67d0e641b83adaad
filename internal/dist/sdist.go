package dist

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// sdistFormat is the container format of an sdist, from its file name.
type sdistFormat int

const (
	formatTarGz sdistFormat = iota
	formatTarBz2
	formatTar
	formatZip
)

func sdistFormatOf(filename string) (sdistFormat, error) {
	lower := strings.ToLower(filename)
	switch {
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		return formatTarGz, nil
	case strings.HasSuffix(lower, ".tar.bz2"), strings.HasSuffix(lower, ".tbz2"), strings.HasSuffix(lower, ".tbz"):
		return formatTarBz2, nil
	case strings.HasSuffix(lower, ".tar"):
		return formatTar, nil
	case strings.HasSuffix(lower, ".zip"):
		return formatZip, nil
	}
	return 0, invalidf("%q is not an sdist file name: sdists are .tar.gz files (legacy .zip, .tgz, .tar.bz2 and .tar files are also read)", filename)
}

// SdistMetadata returns the bytes of the PKG-INFO file of the sdist in r,
// exactly as stored. size is the size of the sdist and filename its name,
// whose extension selects the format: .tar.gz (or .tgz), .zip, and the
// legacy .tar.bz2 and .tar.
//
// The sdist must hold everything in a single top-level directory
// (conventionally {name}-{version}; the name is not checked) and PKG-INFO
// must be a regular file directly inside it.
//
// A tar-based sdist is read sequentially and only as far as PKG-INFO,
// which is usually among the first members; members before it are checked
// as CheckSdist checks them. The archive after PKG-INFO is not read, so an
// sdist that has not passed CheckSdist may yet be corrupt or hostile
// further on (and if it lists PKG-INFO twice, the first copy is returned,
// whereas tar extraction keeps the last; CheckSdist refuses duplicates).
// For a zip-based sdist only the central directory and PKG-INFO are read,
// as for WheelMetadata.
func SdistMetadata(r io.ReaderAt, size int64, filename string, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	format, err := sdistFormatOf(filename)
	if err != nil {
		return nil, err
	}
	if format == formatZip {
		return zipSdistMetadata(r, size, lim)
	}
	return scanTar(r, size, format, lim, false)
}

// CheckSdist validates the sdist in r, of the given size and file name, for
// an upload or an import. It reads and decompresses the whole archive.
//
// It requires a single top-level directory holding everything else,
// a regular PKG-INFO file directly inside it (at most MaxMetadataSize),
// member names that are relative, clean, slash-separated paths, each used
// once, at most MaxMembers members, and no more decompressed data than
// MaxTotalUncompressed and MaxCompressionRatio allow. Symbolic links must
// stay inside the top-level directory and not pass through other links,
// hard links must point to an earlier file, and no member may lie beneath a
// link; device files, FIFOs and sparse files are refused.
//
// A tar-based sdist must also decompress without error to its end,
// including the gzip checksum, with nothing but zero padding after the
// tar end-of-archive marker. A zip-based sdist must pass the structural
// checks CheckWheel applies to zip archives, and every member must match
// its CRC-32.
func CheckSdist(r io.ReaderAt, size int64, filename string, lim Limits) error {
	lim = lim.withDefaults()
	format, err := sdistFormatOf(filename)
	if err != nil {
		return err
	}
	if format == formatZip {
		return checkZipSdist(r, size, lim)
	}
	_, err = scanTar(r, size, format, lim, true)
	return err
}

// scanTar reads a tar-based sdist and returns its PKG-INFO. If full is
// false it stops there; otherwise it reads and checks the whole archive.
func scanTar(r io.ReaderAt, size int64, format sdistFormat, lim Limits, full bool) ([]byte, error) {
	if size < 0 {
		return nil, errors.New("dist: negative archive size")
	}
	src := &source{r: r}
	// A large buffer, because compress/gzip and compress/bzip2 would
	// otherwise read through 4 KiB at a time.
	br := bufio.NewReaderSize(io.NewSectionReader(src, 0, size), 64<<10)
	var dec io.Reader = br
	switch format {
	case formatTarGz:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, src.fail(err, "the file is not a gzip-compressed tar archive, or it is truncated")
		}
		dec = zr
	case formatTarBz2:
		dec = bzip2.NewReader(br)
	}
	exp := lim.expansion(size)
	// Every decompressed byte passes through this reader, so a
	// decompression bomb is stopped after exp.max bytes whatever the tar
	// headers claim, including while tar skips member data.
	lr := &limitReader{r: dec, max: exp.max}
	s := &tarScan{src: src, lr: lr, exp: exp, lim: lim, t: newTree()}
	s.t.dupDirs = true
	s.t.what = "the top-level directory"
	meta, err := s.scan(tar.NewReader(lr), full)
	if err != nil {
		return nil, s.fail(err)
	}
	return meta, nil
}

type tarScan struct {
	src *source
	lr  *limitReader
	exp expansion
	lim Limits
	t   *tree
}

// fail classifies an error from reading the tar stream.
func (s *tarScan) fail(err error) error {
	switch ioErr, _ := s.src.ioErr(); {
	case ioErr != nil:
		return fmt.Errorf("reading distribution: %w", ioErr)
	case errors.Is(err, ErrInvalid):
		return err
	case s.lr.over:
		return s.exp.exceeded("the sdist")
	}
	var ce flate.CorruptInputError
	var be bzip2.StructuralError
	switch {
	case errors.Is(err, gzip.ErrChecksum):
		return invalidf("the sdist is corrupt: its gzip checksum does not match its data")
	case errors.Is(err, gzip.ErrHeader):
		return invalidf("the sdist is corrupt: it has data after its gzip stream, or an invalid gzip header")
	case errors.As(err, &ce):
		return invalidf("the sdist is corrupt: its gzip data is invalid")
	case errors.As(err, &be):
		return invalidf("the sdist is corrupt: its bzip2 data is invalid")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return invalidf("the sdist is truncated")
	case errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrFieldTooLong):
		return invalidf("the sdist is not a valid tar archive, or it is corrupt")
	}
	return invalidf("the sdist is not a valid tar archive, or it is corrupt (%v)", err)
}

func (s *tarScan) scan(tr *tar.Reader, full bool) ([]byte, error) {
	var (
		meta     []byte
		found    bool
		members  int
		declared int64
	)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && err != tar.ErrInsecurePath { // paths are checked below, with better messages
			return nil, err
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // e.g. the commit id git archive records
		}
		if members++; members > s.lim.MaxMembers {
			return nil, invalidf("the archive has more members than the limit of %d", s.lim.MaxMembers)
		}
		// Tolerate "./" prefixes, as made by tar -C dir . ; the entry for
		// "." itself names the extraction directory.
		raw := hdr.Name
		for strings.HasPrefix(raw, "./") {
			raw = raw[2:]
		}
		if raw == "" || raw == "." {
			if hdr.Typeflag == tar.TypeDir {
				continue
			}
			return nil, invalidf("member name %q is not a file name", hdr.Name)
		}
		name, err := checkMemberName(raw)
		if err != nil {
			return nil, err
		}
		if s.t.top == "" {
			s.t.top, _, _ = strings.Cut(name, "/")
		}
		if isSparse(hdr) {
			return nil, invalidf("member %q is a sparse file; sdists must not contain sparse files", hdr.Name)
		}
		if hdr.Size < 0 || hdr.Size > s.exp.max-declared {
			return nil, s.exp.exceeded("the sdist")
		}
		declared += hdr.Size
		isPKGInfo := name == s.t.top+"/PKG-INFO"
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeCont: // archive/tar reports the old TypeRegA as TypeReg
			if err := s.t.add(name, kindFile); err != nil {
				return nil, err
			}
			if !isPKGInfo {
				continue
			}
			if hdr.Size > s.lim.MaxMetadataSize {
				return nil, invalidf("the sdist's PKG-INFO file is %s, more than the limit of %s", formatSize(hdr.Size), formatSize(s.lim.MaxMetadataSize))
			}
			meta = make([]byte, hdr.Size)
			if _, err := io.ReadFull(tr, meta); err != nil {
				return nil, err
			}
			found = true
			if !full {
				return meta, nil
			}
			continue
		case tar.TypeDir:
			err = s.t.add(name, kindDir)
		case tar.TypeSymlink:
			err = s.t.addSymlink(name, hdr.Linkname)
		case tar.TypeLink:
			target := hdr.Linkname
			for strings.HasPrefix(target, "./") {
				target = target[2:]
			}
			err = s.t.addHardlink(name, target)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			err = invalidf("member %q is a device file or named pipe; sdists must not contain them", hdr.Name)
		default:
			err = invalidf("member %q has tar type %q, which sdists must not use", hdr.Name, hdr.Typeflag)
		}
		if err != nil {
			return nil, err
		}
		if isPKGInfo { // and not a regular file
			return nil, invalidf("the sdist's PKG-INFO is not a regular file")
		}
	}
	if !found {
		if s.t.top == "" {
			return nil, invalidf("the sdist is empty")
		}
		return nil, invalidf("the sdist has no PKG-INFO file in its top-level directory %q", s.t.top)
	}
	if err := s.t.finish(); err != nil {
		return nil, err
	}
	// Past the end-of-archive marker there may be only zero padding.
	// Reading to the end also makes compress/gzip verify its checksum
	// and reject anything after the gzip stream.
	if err := readZeros(s.lr); err != nil {
		return nil, err
	}
	return meta, nil
}

// isSparse reports whether hdr describes a sparse file, in the old GNU
// format or the PAX one. archive/tar expands such files, whose declared
// size can be arbitrarily larger than the archive.
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// readZeros reads r to the end and fails if any byte is not zero.
func readZeros(r io.Reader) error {
	buf := make([]byte, 64<<10)
	zeros := make([]byte, len(buf))
	for {
		n, err := r.Read(buf)
		if !bytes.Equal(buf[:n], zeros[:n]) {
			return invalidf("the sdist has data after the end of its tar archive")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// limitReader returns an error once more than max bytes have been read.
type limitReader struct {
	r    io.Reader
	n    int64
	max  int64
	over bool
}

var errTooBig = errors.New("dist: too much data")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.over {
		return 0, errTooBig
	}
	// Read at most one byte more than allowed: enough to notice.
	if room := l.max - l.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		l.over = true
		return n, errTooBig
	}
	return n, err
}

// zipSdistMetadata implements SdistMetadata for zip archives.
func zipSdistMetadata(r io.ReaderAt, size int64, lim Limits) ([]byte, error) {
	z, err := openZip(r, size, lim, 2*lim.MaxDirectorySize+2*lim.MaxMetadataSize+1<<20)
	if err != nil {
		return nil, err
	}
	top, err := zipTop(z.zr.File)
	if err != nil {
		return nil, err
	}
	f, err := zipSdistPKGInfo(z.zr.File, top)
	if err != nil {
		return nil, err
	}
	return z.readMember(f, lim.MaxMetadataSize, "the sdist's PKG-INFO file")
}

// zipTop returns the single top-level directory of a zip sdist.
func zipTop(files []*zip.File) (string, error) {
	var tops []string
	for _, f := range files {
		first, _, ok := strings.Cut(f.Name, "/")
		if !ok {
			return "", invalidf("member %q is at the top level of the archive; an sdist must hold everything in one top-level directory", f.Name)
		}
		if !slices.Contains(tops, first) {
			tops = append(tops, first)
			if len(tops) > 5 {
				break
			}
		}
	}
	switch len(tops) {
	case 0:
		return "", invalidf("the sdist is empty")
	case 1:
		return tops[0], nil
	}
	slices.Sort(tops)
	return "", invalidf("the sdist has more than one top-level directory (%s); it must have exactly one", strings.Join(tops, ", "))
}

// zipSdistPKGInfo returns the PKG-INFO member of a zip sdist.
func zipSdistPKGInfo(files []*zip.File, top string) (*zip.File, error) {
	var found *zip.File
	for _, f := range files {
		if f.Name != top+"/PKG-INFO" {
			continue
		}
		if found != nil {
			return nil, invalidf("the sdist contains %s/PKG-INFO more than once", top)
		}
		found = f
	}
	if found == nil {
		return nil, invalidf("the sdist has no PKG-INFO file in its top-level directory %q", top)
	}
	if !found.Mode().IsRegular() {
		return nil, invalidf("the sdist's PKG-INFO is not a regular file")
	}
	return found, nil
}

// checkZipSdist implements CheckSdist for zip archives.
func checkZipSdist(r io.ReaderAt, size int64, lim Limits) error {
	z, err := openZip(r, size, lim, 0)
	if err != nil {
		return err
	}
	t := newTree()
	t.what = "the top-level directory"
	if len(z.zr.File) > 0 {
		t.top, _, _ = strings.Cut(strings.TrimSuffix(z.zr.File[0].Name, "/"), "/")
	}
	ents, err := z.checkStructure(lim, t)
	if err != nil {
		return err
	}
	top, err := zipTop(z.zr.File)
	if err != nil {
		return err
	}
	meta, err := zipSdistPKGInfo(z.zr.File, top)
	if err != nil {
		return err
	}
	if meta.UncompressedSize64 > uint64(lim.MaxMetadataSize) {
		return invalidf("the sdist's PKG-INFO file is %s, more than the limit of %s",
			formatSize(int64(min(meta.UncompressedSize64, 1<<62))), formatSize(lim.MaxMetadataSize))
	}
	_, err = z.verifyAll(fileOrder(ents), nil)
	return err
}
