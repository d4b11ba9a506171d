package influxapi

import (
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// selfLink is a resource's links object: {"self": "..."}.
type selfLink struct {
	Self string `json:"self"`
}

type userResponse struct {
	Links   selfLink `json:"links"`
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	OAuthID string   `json:"oauthID,omitempty"`
	Status  string   `json:"status"`
}

// influxStatus shows sessiond's states in InfluxDB's two: only active
// users are "active".
func influxStatus(s auth.UserState) string {
	if s == auth.StateActive {
		return "active"
	}
	return "inactive"
}

func newUserResponse(u *auth.User) userResponse {
	return userResponse{Links: selfLink{Self: "/api/v2/users/" + u.ID}, ID: u.ID, Name: u.Name, Status: influxStatus(u.State)}
}

type usersResponse struct {
	Links map[string]string `json:"links"`
	Users []userResponse    `json:"users"`
}

// userRequest is the body of POST and PATCH /users: the Go client sends
// a whole domain.User, so id, links and oauthID are accepted too.
type userRequest struct {
	ID      *string           `json:"id,omitempty"`
	Name    *string           `json:"name,omitempty"`
	OAuthID *string           `json:"oauthID,omitempty"`
	Status  *string           `json:"status,omitempty"`
	Links   map[string]string `json:"links,omitempty"`
	// RestrictedCapabilities is sessiond's: what is switched off for the
	// user (PATCH only), as on the tenant API's users.
	RestrictedCapabilities *[]string `json:"restrictedCapabilities,omitempty"`
}

// restrictedUserResponse answers a PATCH that set restrictedCapabilities:
// InfluxDB's user with sessiond's list beside it.
type restrictedUserResponse struct {
	userResponse
	RestrictedCapabilities []string `json:"restrictedCapabilities"`
}

type passwordRequest struct {
	Password *string `json:"password"`
}

type setupRequest struct {
	Username               string  `json:"username"`
	Password               string  `json:"password"`
	Org                    string  `json:"org"`
	Bucket                 string  `json:"bucket"`
	RetentionPeriodSeconds int64   `json:"retentionPeriodSeconds"`
	RetentionPeriodHrs     int64   `json:"retentionPeriodHrs"`
	Token                  string  `json:"token"`
	Description            *string `json:"description,omitempty"`
}

type orgResponse struct {
	Links       map[string]string `json:"links"`
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

type retentionRule struct {
	Type                      string `json:"type"`
	EverySeconds              int64  `json:"everySeconds"`
	ShardGroupDurationSeconds int64  `json:"shardGroupDurationSeconds"`
}

type bucketResponse struct {
	ID             string            `json:"id"`
	OrgID          string            `json:"orgID"`
	Type           string            `json:"type"`
	Name           string            `json:"name"`
	RetentionRules []retentionRule   `json:"retentionRules"`
	CreatedAt      time.Time         `json:"createdAt"`
	UpdatedAt      time.Time         `json:"updatedAt"`
	Links          map[string]string `json:"links"`
	Labels         []any             `json:"labels"`
}

type resource struct {
	Type  string  `json:"type"`
	ID    *string `json:"id,omitempty"`
	OrgID *string `json:"orgID,omitempty"`
	Name  *string `json:"name,omitempty"`
	Org   *string `json:"org,omitempty"`
}

type permission struct {
	Action   string   `json:"action"`
	Resource resource `json:"resource"`
}

type authResponse struct {
	ID          string            `json:"id"`
	Token       string            `json:"token"`
	Status      string            `json:"status"`
	Description string            `json:"description"`
	OrgID       string            `json:"orgID"`
	Org         string            `json:"org,omitempty"`
	UserID      string            `json:"userID"`
	User        string            `json:"user,omitempty"`
	Permissions []permission      `json:"permissions"`
	Links       map[string]string `json:"links"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

type setupResponse struct {
	User   userResponse   `json:"user"`
	Bucket bucketResponse `json:"bucket"`
	Org    orgResponse    `json:"org"`
	Auth   authResponse   `json:"auth"`
}

type authRequest struct {
	Status      *string      `json:"status,omitempty"`
	Description *string      `json:"description,omitempty"`
	OrgID       *string      `json:"orgID,omitempty"`
	UserID      *string      `json:"userID,omitempty"`
	Permissions []permission `json:"permissions,omitempty"`
}

type authsResponse struct {
	Links          map[string]string `json:"links"`
	Authorizations []authResponse    `json:"authorizations"`
}

func toPermissions(in []permission) []auth.Permission {
	out := make([]auth.Permission, 0, len(in))
	for _, p := range in {
		q := auth.Permission{Action: p.Action, Type: p.Resource.Type}
		if p.Resource.ID != nil {
			q.ID = *p.Resource.ID
		}
		if p.Resource.OrgID != nil {
			q.OrgID = *p.Resource.OrgID
		}
		out = append(out, q)
	}
	return out
}

func fromPermissions(in []auth.Permission) []permission {
	out := make([]permission, 0, len(in))
	for _, p := range in {
		r := resource{Type: p.Type}
		if p.ID != "" {
			r.ID = &p.ID
		}
		if p.OrgID != "" {
			r.OrgID = &p.OrgID
		}
		out = append(out, permission{Action: p.Action, Resource: r})
	}
	return out
}

func newAuthResponse(t *auth.Token, secret, orgName, userName string) authResponse {
	status := "active"
	if !t.Active {
		status = "inactive"
	}
	return authResponse{
		ID: t.ID, Token: secret, Status: status, Description: t.Description, OrgID: t.OrgID, Org: orgName,
		UserID: t.UserID, User: userName, Permissions: fromPermissions(t.Permissions),
		Links:     map[string]string{"self": "/api/v2/authorizations/" + t.ID, "user": "/api/v2/users/" + t.UserID},
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

// sessionResponse is sessiond's own session view: never a token.
type sessionResponse struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userID"`
	Origin     string    `json:"origin"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"userAgent"`
	Current    bool      `json:"current"`
}

type sessionsResponse struct {
	Links    map[string]string `json:"links"`
	Sessions []sessionResponse `json:"sessions"`
}

func newSessionResponse(s *auth.Session, current string) sessionResponse {
	return sessionResponse{
		ID: s.ID, UserID: s.UserID, Origin: string(s.Origin), CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
		LastSeenAt: s.LastSeen, IP: s.IP, UserAgent: s.UserAgent, Current: s.ID == current,
	}
}
