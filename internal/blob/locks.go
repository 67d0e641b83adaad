package blob

import (
	"slices"
	"sync"
)

// Locks serialises, per digest, the two steps that race on a shared blob:
// a publish that finds the blob present and then commits a row referring to
// it, and a delete that finds no row referring to it and then removes it.
// Both hold the digest's lock across their two steps. It works within one
// process (the server's uploads and admin API); the zero value is ready, and
// a nil *Locks locks nothing.
type Locks struct {
	mu   sync.Mutex
	held map[string]*digestLock
}

type digestLock struct {
	mu    sync.Mutex
	users int
}

// Lock locks the given digests (empty ones are ignored) and returns the
// function that unlocks them. Digests are locked in sorted order, so two
// callers never deadlock.
func (l *Locks) Lock(digests ...string) (unlock func()) {
	if l == nil {
		return func() {}
	}
	ds := slices.Compact(slices.Sorted(slices.Values(digests)))
	if len(ds) > 0 && ds[0] == "" {
		ds = ds[1:]
	}
	locks := make([]*digestLock, len(ds))
	l.mu.Lock()
	if l.held == nil {
		l.held = map[string]*digestLock{}
	}
	for i, d := range ds {
		dl := l.held[d]
		if dl == nil {
			dl = &digestLock{}
			l.held[d] = dl
		}
		dl.users++
		locks[i] = dl
	}
	l.mu.Unlock()
	for _, dl := range locks {
		dl.mu.Lock()
	}
	return func() {
		for _, dl := range locks {
			dl.mu.Unlock()
		}
		l.mu.Lock()
		for i, d := range ds {
			if locks[i].users--; locks[i].users == 0 {
				delete(l.held, d)
			}
		}
		l.mu.Unlock()
	}
}
