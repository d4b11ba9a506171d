package httpkit_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

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
// message echoes no part of the body, and never a panic. A body it
// accepts is UTF-8, names no key twice in any object (checked here by an
// independent walk with encoding/json's tokenizer), and decodes to
// strings holding U+FFFD only where the body wrote it, so nothing was
// rewritten. The same holds for a generic value, as the Rocket.Chat
// dialect decodes, and for ValidJSON, which must take every body a
// generic value takes. The seed corpus is in testdata/fuzz/FuzzDecodeJSON.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"x"}`, `{}`, ``, `[]`, `{"name":1}`, `{"unknown":true}`, `{"a":"b"} {}`, `{"tags":["a",`, "\x00", `{"count":1e400}`,
		"{\"name\":\"\xff\xfe\"}", `{"name":"\ud800"}`, `{"name":"a","name":"b"}`, `{"links":{"a":"1","a":"2"}}`, `{"Name":"x"}`, `{"name":"\ufffd"}`, "{\"name\":\"\uFFFD\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		w := httptest.NewRecorder()
		var v target
		err := httpkit.DecodeJSON(w, r, &v, 1024, false)
		if err == nil {
			accepted(t, body)
			var strs []string
			for _, p := range []*string{v.Name, v.Password} {
				if p != nil {
					strs = append(strs, *p)
				}
			}
			strs = append(strs, v.Tags...)
			for k, x := range v.Links {
				strs = append(strs, k, x)
			}
			notRewritten(t, body, strs)
		} else {
			refused(t, body, err)
		}
		var g any
		gerr := httpkit.UnmarshalJSON([]byte(body), &g)
		if gerr == nil {
			accepted(t, body)
			notRewritten(t, body, stringsOf(g, nil))
		} else {
			refused(t, body, gerr)
		}
		// ValidJSON, the check of JSON handed to another parser, keeps
		// the same promises and takes at least what a generic value does.
		verr := httpkit.ValidJSON(`field "response"`, []byte(body))
		if verr == nil {
			accepted(t, body)
		} else {
			refused(t, body, verr)
		}
		if gerr == nil && verr != nil {
			t.Fatalf("ValidJSON refused %q (%v), which decodes as a generic value", body, verr)
		}
	})
}

// refused checks the error of a refused body.
func refused(t *testing.T, body string, err error) {
	t.Helper()
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
}

// accepted checks what the strict decoder promises of a body it took.
func accepted(t *testing.T, body string) {
	t.Helper()
	if !utf8.ValidString(body) {
		t.Fatalf("accepted a body that is not UTF-8: %q", body)
	}
	if dup, ok := duplicateKey(body); ok {
		t.Fatalf("accepted a body naming %q twice: %q", dup, body)
	}
}

// notRewritten fails when a decoded string holds U+FFFD that the body
// did not write, literally or as \ufffd: a sign that invalid UTF-8 or a
// lone surrogate was replaced.
func notRewritten(t *testing.T, body string, strs []string) {
	t.Helper()
	if strings.ContainsRune(body, utf8.RuneError) || strings.Contains(strings.ToLower(body), `\ufffd`) {
		return
	}
	for _, s := range strs {
		if strings.ContainsRune(s, utf8.RuneError) {
			t.Fatalf("decoded %q from %q: something was rewritten", s, body)
		}
	}
}

// duplicateKey walks body with encoding/json's tokenizer and reports a
// key that appears twice in one object.
func duplicateKey(body string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next token of an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k := tok.(string)
			if top.keys[k] {
				return k, true
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the object around it expects a key again.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
	}
}

// stringsOf collects every string (keys too) of a decoded value.
func stringsOf(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, y := range x {
			out = stringsOf(y, out)
		}
	case map[string]any:
		for k, y := range x {
			out = stringsOf(y, append(out, k))
		}
	}
	return out
}
