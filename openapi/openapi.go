// Package openapi holds sessiond's OpenAPI 3.1 documents, one per API it
// serves, embedded in the binary: the server serves them under /openapi/
// and internal/openapitest checks the end-to-end tests' live responses
// against them, so they cannot drift from the server.
//
// A new route is documented in the YAML file of its API (docs/openapi.md
// says how); a route the tests call that no document describes fails them.
package openapi

import "embed"

// Files are the documents, by file name.
//
//go:embed *.yaml
var Files embed.FS

// Document is one API's description.
type Document struct {
	File   string // the file in Files, served as /openapi/<File>
	Title  string
	Prefix string // the paths it describes start with this
}

// Documents lists every document; where two share a prefix, the first
// that has a route is the one that describes it.
func Documents() []Document {
	return []Document{
		{"influxdb.yaml", "InfluxDB OSS v2 (sessiond's subset)", "/api/v2"},
		{"management.yaml", "sessiond management", "/api/v2"},
		{"rocketchat.yaml", "Rocket.Chat REST (sessiond's subset)", "/api/v1"},
		{"tenant.yaml", "WebmixHub tenant auth", "/auth"},
		{"otp.yaml", "WebmixHub tenant OTP module", "/otp"},
		{"root.yaml", "Health, readiness, ping and metrics", "/"},
	}
}
