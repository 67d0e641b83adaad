package pypi

import (
	"errors"
	"fmt"
	"strings"
)

// MaxFilenameLen is the longest distribution file name accepted, in bytes.
// It is the usual limit of a file name on disk; no real distribution comes
// near it.
const MaxFilenameLen = 255

// Kind is the kind of a distribution file.
type Kind uint8

// The kinds of distribution file. The zero Kind is not a valid kind.
const (
	Sdist Kind = iota + 1 // a source distribution (.tar.gz or .zip)
	Wheel                 // a built distribution (.whl, PEP 427)
)

// String returns "sdist", "wheel" or "Kind(n)".
func (k Kind) String() string {
	switch k {
	case Sdist:
		return "sdist"
	case Wheel:
		return "wheel"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Extensions of the distribution files ParseFilename accepts.
//
// Only the formats PyPI still accepts (PEP 527) are served: wheels, and
// sdists as .tar.gz or .zip. The legacy sdist archives (.tar.bz2, .tar.xz,
// .tgz, .tar, ...) and the retired binary formats (.egg, .exe, .msi, ...)
// are refused with an UnsupportedFormatError. They are rare, modern
// installers never need them, and each extra archive format widens what the
// server and its clients have to unpack safely, for no benefit.
const (
	ExtWheel = ".whl"
	ExtTarGz = ".tar.gz"
	ExtZip   = ".zip"
)

// Filename is a parsed distribution file name.
//
// String reassembles it: for every name ParseFilename accepts,
// f.String() == name.
type Filename struct {
	// Project is the project name as written in the file name (for wheels
	// and PEP 625 sdists normalised with '_', for legacy sdists anything
	// ValidName accepts). NormalizedProject gives the PEP 503 form.
	Project string
	// Version is the version as written in the file name; callers validate
	// it with the pep440 package.
	Version string
	Kind    Kind
	// BuildTag is the optional build tag of a wheel ("" if none); it
	// starts with a digit.
	BuildTag string
	// PythonTags, ABITags and PlatformTags are a wheel's compressed tag
	// sets split on '.': "py2.py3" gives ["py2", "py3"]. Nil for sdists.
	PythonTags   []string
	ABITags      []string
	PlatformTags []string
	// Ext is ExtWheel, ExtTarGz or ExtZip.
	Ext string
}

// NormalizedProject returns the PEP 503 normal form of f.Project.
func (f Filename) NormalizedProject() string { return Normalize(f.Project) }

// String reassembles the file name.
func (f Filename) String() string {
	var b strings.Builder
	b.WriteString(f.Project)
	b.WriteByte('-')
	b.WriteString(f.Version)
	if f.Kind == Wheel {
		if f.BuildTag != "" {
			b.WriteByte('-')
			b.WriteString(f.BuildTag)
		}
		for _, tags := range [...][]string{f.PythonTags, f.ABITags, f.PlatformTags} {
			b.WriteByte('-')
			b.WriteString(strings.Join(tags, "."))
		}
	}
	b.WriteString(f.Ext)
	return b.String()
}

// UnsupportedFormatError is the error ParseFilename and ParseFilenameFor
// return for a file name that is well formed but does not end in an
// accepted extension: the file is not a wheel, a .tar.gz sdist or a .zip
// sdist. A mirror can use errors.As to skip such files quietly while
// reporting malformed names.
type UnsupportedFormatError struct {
	Name string
	// Legacy is the recognised legacy extension (".egg", ".tar.bz2",
	// ...), or "" when the extension is unknown.
	Legacy string
}

// Error returns a sentence that names the file and the accepted formats.
func (e *UnsupportedFormatError) Error() string {
	if e.Legacy != "" {
		return fmt.Sprintf("%q is a legacy %s distribution, which is not accepted (expected .whl, .tar.gz or .zip)", e.Name, e.Legacy)
	}
	return fmt.Sprintf("%q is not a wheel or sdist file name (expected .whl, .tar.gz or .zip)", e.Name)
}

// ParseFilename parses a wheel or sdist file name.
//
// Wheels follow PEP 427:
// {name}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl,
// where no component contains '-', the build tag starts with a digit and
// the tags are '.'-separated sets of [A-Za-z0-9_] words.
//
// Sdists are {name}-{version}.tar.gz or .zip. PEP 625 writes the name
// normalised with '_', so the only '-' separates name and version, but
// legacy sdists keep the project's own spelling, '-' included
// ("python-dateutil-2.8.2.tar.gz"). ParseFilename therefore splits at the
// last '-' that is followed by a version start: a digit, or 'v' or 'V'
// and a digit. That is right for every PEP 625 name and for legacy names
// whose version contains no "-<digit>": "foo-1.0-1.tar.gz" (post-release
// 1.0-1) parses as project "foo-1.0", version "1". When the project is
// known, use ParseFilenameFor, which has no such ambiguity.
//
// Whatever the kind, ParseFilename refuses names longer than
// MaxFilenameLen, path separators, control and non-ASCII characters, "..",
// empty components, and a leading '.' or '-'. The version is only checked
// to be made of characters a version may contain; callers validate it with
// the pep440 package. Errors are one sentence naming what is wrong.
func ParseFilename(name string) (Filename, error) {
	f, stem, err := parseCommon(name)
	if err != nil {
		return Filename{}, err
	}
	if f.Kind == Wheel {
		return parseWheel(f, name, stem)
	}
	i := versionSplit(stem)
	if i < 0 {
		if !strings.Contains(stem, "-") {
			return Filename{}, fmt.Errorf("sdist file name %q has no version (expected {name}-{version}%s)", name, f.Ext)
		}
		return Filename{}, fmt.Errorf("sdist file name %q has no version: no \"-\" is followed by a digit (expected {name}-{version}%s)", name, f.Ext)
	}
	return finishSdist(f, name, stem[:i], stem[i+1:])
}

// ParseFilenameFor parses the file name of a distribution of project, and
// fails unless the file belongs to it (the names are equal once
// normalised). Knowing the project makes legacy sdist names unambiguous:
// the version is whatever follows the prefix that normalises to the
// project, "-1" included. See ParseFilename for the rules.
func ParseFilenameFor(project, name string) (Filename, error) {
	if !ValidName(project) {
		return Filename{}, fmt.Errorf("%q is not a valid project name", project)
	}
	norm := Normalize(project)
	f, stem, err := parseCommon(name)
	if err != nil {
		return Filename{}, err
	}
	if f.Kind == Wheel {
		f, err := parseWheel(f, name, stem)
		if err != nil {
			return Filename{}, err
		}
		if !equalNormalized(f.Project, norm) {
			return Filename{}, notOfProject(name, project)
		}
		return f, nil
	}
	// Normalising collapses separator runs, so the project prefix may be
	// longer or shorter than project itself: try every '-'. At most one
	// prefix matches, since a valid name ends in a letter or digit and a
	// longer prefix adds at least one of them to the normal form.
	for i := 0; i < len(stem); i++ {
		if stem[i] == '-' && ValidName(stem[:i]) && equalNormalized(stem[:i], norm) {
			return finishSdist(f, name, stem[:i], stem[i+1:])
		}
	}
	return Filename{}, notOfProject(name, project)
}

func notOfProject(name, project string) error {
	return fmt.Errorf("%q is not a file name of project %q (expected {name}-{version} with a name that normalises to %q)", name, project, Normalize(project))
}

// parseCommon applies the checks shared by every kind of file name and
// returns a Filename with Kind and Ext set, and the name without extension.
func parseCommon(name string) (Filename, string, error) {
	if name == "" {
		return Filename{}, "", errors.New("file name is empty")
	}
	if len(name) > MaxFilenameLen {
		return Filename{}, "", fmt.Errorf("file name is %d bytes long, more than the limit of %d", len(name), MaxFilenameLen)
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '/' || c == '\\':
			return Filename{}, "", fmt.Errorf("file name %q contains a path separator", name)
		case c < 0x20 || c == 0x7f:
			return Filename{}, "", fmt.Errorf("file name %q contains a control character", name)
		case c >= 0x80:
			return Filename{}, "", fmt.Errorf("file name %q contains a non-ASCII character", name)
		case c == ' ':
			return Filename{}, "", fmt.Errorf("file name %q contains a space", name)
		}
	}
	switch {
	case name[0] == '.':
		return Filename{}, "", fmt.Errorf("file name %q starts with \".\"", name)
	case name[0] == '-':
		return Filename{}, "", fmt.Errorf("file name %q starts with \"-\"", name)
	case strings.Contains(name, ".."):
		return Filename{}, "", fmt.Errorf("file name %q contains \"..\"", name)
	case strings.Contains(name, "--"):
		return Filename{}, "", fmt.Errorf("file name %q has an empty component (\"--\")", name)
	}
	var f Filename
	switch {
	case strings.HasSuffix(name, ExtWheel):
		f.Kind, f.Ext = Wheel, ExtWheel
	case strings.HasSuffix(name, ExtTarGz):
		f.Kind, f.Ext = Sdist, ExtTarGz
	case strings.HasSuffix(name, ExtZip):
		f.Kind, f.Ext = Sdist, ExtZip
	default:
		return Filename{}, "", unsupported(name)
	}
	stem := name[:len(name)-len(f.Ext)]
	if stem[len(stem)-1] == '-' {
		return Filename{}, "", fmt.Errorf("file name %q has an empty component before %q", name, f.Ext)
	}
	return f, stem, nil
}

func unsupported(name string) error {
	lower := strings.ToLower(name)
	for _, ext := range [...]string{ExtWheel, ExtTarGz, ExtZip} {
		if strings.HasSuffix(lower, ext) {
			return fmt.Errorf("file name %q must end in %q, in lower case", name, ext)
		}
	}
	// The distribution formats PyPI used to accept are recognised only to
	// give a better message.
	legacy := [...]string{
		".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tgz", ".tar.Z", ".tar",
		".egg", ".exe", ".msi", ".dmg", ".rpm", ".deb",
	}
	for _, ext := range legacy {
		if strings.HasSuffix(name, ext) {
			return &UnsupportedFormatError{Name: name, Legacy: ext}
		}
	}
	return &UnsupportedFormatError{Name: name}
}

// parseWheel splits a wheel name (without ".whl") into its components.
func parseWheel(f Filename, name, stem string) (Filename, error) {
	if n := strings.Count(stem, "-") + 1; n != 5 && n != 6 {
		return Filename{}, fmt.Errorf("wheel file name %q has %d \"-\"-separated components, not 5 or 6 (expected {name}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl)", name, n)
	}
	// Split by hand: strings.Split would allocate the slice.
	var buf [6]string
	parts := buf[:0]
	for {
		i := strings.IndexByte(stem, '-')
		if i < 0 {
			parts = append(parts, stem)
			break
		}
		parts = append(parts, stem[:i])
		stem = stem[i+1:]
	}
	f.Project, f.Version = parts[0], parts[1]
	if !ValidName(f.Project) {
		return Filename{}, fmt.Errorf("wheel file name %q has an invalid project name %q", name, f.Project)
	}
	if err := checkVersionText(name, f.Version, false); err != nil {
		return Filename{}, err
	}
	tags := parts[2:]
	if len(parts) == 6 {
		f.BuildTag, tags = parts[2], parts[3:]
		if !isDigit(f.BuildTag[0]) {
			return Filename{}, fmt.Errorf("wheel file name %q has an invalid build tag %q: it must start with a digit", name, f.BuildTag)
		}
		if i := strings.IndexFunc(f.BuildTag, func(r rune) bool { return !isTagChar(r) && r != '.' }); i >= 0 {
			return Filename{}, fmt.Errorf("wheel file name %q has an invalid build tag %q: it contains %q", name, f.BuildTag, f.BuildTag[i])
		}
	}
	what := [...]string{"Python", "ABI", "platform"}
	var sets [3][]string
	for k, t := range tags {
		if i := strings.IndexFunc(t, func(r rune) bool { return !isTagChar(r) && r != '.' }); i >= 0 {
			return Filename{}, fmt.Errorf("wheel file name %q has an invalid %s tag %q: it contains %q", name, what[k], t, t[i])
		}
		sets[k] = strings.Split(t, ".")
		for _, s := range sets[k] {
			if s == "" {
				return Filename{}, fmt.Errorf("wheel file name %q has an empty %s tag in %q", name, what[k], t)
			}
		}
	}
	f.PythonTags, f.ABITags, f.PlatformTags = sets[0], sets[1], sets[2]
	return f, nil
}

// isTagChar reports whether r may appear in a wheel tag: tags are built
// from Python identifiers and platform names with every other character
// replaced by '_'.
func isTagChar(r rune) bool {
	return r < 0x80 && (isAlnum(byte(r)) || r == '_')
}

// versionSplit returns the index of the last '-' in stem that is followed
// by a version start (a digit, or 'v' or 'V' and a digit), or -1.
func versionSplit(stem string) int {
	for i := len(stem) - 2; i >= 0; i-- {
		if stem[i] != '-' {
			continue
		}
		c := stem[i+1]
		if isDigit(c) || (c == 'v' || c == 'V') && i+2 < len(stem) && isDigit(stem[i+2]) {
			return i
		}
	}
	return -1
}

func finishSdist(f Filename, name, project, version string) (Filename, error) {
	if !ValidName(project) {
		return Filename{}, fmt.Errorf("sdist file name %q has an invalid project name %q", name, project)
	}
	if err := checkVersionText(name, version, true); err != nil {
		return Filename{}, err
	}
	f.Project, f.Version = project, version
	return f, nil
}

// checkVersionText checks that version is made of the characters a version
// in a file name may contain: ASCII letters and digits, and '.', '_', '+',
// '!' (and '-' in legacy sdists) between them. Whether it is a valid
// PEP 440 version is the caller's business.
func checkVersionText(name, version string, dash bool) error {
	if version == "" {
		return fmt.Errorf("file name %q has an empty version", name)
	}
	if !isAlnum(version[0]) || !isAlnum(version[len(version)-1]) {
		return fmt.Errorf("file name %q has an invalid version %q: it must start and end with a letter or digit", name, version)
	}
	for i := 0; i < len(version); i++ {
		switch c := version[i]; {
		case isAlnum(c), c == '.', c == '_', c == '+', c == '!', c == '-' && dash:
		default:
			return fmt.Errorf("file name %q has an invalid version %q: it contains %q", name, version, c)
		}
	}
	return nil
}
