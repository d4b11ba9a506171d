package influxapi

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestAppendUserResponseMatchesMarshalIndent: the hand-written /me body is
// byte for byte what json.MarshalIndent writes.
func TestAppendUserResponseMatchesMarshalIndent(t *testing.T) {
	names := []string{"bob", "", "a b", `quo"te`, `back\slash`, "<script>&", "tab\there", "new\nline", "ünïcödé", "emoji 🙂",
		"\x00\x1f", "\u2028\u2029", "bad\xffutf8", strings.Repeat("x", 300)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		names = append(names, string(b))
	}
	for _, name := range names {
		for _, oauth := range []string{"", "gh|42", "<x>"} {
			v := userResponse{Links: selfLink{Self: "/api/v2/users/0a1b2c3d4e5f6789"}, ID: "0a1b2c3d4e5f6789", Name: name, OAuthID: oauth, Status: "active"}
			want, err := json.MarshalIndent(v, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			if got := appendUserResponse(nil, v); string(got) != string(want) {
				t.Fatalf("name %q oauth %q:\n got %q\nwant %q", name, oauth, got, want)
			}
		}
	}
}
