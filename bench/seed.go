package main

import (
	"context"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// seedSession puts one live session of u straight into a session store
// and returns its secret. It is a fixture: the figures measure checks of
// many live sessions, and making each through the sign-in entry would
// cost a password hash apiece. Nothing but the benchmark writes sessions
// this way.
func seedSession(ctx context.Context, st auth.SessionStore, u *auth.User, origin auth.Origin, c auth.Client, f auth.TokenFormat, now time.Time, length time.Duration) (string, error) {
	if length <= 0 {
		length = 10 * time.Minute
	}
	token := auth.NewToken(f)
	now = now.UTC()
	err := st.CreateSession(ctx, &auth.Session{
		ID: auth.NewID(), TokenHash: auth.HashToken(token), UserID: u.ID, TenantID: u.TenantID, Origin: origin,
		CreatedAt: now, ExpiresAt: now.Add(length), LastSeen: now, IP: c.IP, UserAgent: c.UserAgent, Device: c.Device,
	})
	return token, err
}
