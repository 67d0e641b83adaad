package repository

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BytesBody makes a seekable Resource body of a small in-memory content.
func BytesBody(b []byte) io.ReadSeekCloser { return bytesBody{bytes.NewReader(b)} }

type bytesBody struct{ *bytes.Reader }

func (bytesBody) Close() error { return nil }

// httpFile is a seekable view of a remote file. Seeking costs nothing; the
// first Read after a seek opens one streaming GET from that offset (with a
// Range header), so a whole-file download is a single upstream request and a
// range request fetches only what it needs. It lets net/http.ServeContent
// answer Range and conditional requests for files Sluice does not store.
type httpFile struct {
	ctx    context.Context
	u      *Upstream
	url    string
	size   int64 // -1 until known
	want   string
	off    int64
	body   io.ReadCloser
	bodyAt int64 // offset the open body will deliver next
	stop   func() bool
	cancel context.CancelFunc
	// the SHA-256 of a read that started at 0 and went on without a seek
	h hash.Hash

	// random access (ReadAt)
	blocks    []rangeCacheBlock
	fetched   int64 // bytes fetched by ReadAt, for tests and logs
	fullReads int   // ranged reads the upstream answered with the whole file
}

func newHTTPFile(ctx context.Context, u *Upstream, url string, size int64, sha string) *httpFile {
	return &httpFile{ctx: ctx, u: u, url: url, size: size, want: sha}
}

func (f *httpFile) open() error {
	f.closeBody()
	ctx, cancel := context.WithCancel(f.ctx)
	req, err := f.u.newRequest(ctx, http.MethodGet, f.url, "")
	if err != nil {
		cancel()
		return err
	}
	if f.off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(f.off, 10)+"-")
	}
	resp, err := f.u.client.Do(req)
	if err != nil {
		cancel()
		return f.u.fail(f.url, err)
	}
	skip := int64(0)
	switch resp.StatusCode {
	case http.StatusOK:
		skip = f.off // the upstream ignored Range: read up to the offset
		if f.size < 0 && resp.ContentLength >= 0 {
			f.size = resp.ContentLength
		}
	case http.StatusPartialContent:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != f.off {
			resp.Body.Close()
			cancel()
			return f.u.fail(f.url, fmt.Errorf("answered a range request with Content-Range %q", resp.Header.Get("Content-Range")))
		}
		if f.size < 0 && total >= 0 {
			f.size = total
		}
	case http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		cancel()
		f.body, f.bodyAt = http.NoBody, f.off
		return nil
	default:
		resp.Body.Close()
		cancel()
		return f.u.fail(f.url, fmt.Errorf("answered %s", resp.Status))
	}
	// A body that stalls longer than the timeout is abandoned.
	idle := f.u.cfg.Timeout
	t := time.AfterFunc(idle, cancel)
	f.stop = t.Stop
	f.body = &idleReader{r: resp.Body, idle: idle, t: t}
	f.cancel = cancel
	f.bodyAt = f.off
	if skip > 0 {
		if _, err := io.CopyN(io.Discard, f.body, skip); err != nil {
			return f.u.fail(f.url, err)
		}
	}
	if f.off == 0 && f.want != "" {
		f.h = sha256.New()
	} else {
		f.h = nil
	}
	return nil
}

func (f *httpFile) closeBody() {
	if f.body != nil {
		f.body.Close()
		f.body = nil
	}
	if f.stop != nil {
		f.stop()
		f.stop = nil
	}
	if f.cancel != nil {
		f.cancel()
		f.cancel = nil
	}
}

func (f *httpFile) Read(p []byte) (int, error) {
	if f.size >= 0 && f.off >= f.size {
		return 0, io.EOF
	}
	if f.body == nil || f.bodyAt != f.off {
		if err := f.open(); err != nil {
			return 0, err
		}
	}
	n, err := f.body.Read(p)
	f.off += int64(n)
	f.bodyAt += int64(n)
	if f.h != nil {
		f.h.Write(p[:n])
	}
	done := err == io.EOF || (err == nil && f.size >= 0 && f.off == f.size)
	if !done {
		if err != nil {
			err = f.u.fail(f.url, err)
		}
		return n, err
	}
	if f.size >= 0 && f.off < f.size {
		return n, f.u.fail(f.url, io.ErrUnexpectedEOF)
	}
	if f.h != nil {
		got := hex.EncodeToString(f.h.Sum(nil))
		f.h = nil
		if got != f.want {
			// The last chunk is withheld, so the client sees a short,
			// broken download, never wrong bytes presented as complete.
			return 0, f.u.fail(f.url, fmt.Errorf("file sha256 is %s, the page promised %s", got, f.want))
		}
	}
	if n > 0 {
		return n, nil // EOF on the next call
	}
	return 0, io.EOF
}

func (f *httpFile) Seek(offset int64, whence int) (int64, error) {
	pos, err := seekTarget(f.off, offset, whence, func() (int64, error) {
		if f.size < 0 {
			if err := f.learnSize(); err != nil {
				return 0, err
			}
		}
		return f.size, nil
	})
	if err != nil {
		return 0, err
	}
	f.off = pos
	return pos, nil
}

// seekTarget is the position a Seek asks for, from the current one; size
// is asked only for io.SeekEnd.
func seekTarget(cur, offset int64, whence int, size func() (int64, error)) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += cur
	case io.SeekEnd:
		n, err := size()
		if err != nil {
			return 0, err
		}
		offset += n
	default:
		return 0, errors.New("seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	return offset, nil
}

// learnSize opens the stream at offset 0 to read the length from the
// response; the open stream then serves the read that usually follows.
func (f *httpFile) learnSize() error {
	saved := f.off
	f.off = 0
	err := f.open()
	f.off = saved
	if err != nil {
		return err
	}
	if f.size < 0 {
		return errUnknownSize
	}
	return nil
}

// learnSizeRanged learns the size from a one-byte range request, for
// random access: a full GET would start sending the whole file.
func (f *httpFile) learnSizeRanged() error {
	req, err := f.u.newRequest(f.ctx, http.MethodGet, f.url, "")
	if err != nil {
		return err
	}
	req.Header.Set("Range", "bytes=0-0")
	resp, err := f.u.client.Do(req)
	if err != nil {
		return f.u.fail(f.url, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if _, total, ok := parseContentRange(resp.Header.Get("Content-Range")); ok && total >= 0 {
			f.size = total
			return nil
		}
	case http.StatusOK:
		if resp.ContentLength >= 0 {
			f.size = resp.ContentLength
			return nil
		}
	default:
		return f.u.fail(f.url, fmt.Errorf("answered %s", resp.Status))
	}
	return errUnknownSize
}

// errUnknownSize: neither the page nor the response says how large the file
// is. It can still be streamed whole, but not served in ranges.
var errUnknownSize = errors.New("the upstream does not say how large the file is")

func (f *httpFile) Close() error {
	f.closeBody()
	return nil
}

// parseContentRange parses "bytes a-b/total" (total may be "*": -1). The
// numbers must be plain decimal digits: an upstream's header is untrusted.
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, ok = decimal(a)
	if !ok {
		return 0, 0, false
	}
	if end, ok := decimal(b); !ok || end < start {
		return 0, 0, false
	}
	if tot == "*" {
		return start, -1, true
	}
	total, ok = decimal(tot)
	return start, total, ok
}

// decimal parses a non-empty run of ASCII digits that fits an int64.
func decimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// idleReader lets its timer (which cancels the request) fire only when no
// bytes arrive for idle.
type idleReader struct {
	r    io.ReadCloser
	idle time.Duration
	t    *time.Timer
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(r.idle)
	}
	return n, err
}

func (r *idleReader) Close() error { return r.r.Close() }

// rangeBlock is the unit of random access: archive/zip reads the central
// directory in small pieces, and each piece must not become a request.
const rangeBlock = 64 << 10

// maxRangeBlocks bounds the memory of one file's block cache.
const maxRangeBlocks = 16

// ReadAt reads through ranged GETs of whole blocks, keeping the most recent
// blocks, so that inspecting a wheel's end costs a few requests and a few
// hundred KiB however large the wheel is. It needs the size to be known.
func (f *httpFile) ReadAt(p []byte, off int64) (int, error) {
	if f.size < 0 {
		if err := f.learnSizeRanged(); err != nil {
			return 0, err
		}
	}
	if off < 0 {
		return 0, errors.New("httpFile.ReadAt: negative offset")
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= f.size {
			return n, io.EOF
		}
		blk, err := f.block(pos / rangeBlock)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], blk[pos%rangeBlock:])
	}
	return n, nil
}

func (f *httpFile) block(i int64) ([]byte, error) {
	for j, b := range f.blocks {
		if b.index == i {
			// keep the most recently used last
			f.blocks = append(append(f.blocks[:j:j], f.blocks[j+1:]...), b)
			return b.data, nil
		}
	}
	start := i * rangeBlock
	end := min(start+rangeBlock, f.size) - 1
	req, err := f.u.newRequest(f.ctx, http.MethodGet, f.url, "")
	if err != nil {
		return nil, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, end))
	resp, err := f.u.client.Do(req)
	if err != nil {
		return nil, f.u.fail(f.url, err)
	}
	defer resp.Body.Close()
	var data []byte
	switch resp.StatusCode {
	case http.StatusPartialContent:
		got, _, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || got != start {
			return nil, f.u.fail(f.url, fmt.Errorf("answered a range request with Content-Range %q", resp.Header.Get("Content-Range")))
		}
		data, err = io.ReadAll(io.LimitReader(resp.Body, end-start+1))
	case http.StatusOK:
		// No range support: read through to the block (costly, but correct).
		f.fullReads++
		if _, err = io.CopyN(io.Discard, resp.Body, start); err == nil {
			data, err = io.ReadAll(io.LimitReader(resp.Body, end-start+1))
		}
	default:
		return nil, f.u.fail(f.url, fmt.Errorf("answered %s to a range request", resp.Status))
	}
	if err != nil {
		return nil, f.u.fail(f.url, err)
	}
	if int64(len(data)) != end-start+1 {
		return nil, f.u.fail(f.url, io.ErrUnexpectedEOF)
	}
	f.fetched += int64(len(data))
	if len(f.blocks) >= maxRangeBlocks {
		f.blocks = f.blocks[1:]
	}
	f.blocks = append(f.blocks, rangeCacheBlock{i, data})
	return data, nil
}

type rangeCacheBlock struct {
	index int64
	data  []byte
}
