package influxapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// The routes in this file are InfluxDB's organizations (influxdb
// tenant/http_server_org.go). sessiond serves one organization: the one
// named at setup, kept in the default tenant's settings (auth.SettingOrgName,
// auth.SettingOrgID). Every user of the default tenant belongs to it; its
// owners are the admins (member.go, docs/influxdb-api.md).

func (h *Handler) orgRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/v2/orgs", h.authed(h.handleListOrgs))
	mux.Handle("POST /api/v2/orgs", h.authed(h.handleCreateOrg))
	mux.Handle("GET /api/v2/orgs/{id}", h.authed(h.handleGetOrg))
	for _, role := range []string{roleMember, roleOwner} {
		path := "/api/v2/orgs/{id}/" + role + "s"
		mux.Handle("GET "+path, h.authed(h.listMembers(role)))
		mux.Handle("POST "+path, h.authed(h.addMember(role)))
		mux.Handle("DELETE "+path+"/{userID}", h.authed(h.handleRemoveMember))
	}
	mux.Handle("GET /api/v2/resources", h.authed(h.handleResources))
}

type orgsResponse struct {
	Links map[string]string `json:"links"`
	Orgs  []orgResponse     `json:"orgs"`
}

// InfluxDB's errors for organizations (tenant/error_org.go,
// kit/platform/id.go).
var (
	errOrgNotFound = apiError{codeNotFound, "organization not found"}
	errIDLength    = apiError{codeInvalid, "id must have a length of 16 bytes"}
	errInvalidID   = apiError{codeInvalid, "invalid ID"}
)

// parseID checks an ID as InfluxDB's platform.ID.Decode does: 16
// characters of hexadecimal, not zero. It returns the ID in the lower-case
// form sessiond stores.
func parseID(s string) (string, *apiError) {
	if len(s) != 16 {
		return "", &errIDLength
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || v == 0 {
		return "", &errInvalidID
	}
	return strings.ToLower(s), nil
}

// theOrg returns the organization recorded at setup; ok is false before
// setup. Its times are the default tenant's: sessiond keeps no other.
func (h *Handler) theOrg(ctx context.Context) (org orgResponse, ok bool, err error) {
	t, err := h.svc.Tenant(ctx, tenant)
	if err != nil {
		return orgResponse{}, false, err
	}
	id := t.Settings[auth.SettingOrgID]
	if id == "" {
		return orgResponse{}, false, nil
	}
	return newOrgResponse(id, t.Settings[auth.SettingOrgName], t.CreatedAt, t.UpdatedAt), true, nil
}

// newOrgResponse is InfluxDB's orgResponse (tenant/http_server_org.go,
// newOrgResponse): the name goes into the query links as it is.
func newOrgResponse(id, name string, created, updated time.Time) orgResponse {
	p := "/api/v2/orgs/" + id
	return orgResponse{
		Links: map[string]string{
			"self": p, "logs": p + "/logs", "members": p + "/members", "owners": p + "/owners",
			"secrets": p + "/secrets", "labels": p + "/labels",
			"buckets": "/api/v2/buckets?org=" + name, "tasks": "/api/v2/tasks?org=" + name, "dashboards": "/api/v2/dashboards?org=" + name,
		},
		ID: id, Name: name, CreatedAt: created.UTC(), UpdatedAt: updated.UTC(),
	}
}

// canReadOrg reports whether the caller holds read:orgs/{id}, as InfluxDB's
// AuthorizeReadOrg asks. Every user of the default tenant is a member of
// the organization, and InfluxDB gives members read on their organization
// (MemberPermissions), so every session may read it; a token needs a
// permission that matches.
func (c *caller) canReadOrg(id string) bool {
	return c.session != nil || c.can("read", "orgs", id)
}

// canWriteOrg reports whether the caller may change the organization's
// members, as InfluxDB's AuthorizeWrite(orgs, id, id) asks: an admin's
// session, or a token holding write on orgs globally, on this ID, or on
// everything of this organization (a permission with orgID and no id).
func (c *caller) canWriteOrg(id string) bool {
	if c.can("write", "orgs", id) {
		return true
	}
	if c.token == nil {
		return false
	}
	for _, p := range c.token.Permissions {
		if p.Action == "write" && p.Type == "orgs" && p.ID == "" && p.OrgID == id {
			return true
		}
	}
	return false
}

// deniedOrgWrite is InfluxDB's message for that permission, which names
// the organization twice (authz.go, Resource.String).
func deniedOrgWrite(id string) apiError {
	return apiError{codeUnauthorized, "write:orgs/" + id + "/orgs/" + id + " is unauthorized"}
}

// findOptions checks the paging parameters as InfluxDB's
// DecodeFindOptions does (paging.go), with its messages, and returns the
// offset. With one organization at most, a valid limit changes nothing.
func findOptions(q url.Values) (offset int, e *apiError) {
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, &apiError{codeInvalid, "offset is invalid"}
		}
		offset = max(n, 0)
	}
	if v := q.Get("after"); v != "" {
		if _, e := parseID(v); e != nil {
			return 0, &apiError{codeInvalid, "decoding after: " + e.Message}
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, &apiError{codeInvalid, "limit is invalid"}
		}
		if n < 1 || n > 100 {
			return 0, &apiError{codeInvalid, "limit must be between 1 and 100"}
		}
	}
	if v := q.Get("descending"); v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			return 0, &apiError{codeInvalid, "descending is invalid"}
		}
	}
	return offset, nil
}

// handleListOrgs is GET /api/v2/orgs. As InfluxDB (OrgSvc.FindOrganizations):
// orgID wins over org, which wins over userID; an orgID or userID that is
// not an ID is ignored; an unknown orgID or name is a 404; paging applies
// only without orgID and org; organizations the caller may not read are
// left out.
func (h *Handler) handleListOrgs(w http.ResponseWriter, r *http.Request, c *caller) {
	q := r.URL.Query()
	offset, e := findOptions(q)
	if e != nil {
		writeError(w, *e, true)
		return
	}
	org, exists, err := h.theOrg(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	found := exists
	orgID, orgIDErr := parseID(q.Get("orgID"))
	userID, userIDErr := parseID(q.Get("userID"))
	switch name := q.Get("org"); {
	case orgIDErr == nil:
		if !exists || org.ID != orgID {
			writeError(w, errOrgNotFound, true)
			return
		}
	case name != "":
		if !exists || strings.TrimSpace(name) != strings.TrimSpace(org.Name) {
			writeError(w, apiError{codeNotFound, `organization name "` + name + `" not found`}, true)
			return
		}
	default:
		if userIDErr == nil && exists {
			_, err := h.svc.User(r.Context(), tenant, userID)
			if auth.ErrorCode(err) == auth.ENotFound {
				found = false // not a member of anything
			} else if err != nil {
				h.fail(w, r, err)
				return
			}
		}
		found = found && offset == 0
	}
	out := []orgResponse{}
	if found && c.canReadOrg(org.ID) {
		out = append(out, org)
	}
	respond(w, http.StatusOK, orgsResponse{Links: map[string]string{"self": "/api/v2/orgs"}, Orgs: out})
}

// orgPathID reads and checks the {id} path value.
func orgPathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, e := parseID(r.PathValue("id"))
	if e != nil {
		writeError(w, *e, true)
		return "", false
	}
	return id, true
}

// handleGetOrg is GET /api/v2/orgs/{id}: the permission is checked before
// the lookup, as InfluxDB's AuthedOrgService does.
func (h *Handler) handleGetOrg(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := orgPathID(w, r)
	if !ok {
		return
	}
	if !c.canReadOrg(id) {
		writeError(w, denied("read", "orgs", id), true)
		return
	}
	org, exists, err := h.theOrg(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !exists || org.ID != id {
		writeError(w, errOrgNotFound, true)
		return
	}
	respond(w, http.StatusOK, org)
}

// handleCreateOrg is POST /api/v2/orgs. sessiond serves one organization,
// so after InfluxDB's own checks (write:orgs, a name, a name not taken) the
// request is refused with 403.
func (h *Handler) handleCreateOrg(w http.ResponseWriter, r *http.Request, c *caller) {
	var body struct {
		Name        *string `json:"name"`
		Description *string `json:"description,omitempty"`
	}
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	if !c.can("write", "orgs", "") {
		writeError(w, denied("write", "orgs", ""), true)
		return
	}
	if body.Name == nil || strings.TrimSpace(*body.Name) == "" {
		writeError(w, apiError{codeInvalid, "org name is empty"}, true)
		return
	}
	org, exists, err := h.theOrg(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if exists && strings.TrimSpace(*body.Name) == strings.TrimSpace(org.Name) {
		writeError(w, apiError{codeConflict, "organization with name " + *body.Name + " already exists"}, true)
		return
	}
	writeError(w, apiError{codeForbidden, "sessiond serves one organization, the one named at setup"}, true)
}
