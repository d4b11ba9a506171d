package tenantapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// form is a request body read as an object, checked field by field so
// that every problem is reported at once under its field's name.
type form struct {
	raw  map[string]jsontext.Value
	seen []string
	bad  map[string][]string
}

// decode reads the body: size cap, syntax, UTF-8, keys named twice and
// trailing data are the shared strict decoder's (BAD_REQUEST or
// PAYLOAD_TOO_LARGE); fields are checked by the caller.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request) (*form, error) {
	f := &form{}
	if err := httpkit.DecodeJSON(w, r, &f.raw, h.maxBody, false); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *form) problem(field, msg string) {
	if f.bad == nil {
		f.bad = map[string][]string{}
	}
	f.bad[field] = append(f.bad[field], msg)
}

// str returns a string field; a missing or empty one is a problem when
// required.
func (f *form) str(field string, required bool) string {
	f.seen = append(f.seen, field)
	v, ok := f.raw[field]
	if !ok || string(v) == "null" {
		if required {
			f.problem(field, "is required")
		}
		return ""
	}
	var s string
	if err := httpkit.UnmarshalJSON(v, &s); err != nil {
		f.problem(field, "must be a string")
		return ""
	}
	if s == "" && required {
		f.problem(field, "must not be empty")
	}
	return s
}

// oneOf returns a string field that must be one of allowed.
func (f *form) oneOf(field string, allowed []string) string {
	s := f.str(field, true)
	if s != "" && !slices.Contains(allowed, s) {
		f.problem(field, "must be one of "+strings.Join(allowed, ", "))
		return ""
	}
	return s
}

// problems adds a problem for every field not read and returns them all,
// or nil.
func (f *form) problems() map[string][]string {
	for k := range f.raw {
		if !slices.Contains(f.seen, k) {
			f.problem(k, "is not allowed")
		}
	}
	return f.bad
}

// err returns a VALIDATION_ERROR holding every problem (unknown fields
// included), or nil.
func (f *form) err() error {
	if bad := f.problems(); bad != nil {
		return validationError(bad)
	}
	return nil
}
