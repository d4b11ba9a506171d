package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// tenantUserRow is a tenant's user as the list shows it.
type tenantUserRow struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"emailVerified"`
	Method        string   `json:"method"`
	Status        string   `json:"status"`
	Identities    []string `json:"identities"`
}

// tenantUserCommands are the tenant subcommands about a tenant's users,
// identity providers and message templates. Each names the tenant by --id
// or --name, and a user by --user-id or --user (a name), as session does.
func tenantUserCommands(env Env, c *client) []*cobra.Command {
	// segments is rest as path segments, each escaped.
	segments := func(rest ...string) string {
		var p string
		for _, r := range rest {
			p += "/" + url.PathEscape(r)
		}
		return p
	}
	// under is the path of the tenant ref names, then rest.
	under := func(ctx context.Context, ref tenantRef, rest ...string) (string, error) {
		p, err := c.tenantPath(ctx, ref)
		if err != nil {
			return "", err
		}
		return p + segments(rest...), nil
	}
	// userPath is the path of the user uref names in the tenant tref
	// names, then rest; u is the user.
	userPath := func(ctx context.Context, tref tenantRef, uref userRef, rest ...string) (string, user, error) {
		p, err := c.tenantPath(ctx, tref)
		if err != nil {
			return "", user{}, err
		}
		u, err := c.user(ctx, p, uref)
		if err != nil {
			return "", user{}, err
		}
		return p + segments(append([]string{"users", u.ID}, rest...)...), u, nil
	}

	var uRef tenantRef
	var search, after string
	var limit int
	users := leaf("users (--id ID | --name NAME) [--search S] [--limit N] [--after USER-ID]", "list a tenant's users, a page at a time", func(cmd *cobra.Command) error {
		path, err := under(cmd.Context(), uRef, "users")
		if err != nil {
			return err
		}
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if search != "" {
			q.Set("search", search)
		}
		if after != "" {
			q.Set("after", after)
		}
		var out struct {
			Links map[string]string `json:"links"`
			Users []tenantUserRow   `json:"users"`
		}
		if err := c.do(cmd.Context(), "GET", path+"?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tVERIFIED\tMETHOD\tSTATUS")
		for _, u := range out.Users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\n", u.ID, u.Name, u.Email, u.EmailVerified, u.Method, u.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if next := out.Links["next"]; next != "" {
			if nu, err := url.Parse(next); err == nil {
				fmt.Fprintf(env.Stdout, "more: --after %s\n", nu.Query().Get("after"))
			}
		}
		return nil
	})
	uRef.flags(users)
	users.Flags().StringVar(&search, "search", "", "only users whose name or email contains this")
	users.Flags().IntVar(&limit, "limit", 20, "users per page (1 to 100)")
	users.Flags().StringVar(&after, "after", "", "the last user ID of the previous page")

	var spRef tenantRef
	var spUser userRef
	var spPassword string
	setPassword := leaf("set-password (--id ID | --name NAME) (--user-id ID | --user NAME) [--password P]", "set a tenant user's password (prompted, or read from standard input, when --password is absent); every session of the user ends", func(cmd *cobra.Command) error {
		path, u, err := userPath(cmd.Context(), spRef, spUser, "password")
		if err != nil {
			return err
		}
		pw, err := readPassword(env, &spPassword, "new password for "+u.Name, true)
		if err != nil {
			return err
		}
		if err := c.do(cmd.Context(), "PUT", path, map[string]string{"password": pw}, nil); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "password set; every session of the user has ended")
		return nil
	})
	spRef.flags(setPassword)
	spUser.userFlags(setPassword.Flags(), "the user")
	setPassword.Flags().StringVar(&spPassword, "password", "", "the new password (better: the prompt, or standard input)")

	var rpRef tenantRef
	var rpUser userRef
	resetPassword := leaf("reset-password (--id ID | --name NAME) (--user-id ID | --user NAME)", "email a tenant user a password reset code", func(cmd *cobra.Command) error {
		path, _, err := userPath(cmd.Context(), rpRef, rpUser, "password", "reset")
		if err != nil {
			return err
		}
		var out struct {
			Recipient string `json:"recipient"`
			ExpiresAt string `json:"expiresAt"`
		}
		if err := c.do(cmd.Context(), "POST", path, nil, &out); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "reset code sent to %s (valid until %s)\n", out.Recipient, out.ExpiresAt)
		return nil
	})
	rpRef.flags(resetPassword)
	rpUser.userFlags(resetPassword.Flags(), "the user")

	var pvRef tenantRef
	var method, ids, issuer, keys string
	provider := leaf("provider (--id ID | --name NAME) --method google|apple|facebook --client-ids A,... [--issuer URL] [--keys-url URL]", "set up a social sign-in provider for a tenant (no client IDs turns it off)", func(cmd *cobra.Command) error {
		path, err := under(cmd.Context(), pvRef, "providers", method)
		if err != nil {
			return err
		}
		body := map[string]any{"clientIDs": capabilityList(ids), "issuer": issuer, "keysURL": keys}
		var out struct {
			Enabled bool     `json:"enabled"`
			Issuers []string `json:"issuers"`
		}
		if err := c.do(cmd.Context(), "PUT", path, body, &out); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s\tenabled %t\tissuers %s\n", method, out.Enabled, strings.Join(out.Issuers, ","))
		return nil
	})
	pvRef.flags(provider)
	provider.Flags().StringVar(&method, "method", "", "google, apple or facebook")
	provider.Flags().StringVar(&ids, "client-ids", "", "comma-separated client IDs of the tenant's apps (empty: off)")
	provider.Flags().StringVar(&issuer, "issuer", "", "another issuer than the provider's (tests, staging)")
	provider.Flags().StringVar(&keys, "keys-url", "", "another JWK Set than the provider's (empty with --issuer: discovery)")
	provider.MarkFlagRequired("method")

	var tpRef tenantRef
	var purpose, channel, subject, body, file string
	var def bool
	template := leaf("template (--id ID | --name NAME) --purpose P [--channel email|sms] [--subject S] (--body B | --body-file F | --default)", "set how a tenant's codes are worded", func(cmd *cobra.Command) error {
		path, err := under(cmd.Context(), tpRef, "templates", purpose, channel)
		if err != nil {
			return err
		}
		if def {
			return c.do(cmd.Context(), "DELETE", path, nil, nil)
		}
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			body = string(b)
		}
		return c.do(cmd.Context(), "PUT", path, map[string]string{"subject": subject, "body": body}, nil)
	})
	tpRef.flags(template)
	template.Flags().StringVar(&purpose, "purpose", "", "email_verification, phone_verification, reset_password or otp_signin")
	template.Flags().StringVar(&channel, "channel", "email", "email or sms")
	template.Flags().StringVar(&subject, "subject", "", "email subject (a Go template)")
	template.Flags().StringVar(&body, "body", "", "message body (a Go template showing {{.Code}})")
	template.Flags().StringVar(&file, "body-file", "", "read the body from this file")
	template.Flags().BoolVar(&def, "default", false, "return to the default wording")
	template.MarkFlagRequired("purpose")

	return []*cobra.Command{users, setPassword, resetPassword, provider, template}
}
