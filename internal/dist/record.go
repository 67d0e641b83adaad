package dist

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"hash"
	"io"
	"strconv"
	"strings"
)

// record is a parsed wheel RECORD file.
type record struct {
	entries map[string]*recordEntry
	order   []string // paths in file order, for deterministic errors
}

type recordEntry struct {
	algo   string // "" if the entry has no hash
	digest []byte
	size   int64 // -1 if not given
	seen   bool
}

// hashFor returns a constructor for the named RECORD hash algorithm and
// whether the algorithm is allowed at all. The wheel specification allows
// any algorithm in Python's hashlib.algorithms_guaranteed except md5 and
// sha1; those Go's standard library lacks (blake2b, blake2s, shake_*) are
// allowed without verification, with a nil constructor.
func hashFor(algo string) (func() hash.Hash, bool) {
	switch algo {
	case "sha224":
		return sha256.New224, true
	case "sha256":
		return sha256.New, true
	case "sha384":
		return sha512.New384, true
	case "sha512":
		return sha512.New, true
	case "sha3_224":
		return func() hash.Hash { return sha3.New224() }, true
	case "sha3_256":
		return func() hash.Hash { return sha3.New256() }, true
	case "sha3_384":
		return func() hash.Hash { return sha3.New384() }, true
	case "sha3_512":
		return func() hash.Hash { return sha3.New512() }, true
	case "blake2b", "blake2s", "shake_128", "shake_256":
		return nil, true
	}
	return nil, false
}

// isRecordFile reports whether name is RECORD or one of its signatures,
// the files RECORD need not list or hash.
func isRecordFile(name, dir string) bool {
	switch name {
	case dir + "/RECORD", dir + "/RECORD.jws", dir + "/RECORD.p7s":
		return true
	}
	return false
}

// parseRecord parses a RECORD file: CSV rows of path, hash ("algo=digest",
// the digest in unpadded URL-safe base64) and size.
func parseRecord(data []byte, dir string) (*record, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // as tolerant as Python's csv module
	cr.ReuseRecord = true
	rec := &record{entries: make(map[string]*recordEntry)}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, recordf("RECORD is not valid CSV: %v", err)
		}
		line, _ := cr.FieldPos(0)
		if len(row) != 3 {
			return nil, recordf("line %d of RECORD has %d fields; each line must be path,hash,size", line, len(row))
		}
		path, hashField, sizeField := row[0], row[1], row[2]
		if strings.HasSuffix(path, "/") {
			continue // a directory; RECORD lists files
		}
		if _, dup := rec.entries[path]; dup {
			return nil, recordf("RECORD lists %q more than once", path)
		}
		e := &recordEntry{size: -1}
		if hashField == "" {
			if !isRecordFile(path, dir) {
				return nil, recordf("RECORD gives no hash for %q", path)
			}
		} else {
			algo, digest, ok := strings.Cut(hashField, "=")
			if !ok {
				return nil, recordf("RECORD has a malformed hash for %q", path)
			}
			newHash, allowed := hashFor(algo)
			switch {
			case algo == "md5" || algo == "sha1":
				return nil, recordf("RECORD uses %s for %q, which the wheel format forbids", algo, path)
			case !allowed:
				return nil, recordf("RECORD uses unknown hash algorithm %q for %q", algo, path)
			case newHash != nil:
				d, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(digest, "="))
				if err != nil || len(d) != newHash().Size() {
					return nil, recordf("RECORD has a malformed %s hash for %q", algo, path)
				}
				e.algo, e.digest = algo, d
			}
		}
		if sizeField != "" {
			n, err := strconv.ParseInt(sizeField, 10, 64)
			if err != nil || n < 0 {
				return nil, recordf("RECORD has a malformed size for %q", path)
			}
			e.size = n
		}
		rec.entries[path] = e
		rec.order = append(rec.order, path)
	}
	return rec, nil
}

// newHash returns a hash to compute over the member's contents, or nil if
// the entry's hash cannot be verified.
func (e *recordEntry) newHash() hash.Hash {
	if e.digest == nil {
		return nil
	}
	newHash, _ := hashFor(e.algo)
	return newHash()
}

// check compares the entry with the member's actual hash and size.
func (e *recordEntry) check(name string, sum []byte, size uint64) error {
	if e.digest != nil && !bytes.Equal(sum, e.digest) {
		return recordf("the %s hash of %q does not match RECORD", e.algo, name)
	}
	if e.size >= 0 && uint64(e.size) != size {
		return recordf("%q is %d bytes but RECORD says %d", name, size, e.size)
	}
	return nil
}

// unseen returns an error for the first entry that matched no member.
func (r *record) unseen() error {
	for _, p := range r.order {
		if !r.entries[p].seen {
			return recordf("RECORD lists %q, which is not in the archive", p)
		}
	}
	return nil
}
