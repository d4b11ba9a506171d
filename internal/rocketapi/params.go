package rocketapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
)

var errTooLarge = &auth.Error{Code: auth.ETooLarge, Msg: "request body is too large"}

// params are a request's body or query parameters as Rocket.Chat's router
// sees them: JSON values (json.Number for numbers), or strings from a form.
type params map[string]any

// bodyParams reads a POST body as Rocket.Chat's router does: JSON for
// application/json, form fields for application/x-www-form-urlencoded and
// multipart/form-data; any other type is read as JSON when it looks like
// JSON, else as no parameters. An empty body is no parameters. Unlike
// Rocket.Chat, malformed JSON is a 400 (EInvalid) instead of being read as
// {}, and a body over the size cap is ETooLarge.
func (h *Handler) bodyParams(w http.ResponseWriter, r *http.Request) (params, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(w, r.Body, h.opt.MaxBody)
	if mt == "multipart/form-data" {
		// The cap above bounds the body; nothing is spooled to disk.
		err := r.ParseMultipartForm(h.opt.MaxBody)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		if err != nil {
			return nil, auth.Errorf(auth.EInvalid, "request body is not valid multipart form data")
		}
		return formParams(r.MultipartForm.Value), nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, auth.Errorf(auth.EInvalid, "request body could not be read")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return params{}, nil
	}
	switch {
	case mt == "application/x-www-form-urlencoded" && trimmed[0] != '{':
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, auth.Errorf(auth.EInvalid, "request body is not a valid form")
		}
		return formParams(v), nil
	case mt == "application/json" || trimmed[0] == '{':
		return jsonParams(trimmed)
	}
	return params{}, nil
}

func jsonParams(b []byte) (params, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var p params
	if err := dec.Decode(&p); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, auth.Errorf(auth.EInvalid, "request body is not valid JSON at byte %d", syn.Offset)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, auth.Errorf(auth.EInvalid, "request body is not valid JSON: unexpected end")
		}
		return nil, auth.Errorf(auth.EInvalid, "request body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, auth.Errorf(auth.EInvalid, "request body must hold a single JSON object")
	}
	if p == nil {
		return nil, auth.Errorf(auth.EInvalid, "request body must be a JSON object")
	}
	return p, nil
}

// formParams turns form fields into params the way the qs parser does for
// the cases that matter: a repeated key is a list, and "a[b]=c" is
// {a:{b:c}} (one level).
func formParams(v url.Values) params {
	p := params{}
	for k, vals := range v {
		var val any = vals[0]
		if len(vals) > 1 {
			list := make([]any, len(vals))
			for i, s := range vals {
				list[i] = s
			}
			val = list
		}
		if i := strings.IndexByte(k, '['); i > 0 && strings.HasSuffix(k, "]") && i < len(k)-2 {
			outer, inner := k[:i], k[i+1:len(k)-1]
			m, ok := p[outer].(map[string]any)
			if !ok {
				m = map[string]any{}
				p[outer] = m
			}
			m[inner] = val
			continue
		}
		p[k] = val
	}
	return p
}

// queryParams returns the query as params.
func queryParams(r *http.Request) params { return formParams(r.URL.Query()) }

// schema is the part of an ajv schema Rocket.Chat's session routes use:
// named properties of type "string" or "number", some required, and
// additionalProperties false.
type schema struct {
	props    map[string]string // name -> "string" | "number"
	required []string
}

// check validates p against s with ajv's messages, wrapped as Rocket.Chat
// wraps them: 400 "<message> [invalid-params]". Like ajv without
// allErrors, it reports the first problem: required properties, then
// unknown ones, then types.
func (s schema) check(p params) *apiError {
	for _, k := range s.required {
		if _, ok := p[k]; !ok {
			return invalidParams("must have required property '" + k + "'")
		}
	}
	for k := range p {
		if _, ok := s.props[k]; !ok {
			return invalidParams("must NOT have additional properties")
		}
	}
	for k, v := range p {
		switch s.props[k] {
		case "string":
			if _, ok := v.(string); !ok {
				return invalidParams("must be string")
			}
		case "number":
			if _, ok := number(v); !ok {
				return invalidParams("must be number")
			}
		}
	}
	return nil
}

// number reads a JSON number, or a string that ajv's coerceTypes would
// turn into one.
func number(v any) (float64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	var f float64
	if s == "" || json.Unmarshal([]byte(s), &f) != nil {
		return 0, false
	}
	return f, true
}
