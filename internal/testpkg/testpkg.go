// Package testpkg builds small, valid Python distributions (wheels and
// sdists) in memory for tests, the way setuptools lays them out.
package testpkg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// Dist describes a distribution to build.
type Dist struct {
	Name     string // as written in metadata, e.g. "Acme_Internal.Utils"
	Version  string
	Requires []string // Requires-Dist lines
	// RequiresPython is the Requires-Python value, if any.
	RequiresPython string
	// Payload is extra content for the package module (to vary bytes).
	Payload string
	// RawMetadata, when set, replaces the generated METADATA/PKG-INFO
	// (to build files whose metadata disagrees with their name).
	RawMetadata []byte
}

// Metadata returns the core metadata text of d.
func (d Dist) Metadata() []byte {
	if d.RawMetadata != nil {
		return d.RawMetadata
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: test package %s\n", d.Name, d.Version, d.Name)
	if d.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", d.RequiresPython)
	}
	for _, r := range d.Requires {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	b.WriteString("Description-Content-Type: text/markdown\n\n# " + d.Name + "\n\nA test package.\n")
	return []byte(b.String())
}

func (d Dist) module() string {
	return strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(d.Name))
}

// WheelName is the wheel's file name.
func (d Dist) WheelName() string {
	return fmt.Sprintf("%s-%s-py3-none-any.whl", strings.NewReplacer("-", "_", ".", "_").Replace(d.Name), d.Version)
}

// SdistName is the sdist's file name (PEP 625 style).
func (d Dist) SdistName() string {
	return fmt.Sprintf("%s-%s.tar.gz", strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(d.Name)), d.Version)
}

// Wheel returns the bytes of a wheel of d.
func (d Dist) Wheel() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	distInfo := fmt.Sprintf("%s-%s.dist-info", strings.NewReplacer("-", "_", ".", "_").Replace(d.Name), d.Version)
	files := []struct {
		name string
		data []byte
	}{
		{d.module() + "/__init__.py", []byte(fmt.Sprintf("VERSION = %q\n%s\n", d.Version, d.Payload))},
		{distInfo + "/METADATA", d.Metadata()},
		{distInfo + "/WHEEL", []byte("Wheel-Version: 1.0\nGenerator: testpkg\nRoot-Is-Purelib: true\nTag: py3-none-any\n")},
	}
	var record strings.Builder
	for _, f := range files {
		w, _ := zw.Create(f.name)
		w.Write(f.data)
		sum := sha256.Sum256(f.data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.data))
	}
	record.WriteString(distInfo + "/RECORD,,\n")
	w, _ := zw.Create(distInfo + "/RECORD")
	w.Write([]byte(record.String()))
	zw.Close()
	return buf.Bytes()
}

// Sdist returns the bytes of a .tar.gz sdist of d.
func (d Dist) Sdist() []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	top := strings.TrimSuffix(d.SdistName(), ".tar.gz")
	tw.WriteHeader(&tar.Header{Name: top + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, f := range []struct {
		name string
		data []byte
	}{
		{top + "/PKG-INFO", d.Metadata()},
		{top + "/pyproject.toml", []byte("[project]\nname = \"" + d.Name + "\"\n")},
		{top + "/src/" + d.module() + "/__init__.py", []byte(d.Payload + "\n")},
	} {
		tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.data))})
		tw.Write(f.data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}
