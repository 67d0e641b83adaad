// Package pypi implements the names, file names, core metadata and
// requirements of Python distributions: PEP 503 project name normalisation,
// wheel and sdist file names (PEP 427, PEP 625), the METADATA and PKG-INFO
// files (the Core Metadata specification) and PEP 508 dependency
// specifiers. It is the format core of the index server.
//
// The package is pure: it does no I/O beyond the byte slices and strings it
// is handed and keeps no global state, and every parser is fuzzed. Version
// strings are kept verbatim; callers validate them with the pep440 package.
package pypi

// Normalize returns the PEP 503 normal form of a project name: ASCII
// letters lower-cased and every run of '-', '_' and '.' replaced by a single
// '-'. It is the name used in index URLs and for comparing projects.
//
// Normalize works on bytes and does not validate: other bytes, including
// non-ASCII ones, are copied unchanged, so callers that need a valid name
// check ValidName first. A name already in normal form is returned as is,
// without allocating.
func Normalize(name string) string {
	if isNormalForm(name) {
		return name
	}
	// A byte slice rather than a strings.Builder: the compiler keeps
	// small ones on the stack, and indexing beats WriteByte.
	b := make([]byte, len(name))
	n := 0
	sep := false // the previous byte written was a separator
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isNameSep(c):
			if !sep {
				b[n] = '-'
				n++
				sep = true
			}
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		sep = false
		b[n] = c
		n++
	}
	return string(b[:n])
}

// ValidName reports whether name is a valid project name as the core
// metadata specification and PEP 508 define it: ASCII letters and digits,
// with '.', '_' and '-' allowed only between them
// (^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$, case-insensitive).
func ValidName(name string) bool {
	if name == "" || !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return false
	}
	for i := 1; i < len(name)-1; i++ {
		if c := name[i]; !isAlnum(c) && !isNameSep(c) {
			return false
		}
	}
	return true
}

// IsNormalized reports whether name is a valid project name (see ValidName)
// that is already in PEP 503 normal form, that is, whether it may appear as
// is in an index URL. Normalize(name) == name alone does not imply validity:
// "-x-" is its own normal form but not a project name.
func IsNormalized(name string) bool {
	return ValidName(name) && isNormalForm(name)
}

// isNormalForm reports whether Normalize(name) == name: no upper-case ASCII
// letter, no '_' or '.', and no two '-' in a row.
func isNormalForm(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'A' <= c && c <= 'Z', c == '_', c == '.':
			return false
		case c == '-' && i > 0 && name[i-1] == '-':
			return false
		}
	}
	return true
}

// equalNormalized reports whether Normalize(name) == norm, where norm is
// already normalised, without allocating.
func equalNormalized(name, norm string) bool {
	j := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isNameSep(c) {
			if i > 0 && isNameSep(name[i-1]) {
				continue // the run was matched at its first byte
			}
			c = '-'
		} else if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if j >= len(norm) || norm[j] != c {
			return false
		}
		j++
	}
	return j == len(norm)
}

func isNameSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
