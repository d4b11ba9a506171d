package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
)

// tenantUserCommands are the tenant subcommands about a tenant's users,
// identity providers and message templates.
var tenantUserCommands = map[string]func(ctx context.Context, args []string, env Env) error{
	"users":          tenantUsersCmd,
	"set-password":   tenantSetPasswordCmd,
	"reset-password": tenantResetPasswordCmd,
	"provider":       tenantProviderCmd,
	"template":       tenantTemplateCmd,
}

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

// tenantUsersCmd: sessiond tenant users --id T [--search S] [--limit N] [--after U].
func tenantUsersCmd(ctx context.Context, args []string, env Env) error {
	fs := newFlags("tenant users", env)
	c := commonFlags(fs, env, true)
	id := fs.String("id", "", "tenant ID")
	search := fs.String("search", "", "only users whose name or email contains this")
	limit := fs.Int("limit", 20, "users per page (1 to 100)")
	after := fs.String("after", "", "the last user ID of the previous page")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("tenant users: --id is required")
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	if *search != "" {
		q.Set("search", *search)
	}
	if *after != "" {
		q.Set("after", *after)
	}
	var out struct {
		Links map[string]string `json:"links"`
		Users []tenantUserRow   `json:"users"`
	}
	if err := c.do(ctx, "GET", "/api/v2/tenants/"+url.PathEscape(*id)+"/users?"+q.Encode(), nil, &out); err != nil {
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
}

// tenantSetPasswordCmd: sessiond tenant set-password --id T --user U
// (--password P | --password-stdin). Every session of the user ends.
func tenantSetPasswordCmd(ctx context.Context, args []string, env Env) error {
	fs := newFlags("tenant set-password", env)
	c := commonFlags(fs, env, true)
	id := fs.String("id", "", "tenant ID")
	userID := fs.String("user", "", "user ID")
	password := fs.String("password", "", "the new password")
	stdin := fs.Bool("password-stdin", false, "read the new password from the first line of standard input")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *userID == "" {
		return errors.New("tenant set-password: --id and --user are required")
	}
	if *stdin {
		var line string
		if _, err := fmt.Fscanln(os.Stdin, &line); err != nil {
			return fmt.Errorf("tenant set-password: read the password: %v", err)
		}
		*password = strings.TrimRight(line, "\r\n")
	}
	if *password == "" {
		return errors.New("tenant set-password: --password or --password-stdin is required")
	}
	path := "/api/v2/tenants/" + url.PathEscape(*id) + "/users/" + url.PathEscape(*userID) + "/password"
	if err := c.do(ctx, "PUT", path, map[string]string{"password": *password}, nil); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "password set; every session of the user has ended")
	return nil
}

// tenantResetPasswordCmd: sessiond tenant reset-password --id T --user U
// emails the user a reset code.
func tenantResetPasswordCmd(ctx context.Context, args []string, env Env) error {
	fs := newFlags("tenant reset-password", env)
	c := commonFlags(fs, env, true)
	id := fs.String("id", "", "tenant ID")
	userID := fs.String("user", "", "user ID")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *userID == "" {
		return errors.New("tenant reset-password: --id and --user are required")
	}
	var out struct {
		Recipient string `json:"recipient"`
		ExpiresAt string `json:"expiresAt"`
	}
	path := "/api/v2/tenants/" + url.PathEscape(*id) + "/users/" + url.PathEscape(*userID) + "/password/reset"
	if err := c.do(ctx, "POST", path, nil, &out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "reset code sent to %s (valid until %s)\n", out.Recipient, out.ExpiresAt)
	return nil
}

// tenantProviderCmd: sessiond tenant provider --id T --method google
// --client-ids A,B [--issuer URL] [--keys-url URL]; no client IDs turns
// the method off.
func tenantProviderCmd(ctx context.Context, args []string, env Env) error {
	fs := newFlags("tenant provider", env)
	c := commonFlags(fs, env, true)
	id := fs.String("id", "", "tenant ID")
	method := fs.String("method", "", "google, apple or facebook")
	ids := fs.String("client-ids", "", "comma-separated client IDs of the tenant's apps (empty: off)")
	issuer := fs.String("issuer", "", "another issuer than the provider's (tests, staging)")
	keys := fs.String("keys-url", "", "another JWK Set than the provider's (empty with --issuer: discovery)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *method == "" {
		return errors.New("tenant provider: --id and --method are required")
	}
	body := map[string]any{"clientIDs": capabilityList(*ids), "issuer": *issuer, "keysURL": *keys}
	var out struct {
		Enabled bool     `json:"enabled"`
		Issuers []string `json:"issuers"`
	}
	if err := c.do(ctx, "PUT", "/api/v2/tenants/"+url.PathEscape(*id)+"/providers/"+url.PathEscape(*method), body, &out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s\tenabled %t\tissuers %s\n", *method, out.Enabled, strings.Join(out.Issuers, ","))
	return nil
}

// tenantTemplateCmd: sessiond tenant template --id T --purpose P
// --channel email|sms [--subject S] (--body B | --body-file F | --default).
func tenantTemplateCmd(ctx context.Context, args []string, env Env) error {
	fs := newFlags("tenant template", env)
	c := commonFlags(fs, env, true)
	id := fs.String("id", "", "tenant ID")
	purpose := fs.String("purpose", "", "email_verification, phone_verification, reset_password or otp_signin")
	channel := fs.String("channel", "email", "email or sms")
	subject := fs.String("subject", "", "email subject (a Go template)")
	body := fs.String("body", "", "message body (a Go template showing {{.Code}})")
	file := fs.String("body-file", "", "read the body from this file")
	def := fs.Bool("default", false, "return to the default wording")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *purpose == "" {
		return errors.New("tenant template: --id and --purpose are required")
	}
	path := "/api/v2/tenants/" + url.PathEscape(*id) + "/templates/" + url.PathEscape(*purpose) + "/" + url.PathEscape(*channel)
	if *def {
		return c.do(ctx, "DELETE", path, nil, nil)
	}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("tenant template: %v", err)
		}
		*body = string(b)
	}
	return c.do(ctx, "PUT", path, map[string]string{"subject": *subject, "body": *body}, nil)
}
