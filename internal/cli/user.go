package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type user struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// manage returns a group of management commands: each takes --host and
// --token.
func manage(env Env, use, short string) (*cobra.Command, *client) {
	cmd := group(use, short)
	c := newClient(env)
	c.hostFlag(cmd.PersistentFlags())
	c.tokenFlag(cmd.PersistentFlags())
	return cmd, c
}

// leaf is a subcommand without positional arguments.
func leaf(use, short string, run func(cmd *cobra.Command) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd) }}
}

// userRef names one user by ID or by name, with the two flags that set
// it: --id / --name on the user commands, --user-id / --user where --id
// names something else (a session, a tenant).
type userRef struct{ id, name, idFlag, nameFlag string }

func (u *userRef) flags(fs *pflag.FlagSet, what string) {
	u.idFlag, u.nameFlag = "id", "name"
	fs.StringVar(&u.id, "id", "", what+"'s ID")
	fs.StringVar(&u.name, "name", "", what+"'s name")
}

// userFlags adds --user-id and --user; what says what the user is for.
func (u *userRef) userFlags(fs *pflag.FlagSet, what string) {
	u.idFlag, u.nameFlag = "user-id", "user"
	fs.StringVar(&u.id, "user-id", "", what+", by user ID")
	fs.StringVar(&u.name, "user", "", what+", by user name")
}

// given reports whether either flag was given.
func (u userRef) given() bool { return u.id != "" || u.name != "" }

func userCmd(env Env) *cobra.Command {
	cmd, c := manage(env, "user", "users of the InfluxDB API and the account pages (the default tenant)")

	var name, password string
	create := leaf("create --name NAME [--password PASSWORD]", "create a user", func(cmd *cobra.Command) error {
		pw, err := readPassword(env, &password, "password for "+name, true)
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		var u user
		if err := c.do(ctx, "POST", "/api/v2/users", map[string]string{"name": name}, &u); err != nil {
			return err
		}
		if err := c.do(ctx, "POST", "/api/v2/users/"+u.ID+"/password", map[string]string{"password": pw}, nil); err != nil {
			c.do(context.WithoutCancel(ctx), "DELETE", "/api/v2/users/"+u.ID, nil, nil)
			return fmt.Errorf("user create: %v", err)
		}
		fmt.Fprintf(env.Stdout, "%s\t%s\t%s\n", u.ID, u.Name, u.Status)
		return nil
	})
	create.Long = "Create a user with a password. Without --password it is asked for at a hidden\nprompt, or read from the first line of standard input (for scripts)."
	create.Flags().StringVar(&name, "name", "", "user name")
	create.Flags().StringVar(&password, "password", "", "password (prompted for when absent; a flag lands in the shell's history)")
	create.MarkFlagRequired("name")

	list := leaf("list", "list users", func(cmd *cobra.Command) error {
		users, err := c.users(cmd.Context())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSTATUS")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.ID, u.Name, u.Status)
		}
		return tw.Flush()
	})

	var pwRef userRef
	var newPassword string
	setPassword := leaf("set-password (--id ID | --name NAME) [--password PASSWORD]", "set a user's password", func(cmd *cobra.Command) error {
		u, err := c.user(cmd.Context(), "", pwRef)
		if err != nil {
			return err
		}
		pw, err := readPassword(env, &newPassword, "new password for "+u.Name, true)
		if err != nil {
			return err
		}
		return c.do(cmd.Context(), "POST", "/api/v2/users/"+u.ID+"/password", map[string]string{"password": pw}, nil)
	})
	pwRef.flags(setPassword.Flags(), "the user")
	setPassword.Flags().StringVar(&newPassword, "password", "", "new password (prompted for when absent)")

	var disRef, delRef userRef
	disable := leaf("disable (--id ID | --name NAME)", "make a user inactive and end their sessions", func(cmd *cobra.Command) error {
		u, err := c.user(cmd.Context(), "", disRef)
		if err != nil {
			return err
		}
		return c.do(cmd.Context(), "PATCH", "/api/v2/users/"+u.ID, map[string]string{"status": "inactive"}, nil)
	})
	disRef.flags(disable.Flags(), "the user")
	del := leaf("delete (--id ID | --name NAME)", "delete a user and end their sessions", func(cmd *cobra.Command) error {
		u, err := c.user(cmd.Context(), "", delRef)
		if err != nil {
			return err
		}
		return c.do(cmd.Context(), "DELETE", "/api/v2/users/"+u.ID, nil, nil)
	})
	delRef.flags(del.Flags(), "the user")

	cmd.AddCommand(create, list, setPassword, disable, del)
	return cmd
}

// users lists every user of the default tenant, page by page.
func (c *client) users(ctx context.Context) ([]user, error) {
	var all []user
	for offset := 0; ; offset += 100 {
		var out struct{ Users []user }
		if err := c.do(ctx, "GET", "/api/v2/users?limit=100&offset="+strconv.Itoa(offset), nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Users...)
		if len(out.Users) < 100 {
			return all, nil
		}
	}
}

// user finds the user ref names, which must exist: a user of the default
// tenant when tenant is "", else of the tenant at that management path
// (as tenantPath returns it).
func (c *client) user(ctx context.Context, tenant string, ref userRef) (user, error) {
	var u user
	lister, base := "sessiond user list", "/api/v2/users"
	if tenant != "" {
		lister, base = "sessiond tenant users", tenant+"/users"
	}
	switch {
	case ref.id != "" && ref.name != "":
		return u, fmt.Errorf("give --%s or --%s, not both", ref.idFlag, ref.nameFlag)
	case ref.id != "":
		err := c.do(ctx, "GET", base+"/"+url.PathEscape(ref.id), nil, &u)
		var ae *apiError
		if errors.As(err, &ae) && (ae.status == http.StatusNotFound || ae.status == http.StatusBadRequest) {
			if tenant != "" {
				// A 404 may be the tenant's: say so if it is.
				if err := c.do(ctx, "GET", tenant, nil, nil); err != nil {
					return u, err
				}
			}
			return u, fmt.Errorf("no user has ID %q (--%s takes an ID as '%s' shows it; --%s takes a name)", ref.id, ref.idFlag, lister, ref.nameFlag)
		}
		return u, err
	case ref.name == "":
		return u, fmt.Errorf("--%s or --%s is required", ref.idFlag, ref.nameFlag)
	}
	found, err := c.userByName(ctx, base, tenant != "", ref.name)
	if err != nil {
		return u, err
	}
	if found == nil {
		return u, fmt.Errorf("user %q not found", ref.name)
	}
	return *found, nil
}

// userByName returns the user of the list at base named name, or nil.
// The default tenant's list filters by name; a tenant's (search) finds
// names and emails containing it, a page at a time, so the exact name is
// looked for in each page.
func (c *client) userByName(ctx context.Context, base string, search bool, name string) (*user, error) {
	if !search {
		var out struct{ Users []user }
		err := c.do(ctx, "GET", base+"?name="+url.QueryEscape(name), nil, &out)
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusNotFound || err == nil && len(out.Users) != 1 {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &out.Users[0], nil
	}
	q := url.Values{"search": {name}, "limit": {"100"}}
	for {
		var out struct{ Users []user }
		if err := c.do(ctx, "GET", base+"?"+q.Encode(), nil, &out); err != nil {
			return nil, err
		}
		for i, u := range out.Users {
			if u.Name == name {
				return &out.Users[i], nil
			}
		}
		if len(out.Users) < 100 {
			return nil, nil
		}
		q.Set("after", out.Users[len(out.Users)-1].ID)
	}
}
