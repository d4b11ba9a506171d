package influxapi

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
)

// userID reads and checks the {id} path value, answering InfluxDB's
// errors for a bad one.
func (h *Handler) userID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if len(id) != 16 {
		writeError(w, apiError{codeInvalid, "id must have a length of 16 bytes"}, true)
		return "", false
	}
	if !auth.ValidID(id) {
		writeError(w, apiError{codeInvalid, "invalid ID"}, true)
		return "", false
	}
	return id, true
}

// targetUser reads the {id} path value and checks that the caller holds
// action on that user, answering InfluxDB's errors otherwise.
func (h *Handler) targetUser(w http.ResponseWriter, r *http.Request, c *caller, action string) (string, bool) {
	id, ok := h.userID(w, r)
	if !ok {
		return "", false
	}
	if !c.can(action, "users", id) {
		writeError(w, denied(action, "users", id), true)
		return "", false
	}
	return id, true
}

func (h *Handler) handleListUsers(w http.ResponseWriter, r *http.Request, c *caller) {
	q := r.URL.Query()
	limit, offset := 20, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, apiError{codeInvalid, "limit must be between 1 and 100"}, true)
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, apiError{codeInvalid, "offset must be a whole number"}, true)
			return
		}
		offset = n
	}
	var users []*auth.User
	if c.can("read", "users", "") {
		all, err := h.svc.Users(r.Context(), auth.UserFilter{TenantID: tenant})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		users = oldestFirst(all, q.Get("after"))
	} else if c.can("read", "users", c.user.ID) {
		users = []*auth.User{c.user}
	}
	var out []userResponse
	for _, u := range users {
		if id := q.Get("id"); id != "" && u.ID != id {
			continue
		}
		if name := q.Get("name"); name != "" && u.Name != name {
			continue
		}
		out = append(out, newUserResponse(u))
	}
	if len(out) == 0 && (q.Get("name") != "" || q.Get("id") != "") {
		writeError(w, errUserNotFound, true)
		return
	}
	if offset >= len(out) {
		out = out[:0]
	} else {
		out = out[offset:]
	}
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []userResponse{}
	}
	respond(w, http.StatusOK, usersResponse{Links: map[string]string{"self": "/api/v2/users"}, Users: out})
}

// oldestFirst orders users as InfluxDB's GET /api/v2/users does: by ID,
// and InfluxDB's user IDs grow with time (snowflake), so oldest first and
// the setup user leads. Clients count on it: `influx auth create` without
// --user makes its token for the first user listed (influx-cli
// clients/auth/auth.go Create). sessiond's IDs are random, so the order
// is the users' creation, then ID. after, as in InfluxDB, starts the list
// after the user it names (none when no user has that ID).
func oldestFirst(users []*auth.User, after string) []*auth.User {
	slices.SortStableFunc(users, func(a, b *auth.User) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	if after == "" {
		return users
	}
	i := slices.IndexFunc(users, func(u *auth.User) bool { return u.ID == after })
	if i < 0 {
		return nil
	}
	return users[i+1:]
}

func parseStatus(s *string) (*auth.UserState, error) {
	if s == nil {
		return nil, nil
	}
	st := auth.UserState(*s)
	if st != auth.StateActive && st != auth.StateInactive {
		return nil, auth.Errorf(auth.EInvalid, "Invalid user status")
	}
	return &st, nil
}

func (h *Handler) handleCreateUser(w http.ResponseWriter, r *http.Request, c *caller) {
	if !c.can("write", "users", "") {
		writeError(w, denied("write", "users", ""), true)
		return
	}
	var body userRequest
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Name == nil || *body.Name == "" {
		writeError(w, apiError{codeInvalid, "user name is required"}, true)
		return
	}
	st, err := parseStatus(body.Status)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	nu := auth.NewUser{TenantID: tenant, Name: *body.Name}
	if st != nil {
		nu.State = *st
	}
	if body.ID != nil && *body.ID != "" {
		nu.ID = *body.ID
	}
	u, err := h.svc.CreateUser(r.Context(), nu)
	if auth.ErrorCode(err) == auth.EConflict {
		writeError(w, apiError{codeConflict, "user with name " + *body.Name + " already exists"}, true)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond(w, http.StatusCreated, newUserResponse(u))
}

func (h *Handler) handleGetUser(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetUser(w, r, c, "read")
	if !ok {
		return
	}
	u, err := h.svc.User(r.Context(), tenant, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond(w, http.StatusOK, newUserResponse(u))
}

func (h *Handler) handlePatchUser(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetUser(w, r, c, "write")
	if !ok {
		return
	}
	var body userRequest
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := parseStatus(body.Status)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.svc.UpdateUser(r.Context(), tenant, id, auth.UserUpdate{Name: body.Name, State: st, Restricted: body.RestrictedCapabilities})
	if auth.ErrorCode(err) == auth.EConflict && body.Name != nil {
		writeError(w, apiError{codeConflict, "user with name " + *body.Name + " already exists"}, true)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if body.RestrictedCapabilities == nil {
		respond(w, http.StatusOK, newUserResponse(u))
		return
	}
	t, err := h.svc.Tenant(r.Context(), tenant)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond(w, http.StatusOK, restrictedUserResponse{newUserResponse(u), nonNil(t.UserRestrictions(u.ID))})
}

func (h *Handler) handleDeleteUser(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetUser(w, r, c, "write")
	if !ok {
		return
	}
	if err := h.svc.DeleteUser(r.Context(), tenant, id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleSetUserPassword is POST /api/v2/users/{id}/password: no old
// password, write permission on the user is enough.
func (h *Handler) handleSetUserPassword(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetUser(w, r, c, "write")
	if !ok {
		return
	}
	pw, keep, ok := h.newPassword(w, r, c, id)
	if !ok {
		return
	}
	err := h.svc.SetPassword(r.Context(), tenant, id, pw, h.opt.EndSessionsOnPasswordChange, keep)
	if auth.ErrorCode(err) == auth.ENotFound {
		writeError(w, apiError{codeForbidden, "your userID is incorrect"}, true)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
