package influxapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/sessiond/sessiond/internal/auth"
)

// Session lists page as InfluxDB's lists do (kit/platform's paging):
// limit (1 to 100, 20 by default) and offset; links.next and links.prev
// name the neighbouring pages when there are any.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// page is one page of a list.
type page struct {
	offset, limit int
}

// readPage reads ?limit= and ?offset=, answering InfluxDB's 400 for a bad
// one.
func readPage(w http.ResponseWriter, q url.Values) (page, bool) {
	p := page{limit: defaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			writeError(w, apiError{codeInvalid, "limit must be between 1 and 100"}, true)
			return p, false
		}
		p.limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, apiError{codeInvalid, "offset must be a whole number"}, true)
			return p, false
		}
		p.offset = n
	}
	return p, true
}

// cut returns the page of list and whether rows follow it.
func (p page) cut(list []*auth.Session) ([]*auth.Session, bool) {
	if p.offset >= len(list) {
		return nil, false
	}
	end := min(p.offset+p.limit, len(list))
	return list[p.offset:end], end < len(list)
}

// sessionPage answers a page of sessions with links to its neighbours
// (path with the request's other query parameters).
func sessionPage(w http.ResponseWriter, r *http.Request, path string, p page, list []*auth.Session, more bool, current string) {
	links := map[string]string{"self": path}
	at := func(offset int) string {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(offset))
		q.Set("limit", strconv.Itoa(p.limit))
		return path + "?" + q.Encode()
	}
	if more {
		links["next"] = at(p.offset + p.limit)
	}
	if p.offset > 0 {
		links["prev"] = at(max(p.offset-p.limit, 0))
	}
	out := sessionsResponse{Links: links, Sessions: make([]sessionResponse, 0, len(list))}
	for _, s := range list {
		out.Sessions = append(out.Sessions, newSessionResponse(s, current))
	}
	respond(w, http.StatusOK, out)
}

// tenantSessions returns a page of the live sessions of tenant, and
// whether more follow: the store is read up to the end of the page, never
// the whole tenant.
func (h *Handler) tenantSessions(r *http.Request, tenantID string, p page) ([]*auth.Session, bool, error) {
	list, err := h.svc.ListSessions(r.Context(), auth.SessionFilter{TenantID: tenantID, Limit: p.offset + p.limit + 1})
	if err != nil {
		return nil, false, err
	}
	rows, more := p.cut(list)
	return rows, more, nil
}
