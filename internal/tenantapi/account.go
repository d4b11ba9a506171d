package tenantapi

import (
	"encoding/json"
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// Terminate strategies.
const (
	strategySoft = "soft" // suspended: data kept, recoverable by an operator
	strategyHard = "hard" // terminated: final
)

const maxReason = 1000 // longest terminate reason accepted

// handleLogout is GET /auth/logout: the user's status becomes logged_out.
// No token is invalidated; the next request with the access token marks
// the user logged in again (seed 003).
func (h *Handler) handleLogout(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.user == nil {
		h.fail(w, r, errMissingUser)
		return
	}
	if rq.status != auth.PresenceLoggedOut {
		if err := h.svc.SetPresence(r.Context(), rq.tenant.ID, rq.user.ID, auth.PresenceLoggedOut); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.respond(w, r, http.StatusOK, successResponse{Success: true})
}

// handleTerminate is POST /auth/terminate {reason, strategy}: soft
// suspends the account, hard terminates it; either ends all its sessions,
// so every token of the user stops working at once.
func (h *Handler) handleTerminate(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.user == nil {
		h.fail(w, r, errMissingUser)
		return
	}
	f, err := h.decode(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reason := f.str("reason", true)
	strategy := f.oneOf("strategy", []string{strategySoft, strategyHard})
	if len(reason) > maxReason {
		f.problem("reason", "must be at most 1000 characters")
	}
	if err := f.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	state := auth.StateSuspended
	if strategy == strategyHard {
		state = auth.StateTerminated
	}
	if _, err := h.svc.UpdateUser(r.Context(), rq.tenant.ID, rq.user.ID, auth.UserUpdate{State: &state}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("tenant user terminated", "tenant", rq.tenant.ID, "user", rq.user.ID, "strategy", strategy, "reason", reason)
	h.respond(w, r, http.StatusCreated, successResponse{Success: true})
}

// handleMe is GET /auth/me: the user with their status as it stood when
// the request arrived, and the current session.
func (h *Handler) handleMe(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.user == nil {
		h.fail(w, r, errMissingUser)
		return
	}
	me := meResponse{
		User:    newUserResponse(rq.user, rq.status),
		Session: newSessionResponse(rq.session, rq.session.ID),
	}
	h.respondMe(w, r, &me)
}

// handleListSessions is GET /auth/sessions: the user's live sessions,
// newest first, with their device headers, a page at a time (page.go).
func (h *Handler) handleListSessions(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.user == nil {
		h.fail(w, r, errMissingUser)
		return
	}
	p, bad := readPage(r)
	if bad != nil {
		h.fail(w, r, validationError(bad))
		return
	}
	list, err := h.svc.UserSessions(r.Context(), rq.tenant.ID, rq.user.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	lo, hi := p.bounds(len(list))
	out := sessionsResponse{Sessions: make([]sessionResponse, 0, hi-lo), Total: len(list), Limit: p.limit, Offset: p.offset}
	for _, s := range list[lo:hi] {
		out.Sessions = append(out.Sessions, newSessionResponse(s, rq.session.ID))
	}
	h.respond(w, r, http.StatusOK, out)
}

// handleRevokeSession is DELETE /auth/sessions/{id}: it ends one of the
// user's sessions (the current one too); its tokens fail at once.
func (h *Handler) handleRevokeSession(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.user == nil {
		h.fail(w, r, errMissingUser)
		return
	}
	id := r.PathValue("id")
	if !auth.ValidID(id) {
		h.fail(w, r, errSessionNotFound)
		return
	}
	_, err := h.svc.RevokeSession(r.Context(), auth.Reach{TenantID: rq.tenant.ID, UserID: rq.user.ID}, id)
	if auth.ErrorCode(err) == auth.ENotFound {
		err = errSessionNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK, successResponse{Success: true})
}

// handleRevokeOthers is DELETE /auth/sessions: it ends every session of
// the user but the current one.
func (h *Handler) handleRevokeOthers(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.user == nil {
		h.fail(w, r, errMissingUser)
		return
	}
	n, err := h.svc.RevokeUserSessions(r.Context(), rq.tenant.ID, rq.user.ID, rq.session.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK, revokedResponse{Success: true, Revoked: n})
}

// handleJWKS is GET /auth/.well-known/jwks.json: the tenant's public keys
// that still verify, as a bare JWK Set (RFC 7517) so that JWT libraries
// read it as is.
func (h *Handler) handleJWKS(w http.ResponseWriter, r *http.Request, rq *request) {
	b, err := json.Marshal(newJWKS(h.svc.PublicKeys(rq.tenant)))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(b)
}
