package rocketapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

var errTooLarge = &auth.Error{Code: auth.ETooLarge, Msg: "request body is too large"}

// params are a request's body or query parameters as Rocket.Chat's router
// sees them: JSON values (float64 for numbers), or strings from a form.
type params map[string]any

// bodyParams reads a POST body as Rocket.Chat's router does: JSON for
// application/json, form fields for application/x-www-form-urlencoded and
// multipart/form-data; any other type is read as JSON when it looks like
// JSON, else as no parameters. An empty body is no parameters. Unlike
// Rocket.Chat, malformed JSON is a 400 (EInvalid) instead of being read as
// {}, and so is what the shared strict decoder refuses (invalid UTF-8,
// lone surrogates, a key named twice) and a form field that is not UTF-8;
// a body over the size cap is ETooLarge.
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
		if err := httpkit.ValidForm(r.MultipartForm.Value); err != nil {
			return nil, err
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
		if err := httpkit.ValidForm(v); err != nil {
			return nil, err
		}
		return formParams(v), nil
	case mt == "application/json" || trimmed[0] == '{':
		return jsonParams(trimmed)
	}
	return params{}, nil
}

// jsonParams reads a JSON body with the shared strict decoder; it must be
// an object.
func jsonParams(b []byte) (params, error) {
	var p params
	if err := httpkit.UnmarshalJSON(b, &p); err != nil {
		return nil, err
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

// queryParams returns the query as params; a parameter that is not UTF-8
// is refused (EInvalid).
func queryParams(r *http.Request) (params, error) {
	q := r.URL.Query()
	if err := httpkit.ValidForm(q); err != nil {
		return nil, err
	}
	return formParams(q), nil
}

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
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		return jsonNumber(strings.TrimSpace(x))
	}
	return 0, false
}

// jsonNumber reads s when it is a JSON number, as ajv's coercion does.
func jsonNumber(s string) (float64, bool) {
	var f float64
	if s == "" || httpkit.UnmarshalJSON([]byte(s), &f) != nil {
		return 0, false
	}
	return f, true
}
