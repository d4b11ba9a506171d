package rocketapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
)

// userRoutes mounts the users.* routes of personal access tokens, 2FA
// and logging out, and the 2FA methods of method.call.
func (h *Handler) userRoutes(mux *http.ServeMux) {
	h.handle(mux, "POST", "users.generatePersonalAccessToken", user, h.twoFactor(h.handleGenerateToken, false))
	h.handle(mux, "POST", "users.regeneratePersonalAccessToken", user, h.twoFactor(h.handleRegenerateToken, false))
	h.handle(mux, "POST", "users.removePersonalAccessToken", user, h.twoFactor(h.handleRemoveToken, false))
	h.handle(mux, "GET", "users.getPersonalAccessTokens", user, h.handleListTokens)
	h.handle(mux, "POST", "users.logoutOtherClients", user, h.handleLogoutOtherClients)
	h.handle(mux, "POST", "users.removeOtherTokens", user, h.handleRemoveOtherTokens)
	h.handle(mux, "POST", "users.logout", user, h.handleUsersLogout)
	h.handle(mux, "POST", "users.2fa.enableEmail", user, h.handleEnableEmail)
	h.handle(mux, "POST", "users.2fa.disableEmail", user, h.twoFactor(h.handleDisableEmail, true))
	h.handle(mux, "POST", "users.2fa.sendEmailCode", public, h.handleSendEmailCode)
	h.handle(mux, "POST", "users.resetTOTP", user, h.twoFactor(h.handleResetTOTP, true))
	h.handle(mux, "POST", "method.call/{method}", user, h.handleMethodCall)
}

// authenticateToken finds the caller of a personal access token. The
// caller's session stands for the token (its ID, no expiry), so that the
// rest of the dialect treats both alike.
func (h *Handler) authenticateToken(ctx context.Context, uid, tok string) (*caller, error) {
	t, u, err := h.svc.AuthenticatePersonalToken(ctx, tok)
	if err != nil {
		if code := auth.ErrorCode(err); code == auth.EInactive || code == auth.EUnauthorized {
			return nil, auth.ErrUnauthenticated
		}
		return nil, err
	}
	if t.UserID != uid || t.TenantID != tenant {
		return nil, auth.ErrUnauthenticated
	}
	s := &auth.Session{ID: t.ID, UserID: u.ID, TenantID: u.TenantID, Origin: auth.OriginRocket, CreatedAt: t.CreatedAt}
	return &caller{user: u, session: s, token: tok, pat: t}, nil
}

type tokenResponse struct {
	Token   string `json:"token"`
	Success bool   `json:"success"`
}

type successResponse struct {
	Success bool `json:"success"`
}

var okBody = successResponse{Success: true}

// tokenName reads tokenName, answering Rocket.Chat's failure when it is
// missing.
func (h *Handler) tokenName(w http.ResponseWriter, r *http.Request) (params, string, bool) {
	p, err := h.bodyParams(w, r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return nil, "", false
	}
	name, _ := p["tokenName"].(string)
	if strings.TrimSpace(name) == "" {
		writeError(w, &apiError{http.StatusBadRequest, failure{Error: "The 'tokenName' param is required"}})
		return nil, "", false
	}
	return p, name, true
}

var (
	errTokenExists  = meteorError("error-token-already-exists", "A token with this name already exists")
	errTokenMissing = meteorError("error-token-does-not-exists", "Token does not exist")
)

// handleGenerateToken is POST users.generatePersonalAccessToken
// {tokenName, bypassTwoFactor}: a new token, shown this once.
func (h *Handler) handleGenerateToken(w http.ResponseWriter, r *http.Request, c *caller) {
	p, name, ok := h.tokenName(w, r)
	if !ok {
		return
	}
	bypass := false
	switch v := p["bypassTwoFactor"].(type) {
	case bool:
		bypass = v
	case string: // a form field
		bypass = v == "true"
	}
	_, secret, err := h.svc.CreatePersonalToken(r.Context(), tenant, c.user.ID, name, bypass)
	switch auth.ErrorCode(err) {
	case "":
		respond(w, http.StatusOK, tokenResponse{Token: secret, Success: true})
	case auth.EConflict:
		writeError(w, errTokenExists)
	default:
		h.failErr(w, r, err, nil)
	}
}

// handleRegenerateToken is POST users.regeneratePersonalAccessToken
// {tokenName}: a new secret for the token; the old one stops working.
func (h *Handler) handleRegenerateToken(w http.ResponseWriter, r *http.Request, c *caller) {
	_, name, ok := h.tokenName(w, r)
	if !ok {
		return
	}
	_, secret, err := h.svc.RegeneratePersonalToken(r.Context(), tenant, c.user.ID, name)
	if err != nil {
		h.failErr(w, r, err, errTokenMissing)
		return
	}
	respond(w, http.StatusOK, tokenResponse{Token: secret, Success: true})
}

// handleRemoveToken is POST users.removePersonalAccessToken {tokenName}.
func (h *Handler) handleRemoveToken(w http.ResponseWriter, r *http.Request, c *caller) {
	_, name, ok := h.tokenName(w, r)
	if !ok {
		return
	}
	if err := h.svc.RemovePersonalToken(r.Context(), tenant, c.user.ID, name); err != nil {
		h.failErr(w, r, err, errTokenMissing)
		return
	}
	respond(w, http.StatusOK, okBody)
}

type tokenRow struct {
	Name            string  `json:"name"`
	CreatedAt       isoTime `json:"createdAt"`
	LastTokenPart   string  `json:"lastTokenPart"`
	BypassTwoFactor bool    `json:"bypassTwoFactor"`
}

type tokensResponse struct {
	Tokens  []tokenRow `json:"tokens"`
	Success bool       `json:"success"`
}

// handleListTokens is GET users.getPersonalAccessTokens.
func (h *Handler) handleListTokens(w http.ResponseWriter, r *http.Request, c *caller) {
	ts, err := h.svc.PersonalTokens(r.Context(), tenant, c.user.ID)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	out := tokensResponse{Tokens: []tokenRow{}, Success: true}
	for _, t := range ts {
		out.Tokens = append(out.Tokens, tokenRow{Name: t.Name, CreatedAt: isoTime(t.CreatedAt), LastTokenPart: t.LastPart, BypassTwoFactor: t.BypassTwoFactor})
	}
	respond(w, http.StatusOK, out)
}

type logoutOthersResponse struct {
	Token        string `json:"token"`
	TokenExpires string `json:"tokenExpires"`
	Success      bool   `json:"success"`
}

// handleLogoutOtherClients is POST users.logoutOtherClients: every
// session of the caller but this one ends (personal access tokens stay),
// and the answer is this token and its expiry. Rocket.Chat asks no
// second factor here, and neither does sessiond.
func (h *Handler) handleLogoutOtherClients(w http.ResponseWriter, r *http.Request, c *caller) {
	if _, err := h.svc.RevokeUserSessions(r.Context(), tenant, c.user.ID, c.session.ID); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	out := logoutOthersResponse{Token: c.token, Success: true}
	if c.pat == nil {
		b, _ := isoTime(c.session.ExpiresAt).MarshalText()
		out.TokenExpires = string(b)
	}
	respond(w, http.StatusOK, out)
}

// handleRemoveOtherTokens is POST users.removeOtherTokens: the same
// without the token in the answer.
func (h *Handler) handleRemoveOtherTokens(w http.ResponseWriter, r *http.Request, c *caller) {
	if _, err := h.svc.RevokeUserSessions(r.Context(), tenant, c.user.ID, c.session.ID); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, okBody)
}

var errForbiddenLegacy = &apiError{http.StatusForbidden, failure{Error: "unauthorized"}}

type messageResponse struct {
	Message string `json:"message"`
	Success bool   `json:"success"`
}

// handleUsersLogout is POST users.logout {userId?}: every login token of
// the user ends, personal access tokens too (Rocket.Chat's
// unsetLoginTokens). Another user's needs the admin flag
// (logout-other-user).
func (h *Handler) handleUsersLogout(w http.ResponseWriter, r *http.Request, c *caller) {
	p, err := h.bodyParams(w, r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	if e := (schema{props: map[string]string{"userId": "string"}}).check(p); e != nil {
		writeError(w, e)
		return
	}
	id, _ := p["userId"].(string)
	if id == "" {
		id = c.user.ID
	}
	if id != c.user.ID && !c.user.Admin {
		writeError(w, errForbiddenLegacy)
		return
	}
	ctx := r.Context()
	if _, err := h.svc.User(ctx, tenant, id); err != nil {
		h.failErr(w, r, err, meteorError("error-invalid-user-id", "Invalid user id"))
		return
	}
	if _, err := h.svc.RevokeUserSessions(ctx, tenant, id, ""); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	if _, err := h.svc.RemovePersonalTokens(ctx, tenant, id); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, messageResponse{Message: "User " + id + " has been logged out!", Success: true})
}

// handleEnableEmail is POST users.2fa.enableEmail: the email second
// factor, then every other session of the caller ends, as Rocket.Chat
// does when 2FA is turned on.
func (h *Handler) handleEnableEmail(w http.ResponseWriter, r *http.Request, c *caller) {
	err := h.svc.EnableEmailFactor(r.Context(), tenant, c.user.ID)
	switch auth.ErrorCode(err) {
	case "":
	case auth.EInvalid:
		writeError(w, meteorError("error-invalid-user", "You need to verify your emails before setting up 2FA"))
		return
	case auth.ENotImplemented:
		writeError(w, meteorError("error-email-2fa-unavailable", "Email two-factor authentication is not available on this server"))
		return
	default:
		h.failErr(w, r, err, nil)
		return
	}
	if _, err := h.svc.RevokeUserSessions(r.Context(), tenant, c.user.ID, c.session.ID); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, okBody)
}

// handleDisableEmail is POST users.2fa.disableEmail (twoFactorRequired,
// never remembered).
func (h *Handler) handleDisableEmail(w http.ResponseWriter, r *http.Request, c *caller) {
	if _, err := h.svc.RemoveFactors(r.Context(), c.session, c.proof, auth.FactorEmail); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, okBody)
}

// handleSendEmailCode is POST users.2fa.sendEmailCode {emailOrUsername}:
// a fresh code to that user when they have email 2FA, and the same
// answer for anyone else.
func (h *Handler) handleSendEmailCode(w http.ResponseWriter, r *http.Request, _ *caller) {
	p, err := h.bodyParams(w, r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	login, _ := p["emailOrUsername"].(string)
	if login == "" {
		writeError(w, meteorError("error-parameter-required", "emailOrUsername is required"))
		return
	}
	if err := h.svc.SendEmailCode(r.Context(), tenant, login); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, okBody)
}

// handleResetTOTP is POST users.resetTOTP (twoFactorRequired, never
// remembered): the caller's TOTP goes. Resetting another user's is
// refused (Rocket.Chat's edit-other-user-totp is not served).
func (h *Handler) handleResetTOTP(w http.ResponseWriter, r *http.Request, c *caller) {
	p, err := h.bodyParams(w, r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	for _, k := range []string{"userId", "username", "user"} {
		if v, ok := p[k].(string); ok && v != c.user.ID && v != c.user.Name {
			writeError(w, meteorError("error-not-allowed", "Not allowed"))
			return
		}
	}
	if _, err := h.svc.RemoveFactors(r.Context(), c.session, c.proof, auth.FactorTOTP); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, okBody)
}
