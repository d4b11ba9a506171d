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

// userRef is the --id / --name pair that names one user.
type userRef struct{ id, name string }

func (u *userRef) flags(fs *pflag.FlagSet, what string) {
	fs.StringVar(&u.id, "id", "", what+"'s ID")
	fs.StringVar(&u.name, "name", "", what+"'s name")
}

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
		u, err := c.user(cmd.Context(), pwRef)
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
		u, err := c.user(cmd.Context(), disRef)
		if err != nil {
			return err
		}
		return c.do(cmd.Context(), "PATCH", "/api/v2/users/"+u.ID, map[string]string{"status": "inactive"}, nil)
	})
	disRef.flags(disable.Flags(), "the user")
	del := leaf("delete (--id ID | --name NAME)", "delete a user and end their sessions", func(cmd *cobra.Command) error {
		u, err := c.user(cmd.Context(), delRef)
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

// user finds the user named by --id or --name; either must name one
// that exists.
func (c *client) user(ctx context.Context, ref userRef) (user, error) {
	var u user
	switch {
	case ref.id != "" && ref.name != "":
		return u, errors.New("give --id or --name, not both")
	case ref.id != "":
		err := c.do(ctx, "GET", "/api/v2/users/"+url.PathEscape(ref.id), nil, &u)
		var ae *apiError
		if errors.As(err, &ae) && (ae.status == http.StatusNotFound || ae.status == http.StatusBadRequest) {
			return u, fmt.Errorf("no user has ID %q (--id takes an ID as 'sessiond user list' shows it; --name takes a name)", ref.id)
		}
		return u, err
	case ref.name == "":
		return u, errors.New("--id or --name is required")
	}
	var out struct{ Users []user }
	err := c.do(ctx, "GET", "/api/v2/users?name="+url.QueryEscape(ref.name), nil, &out)
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusNotFound || err == nil && len(out.Users) != 1 {
		return u, fmt.Errorf("user %q not found", ref.name)
	}
	if err != nil {
		return u, err
	}
	return out.Users[0], nil
}
