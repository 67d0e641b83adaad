package server

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Request kinds and status classes counted by RequestMetrics: a fixed,
// small set, so the exposition has bounded cardinality whatever the
// traffic.
var (
	requestKinds  = [...]string{"root", "page", "file", "metadata", "upload", "admin", "health", "other"}
	statusClasses = [...]string{"2xx", "3xx", "4xx", "5xx"}
	// seconds; the last bucket is +Inf
	latencyBuckets = [...]float64{0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30}
)

// RequestMetrics counts requests by kind and status class, with a latency
// histogram per kind. One value lives for the whole process, across
// configuration reloads (pass it in Options.Requests).
type RequestMetrics struct {
	count   [len(requestKinds)][len(statusClasses)]atomic.Int64
	buckets [len(requestKinds)][len(latencyBuckets) + 1]atomic.Int64
	sumUS   [len(requestKinds)]atomic.Int64 // microseconds
	bytes   [len(requestKinds)]atomic.Int64
}

// kindOf classifies a routed request by the ServeMux pattern that matched.
func kindOf(r *http.Request) int {
	p := r.Pattern
	switch {
	case strings.HasPrefix(p, "POST "):
		return 4
	case strings.Contains(p, "/api/admin/"), strings.Contains(p, "/_/oidc/"):
		return 5
	case strings.HasSuffix(p, "/healthz"), strings.HasSuffix(p, "/readyz"), strings.HasSuffix(p, "/metrics"):
		return 6
	case strings.HasSuffix(p, "{file}"):
		if strings.HasSuffix(r.URL.Path, ".metadata") {
			return 3
		}
		return 2
	case strings.HasSuffix(p, "{project}/{$}"):
		return 1
	case strings.HasSuffix(p, "simple/{$}"):
		return 0
	}
	return 7
}

func (m *RequestMetrics) observe(r *http.Request, status int, n int64, d time.Duration) {
	k := kindOf(r)
	c := min(max(status/100-2, 0), len(statusClasses)-1)
	m.count[k][c].Add(1)
	m.bytes[k].Add(n)
	m.sumUS[k].Add(d.Microseconds())
	s := d.Seconds()
	b := len(latencyBuckets)
	for i, le := range latencyBuckets {
		if s <= le {
			b = i
			break
		}
	}
	m.buckets[k][b].Add(1)
}

// writeTo writes the Prometheus text exposition.
func (m *RequestMetrics) writeTo(w io.Writer) {
	fmt.Fprintln(w, "# HELP sluice_http_requests_total HTTP requests by kind and status class.")
	fmt.Fprintln(w, "# TYPE sluice_http_requests_total counter")
	for k, kind := range requestKinds {
		for c, class := range statusClasses {
			fmt.Fprintf(w, "sluice_http_requests_total{kind=%q,code=%q} %d\n", kind, class, m.count[k][c].Load())
		}
	}
	fmt.Fprintln(w, "# HELP sluice_http_response_bytes_total Bytes of response bodies by kind.")
	fmt.Fprintln(w, "# TYPE sluice_http_response_bytes_total counter")
	for k, kind := range requestKinds {
		fmt.Fprintf(w, "sluice_http_response_bytes_total{kind=%q} %d\n", kind, m.bytes[k].Load())
	}
	fmt.Fprintln(w, "# HELP sluice_http_request_duration_seconds Time to answer, by kind.")
	fmt.Fprintln(w, "# TYPE sluice_http_request_duration_seconds histogram")
	for k, kind := range requestKinds {
		var cum int64
		for i, le := range latencyBuckets {
			cum += m.buckets[k][i].Load()
			fmt.Fprintf(w, "sluice_http_request_duration_seconds_bucket{kind=%q,le=\"%g\"} %d\n", kind, le, cum)
		}
		cum += m.buckets[k][len(latencyBuckets)].Load()
		fmt.Fprintf(w, "sluice_http_request_duration_seconds_bucket{kind=%q,le=\"+Inf\"} %d\n", kind, cum)
		fmt.Fprintf(w, "sluice_http_request_duration_seconds_sum{kind=%q} %g\n", kind, float64(m.sumUS[k].Load())/1e6)
		fmt.Fprintf(w, "sluice_http_request_duration_seconds_count{kind=%q} %d\n", kind, cum)
	}
}

// serveMetrics answers GET /metrics: the request figures, then those of
// Options.Metrics (the upstream file cache), if any.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.requests.writeTo(w)
	if s.opts.Metrics != nil {
		s.opts.Metrics.ServeHTTP(w, r)
	}
}
