package influxapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// influxCLI sends requests as the official InfluxDB command-line client
// (influxdata/influx-cli at 8cdf4016) sends them, as its --http-debug shows:
// its User-Agent and Accept: application/json on every request
// (cmd/influx/global.go newApiClient; api/client.gen.go prepareRequest adds
// the User-Agent, each api/api_*.gen.go its Accept); JSON bodies written by
// encoding/json's Encoder (api/client.gen.go setBody), so with a final
// newline, keys in the order of the generated models' MarshalJSON (a map,
// so sorted); and, for a username/password config, a POST /api/v2/signin
// with Basic credentials before every command, whose cookie then rides in
// a Cookie header (clients/signin/signin.go GetCookie,
// api/configuration_default.go).
type influxCLI struct {
	t      *testing.T
	base   string
	cookie string // influxdb-oss-session value after signin
	token  string // a token config's token, sent as "Token <t>"
}

const cliUserAgent = "influx/dev (linux) Sha/none Date/2026-12-04T15:27:59Z"

// send makes one request and checks its status; out, when not nil,
// receives the decoded answer.
func (c *influxCLI) send(method, path, body string, want int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body + "\n")
	}
	r, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	r.Header.Set("User-Agent", cliUserAgent)
	r.Header.Set("Accept", "application/json")
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		r.Header.Set("Authorization", "Token "+c.token)
	} else if c.cookie != "" {
		r.Header.Set("Cookie", sessionKey+"="+c.cookie)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if ct := resp.Header.Get("Content-Type"); len(b) > 0 && !strings.HasPrefix(ct, "application/json") {
		c.t.Fatalf("%s %s: Content-Type %q: the CLI decodes only JSON", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// signin is what every command of a username/password config does first:
// the config keeps base64("user:password") (clients/config/config.go
// CreateWithUserPass) and GetCookie sends it as Basic credentials with no
// body, then keeps the value of the cookie whose name contains "influxdb".
func (c *influxCLI) signin(userPass string) {
	c.t.Helper()
	r, err := http.NewRequest("POST", c.base+"/api/v2/signin", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	r.Header.Set("User-Agent", cliUserAgent)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(userPass)))
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	c.cookie = ""
	for _, k := range resp.Cookies() {
		if strings.Contains(k.Name, "influxdb") {
			c.cookie = k.Value
		}
	}
	if resp.StatusCode != http.StatusNoContent || c.cookie == "" {
		c.t.Fatalf("signin: %d, cookie %q", resp.StatusCode, c.cookie)
	}
}

// orgID resolves -o NAME as every command does (clients/params.go
// OrgParams.GetOrgID): GET /api/v2/orgs?org=NAME, then orgs[0].id.
func (c *influxCLI) orgID(name string) string {
	c.t.Helper()
	var res struct {
		Orgs []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"orgs"`
	}
	c.send("GET", "/api/v2/orgs?org="+url.QueryEscape(name), "", http.StatusOK, &res)
	if len(res.Orgs) == 0 || res.Orgs[0].ID == "" {
		c.t.Fatalf("no organization with name %q", name)
	}
	return res.Orgs[0].ID
}

type cliMember struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

// userCreate is `influx user create -n NAME -p PASSWORD --org-id ID`
// (clients/user/user.go Create; with -o ORG the org lookup comes first):
// the user, its membership, then its password. A failed membership used to
// stop the command before the password, leaving the user without one
// (issue 17).
func (c *influxCLI) userCreate(name, password, id string) string {
	c.t.Helper()
	var u struct {
		ID string `json:"id"`
	}
	c.send("POST", "/api/v2/users", `{"name":"`+name+`"}`, http.StatusCreated, &u)
	var m cliMember
	c.send("POST", "/api/v2/orgs/"+id+"/members", `{"id":"`+u.ID+`"}`, http.StatusCreated, &m)
	if m.ID != u.ID || m.Role != "member" {
		c.t.Fatalf("membership answered %+v", m)
	}
	c.send("POST", "/api/v2/users/"+u.ID+"/password", `{"password":"`+password+`"}`, http.StatusNoContent, nil)
	return u.ID
}

// membersList is `influx org members list` (clients/org/org_members.go
// ListMembers): members, then owners, shown owners first.
func (c *influxCLI) membersList(org string) []cliMember {
	c.t.Helper()
	id := c.orgID(org)
	var members, owners struct {
		Users []cliMember `json:"users"`
	}
	c.send("GET", "/api/v2/orgs/"+id+"/members", "", http.StatusOK, &members)
	c.send("GET", "/api/v2/orgs/"+id+"/owners", "", http.StatusOK, &owners)
	return append(owners.Users, members.Users...)
}

type cliResource struct {
	ID    string `json:"id,omitempty"`
	OrgID string `json:"orgID,omitempty"`
	Type  string `json:"type"`
}

type cliPermission struct {
	Action   string      `json:"action"`
	Resource cliResource `json:"resource"`
}

// authCreate is `influx auth create --all-access -o ORG` without --user
// (clients/auth/auth.go Create): the org lookup, GET /api/v2/users?name=
// (the flag's empty value is sent; the first user answered is taken, and
// returned as userID),
// GET /api/v2/resources, then the token with every resource type but
// instance: orgs read by ID, users by the user's ID, the rest scoped to
// the organization. With operator set it is `--operator` instead: read
// and write on every type but instance, unscoped.
func (c *influxCLI) authCreate(org string, operator bool) (tokenID, token, userID string) {
	c.t.Helper()
	id := c.orgID(org)
	var users struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	c.send("GET", "/api/v2/users?name=", "", http.StatusOK, &users)
	if len(users.Users) == 0 {
		c.t.Fatal("could not find user")
	}
	userID = users.Users[0].ID
	var resources []string
	c.send("GET", "/api/v2/resources", "", http.StatusOK, &resources)
	var ps []cliPermission
	for _, r := range resources {
		switch {
		case r == "instance":
			continue
		case operator:
			ps = append(ps, cliPermission{"read", cliResource{Type: r}}, cliPermission{"write", cliResource{Type: r}})
		case r == "orgs":
			ps = append(ps, cliPermission{"read", cliResource{ID: id, Type: r}})
		case r == "users":
			ps = append(ps, cliPermission{"read", cliResource{ID: userID, Type: r}}, cliPermission{"write", cliResource{ID: userID, Type: r}})
		default:
			ps = append(ps, cliPermission{"read", cliResource{OrgID: id, Type: r}}, cliPermission{"write", cliResource{OrgID: id, Type: r}})
		}
	}
	var body bytes.Buffer
	if err := json.NewEncoder(&body).Encode(struct {
		OrgID       string          `json:"orgID"`
		Permissions []cliPermission `json:"permissions"`
		UserID      string          `json:"userID"`
	}{id, ps, userID}); err != nil {
		c.t.Fatal(err)
	}
	var a struct {
		ID          string          `json:"id"`
		Token       string          `json:"token"`
		Permissions []cliPermission `json:"permissions"`
	}
	c.send("POST", "/api/v2/authorizations", strings.TrimSuffix(body.String(), "\n"), http.StatusCreated, &a)
	if a.Token == "" || len(a.Permissions) != len(ps) {
		c.t.Fatalf("token answered with %d permissions, asked %d", len(a.Permissions), len(ps))
	}
	return a.ID, a.Token, userID
}

// authList is `influx auth list` (clients/auth/auth.go List): the IDs.
func (c *influxCLI) authList() []string {
	c.t.Helper()
	var res struct {
		Authorizations []struct {
			ID string `json:"id"`
		} `json:"authorizations"`
	}
	c.send("GET", "/api/v2/authorizations", "", http.StatusOK, &res)
	var ids []string
	for _, a := range res.Authorizations {
		ids = append(ids, a.ID)
	}
	return ids
}

// TestInfluxCLIFlow replays the influx CLI's requests for issue 17's flow:
// setup, a username/password config, user create -o, org members list,
// auth create --all-access -o, auth list. It needs no binary, so it always
// runs; TestInfluxCLI (internal/server) runs the real binary through the
// same flow against a sessiond process when SESSIOND_TEST_INFLUX_CLI
// names it.
func TestInfluxCLIFlow(t *testing.T) {
	e := start(t, "")
	cli := &influxCLI{t: t, base: e.srv.URL}

	// influx setup -u admin -p … -o acme -b bucket0 -r 0 -f
	// (clients/setup/setup.go): the check, then the onboarding request.
	var allowed struct {
		Allowed bool `json:"allowed"`
	}
	cli.send("GET", "/api/v2/setup", "", http.StatusOK, &allowed)
	if !allowed.Allowed {
		t.Fatal("setup not allowed on a new server")
	}
	var setup struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Org struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"org"`
	}
	cli.send("POST", "/api/v2/setup", `{"bucket":"bucket0","org":"acme","password":"admin-passw0rd-x","retentionPeriodSeconds":0,"username":"admin"}`, http.StatusCreated, &setup)

	// influx config create -n pw -u URL -p admin:admin-passw0rd-x -o acme:
	// no request; each command below signs in first.
	const adminPass = "admin:admin-passw0rd-x"
	e.clock.Advance(time.Minute) // users made later than setup's

	// influx user create -n bob -p bob-passw0rd-x -o acme
	cli.signin(adminPass)
	id := cli.orgID("acme")
	if id != setup.Org.ID {
		t.Fatalf("org lookup found %s, setup made %s", id, setup.Org.ID)
	}
	bobID := cli.userCreate("bob", "bob-passw0rd-x", id)
	bob := &influxCLI{t: t, base: e.srv.URL}
	bob.signin("bob:bob-passw0rd-x") // the password was set

	// influx org members list
	cli.signin(adminPass)
	var got []string
	for _, m := range cli.membersList("acme") {
		got = append(got, m.Name+" "+m.Role+" "+m.Status)
	}
	if want := []string{"admin owner active", "bob member active"}; !slices.Equal(got, want) {
		t.Fatalf("members %q, want %q", got, want)
	}

	// influx auth create --all-access -o acme
	cli.signin(adminPass)
	allAccessID, allAccess, owner := cli.authCreate("acme", false)
	if owner != setup.User.ID {
		t.Fatalf("auth create made the token for %s, want the setup user %s", owner, setup.User.ID)
	}
	// influx org list -t TOKEN (clients/org/org.go List): the new token
	// reads its organization.
	tok := &influxCLI{t: t, base: e.srv.URL, token: allAccess}
	var orgs struct {
		Orgs []struct {
			Name string `json:"name"`
		} `json:"orgs"`
	}
	tok.send("GET", "/api/v2/orgs", "", http.StatusOK, &orgs)
	if len(orgs.Orgs) != 1 || orgs.Orgs[0].Name != "acme" {
		t.Fatalf("org list with the all-access token: %+v", orgs)
	}

	// influx auth create --operator -o acme
	cli.signin(adminPass)
	operatorID, _, _ := cli.authCreate("acme", true)

	// influx auth list
	cli.signin(adminPass)
	ids := cli.authList()
	for _, id := range []string{allAccessID, operatorID} {
		if !slices.Contains(ids, id) {
			t.Errorf("auth list %q lacks %s", ids, id)
		}
	}

	// influx user create -n carol -p … --org-id ID: no lookup.
	cli.signin(adminPass)
	if id := cli.userCreate("carol", "carol-passw0rd-x", setup.Org.ID); id == bobID {
		t.Fatal("carol got bob's ID")
	}
	(&influxCLI{t: t, base: e.srv.URL}).signin("carol:carol-passw0rd-x")
}

// TestInfluxCLIAuthCreateForTheSetupUser: `influx auth create` without
// --user makes its token for the first user GET /api/v2/users?name=
// answers. Against InfluxDB that is the oldest user, the one made at
// setup, because InfluxDB lists users by ID and its user IDs grow with
// time. sessiond's IDs are random, so it lists users oldest first: here
// bob is made after setup with an ID lower than any the admin can have,
// and the token must still be the admin's (the real CLI made it for bob
// whenever his random ID was the lower). after= pages in that order.
func TestInfluxCLIAuthCreateForTheSetupUser(t *testing.T) {
	e := start(t, "")
	cli := &influxCLI{t: t, base: e.srv.URL}
	var setup struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	cli.send("POST", "/api/v2/setup", `{"bucket":"bucket0","org":"acme","password":"admin-passw0rd-x","retentionPeriodSeconds":0,"username":"admin"}`, http.StatusCreated, &setup)
	const bobID = "0000000000000001"
	if setup.User.ID <= bobID {
		t.Fatalf("setup user %s: want an ID above %s", setup.User.ID, bobID)
	}
	e.clock.Advance(time.Second)
	if _, err := e.app.Service().CreateUser(t.Context(), newUser(bobID, "bob", "bob-passw0rd-x", "active")); err != nil {
		t.Fatal(err)
	}

	cli.signin("admin:admin-passw0rd-x")
	if _, _, owner := cli.authCreate("acme", false); owner != setup.User.ID {
		t.Fatalf("auth create --all-access made the token for %s, want the setup user %s", owner, setup.User.ID)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"admin", "bob"}},
		{"?after=" + setup.User.ID, []string{"bob"}},
		{"?after=" + bobID, nil},
		{"?after=00000000000000ff", nil}, // no such user
		{"?limit=1", []string{"admin"}},
		{"?offset=1", []string{"bob"}},
	} {
		var res struct {
			Users []struct {
				Name string `json:"name"`
			} `json:"users"`
		}
		cli.send("GET", "/api/v2/users"+tc.query, "", http.StatusOK, &res)
		var got []string
		for _, u := range res.Users {
			got = append(got, u.Name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("GET /api/v2/users%s: %q, want %q", tc.query, got, tc.want)
		}
	}
}
