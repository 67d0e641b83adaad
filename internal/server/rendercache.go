package server

import (
	"sync"

	"github.com/sluice-pkg/sluice/internal/simple"
)

// Bounds of the render cache: it holds the bytes of warm pages only.
const (
	renderCacheEntries = 4096
	renderCacheBytes   = 128 << 20
)

type renderKey struct {
	ix   *index
	ct   string
	name string
}

type renderEntry struct {
	page *simple.Project // the page the bytes were rendered from
	body []byte
	etag string
}

// renderCache maps a page, by identity, to its rendered bytes. An entry is
// used only while the graph returns the very same page value; a changed
// page is a new value and is rendered again.
type renderCache struct {
	mu      sync.Mutex
	entries map[renderKey]renderEntry
	bytes   int
}

func (c *renderCache) get(k renderKey, page *simple.Project) ([]byte, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.page != page {
		return nil, "", false
	}
	return e.body, e.etag, true
}

func (c *renderCache) put(k renderKey, page *simple.Project, body []byte, etag string) {
	if len(body) > renderCacheBytes/16 {
		return // a huge page is not worth pinning
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= renderCacheEntries || c.bytes+len(body) > renderCacheBytes {
		// Starting over is crude but bounded, and warm pages come back
		// after one render each.
		c.entries = make(map[renderKey]renderEntry)
		c.bytes = 0
	}
	if old, ok := c.entries[k]; ok {
		c.bytes -= len(old.body)
	}
	c.entries[k] = renderEntry{page: page, body: body, etag: etag}
	c.bytes += len(body)
}
