package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

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

func sessionCmd(env Env) *cobra.Command {
	cmd, c := manage(env, "session", "sessions of every API (the default tenant)")

	var listRef userRef
	list := leaf("list [--user-id ID | --user NAME]", "list live sessions, with their users' names", func(cmd *cobra.Command) error {
		ctx := cmd.Context()
		q := url.Values{"limit": {"100"}}
		if listRef.given() {
			u, err := c.user(ctx, "", listRef)
			if err != nil {
				return err
			}
			q.Set("userID", u.ID)
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
		names, err := c.userNames(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tAPI\tCREATED\tEXPIRES\tLAST SEEN\tIP\tUSER AGENT")
		for _, s := range all {
			who := names[s.UserID]
			if who == "" {
				who = s.UserID
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, who, s.Origin, s.CreatedAt.Format(time.RFC3339),
				s.ExpiresAt.Format(time.RFC3339), s.LastSeenAt.Format(time.RFC3339), s.IP, s.UserAgent)
		}
		return tw.Flush()
	})
	listRef.userFlags(list.Flags(), "only this user's sessions")

	var id string
	var ref userRef
	var all, allTenants bool
	revoke := leaf("revoke (--id SESSION | --user-id ID | --user NAME | --all [--all-tenants])", "end sessions", func(cmd *cobra.Command) error {
		ctx := cmd.Context()
		given := 0
		for _, set := range []bool{id != "", ref.given(), all} {
			if set {
				given++
			}
		}
		switch {
		case given != 1:
			return errors.New("give one of --id, --user-id, --user or --all")
		case allTenants && !all:
			return errors.New("--all-tenants goes with --all")
		case all:
			path := "/api/v2/sessions"
			if allTenants {
				path += "?allTenants=true"
			}
			return c.do(ctx, "DELETE", path, nil, nil)
		case id != "":
			return c.do(ctx, "DELETE", "/api/v2/sessions/"+url.PathEscape(id), nil, nil)
		}
		u, err := c.user(ctx, "", ref)
		if err != nil {
			return err
		}
		return c.do(ctx, "DELETE", "/api/v2/users/"+url.PathEscape(u.ID)+"/sessions", nil, nil)
	})
	revoke.Flags().StringVar(&id, "id", "", "one session, by ID")
	ref.userFlags(revoke.Flags(), "every session of a user")
	revoke.Flags().BoolVar(&all, "all", false, "every session of the default tenant")
	revoke.Flags().BoolVar(&allTenants, "all-tenants", false, "with --all: every session of every tenant")

	cmd.AddCommand(list, revoke)
	return cmd
}

// userNames maps the default tenant's user IDs to names.
func (c *client) userNames(ctx context.Context) (map[string]string, error) {
	users, err := c.users(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(users))
	for _, u := range users {
		m[u.ID] = u.Name
	}
	return m, nil
}
