package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
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
func tenantCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return errors.New("tenant: want create, list, restrict, rotate-key, delete, users, set-password, reset-password, provider or template")
	}
	sub, args := args[0], args[1:]
	if cmd, ok := tenantUserCommands[sub]; ok { // in tenantuser.go
		return cmd(ctx, args, env)
	}
	fs := newFlags("tenant "+sub, env)
	c := commonFlags(fs, env, true)
	id := fs.String("id", "", "tenant ID")
	name := fs.String("name", "", "tenant name")
	userID := fs.String("user", "", "user ID (restrict one user instead of the tenant)")
	caps := fs.String("capabilities", "", "comma-separated capabilities to restrict (empty: none)")
	headers := fs.String("client-headers", "", `missing client headers: "require" or "accept"`)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch sub {
	case "create":
		if *name == "" {
			return errors.New("tenant create: --name is required")
		}
		body := map[string]any{"name": *name}
		if *caps != "" {
			body["restrictedCapabilities"] = capabilityList(*caps)
		}
		if *headers != "" {
			body["clientHeaders"] = *headers
		}
		var t tenant
		if err := c.do(ctx, "POST", "/api/v2/tenants", body, &t); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "tenant\t%s\t%s\ntenant token\t%s\n", t.ID, t.Name, t.Token)
		return nil
	case "list":
		var out struct{ Tenants []tenant }
		if err := c.do(ctx, "GET", "/api/v2/tenants", nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tDISABLED\tCLIENT HEADERS\tRESTRICTED")
		for _, t := range out.Tenants {
			fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", t.ID, t.Name, t.Disabled, t.ClientHeaders, strings.Join(t.RestrictedCapabilities, ","))
		}
		return tw.Flush()
	}
	if *id == "" {
		return fmt.Errorf("tenant %s: --id is required", sub)
	}
	path := "/api/v2/tenants/" + url.PathEscape(*id)
	switch sub {
	case "restrict":
		body := map[string]any{"restrictedCapabilities": capabilityList(*caps)}
		if *userID != "" {
			return c.do(ctx, "PATCH", path+"/users/"+url.PathEscape(*userID), body, nil)
		}
		return c.do(ctx, "PATCH", path, body, nil)
	case "rotate-key":
		return c.do(ctx, "POST", path+"/keys", nil, nil)
	case "delete":
		return c.do(ctx, "DELETE", path, nil, nil)
	}
	return fmt.Errorf("tenant: unknown subcommand %q", sub)
}
