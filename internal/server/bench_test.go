package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sluice-pkg/sluice/internal/testpkg"
)

const pipAccept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"

// benchPage measures one warm project page through the whole handler.
func benchPage(b *testing.B, fx *fixture, path, accept string) {
	s := fx.srv.Config.Handler
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", accept)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
		}
	})
}

func BenchmarkUpstreamPage(b *testing.B) {
	fx := newFixture(&testing.T{})
	for i := range 200 {
		fx.up.add("big", testpkg.Dist{Name: "big", Version: fmt.Sprintf("1.%d", i)})
	}
	b.Run("json", func(b *testing.B) { benchPage(b, fx, "/simple/big/", pipAccept) })
	b.Run("html", func(b *testing.B) { benchPage(b, fx, "/simple/big/", "text/html") })
}

func BenchmarkHostedPage(b *testing.B) {
	fx := newFixture(&testing.T{})
	for i := range 200 {
		fx.publish(&testing.T{}, testpkg.Dist{Name: "inhouse", Version: fmt.Sprintf("1.%d", i)})
	}
	b.Run("json", func(b *testing.B) { benchPage(b, fx, "/simple/inhouse/", pipAccept) })
}
