package rocketapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fleet signs bob in three times, a minute apart (Firefox, Chrome, the
// mobile app, newest last), and carol once.
type fleet struct {
	firefox, chrome, mobile, carol cred
	ids                            map[string]string // session ID -> placeholder
}

func signInFleet(e *env) fleet {
	e.t.Helper()
	var f fleet
	f.firefox = e.login(bobName, bobPass, firefoxUA)
	e.clock.Advance(time.Minute)
	f.chrome = e.login(bobEmail, bobPass, chromeUA)
	e.clock.Advance(time.Minute)
	f.mobile = e.login(bobName, bobPass, mobileUA)
	e.clock.Advance(time.Minute)
	f.carol = e.login(carolName, carolPass, "")
	f.ids = map[string]string{
		e.sessionOf(f.firefox): "<firefox>", e.sessionOf(f.chrome): "<chrome>",
		e.sessionOf(f.mobile): "<mobile>", e.sessionOf(f.carol): "<carol>",
	}
	return f
}

// rows returns the placeholders of a list body's sessions, in order.
func rows(t testing.TB, r reply, ids map[string]string) []string {
	t.Helper()
	var out struct {
		Sessions []struct {
			ID string `json:"_id"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, s := range out.Sessions {
		n, ok := ids[s.ID]
		if !ok {
			n = s.ID
		}
		names = append(names, n)
	}
	return names
}

func TestSessionsList(t *testing.T) {
	e := start(t)
	f := signInFleet(e)
	r := e.get("/api/v1/sessions/list", &f.chrome)
	wantStatus(t, r, http.StatusOK)
	golden(t, "sessions_list", r.body, f.ids)

	tests := []struct {
		name                 string
		query                string
		want                 []string
		total, count, offset int
	}{
		{"default", "", []string{"<mobile>", "<chrome>", "<firefox>"}, 3, 50, 0},
		{"count 1", query("count", "1"), []string{"<mobile>"}, 3, 1, 0},
		{"offset 1 count 1", query("offset", "1", "count", "1"), []string{"<chrome>"}, 3, 1, 1},
		{"offset at the end", query("offset", "3"), []string{}, 3, 50, 3},
		{"offset past the end", query("offset", "99"), []string{}, 3, 50, 99},
		{"count over the upper limit", query("count", "1000"), []string{"<mobile>", "<chrome>", "<firefox>"}, 3, 100, 0},
		{"count 0 is the default", query("count", "0"), []string{"<mobile>", "<chrome>", "<firefox>"}, 3, 50, 0},
		{"fractional count", query("count", "2.7"), []string{"<mobile>", "<chrome>"}, 3, 2, 0},
		{"oldest first", query("sort", `{"loginAt":1}`), []string{"<firefox>", "<chrome>", "<mobile>"}, 3, 50, 0},
		{"sort applies before paging", query("sort", `{"loginAt":1}`, "count", "2"), []string{"<firefox>", "<chrome>"}, 3, 2, 0},
		{"by device name", query("sort", `{"device.name":1}`), []string{"<chrome>", "<firefox>", "<mobile>"}, 3, 50, 0},
		{"by device name, descending", query("sort", `{"device.name":-1}`), []string{"<mobile>", "<firefox>", "<chrome>"}, 3, 50, 0},
		{"by OS name, byte order", query("sort", `{"device.os.name":1}`), []string{"<firefox>", "<chrome>", "<mobile>"}, 3, 50, 0},
		{"empty sort", query("sort", `{}`), []string{"<mobile>", "<chrome>", "<firefox>"}, 3, 50, 0},
		{"filter on browser, any case", query("filter", "chrome"), []string{"<chrome>"}, 1, 50, 0},
		{"filter on type", query("filter", "mobile-app"), []string{"<mobile>"}, 1, 50, 0},
		{"filter on OS", query("filter", "Ubuntu"), []string{"<firefox>"}, 1, 50, 0},
		{"filter on user ID", query("filter", bobID), []string{"<mobile>", "<chrome>", "<firefox>"}, 3, 50, 0},
		{"filter is literal", query("filter", ".*"), []string{}, 0, 50, 0},
		{"filter and paging", query("filter", "o", "offset", "1", "count", "1"), []string{"<chrome>"}, 3, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get("/api/v1/sessions/list"+tc.query, &f.chrome)
			wantStatus(t, r, http.StatusOK)
			if got := rows(t, r, f.ids); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("sessions = %v, want %v", got, tc.want)
			}
			v := r.json(t)
			if v["total"] != float64(tc.total) || v["count"] != float64(tc.count) || v["offset"] != float64(tc.offset) || v["success"] != true {
				t.Errorf("total/count/offset = %v/%v/%v, want %d/%d/%d", v["total"], v["count"], v["offset"], tc.total, tc.count, tc.offset)
			}
		})
	}
}

// TestSessionsBadQuery: every kind of bad query is a 400 in Rocket.Chat's
// shape, never a 500.
func TestSessionsBadQuery(t *testing.T) {
	e := start(t)
	c := e.login(bobName, bobPass, "")
	tests := []struct {
		name, path, golden string
	}{
		{"unknown key", "/api/v1/sessions/list" + query("foo", "bar"), "invalid_additional"},
		{"Rocket.Chat query key", "/api/v1/sessions/list" + query("query", `{"userId":"x"}`), "invalid_additional"},
		{"fields key", "/api/v1/sessions/list" + query("fields", `{"ip":1}`), "invalid_additional"},
		{"count not a number", "/api/v1/sessions/list" + query("count", "ten"), "invalid_number"},
		{"offset empty", "/api/v1/sessions/list" + query("offset", ""), "invalid_number"},
		{"count repeated", "/api/v1/sessions/list?count=1&count=2", "invalid_number"},
		{"negative offset", "/api/v1/sessions/list" + query("offset", "-1"), "invalid_minimum"},
		{"negative count", "/api/v1/sessions/list" + query("count", "-5"), "invalid_minimum"},
		{"filter repeated", "/api/v1/sessions/list?filter=a&filter=b", "invalid_string"},
		{"sort on a forbidden key", "/api/v1/sessions/list" + query("sort", `{"ip":1}`), "invalid_sort_keys"},
		{"sort not JSON", "/api/v1/sessions/list" + query("sort", `{loginAt:1`), "invalid_sort"},
		{"sort direction 2", "/api/v1/sessions/list" + query("sort", `{"loginAt":2}`), "invalid_sort_direction"},
		{"sort direction as text", "/api/v1/sessions/list" + query("sort", `{"loginAt":"asc"}`), "invalid_sort_text"},
		{"sort is a list", "/api/v1/sessions/list" + query("sort", `["loginAt"]`), "invalid_sort_list"},
		{"info without sessionId", "/api/v1/sessions/info", "invalid_required"},
		{"info with an extra key", "/api/v1/sessions/info" + query("sessionId", "x", "userId", bobID), "invalid_additional"},
		{"info with sessionId twice", "/api/v1/sessions/info?sessionId=a&sessionId=b", "invalid_string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path, &c)
			wantStatus(t, r, http.StatusBadRequest)
			golden(t, tc.golden, r.body, nil)
		})
	}
}

func TestSessionsInfo(t *testing.T) {
	e := start(t)
	f := signInFleet(e)
	e.clock.Advance(5 * time.Minute)
	wantStatus(t, e.get("/api/v1/me", &f.mobile), http.StatusOK) // last seen moves

	mobileID := e.sessionOf(f.mobile)
	r := e.get("/api/v1/sessions/info"+query("sessionId", mobileID), &f.chrome)
	wantStatus(t, r, http.StatusOK)
	golden(t, "sessions_info", r.body, f.ids)
	if strings.Contains(string(r.body), "loginToken") || strings.Contains(string(r.body), f.mobile.token) {
		t.Error("info leaks the login token")
	}

	for name, id := range map[string]string{"another user's": e.sessionOf(f.carol), "unknown": "0123456789abcdef", "empty": ""} {
		t.Run(name, func(t *testing.T) {
			r := e.get("/api/v1/sessions/info"+query("sessionId", id), &f.chrome)
			wantStatus(t, r, http.StatusNotFound)
			golden(t, "session_not_found", r.body, nil)
		})
	}
}

// TestLogoutMe is seed 004: POST /api/v1/sessions/logout.me.
func TestLogoutMe(t *testing.T) {
	e := start(t)
	f := signInFleet(e)
	firefoxID, carolSID := e.sessionOf(f.firefox), e.sessionOf(f.carol)

	t.Run("another user's session", func(t *testing.T) {
		r := e.post("/api/v1/sessions/logout.me", `{"sessionId":"`+carolSID+`"}`, &f.chrome)
		wantStatus(t, r, http.StatusNotFound)
		golden(t, "session_not_found", r.body, nil)
		wantStatus(t, e.get("/api/v1/me", &f.carol), http.StatusOK)
	})
	t.Run("unknown session", func(t *testing.T) {
		r := e.post("/api/v1/sessions/logout.me", `{"sessionId":"WJ2giBwm4B9mcojFi"}`, &f.chrome)
		wantStatus(t, r, http.StatusNotFound)
		golden(t, "session_not_found", r.body, nil)
	})
	t.Run("without authentication", func(t *testing.T) {
		r := e.post("/api/v1/sessions/logout.me", `{"sessionId":"`+firefoxID+`"}`, nil)
		wantStatus(t, r, http.StatusUnauthorized)
		golden(t, "unauthorized", r.body, nil)
	})
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			name, body, ctype, golden string
			status                    int
		}{
			{"no body", "", "", "invalid_required", 400},
			{"empty object", `{}`, "", "invalid_required", 400},
			{"bad JSON", `{"sessionId":`, "", "logout_me_bad_json", 400},
			{"not an object", `"abc"`, "application/json", "logout_me_not_object", 400},
			{"sessionId a number", `{"sessionId":12}`, "", "invalid_string", 400},
			{"sessionId null", `{"sessionId":null}`, "", "invalid_string", 400},
			{"extra key", `{"sessionId":"` + firefoxID + `","userId":"` + bobID + `"}`, "", "invalid_additional", 400},
			{"form without sessionId", "id=" + firefoxID, "application/x-www-form-urlencoded", "invalid_required", 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(req{method: "POST", path: "/api/v1/sessions/logout.me", body: tc.body, ctype: tc.ctype, cred: &f.chrome})
				wantStatus(t, r, tc.status)
				golden(t, tc.golden, r.body, nil)
			})
		}
		wantStatus(t, e.get("/api/v1/me", &f.firefox), http.StatusOK)
	})
	t.Run("own other session", func(t *testing.T) {
		r := e.post("/api/v1/sessions/logout.me", `{"sessionId":"`+firefoxID+`"}`, &f.chrome)
		wantStatus(t, r, http.StatusOK)
		golden(t, "logout_me", r.body, f.ids)
		// Revoked at once: the very next request with that token fails.
		wantStatus(t, e.get("/api/v1/me", &f.firefox), http.StatusUnauthorized)
		wantStatus(t, e.get("/api/v1/me", &f.chrome), http.StatusOK)
		r = e.get("/api/v1/sessions/list", &f.chrome)
		if got := rows(t, r, f.ids); strings.Join(got, ",") != "<mobile>,<chrome>" {
			t.Errorf("sessions after logout.me = %v", got)
		}
		r = e.post("/api/v1/sessions/logout.me", `{"sessionId":"`+firefoxID+`"}`, &f.chrome)
		wantStatus(t, r, http.StatusNotFound)
	})
	t.Run("as a form", func(t *testing.T) {
		body := url.Values{"sessionId": {e.sessionOf(f.mobile)}}.Encode()
		r := e.do(req{method: "POST", path: "/api/v1/sessions/logout.me", body: body, ctype: "application/x-www-form-urlencoded", cred: &f.chrome})
		wantStatus(t, r, http.StatusOK)
		wantStatus(t, e.get("/api/v1/me", &f.mobile), http.StatusUnauthorized)
	})
	t.Run("own current session", func(t *testing.T) {
		r := e.post("/api/v1/sessions/logout.me", `{"sessionId":"`+e.sessionOf(f.chrome)+`"}`, &f.chrome)
		wantStatus(t, r, http.StatusOK)
		r = e.get("/api/v1/me", &f.chrome)
		wantStatus(t, r, http.StatusUnauthorized)
		golden(t, "unauthorized", r.body, nil)
	})
}

// TestAdminRoutes: list.all, info.admin and logout need the admin flag.
func TestAdminRoutes(t *testing.T) {
	e := start(t)
	f := signInFleet(e)
	e.clock.Advance(time.Minute)
	root := e.login(adminName, adminPass, chromeUA)
	f.ids[e.sessionOf(root)] = "<root>"
	chromeID := e.sessionOf(f.chrome)

	t.Run("refused to others", func(t *testing.T) {
		for _, r := range []reply{
			e.get("/api/v1/sessions/list.all", &f.chrome),
			e.get("/api/v1/sessions/list.all"+query("foo", "bar"), &f.chrome),
			e.get("/api/v1/sessions/info.admin"+query("sessionId", chromeID), &f.chrome),
			e.post("/api/v1/sessions/logout", `{"sessionId":"`+e.sessionOf(f.carol)+`"}`, &f.chrome),
		} {
			wantStatus(t, r, http.StatusForbidden)
			golden(t, "forbidden", r.body, nil)
		}
		wantStatus(t, e.get("/api/v1/me", &f.carol), http.StatusOK)
	})
	t.Run("list.all", func(t *testing.T) {
		r := e.get("/api/v1/sessions/list.all", &root)
		wantStatus(t, r, http.StatusOK)
		golden(t, "sessions_list_all", r.body, f.ids)
		for _, tc := range []struct{ query, want string }{
			{query("filter", "carol"), "<carol>"},
			{query("sort", `{"_user.username":1,"loginAt":1}`, "count", "3"), "<firefox>,<chrome>,<mobile>"},
			{query("sort", `{"_user.username":-1}`, "count", "2"), "<root>,<carol>"},
			{query("offset", "4"), "<firefox>"},
		} {
			r := e.get("/api/v1/sessions/list.all"+tc.query, &root)
			wantStatus(t, r, http.StatusOK)
			if got := strings.Join(rows(t, r, f.ids), ","); got != tc.want {
				t.Errorf("list.all%s = %s, want %s", tc.query, got, tc.want)
			}
		}
		wantStatus(t, e.get("/api/v1/sessions/list.all"+query("sort", `{"userId":1}`), &root), http.StatusBadRequest)
	})
	t.Run("info.admin", func(t *testing.T) {
		r := e.get("/api/v1/sessions/info.admin"+query("sessionId", chromeID), &root)
		wantStatus(t, r, http.StatusOK)
		golden(t, "sessions_info_admin", r.body, f.ids)
		r = e.get("/api/v1/sessions/info.admin"+query("sessionId", bobID), &root) // an ID, not a pattern
		wantStatus(t, r, http.StatusNotFound)
		wantStatus(t, e.get("/api/v1/sessions/info.admin", &root), http.StatusBadRequest)
	})
	t.Run("logout", func(t *testing.T) {
		r := e.post("/api/v1/sessions/logout", `{"sessionId":"`+e.sessionOf(f.carol)+`"}`, &root)
		wantStatus(t, r, http.StatusOK)
		golden(t, "logout_admin", r.body, f.ids)
		wantStatus(t, e.get("/api/v1/me", &f.carol), http.StatusUnauthorized)
		r = e.post("/api/v1/sessions/logout", `{"sessionId":"0123456789abcdef"}`, &root)
		wantStatus(t, r, http.StatusNotFound)
		golden(t, "session_not_found", r.body, nil)
		r = e.post("/api/v1/sessions/logout", `{}`, &root)
		wantStatus(t, r, http.StatusBadRequest)
		golden(t, "invalid_required", r.body, nil)
	})
}
