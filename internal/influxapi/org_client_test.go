package influxapi_test

import (
	"context"
	"strings"
	"testing"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/domain"
)

// errCode is the InfluxDB error code of an influxdb-client-go error: its
// generated client turns a JSON error into "<code>: <message>"
// (domain/client.gen.go, decodeError), and any other answer into
// "<status>: <body>", which has no code.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	code, _, _ := strings.Cut(err.Error(), ": ")
	return code
}

// TestOfficialGoClientOrganizations runs influxdb-client-go's
// OrganizationsAPI (api/organizations.go), unchanged, over a session made
// with SignIn, as its own e2e test does.
func TestOfficialGoClientOrganizations(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	anon := influxdb2.NewClient(e.srv.URL, "")
	defer anon.Close()
	res, err := anon.Setup(ctx, "my-user", "my-password", "my-org", "my-bucket", 0)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	orgID, userID := *res.Org.Id, *res.User.Id

	c := influxdb2.NewClient(e.srv.URL, "")
	defer c.Close()
	if err := c.UsersAPI().SignIn(ctx, "my-user", "my-password"); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	defer c.UsersAPI().SignOut(ctx)
	orgs := c.OrganizationsAPI()

	byName, err := orgs.FindOrganizationByName(ctx, "my-org")
	if err != nil || byName.Id == nil || *byName.Id != orgID || byName.Name != "my-org" || byName.Links == nil || string(*byName.Links.Members) != "/api/v2/orgs/"+orgID+"/members" {
		t.Fatalf("FindOrganizationByName: %+v %v", byName, err)
	}
	if _, err := orgs.FindOrganizationByName(ctx, "no-such-org"); errCode(err) != "not found" {
		t.Fatalf("FindOrganizationByName of an unknown name: %v", err)
	}
	if byID, err := orgs.FindOrganizationByID(ctx, orgID); err != nil || byID.Name != "my-org" {
		t.Fatalf("FindOrganizationByID: %+v %v", byID, err)
	}
	if all, err := orgs.GetOrganizations(ctx); err != nil || len(*all) != 1 {
		t.Fatalf("GetOrganizations: %v %v", all, err)
	}
	if mine, err := orgs.FindOrganizationsByUserID(ctx, userID); err != nil || len(*mine) != 1 || *(*mine)[0].Id != orgID {
		t.Fatalf("FindOrganizationsByUserID: %v %v", mine, err)
	}

	u, err := c.UsersAPI().CreateUserWithName(ctx, "user-01")
	if err != nil {
		t.Fatalf("CreateUserWithName: %v", err)
	}
	m, err := orgs.AddMemberWithID(ctx, orgID, *u.Id)
	if err != nil || m.Role == nil || *m.Role != domain.ResourceMemberRoleMember || m.Name != "user-01" {
		t.Fatalf("AddMemberWithID: %+v %v", m, err)
	}
	members, err := orgs.GetMembersWithID(ctx, orgID)
	if err != nil || len(*members) != 1 || *(*members)[0].Id != *u.Id {
		t.Fatalf("GetMembersWithID: %+v %v", members, err)
	}
	owners, err := orgs.GetOwnersWithID(ctx, orgID)
	if err != nil || len(*owners) != 1 || *(*owners)[0].Id != userID || *(*owners)[0].Role != domain.ResourceOwnerRoleOwner {
		t.Fatalf("GetOwnersWithID: %+v %v", owners, err)
	}
	if o, err := orgs.AddOwnerWithID(ctx, orgID, userID); err != nil || *o.Role != domain.ResourceOwnerRoleOwner {
		t.Fatalf("AddOwnerWithID of the admin: %+v %v", o, err)
	}

	refused := []struct {
		name string
		err  error
		code string
	}{
		{"AddOwnerWithID of a member", func() error { _, err := orgs.AddOwnerWithID(ctx, orgID, *u.Id); return err }(), "forbidden"},
		{"AddMemberWithID of the owner", func() error { _, err := orgs.AddMemberWithID(ctx, orgID, userID); return err }(), "conflict"},
		{"RemoveMemberWithID", orgs.RemoveMemberWithID(ctx, orgID, *u.Id), "forbidden"},
		{"RemoveOwnerWithID", orgs.RemoveOwnerWithID(ctx, orgID, userID), "forbidden"},
		{"CreateOrganizationWithName", func() error { _, err := orgs.CreateOrganizationWithName(ctx, "second-org"); return err }(), "forbidden"},
		{"DeleteOrganizationWithID", orgs.DeleteOrganizationWithID(ctx, orgID), "method not allowed"},
	}
	for _, r := range refused {
		if got := errCode(r.err); got != r.code {
			t.Errorf("%s: %v, want code %q", r.name, r.err, r.code)
		}
	}
}
