package ui

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDescribeDevice(t *testing.T) {
	tests := []struct {
		name   string
		ua     string
		device map[string]string
		want   string
	}{
		{"empty", "", nil, "Unknown device"},
		{"Chrome on Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36", nil, "Chrome 156 on Linux"},
		{"headless Chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.8078.79 Safari/537.36", nil, "Headless Chrome 156 on Linux"},
		{"Edge on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", nil, "Edge 120 on Windows"},
		{"Firefox on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0", nil, "Firefox 121 on macOS"},
		{"Safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", nil, "Safari 17 on iPhone"},
		{"Chrome on iPad", "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", nil, "Chrome 120 on iPad"},
		{"Samsung on Android", "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", nil, "Samsung Internet 23 on Android 14"},
		{"Opera on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0", nil, "Opera 106 on Windows"},
		{"ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", nil, "Chrome 120 on ChromeOS"},
		{"InfluxDB Go client", "influxdb-client-go/2.14.0 (linux; amd64)", nil, "influxdb-client-go 2.14.0"},
		{"curl", "curl/8.5.0", nil, "curl 8.5.0"},
		{"Go", "Go-http-client/1.1", nil, "Go HTTP client"},
		{"bare word", "mytool", nil, "mytool"},
		{"platform header", "RC Mobile; android 14; v4.45.0", map[string]string{"x-platform": "android"}, "RC Mobile (android)"},
		{"long", strings.Repeat("a", 200), nil, strings.Repeat("a", 59) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeDevice(tt.ua, tt.device); got != tt.want {
				t.Errorf("describeDevice(%q) = %q, want %q", tt.ua, got, tt.want)
			}
		})
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{59 * time.Second, "just now"},
		{time.Minute, "1 minute ago"},
		{45 * time.Minute, "45 minutes ago"},
		{time.Hour, "1 hour ago"},
		{47 * time.Hour, "47 hours ago"},
		{72 * time.Hour, "3 days ago"},
	}
	for _, tt := range tests {
		if got := ago(now, now.Add(-tt.d)); got != tt.want {
			t.Errorf("ago(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestWaitWords(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "a minute"},
		{30 * time.Second, "a minute"},
		{61 * time.Second, "2 minutes"},
		{5 * time.Minute, "5 minutes"},
	}
	for _, tt := range tests {
		if got := waitWords(now, now.Add(tt.d)); got != tt.want {
			t.Errorf("waitWords(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFlashEchoesNothing(t *testing.T) {
	tests := []struct{ query, want string }{
		{"", ""},
		{"m=signedout", "You have signed out."},
		{"m=others&n=1", "Signed out 1 session."},
		{"m=others&n=<b>", "Signed out 0 sessions."},
		{"m=<script>alert(1)</script>", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/ui/sessions?"+tt.query, nil)
		if got := flash(r); got != tt.want {
			t.Errorf("flash(%q) = %q, want %q", tt.query, got, tt.want)
		}
	}
}

func TestCSRFToken(t *testing.T) {
	a, b := csrfToken("secret-a", purposeSession), csrfToken("secret-b", purposeSession)
	if a == b {
		t.Error("two secrets give one token")
	}
	if a == csrfToken("secret-a", purposeSignIn) {
		t.Error("two purposes give one token")
	}
	if strings.Contains(a, "secret-a") {
		t.Error("the token shows the secret")
	}
	tests := []struct {
		name                  string
		secret, purpose, sent string
		want                  bool
	}{
		{"match", "secret-a", purposeSession, a, true},
		{"other secret", "secret-b", purposeSession, a, false},
		{"other purpose", "secret-a", purposeSignIn, a, false},
		{"empty sent", "secret-a", purposeSession, "", false},
		{"empty secret", "", purposeSession, csrfToken("", purposeSession), false},
		{"truncated", "secret-a", purposeSession, a[:len(a)-1], false},
	}
	for _, tt := range tests {
		if got := validCSRF(tt.secret, tt.purpose, tt.sent); got != tt.want {
			t.Errorf("%s: validCSRF = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{"": "", "passwords must be long": "Passwords must be long.", "done.": "Done."} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
