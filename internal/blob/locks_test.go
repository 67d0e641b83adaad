package blob

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestLocksExclude(t *testing.T) {
	var l Locks
	var inside atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				// overlapping sets in both orders must neither deadlock nor overlap
				unlock := l.Lock("b", "a", "")
				if i%2 == 0 {
					unlock()
					unlock = l.Lock("a", "b")
				}
				if inside.Add(1) != 1 {
					t.Error("two holders of the same digest")
				}
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	if len(l.held) != 0 {
		t.Fatalf("%d lock entries left", len(l.held))
	}
	var nilLocks *Locks
	nilLocks.Lock("x")() // a nil *Locks locks nothing and does not panic
}
