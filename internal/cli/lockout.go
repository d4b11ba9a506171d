package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"

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
func lockoutCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return errors.New("lockout: want list or clear")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("lockout "+sub, env)
	c := commonFlags(fs, env, true)
	var key, userID, name, ip *string
	var all *bool
	if sub == "clear" {
		key = fs.String("key", "", "lockout key, as listed")
		userID = fs.String("user-id", "", "clear the account of this user (default tenant)")
		name = fs.String("name", "", "clear the account of the user with this name (default tenant)")
		ip = fs.String("ip", "", "clear this client address")
		all = fs.Bool("all", false, "clear every lockout")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	switch sub {
	case "list":
		var out struct {
			Policy struct {
				AccountLimit int    `json:"accountLimit"`
				IPLimit      int    `json:"ipLimit"`
				Window       string `json:"window"`
				MaxLock      string `json:"maxLock"`
			} `json:"policy"`
			Lockouts []lockout `json:"lockouts"`
		}
		if err := c.do(ctx, "GET", "/api/v2/lockouts", nil, &out); err != nil {
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
	case "clear":
		set := 0
		for _, v := range []string{*key, *userID, *name, *ip} {
			if v != "" {
				set++
			}
		}
		if *all {
			set++
		}
		if set != 1 {
			return errors.New("lockout clear: give exactly one of --key, --user-id, --name, --ip or --all")
		}
		switch {
		case *all:
			return c.do(ctx, "DELETE", "/api/v2/lockouts", nil, nil)
		case *ip != "":
			k := auth.IPLockoutKey(*ip)
			if k == "" {
				return fmt.Errorf("lockout clear: %q is not an IP address", *ip)
			}
			*key = k
		case *userID != "" || *name != "":
			// Lockouts are kept per login as typed (the user's name, and
			// their email): clear every one the server says is theirs.
			uid, err := c.resolveUser(ctx, *userID, *name)
			if err != nil {
				return fmt.Errorf("lockout clear: %v", err)
			}
			var out struct {
				Lockouts []lockout `json:"lockouts"`
			}
			if err := c.do(ctx, "GET", "/api/v2/lockouts", nil, &out); err != nil {
				return err
			}
			for _, l := range out.Lockouts {
				if l.UserID != uid {
					continue
				}
				if err := c.do(ctx, "DELETE", "/api/v2/lockouts/"+url.PathEscape(l.Key), nil, nil); err != nil {
					return err
				}
			}
			return nil
		}
		return c.do(ctx, "DELETE", "/api/v2/lockouts/"+url.PathEscape(*key), nil, nil)
	}
	return fmt.Errorf("lockout: unknown subcommand %q", sub)
}
