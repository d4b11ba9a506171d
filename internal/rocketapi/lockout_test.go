package rocketapi_test

import (
	"net/http"
	"testing"

	"github.com/sessiond/sessiond/internal/config"
)

// TestLockedLoginLooksLikeAWrongPassword: past the account's attempt
// budget even the right password is refused, with the body of a wrong
// password (not a 500, not a hint that the account exists), and {hashed}
// logins count toward the same budget.
func TestLockedLoginLooksLikeAWrongPassword(t *testing.T) {
	e := start(t, func(c *config.Config) { c.LockoutAccountLimit = 3 })
	e.login(bobName, bobPass, firefoxUA) // makes the {hashed} verifier; resets the count
	wrong := e.post("/api/v1/login", `{"user":"bob","password":"not-bobs-password"}`, nil)
	wantStatus(t, wrong, http.StatusUnauthorized)
	hashedWrong := e.post("/api/v1/login", `{"user":"bob","password":{"hashed":"`+sha("not-bobs-password")+`"}}`, nil)
	wantStatus(t, hashedWrong, http.StatusUnauthorized)
	e.post("/api/v1/login", `{"user":"bob","password":"still-not-it"}`, nil)
	for name, body := range map[string]string{
		"plain":  `{"user":"bob","password":"` + bobPass + `"}`,
		"hashed": `{"user":"bob","password":{"hashed":"` + sha(bobPass) + `"}}`,
	} {
		r := e.post("/api/v1/login", body, nil)
		if r.status != wrong.status || string(r.body) != string(wrong.body) {
			t.Fatalf("%s login of a locked account: %d %s, want the wrong-password answer %d %s", name, r.status, r.body, wrong.status, wrong.body)
		}
	}
	// Another account is not affected.
	e.login(carolName, carolPass, firefoxUA)
}
