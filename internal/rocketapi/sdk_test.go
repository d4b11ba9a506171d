package rocketapi_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/RocketChat/Rocket.Chat.Go.SDK/models"
	"github.com/RocketChat/Rocket.Chat.Go.SDK/rest"
)

// Response types for the SDK's generic calls; rest.Status supplies OK().
type sdkMe struct {
	rest.Status
	ID       string `json:"_id"`
	Username string `json:"username"`
}

type sdkSessions struct {
	rest.Status
	Sessions []struct {
		ID     string `json:"_id"`
		UserID string `json:"userId"`
		Device struct {
			Name string `json:"name"`
		} `json:"device"`
	} `json:"sessions"`
	Total int `json:"total"`
}

type sdkSessionID struct {
	rest.Status
	SessionID string `json:"sessionId"`
}

func sdkClient(t *testing.T, e *env) *rest.Client {
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return rest.NewClient(u, false)
}

// TestGoSDK: the Rocket.Chat Go SDK, unchanged, logs in (a form post),
// reaches me and the session routes through its generic calls, and logs
// out.
func TestGoSDK(t *testing.T) {
	e := start(t)
	other := e.login(bobName, bobPass, firefoxUA)
	e.clock.Advance(time.Minute)

	c := sdkClient(t, e)
	creds := &models.UserCredentials{Email: bobEmail, Password: bobPass}
	if err := c.Login(creds); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if creds.ID != bobID || len(creds.Token) != 43 {
		t.Fatalf("credentials after login: %q %q", creds.ID, creds.Token)
	}

	var me sdkMe
	if err := c.Get("me", nil, &me); err != nil {
		t.Fatalf("Get me: %v", err)
	}
	if me.ID != bobID || me.Username != bobName {
		t.Errorf("me = %+v", me)
	}

	var list sdkSessions
	if err := c.Get("sessions/list", url.Values{"count": {"10"}, "sort": {`{"loginAt":1}`}}, &list); err != nil {
		t.Fatalf("Get sessions/list: %v", err)
	}
	if list.Total != 2 || len(list.Sessions) != 2 || list.Sessions[0].Device.Name != "Firefox" {
		t.Fatalf("sessions/list = %+v", list)
	}

	var out sdkSessionID
	body := bytes.NewBufferString(`{"sessionId":"` + list.Sessions[0].ID + `"}`)
	if err := c.Post("sessions/logout.me", body, &out); err != nil {
		t.Fatalf("Post sessions/logout.me: %v", err)
	}
	if out.SessionID != list.Sessions[0].ID {
		t.Errorf("logout.me answered %+v", out)
	}
	wantStatus(t, e.get("/api/v1/me", &other), http.StatusUnauthorized)

	// The SDK surfaces Rocket.Chat's error text.
	err := c.Post("sessions/logout.me", bytes.NewBufferString(`{"sessionId":"0123456789abcdef"}`), &out)
	if err == nil || err.Error() != "Session not found" {
		t.Errorf("logout.me of an unknown session: err = %v", err)
	}
	err = c.PostForm("sessions/logout.me", url.Values{"id": {"x"}}, &out)
	if err == nil || !strings.Contains(err.Error(), "[invalid-params]") {
		t.Errorf("logout.me without sessionId: err = %v", err)
	}
	err = c.Get("sessions/list.all", nil, &list)
	if err == nil || !strings.Contains(err.Error(), "[error-unauthorized]") {
		t.Errorf("list.all as a user: err = %v", err)
	}

	msg, err := c.Logout()
	if err != nil || msg != "You've been logged out!" {
		t.Fatalf("Logout = %q, %v", msg, err)
	}
	// The SDK keeps its credentials after Logout; they no longer work.
	err = c.Get("me", nil, &me)
	if err == nil || err.Error() != "You must be logged in to do this." {
		t.Errorf("me after logout: err = %v", err)
	}
}

// TestGoSDKLoginFailure: a wrong password reaches the SDK as an error.
func TestGoSDKLoginFailure(t *testing.T) {
	e := start(t)
	c := sdkClient(t, e)
	err := c.Login(&models.UserCredentials{Email: bobName, Password: "wrong-password"})
	if err == nil || err.Error() != "Unauthorized" {
		t.Fatalf("Login with a wrong password: err = %v", err)
	}
}
