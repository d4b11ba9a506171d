package influxapi

import (
	"encoding/json"
	"net/http"
)

// handleResources is GET /api/v2/resources: the resource types sessiond's
// permissions accept, which are InfluxDB's AllResourceTypes in its order.
// The influx CLI builds --operator and --all-access tokens from it. The
// body is written as InfluxDB's NewResourceListHandler writes it
// (http/resources.go): compact, with a final newline, and Content-Type
// without a charset.
func (h *Handler) handleResources(w http.ResponseWriter, r *http.Request, _ *caller) {
	w.Header()["Content-Type"] = resourcesContentType
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(resourceTypes)
}

var resourcesContentType = []string{"application/json"}
