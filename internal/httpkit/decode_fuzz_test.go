package httpkit_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// target has the field types the dialects decode into.
type target struct {
	Name     *string           `json:"name"`
	Password *string           `json:"password"`
	Count    int64             `json:"count"`
	Active   bool              `json:"active"`
	Tags     []string          `json:"tags"`
	Links    map[string]string `json:"links"`
	Nested   *struct {
		ID string `json:"id"`
	} `json:"nested"`
}

// FuzzDecodeJSON: any body gives nil or an EInvalid/ETooLarge error whose
// message echoes no part of the body, and never a panic. The seed corpus
// is in testdata/fuzz/FuzzDecodeJSON.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"x"}`, `{}`, ``, `[]`, `{"name":1}`, `{"unknown":true}`, `{"a":"b"} {}`, `{"tags":["a",`, "\x00", `{"count":1e400}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		w := httptest.NewRecorder()
		var v target
		err := httpkit.DecodeJSON(w, r, &v, 1024, false)
		if err == nil {
			return
		}
		var e *auth.Error
		if !errors.As(err, &e) {
			t.Fatalf("not an *auth.Error: %T %v", err, err)
		}
		if e.Code != auth.EInvalid && e.Code != auth.ETooLarge {
			t.Fatalf("code %q for %q", e.Code, body)
		}
		// Field names from the struct may appear; values from the body
		// must not (they could be passwords).
		if len(body) >= 12 && strings.Contains(e.Msg, body) {
			t.Fatalf("message %q echoes the body", e.Msg)
		}
	})
}
