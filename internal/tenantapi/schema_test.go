package tenantapi_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// validate checks body against testdata/schema/<name>.json. The schemas
// use a small subset of JSON Schema (type, required, properties,
// additionalProperties, items, const, enum, minLength, pattern, and $ref
// to a sibling file by name), which this checker implements; keeping it
// here avoids a module dependency for tests alone.
func validate(t *testing.T, name, body string) {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("schema %s: body is not JSON: %v", name, err)
	}
	if problems := checkSchema(t, loadSchema(t, name), doc, "$"); len(problems) > 0 {
		t.Fatalf("body does not match schema %s:\n%v\nbody: %s", name, problems, body)
	}
}

func loadSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "schema", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("schema %s: %v", name, err)
	}
	return s
}

func checkSchema(t *testing.T, s map[string]any, v any, at string) []string {
	if ref, ok := s["$ref"].(string); ok {
		return checkSchema(t, loadSchema(t, ref), v, at)
	}
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, at+": "+fmt.Sprintf(format, args...)) }
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("want %v, got %v", c, v)
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) }) {
		fail("%v is not one of %v", v, enum)
	}
	if typ, ok := s["type"].(string); ok && !hasType(v, typ) {
		fail("want type %s, got %T", typ, v)
		return bad
	}
	switch x := v.(type) {
	case string:
		if n, ok := s["minLength"].(float64); ok && len(x) < int(n) {
			fail("shorter than %v", n)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			fail("%q does not match %s", x, p)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, el := range x {
				bad = append(bad, checkSchema(t, items, el, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case map[string]any:
		for _, r := range asList(s["required"]) {
			if _, ok := x[r]; !ok {
				fail("missing %q", r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, el := range x {
			if ps, ok := props[k].(map[string]any); ok {
				bad = append(bad, checkSchema(t, ps, el, at+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("unexpected property %q", k)
				}
			case map[string]any:
				bad = append(bad, checkSchema(t, ap, el, at+"."+k)...)
			}
		}
	}
	return bad
}

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "null":
		return v == nil
	}
	return false
}

func asList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// TestSchemaChecker makes sure the checker refuses what it must, so a
// passing validation means something.
func TestSchemaChecker(t *testing.T) {
	meta := `"meta":{"requestId":"r","timestamp":"2025-01-15T10:30:00.000Z"}`
	tests := []struct {
		name, schema, body string
		ok                 bool
	}{
		{"logout ok", "logout", `{` + meta + `,"data":{"success":true}}`, true},
		{"logout false", "logout", `{` + meta + `,"data":{"success":false}}`, false},
		{"logout extra field", "logout", `{` + meta + `,"data":{"success":true,"x":1}}`, false},
		{"timestamp without millis", "logout", `{"meta":{"requestId":"r","timestamp":"2025-01-15T10:30:00Z"},"data":{"success":true}}`, false},
		{"refresh with newUser", "refresh", `{` + meta + `,"data":{"accessToken":"eyJa.b.c","accessTokenExpireAt":"2025-01-15T10:30:00.000Z","refreshToken":"eyJa.b.c","refreshTokenExpireAt":"2025-01-15T10:30:00.000Z","userId":"u","newUser":true}}`, false},
		{"signin without newUser", "signin", `{` + meta + `,"data":{"accessToken":"eyJa.b.c","accessTokenExpireAt":"2025-01-15T10:30:00.000Z","refreshToken":"eyJa.b.c","refreshTokenExpireAt":"2025-01-15T10:30:00.000Z","userId":"u"}}`, false},
		{"error status string", "error", `{` + meta + `,"error":{"message":"m","code":"X","status":"403"}}`, false},
		{"error validation", "error", `{` + meta + `,"error":{"message":"m","code":"VALIDATION_ERROR","status":400,"validation":{"email":["bad"]}}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			json.Unmarshal([]byte(tt.body), &doc)
			got := len(checkSchema(t, loadSchema(t, tt.schema), doc, "$")) == 0
			if got != tt.ok {
				t.Fatalf("valid = %v, want %v", got, tt.ok)
			}
		})
	}
}
