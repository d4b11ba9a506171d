package influxapi

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// orgName returns the organization name recorded at setup.
func (h *Handler) orgName(r *http.Request) string {
	t, err := h.svc.Tenant(r.Context(), tenant)
	if err != nil {
		return ""
	}
	return t.Settings[auth.SettingOrgName]
}

func (h *Handler) authView(r *http.Request, t *auth.Token, secret string) authResponse {
	userName := ""
	if u, err := h.svc.User(r.Context(), tenant, t.UserID); err == nil {
		userName = u.Name
	}
	return newAuthResponse(t, secret, h.orgName(r), userName)
}

// handleCreateAuth is POST /api/v2/authorizations. Only a caller who may
// write authorizations (an admin session, an operator token) creates
// tokens, so no one can mint grants they do not hold.
func (h *Handler) handleCreateAuth(w http.ResponseWriter, r *http.Request, c *caller) {
	if !c.can("write", "authorizations", "") {
		writeError(w, denied("write", "authorizations", ""), true)
		return
	}
	var body authRequest
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(body.Permissions) == 0 {
		writeError(w, apiError{codeInvalid, "authorization must include permissions"}, true)
		return
	}
	if body.OrgID == nil || *body.OrgID == "" {
		writeError(w, apiError{codeInvalid, "org id required"}, true)
		return
	}
	if !auth.ValidID(*body.OrgID) {
		writeError(w, apiError{codeInvalid, "invalid ID"}, true)
		return
	}
	for _, p := range body.Permissions {
		if p.Action != "read" && p.Action != "write" {
			writeError(w, apiError{codeInvalid, "unknown action " + p.Action}, true)
			return
		}
		if !knownType(p.Resource.Type) {
			writeError(w, apiError{codeInvalid, "unknown resource type " + p.Resource.Type}, true)
			return
		}
	}
	userID := c.user.ID
	if body.UserID != nil && *body.UserID != "" {
		userID = *body.UserID
	}
	nt := auth.NewAPIToken{TenantID: tenant, UserID: userID, OrgID: *body.OrgID, Permissions: toPermissions(body.Permissions)}
	if body.Description != nil {
		nt.Description = *body.Description
	}
	t, secret, err := h.svc.CreateToken(r.Context(), nt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Status != nil && *body.Status == "inactive" {
		off := false
		if t, err = h.svc.UpdateToken(r.Context(), tenant, t.ID, &off, nil); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	respond(w, http.StatusCreated, h.authView(r, t, secret))
}

// handleListAuths is GET /api/v2/authorizations. Tokens are stored hashed,
// so listings never show a token's secret.
//
// The filters are InfluxDB's (authorization/http_server.go,
// decodeGetAuthorizationsRequest and handleGetAuthorizations): userID,
// orgID and id must be IDs (400 otherwise); user and org are names, looked
// up first (404 when none has it); token is a token's secret, matched by
// its hash.
func (h *Handler) handleListAuths(w http.ResponseWriter, r *http.Request, c *caller) {
	q := r.URL.Query()
	var userID, orgID, authID string
	for _, f := range []struct {
		param string
		to    *string
	}{{"userID", &userID}, {"orgID", &orgID}, {"id", &authID}} {
		if v := q.Get(f.param); v != "" {
			id, bad := parseID(v)
			if bad != nil {
				writeError(w, *bad, true)
				return
			}
			*f.to = id
		}
	}
	if name := q.Get("user"); name != "" {
		u, err := h.svc.UserByName(r.Context(), tenant, name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		userID = u.ID
	}
	if name := q.Get("org"); name != "" {
		org, ok, err := h.theOrg(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok || org.Name != name {
			writeError(w, apiError{codeNotFound, `organization name "` + name + `" not found`}, true)
			return
		}
		orgID = org.ID
	}
	if !c.can("read", "authorizations", "") {
		if userID != "" && userID != c.user.ID {
			writeError(w, denied("read", "authorizations", ""), true)
			return
		}
		userID = c.user.ID
	}
	toks, err := h.svc.Tokens(r.Context(), tenant, userID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []authResponse{}
	secret := q.Get("token")
	var hash auth.Hash
	if secret != "" {
		hash = auth.HashToken(secret)
	}
	for _, t := range toks {
		if authID != "" && t.ID != authID || orgID != "" && t.OrgID != orgID || secret != "" && t.Hash != hash {
			continue
		}
		out = append(out, h.authView(r, t, ""))
	}
	respond(w, http.StatusOK, authsResponse{Links: map[string]string{"self": "/api/v2/authorizations"}, Authorizations: out})
}

// ownToken loads {id} when the caller may see it: an admin any token, a
// user only their own (others' look absent).
func (h *Handler) ownToken(w http.ResponseWriter, r *http.Request, c *caller, action string) (*auth.Token, bool) {
	id := r.PathValue("id")
	if !auth.ValidID(id) {
		writeError(w, apiError{codeInvalid, "invalid ID"}, true)
		return nil, false
	}
	t, err := h.svc.APIToken(r.Context(), tenant, id)
	if err == nil && t.UserID != c.user.ID && !c.can(action, "authorizations", "") {
		err = auth.ErrTokenNotFound
	}
	if auth.ErrorCode(err) == auth.ENotFound {
		writeError(w, apiError{codeNotFound, "authorization not found"}, true)
		return nil, false
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return t, true
}

func (h *Handler) handleGetAuth(w http.ResponseWriter, r *http.Request, c *caller) {
	if t, ok := h.ownToken(w, r, c, "read"); ok {
		respond(w, http.StatusOK, h.authView(r, t, ""))
	}
}

func (h *Handler) handlePatchAuth(w http.ResponseWriter, r *http.Request, c *caller) {
	t, ok := h.ownToken(w, r, c, "write")
	if !ok {
		return
	}
	var body struct {
		Status      *string `json:"status,omitempty"`
		Description *string `json:"description,omitempty"`
	}
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	var active *bool
	if body.Status != nil {
		if *body.Status != "active" && *body.Status != "inactive" {
			writeError(w, apiError{codeInvalid, "unknown authorization status"}, true)
			return
		}
		on := *body.Status == "active"
		active = &on
	}
	t, err := h.svc.UpdateToken(r.Context(), tenant, t.ID, active, body.Description)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond(w, http.StatusOK, h.authView(r, t, ""))
}

func (h *Handler) handleDeleteAuth(w http.ResponseWriter, r *http.Request, c *caller) {
	t, ok := h.ownToken(w, r, c, "write")
	if !ok {
		return
	}
	if err := h.svc.DeleteToken(r.Context(), tenant, t.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
