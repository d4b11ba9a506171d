package server

import (
	"encoding/json"
	"io/fs"
	"net/http"

	"github.com/sessiond/sessiond/openapi"
)

// The OpenAPI 3.1 documents of every API (package openapi), served as
// kept in the repository: GET /openapi/ lists them, GET /openapi/<file>
// is one, in YAML.

type openAPIEntry struct {
	Title  string `json:"title"`
	Prefix string `json:"prefix"`
	URL    string `json:"url"`
}

func (a *App) handleOpenAPIIndex(w http.ResponseWriter, r *http.Request) {
	var out struct {
		Documents []openAPIEntry `json:"documents"`
	}
	for _, d := range openapi.Documents() {
		out.Documents = append(out.Documents, openAPIEntry{d.Title, d.Prefix, "/openapi/" + d.File})
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(append(b, '\n'))
}

func (a *App) handleOpenAPIFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	for _, d := range openapi.Documents() {
		if d.File != name {
			continue
		}
		b, err := fs.ReadFile(openapi.Files, name)
		if err != nil {
			break
		}
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(b)
		return
	}
	a.notFound(w, r)
}
