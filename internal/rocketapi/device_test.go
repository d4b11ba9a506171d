package rocketapi

import (
	"encoding/json"
	"testing"
)

func TestParseDevice(t *testing.T) {
	tests := []struct {
		name, ua, want string
	}{
		{"none", "", `null`},
		{"Chrome on Windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
			`{"type":"browser","name":"Chrome","longVersion":"125.0.0.0","os":{"name":"Windows","version":"10"},"version":"125.0.0"}`},
		{"Firefox on Ubuntu",
			"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
			`{"type":"browser","name":"Firefox","longVersion":"126.0","os":{"name":"Ubuntu"},"version":"126.0"}`},
		{"Safari on macOS",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
			`{"type":"browser","name":"Safari","longVersion":"17.4.1","os":{"name":"Mac OS","version":"10.15.7"},"version":"17.4.1"}`},
		{"Edge",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
			`{"type":"browser","name":"Edge","longVersion":"124.0.2478.80","os":{"name":"Windows","version":"10"},"version":"124.0.2478"}`},
		{"Safari on iPhone",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			`{"type":"mobile","name":"Mobile Safari","longVersion":"17.5","os":{"name":"iOS","version":"17.5"},"version":"17.5"}`},
		{"Chrome on Android",
			"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.53 Mobile Safari/537.36",
			`{"type":"mobile","name":"Mobile Chrome","longVersion":"125.0.6422.53","os":{"name":"Android","version":"14"},"version":"125.0.6422"}`},
		{"iPad",
			"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
			`{"type":"tablet","name":"Mobile Safari","longVersion":"16.6","os":{"name":"iOS","version":"16.6"},"version":"16.6"}`},
		{"Rocket.Chat mobile app", "RC Mobile; ios 17.5; v4.49.0 (58123)",
			`{"type":"mobile-app","name":"RC Mobile","longVersion":"4.49.0 58123","os":{"name":"iOS","version":"17.5"},"version":"4.49.0"}`},
		{"Rocket.Chat mobile app on Android", "RC Mobile; android 14; v4.49.0 (58123)",
			`{"type":"mobile-app","name":"RC Mobile","longVersion":"4.49.0 58123","os":{"name":"Android","version":"14"},"version":"4.49.0"}`},
		{"Rocket.Chat desktop app",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Rocket.Chat/3.9.14 Chrome/120.0.6099.291 Electron/28.3.3 Safari/537.36",
			`{"type":"desktop-app","name":"Rocket.Chat","longVersion":"3.9.14","os":{"name":"Windows","version":"10"},"version":"3.9.14"}`},
		{"Go SDK", "Go-http-client/1.1", `{"type":"other"}`},
		{"curl", "curl/8.5.0", `{"type":"other"}`},
		{"unknown Windows", "Mozilla/5.0 (Windows NT 99.0) Something/1", `{"type":"other","os":{"name":"Windows"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(parseDevice(tc.ua))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("parseDevice(%q)\n got %s\nwant %s", tc.ua, b, tc.want)
			}
		})
	}
}

func TestReadSort(t *testing.T) {
	tests := []struct {
		raw     string
		want    []sortKey
		errBody string
	}{
		{`{"loginAt":-1}`, []sortKey{{"loginAt", -1}}, ""},
		{`{"device.name":1,"loginAt":-1}`, []sortKey{{"device.name", 1}, {"loginAt", -1}}, ""},
		{` { } `, nil, ""},
		{`{"ip":1}`, nil, "error-invalid-sort-keys"},
		{`{"loginAt":1.0}`, []sortKey{{"loginAt", 1}}, ""},
		{`{"loginAt":0}`, nil, `Invalid sort parameter provided: "{\"loginAt\":0}" [error-invalid-sort]`},
		{`{"loginAt":"1"}`, nil, `Invalid sort parameter provided: "{\"loginAt\":\"1\"}" [error-invalid-sort]`},
		{`{"loginAt":{"$gt":1}}`, nil, `Invalid sort parameter provided: "{\"loginAt\":{\"$gt\":1}}" [error-invalid-sort]`},
		{`{"loginAt":1} x`, nil, `Invalid sort parameter provided: "{\"loginAt\":1} x" [error-invalid-sort]`},
		{``, nil, `Invalid sort parameter provided: "" [error-invalid-sort]`},
		{`null`, nil, `Invalid sort parameter provided: "null" [error-invalid-sort]`},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, e := readSort(tc.raw)
			if tc.errBody != "" {
				if e == nil || e.body.Error != tc.errBody {
					t.Fatalf("readSort(%q) error = %v, want %q", tc.raw, e, tc.errBody)
				}
				return
			}
			if e != nil {
				t.Fatalf("readSort(%q): %v", tc.raw, e.body.Error)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("readSort(%q) = %v, want %v", tc.raw, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("readSort(%q)[%d] = %v, want %v", tc.raw, i, got[i], tc.want[i])
				}
			}
		})
	}
}
