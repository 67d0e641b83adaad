package simple

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxNameLen bounds file and project names read from upstream pages: file
// systems do not store longer names, and no real distribution has one.
// Entries with longer names are skipped.
const maxNameLen = 255

// ErrUnsupportedVersion is wrapped by the errors the parsers return for a
// page of a simple API major version other than 1 (PEP 629: a client must
// not guess at a major version it does not know).
var ErrUnsupportedVersion = errors.New("unsupported simple API version")

// checkAPIVersion accepts any 1.x version, and a missing one (treated as
// 1.0: pages that predate PEP 629 have none).
func checkAPIVersion(v string) error {
	if v == "" {
		return nil
	}
	major, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.ParseUint(major, 10, 32)
	if err != nil {
		return fmt.Errorf("simple: invalid API version %.40q", v)
	}
	if n != 1 {
		return fmt.Errorf("simple: %w %.40q (Sluice reads 1.x)", ErrUnsupportedVersion, v)
	}
	return nil
}

// validName reports whether a file or project name read from an upstream
// page is one Sluice can serve: not empty, at most maxNameLen bytes, valid
// UTF-8, no control characters, no path separators, no leading or trailing
// space, not "." or "..". Names are used in URLs and cache paths; a hostile
// upstream must not be able to escape either.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen || s == "." || s == ".." ||
		s[0] == ' ' || s[len(s)-1] == ' ' || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}

// resolveURL resolves a file link against base. It returns the URL without
// its fragment, and the fragment (percent-decoded when it can be), or false
// for a link Sluice will not follow: empty (which would name the page
// itself), unparseable, or absolute with a scheme other than http and https
// (or without a host). When base is nil a
// relative link stays relative. The fragment is cut off before parsing, so
// that a malformed one (an upstream's garbage hash) cannot lose the file.
func resolveURL(base *url.URL, link string) (*url.URL, string, bool) {
	link, frag, _ := strings.Cut(link, "#")
	if link == "" {
		return nil, "", false
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, "", false
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "" || u.Opaque != "" {
		if s := strings.ToLower(u.Scheme); s != "http" && s != "https" || u.Host == "" {
			return nil, "", false
		}
	}
	u.Fragment, u.RawFragment = "", "" // ResolveReference may keep base's
	return u, frag, true
}

// lastSegment returns the last segment of a URL's path, unescaped: the
// file name a link points at ("" for a directory).
func lastSegment(u *url.URL) string {
	return u.Path[strings.LastIndexByte(u.Path, '/')+1:]
}

// normHashes lower-cases hash names and values and drops empty ones,
// reusing h when it is already clean. It returns nil for no hashes.
func normHashes(h map[string]string) map[string]string {
	clean := true
	for k, v := range h {
		if k == "" || v == "" || strings.ToLower(k) != k || strings.ToLower(v) != v {
			clean = false
			break
		}
	}
	if clean {
		if len(h) == 0 {
			return nil
		}
		return h
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if k != "" && v != "" {
			out[strings.ToLower(k)] = strings.ToLower(v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// jsonProjectPage is a PEP 691 project page as upstreams send it.
type jsonProjectPage struct {
	Meta               jsonMeta   `json:"meta"`
	Name               string     `json:"name"`
	Files              []jsonFile `json:"files"`
	Versions           []string   `json:"versions"`
	Tracks             []string   `json:"tracks"`
	AlternateLocations []string   `json:"alternate-locations"`
}

type jsonMeta struct {
	APIVersion string `json:"api-version"`
}

type jsonFile struct {
	Filename         string       `json:"filename"`
	URL              string       `json:"url"`
	Hashes           jsonHashes   `json:"hashes"`
	RequiresPython   string       `json:"requires-python"`
	Yanked           jsonYanked   `json:"yanked"`
	Size             jsonSize     `json:"size"`
	UploadTime       string       `json:"upload-time"`
	CoreMetadata     jsonMetadata `json:"core-metadata"`
	DistInfoMetadata jsonMetadata `json:"dist-info-metadata"`
	GPGSig           *bool        `json:"gpg-sig"`
}

// jsonYanked is PEP 592's "yanked": a bool or a reason string. Like pip, an
// empty string means not yanked (PEP 691 requires a non-empty reason).
type jsonYanked struct {
	yanked bool
	reason string
}

func (y *jsonYanked) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "true":
		y.yanked, y.reason = true, ""
	case string(b) == "false" || string(b) == "null":
		y.yanked, y.reason = false, ""
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, &y.reason); err != nil {
			return err
		}
		y.yanked = y.reason != ""
	default:
		return errors.New(`simple: "yanked" is neither a bool nor a string`)
	}
	return nil
}

// jsonHashes is a dict of hashes. Nearly every one is {"sha256":"<hex>"}:
// UnmarshalJSON reads such plain objects directly, and leaves anything
// with escapes to encoding/json, which is several times slower for these
// small objects (reflection, and validating the object a second time).
type jsonHashes map[string]string

func (h *jsonHashes) UnmarshalJSON(b []byte) error {
	if m, ok := plainStringObject(b); ok {
		*h = m
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*h = m
	return nil
}

// plainStringObject parses a JSON object whose keys and values are all
// strings without escapes. It reports false for anything else (including
// null), and its callers then use encoding/json. b is a complete, valid
// JSON value: encoding/json hands UnmarshalJSON nothing else.
func plainStringObject(b []byte) (map[string]string, bool) {
	i := 0
	skip := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	str := func() (string, bool) {
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		j := i + 1
		for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 && b[j] < utf8.RuneSelf {
			j++
		}
		if j >= len(b) || b[j] != '"' {
			return "", false // escapes or non-ASCII: leave to encoding/json
		}
		s := string(b[i+1 : j])
		i = j + 1
		return s, true
	}
	skip()
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i++
	m := make(map[string]string, 1)
	skip()
	if i < len(b) && b[i] == '}' {
		return m, true
	}
	for {
		skip()
		k, ok := str()
		if !ok {
			return nil, false
		}
		skip()
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i++
		skip()
		v, ok := str()
		if !ok {
			return nil, false
		}
		m[k] = v
		skip()
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return m, true
		default:
			return nil, false
		}
	}
}

// jsonSize is PEP 700's "size". Anything but a non-negative integer reads as
// unknown: the size is informative, not worth failing a page over.
type jsonSize struct {
	n   int64
	set bool
}

func (s *jsonSize) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(string(b), 10, 64)
	s.n, s.set = n, err == nil && n >= 0
	return nil
}

// jsonMetadata is PEP 658/714's "core-metadata" (or legacy
// "dist-info-metadata"): false, true or a dict of hashes.
type jsonMetadata struct {
	hashes  map[string]string
	set     bool // true or a dict
	present bool // not missing nor null
}

func (m *jsonMetadata) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*m = jsonMetadata{}
	case string(b) == "true":
		*m = jsonMetadata{set: true, present: true}
	case string(b) == "false":
		*m = jsonMetadata{present: true}
	case len(b) > 0 && b[0] == '{':
		var h jsonHashes
		if err := h.UnmarshalJSON(b); err != nil {
			return err
		}
		*m = jsonMetadata{hashes: h, set: true, present: true}
	default:
		return errors.New(`simple: "core-metadata" is neither a bool nor a dict`)
	}
	return nil
}

// ParseProjectJSON parses an upstream PEP 691 project page (API 1.x; 2.x and
// later are rejected with an error wrapping ErrUnsupportedVersion). It reads
// all of r: the caller bounds it with an io.LimitReader.
//
// Relative file URLs are resolved against base (when base is nil they stay
// as written) and their fragments are dropped: JSON hashes come from
// "hashes". Project.Name is the page's "name", as written. The page must
// have a "files" array; a page without one (an error document, say) is an
// error. Fields are read as follows:
//
//   - hashes: names and values lower-cased, empty ones dropped;
//   - yanked: true, or a non-empty reason string, yanks; false, null and ""
//     (as pip reads it) do not;
//   - size: -1 unless a non-negative integer;
//   - upload-time: RFC 3339 (any offset, converted to UTC, or no offset,
//     read as UTC); zero when missing or unparseable;
//   - core-metadata, else (when core-metadata is missing or null) the legacy
//     dist-info-metadata: true gives an empty non-nil CoreMetadata, a dict
//     its hashes (cleaned like hashes), false and null nil;
//   - gpg-sig, versions, tracks, alternate-locations as given (empty lists
//     read as nil).
//
// A file is skipped when its name is unusable (empty, over 255 bytes,
// invalid UTF-8, with control characters, '/' or '\\', with leading or
// trailing spaces, "." or "..") or its URL is (empty, unparseable, or a
// scheme other than http and https). Values
// of the wrong JSON type in the fields above, other than size and
// upload-time, make the page an error.
func ParseProjectJSON(r io.Reader, base *url.URL) (*Project, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var page jsonProjectPage
	if err := json.Unmarshal(data, &page); err != nil {
		return nil, fmt.Errorf("simple: parsing project JSON: %w", err)
	}
	if err := checkAPIVersion(page.Meta.APIVersion); err != nil {
		return nil, err
	}
	if page.Files == nil {
		return nil, errors.New(`simple: project JSON has no "files" array`)
	}
	p := &Project{
		Name:               page.Name,
		Files:              make([]File, 0, len(page.Files)),
		Versions:           nilIfEmpty(page.Versions),
		Tracks:             nilIfEmpty(page.Tracks),
		AlternateLocations: nilIfEmpty(page.AlternateLocations),
	}
	for i := range page.Files {
		jf := &page.Files[i]
		if !validName(jf.Filename) {
			continue
		}
		u, _, ok := resolveURL(base, jf.URL)
		if !ok {
			continue
		}
		f := File{
			Filename:       jf.Filename,
			URL:            u.String(),
			Hashes:         normHashes(jf.Hashes),
			RequiresPython: jf.RequiresPython,
			Yanked:         jf.Yanked.yanked,
			YankedReason:   jf.Yanked.reason,
			Size:           -1,
			UploadTime:     parseUploadTime(jf.UploadTime),
			GPGSig:         jf.GPGSig,
		}
		if jf.Size.set {
			f.Size = jf.Size.n
		}
		md := jf.CoreMetadata
		if !md.present {
			md = jf.DistInfoMetadata
		}
		if md.set {
			f.CoreMetadata = normHashes(md.hashes)
			if f.CoreMetadata == nil {
				f.CoreMetadata = map[string]string{}
			}
		}
		p.Files = append(p.Files, f)
	}
	return p, nil
}

// nilIfEmpty makes an empty list nil, as the HTML parser leaves it.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// parseUploadTime reads PEP 700's upload-time leniently; zero when it
// cannot.
func parseUploadTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05.999999999", s)
		if err != nil {
			return time.Time{}
		}
	}
	return t.UTC()
}

// ParseProjectListJSON parses an upstream PEP 691 root page and returns the
// project names as written (the caller normalises them). It streams: memory
// use beyond the result does not grow with the page (one entry of the
// "projects" array is held at a time). Unusable names (as for
// ParseProjectListHTML) are skipped. A page without a "projects" array is an error, as is an API
// version other than 1.x (wrapping ErrUnsupportedVersion).
func ParseProjectListJSON(r io.Reader) ([]string, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var (
		names    []string
		projects bool
	)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("simple: parsing project list JSON: %w", err)
		}
		switch key, _ := t.(string); key {
		case "meta":
			var m jsonMeta
			if err := dec.Decode(&m); err != nil {
				return nil, fmt.Errorf("simple: parsing project list JSON: %w", err)
			}
			if err := checkAPIVersion(m.APIVersion); err != nil {
				return nil, err
			}
		case "projects":
			if projects {
				return nil, errors.New(`simple: project list JSON has two "projects" arrays`)
			}
			projects = true
			if names, err = readProjectNames(dec); err != nil {
				return nil, err
			}
		default:
			if err := skipValue(dec); err != nil {
				return nil, fmt.Errorf("simple: parsing project list JSON: %w", err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if !projects {
		return nil, errors.New(`simple: project list JSON has no "projects" array`)
	}
	return names, nil
}

// readProjectNames reads the "projects" array, one element at a time.
func readProjectNames(dec *json.Decoder) ([]string, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	names := []string{}
	var entry struct {
		Name string `json:"name"`
	}
	for dec.More() {
		entry.Name = ""
		if err := dec.Decode(&entry); err != nil {
			return nil, fmt.Errorf("simple: parsing project list JSON: %w", err)
		}
		if validName(entry.Name) {
			names = append(names, entry.Name)
		}
	}
	return names, expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return fmt.Errorf("simple: parsing JSON: %w", err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("simple: parsing JSON: want %v, got %v", want, t)
	}
	return nil
}

// skipValue skips one JSON value token by token, without buffering it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// repositoryVersionMeta is PEP 629's meta tag.
const repositoryVersionMeta = "pypi:repository-version"

// projectHTML turns scanned anchors into files.
type projectHTML struct {
	baseURL *url.URL // the page's URL, then its <base href> resolved
	p       *Project
}

func (h *projectHTML) base(href string) {
	u, err := url.Parse(strings.Trim(href, htmlWhitespace))
	if err != nil {
		return
	}
	if h.baseURL != nil {
		u = h.baseURL.ResolveReference(u)
	}
	h.baseURL = u
}

func (h *projectHTML) meta(name, content string) error {
	switch strings.ToLower(name) {
	case repositoryVersionMeta:
		return checkAPIVersion(content)
	case "pypi:tracks":
		h.p.Tracks = append(h.p.Tracks, content)
	case "pypi:alternate-locations":
		h.p.AlternateLocations = append(h.p.AlternateLocations, content)
	}
	return nil
}

func (h *projectHTML) anchor(a *htmlAnchor) error {
	if a.bad {
		return nil
	}
	href, _ := a.attr(attrHref)
	u, frag, ok := resolveURL(h.baseURL, strings.Trim(unescapeAttr(string(href)), htmlWhitespace))
	if !ok {
		return nil
	}
	name := strings.Trim(unescapeText(a.text), htmlWhitespace)
	if name == "" {
		name = lastSegment(u)
	}
	if !validName(name) {
		return nil
	}
	f := File{
		Filename: name,
		URL:      u.String(),
		Hashes:   fragmentHashes(frag),
		Size:     -1,
	}
	if v, ok := a.attr(attrRequiresPython); ok {
		f.RequiresPython = unescapeAttr(string(v))
	}
	if v, ok := a.attr(attrYanked); ok {
		f.Yanked, f.YankedReason = true, unescapeAttr(string(v))
	}
	v, ok := a.attr(attrCoreMetadata)
	if !ok {
		v, ok = a.attr(attrDistInfoMetadata)
	}
	if ok {
		f.CoreMetadata = metadataAttr(unescapeAttr(string(v)))
	}
	if v, ok := a.attr(attrGPGSig); ok {
		switch strings.ToLower(unescapeAttr(string(v))) {
		case "true":
			f.GPGSig = new(true)
		case "false":
			f.GPGSig = new(false)
		}
	}
	h.p.Files = append(h.p.Files, f)
	return nil
}

// linkHashNames are the hash algorithms read from link fragments and
// metadata attributes: those pip accepts, and the other algorithms Python's
// hashlib guarantees.
var linkHashNames = [...]string{
	"md5", "sha1", "sha224", "sha256", "sha384", "sha512",
	"sha3_224", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s",
}

// linkHashName returns the lower-case algorithm if name is one Sluice reads.
func linkHashName(name string) (string, bool) {
	for _, n := range linkHashNames {
		if strings.EqualFold(name, n) {
			return n, true
		}
	}
	return "", false
}

// fragmentHashes reads the hashes of a link fragment like "sha256=<hex>"
// (several may be joined by '&', as in "egg=x&sha256=<hex>"; pip reads
// them that way). Unknown keys are ignored.
func fragmentHashes(frag string) map[string]string {
	var h map[string]string
	for frag != "" {
		var part string
		part, frag, _ = strings.Cut(frag, "&")
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" {
			continue
		}
		if name, ok := linkHashName(k); ok {
			if h == nil {
				h = make(map[string]string, 1)
			}
			h[name] = strings.ToLower(v)
		}
	}
	return h
}

// metadataAttr reads data-core-metadata: "true", "<hashname>=<hex>", or
// (not in any PEP, but unambiguous) "false", which means none. Anything
// else means a metadata file without a known hash, as pip reads it.
func metadataAttr(v string) map[string]string {
	v = strings.Trim(v, htmlWhitespace)
	if strings.EqualFold(v, "false") {
		return nil
	}
	if k, hv, ok := strings.Cut(v, "="); ok && hv != "" {
		if name, ok := linkHashName(k); ok {
			return map[string]string{name: strings.ToLower(hv)}
		}
	}
	return map[string]string{}
}

// ParseProjectHTML parses an upstream PEP 503 project page. Every <a> with
// an href anywhere in the document is a file:
//
//   - the href is resolved against the page's <base href> (itself resolved
//     against base), else base (when both are missing a relative link stays
//     relative); links with a scheme other than http and https are
//     skipped. A fragment "<algo>=<hex>" becomes Hashes (md5, sha1, sha2 and
//     sha3 variants, blake2b, blake2s; several may be joined with '&') and is
//     dropped from URL;
//   - the file name is the anchor's text, entities decoded and trimmed of
//     white space (tags inside the anchor are ignored), or when that is
//     empty the URL's last path segment, unescaped. Anchors whose name is
//     unusable (as for ParseProjectJSON) are skipped; so are anchors
//     whose tag is over 64 KiB or has over 256 attributes, and anchors
//     whose text is over 4 KiB;
//   - data-requires-python, data-yanked (present means yanked; its value is
//     the reason), data-core-metadata, else data-dist-info-metadata ("true",
//     "<algo>=<hex>"; "false" means none; anything else means a metadata
//     file without hash, as pip reads it), and data-gpg-sig ("true" or
//     "false"; anything else means unknown), all with entities decoded.
//
// Size is -1 and UploadTime zero: HTML pages do not carry them. <meta
// name="pypi:tracks"> and <meta name="pypi:alternate-locations"> fill
// Tracks and AlternateLocations; <meta name="pypi:repository-version"> with
// a major version other than 1 is an error wrapping ErrUnsupportedVersion.
// Project.Name is left empty. The scan streams, so memory use beyond the
// result is bounded; a <base> element applies to the anchors after it
// (index pages put it in the head).
func ParseProjectHTML(r io.Reader, base *url.URL) (*Project, error) {
	h := &projectHTML{baseURL: base, p: &Project{}}
	if err := scanHTML(r, h); err != nil {
		return nil, err
	}
	return h.p, nil
}

// projectListHTML turns scanned anchors into project names.
type projectListHTML struct {
	names []string
}

func (h *projectListHTML) base(string) {}

func (h *projectListHTML) meta(name, content string) error {
	if strings.EqualFold(name, repositoryVersionMeta) {
		return checkAPIVersion(content)
	}
	return nil
}

func (h *projectListHTML) anchor(a *htmlAnchor) error {
	if a.bad {
		return nil
	}
	// The common case, plain text without entities, converts once.
	text := bytes.Trim(a.text, htmlWhitespace)
	var name string
	if bytes.IndexByte(text, '&') < 0 {
		name = string(text)
	} else {
		name = strings.Trim(unescapeText(text), htmlWhitespace)
	}
	if name == "" {
		href, _ := a.attr(attrHref)
		u, err := url.Parse(strings.Trim(unescapeAttr(string(href)), htmlWhitespace))
		if err != nil {
			return nil
		}
		// Project links end in '/': name the directory.
		u.Path = strings.TrimRight(u.Path, "/")
		name = lastSegment(u)
	}
	if validName(name) {
		h.names = append(h.names, name)
	}
	return nil
}

// ParseProjectListHTML parses an upstream PEP 503 root page and returns the
// text of every <a> with an href (entities decoded, trimmed; when empty,
// the last segment of the href's path) as written: the caller normalises
// names. Unusable names (empty, over 255 bytes, invalid UTF-8, with control
// characters, '/' or '\\', with leading or trailing spaces, "." or "..")
// are skipped. The scan streams: memory use beyond
// the result is bounded however large the page. A pypi:repository-version
// meta tag with a major version other than 1 is an error wrapping
// ErrUnsupportedVersion.
func ParseProjectListHTML(r io.Reader) ([]string, error) {
	h := &projectListHTML{names: []string{}}
	if err := scanHTML(r, h); err != nil {
		return nil, err
	}
	return h.names, nil
}
