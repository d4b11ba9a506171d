package cli

import (
	"errors"
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sessiond/sessiond/internal/auth"
)

type lockout struct {
	Key      string     `json:"key"`
	Kind     string     `json:"kind"`
	UserID   string     `json:"userID"`
	UserName string     `json:"userName"`
	IP       string     `json:"ip"`
	Failures int        `json:"failures"`
	Locked   bool       `json:"locked"`
	Until    *time.Time `json:"until"`
	Strikes  int        `json:"strikes"`
}

// lockoutCmd is `sessiond lockout list|clear`.
func lockoutCmd(env Env) *cobra.Command {
	cmd, c := manage(env, "lockout", "sign-in lockouts (per account and per client address)")
	list := leaf("list", "list lockout counters, with the users' names", func(cmd *cobra.Command) error {
		var out struct {
			Policy struct {
				AccountLimit int    `json:"accountLimit"`
				IPLimit      int    `json:"ipLimit"`
				Window       string `json:"window"`
				MaxLock      string `json:"maxLock"`
			} `json:"policy"`
			Lockouts []lockout `json:"lockouts"`
		}
		if err := c.do(cmd.Context(), "GET", "/api/v2/lockouts", nil, &out); err != nil {
			return err
		}
		p := out.Policy
		fmt.Fprintf(env.Stdout, "policy: %d attempts per account, %d failures per address, in %s; locks double up to %s\n",
			p.AccountLimit, p.IPLimit, p.Window, p.MaxLock)
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tWHO\tFAILURES\tLOCKED\tUNTIL\tSTRIKES")
		for _, l := range out.Lockouts {
			who := l.UserName
			switch {
			case l.IP != "":
				who = l.IP
			case who == "" && l.Kind == "login":
				who = "(unknown login)"
			}
			until := ""
			if l.Until != nil {
				until = l.Until.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%t\t%s\t%d\n", l.Key, who, l.Failures, l.Locked, until, l.Strikes)
		}
		return tw.Flush()
	})

	var key, ip string
	ref := userRef{idFlag: "user-id", nameFlag: "name"}
	var all bool
	clear := leaf("clear (--key KEY | --user-id ID | --name NAME | --ip ADDR | --all)", "clear lockouts", func(cmd *cobra.Command) error {
		ctx := cmd.Context()
		set := 0
		for _, v := range []string{key, ref.id, ref.name, ip} {
			if v != "" {
				set++
			}
		}
		if all {
			set++
		}
		if set != 1 {
			return errors.New("give exactly one of --key, --user-id, --name, --ip or --all")
		}
		switch {
		case all:
			return c.do(ctx, "DELETE", "/api/v2/lockouts", nil, nil)
		case ip != "":
			k := auth.IPLockoutKey(ip)
			if k == "" {
				return fmt.Errorf("%q is not an IP address", ip)
			}
			key = k
		case ref.given():
			// Lockouts are kept per login as typed (the user's name, and
			// their email): clear every one the server says is theirs.
			u, err := c.user(ctx, "", ref)
			if err != nil {
				return err
			}
			var out struct {
				Lockouts []lockout `json:"lockouts"`
			}
			if err := c.do(ctx, "GET", "/api/v2/lockouts", nil, &out); err != nil {
				return err
			}
			for _, l := range out.Lockouts {
				if l.UserID != u.ID {
					continue
				}
				if err := c.do(ctx, "DELETE", "/api/v2/lockouts/"+url.PathEscape(l.Key), nil, nil); err != nil {
					return err
				}
			}
			return nil
		}
		return c.do(ctx, "DELETE", "/api/v2/lockouts/"+url.PathEscape(key), nil, nil)
	})
	clear.Flags().StringVar(&key, "key", "", "lockout key, as listed")
	clear.Flags().StringVar(&ref.id, "user-id", "", "the account of this user, by ID (default tenant)")
	clear.Flags().StringVar(&ref.name, "name", "", "the account of this user, by name (default tenant)")
	clear.Flags().StringVar(&ip, "ip", "", "this client address")
	clear.Flags().BoolVar(&all, "all", false, "every lockout")
	cmd.AddCommand(list, clear)
	return cmd
}
