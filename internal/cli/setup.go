package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
)

func setupCmd(env Env) *cobra.Command {
	c := newClient(env)
	cmd := &cobra.Command{
		Use:   "setup --username NAME --org ORG [--password PASSWORD]",
		Short: "set a new server up: the first (admin) user, the organization, an operator token",
		Long: `Set a new server up, as 'influx setup' does: make the first user (an
admin), name the organization, and print an operator token for the other
commands. The token is shown once; keep it (export SESSIOND_TOKEN=...).
Without --password the password is asked for at a hidden prompt, or read
from the first line of standard input.`,
		Args: noArgs,
	}
	c.hostFlag(cmd.Flags())
	username := cmd.Flags().String("username", "", "first (admin) user's name")
	password := cmd.Flags().String("password", "", "their password (prompted for when absent)")
	org := cmd.Flags().String("org", "", "organization name")
	bucket := cmd.Flags().String("bucket", "default", "bucket name (accepted for compatibility; sessiond stores no data)")
	token := cmd.Flags().String("token", "", "operator token to use instead of a generated one")
	cmd.MarkFlagRequired("username")
	cmd.MarkFlagRequired("org")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		var allowed struct {
			Allowed bool `json:"allowed"`
		}
		if err := c.do(ctx, "GET", "/api/v2/setup", nil, &allowed); err != nil {
			return err
		}
		if !allowed.Allowed {
			return fmt.Errorf("onboarding has already been completed: the server at %s is set up; its admin makes a new operator token with 'sessiond auth create --username ADMIN'", c.shownHost())
		}
		pw, err := readPassword(env, password, "password for "+*username, true)
		if err != nil {
			return err
		}
		var out struct {
			User user `json:"user"`
			Auth struct {
				Token string `json:"token"`
			} `json:"auth"`
		}
		err = c.do(ctx, "POST", "/api/v2/setup", map[string]any{"username": *username, "password": pw, "org": *org, "bucket": *bucket, "token": *token}, &out)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "user\t%s\t%s\noperator token\t%s\n", out.User.ID, out.User.Name, out.Auth.Token)
		fmt.Fprintf(env.Stderr, "Keep the operator token: it is shown only once. The management commands read it from SESSIOND_TOKEN:\n"+
			"  export SESSIOND_TOKEN=<the token above>\n"+
			"If it is lost, 'sessiond auth create --username %s' makes another.\n", out.User.Name)
		return nil
	}
	return cmd
}

func authCmd(env Env) *cobra.Command {
	cmd := group("auth", "operator tokens")
	c := newClient(env)
	create := &cobra.Command{
		Use:   "create --username ADMIN [--password PASSWORD]",
		Short: "make a new operator token by signing in as an admin",
		Long: `Make a new operator token (read and write on every resource, like the one
'sessiond setup' prints) by signing in with an admin's name and password:
the way back in when the operator token is lost. Without --password the
password is asked for at a hidden prompt, or read from the first line of
standard input. The session used is signed out at the end.`,
		Args: noArgs,
	}
	c.hostFlag(create.Flags())
	username := create.Flags().String("username", "", "an admin's name")
	password := create.Flags().String("password", "", "their password (prompted for when absent)")
	description := create.Flags().String("description", "operator token made by sessiond auth create", "the token's description")
	create.MarkFlagRequired("username")
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		pw, err := readPassword(env, password, "password for "+*username, false)
		if err != nil {
			return err
		}
		tok, err := c.operatorToken(cmd.Context(), *username, pw, *description)
		if err != nil {
			return fmt.Errorf("auth create: %w", err)
		}
		fmt.Fprintf(env.Stdout, "operator token\t%s\n", tok)
		fmt.Fprintln(env.Stderr, "Keep the operator token: it is shown only once (export SESSIOND_TOKEN=<the token above>).")
		return nil
	}
	cmd.AddCommand(create)
	return cmd
}

// operatorToken signs in as name, creates a token with read and write on
// every resource type but instance (what setup's token holds), and signs
// out.
func (c *client) operatorToken(ctx context.Context, name, password, description string) (string, error) {
	resp, _, err := c.send(ctx, "POST", "/api/v2/signin", nil, []string{name, password})
	if err != nil {
		return "", err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return "", errors.New("wrong user name or password, or the account is locked for now (401)")
	case resp.StatusCode == http.StatusForbidden:
		return "", fmt.Errorf("user %q may not sign in (403)", name)
	case resp.StatusCode != http.StatusNoContent:
		return "", fmt.Errorf("sign-in: server answered %s", resp.Status)
	}
	for _, k := range resp.Cookies() {
		if k.Name == "influxdb-oss-session" {
			c.cookie = k
		}
	}
	if c.cookie == nil {
		return "", errors.New("sign-in: the server set no session cookie")
	}
	defer c.do(context.WithoutCancel(ctx), "POST", "/api/v2/signout", nil, nil)
	var orgs struct {
		Orgs []struct {
			ID string `json:"id"`
		} `json:"orgs"`
	}
	if err := c.do(ctx, "GET", "/api/v2/orgs", nil, &orgs); err != nil {
		return "", err
	}
	if len(orgs.Orgs) == 0 {
		return "", errors.New("the server has no organization: is it set up?")
	}
	var types []string
	if err := c.do(ctx, "GET", "/api/v2/resources", nil, &types); err != nil {
		return "", err
	}
	type resource struct {
		Type string `json:"type"`
	}
	type permission struct {
		Action   string   `json:"action"`
		Resource resource `json:"resource"`
	}
	var perms []permission
	for _, t := range types {
		if t != "instance" {
			perms = append(perms, permission{"read", resource{t}}, permission{"write", resource{t}})
		}
	}
	var out struct {
		Token string `json:"token"`
	}
	err = c.do(ctx, "POST", "/api/v2/authorizations", map[string]any{"orgID": orgs.Orgs[0].ID, "description": description, "permissions": perms}, &out)
	var ae *apiError
	if errors.As(err, &ae) && (ae.status == http.StatusUnauthorized || ae.status == http.StatusForbidden) {
		return "", fmt.Errorf("user %q is not an admin: %w", name, err)
	}
	if err != nil {
		return "", err
	}
	return out.Token, nil
}
