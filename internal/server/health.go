package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

func (a *App) versionHeaders(w http.ResponseWriter) {
	w.Header().Set("X-Influxdb-Build", "OSS")
	w.Header().Set("X-Influxdb-Version", "sessiond-"+Version)
}

// handlePing is GET|HEAD /ping: 204, the version in headers, as InfluxDB.
func (a *App) handlePing(w http.ResponseWriter, r *http.Request) {
	a.versionHeaders(w)
	w.WriteHeader(http.StatusNoContent)
}

// handleHealth is GET /health in InfluxDB's shape.
func (a *App) handleHealth(w http.ResponseWriter, r *http.Request) {
	a.versionHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprintf(w, `{"name":"sessiond", "message":"ready for sign-ins", "status":"pass", "checks":[], "version": %q, "commit": ""}`+"\n", Version)
}

type readyCheck struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// handleReady is GET /ready: InfluxDB's body plus the state of each
// storage engine ("sqlite", "postgres", "redis"); 503 while any engine
// does not answer. The engines are asked in parallel, each for at most 2s,
// so one engine down does not delay the answer about the others.
func (a *App) handleReady(w http.ResponseWriter, r *http.Request) {
	a.versionHeaders(w)
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status, code := "ready", http.StatusOK
	checks := make([]readyCheck, len(a.stores.Checks))
	errs := make([]error, len(a.stores.Checks))
	var wg sync.WaitGroup
	for i, c := range a.stores.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Ping(ctx)
		}()
	}
	wg.Wait()
	for i, c := range a.stores.Checks {
		checks[i] = readyCheck{Name: c.Name, Status: "pass"}
		if errs[i] != nil {
			checks[i].Status, checks[i].Message = "fail", c.Name+" does not answer"
			status, code = "unavailable", http.StatusServiceUnavailable
			a.log.Warn("engine not ready", "engine", c.Name, "err", errs[i])
		}
	}
	now := time.Now()
	body, _ := json.MarshalIndent(struct {
		Status  string       `json:"status"`
		Started time.Time    `json:"started"`
		Up      string       `json:"up"`
		Checks  []readyCheck `json:"checks"`
	}{status, a.started, now.Sub(a.started).String(), checks}, "", "    ")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(body)
}
