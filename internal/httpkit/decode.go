package httpkit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/sessiond/sessiond/internal/auth"
)

// MaxBody is the default cap on request bodies.
const MaxBody = 64 << 10

// DecodeJSON reads one JSON value from r's body into v with the rules of
// UnmarshalJSON, refusing bodies over max bytes (ETooLarge). An empty
// body is EInvalid too unless allowEmpty is set.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, max int64, allowEmpty bool) error {
	if max <= 0 {
		max = MaxBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(max)
		}
		return auth.Errorf(auth.EInvalid, "request body could not be read")
	}
	if allowEmpty && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return UnmarshalJSON(body, v)
}

// UnmarshalJSON is the one JSON decoder of every API. It reads exactly
// one JSON value from b into v and refuses, as EInvalid with a message
// that names the problem but echoes no value:
//   - bytes that are not UTF-8, and \u escapes of lone surrogates, rather
//     than rewriting them to U+FFFD (two different passwords must never
//     become the same one);
//   - an object that names a member twice, rather than keeping the last
//     (a proxy that keeps the first must not see another request);
//   - members a struct does not declare, matched exactly, case included;
//   - malformed JSON, values of the wrong type, trailing data, and an
//     empty body.
//
// Numbers decoded into an interface become float64.
func UnmarshalJSON(b []byte, v any) error { return unmarshalJSON("request body", b, v) }

// UnmarshalJSONText is UnmarshalJSON for JSON that a request carries as
// text inside another value (a JSON string member, a form field): the
// same rules, with messages naming what holds it (such as
// `field "message"`) rather than the request body.
func UnmarshalJSONText(what string, b []byte, v any) error { return unmarshalJSON(what, b, v) }

// ValidJSON checks JSON text that a request carries for another parser
// (such as a passkey's response, read by go-webauthn with encoding/json)
// by the rules of UnmarshalJSON, so that what that parser would rewrite or
// resolve (invalid UTF-8, a lone surrogate, a member named twice) is
// refused first. Messages name what, as UnmarshalJSONText's do.
func ValidJSON(what string, b []byte) error {
	var v jsontext.Value
	return unmarshalJSON(what, b, &v)
}

func unmarshalJSON(what string, b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return auth.Errorf(auth.EInvalid, "%s is empty", what)
	}
	if !utf8.Valid(b) {
		return auth.Errorf(auth.EInvalid, "%s is not valid UTF-8", what)
	}
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	if err := json.UnmarshalDecode(dec, v, json.RejectUnknownMembers(true)); err != nil {
		return jsonError(what, err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return auth.Errorf(auth.EInvalid, "%s must hold a single JSON object", what)
	}
	return nil
}

func tooLarge(max int64) error {
	return &auth.Error{Code: auth.ETooLarge, Msg: fmt.Sprintf("request body is larger than %d bytes", max)}
}

// jsonError turns a decoding error of what into an EInvalid error.
func jsonError(what string, err error) error {
	var (
		syn *jsontext.SyntacticError
		sem *json.SemanticError
	)
	switch {
	case errors.As(err, &syn):
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return auth.Errorf(auth.EInvalid, "%s names %s twice", what, memberName(syn.JSONPointer))
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			return auth.Errorf(auth.EInvalid, "%s is not valid JSON: unexpected end", what)
		case strings.Contains(syn.Err.Error(), "surrogate"):
			return auth.Errorf(auth.EInvalid, "%s is not valid UTF-8: a \\u escape names a lone surrogate", what)
		}
		return auth.Errorf(auth.EInvalid, "%s is not valid JSON at byte %d", what, syn.ByteOffset)
	case errors.As(err, &sem):
		if errors.Is(sem.Err, json.ErrUnknownName) {
			return auth.Errorf(auth.EInvalid, "unknown field %s", memberName(sem.JSONPointer))
		}
		if sem.JSONPointer == "" {
			return auth.Errorf(auth.EInvalid, "%s must be a JSON object", what)
		}
		if sem.GoType != nil {
			return auth.Errorf(auth.EInvalid, "field %s must be of type %s", fieldPath(sem.JSONPointer), sem.GoType)
		}
		return auth.Errorf(auth.EInvalid, "field %s has an invalid value", fieldPath(sem.JSONPointer))
	}
	return auth.Errorf(auth.EInvalid, "%s could not be read", what)
}

// maxNameEcho is the longest member name an error message repeats.
const maxNameEcho = 64

// memberName is the last member name of p, quoted, for a message; a long
// one is left out.
func memberName(p jsontext.Pointer) string {
	name := p.LastToken()
	if name == "" || len(name) > maxNameEcho {
		return "a member"
	}
	return fmt.Sprintf("%q", name)
}

// fieldPath is p as the dotted path encoding/json used to name a field
// ("permissions.0.action"), quoted; a long one is left out.
func fieldPath(p jsontext.Pointer) string {
	var parts []string
	for tok := range p.Tokens() {
		parts = append(parts, tok)
	}
	path := strings.Join(parts, ".")
	if len(path) > maxNameEcho {
		return "of the body"
	}
	return fmt.Sprintf("%q", path)
}

// ValidForm refuses form fields (names or values) that are not UTF-8, as
// EInvalid, rather than letting them reach a check that would compare or
// store them. The message names the field when its name is UTF-8.
func ValidForm(v url.Values) error {
	for k, vals := range v {
		if !utf8.ValidString(k) {
			return auth.Errorf(auth.EInvalid, "a form field name is not valid UTF-8")
		}
		for _, s := range vals {
			if !utf8.ValidString(s) {
				if len(k) > maxNameEcho {
					return auth.Errorf(auth.EInvalid, "a form field is not valid UTF-8")
				}
				return auth.Errorf(auth.EInvalid, "form field %q is not valid UTF-8", k)
			}
		}
	}
	return nil
}
