package httpkit_test

import (
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// TestJSONText: JSON carried as text inside a request (method.call's
// message, a passkey's response) is held to the rules of every body, and
// the messages name what holds it rather than the body.
func TestJSONText(t *testing.T) {
	tests := []struct {
		name, text string
		want       string // the message; "" when accepted
	}{
		{"object", `{"id":"a","response":{"x":[1,"\u00e9"]}}`, ""},
		{"surrogate pair", `{"id":"\ud83d\ude00"}`, ""},
		{"member twice", `{"id":"a","id":"b"}`, `field "response" names "id" twice`},
		{"nested member twice", `{"response":{"x":1,"x":2}}`, `field "response" names "x" twice`},
		{"lone surrogate", `{"id":"\ud800"}`, `field "response" is not valid UTF-8: a \u escape names a lone surrogate`},
		{"lone low surrogate in a name", `{"\udc00":1}`, `field "response" is not valid UTF-8: a \u escape names a lone surrogate`},
		{"invalid bytes", "{\"id\":\"\xff\"}", `field "response" is not valid UTF-8`},
		{"trailing data", `{} {}`, `field "response" must hold a single JSON object`},
		{"empty", ` `, `field "response" is empty`},
		{"cut short", `{"id":`, `field "response" is not valid JSON: unexpected end`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := httpkit.ValidJSON(`field "response"`, []byte(tt.text))
			var m map[string]any
			errText := httpkit.UnmarshalJSONText(`field "response"`, []byte(tt.text), &m)
			for _, got := range []error{err, errText} {
				if tt.want == "" {
					if got != nil {
						t.Fatalf("got %v, want it accepted", got)
					}
					continue
				}
				if auth.ErrorCode(got) != auth.EInvalid || auth.ErrorMessage(got) != tt.want {
					t.Fatalf("got %v (%s), want EInvalid %q", got, auth.ErrorCode(got), tt.want)
				}
			}
		})
	}
}
