package dist

import (
	"strings"
)

// pathProblem returns why name is not a safe member path, or "" if it is.
// A safe path is relative, uses forward slashes, and is clean: no empty,
// "." or ".." components. Backslashes and drive letters are refused because
// installers on Windows treat them as separators and roots; control
// characters because no real distribution uses them and they corrupt logs
// and RECORD files.
func pathProblem(name string) string {
	switch {
	case name == "":
		return "is empty"
	case name[0] == '/':
		return "is an absolute path"
	case len(name) >= 2 && name[1] == ':' && ('a' <= name[0]|0x20 && name[0]|0x20 <= 'z'):
		return "starts with a drive letter"
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == 0:
			return "contains a NUL byte"
		case c == '\\':
			return "contains a backslash"
		case c < 0x20 || c == 0x7f:
			return "contains a control character"
		}
	}
	for elem := range strings.SplitSeq(name, "/") {
		switch elem {
		case "":
			return "is not a clean path (it has an empty component)"
		case ".":
			return `is not a clean path (it has a "." component)`
		case "..":
			return `contains a ".." component`
		}
	}
	return ""
}

// checkMemberName validates the name of an archive member, which may end in
// a slash if it is a directory, and returns it without that slash.
func checkMemberName(name string) (string, error) {
	clean := strings.TrimSuffix(name, "/")
	if p := pathProblem(clean); p != "" {
		return "", invalidf("member name %q %s", name, p)
	}
	return clean, nil
}

// kind is the type of a member.
type kind uint8

const (
	kindFile kind = iota
	kindDir
	kindSymlink
	kindHardlink
)

// tree accumulates the members of an archive and enforces the rules that
// need all of them: no duplicates, nothing that is both a file and a
// directory, everything under the root, and links that stay inside it.
//
// Link policy: a symbolic link is allowed if its target, resolved against
// the link's directory, stays inside the root (the archive for a wheel, the
// top-level directory for an sdist), and does not pass through another
// symbolic link; no member may lie beneath a symbolic link. Together these
// make lexical resolution exact, so no sequence of links can lead out of
// the root however an installer extracts them. A hard link must name an
// earlier non-directory member. sdists in the wild contain symbolic links
// (to a shared README or licence file, say); none need escaping ones.
type tree struct {
	top   string // required first component of every member; "" for none
	what  string // "the archive" or "the top-level directory", for errors
	kinds map[string]kind
	// parents holds every proper prefix of a member's path: the
	// directories that exist implicitly.
	parents map[string]bool
	links   []treeLink
	// dupDirs allows a directory to be listed twice, as tar files
	// sometimes do; zip archives get no such leniency.
	dupDirs bool
}

type treeLink struct {
	name, target string
}

func newTree() *tree {
	return &tree{what: "the archive", kinds: make(map[string]kind), parents: make(map[string]bool)}
}

// add records a member with a clean name (see checkMemberName).
func (t *tree) add(name string, k kind) error {
	if t.top != "" && name != t.top && !strings.HasPrefix(name, t.top+"/") {
		return invalidf("member %q is outside the top-level directory %q; an sdist must have exactly one top-level directory", name, t.top)
	}
	if t.top != "" && name == t.top && k != kindDir {
		return invalidf("member %q is at the top level of the archive; an sdist must hold everything in one top-level directory", name)
	}
	if old, ok := t.kinds[name]; ok {
		if !(t.dupDirs && old == kindDir && k == kindDir) {
			return invalidf("the archive contains %q more than once", name)
		}
		return nil
	}
	if k != kindDir && t.parents[name] {
		if k == kindSymlink {
			return invalidf("member %q is a symbolic link, but other members are inside it; extracting them would write through the link", name)
		}
		return invalidf("member %q is a file, but other members are inside it as if it were a directory", name)
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] != '/' {
			continue
		}
		p := name[:i]
		if t.parents[p] {
			break // and so are all shorter prefixes
		}
		t.parents[p] = true
		if pk, ok := t.kinds[p]; ok && pk == kindSymlink {
			return invalidf("member %q is inside symbolic link %q; extracting it would write through the link", name, p)
		} else if ok && pk != kindDir {
			return invalidf("member %q is inside %q, which is not a directory", name, p)
		}
	}
	t.kinds[name] = k
	return nil
}

// addSymlink records a symbolic link and checks its target lexically.
func (t *tree) addSymlink(name, target string) error {
	if err := t.add(name, kindSymlink); err != nil {
		return err
	}
	if _, err := t.resolve(name, target); err != nil {
		return err
	}
	t.links = append(t.links, treeLink{name, target})
	return nil
}

// addHardlink records a hard link to target, an archive path.
func (t *tree) addHardlink(name, target string) error {
	clean, err := checkMemberName(target)
	if err != nil {
		return invalidf("hard link %q has an unsafe target %q", name, target)
	}
	if k, ok := t.kinds[clean]; !ok || k == kindDir {
		return invalidf("hard link %q must point to a file earlier in the archive, but points to %q", name, target)
	}
	return t.add(name, kindHardlink)
}

// resolve resolves the target of the symbolic link name lexically,
// refusing targets that leave the root, and returns every path the
// resolution uses as a directory.
func (t *tree) resolve(name, target string) ([]string, error) {
	if target == "" || strings.IndexByte(target, 0) >= 0 || strings.IndexByte(target, '\\') >= 0 {
		return nil, invalidf("symbolic link %q has an unsafe target %q", name, target)
	}
	if target[0] == '/' || (len(target) >= 2 && target[1] == ':') {
		return nil, invalidf("symbolic link %q points to an absolute path %q; links must stay inside %s", name, target, t.what)
	}
	stack := strings.Split(name, "/")
	stack = stack[:len(stack)-1] // the link's directory
	minDepth := 0
	if t.top != "" {
		minDepth = 1
	}
	var through []string
	for elem := range strings.SplitSeq(target, "/") {
		if elem == "" || elem == "." {
			continue
		}
		if len(stack) > 0 {
			through = append(through, strings.Join(stack, "/"))
		}
		if elem != ".." {
			stack = append(stack, elem)
			continue
		}
		if len(stack) <= minDepth {
			return nil, invalidf("symbolic link %q points outside %s (to %q); links must stay inside it", name, t.what, target)
		}
		stack = stack[:len(stack)-1]
	}
	return through, nil
}

// finish applies the rules that need the whole archive. (Members beneath
// a link are refused by add, whichever comes first.)
func (t *tree) finish() error {
	for _, l := range t.links {
		through, _ := t.resolve(l.name, l.target) // checked by addSymlink
		for _, p := range through {
			if t.kinds[p] == kindSymlink {
				return invalidf("symbolic link %q points through another symbolic link %q; chains of links are not allowed", l.name, p)
			}
		}
	}
	return nil
}
