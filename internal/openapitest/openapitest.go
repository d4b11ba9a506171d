// Package openapitest checks live answers against sessiond's OpenAPI
// documents (package openapi): Wrap puts a checker around a server's
// handler in an end-to-end test, and every answer the test gets must be
// one its document describes — the status, the headers and the body's
// schema. A route no document describes may only answer a routing miss.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/sessiond/sessiond/openapi"
)

// Doc is one loaded, validated document with its router.
type Doc struct {
	openapi.Document
	T      *openapi3.T
	router routers.Router
}

var (
	loadOnce sync.Once
	loaded   []Doc
	loadErr  error
)

// Load returns every document, loaded and validated once per test
// binary.
func Load() ([]Doc, error) {
	loadOnce.Do(func() {
		for _, d := range openapi.Documents() {
			b, err := fs.ReadFile(openapi.Files, d.File)
			if err != nil {
				loadErr = err
				return
			}
			loader := openapi3.NewLoader()
			t, err := loader.LoadFromData(b)
			if err != nil {
				loadErr = fmt.Errorf("%s: %w", d.File, err)
				return
			}
			if err := t.Validate(context.Background()); err != nil {
				loadErr = fmt.Errorf("%s: %w", d.File, err)
				return
			}
			r, err := gorillamux.NewRouter(t)
			if err != nil {
				loadErr = fmt.Errorf("%s: %w", d.File, err)
				return
			}
			loaded = append(loaded, Doc{Document: d, T: t, router: r})
		}
	})
	return loaded, loadErr
}

// Wrap returns h with every answer checked against the documents; a
// mismatch fails t.
func Wrap(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	docs, err := Load()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if skipped(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		probe := r.Clone(r.Context())
		probe.Body = http.NoBody
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if err := Check(docs, probe, rec.status, rec.Header(), rec.body.Bytes()); err != nil {
			t.Errorf("openapi: %s %s answered %d, which its document does not describe: %v\nbody: %.400s", r.Method, r.URL.Path, rec.status, err, rec.body.String())
		}
	})
}

// skipped are the paths no document describes by design: the account
// pages (HTML for people) and the documents themselves.
func skipped(path string) bool {
	return strings.HasPrefix(path, "/ui/") || strings.HasPrefix(path, "/openapi/")
}

// Check reports whether an answer to req is one the documents describe.
func Check(docs []Doc, req *http.Request, status int, header http.Header, body []byte) error {
	for _, d := range docs {
		if !strings.HasPrefix(req.URL.Path, d.Prefix) {
			continue
		}
		route, params, err := d.router.FindRoute(req)
		if err != nil {
			continue
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 status,
			Header:                 header,
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		in.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
			return fmt.Errorf("%s, %s: %w", d.File, route.Operation.OperationID, err)
		}
		return nil
	}
	// No document has the route: only a routing miss may answer it.
	if status == http.StatusNotFound || status == http.StatusMethodNotAllowed ||
		status == http.StatusUnauthorized && strings.HasPrefix(req.URL.Path, "/api/v2") {
		return nil
	}
	return fmt.Errorf("no document describes %s %s", req.Method, req.URL.Path)
}

// recorder passes an answer through while keeping a copy.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
