package influxapi

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// The routes in this file are sessiond's own, in InfluxDB's style: one
// list of sessions per user, whichever API signed them in.

func currentID(c *caller) string {
	if c.session != nil {
		return c.session.ID
	}
	return ""
}

// handleListSessions is GET /api/v2/sessions[?userID=]: an admin sees
// every session of the tenant (ordered by ID) or one user's (newest
// first), anyone else their own; a page at a time (page.go).
func (h *Handler) handleListSessions(w http.ResponseWriter, r *http.Request, c *caller) {
	q := r.URL.Query()
	userID := q.Get("userID")
	admin := c.can("read", "users", "")
	if !admin {
		if userID != "" && userID != c.user.ID {
			writeError(w, denied("read", "users", userID), true)
			return
		}
		userID = c.user.ID
	}
	p, ok := readPage(w, q)
	if !ok {
		return
	}
	var (
		rows []*auth.Session
		more bool
		err  error
	)
	if userID != "" {
		var list []*auth.Session
		list, err = h.svc.UserSessions(r.Context(), tenant, userID)
		rows, more = p.cut(list)
	} else {
		rows, more, err = h.tenantSessions(r, tenant, p)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sessionPage(w, r, "/api/v2/sessions", p, rows, more, currentID(c))
}

// handleRevokeSession is DELETE /api/v2/sessions/{id}: the operator
// (write:orgs, which manages the tenants) ends any session of any tenant,
// whichever API made it; an admin (write:users) any of the default
// tenant; anyone else only their own. Others' look absent.
func (h *Handler) handleRevokeSession(w http.ResponseWriter, r *http.Request, c *caller) {
	reach := auth.Reach{TenantID: tenant, UserID: c.user.ID, Admin: c.can("write", "users", ""), Operator: c.can("write", "orgs", "")}
	if _, err := h.svc.RevokeSession(r.Context(), reach, r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleRevokeUserSessions is DELETE /api/v2/users/{id}/sessions: it ends
// every session of the user (but the caller's, with ?keepCurrent=true).
func (h *Handler) handleRevokeUserSessions(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetUser(w, r, c, "write")
	if !ok {
		return
	}
	if _, err := h.svc.User(r.Context(), tenant, id); err != nil {
		h.fail(w, r, err)
		return
	}
	// ?keepCurrent=true ends every session but the caller's own: "sign
	// out everywhere else".
	except := ""
	switch r.URL.Query().Get("keepCurrent") {
	case "", "false":
	case "true":
		if c.session != nil && c.session.UserID == id {
			except = c.session.ID
		}
	default:
		writeError(w, apiError{codeInvalid, "keepCurrent must be true or false"}, true)
		return
	}
	if _, err := h.svc.RevokeUserSessions(r.Context(), tenant, id, except); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
