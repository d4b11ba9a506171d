package tenantapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Each route of the OTP module and reset-password has its per-address
// hourly limit (the reference's 30 for verify, resend and cancel; 10 for
// create and reset-password), announced in the rate-limit headers of
// every answer and enforced with 429 TOO_MANY_REQUESTS and Retry-After.
// One recipient is also sent at most ten codes an hour, whoever asks.
func TestOTPRateLimits(t *testing.T) {
	e, _ := startMail(t)
	for _, c := range []struct {
		path, body string
		limit      int
	}{
		{"/otp/create", `{"scope":"email_verification","method":"email","recipient":"user%d@example.com"}`, 10},
		{"/otp/verify", `{"id":"0123456789abcdef","scope":"email_verification","code":"123456"}`, 30},
		{"/otp/resend", `{"id":"0123456789abcdef","scope":"email_verification"}`, 30},
		{"/otp/cancel", `{"id":"0123456789abcdef","scope":"email_verification"}`, 30},
		{"/auth/reset-password", `{"step":"challenge","email":"user%d@example.com"}`, 10},
	} {
		t.Run(c.path, func(t *testing.T) {
			ten := e.tenant(strings.NewReplacer("/", "-").Replace(c.path[1:]))
			name := strings.TrimPrefix(strings.TrimPrefix(c.path, "/auth/"), "/")
			name = strings.Replace(name, "/", "-", 1)
			for i := 1; i <= c.limit+1; i++ {
				body := c.body
				if strings.Contains(body, "%d") {
					body = fmt.Sprintf(body, i)
				}
				resp, raw := e.do(call{method: "POST", path: c.path, tenant: ten.Token, body: body})
				h := resp.Header
				if h.Get("RateLimit-Policy") != fmt.Sprintf(`"%s-ip";q=%d;w=3600`, name, c.limit) || h.Get("X-RateLimit-Limit") != strconv.Itoa(c.limit) {
					t.Fatalf("request %d: RateLimit-Policy %q, X-RateLimit-Limit %q", i, h.Get("RateLimit-Policy"), h.Get("X-RateLimit-Limit"))
				}
				if i <= c.limit {
					if resp.StatusCode == http.StatusTooManyRequests || h.Get("X-RateLimit-Remaining") != strconv.Itoa(c.limit-i) {
						t.Fatalf("request %d of %d: %d, remaining %q: %s", i, c.limit, resp.StatusCode, h.Get("X-RateLimit-Remaining"), raw)
					}
					continue
				}
				if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(raw, `"TOO_MANY_REQUESTS"`) || h.Get("Retry-After") != "3600" || h.Get("X-RateLimit-Remaining") != "0" {
					t.Fatalf("request %d: %d %s, Retry-After %q", i, resp.StatusCode, raw, h.Get("Retry-After"))
				}
			}
		})
	}
	t.Run("per recipient", func(t *testing.T) {
		ten := e.tenant("recipients", `{"name":"recipients","rateLimits":{"otp-create":1000}}`)
		create := func(to string) (*http.Response, string) {
			return e.do(call{method: "POST", path: "/otp/create", tenant: ten.Token, body: `{"scope":"email_verification","method":"email","recipient":"` + to + `"}`})
		}
		for i := range 10 {
			if resp, raw := create("busy@example.com"); resp.StatusCode != http.StatusCreated {
				t.Fatalf("code %d to one recipient: %d %s", i+1, resp.StatusCode, raw)
			}
		}
		resp, raw := create("busy@example.com")
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(raw, `"TOO_MANY_REQUESTS"`) || resp.Header.Get("Retry-After") != "3600" {
			t.Fatalf("an eleventh code to one recipient: %d %s Retry-After %q", resp.StatusCode, raw, resp.Header.Get("Retry-After"))
		}
		st, r := e.post(ten, "/auth/reset-password", `{"step":"challenge","email":"busy@example.com"}`)
		wantError(t, "a reset code to the same recipient", st, r, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
		if resp, raw := create("calm@example.com"); resp.StatusCode != http.StatusCreated {
			t.Fatalf("another recipient: %d %s", resp.StatusCode, raw)
		}
	})
}
