package influxapi

import "github.com/sessiond/sessiond/internal/auth"

// resourceTypes are InfluxDB's permission resource types.
var resourceTypes = []string{
	"authorizations", "buckets", "dashboards", "orgs", "sources", "tasks", "telegrafs", "users", "variables",
	"scrapers", "secrets", "labels", "views", "documents", "notificationRules", "notificationEndpoints",
	"checks", "dbrp", "notebooks", "annotations", "remotes", "replications", "instance",
}

func knownType(t string) bool {
	for _, x := range resourceTypes {
		if x == t {
			return true
		}
	}
	return false
}

// OperatorPermissions are the grants of setup's operator token, for the
// account pages' set-up form.
func OperatorPermissions() []auth.Permission { return operatorPermissions() }

// operatorPermissions is InfluxDB's OperPermissions: read and write on
// every type but instance, unscoped.
func operatorPermissions() []auth.Permission {
	var ps []auth.Permission
	for _, t := range resourceTypes {
		if t == "instance" {
			continue
		}
		ps = append(ps, auth.Permission{Action: "read", Type: t}, auth.Permission{Action: "write", Type: t})
	}
	return ps
}

// caller is who made an authenticated request: a user, through either a
// session cookie or an API token.
type caller struct {
	user    *auth.User
	session *auth.Session // set when authenticated by cookie
	token   *auth.Token   // set when authenticated by token
}

// can reports whether the caller holds action on the resource type (and
// ID, when set), with InfluxDB's matching rules. A session holds what an
// instance owner holds when its user is an admin, and read/write on its
// own user otherwise.
func (c *caller) can(action, typ, id string) bool {
	if c.session != nil {
		return c.user.Admin || typ == "users" && id != "" && id == c.user.ID
	}
	for _, p := range c.token.Permissions {
		if p.Action != action {
			continue
		}
		if p.Type == "instance" {
			return true
		}
		if p.Type != typ {
			continue
		}
		if p.ID == "" && p.OrgID == "" || p.ID != "" && p.ID == id {
			return true
		}
	}
	return false
}

// denied is InfluxDB's permission error: "write:users is unauthorized".
func denied(action, typ, id string) apiError {
	p := action + ":" + typ
	if id != "" {
		p += "/" + id
	}
	return apiError{codeUnauthorized, p + " is unauthorized"}
}
