package influxapi

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// The members and owners of sessiond's one organization, in InfluxDB's
// shapes (tenant/http_handler_urm.go). InfluxDB keeps a user-to-resource
// mapping per member; sessiond has none to keep: every user of the default
// tenant belongs to the organization, as an owner when the user is an
// admin (the setup user) and as a member otherwise. So adding a member
// confirms a membership that already exists, and no user can leave the
// organization or change role here: deleting the user, or making it
// inactive, is how access ends.

// The roles of InfluxDB's ResourceMember and ResourceOwner.
const (
	roleMember = "member"
	roleOwner  = "owner"
)

func roleOf(u *auth.User) string {
	if u.Admin {
		return roleOwner
	}
	return roleMember
}

// resourceMember is InfluxDB's resourceUserResponse: the role, then the
// user as UserResponse shows it.
type resourceMember struct {
	Role string `json:"role"`
	userResponse
}

type resourceMembers struct {
	Links selfLink         `json:"links"`
	Users []resourceMember `json:"users"`
}

// memberOrg checks the {id} of a members or owners route as InfluxDB's
// ValidResource middleware does: an ID that does not parse is a 400
// "corrupt ID provided", and an organization that does not exist or that
// the caller may not read is the same 404.
func (h *Handler) memberOrg(w http.ResponseWriter, r *http.Request, c *caller) (string, bool) {
	id, e := parseID(r.PathValue("id"))
	if e != nil {
		writeError(w, apiError{codeInvalid, "corrupt ID provided: " + e.Message}, true)
		return "", false
	}
	org, exists, err := h.theOrg(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return "", false
	}
	if !exists || org.ID != id || !c.canReadOrg(id) {
		writeError(w, apiError{codeNotFound, "404 page not found"}, true)
		return "", false
	}
	return id, true
}

// listMembers is GET /api/v2/orgs/{id}/members (or /owners): the users of
// that role, by ID as InfluxDB orders its mappings. Only users the caller
// may read are listed, as GET /api/v2/users lists them: a non-admin session
// sees itself only.
func (h *Handler) listMembers(role string) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, c *caller) {
		orgID, ok := h.memberOrg(w, r, c)
		if !ok {
			return
		}
		users, err := h.svc.Users(r.Context(), auth.UserFilter{TenantID: tenant})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out := []resourceMember{}
		for _, u := range users {
			if roleOf(u) == role && c.can("read", "users", u.ID) {
				out = append(out, resourceMember{Role: role, userResponse: newUserResponse(u)})
			}
		}
		respond(w, http.StatusOK, resourceMembers{Links: selfLink{Self: "/api/v2/orgs/" + orgID + "/" + role + "s"}, Users: out})
	}
}

// addMember is POST /api/v2/orgs/{id}/members (or /owners) with InfluxDB's
// AddResourceMemberRequestBody. A member (or an admin, for /owners) is
// answered 201 as InfluxDB answers a new mapping; an admin cannot become a
// mere member (422) nor a member an owner (403). sessiond checks the
// permission before looking the user up, so a caller who may not write
// learns nothing about which IDs exist.
func (h *Handler) addMember(role string) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, c *caller) {
		orgID, ok := h.memberOrg(w, r, c)
		if !ok {
			return
		}
		var body struct {
			ID   *string `json:"id"`
			Name *string `json:"name,omitempty"` // accepted and ignored, as by InfluxDB
		}
		if err := h.decode(w, r, &body); err != nil {
			h.fail(w, r, err)
			return
		}
		if body.ID == nil {
			writeError(w, apiError{codeInvalid, "user id missing or invalid"}, true)
			return
		}
		userID, ok := memberChange(w, c, orgID, *body.ID)
		if !ok {
			return
		}
		u, err := h.svc.User(r.Context(), tenant, userID)
		if err != nil {
			h.userFail(w, r, err)
			return
		}
		switch {
		case roleOf(u) == role:
			respond(w, http.StatusCreated, resourceMember{Role: role, userResponse: newUserResponse(u)})
		case role == roleMember:
			writeError(w, apiError{codeConflict, "user " + u.ID + " is already an owner of the organization"}, true)
		default:
			writeError(w, apiError{codeForbidden, "the owners of sessiond's organization are its admins: a member cannot be made an owner"}, true)
		}
	}
}

// memberChange reads the user ID raw of a change to orgID's members and
// checks that the caller may write the organization, answering InfluxDB's
// errors otherwise (a malformed ID first).
func memberChange(w http.ResponseWriter, c *caller, orgID, raw string) (string, bool) {
	userID, e := parseID(raw)
	if e != nil {
		writeError(w, *e, true)
		return "", false
	}
	if !c.canWriteOrg(orgID) {
		writeError(w, deniedOrgWrite(orgID), true)
		return "", false
	}
	return userID, true
}

// handleRemoveMember is DELETE /api/v2/orgs/{id}/members/{userID} (or
// /owners/{userID}; InfluxDB does not tell them apart either). A user
// that does not exist has nothing to remove: 204, as InfluxDB answers when
// it finds no mapping. Any user that exists belongs to the organization
// and cannot leave it: 403.
func (h *Handler) handleRemoveMember(w http.ResponseWriter, r *http.Request, c *caller) {
	orgID, ok := h.memberOrg(w, r, c)
	if !ok {
		return
	}
	userID, ok := memberChange(w, c, orgID, r.PathValue("userID"))
	if !ok {
		return
	}
	_, err := h.svc.User(r.Context(), tenant, userID)
	if auth.ErrorCode(err) == auth.ENotFound {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeError(w, apiError{codeForbidden, "a user cannot leave sessiond's organization: delete the user or make it inactive instead"}, true)
}
