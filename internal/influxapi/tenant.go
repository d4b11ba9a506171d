package influxapi

import (
	"net/http"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// The routes in this file are sessiond's management of the tenants of the
// tenant auth API (/auth), in InfluxDB's style. A tenant is an
// organization-like boundary, so reading tenants needs read:orgs and
// changing them write:orgs: the operator token made at setup holds both,
// and an admin's session holds everything. The caller must belong to the
// default tenant.

func (h *Handler) tenantRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/v2/tenants", h.authed(h.handleListTenants))
	mux.Handle("POST /api/v2/tenants", h.authed(h.handleCreateTenant))
	mux.Handle("GET /api/v2/tenants/{id}", h.authed(h.handleGetTenant))
	mux.Handle("PATCH /api/v2/tenants/{id}", h.authed(h.handlePatchTenant))
	mux.Handle("DELETE /api/v2/tenants/{id}", h.authed(h.handleDeleteTenant))
	mux.Handle("POST /api/v2/tenants/{id}/keys", h.authed(h.handleRotateTenantKey))
	mux.Handle("PATCH /api/v2/tenants/{id}/users/{userID}", h.authed(h.handlePatchTenantUser))
	mux.Handle("GET /api/v2/tenants/{id}/sessions", h.authed(h.handleListTenantSessions))
	mux.Handle("DELETE /api/v2/tenants/{id}/sessions/{sessionID}", h.authed(h.handleRevokeTenantSession))
	h.tenantUserRoutes(mux) // its users, providers and templates, in tenantuser.go
}

type tenantRequest struct {
	Name                   *string        `json:"name,omitempty"`
	Disabled               *bool          `json:"disabled,omitempty"`
	RestrictedCapabilities *[]string      `json:"restrictedCapabilities,omitempty"`
	ClientHeaders          *string        `json:"clientHeaders,omitempty"`
	RateLimits             map[string]int `json:"rateLimits,omitempty"`
	AccessTokenTTL         *string        `json:"accessTokenTTL,omitempty"`
	RefreshTokenTTL        *string        `json:"refreshTokenTTL,omitempty"`
}

func (b tenantRequest) policy() auth.PolicyUpdate {
	p := auth.PolicyUpdate{
		Disabled: b.Disabled, Restricted: b.RestrictedCapabilities,
		AccessTokenTTL: b.AccessTokenTTL, RefreshTokenTTL: b.RefreshTokenTTL,
	}
	if b.ClientHeaders != nil {
		ch := auth.ClientHeaders(*b.ClientHeaders)
		p.ClientHeaders = &ch
	}
	if b.RateLimits != nil {
		p.RateLimits = make(map[auth.Capability]int, len(b.RateLimits))
		for c, n := range b.RateLimits {
			p.RateLimits[auth.Capability(c)] = n
		}
	}
	return p
}

type signingKeyResponse struct {
	ID       string     `json:"id"`
	Active   bool       `json:"active"`
	RetireAt *time.Time `json:"retireAt,omitempty"`
}

type tenantResponse struct {
	Links                  map[string]string    `json:"links"`
	ID                     string               `json:"id"`
	Name                   string               `json:"name"`
	Token                  string               `json:"token,omitempty"` // only when created
	Disabled               bool                 `json:"disabled"`
	RestrictedCapabilities []string             `json:"restrictedCapabilities"`
	ClientHeaders          string               `json:"clientHeaders"`
	RateLimits             map[string]int       `json:"rateLimits"` // the tenant's overrides
	AccessTokenTTL         string               `json:"accessTokenTTL"`
	RefreshTokenTTL        string               `json:"refreshTokenTTL"`
	SigningKeys            []signingKeyResponse `json:"signingKeys"`
	CreatedAt              time.Time            `json:"createdAt"`
	UpdatedAt              time.Time            `json:"updatedAt"`
}

type tenantsResponse struct {
	Links   map[string]string `json:"links"`
	Tenants []tenantResponse  `json:"tenants"`
}

type tenantUserResponse struct {
	ID                     string   `json:"id"`
	TenantID               string   `json:"tenantID"`
	Email                  string   `json:"email,omitempty"`
	Status                 string   `json:"status"`
	RestrictedCapabilities []string `json:"restrictedCapabilities"`
}

type tenantUserRequest struct {
	RestrictedCapabilities *[]string `json:"restrictedCapabilities,omitempty"`
	Status                 *string   `json:"status,omitempty"`
}

func newTenantResponse(t *auth.Tenant, token string) tenantResponse {
	p := t.Policy()
	out := tenantResponse{
		Links: map[string]string{"self": "/api/v2/tenants/" + t.ID, "sessions": "/api/v2/tenants/" + t.ID + "/sessions"},
		ID:    t.ID, Name: t.Name, Token: token, Disabled: p.Disabled,
		RestrictedCapabilities: nonNil(p.Restricted), ClientHeaders: string(p.ClientHeaders),
		RateLimits: make(map[string]int, len(p.RateLimits)), AccessTokenTTL: p.AccessTokenTTL.String(), RefreshTokenTTL: p.RefreshTokenTTL.String(),
		SigningKeys: []signingKeyResponse{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	for c, n := range p.RateLimits {
		out.RateLimits[string(c)] = n
	}
	for _, k := range t.Keys() {
		kr := signingKeyResponse{ID: k.ID, Active: k.Active}
		if !k.RetireAt.IsZero() {
			at := k.RetireAt
			kr.RetireAt = &at
		}
		out.SigningKeys = append(out.SigningKeys, kr)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// tenantAllowed checks the caller's permission; action is read or write.
func (h *Handler) tenantAllowed(w http.ResponseWriter, c *caller, action string) bool {
	if c.user.TenantID != auth.DefaultTenantID || !c.can(action, "orgs", "") {
		writeError(w, denied(action, "orgs", ""), true)
		return false
	}
	return true
}

// tenantID reads {id}: the default tenant is not a tenant of /auth and
// is never served here.
func (h *Handler) tenantID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !auth.ValidID(id) || id == auth.DefaultTenantID {
		writeError(w, apiError{codeNotFound, "tenant not found"}, true)
		return "", false
	}
	return id, true
}

// tenantFail answers a core error, naming a missing tenant as such.
func (h *Handler) tenantFail(w http.ResponseWriter, r *http.Request, err error) {
	if auth.ErrorCode(err) == auth.ENotFound {
		writeError(w, apiError{codeNotFound, auth.ErrorMessage(err)}, true)
		return
	}
	h.fail(w, r, err)
}

// handleCreateTenant is POST /api/v2/tenants {"name", ...policy}: 201 with
// the tenant token, shown this once.
func (h *Handler) handleCreateTenant(w http.ResponseWriter, r *http.Request, c *caller) {
	if !h.tenantAllowed(w, c, "write") {
		return
	}
	var body tenantRequest
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Name == nil || *body.Name == "" {
		writeError(w, apiError{codeInvalid, "tenant name is required"}, true)
		return
	}
	t, token, err := h.svc.CreateTenant(r.Context(), auth.NewTenant{Name: *body.Name, Policy: body.policy()})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond(w, http.StatusCreated, newTenantResponse(t, token))
}

func (h *Handler) handleListTenants(w http.ResponseWriter, r *http.Request, c *caller) {
	if !h.tenantAllowed(w, c, "read") {
		return
	}
	list, err := h.svc.Tenants(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := tenantsResponse{Links: map[string]string{"self": "/api/v2/tenants"}, Tenants: []tenantResponse{}}
	for _, t := range list {
		if t.ID != auth.DefaultTenantID {
			out.Tenants = append(out.Tenants, newTenantResponse(t, ""))
		}
	}
	respond(w, http.StatusOK, out)
}

// targetTenant checks that the caller holds action on tenants and reads
// the {id} path value, answering InfluxDB's errors otherwise.
func (h *Handler) targetTenant(w http.ResponseWriter, r *http.Request, c *caller, action string) (string, bool) {
	if !h.tenantAllowed(w, c, action) {
		return "", false
	}
	return h.tenantID(w, r)
}

// readTenant is targetTenant, then the tenant itself.
func (h *Handler) readTenant(w http.ResponseWriter, r *http.Request, c *caller, action string) (*auth.Tenant, bool) {
	id, ok := h.targetTenant(w, r, c, action)
	if !ok {
		return nil, false
	}
	return h.tenant(w, r, id)
}

// tenant reads the tenant id, answering InfluxDB's errors (404 for none)
// otherwise.
func (h *Handler) tenant(w http.ResponseWriter, r *http.Request, id string) (*auth.Tenant, bool) {
	t, err := h.svc.Tenant(r.Context(), id)
	if err != nil {
		h.tenantFail(w, r, err)
		return nil, false
	}
	return t, true
}

func (h *Handler) handleGetTenant(w http.ResponseWriter, r *http.Request, c *caller) {
	t, ok := h.readTenant(w, r, c, "read")
	if !ok {
		return
	}
	respond(w, http.StatusOK, newTenantResponse(t, ""))
}

func (h *Handler) handlePatchTenant(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "write")
	if !ok {
		return
	}
	var body tenantRequest
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	name := ""
	if body.Name != nil {
		if *body.Name == "" {
			writeError(w, apiError{codeInvalid, "tenant name must not be empty"}, true)
			return
		}
		name = *body.Name
	}
	t, err := h.svc.UpdateTenant(r.Context(), id, auth.TenantUpdate{Name: name, Policy: body.policy()})
	if err != nil {
		h.tenantFail(w, r, err)
		return
	}
	respond(w, http.StatusOK, newTenantResponse(t, ""))
}

// handleDeleteTenant removes the tenant with its users and sessions.
func (h *Handler) handleDeleteTenant(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "write")
	if !ok {
		return
	}
	if err := h.svc.DeleteTenant(r.Context(), id); err != nil {
		h.tenantFail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleRotateTenantKey is POST /api/v2/tenants/{id}/keys: a new signing
// key; tokens signed by the old one verify until they expire.
func (h *Handler) handleRotateTenantKey(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "write")
	if !ok {
		return
	}
	t, err := h.svc.RotateSigningKey(r.Context(), id)
	if err != nil {
		h.tenantFail(w, r, err)
		return
	}
	respond(w, http.StatusCreated, newTenantResponse(t, ""))
}

// handlePatchTenantUser is PATCH /api/v2/tenants/{id}/users/{userID}
// {"restrictedCapabilities", "status"}: one user's capabilities and
// status (suspending or terminating ends their sessions).
func (h *Handler) handlePatchTenantUser(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "write")
	if !ok {
		return
	}
	var body tenantUserRequest
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	userID := r.PathValue("userID")
	if !auth.ValidID(userID) {
		writeError(w, errUserNotFound, true)
		return
	}
	var state *auth.UserState
	if body.Status != nil {
		st := auth.UserState(*body.Status)
		if st != auth.StateActive && st != auth.StateSuspended && st != auth.StateTerminated {
			writeError(w, apiError{codeInvalid, "status must be active, suspended or terminated"}, true)
			return
		}
		state = &st
	}
	u, err := h.svc.UpdateUser(r.Context(), id, userID, auth.UserUpdate{State: state, Restricted: body.RestrictedCapabilities})
	if err != nil {
		h.tenantFail(w, r, err)
		return
	}
	t, ok := h.tenant(w, r, id)
	if !ok {
		return
	}
	respond(w, http.StatusOK, tenantUserResponse{
		ID: u.ID, TenantID: u.TenantID, Email: u.Email, Status: u.Status(),
		RestrictedCapabilities: nonNil(t.UserRestrictions(u.ID)),
	})
}

// handleListTenantSessions is GET /api/v2/tenants/{id}/sessions: the
// live sessions of the tenant, ordered by ID, a page at a time.
func (h *Handler) handleListTenantSessions(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "read")
	if !ok {
		return
	}
	p, ok := readPage(w, r.URL.Query())
	if !ok {
		return
	}
	if _, ok := h.tenant(w, r, id); !ok {
		return
	}
	rows, more, err := h.tenantSessions(r, id, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sessionPage(w, r, "/api/v2/tenants/"+id+"/sessions", p, rows, more, "")
}

// handleRevokeTenantSession ends one session of the tenant: its access
// and refresh tokens fail at once.
func (h *Handler) handleRevokeTenantSession(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "write")
	if !ok {
		return
	}
	if _, err := h.svc.RevokeSession(r.Context(), auth.Reach{TenantID: id, Admin: true}, r.PathValue("sessionID")); err != nil {
		h.tenantFail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
