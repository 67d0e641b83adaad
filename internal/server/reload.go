package server

import (
	"net/http"
	"sync/atomic"
)

// Swap is an http.Handler whose target is replaced atomically: `sluice
// serve` builds a new Server from a re-read configuration and stores it,
// and every request runs entirely against the one it loaded, old or new.
type Swap struct {
	cur atomic.Pointer[http.Handler]
}

// NewSwap returns a Swap serving h.
func NewSwap(h http.Handler) *Swap {
	s := &Swap{}
	s.Store(h)
	return s
}

// Store makes h serve the requests that start from now on.
func (s *Swap) Store(h http.Handler) { s.cur.Store(&h) }

// ServeHTTP implements http.Handler.
func (s *Swap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.cur.Load()).ServeHTTP(w, r)
}
