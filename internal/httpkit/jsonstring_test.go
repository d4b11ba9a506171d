package httpkit_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// AppendJSONString writes what encoding/json writes, with and without
// HTML escaping, for plain strings and every kind of awkward one.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", "user@example.com", `q"uote`, `back\slash`, "<script>&amp;</script>", "tab\there",
		"nl\n\r\b\f\x00\x1f\x7f", "ünïcødé", "line\u2028sep\u2029", "bad\xffutf8", "\xc3", "emoji 😀"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := make([]byte, r.IntN(16))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		strs = append(strs, string(b))
	}
	for _, s := range strs {
		want, _ := json.Marshal(s)
		if got := httpkit.AppendJSONString(nil, s, true); !bytes.Equal(got, want) {
			t.Fatalf("html %q: got %s, want %s", s, got, want)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		want = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := httpkit.AppendJSONString([]byte("x"), s, false); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("no html %q: got %s, want %s", s, got, want)
		}
	}
}
