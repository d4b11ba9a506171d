package cli

import (
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
// identity providers and message templates.
func tenantUserCommands(env Env, c *client) []*cobra.Command {
	tenantPath := func(id string, rest ...string) string {
		p := "/api/v2/tenants/" + url.PathEscape(id)
		for _, r := range rest {
			p += "/" + url.PathEscape(r)
		}
		return p
	}

	var id, search, after string
	var limit int
	users := leaf("users --id TENANT [--search S] [--limit N] [--after USER]", "list a tenant's users, a page at a time", func(cmd *cobra.Command) error {
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
		if err := c.do(cmd.Context(), "GET", tenantPath(id, "users")+"?"+q.Encode(), nil, &out); err != nil {
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
	users.Flags().StringVar(&id, "id", "", "tenant ID")
	users.Flags().StringVar(&search, "search", "", "only users whose name or email contains this")
	users.Flags().IntVar(&limit, "limit", 20, "users per page (1 to 100)")
	users.Flags().StringVar(&after, "after", "", "the last user ID of the previous page")
	users.MarkFlagRequired("id")

	var spID, spUser, spPassword string
	setPassword := leaf("set-password --id TENANT --user USER [--password P]", "set a tenant user's password (prompted, or read from standard input, when --password is absent); every session of the user ends", func(cmd *cobra.Command) error {
		pw, err := readPassword(env, &spPassword, "new password", true)
		if err != nil {
			return err
		}
		if err := c.do(cmd.Context(), "PUT", tenantPath(spID, "users", spUser, "password"), map[string]string{"password": pw}, nil); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "password set; every session of the user has ended")
		return nil
	})
	setPassword.Flags().StringVar(&spID, "id", "", "tenant ID")
	setPassword.Flags().StringVar(&spUser, "user", "", "user ID")
	setPassword.Flags().StringVar(&spPassword, "password", "", "the new password (better: the prompt, or standard input)")
	setPassword.MarkFlagRequired("id")
	setPassword.MarkFlagRequired("user")

	var rpID, rpUser string
	resetPassword := leaf("reset-password --id TENANT --user USER", "email a tenant user a password reset code", func(cmd *cobra.Command) error {
		var out struct {
			Recipient string `json:"recipient"`
			ExpiresAt string `json:"expiresAt"`
		}
		if err := c.do(cmd.Context(), "POST", tenantPath(rpID, "users", rpUser, "password", "reset"), nil, &out); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "reset code sent to %s (valid until %s)\n", out.Recipient, out.ExpiresAt)
		return nil
	})
	resetPassword.Flags().StringVar(&rpID, "id", "", "tenant ID")
	resetPassword.Flags().StringVar(&rpUser, "user", "", "user ID")
	resetPassword.MarkFlagRequired("id")
	resetPassword.MarkFlagRequired("user")

	var pvID, method, ids, issuer, keys string
	provider := leaf("provider --id TENANT --method google|apple|facebook --client-ids A,... [--issuer URL] [--keys-url URL]", "set up a social sign-in provider for a tenant (no client IDs turns it off)", func(cmd *cobra.Command) error {
		body := map[string]any{"clientIDs": capabilityList(ids), "issuer": issuer, "keysURL": keys}
		var out struct {
			Enabled bool     `json:"enabled"`
			Issuers []string `json:"issuers"`
		}
		if err := c.do(cmd.Context(), "PUT", tenantPath(pvID, "providers", method), body, &out); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s\tenabled %t\tissuers %s\n", method, out.Enabled, strings.Join(out.Issuers, ","))
		return nil
	})
	provider.Flags().StringVar(&pvID, "id", "", "tenant ID")
	provider.Flags().StringVar(&method, "method", "", "google, apple or facebook")
	provider.Flags().StringVar(&ids, "client-ids", "", "comma-separated client IDs of the tenant's apps (empty: off)")
	provider.Flags().StringVar(&issuer, "issuer", "", "another issuer than the provider's (tests, staging)")
	provider.Flags().StringVar(&keys, "keys-url", "", "another JWK Set than the provider's (empty with --issuer: discovery)")
	provider.MarkFlagRequired("id")
	provider.MarkFlagRequired("method")

	var tpID, purpose, channel, subject, body, file string
	var def bool
	template := leaf("template --id TENANT --purpose P [--channel email|sms] [--subject S] (--body B | --body-file F | --default)", "set how a tenant's codes are worded", func(cmd *cobra.Command) error {
		path := tenantPath(tpID, "templates", purpose, channel)
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
	template.Flags().StringVar(&tpID, "id", "", "tenant ID")
	template.Flags().StringVar(&purpose, "purpose", "", "email_verification, phone_verification, reset_password or otp_signin")
	template.Flags().StringVar(&channel, "channel", "email", "email or sms")
	template.Flags().StringVar(&subject, "subject", "", "email subject (a Go template)")
	template.Flags().StringVar(&body, "body", "", "message body (a Go template showing {{.Code}})")
	template.Flags().StringVar(&file, "body-file", "", "read the body from this file")
	template.Flags().BoolVar(&def, "default", false, "return to the default wording")
	template.MarkFlagRequired("id")
	template.MarkFlagRequired("purpose")

	return []*cobra.Command{users, setPassword, resetPassword, provider, template}
}
