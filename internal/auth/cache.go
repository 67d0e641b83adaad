package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// credCache remembers the outcome of verifying a credential for a short
// time, so that a pip session's dozens of requests to a private index cost
// one argon2 computation (or one GitLab round trip), not dozens. Keys are
// HMACs of the credentials under a key made per process, so the cache
// holds nothing that would help an attacker reading memory dumps guess
// them.
type credCache[V any] struct {
	key []byte
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[[32]byte]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time
}

func newCredCache[V any](ttl time.Duration, max int) *credCache[V] {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return &credCache[V]{key: key, ttl: ttl, max: max, entries: map[[32]byte]cacheEntry[V]{}}
}

func (c *credCache[V]) keyOf(parts ...string) [32]byte {
	m := hmac.New(sha256.New, c.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	var k [32]byte
	copy(k[:], m.Sum(nil))
	return k
}

func (c *credCache[V]) get(k [32]byte, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || now.After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *credCache[V]) put(k [32]byte, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for key, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries) // a flood of distinct credentials: start over
		}
	}
	c.entries[k] = cacheEntry[V]{v: v, expires: now.Add(c.ttl)}
}
