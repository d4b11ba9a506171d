package influxapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// The routes in this file manage the users of a tenant of /auth, in the
// style of tenant.go: list and search them, set a password, or email a
// reset code. Reading needs read:orgs, changing write:orgs.

func (h *Handler) tenantUserRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/v2/tenants/{id}/users", h.authed(h.handleListTenantUsers))
	mux.Handle("GET /api/v2/tenants/{id}/users/{userID}", h.authed(h.handleGetTenantUser))
	mux.Handle("PUT /api/v2/tenants/{id}/users/{userID}/password", h.authed(h.handleSetTenantUserPassword))
	mux.Handle("POST /api/v2/tenants/{id}/users/{userID}/password/reset", h.authed(h.handleResetTenantUserPassword))
	h.tenantAuthRoutes(mux) // identity providers and message templates, in tenantauth.go
}

// tenantUserDetail is a tenant's user as the list shows it.
type tenantUserDetail struct {
	ID                     string    `json:"id"`
	TenantID               string    `json:"tenantID"`
	Name                   string    `json:"name"`
	Email                  string    `json:"email,omitempty"`
	EmailVerified          bool      `json:"emailVerified"`
	Method                 string    `json:"method"`
	HasPassword            bool      `json:"hasPassword"`
	Identities             []string  `json:"identities,omitempty"` // linked providers (google, apple, facebook, phone)
	Status                 string    `json:"status"`
	RestrictedCapabilities []string  `json:"restrictedCapabilities"`
	CreatedAt              time.Time `json:"createdAt"`
	UpdatedAt              time.Time `json:"updatedAt"`
}

type tenantUsersResponse struct {
	Links map[string]string  `json:"links"`
	Users []tenantUserDetail `json:"users"`
}

func newTenantUserDetail(t *auth.Tenant, u *auth.User) tenantUserDetail {
	return tenantUserDetail{
		ID: u.ID, TenantID: u.TenantID, Name: u.Name, Email: u.Email, EmailVerified: u.EmailVerified,
		Method: string(auth.UserMethod(u)), HasPassword: u.PasswordHash != "", Status: u.Status(),
		RestrictedCapabilities: nonNil(t.UserRestrictions(u.ID)), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

// Page bounds of the user list.
const (
	defaultUserPage = 20
	maxUserPage     = 100
	maxSearch       = 256
)

// handleListTenantUsers is GET /api/v2/tenants/{id}/users?search=&after=&limit=:
// the tenant's users ordered by ID, a page at a time (limit 1 to 100,
// default 20; after is the last ID of the previous page, as links.next
// gives it), those whose name or email contains search when it is set.
func (h *Handler) handleListTenantUsers(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "read")
	if !ok {
		return
	}
	q := r.URL.Query()
	limit := defaultUserPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxUserPage {
			writeError(w, apiError{codeInvalid, "limit must be between 1 and 100"}, true)
			return
		}
		limit = n
	}
	after, search := q.Get("after"), q.Get("search")
	if after != "" && !auth.ValidID(after) {
		writeError(w, apiError{codeInvalid, "after must be a user ID"}, true)
		return
	}
	if len(search) > maxSearch {
		writeError(w, apiError{codeInvalid, "search is longer than 256 bytes"}, true)
		return
	}
	t, ok := h.tenant(w, r, id)
	if !ok {
		return
	}
	// One more than the page tells whether there is a next one.
	list, err := h.svc.Users(r.Context(), auth.UserFilter{TenantID: id, Search: search, After: after, Limit: limit + 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	link := func(after string) string {
		v := url.Values{"limit": {strconv.Itoa(limit)}}
		if search != "" {
			v.Set("search", search)
		}
		if after != "" {
			v.Set("after", after)
		}
		return "/api/v2/tenants/" + id + "/users?" + v.Encode()
	}
	out := tenantUsersResponse{Links: map[string]string{"self": link(after)}, Users: []tenantUserDetail{}}
	if len(list) > limit {
		list = list[:limit]
		out.Links["next"] = link(list[len(list)-1].ID)
	}
	for _, u := range list {
		out.Users = append(out.Users, newTenantUserDetail(t, u))
	}
	respond(w, http.StatusOK, out)
}

// tenantUser reads {id} and {userID}, checking the caller may act.
func (h *Handler) tenantUser(w http.ResponseWriter, r *http.Request, c *caller, action string) (string, string, bool) {
	id, ok := h.targetTenant(w, r, c, action)
	if !ok {
		return "", "", false
	}
	userID := r.PathValue("userID")
	if !auth.ValidID(userID) {
		writeError(w, errUserNotFound, true)
		return "", "", false
	}
	return id, userID, true
}

// handleGetTenantUser is GET /api/v2/tenants/{id}/users/{userID}, with
// the identities linked to the user.
func (h *Handler) handleGetTenantUser(w http.ResponseWriter, r *http.Request, c *caller) {
	id, userID, ok := h.tenantUser(w, r, c, "read")
	if !ok {
		return
	}
	t, ok := h.tenant(w, r, id)
	if !ok {
		return
	}
	u, err := h.svc.User(r.Context(), id, userID)
	if err != nil {
		h.tenantFail(w, r, err)
		return
	}
	links, err := h.svc.UserLinks(r.Context(), id, userID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := newTenantUserDetail(t, u)
	for _, l := range links {
		d.Identities = append(d.Identities, l.Provider)
	}
	respond(w, http.StatusOK, d)
}

// handleSetTenantUserPassword is PUT /api/v2/tenants/{id}/users/{userID}/password
// {"password"}: the operator sets the password (the policy applies), and
// every session of the user ends in every API. 204.
func (h *Handler) handleSetTenantUserPassword(w http.ResponseWriter, r *http.Request, c *caller) {
	id, userID, ok := h.tenantUser(w, r, c, "write")
	if !ok {
		return
	}
	var body struct {
		Password *string `json:"password"`
	}
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Password == nil || *body.Password == "" {
		writeError(w, apiError{codeInvalid, "password is required"}, true)
		return
	}
	if err := h.svc.SetPassword(r.Context(), id, userID, *body.Password, true, ""); err != nil {
		h.tenantFail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// resetResponse is a reset code sent to a user.
type resetResponse struct {
	Recipient string    `json:"recipient"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// handleResetTenantUserPassword is POST /api/v2/tenants/{id}/users/{userID}/password/reset:
// a reset_password code is emailed to the user, who completes the reset
// through /auth/reset-password (or the account pages). 201.
func (h *Handler) handleResetTenantUserPassword(w http.ResponseWriter, r *http.Request, c *caller) {
	id, userID, ok := h.tenantUser(w, r, c, "write")
	if !ok {
		return
	}
	o, err := h.svc.SendPasswordReset(r.Context(), id, userID)
	if err != nil {
		h.tenantFail(w, r, err)
		return
	}
	respond(w, http.StatusCreated, resetResponse{Recipient: o.Recipient, ExpiresAt: o.ExpiresAt})
}
