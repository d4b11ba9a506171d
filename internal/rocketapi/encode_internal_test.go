package rocketapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// appendMe writes byte for byte what respond (encoding/json, no HTML
// escaping) writes for a meResponse, over random users.
func TestAppendMeMatchesJSON(t *testing.T) {
	strs := []string{"", "bob", "bob@example.com", `q"uote`, `back\slash`, "<b>&amp;</b>", "tab\there", "nl\n\x00\x1f",
		"ünïcødé", "line\u2028sep", "bad\xffutf8", "emoji 😀", "http://chat.example.com/avatar/bob"}
	times := []time.Time{{}, time.Unix(0, 0), time.Date(2030, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600)), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(5, 6))
	pick := func() string {
		if r.IntN(4) == 0 {
			b := make([]byte, r.IntN(10))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			return string(b)
		}
		return strs[r.IntN(len(strs))]
	}
	for i := range 3000 {
		m := meUser{
			ID: pick(), Type: pick(), Username: pick(), Name: pick(), Status: pick(), StatusConnection: pick(),
			UTCOffset: r.IntN(25) - 12, Active: r.IntN(2) == 0, AvatarURL: pick(), IsOAuthUser: r.IntN(2) == 0,
			RequirePassword: r.IntN(2) == 0, CreatedAt: isoTime(times[r.IntN(len(times))]), UpdatedAt: isoTime(times[r.IntN(len(times))]),
			Services: services{Password: passwordService{Exists: r.IntN(2) == 0}},
		}
		switch i % 3 {
		case 0:
			m.Roles = []string{pick(), pick()}
		case 1:
			m.Roles = []string{}
		}
		if r.IntN(2) == 0 {
			m.Services.TOTP = &enabled{Enabled: r.IntN(2) == 0}
		}
		if r.IntN(2) == 0 {
			m.Services.Email2FA = &enabled{Enabled: r.IntN(2) == 0}
		}
		for range r.IntN(3) {
			m.Emails = append(m.Emails, email{Address: pick(), Verified: r.IntN(2) == 0})
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(meResponse{meUser: m, Success: true}); err != nil {
			t.Fatal(err)
		}
		if got := appendMe(nil, &m); !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("appendMe:\n got %s\nwant %s", got, want.Bytes())
		}
	}
}
