package rocketapi

import (
	"regexp"
	"strings"
)

// device is Rocket.Chat's session "device" object, made from the
// User-Agent as SAUMonitor._getUserAgentInfo makes it: its own mobile and
// desktop apps first, then a browser, else type "other". Empty OS fields
// are left out, and so is the whole OS when its name is unknown.
type device struct {
	Type        string    `json:"type"`
	Name        string    `json:"name,omitempty"`
	LongVersion string    `json:"longVersion,omitempty"`
	OS          *deviceOS `json:"os,omitempty"`
	Version     string    `json:"version,omitempty"`
}

type deviceOS struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

var (
	// "RC Mobile; ios 16.5; v4.39.0 (12345)"
	mobileAppUA = regexp.MustCompile(`^RC Mobile; (?i:(ios|android)) ([0-9.]+); v?([0-9A-Za-z.\-]+) \(([0-9A-Za-z.\-]+)\)`)
	// "... Rocket.Chat/3.9.0 Chrome/... Electron/..."
	desktopAppUA = regexp.MustCompile(`Rocket\.Chat/([0-9][0-9A-Za-z.\-]*).*Electron/`)
	shortVersion = regexp.MustCompile(`(\d+\.){0,2}\d+`)
)

// parseDevice returns the device of a User-Agent, nil when there is none.
func parseDevice(ua string) *device {
	if ua == "" {
		return nil
	}
	d := &device{Type: "other"}
	if m := mobileAppUA.FindStringSubmatch(ua); m != nil {
		osName := "iOS"
		if strings.EqualFold(m[1], "android") {
			osName = "Android"
		}
		d.Type, d.Name, d.LongVersion = "mobile-app", "RC Mobile", m[3]+" "+m[4]
		d.OS = &deviceOS{Name: osName, Version: m[2]}
	} else {
		d.OS = parseOS(ua)
		if name, version := parseBrowser(ua); name != "" {
			d.Type, d.Name, d.LongVersion = "browser", name, version
		}
		if m := desktopAppUA.FindStringSubmatch(ua); m != nil {
			d.Type, d.Name, d.LongVersion = "desktop-app", "Rocket.Chat", m[1]
		} else if t := deviceType(ua); t != "" {
			d.Type = t
		}
	}
	if d.LongVersion != "" {
		d.Version = shortVersion.FindString(d.LongVersion)
	}
	return d
}

// after returns the token that follows marker in ua, up to a space,
// semicolon or closing parenthesis.
func after(ua, marker string) (string, bool) {
	i := strings.Index(ua, marker)
	if i < 0 {
		return "", false
	}
	rest := ua[i+len(marker):]
	if j := strings.IndexAny(rest, " ;)"); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

// parseBrowser names the browser as ua-parser-js does for the common
// ones. The order matters: Edge and Opera also say Chrome, Chrome also
// says Safari.
func parseBrowser(ua string) (name, version string) {
	mobile := strings.Contains(ua, "Mobile")
	android := strings.Contains(ua, "Android")
	for _, b := range []struct{ marker, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"Edge/", "Edge"},
		{"OPR/", "Opera"}, {"Opera/", "Opera"},
		{"SamsungBrowser/", "Samsung Browser"},
		{"CriOS/", "Chrome"}, {"FxiOS/", "Firefox"},
		{"Firefox/", "Firefox"},
		{"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
	} {
		if v, ok := after(ua, b.marker); ok {
			name = b.name
			if android && mobile && (name == "Chrome" || name == "Firefox") {
				name = "Mobile " + name
			}
			return name, v
		}
	}
	if strings.Contains(ua, "Safari/") {
		v, _ := after(ua, "Version/")
		if mobile || strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad") {
			return "Mobile Safari", v
		}
		return "Safari", v
	}
	return "", ""
}

// parseOS names the operating system as ua-parser-js does.
func parseOS(ua string) *deviceOS {
	switch {
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad") || strings.Contains(ua, "iPod"):
		v, _ := after(ua, " OS ")
		return &deviceOS{Name: "iOS", Version: strings.ReplaceAll(v, "_", ".")}
	case strings.Contains(ua, "Android"):
		v, _ := after(ua, "Android ")
		return &deviceOS{Name: "Android", Version: v}
	case strings.Contains(ua, "Windows"):
		v, _ := after(ua, "Windows NT ")
		return &deviceOS{Name: "Windows", Version: windowsVersion[v]}
	case strings.Contains(ua, "Mac OS X"):
		v, _ := after(ua, "Mac OS X ")
		return &deviceOS{Name: "Mac OS", Version: strings.ReplaceAll(v, "_", ".")}
	case strings.Contains(ua, "CrOS"):
		return &deviceOS{Name: "Chromium OS"}
	case strings.Contains(ua, "Ubuntu"):
		return &deviceOS{Name: "Ubuntu"}
	case strings.Contains(ua, "Linux"):
		return &deviceOS{Name: "Linux"}
	}
	return nil
}

var windowsVersion = map[string]string{
	"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.1": "XP",
}

// deviceType is ua-parser-js's device type: mobile or tablet, or "" for
// a desktop.
func deviceType(ua string) string {
	switch {
	case strings.Contains(ua, "iPad") || strings.Contains(ua, "Tablet"):
		return "tablet"
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPod"):
		return "mobile"
	case strings.Contains(ua, "Android"):
		if strings.Contains(ua, "Mobile") {
			return "mobile"
		}
		return "tablet"
	}
	return ""
}
