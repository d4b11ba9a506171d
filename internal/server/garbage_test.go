package server_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// TestGarbageIsNeverAServerError sends every documented operation of the
// three APIs malformed requests, as a careless or hostile client would:
// bodies that are not JSON or not the JSON asked for, text that is not
// UTF-8, deep nesting, a huge value, path parameters that are no IDs and
// queries that are no numbers, each with the credentials the API takes
// (an operator token, a Rocket.Chat login, a tenant user's access token)
// so that the request gets past authentication to the code that reads
// it. A client's mistake must be answered as one: never a 5xx.
// It runs on the embedded default and, when they are named, on
// PostgreSQL and Redis, which refuse some text SQLite keeps (a NUL byte).
func TestGarbageIsNeverAServerError(t *testing.T) {
	for _, st := range []struct {
		name string
		tune func(t *testing.T, c *config.Config)
	}{
		{"sqlite", func(t *testing.T, c *config.Config) {}},
		{"postgres+redis", func(t *testing.T, c *config.Config) {
			c.Store = storetest.PostgresDSN(t)
			c.SessionStore, c.RedisKeyPrefix = storetest.RedisAddr(t), storetest.RedisPrefix(t)
		}},
	} {
		t.Run(st.name, func(t *testing.T) { garbageSweep(t, st.tune) })
	}
}

func garbageSweep(t *testing.T, tune func(t *testing.T, c *config.Config)) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	tune(t, &cfg)
	cfg.RocketRateLimit = 0
	cfg.LockoutAccountLimit, cfg.LockoutIPLimit = 0, 0
	cfg.TenantSigninLimit, cfg.TenantSignupLimit = 1_000_000, 1_000_000
	app, _, _ := serveConfig(t, cfg, nil)
	base := app.URL()
	setup(t, base)
	ten := createTenant(t, base, "garbage")
	tenantAuth(t, base, "/auth/signup", ten, "g@example.com")
	docs, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}

	bodies := []string{
		"", "{", "[]", "null", `"x"`, "1", "{}",
		`{"name":1,"password":[],"user":{},"email":true,"id":null,"method":{},"step":[],"token":1,"status":2,"permissions":"x","orgID":[]}`,
		"{\"name\":\"\xff\xfe\",\"password\":\"\xc3\",\"email\":\"a\xffb@example.com\"}",
		`{"name":"\ud800","password":"\udfff"}`,
		`{"name":"a\u0000b","password":"p\u0000assword1","email":"a\u0000@example.com","user":"a\u0000","org":"o\u0000","description":"\u0000"}`,
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		`{"name":"` + strings.Repeat("a", 100000) + `","password":"` + strings.Repeat("b", 100000) + `"}`,
	}
	params := []string{"x", "%ff", "%00", "a%00b", strings.Repeat("9", 400), "-1", "0000000000000001"}
	query := "?limit=-1&offset=x&after=%ff&count=-5&page=%00&query=%7B%22a&sort=%7B&userID=%ff&keepCurrent=maybe&fields=%7B"

	operations := 0
	statuses := map[int]int{}
	for _, d := range docs {
		paths := d.T.Paths.InMatchingOrder()
		sort.Strings(paths)
		for _, p := range paths {
			if strings.HasPrefix(p, "/ui/") {
				continue // the pages: forms, covered by internal/ui's strict tests
			}
			for method := range d.T.Paths.Value(p).Operations() {
				operations++
				var reqs []request
				for _, param := range params {
					reqs = append(reqs, request{method: method, url: base + fill(p, param) + query, body: "{}"})
				}
				for _, b := range bodies {
					reqs = append(reqs, request{method: method, url: base + fill(p, "0000000000000001"), body: b})
				}
				for _, r := range reqs {
					r.headers = credentials(t, base, p, ten)
					if r.body == "" {
						r.headers["Content-Type"] = "text/plain"
					}
					a := do(t, r)
					statuses[a.status]++
					if a.status >= 500 {
						t.Errorf("%s %s with body %q: %d %s", method, strings.TrimPrefix(r.url, base), clip(r.body, 60), a.status, clip(a.body, 300))
					}
				}
			}
		}
	}
	if operations < 60 {
		t.Fatalf("only %d operations documented", operations)
	}
	t.Logf("%d operations; answers by status: %v", operations, statuses)
}

// clip shortens s to n bytes for a failure message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// fill puts v in every path parameter of p, and a value the parameter
// may hold where it is no ID.
func fill(p, v string) string {
	p = strings.NewReplacer("{method}", "google", "{purpose}", "email_verification", "{channel}", "email").Replace(p)
	for {
		i := strings.IndexByte(p, '{')
		j := strings.IndexByte(p, '}')
		if i < 0 || j < i {
			return p
		}
		p = p[:i] + v + p[j+1:]
	}
}

// credentials are fresh credentials of the API p belongs to: a request
// before may have signed the last ones out.
func credentials(t *testing.T, base, p string, ten tenant) map[string]string {
	t.Helper()
	switch {
	case strings.HasPrefix(p, "/api/v1/"):
		return rocketLogin(t, base, "admin", adminPass).headers()
	case strings.HasPrefix(p, "/auth/"), strings.HasPrefix(p, "/otp/"):
		return ten.headers(tenantAuth(t, base, "/auth/signin", ten, "g@example.com"))
	}
	return map[string]string{"Authorization": "Token " + operToken}
}
