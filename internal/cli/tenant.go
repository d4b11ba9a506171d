package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// tenant is what the management API shows of a tenant of /auth.
type tenant struct {
	ID                     string         `json:"id"`
	Name                   string         `json:"name"`
	Token                  string         `json:"token"`
	Disabled               bool           `json:"disabled"`
	RestrictedCapabilities []string       `json:"restrictedCapabilities"`
	ClientHeaders          string         `json:"clientHeaders"`
	RateLimits             map[string]int `json:"rateLimits"`
}

// capabilityList reads a comma-separated --capabilities value; empty is
// an empty list (nothing restricted).
func capabilityList(v string) []string {
	out := []string{}
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// tenantCmd manages the tenants of the tenant auth API (/auth).
func tenantCmd(env Env) *cobra.Command {
	cmd, c := manage(env, "tenant", "tenants of the tenant auth API (/auth)")

	var name, caps, headers string
	create := leaf("create --name NAME [--capabilities C,...] [--client-headers require|accept]", "create a tenant and print its token", func(cmd *cobra.Command) error {
		body := map[string]any{"name": name}
		if caps != "" {
			body["restrictedCapabilities"] = capabilityList(caps)
		}
		if headers != "" {
			body["clientHeaders"] = headers
		}
		var t tenant
		if err := c.do(cmd.Context(), "POST", "/api/v2/tenants", body, &t); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "tenant\t%s\t%s\ntenant token\t%s\n", t.ID, t.Name, t.Token)
		return nil
	})
	create.Flags().StringVar(&name, "name", "", "tenant name")
	create.Flags().StringVar(&caps, "capabilities", "", "comma-separated capabilities to restrict")
	create.Flags().StringVar(&headers, "client-headers", "", `missing client headers: "require" or "accept"`)
	create.MarkFlagRequired("name")

	list := leaf("list", "list tenants (their tokens are never shown)", func(cmd *cobra.Command) error {
		tenants, err := c.tenants(cmd.Context())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tDISABLED\tCLIENT HEADERS\tRESTRICTED")
		for _, t := range tenants {
			fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", t.ID, t.Name, t.Disabled, t.ClientHeaders, strings.Join(t.RestrictedCapabilities, ","))
		}
		return tw.Flush()
	})

	var rRef tenantRef
	var rUser userRef
	var rCaps string
	restrict := leaf("restrict (--id ID | --name NAME) [--user-id ID | --user NAME] --capabilities C,...", "restrict a tenant's or one user's capabilities (an empty list lifts all)", func(cmd *cobra.Command) error {
		if !cmd.Flags().Changed("capabilities") {
			return errors.New("--capabilities is required (an empty value lifts every restriction)")
		}
		path, err := c.tenantPath(cmd.Context(), rRef)
		if err != nil {
			return err
		}
		body := map[string]any{"restrictedCapabilities": capabilityList(rCaps)}
		if rUser.given() {
			u, err := c.user(cmd.Context(), path, rUser)
			if err != nil {
				return err
			}
			return c.do(cmd.Context(), "PATCH", path+"/users/"+url.PathEscape(u.ID), body, nil)
		}
		return c.do(cmd.Context(), "PATCH", path, body, nil)
	})
	rRef.flags(restrict)
	rUser.userFlags(restrict.Flags(), "restrict this user of the tenant instead of the tenant")
	restrict.Flags().StringVar(&rCaps, "capabilities", "", "comma-separated capabilities to restrict (empty: none)")

	var kRef, dRef tenantRef
	rotate := leaf("rotate-key (--id ID | --name NAME)", "make a new signing key (the old one still verifies)", func(cmd *cobra.Command) error {
		path, err := c.tenantPath(cmd.Context(), kRef)
		if err != nil {
			return err
		}
		return c.do(cmd.Context(), "POST", path+"/keys", nil, nil)
	})
	kRef.flags(rotate)
	del := leaf("delete (--id ID | --name NAME)", "delete a tenant, its users and sessions", func(cmd *cobra.Command) error {
		path, err := c.tenantPath(cmd.Context(), dRef)
		if err != nil {
			return err
		}
		return c.do(cmd.Context(), "DELETE", path, nil, nil)
	})
	dRef.flags(del)
	cmd.AddCommand(create, list, restrict, rotate, del)
	cmd.AddCommand(tenantUserCommands(env, c)...) // in tenantuser.go
	return cmd
}

// tenantRef is the --id / --name pair that names one tenant.
type tenantRef struct{ id, name string }

func (r *tenantRef) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.id, "id", "", "tenant ID")
	cmd.Flags().StringVar(&r.name, "name", "", "tenant name")
}

func (c *client) tenants(ctx context.Context) ([]tenant, error) {
	var out struct{ Tenants []tenant }
	err := c.do(ctx, "GET", "/api/v2/tenants", nil, &out)
	return out.Tenants, err
}

// tenantPath returns the management path of the tenant named by ref.
func (c *client) tenantPath(ctx context.Context, ref tenantRef) (string, error) {
	switch {
	case ref.id != "" && ref.name != "":
		return "", errors.New("give --id or --name, not both")
	case ref.id != "":
		return "/api/v2/tenants/" + url.PathEscape(ref.id), nil
	case ref.name == "":
		return "", errors.New("--id or --name is required")
	}
	tenants, err := c.tenants(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range tenants {
		if t.Name == ref.name {
			return "/api/v2/tenants/" + url.PathEscape(t.ID), nil
		}
	}
	return "", fmt.Errorf("tenant %q not found", ref.name)
}
