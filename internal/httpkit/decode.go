package httpkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
)

// MaxBody is the default cap on request bodies.
const MaxBody = 64 << 10

// DecodeJSON reads one JSON object from r's body into v, refusing bodies
// over max bytes (ETooLarge), unknown fields, trailing data and malformed
// JSON (EInvalid, with a message that names the problem but echoes no
// value). An empty body is EInvalid too unless allowEmpty is set.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, max int64, allowEmpty bool) error {
	if max <= 0 {
		max = MaxBody
	}
	body := http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return auth.Errorf(auth.EInvalid, "request body must hold a single JSON object")
		}
		if _, err := dec.Token(); err != io.EOF {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return tooLarge(max)
			}
			return auth.Errorf(auth.EInvalid, "request body must hold a single JSON object")
		}
		return nil
	}
	return jsonError(err, max, allowEmpty)
}

func tooLarge(max int64) error {
	return &auth.Error{Code: auth.ETooLarge, Msg: fmt.Sprintf("request body is larger than %d bytes", max)}
}

func jsonError(err error, max int64, allowEmpty bool) error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return tooLarge(max)
	case errors.Is(err, io.EOF):
		if allowEmpty {
			return nil
		}
		return auth.Errorf(auth.EInvalid, "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return auth.Errorf(auth.EInvalid, "request body is not valid JSON: unexpected end")
	case errors.As(err, &syntax):
		return auth.Errorf(auth.EInvalid, "request body is not valid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return auth.Errorf(auth.EInvalid, "field %q must be of type %s", typ.Field, typ.Type)
		}
		return auth.Errorf(auth.EInvalid, "request body must be a JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return auth.Errorf(auth.EInvalid, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return auth.Errorf(auth.EInvalid, "request body could not be read")
}
