package ui

import (
	"strings"
)

// describeDevice names a session's device in words from its User-Agent
// ("Chrome 156 on Linux", "influxdb-client-go 2.14.0") and, when the
// tenant API recorded one, its platform header. It recognises the common
// browsers and systems by their tokens; anything else is named by the
// User-Agent's first product token.
func describeDevice(ua string, device map[string]string) string {
	d := describeUA(strings.TrimSpace(ua))
	if p := strings.TrimSpace(device["x-platform"]); p != "" && len(p) <= 40 {
		d += " (" + p + ")"
	}
	return d
}

// browsers are checked in order: later tokens appear in earlier ones' UAs
// (every Edge and Opera UA also says Chrome and Safari).
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
	{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"HeadlessChrome/", "Headless Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
}

func describeUA(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	os := osName(ua)
	name, ver := "", ""
	for _, b := range browsers {
		if v, ok := tokenVersion(ua, b.token); ok {
			name, ver = b.name, v
			break
		}
	}
	if name == "" && strings.Contains(ua, "Safari/") && strings.Contains(ua, "AppleWebKit/") {
		name = "Safari"
		ver, _ = tokenVersion(ua, "Version/")
	}
	if name == "" {
		return clip(productToken(ua))
	}
	if i := strings.IndexByte(ver, '.'); i >= 0 {
		ver = ver[:i] // major version is enough to recognise a browser
	}
	s := name
	if ver != "" {
		s += " " + ver
	}
	if os != "" {
		s += " on " + os
	}
	return clip(s)
}

// osName names the operating system of a browser User-Agent.
func osName(ua string) string {
	switch {
	case strings.Contains(ua, "iPhone"):
		return "iPhone"
	case strings.Contains(ua, "iPad"):
		return "iPad"
	case strings.Contains(ua, "Android"):
		if v, ok := tokenVersion(ua, "Android "); ok {
			if i := strings.IndexByte(v, '.'); i >= 0 {
				v = v[:i]
			}
			return "Android " + v
		}
		return "Android"
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		return "macOS"
	case strings.Contains(ua, "Linux"):
		return "Linux"
	}
	return ""
}

// tokenVersion returns what follows token up to the next space, semicolon
// or parenthesis.
func tokenVersion(ua, token string) (string, bool) {
	i := strings.Index(ua, token)
	if i < 0 {
		return "", false
	}
	v := ua[i+len(token):]
	if j := strings.IndexAny(v, " ;)("); j >= 0 {
		v = v[:j]
	}
	return v, true
}

// productToken names a non-browser client by its first product, "name/1.2"
// becoming "name 1.2".
func productToken(ua string) string {
	if i := strings.IndexAny(ua, "/;("); i < 0 || ua[i] != '/' {
		// No product/version first ("RC Mobile; android 14"): the words
		// before the first separator.
		if i > 0 {
			return strings.TrimSpace(ua[:i])
		}
		return ua
	}
	first := ua
	if i := strings.IndexAny(first, " ("); i > 0 {
		first = first[:i]
	}
	name, ver, _ := strings.Cut(first, "/")
	if name == "Go-http-client" {
		return "Go HTTP client"
	}
	if ver == "" {
		return name
	}
	return name + " " + ver
}

// clip keeps a description to a readable length, on a rune boundary.
func clip(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}
