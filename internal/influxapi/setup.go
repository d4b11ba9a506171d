package influxapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

func (h *Handler) handleSetupAllowed(w http.ResponseWriter, r *http.Request) {
	ok, err := h.svc.SetupAllowed(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond(w, http.StatusOK, map[string]bool{"allowed": ok})
}

// shardGroupSeconds is InfluxDB's default shard group duration for a
// retention period.
func shardGroupSeconds(retention int64) int64 {
	switch {
	case retention == 0 || retention >= 180*24*3600:
		return 7 * 24 * 3600
	case retention < 2*24*3600:
		return 3600
	}
	return 24 * 3600
}

// handleSetup is POST /api/v2/setup: the first user, the organization and
// an operator token. sessiond keeps no time series, so the bucket is
// checked and answered but not stored.
func (h *Handler) handleSetup(w http.ResponseWriter, r *http.Request) {
	allowed, err := h.svc.SetupAllowed(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !allowed {
		writeError(w, apiError{codeConflict, "onboarding has already been completed"}, true)
		return
	}
	var req setupRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"username", req.Username}, {"org", req.Org}, {"bucket", req.Bucket}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		writeError(w, apiError{codeUnprocessable, "onboarding failed: missing required fields [" + strings.Join(missing, ",") + "]"}, true)
		return
	}
	res, err := h.svc.Setup(r.Context(), auth.SetupRequest{
		Username: req.Username, Password: req.Password, Org: req.Org, Token: req.Token, Permissions: operatorPermissions(),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	orgID := res.Tenant.Settings[auth.SettingOrgID]
	now := time.Now().UTC()
	retention := req.RetentionPeriodSeconds
	if retention <= 0 && req.RetentionPeriodHrs > 0 {
		retention = int64(time.Duration(req.RetentionPeriodHrs) / time.Second) // InfluxDB reads it as nanoseconds
	}
	bucketID := auth.NewID()
	q := url.QueryEscape(req.Org)
	respond(w, http.StatusCreated, setupResponse{
		User: newUserResponse(res.User),
		Org: orgResponse{
			Links: map[string]string{
				"self": "/api/v2/orgs/" + orgID, "logs": "/api/v2/orgs/" + orgID + "/logs", "members": "/api/v2/orgs/" + orgID + "/members",
				"owners": "/api/v2/orgs/" + orgID + "/owners", "secrets": "/api/v2/orgs/" + orgID + "/secrets", "labels": "/api/v2/orgs/" + orgID + "/labels",
				"buckets": "/api/v2/buckets?org=" + q, "tasks": "/api/v2/tasks?org=" + q, "dashboards": "/api/v2/dashboards?org=" + q,
			},
			ID: orgID, Name: req.Org, CreatedAt: now, UpdatedAt: now,
		},
		Bucket: bucketResponse{
			ID: bucketID, OrgID: orgID, Type: "user", Name: req.Bucket,
			RetentionRules: []retentionRule{{Type: "expire", EverySeconds: retention, ShardGroupDurationSeconds: shardGroupSeconds(retention)}},
			CreatedAt:      now, UpdatedAt: now, Labels: []any{},
			Links: map[string]string{
				"self": "/api/v2/buckets/" + bucketID, "org": "/api/v2/orgs/" + orgID, "members": "/api/v2/buckets/" + bucketID + "/members",
				"owners": "/api/v2/buckets/" + bucketID + "/owners", "labels": "/api/v2/buckets/" + bucketID + "/labels",
				"write": "/api/v2/write?org=" + orgID + "&bucket=" + bucketID,
			},
		},
		Auth: newAuthResponse(res.Token, res.Secret, "", ""),
	})
}
