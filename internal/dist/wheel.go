package dist

import (
	"archive/zip"
	"cmp"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// WheelMetadata returns the bytes of the METADATA file of the wheel in r,
// exactly as stored. size is the size of the wheel; distribution and
// version are the name and version from its file name (escaped or not).
//
// The wheel must have exactly one top-level .dist-info directory, named
// {distribution}-{version}.dist-info after normalisation: the distribution
// names are compared as PEP 503 normalises them, so Foo_Bar-1.0.dist-info
// matches foo-bar and foo.bar, and the versions case-insensitively with "-"
// and "_" treated alike. An empty version matches any version.
//
// WheelMetadata reads through r only the end of the archive, its central
// directory and the METADATA member; it never reads other members, and it
// refuses to read more than 2*MaxDirectorySize + 2*MaxMetadataSize + 1 MiB
// in total whatever the archive claims. It does not validate the rest of the
// archive; see CheckWheel.
func WheelMetadata(r io.ReaderAt, size int64, distribution, version string, lim Limits) ([]byte, error) {
	if strings.TrimSpace(distribution) == "" {
		return nil, errors.New("dist: WheelMetadata needs a distribution name")
	}
	lim = lim.withDefaults()
	z, err := openZip(r, size, lim, 2*lim.MaxDirectorySize+2*lim.MaxMetadataSize+1<<20)
	if err != nil {
		return nil, err
	}
	dir, err := distInfoDir(z.zr.File)
	if err != nil {
		return nil, err
	}
	if !distInfoMatches(dir, distribution, version) {
		want := distribution + "-" + version + ".dist-info"
		if version == "" {
			want = distribution + "-{version}.dist-info"
		}
		return nil, invalidf("the wheel's .dist-info directory %q does not match its file name: expected %s", dir, want)
	}
	f, err := wheelFile(z.zr.File, dir+"/METADATA")
	if err != nil {
		return nil, err
	}
	return z.readMember(f, lim.MaxMetadataSize, "the wheel's METADATA file")
}

// distInfoDir returns the wheel's single top-level .dist-info directory.
// Like pip it looks at the first path component of every member.
func distInfoDir(files []*zip.File) (string, error) {
	var dirs []string
	for _, f := range files {
		first, _, _ := strings.Cut(f.Name, "/")
		if strings.HasSuffix(first, ".dist-info") && !slices.Contains(dirs, first) {
			dirs = append(dirs, first)
			if len(dirs) > 5 {
				break // enough for the error message
			}
		}
	}
	switch len(dirs) {
	case 0:
		return "", invalidf("the wheel has no .dist-info directory; a wheel must contain {name}-{version}.dist-info/METADATA")
	case 1:
		return dirs[0], nil
	}
	slices.Sort(dirs)
	return "", invalidf("the wheel has more than one .dist-info directory (%s); it must have exactly one", strings.Join(dirs, ", "))
}

// wheelFile returns the single member called name.
func wheelFile(files []*zip.File, name string) (*zip.File, error) {
	var found *zip.File
	for _, f := range files {
		if f.Name != name {
			continue
		}
		if found != nil {
			return nil, invalidf("the wheel contains %s more than once", name)
		}
		found = f
	}
	if found == nil {
		return nil, invalidf("the wheel has no %s file", name)
	}
	return found, nil
}

// distInfoMatches reports whether dir, a .dist-info directory name, is
// {distribution}-{version}.dist-info after normalisation. Older tools did
// not escape "-" in either part, so every split at a "-" is tried.
func distInfoMatches(dir, distribution, version string) bool {
	stem := strings.TrimSuffix(dir, ".dist-info")
	want := normalize(strings.TrimSpace(distribution))
	version = strings.TrimSpace(version)
	for i := 0; i < len(stem); i++ {
		if stem[i] == '-' && normalize(stem[:i]) == want && (version == "" || sameVersion(stem[i+1:], version)) {
			return true
		}
	}
	return false
}

// normalize returns the PEP 503 normal form of a project name: lower case,
// with each run of "-", "_" and "." replaced by a single "-".
func normalize(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for _, c := range name {
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteString(strings.ToLower(string(c)))
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

// sameVersion compares versions as they appear in file and directory
// names: trimmed, case-insensitively, and with "-" and "_" alike (file
// names cannot hold "-", so tools escape it as "_").
func sameVersion(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == '-' {
			x = '_'
		}
		if y == '-' {
			y = '_'
		}
		if x != y && !(x|0x20 == y|0x20 && 'a' <= x|0x20 && x|0x20 <= 'z') {
			return false
		}
	}
	return true
}

// CheckWheel validates the structure of the wheel in r, of the given size,
// for an upload or an import. It is meant to run once per file, on a local
// copy: unlike WheelMetadata it reads the whole archive.
//
// It requires:
//
//   - a well-formed zip archive whose central directory, end records and
//     local headers agree with each other and with archive/zip, whose
//     members tile the file with no gaps, overlaps, prepended or trailing
//     data (the defences PyPI adopted against zip parser confusion);
//   - member names that are relative, clean, slash-separated paths, marked
//     as UTF-8 if they are not ASCII, each used once, none both a file and
//     a directory; symbolic links, if any, that stay inside the archive;
//   - at most MaxMembers members, no encrypted members, only the stored
//     and deflate methods, and declared sizes within MaxTotalUncompressed
//     and MaxCompressionRatio;
//   - exactly one top-level .dist-info directory holding METADATA (at most
//     MaxMetadataSize), WHEEL and RECORD;
//   - that every member decompresses to exactly its declared size and
//     CRC-32. This reads and inflates the whole wheel, on up to 8
//     goroutines (one per member at a time): inflating runs at about
//     150 MB/s per core, so a 200 MB wheel of compiled code costs about
//     1.3 s of CPU, against 0.1 ms for the structural checks alone. It is
//     worth it: only inflating catches corrupt data, and an index that
//     accepted a corrupt wheel would serve it, hash-locked, for ever;
//   - last, that RECORD (at most 2*MaxDirectorySize) lists every file in
//     the archive except RECORD and its signatures, lists nothing else,
//     and gives correct hashes and sizes. A failure of this check wraps
//     ErrRecord as well as ErrInvalid.
//
// CheckWheel does not compare the .dist-info name with the file name;
// WheelMetadata does that. r must allow concurrent ReadAt calls, as the
// io.ReaderAt contract requires (*os.File does).
func CheckWheel(r io.ReaderAt, size int64, lim Limits) error {
	lim = lim.withDefaults()
	z, err := openZip(r, size, lim, 0)
	if err != nil {
		return err
	}
	ents, err := z.checkStructure(lim, newTree())
	if err != nil {
		return err
	}
	files := z.zr.File
	dir, err := distInfoDir(files)
	if err != nil {
		return err
	}
	var meta, record *zip.File
	for _, name := range []string{"METADATA", "WHEEL", "RECORD"} {
		f, err := wheelFile(files, dir+"/"+name)
		if err != nil {
			return err
		}
		if !f.Mode().IsRegular() {
			return invalidf("the wheel's %s is not a regular file", f.Name)
		}
		switch name {
		case "METADATA":
			meta = f
		case "RECORD":
			record = f
		}
	}
	if meta.UncompressedSize64 > uint64(lim.MaxMetadataSize) {
		return invalidf("the wheel's METADATA file is %s, more than the limit of %s",
			formatSize(int64(min(meta.UncompressedSize64, 1<<62))), formatSize(lim.MaxMetadataSize))
	}
	recData, err := z.readMember(record, 2*lim.MaxDirectorySize, "the wheel's RECORD file")
	if err != nil {
		return err
	}
	rec, recErr := parseRecord(recData, dir)

	// Match members with RECORD entries, then verify every member. The
	// first RECORD problem is kept but reported only if the archive is
	// otherwise sound.
	order := fileOrder(ents)
	hashers := make([]hash.Hash, len(files))
	entries := make([]*recordEntry, len(files))
	for _, i := range order {
		f := files[i]
		if recErr != nil || strings.HasSuffix(f.Name, "/") {
			continue
		}
		if e := rec.entries[f.Name]; e != nil {
			e.seen = true
			entries[i], hashers[i] = e, e.newHash()
		} else if !isRecordFile(f.Name, dir) {
			recErr = recordf("%q is in the archive but not listed in RECORD", f.Name)
		}
	}
	sums, err := z.verifyAll(order, hashers)
	if err != nil {
		return err
	}
	if recErr != nil {
		return recErr
	}
	for _, i := range order {
		if e := entries[i]; e != nil {
			if err := e.check(files[i].Name, sums[i], files[i].UncompressedSize64); err != nil {
				return err
			}
		}
	}
	return rec.unseen()
}

// checkStructure applies the strict structural rules shared by CheckWheel
// and CheckSdist to a zip archive, adding its members to t. It reads only
// headers, plus the targets of symbolic links.
func (z *zipArchive) checkStructure(lim Limits, t *tree) ([]zipEntry, error) {
	if err := z.checkEnd(); err != nil {
		return nil, err
	}
	ents, err := z.entries()
	if err != nil {
		return nil, err
	}
	exp := lim.expansion(z.size)
	var total uint64
	for _, f := range z.zr.File {
		name, err := checkMemberName(f.Name)
		if err != nil {
			return nil, err
		}
		if !isASCII(f.Name) && (f.Flags&flagUTF8 == 0 || !utf8.ValidString(f.Name)) {
			// Readers decode such names as code page 437, or as
			// UTF-8, or as the local code page: each sees another name.
			return nil, invalidf("member name %q is not ASCII and not marked as UTF-8", f.Name)
		}
		if err := checkMethod(f); err != nil {
			return nil, err
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(exp.max) || total > uint64(exp.max) {
			return nil, exp.exceeded("the archive")
		}
		mode := f.Mode()
		switch {
		case strings.HasSuffix(f.Name, "/"):
			if f.UncompressedSize64 != 0 {
				return nil, invalidf("directory member %q has contents", f.Name)
			}
			err = t.add(name, kindDir)
		case mode&fs.ModeSymlink != 0:
			var target []byte
			target, err = z.readMember(f, 4096, "symbolic link "+strconv.Quote(f.Name))
			if err == nil {
				err = t.addSymlink(name, string(target))
			}
		case mode&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeCharDevice) != 0:
			err = invalidf("member %q is a device file, named pipe or socket", f.Name)
		default:
			err = t.add(name, kindFile)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := t.finish(); err != nil {
		return nil, err
	}
	if err := z.checkLayout(ents); err != nil {
		return nil, err
	}
	return ents, nil
}

// fileOrder returns the indices of ents in the order of their offsets.
func fileOrder(ents []zipEntry) []int {
	order := make([]int, len(ents))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ents[a].offset, ents[b].offset) })
	return order
}

// maxVerifiers bounds the goroutines verifyAll uses, so that one upload
// cannot occupy every core of a large server.
const maxVerifiers = 8

// verifyAll verifies the members of z whose indices are in order (all of
// them, in the order of their offsets), in parallel, hashing member i with
// hashers[i] if hashers is not nil and hashers[i] is not nil. It returns
// the hashes, indexed like z.zr.File, or the error of the first corrupt
// member in order: members before a failure are always verified, members
// after it may be skipped.
func (z *zipArchive) verifyAll(order []int, hashers []hash.Hash) ([][]byte, error) {
	files := z.zr.File
	sums := make([][]byte, len(files))
	errs := make([]error, len(files))
	var next, failed atomic.Int64
	failed.Store(int64(len(order)))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), maxVerifiers, max(len(order), 1)) {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			for {
				k := next.Add(1) - 1
				if k >= int64(len(order)) || k > failed.Load() {
					return
				}
				i := order[k]
				if strings.HasSuffix(files[i].Name, "/") {
					continue
				}
				var h hash.Hash
				if hashers != nil {
					h = hashers[i]
				}
				sums[i], errs[i] = z.verifyMember(files[i], buf, h)
				for errs[i] != nil {
					cur := failed.Load()
					if k >= cur || failed.CompareAndSwap(cur, k) {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	for _, i := range order {
		if errs[i] != nil {
			return nil, errs[i]
		}
	}
	return sums, nil
}

// verifyMember reads f to the end, checking its size and CRC-32, and
// returns its hash under h if h is not nil.
func (z *zipArchive) verifyMember(f *zip.File, buf []byte, h hash.Hash) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, z.src.fail(err, "member %q is corrupt: %s", f.Name, describeZipError(err))
	}
	defer rc.Close()
	crc := crc32.NewIEEE()
	// archive/zip refuses to return more than the declared size; the
	// limit is a second guard against a decompression bomb.
	lr := io.LimitReader(rc, int64(f.UncompressedSize64)+1)
	var n uint64
	for {
		m, err := lr.Read(buf)
		crc.Write(buf[:m])
		if h != nil {
			h.Write(buf[:m])
		}
		n += uint64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, z.src.fail(err, "member %q is corrupt: %s", f.Name, describeZipError(err))
		}
	}
	if n != f.UncompressedSize64 {
		return nil, invalidf("member %q is corrupt: %s", f.Name, describeZipError(zip.ErrFormat))
	}
	// archive/zip skips the comparison when the stored CRC is 0.
	if crc.Sum32() != f.CRC32 {
		return nil, invalidf("member %q is corrupt: %s", f.Name, describeZipError(zip.ErrChecksum))
	}
	if h == nil {
		return nil, nil
	}
	return h.Sum(nil), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
