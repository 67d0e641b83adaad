// Package logbuf buffers a log stream: at tens of thousands of requests a
// second, one write(2) per access-log line costs more than serving a warm
// page. Lines are flushed every interval, when the buffer fills, and on
// Close; a crash loses at most one interval of lines.
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer is a buffered, periodically flushed io.Writer, safe for
// concurrent use. Each Write is kept whole (slog writes one line per call).
type Writer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// New returns a Writer over w flushed every interval.
func New(w io.Writer, interval time.Duration) *Writer {
	b := &Writer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushLoop(interval)
	return b
}

func (b *Writer) flushLoop(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Write implements io.Writer.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the flushing and flushes what is left.
func (b *Writer) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}
