// Package securitytest is sessiond's black-box security suite: its tests
// start a real server (server.Open behind an httptest listener), drive it
// over HTTP only, and walk the points of the 38-point checklist in
// docs/security.md that apply to the core and the InfluxDB dialect. Each
// test is named after its point (TestD29AccountLockout is point 29).
package securitytest
