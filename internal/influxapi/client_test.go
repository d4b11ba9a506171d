package influxapi_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/domain"
)

// TestOfficialGoClient runs the official InfluxDB Go client, unchanged,
// through setup, sign-in, me, password change and sign-out.
func TestOfficialGoClient(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()

	anon := influxdb2.NewClient(e.srv.URL, "")
	defer anon.Close()
	ok, err := anon.Ping(ctx)
	if err != nil || !ok {
		t.Fatalf("Ping: %v %v", ok, err)
	}
	if _, err := anon.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	if _, err := anon.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	res, err := anon.Setup(ctx, "my-user", "my-password", "my-org", "my-bucket", 24)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if res.Auth == nil || res.Auth.Token == nil || *res.Auth.Token == "" || res.User == nil || res.User.Name != "my-user" {
		t.Fatalf("Setup answered %+v", res)
	}
	if _, err := anon.Setup(ctx, "again", "again-password", "o", "b", 0); err == nil {
		t.Fatal("second Setup succeeded")
	}

	c := influxdb2.NewClient(e.srv.URL, "")
	defer c.Close()
	users := c.UsersAPI()
	if err := users.SignIn(ctx, "my-user", "wrong-password"); err == nil {
		t.Fatal("SignIn with a wrong password succeeded")
	}
	if err := users.SignIn(ctx, "my-user", "my-password"); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	me, err := users.Me(ctx)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	if me.Name != "my-user" || me.Id == nil || *me.Id != *res.User.Id || me.Status == nil || *me.Status != domain.UserStatusActive {
		t.Fatalf("Me answered %+v", me)
	}
	if err := users.MeUpdatePassword(ctx, "my-password", "my-new-password"); err != nil {
		t.Fatalf("MeUpdatePassword: %v", err)
	}
	if _, err := users.Me(ctx); err != nil {
		t.Fatalf("Me after password change (the current session must survive it): %v", err)
	}
	if err := users.SignOut(ctx); err != nil {
		t.Fatalf("SignOut: %v", err)
	}
	if err := users.SignOut(ctx); err == nil {
		t.Fatal("a second SignOut succeeded")
	}
	if _, err := users.Me(ctx); err == nil {
		t.Fatal("Me after SignOut succeeded")
	}
	if err := users.SignIn(ctx, "my-user", "my-password"); err == nil {
		t.Fatal("SignIn with the old password succeeded")
	}
	if err := users.SignIn(ctx, "my-user", "my-new-password"); err != nil {
		t.Fatalf("SignIn with the new password: %v", err)
	}
	users.SignOut(ctx)

	// The operator token manages users, as in the client's own e2e test.
	op := influxdb2.NewClient(e.srv.URL, *res.Auth.Token)
	defer op.Close()
	ua := op.UsersAPI()
	u, err := ua.CreateUserWithName(ctx, "user-01")
	if err != nil {
		t.Fatalf("CreateUserWithName: %v", err)
	}
	if err := ua.UpdateUserPassword(ctx, u, "123password"); err != nil {
		t.Fatalf("UpdateUserPassword: %v", err)
	}
	if found, err := ua.FindUserByName(ctx, "user-01"); err != nil || *found.Id != *u.Id {
		t.Fatalf("FindUserByName: %v %v", found, err)
	}
	second := influxdb2.NewClient(e.srv.URL, "")
	defer second.Close()
	if err := second.UsersAPI().SignIn(ctx, "user-01", "123password"); err != nil {
		t.Fatalf("user-01 SignIn: %v", err)
	}
	inactive := domain.UserStatusInactive
	u.Status = &inactive
	if _, err := ua.UpdateUser(ctx, u); err != nil {
		t.Fatalf("UpdateUser inactive: %v", err)
	}
	if _, err := second.UsersAPI().Me(ctx); err == nil {
		t.Fatal("an inactive user's session still works")
	}
	if err := ua.DeleteUser(ctx, u); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := ua.FindUserByName(ctx, "user-01"); err == nil {
		t.Fatal("deleted user still found")
	}
}

// TestCookieJarClient drives the API with a plain net/http client and a
// cookie jar, as a browser-like client would.
func TestCookieJarClient(t *testing.T) {
	e := start(t, "")
	e.seed()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path string, basic bool) int {
		r, _ := http.NewRequest("POST", e.srv.URL+path, nil)
		if basic {
			r.SetBasicAuth(userName, userPass)
		}
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	get := func(path string) int {
		resp, err := c.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	steps := []struct {
		name string
		do   func() int
		want int
	}{
		{"me before signin", func() int { return get("/api/v2/me") }, 401},
		{"signin", func() int { return post("/api/v2/signin", true) }, 204},
		{"me", func() int { return get("/api/v2/me") }, 200},
		{"ping needs no cookie", func() int { return get("/ping") }, 204},
		{"signout", func() int { return post("/api/v2/signout", false) }, 204},
		{"me after signout", func() int { return get("/api/v2/me") }, 401},
		{"signout again", func() int { return post("/api/v2/signout", false) }, 401},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("%s: got %d, want %d", s.name, got, s.want)
		}
	}
}

// TestRawSetCookieHeader sends the whole Set-Cookie string back as the
// Python client does.
func TestRawSetCookieHeader(t *testing.T) {
	e := start(t, "")
	e.seed()
	resp, _ := e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{userName, userPass}})
	raw := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(raw, sessionKey+"=") || len(resp.Header.Values("Set-Cookie")) != 1 {
		t.Fatalf("want exactly one session Set-Cookie, got %q", resp.Header.Values("Set-Cookie"))
	}
	for _, path := range []string{"/api/v2/me", "/ping", "/health"} {
		r := req{method: "GET", path: path, headers: map[string]string{"Cookie": raw}}
		if s := e.status(r); s >= 300 {
			t.Fatalf("%s with the raw Set-Cookie string: %d", path, s)
		}
	}
}
