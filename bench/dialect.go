package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/influxapi"
)

// errNotAvailable marks a dialect whose routes are not served yet.
var errNotAvailable = errors.New("not available yet")

// benchPassword is every benchmark user's password.
const benchPassword = "correct horse battery staple"

// dialect is one API's session check: the route, and how to get n
// credentials for it (header sets, one per session).
type dialect struct {
	name   string
	method string
	path   string
	setup  func(ctx context.Context, in *instance, n int) ([]map[string]string, error)
}

// dialects is every session check sessiond serves, or will.
var dialects = []dialect{
	{"influxdb", "GET", "/api/v2/me", influxSetup},
	{"rocketchat", "GET", "/api/v1/me", rocketSetup},
	{"tenant", "GET", "/auth/me", tenantSetup},
}

// prepare checks that the dialect's route is served, makes its
// credentials and checks each of them once.
func (d dialect) prepare(ctx context.Context, in *instance, n int) ([]map[string]string, error) {
	status, _, _, err := call(ctx, d.method, in.url+d.path, nil, nil)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound {
		return nil, errNotAvailable
	}
	sets, err := d.setup(ctx, in, n)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	for _, h := range sets {
		status, _, body, err := call(ctx, d.method, in.url+d.path, h, nil)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("check answered %d: %.200s", status, body)
		}
	}
	return sets, nil
}

var benchClient = auth.Client{IP: "127.0.0.1", UserAgent: "sessiond-bench/1"}

func influxSetup(ctx context.Context, in *instance, n int) ([]map[string]string, error) {
	svc := in.app.Service()
	u, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bench-influx", Password: benchPassword})
	if err != nil {
		return nil, err
	}
	key, err := influxSignin(ctx, in, u.Name)
	if err != nil {
		return nil, err
	}
	keys := []string{key}
	for len(keys) < n {
		k, err := seedSession(ctx, in.app.Sessions(), u, auth.OriginInflux, benchClient, auth.InfluxTokenFormat, in.clock.Now(), 10*time.Minute)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	sets := make([]map[string]string, len(keys))
	for i, k := range keys {
		sets[i] = map[string]string{"Cookie": influxapi.CookieName + "=" + k}
	}
	return sets, nil
}

func rocketSetup(ctx context.Context, in *instance, n int) ([]map[string]string, error) {
	svc := in.app.Service()
	u, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bench-rocket", Password: benchPassword})
	if err != nil {
		return nil, err
	}
	status, _, body, err := call(ctx, "POST", in.url+"/api/v1/login", nil, map[string]string{"user": u.Name, "password": benchPassword})
	if err != nil {
		return nil, err
	}
	var login struct {
		Data struct {
			UserID    string `json:"userId"`
			AuthToken string `json:"authToken"`
		} `json:"data"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &login) != nil || login.Data.AuthToken == "" {
		return nil, fmt.Errorf("login answered %d: %.200s", status, body)
	}
	sets := []map[string]string{{"X-User-Id": login.Data.UserID, "X-Auth-Token": login.Data.AuthToken}}
	for len(sets) < n {
		tok, err := seedSession(ctx, in.app.Sessions(), u, auth.OriginRocket, benchClient, auth.DefaultTokenFormat, in.clock.Now(), in.cfg.RocketLoginExpiration)
		if err != nil {
			return nil, err
		}
		sets = append(sets, map[string]string{"X-User-Id": u.ID, "X-Auth-Token": tok})
	}
	return sets, nil
}

// tenantClientHeaders are the client headers a WebmixHub client sends.
var tenantClientHeaders = map[string]string{
	"x-locale": "en", "x-country": "US", "x-device-id": "sessiond-bench-1",
	"x-client-version": "1.0.0", "x-platform": "web", "x-platform-version": "1",
}

// maxTenantSignins bounds the tenant sign-ins (each one password hash,
// and the dialect limits sign-ins per IP and hour).
const maxTenantSignins = 8

// influxSignin signs a user in through POST /api/v2/signin and returns the
// session cookie's value.
func influxSignin(ctx context.Context, in *instance, name string) (string, error) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+benchPassword))
	status, hdr, body, err := call(ctx, "POST", in.url+"/api/v2/signin", map[string]string{"Authorization": basic}, nil)
	if err != nil {
		return "", err
	}
	if status != http.StatusNoContent {
		return "", fmt.Errorf("signin answered %d: %.200s", status, body)
	}
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == influxapi.CookieName && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", errors.New("signin set no session cookie")
}

// createTenant makes a tenant through the management API
// (POST /api/v2/tenants) as an administrator, and returns its token.
func createTenant(ctx context.Context, in *instance, name string) (string, error) {
	const admin = "bench-admin"
	if _, err := in.app.Service().CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: admin, Password: benchPassword, Admin: true}); err != nil {
		return "", err
	}
	key, err := influxSignin(ctx, in, admin)
	if err != nil {
		return "", err
	}
	status, _, body, err := call(ctx, "POST", in.url+"/api/v2/tenants", map[string]string{"Cookie": influxapi.CookieName + "=" + key}, map[string]string{"name": name})
	if err != nil {
		return "", err
	}
	var t struct {
		Token string `json:"token"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &t) != nil || t.Token == "" {
		return "", fmt.Errorf("POST /api/v2/tenants answered %d: %.200s", status, body)
	}
	return t.Token, nil
}

// tenantSetup makes a tenant, signs a user up and in through /auth, and
// returns up to maxTenantSignins access tokens.
func tenantSetup(ctx context.Context, in *instance, n int) ([]map[string]string, error) {
	ttok, err := createTenant(ctx, in, "sessiond-bench")
	if err != nil {
		return nil, err
	}
	hdr := map[string]string{"x-tenant-token": ttok}
	for k, v := range tenantClientHeaders {
		hdr[k] = v
	}
	cred := map[string]string{"method": "password", "email": "bench@example.com", "password": benchPassword}
	var sets []map[string]string
	for i := 0; i < min(n, maxTenantSignins); i++ {
		path := "/auth/signin"
		if i == 0 {
			path = "/auth/signup"
		}
		status, _, body, err := call(ctx, "POST", in.url+path, hdr, cred)
		if err != nil {
			return nil, err
		}
		var env struct {
			Data struct {
				AccessToken string `json:"accessToken"`
			} `json:"data"`
		}
		if status/100 != 2 || json.Unmarshal(body, &env) != nil || env.Data.AccessToken == "" {
			return nil, fmt.Errorf("%s answered %d: %.200s", strings.TrimPrefix(path, "/auth/"), status, body)
		}
		set := map[string]string{"x-token": env.Data.AccessToken}
		for k, v := range hdr {
			set[k] = v
		}
		sets = append(sets, set)
	}
	return sets, nil
}
