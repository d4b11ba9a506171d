package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"
)

func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", fs.Name(), fs.Args())
	}
	return nil
}

type user struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type session struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userID"`
	Origin     string    `json:"origin"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"userAgent"`
}

func setup(ctx context.Context, args []string, env Env) error {
	fs := newFlags("setup", env)
	c := commonFlags(fs, env, false)
	username := fs.String("username", "", "first (admin) user")
	password := fs.String("password", "", "their password")
	org := fs.String("org", "", "organization name")
	bucket := fs.String("bucket", "default", "bucket name (accepted for compatibility; sessiond stores no data)")
	token := fs.String("token", "", "operator token to use instead of a generated one")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *username == "" || *password == "" || *org == "" {
		return errors.New("setup: --username, --password and --org are required")
	}
	var out struct {
		User user `json:"user"`
		Auth struct {
			Token string `json:"token"`
		} `json:"auth"`
	}
	err := c.do(ctx, "POST", "/api/v2/setup", map[string]any{"username": *username, "password": *password, "org": *org, "bucket": *bucket, "token": *token}, &out)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "user\t%s\t%s\noperator token\t%s\n", out.User.ID, out.User.Name, out.Auth.Token)
	return nil
}

func userCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return errors.New("user: want create, list, set-password, disable or delete")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("user "+sub, env)
	c := commonFlags(fs, env, true)
	id := fs.String("id", "", "user ID")
	name := fs.String("name", "", "user name")
	password := fs.String("password", "", "password")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch sub {
	case "create":
		if *name == "" {
			return errors.New("user create: --name is required")
		}
		var u user
		if err := c.do(ctx, "POST", "/api/v2/users", map[string]string{"name": *name}, &u); err != nil {
			return err
		}
		if *password != "" {
			if err := c.do(ctx, "POST", "/api/v2/users/"+u.ID+"/password", map[string]string{"password": *password}, nil); err != nil {
				c.do(ctx, "DELETE", "/api/v2/users/"+u.ID, nil, nil)
				return fmt.Errorf("user create: %v", err)
			}
		}
		fmt.Fprintf(env.Stdout, "%s\t%s\t%s\n", u.ID, u.Name, u.Status)
		return nil
	case "list":
		var out struct{ Users []user }
		if err := c.do(ctx, "GET", "/api/v2/users?limit=100", nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSTATUS")
		for _, u := range out.Users {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.ID, u.Name, u.Status)
		}
		return tw.Flush()
	}
	uid, err := c.resolveUser(ctx, *id, *name)
	if err != nil {
		return fmt.Errorf("user %s: %v", sub, err)
	}
	switch sub {
	case "set-password":
		if *password == "" {
			return errors.New("user set-password: --password is required")
		}
		return c.do(ctx, "POST", "/api/v2/users/"+uid+"/password", map[string]string{"password": *password}, nil)
	case "disable":
		return c.do(ctx, "PATCH", "/api/v2/users/"+uid, map[string]string{"status": "inactive"}, nil)
	case "delete":
		return c.do(ctx, "DELETE", "/api/v2/users/"+uid, nil, nil)
	}
	return fmt.Errorf("user: unknown subcommand %q", sub)
}

// resolveUser returns the ID of the user named by --id or --name.
func (c *client) resolveUser(ctx context.Context, id, name string) (string, error) {
	switch {
	case id != "" && name != "":
		return "", errors.New("give --id or --name, not both")
	case id != "":
		return id, nil
	case name == "":
		return "", errors.New("--id or --name is required")
	}
	var out struct{ Users []user }
	if err := c.do(ctx, "GET", "/api/v2/users?name="+url.QueryEscape(name), nil, &out); err != nil {
		return "", err
	}
	if len(out.Users) != 1 {
		return "", fmt.Errorf("user %q not found", name)
	}
	return out.Users[0].ID, nil
}

func sessionCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return errors.New("session: want list or revoke")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("session "+sub, env)
	c := commonFlags(fs, env, true)
	id := fs.String("id", "", "session ID")
	userID := fs.String("user-id", "", "user ID")
	var all, allTenants *bool
	if sub == "revoke" {
		all = fs.Bool("all", false, "end every session of the default tenant")
		allTenants = fs.Bool("all-tenants", false, "with --all: end every session of every tenant")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	switch sub {
	case "list":
		q := url.Values{"limit": {"100"}}
		if *userID != "" {
			q.Set("userID", *userID)
		}
		var all []session
		for {
			// The list comes a page at a time; links.next names the next.
			var out struct {
				Links    struct{ Next string }
				Sessions []session
			}
			if err := c.do(ctx, "GET", "/api/v2/sessions?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			all = append(all, out.Sessions...)
			if out.Links.Next == "" || len(out.Sessions) == 0 {
				break
			}
			q.Set("offset", strconv.Itoa(len(all)))
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tAPI\tCREATED\tEXPIRES\tLAST SEEN\tIP\tUSER AGENT")
		for _, s := range all {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.UserID, s.Origin, s.CreatedAt.Format(time.RFC3339),
				s.ExpiresAt.Format(time.RFC3339), s.LastSeenAt.Format(time.RFC3339), s.IP, s.UserAgent)
		}
		return tw.Flush()
	case "revoke":
		if *all {
			if *id != "" || *userID != "" {
				return errors.New("session revoke: give --id, --user-id or --all, only one")
			}
			path := "/api/v2/sessions"
			if *allTenants {
				path += "?allTenants=true"
			}
			return c.do(ctx, "DELETE", path, nil, nil)
		}
		if *allTenants {
			return errors.New("session revoke: --all-tenants goes with --all")
		}
		switch {
		case *id != "" && *userID != "":
			return errors.New("session revoke: give --id or --user-id, not both")
		case *id != "":
			return c.do(ctx, "DELETE", "/api/v2/sessions/"+url.PathEscape(*id), nil, nil)
		case *userID != "":
			return c.do(ctx, "DELETE", "/api/v2/users/"+url.PathEscape(*userID)+"/sessions", nil, nil)
		}
		return errors.New("session revoke: --id or --user-id is required (or --all)")
	}
	return fmt.Errorf("session: unknown subcommand %q", sub)
}
