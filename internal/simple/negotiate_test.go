package simple

import (
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	const no = "" // not acceptable: 406
	tests := []struct {
		accept string
		want   string
	}{
		// Defaults.
		{"", TypeHTML},
		{"   ", TypeHTML},
		{" , ,", TypeHTML},
		{"*/*", TypeHTML},
		{"*", TypeHTML},
		{"text/*", TypeHTML},
		{"application/*", TypeJSON},

		// Exact types, aliases, case and spaces.
		{"text/html", TypeHTML},
		{"Text/HTML ; q=1", TypeHTML},
		{"TEXT/HTML;Q=0.5", TypeHTML},
		{TypeJSON, TypeJSON},
		{TypeHTMLv1, TypeHTMLv1},
		{TypeLatestJSON, TypeJSON},
		{TypeLatestHTML, TypeHTMLv1},
		{"Application/Vnd.PyPI.Simple.Latest+JSON", TypeJSON},
		{"application/vnd.pypi.simple.v1+json; charset=utf-8", TypeJSON},
		{"\tapplication/vnd.pypi.simple.v1+json\t;\tq=0.5\t", TypeJSON},

		// What clients send.
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", TypeJSON}, // pip
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01", TypeJSON},   // uv
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", TypeHTML},                                    // browser
		{"text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", TypeHTML},                                               // Java

		// q values decide.
		{"application/vnd.pypi.simple.v1+json;q=0.2, text/html;q=0.9", TypeHTML},
		{"application/vnd.pypi.simple.v1+json;q=0, text/html", TypeHTML},
		{"application/vnd.pypi.simple.v1+json;q=0.5, application/vnd.pypi.simple.v1+html;q=0.6", TypeHTMLv1},
		{"text/html;q=0.001, application/vnd.pypi.simple.v1+html;q=0", TypeHTML},
		{"text/html;q=0", no},
		{"text/html;q=0.0", no},
		{"text/html;q=0.0001", no}, // truncated to thousandths
		{"text/html;q=0.0009", no},
		{"application/vnd.pypi.simple.v1+json;q=0.9, text/html;q=0.8999", TypeJSON},

		// Not acceptable.
		{"application/json", no},
		{"image/png", no},
		{"application/json, image/png;q=0.5", no},
		{"*/*;q=0", no},
		{"application/*;q=0", no},
		{"text/plain", no},

		// Specificity: the most specific range sets a candidate's quality.
		{"*/*, text/html;q=0", TypeJSON},
		{"*/*;q=0.5, text/html;q=0", TypeJSON},
		{"*/*;q=0.5, text/html;q=0, application/vnd.pypi.simple.v1+json;q=0", TypeHTMLv1},
		{"text/*;q=0, */*", TypeJSON},
		{"application/*;q=0, */*", TypeHTML},
		{"application/*;q=0, text/html;q=0.1", TypeHTML},
		{"application/*, application/vnd.pypi.simple.v1+json;q=0", TypeHTMLv1},
		{"text/html;q=0.5, */*;q=0.5", TypeHTML},
		{"application/vnd.pypi.simple.v1+json;q=0.5, */*;q=0.5", TypeJSON},
		{"application/vnd.pypi.simple.v1+json;q=0.5, */*", TypeHTML},
		{"application/vnd.pypi.simple.v1+html;q=0.5, application/*;q=0.5", TypeHTMLv1},
		{"application/vnd.pypi.simple.v1+json;q=0.5, text/*;q=0.5", TypeJSON},

		// Ties between exact types: JSON, then v1 HTML, then text/html.
		{"text/html, application/vnd.pypi.simple.v1+json", TypeJSON},
		{"text/html, application/vnd.pypi.simple.v1+html", TypeHTMLv1},
		{"application/vnd.pypi.simple.v1+html, application/vnd.pypi.simple.v1+json", TypeJSON},
		{"text/html;q=0.3, application/vnd.pypi.simple.v1+html;q=0.3", TypeHTMLv1},

		// Duplicate ranges: the highest q of equally specific ranges counts.
		{"application/vnd.pypi.simple.v1+json;q=0, application/vnd.pypi.simple.latest+json;q=0.5", TypeJSON},
		{"text/html;q=0, text/html", TypeHTML},
		{"text/html;q=0.1;q=0", TypeHTML}, // only the first q counts

		// q parsing.
		{"text/html;q=1.0", TypeHTML},
		{"text/html;q=1.000", TypeHTML},
		{"text/html;q=1.5", TypeHTML}, // clamped to 1
		{"text/html;q=.5", TypeHTML},
		{`text/html;q="0.5"`, TypeHTML},
		{"text/html ; q = 0.5", TypeHTML},
		{"text/html;charset=utf-8;q=0.5", TypeHTML},
		{"text/html;level=1", TypeHTML},
		{"text/html;q", TypeHTML}, // a parameter without '=' is not q

		// Malformed q: the range is ignored.
		{"text/html;q=abc", no},
		{"text/html;q=", no},
		{"text/html;q=-1", no},
		{"text/html;q=1e3", no},
		{"text/html;q=.", no},
		{"text/html;q=0.5x", no},
		{"application/vnd.pypi.simple.v1+json;q=abc, text/html;q=0.1", TypeHTML},
		{"text/html;q=abc, application/vnd.pypi.simple.v1+json;q=0.1", TypeJSON},
		{"*/*;q=abc, text/html;q=0", no},

		// Malformed ranges.
		{"text / html", no},
		{"texthtml", no},
		{"text/html/x", no},
		{";q=1", no},
		{"/", no},
		{"*/html", no},
	}
	for _, tt := range tests {
		got, ok := Negotiate(tt.accept)
		if want := tt.want; got != want || ok != (want != no) {
			t.Errorf("Negotiate(%q) = %q, %v; want %q, %v", tt.accept, got, ok, want, want != no)
		}
	}
}

func TestNegotiateAllocs(t *testing.T) {
	pip := "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
	if n := testing.AllocsPerRun(100, func() { Negotiate(pip) }); n != 0 {
		t.Errorf("Negotiate allocates %v times, want 0", n)
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{
		"",
		"*/*",
		"text/html",
		"Text/HTML ; q=1",
		"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01",
		"application/vnd.pypi.simple.v1+json;q=0.2, text/html;q=0.9",
		"application/vnd.pypi.simple.latest+html;q=0, */*;q=0.5",
		"text/html;q=abc",
		"application/*;q=.5;charset=utf-8",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		got, ok := Negotiate(accept)
		switch {
		case !ok && got != "":
			t.Fatalf("Negotiate(%q) = %q, false", accept, got)
		case ok && got != TypeJSON && got != TypeHTMLv1 && got != TypeHTML:
			t.Fatalf("Negotiate(%q) = %q", accept, got)
		}
		// Adding an exact range with q=1 always makes something acceptable.
		for _, typ := range []string{TypeJSON, TypeHTMLv1, TypeHTML} {
			if _, ok := Negotiate(accept + "," + typ); !ok {
				t.Fatalf("Negotiate(%q) is not acceptable", accept+","+typ)
			}
		}
		// Only a header with some range can be unacceptable.
		if !ok && strings.Trim(accept, " \t,") == "" {
			t.Fatalf("Negotiate(%q) is not acceptable", accept)
		}
		// Case must not matter.
		if got2, ok2 := Negotiate(strings.ToUpper(accept)); got2 != got || ok2 != ok {
			// ToUpper may change non-ASCII bytes' meaning; only compare
			// ASCII input.
			ascii := true
			for i := 0; i < len(accept); i++ {
				ascii = ascii && accept[i] < 0x80
			}
			if ascii {
				t.Fatalf("Negotiate(%q) = %q, %v but upper-cased %q, %v", accept, got, ok, got2, ok2)
			}
		}
	})
}

func BenchmarkNegotiate(b *testing.B) {
	for _, bc := range []struct{ name, accept string }{
		{"pip", "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"},
		{"browser", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"},
		{"empty", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Negotiate(bc.accept)
			}
		})
	}
}
