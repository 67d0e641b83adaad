package dist

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLimits keeps each fuzz input cheap: at most 8 MiB is inflated.
func fuzzLimits() Limits {
	return Limits{
		MaxMetadataSize:      1 << 20,
		MaxMembers:           1000,
		MaxDirectorySize:     1 << 20,
		MaxTotalUncompressed: 8 << 20,
	}.withDefaults()
}

// addWheelSeeds adds small valid and hostile wheels to the corpus.
func addWheelSeeds(f *testing.F) {
	dir := "foo-1.0.dist-info"
	small := func(extra ...member) []member {
		return withRecord(dir, append(extra,
			member{name: dir + "/METADATA", data: []byte("Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n")},
			member{name: dir + "/WHEEL", data: []byte("Wheel-Version: 1.0\n")}))
	}
	raw := func(ms []member) []member {
		for i := range ms {
			ms[i].raw = true
		}
		return ms
	}
	f.Add(buildZip(f, small()))
	f.Add(buildZip(f, raw(small(member{name: "foo/__init__.py", data: []byte("x = 1\n")}))))
	f.Add(buildZip(f, small(member{name: "foo/", store: true}, member{name: "foo/a", data: []byte("aaaa"), store: true})))
	f.Add(buildZip(f, small(member{name: "foo/l", data: []byte("../x"), mode: fs.ModeSymlink | 0o777})))
	f.Add(buildZip(f, small(member{name: "../evil", data: []byte("x")})))
	f.Add(buildZip(f, append(small(), member{name: dir + "/METADATA", data: []byte("dup")})))
	f.Add(buildZip(f, small(zipBomb("foo/zeros", 1<<20))))
	hidden := buildZip(f, small(member{name: "foo/hidden", data: []byte("h")}))
	f.Add(dropCentral(f, hidden, "foo/hidden"))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add([]byte("PK\x06\x06" + strings.Repeat("\x00", 52) + "PK\x06\x07" + strings.Repeat("\x00", 16) + "PK\x05\x06" + strings.Repeat("\xff", 16) + "\x00\x00"))
}

// wantOnlyInvalid fails if err is neither nil nor an ErrInvalid error:
// reading from a bytes.Reader never fails.
func wantOnlyInvalid(t *testing.T, what string, err error) {
	if err != nil && !errors.Is(err, ErrInvalid) {
		t.Fatalf("%s: error %q does not wrap ErrInvalid", what, err)
	}
}

func FuzzWheelMetadata(f *testing.F) {
	addWheelSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := WheelMetadata(bytes.NewReader(data), int64(len(data)), "foo", "1.0", fuzzLimits())
		wantOnlyInvalid(t, "WheelMetadata", err)
		if err != nil {
			return
		}
		if int64(len(got)) > fuzzLimits().MaxMetadataSize {
			t.Fatalf("returned %d bytes, more than the limit", len(got))
		}
		// archive/zip must agree on the bytes.
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil && err != zip.ErrInsecurePath {
			t.Fatalf("WheelMetadata succeeded where archive/zip fails: %v", err)
		}
		dir, _ := distInfoDir(zr.File)
		for _, zf := range zr.File {
			if zf.Name == dir+"/METADATA" {
				rc, err := zf.Open()
				if err != nil {
					t.Fatal(err)
				}
				want, err := io.ReadAll(rc)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("archive/zip reads %q, %v; WheelMetadata returned %q", want, err, got)
				}
			}
		}
	})
}

func FuzzCheckWheel(f *testing.F) {
	addWheelSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckWheel(bytes.NewReader(data), int64(len(data)), fuzzLimits())
		wantOnlyInvalid(t, "CheckWheel", err)
		if err != nil {
			return
		}
		// A wheel that passes CheckWheel must yield its metadata.
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("CheckWheel accepted what archive/zip refuses: %v", err)
		}
		dir, err := distInfoDir(zr.File)
		if err != nil {
			t.Fatal(err)
		}
		name, _, ok := strings.Cut(strings.TrimSuffix(dir, ".dist-info"), "-")
		if !ok || normalize(name) == "" {
			return
		}
		if _, err := WheelMetadata(bytes.NewReader(data), int64(len(data)), name, "", fuzzLimits()); err != nil {
			t.Fatalf("CheckWheel accepted a wheel whose metadata cannot be read: %v", err)
		}
	})
}

func FuzzSdistMetadata(f *testing.F) {
	ms := sdistMembers(
		member{name: "foo-1.0/l", tflag: tar.TypeSymlink, link: "README.md"},
		member{name: "foo-1.0/h", tflag: tar.TypeLink, link: "foo-1.0/setup.py"},
	)
	f.Add(buildTar(f, false, ms), uint8(0))
	f.Add(buildTar(f, false, sdistMembers(member{name: "foo-1.0/../x"})), uint8(0))
	f.Add(buildTar(f, false, []member{{name: "foo-1.0/PKG-INFO", tflag: tar.TypeSymlink, link: "../../x"}}), uint8(0))
	f.Add(buildTar(f, true, ms), uint8(1))
	f.Add(tarBomb(f, "foo-1.0/zeros", 1<<20), uint8(1))
	f.Add(buildZip(f, sdistMembers()), uint8(2))
	f.Add(buildZip(f, sdistMembers(member{name: "bar/x"})), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		filename := [...]string{"foo-1.0.tar", "foo-1.0.tar.gz", "foo-1.0.zip"}[kind%3]
		r := bytes.NewReader(data)
		got, err := SdistMetadata(r, int64(len(data)), filename, fuzzLimits())
		wantOnlyInvalid(t, "SdistMetadata", err)
		if err == nil && int64(len(got)) > fuzzLimits().MaxMetadataSize {
			t.Fatalf("returned %d bytes, more than the limit", len(got))
		}
		checkErr := CheckSdist(r, int64(len(data)), filename, fuzzLimits())
		wantOnlyInvalid(t, "CheckSdist", checkErr)
		if checkErr != nil {
			return
		}
		// An sdist that passes CheckSdist must yield its metadata, and
		// (having no duplicates) the same bytes on a full scan.
		if err != nil {
			t.Fatalf("CheckSdist accepted an sdist whose metadata cannot be read: %v", err)
		}
		if format, _ := sdistFormatOf(filename); format != formatZip {
			full, err := scanTar(r, int64(len(data)), format, fuzzLimits(), true)
			if err != nil || !bytes.Equal(full, got) {
				t.Fatalf("a full scan returns %q, %v; SdistMetadata %q", full, err, got)
			}
		}
	})
}

// FuzzSdistLinks checks the link policy where it matters: on disk. It
// builds an sdist from fuzzed names, kinds and link targets; if CheckSdist
// accepts it, it extracts it the naive way (following links, as a careless
// installer would), then writes through every link, and requires that
// nothing was created outside the extraction directory.
func FuzzSdistLinks(f *testing.F) {
	f.Add("foo-1.0/a", "", uint8(0), "foo-1.0/l", "a", uint8(2), "foo-1.0/h", "foo-1.0/a", uint8(3))
	f.Add("foo-1.0/d/", "", uint8(1), "foo-1.0/d/l", "../a", uint8(2), "foo-1.0/m", "d/l", uint8(2))
	f.Add("foo-1.0/up", "..", uint8(2), "foo-1.0/x", "up/..", uint8(2), "foo-1.0/up/y", "", uint8(0))
	f.Add("foo-1.0/s", "sub", uint8(2), "foo-1.0/sub/", "", uint8(1), "foo-1.0/t", "s/../..", uint8(2))
	f.Add("foo-1.0/l", ".", uint8(2), "foo-1.0/m", "./x", uint8(2), "foo-1.0/n", "x/./y", uint8(2))
	f.Fuzz(func(t *testing.T, n1, l1 string, k1 uint8, n2, l2 string, k2 uint8, n3, l3 string, k3 uint8) {
		types := []byte{tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink}
		ms := []member{{name: "foo-1.0/PKG-INFO", data: testPKGInfo}}
		for _, m := range []member{{name: n1, link: l1, tflag: types[k1%4]}, {name: n2, link: l2, tflag: types[k2%4]}, {name: n3, link: l3, tflag: types[k3%4]}} {
			if m.tflag == tar.TypeReg {
				m.data = []byte("data")
			}
			ms = append(ms, m)
		}
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, m := range ms {
			if err := tw.WriteHeader(&tar.Header{Name: m.name, Linkname: m.link, Typeflag: m.tflag, Size: int64(len(m.data)), Mode: 0o644, Format: tar.FormatPAX}); err != nil {
				return // not representable
			}
			tw.Write(m.data)
		}
		if tw.Close() != nil {
			return
		}
		data := buf.Bytes()
		err := CheckSdist(bytes.NewReader(data), int64(len(data)), "foo-1.0.tar", fuzzLimits())
		wantOnlyInvalid(t, "CheckSdist", err)
		if err != nil {
			return
		}

		// Extract into tmp/a/b/c/root, deep enough that links escaping by
		// a few levels still land inside tmp, where they are seen.
		tmp := t.TempDir()
		root := filepath.Join(tmp, "a", "b", "c", "root")
		os.MkdirAll(root, 0o755)
		tr := tar.NewReader(bytes.NewReader(data))
		var links []string
		for {
			hdr, err := tr.Next()
			if err != nil {
				break
			}
			p := filepath.Join(root, filepath.FromSlash(hdr.Name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			switch hdr.Typeflag {
			case tar.TypeDir:
				os.MkdirAll(p, 0o755)
			case tar.TypeReg:
				os.WriteFile(p, []byte("data"), 0o644)
			case tar.TypeSymlink:
				os.Symlink(hdr.Linkname, p)
				links = append(links, p)
			case tar.TypeLink:
				os.Link(filepath.Join(root, filepath.FromSlash(hdr.Linkname)), p)
			}
		}
		for _, l := range links {
			os.WriteFile(l, []byte("through"), 0o644)
			os.MkdirAll(filepath.Join(l, "sub"), 0o755)
			os.WriteFile(filepath.Join(l, "sub", "f"), []byte("through"), 0o644)
		}
		// Every link must resolve, by the kernel's rules, inside the
		// top-level directory.
		top, err := filepath.EvalSymlinks(filepath.Join(root, "foo-1.0"))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links {
			real, err := filepath.EvalSymlinks(l)
			if err == nil && real != top && !strings.HasPrefix(real, top+string(filepath.Separator)) {
				t.Fatalf("link %s resolves to %s, outside %s; members: %+v", l, real, top, ms)
			}
		}
		// And nothing may have been created outside root.
		filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
			rel, _ := filepath.Rel(tmp, p)
			switch rel {
			case ".", "a", filepath.Join("a", "b"), filepath.Join("a", "b", "c"):
				return nil
			case filepath.Join("a", "b", "c", "root"):
				return filepath.SkipDir
			}
			t.Fatalf("extraction created %s outside its directory; members: %+v", p, ms)
			return nil
		})
	})
}
