package influxapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// The routes in this file are sessiond's own hardening: operators list
// and clear sign-in lockouts and end every session at once.

// errCrossOrigin answers a cookie-authenticated state change sent from
// another origin.
var errCrossOrigin = apiError{codeForbidden, "cross-origin request refused"}

// crossOrigin reports whether r is a browser request from another origin
// (Sec-Fetch-Site, else Origin against Host). Requests without either
// header, such as those of the InfluxDB clients, are same-origin; so are
// safe methods.
func (h *Handler) crossOrigin(r *http.Request) bool {
	return h.cop.Check(r) != nil
}

// withActor names the caller on the request context for audit events.
func withActor(r *http.Request, c *caller) *http.Request {
	a := auth.Actor{UserID: c.user.ID, TenantID: c.user.TenantID}
	if c.session != nil {
		a.SessionID = c.session.ID
	}
	if c.token != nil {
		a.TokenID = c.token.ID
	}
	return httpkit.SetActor(r, a)
}

type lockoutResponse struct {
	Key      string     `json:"key"`
	Kind     string     `json:"kind"`
	TenantID string     `json:"tenantID,omitempty"`
	UserID   string     `json:"userID,omitempty"`
	UserName string     `json:"userName,omitempty"`
	IP       string     `json:"ip,omitempty"`
	Failures int        `json:"failures"`
	Locked   bool       `json:"locked"`
	Until    *time.Time `json:"until,omitempty"`
	Strikes  int        `json:"strikes"`
}

type lockoutPolicyResponse struct {
	AccountLimit int    `json:"accountLimit"`
	IPLimit      int    `json:"ipLimit"`
	Window       string `json:"window"`
	MaxLock      string `json:"maxLock"`
}

type lockoutsResponse struct {
	Links    map[string]string     `json:"links"`
	Policy   lockoutPolicyResponse `json:"policy"`
	Lockouts []lockoutResponse     `json:"lockouts"`
}

// handleListLockouts is GET /api/v2/lockouts: every account, unknown login
// and client address with failed sign-ins or a lock, for operators.
func (h *Handler) handleListLockouts(w http.ResponseWriter, r *http.Request, c *caller) {
	if !c.can("read", "users", "") {
		writeError(w, denied("read", "users", ""), true)
		return
	}
	list, err := h.svc.Lockouts(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.svc.LockoutPolicy()
	out := lockoutsResponse{
		Links:    map[string]string{"self": "/api/v2/lockouts"},
		Policy:   lockoutPolicyResponse{p.AccountLimit, p.IPLimit, p.Window.String(), p.MaxLock.String()},
		Lockouts: make([]lockoutResponse, 0, len(list)),
	}
	for _, l := range list {
		lr := lockoutResponse{Key: l.Key, Kind: l.Kind, TenantID: l.TenantID, UserID: l.UserID, IP: l.IP, Failures: l.Failures, Locked: l.Locked, Strikes: l.Strikes}
		if !l.Until.IsZero() {
			until := l.Until.UTC()
			lr.Until = &until
		}
		if l.UserID != "" {
			if u, err := h.svc.User(r.Context(), l.TenantID, l.UserID); err == nil {
				lr.UserName = u.Name
			}
		}
		out.Lockouts = append(out.Lockouts, lr)
	}
	respond(w, http.StatusOK, out)
}

// handleClearLockout is DELETE /api/v2/lockouts/{key...}: it forgets one
// key's failures and lock.
func (h *Handler) handleClearLockout(w http.ResponseWriter, r *http.Request, c *caller) {
	if !c.can("write", "users", "") {
		writeError(w, denied("write", "users", ""), true)
		return
	}
	if err := h.svc.ClearLockout(r.Context(), r.PathValue("key")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleClearLockouts is DELETE /api/v2/lockouts: it clears every listed
// lockout.
func (h *Handler) handleClearLockouts(w http.ResponseWriter, r *http.Request, c *caller) {
	if !c.can("write", "users", "") {
		writeError(w, denied("write", "users", ""), true)
		return
	}
	list, err := h.svc.Lockouts(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, l := range list {
		if err := h.svc.ClearLockout(r.Context(), l.Key); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleRevokeAllSessions is DELETE /api/v2/sessions: an admin ends every
// session of the default tenant, or with ?allTenants=true of every tenant
// (the caller's own included). With ?userID= it ends that user's sessions
// only, as DELETE /api/v2/users/{id}/sessions does, for whoever may write
// that user.
func (h *Handler) handleRevokeAllSessions(w http.ResponseWriter, r *http.Request, c *caller) {
	q := r.URL.Query()
	if _, ok := q["userID"]; ok {
		h.revokeSessionsOf(w, r, c, q)
		return
	}
	if !c.can("write", "users", "") {
		writeError(w, denied("write", "users", ""), true)
		return
	}
	scope := tenant
	switch q.Get("allTenants") {
	case "", "false":
	case "true":
		scope = ""
	default:
		writeError(w, apiError{codeInvalid, "allTenants must be true or false"}, true)
		return
	}
	n, err := h.svc.RevokeAllSessions(r.Context(), scope)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("all sessions revoked", "request_id", httpkit.RequestID(r.Context()), "count", n, "all_tenants", scope == "")
	w.WriteHeader(http.StatusNoContent)
}

// revokeSessionsOf is DELETE /api/v2/sessions?userID=: one user's
// sessions, never more. A userID that is empty, given twice or not an
// ID is refused, as is allTenants beside it: a user belongs to one tenant.
func (h *Handler) revokeSessionsOf(w http.ResponseWriter, r *http.Request, c *caller, q url.Values) {
	ids := q["userID"]
	if len(ids) != 1 || !auth.ValidID(ids[0]) {
		writeError(w, apiError{codeInvalid, "userID must be one user ID"}, true)
		return
	}
	if v := q.Get("allTenants"); v != "" && v != "false" {
		writeError(w, apiError{codeInvalid, "userID and allTenants cannot be combined"}, true)
		return
	}
	id := ids[0]
	if !c.can("write", "users", id) {
		writeError(w, denied("write", "users", id), true)
		return
	}
	if _, err := h.svc.User(r.Context(), tenant, id); err != nil {
		h.userFail(w, r, err)
		return
	}
	if _, err := h.svc.RevokeUserSessions(r.Context(), tenant, id, ""); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
