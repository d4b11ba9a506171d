package rocketapi

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// The parameter schemas of the device-management routes. Every other key
// is refused, as ajv's additionalProperties:false refuses it.
var (
	listSchema = schema{props: map[string]string{"offset": "number", "count": "number", "filter": "string", "sort": "string"}}
	idSchema   = schema{props: map[string]string{"sessionId": "string"}, required: []string{"sessionId"}}
)

// handleList is GET /api/v1/sessions/list: the caller's live sessions,
// whichever API signed them in.
func (h *Handler) handleList(w http.ResponseWriter, r *http.Request, c *caller) {
	h.list(w, r, c, false)
}

// handleListAll is GET /api/v1/sessions/list.all: every live session of
// the default tenant, with its user.
func (h *Handler) handleListAll(w http.ResponseWriter, r *http.Request, c *caller) {
	h.list(w, r, c, true)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, c *caller, all bool) {
	p, err := queryParams(r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	q, e := readListQuery(p)
	if e != nil {
		writeError(w, e)
		return
	}
	var list []*auth.Session
	if all {
		list, err = h.svc.ListSessions(r.Context(), auth.SessionFilter{TenantID: tenant})
	} else {
		list, err = h.svc.UserSessions(r.Context(), tenant, c.user.ID)
	}
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	rows := make([]sessionRow, 0, len(list))
	users := map[string]*sessionUser{}
	for _, s := range list {
		row := newRow(s, c.session.ID)
		if all {
			if row.User, err = h.sessionUser(r, users, s.UserID); err != nil {
				h.failErr(w, r, err, nil)
				return
			}
		}
		rows = append(rows, row)
	}
	rows = q.apply(rows)
	respond(w, http.StatusOK, listResponse{Sessions: q.page(rows), Total: len(rows), Count: q.count, Offset: q.offset, Success: true})
}

// sessionUser returns the _user of a list.all row, looked up once per
// user; nil when the user is gone.
func (h *Handler) sessionUser(r *http.Request, seen map[string]*sessionUser, id string) (*sessionUser, error) {
	if su, ok := seen[id]; ok {
		return su, nil
	}
	u, err := h.svc.User(r.Context(), tenant, id)
	if auth.ErrorCode(err) == auth.ENotFound {
		seen[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	su := &sessionUser{Name: u.Name, Username: u.Name}
	seen[id] = su
	return su, nil
}

// sessionID validates params against idSchema and returns the ID.
func sessionID(p params) (string, *apiError) {
	if e := idSchema.check(p); e != nil {
		return "", e
	}
	return p["sessionId"].(string), nil
}

// reach is who the caller's session routes reach: their own sessions, or
// for an admin (who runs this Rocket.Chat, the server's operator) every
// session of every tenant, whichever API made it.
func reach(c *caller, admin bool) auth.Reach {
	return auth.Reach{TenantID: tenant, UserID: c.user.ID, Operator: admin && c.user.Admin}
}

// handleInfo is GET /api/v1/sessions/info?sessionId=: one of the caller's
// sessions. Another user's looks absent.
func (h *Handler) handleInfo(w http.ResponseWriter, r *http.Request, c *caller) {
	p, err := queryParams(r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	id, e := sessionID(p)
	if e != nil {
		writeError(w, e)
		return
	}
	s, err := h.svc.SessionFor(r.Context(), reach(c, false), id)
	if err != nil {
		h.failErr(w, r, err, errNoSession)
		return
	}
	respond(w, http.StatusOK, newInfo(s))
}

// handleInfoAdmin is GET /api/v1/sessions/info.admin?sessionId=: any
// session, with its user. sessionId is the exact ID, not a pattern as in
// Rocket.Chat.
func (h *Handler) handleInfoAdmin(w http.ResponseWriter, r *http.Request, c *caller) {
	p, err := queryParams(r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	id, e := sessionID(p)
	if e != nil {
		writeError(w, e)
		return
	}
	s, err := h.svc.SessionFor(r.Context(), reach(c, true), id)
	if err != nil {
		h.failErr(w, r, err, errNoSession)
		return
	}
	row := newRow(s, c.session.ID)
	if row.User, err = h.sessionUser(r, map[string]*sessionUser{}, s.UserID); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, infoAdminResponse{sessionRow: row, Success: true})
}

// handleLogoutMe is POST /api/v1/sessions/logout.me {sessionId}: it ends
// one of the caller's sessions, whichever API made it; its token fails
// from the next request on. Another user's session, or an unknown one, is
// "Session not found".
func (h *Handler) handleLogoutMe(w http.ResponseWriter, r *http.Request, c *caller) {
	h.logout(w, r, reach(c, false))
}

// handleLogoutAdmin is POST /api/v1/sessions/logout {sessionId}: it ends
// any session, of any tenant and whichever API made it.
func (h *Handler) handleLogoutAdmin(w http.ResponseWriter, r *http.Request, c *caller) {
	h.logout(w, r, reach(c, true))
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, by auth.Reach) {
	p, err := h.bodyParams(w, r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	id, e := sessionID(p)
	if e != nil {
		writeError(w, e)
		return
	}
	if _, err := h.svc.RevokeSession(r.Context(), by, id); err != nil {
		h.failErr(w, r, err, errNoSession)
		return
	}
	respond(w, http.StatusOK, sessionIDResponse{SessionID: id, Success: true})
}
