package rocketapi

import (
	"net/http"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// isoTime writes times as Rocket.Chat does: ISO-8601 in UTC with
// milliseconds, "2023-05-23T16:33:45.202Z".
type isoTime time.Time

const isoLayout = httpkit.TimeMillis

// MarshalText lets encoding/json quote the time without re-validating it.
func (t isoTime) MarshalText() ([]byte, error) {
	return httpkit.AppendTimeMillis(make([]byte, 0, len(isoLayout)), time.Time(t)), nil
}

type email struct {
	Address  string `json:"address"`
	Verified bool   `json:"verified"`
}

type passwordService struct {
	Exists bool `json:"exists"`
}

type services struct {
	Password passwordService `json:"password"`
	TOTP     *enabled        `json:"totp,omitempty"`
	Email2FA *enabled        `json:"email2fa,omitempty"`
}

// enabled is a 2FA service as getUserInfo shows it.
type enabled struct {
	Enabled bool `json:"enabled"`
}

// userSettings are a user's settings, always empty here: sessiond keeps
// no Rocket.Chat profile or preferences.
type userSettings struct{}

var emptySettings = []byte(`{"profile":{},"preferences":{}}`)

// MarshalJSON writes the empty settings Rocket.Chat sends.
func (userSettings) MarshalJSON() ([]byte, error) { return emptySettings, nil }

// Roles, shared by every answer and never changed.
var (
	userRoles  = []string{"user"}
	adminRoles = []string{"user", "admin"}
)

// meUser is getUserInfo(user): the user as /me and login show it, with
// nothing secret (no tokens, no hashes).
type meUser struct {
	ID               string       `json:"_id"`
	Type             string       `json:"type"`
	Username         string       `json:"username"`
	Name             string       `json:"name"`
	Emails           []email      `json:"emails,omitempty"`
	Status           string       `json:"status"`
	StatusConnection string       `json:"statusConnection"`
	UTCOffset        int          `json:"utcOffset"`
	Active           bool         `json:"active"`
	Roles            []string     `json:"roles"`
	Settings         userSettings `json:"settings"`
	Services         services     `json:"services"`
	AvatarURL        string       `json:"avatarUrl"`
	IsOAuthUser      bool         `json:"isOAuthUser"`
	RequirePassword  bool         `json:"requirePasswordChange"`
	CreatedAt        isoTime      `json:"createdAt"`
	UpdatedAt        isoTime      `json:"_updatedAt"`
}

type meResponse struct {
	meUser
	Success bool `json:"success"`
}

// newMe shows u. sessiond has no presence over REST, no time zone and no
// e-mail verification, so status is "offline", utcOffset 0 and every
// address unverified (which is why the top-level "email" key, sent only
// for a verified address, is absent).
func newMe(u *auth.User, r *http.Request) meUser {
	roles := userRoles
	if u.Admin {
		roles = adminRoles
	}
	m := meUser{
		ID: u.ID, Type: "user", Username: u.Name, Name: u.Name,
		Status: "offline", StatusConnection: "offline", Active: u.State == auth.StateActive, Roles: roles,
		Services:  services{Password: passwordService{Exists: u.PasswordHash != ""}},
		AvatarURL: siteURL(r) + "/avatar/" + u.Name,
		CreatedAt: isoTime(u.CreatedAt), UpdatedAt: isoTime(u.UpdatedAt),
	}
	if u.Email != "" {
		m.Emails = []email{{Address: u.Email}}
	}
	return m
}

// siteURL is Site_Url as the request reached us.
func siteURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type loginData struct {
	UserID    string `json:"userId"`
	AuthToken string `json:"authToken"`
	Me        meUser `json:"me"`
}

type loginResponse struct {
	Status  string    `json:"status"`
	Data    loginData `json:"data"`
	Success bool      `json:"success"`
}

// logoutResponse is the documented logout body; it has no success key.
type logoutResponse struct {
	Status string `json:"status"`
	Data   struct {
		Message string `json:"message"`
	} `json:"data"`
}

type sessionUser struct {
	Name     string `json:"name"`
	Username string `json:"username"`
}

// sessionRow is one row of sessions/list and list.all, and the body of
// info.admin. Origin is sessiond's: which API signed the session in.
type sessionRow struct {
	ID        string       `json:"_id"`
	SessionID string       `json:"sessionId"`
	UserID    string       `json:"userId"`
	Device    *device      `json:"device,omitempty"`
	Host      string       `json:"host,omitempty"`
	IP        string       `json:"ip"`
	LoginAt   isoTime      `json:"loginAt"`
	Current   bool         `json:"current"`
	Origin    auth.Origin  `json:"origin"`
	User      *sessionUser `json:"_user,omitempty"`
}

// hostKey is the auth.Client.Device entry where this dialect records the
// Host header a login came to (Rocket.Chat's session "host").
const hostKey = "host"

func newRow(s *auth.Session, current string) sessionRow {
	return sessionRow{
		ID: s.ID, SessionID: s.ID, UserID: s.UserID, Device: parseDevice(s.UserAgent),
		Host: s.Device[hostKey], IP: s.IP, LoginAt: isoTime(s.CreatedAt), Current: s.ID == current, Origin: s.Origin,
	}
}

type listResponse struct {
	Sessions []sessionRow `json:"sessions"`
	Total    int          `json:"total"`
	Count    int          `json:"count"`
	Offset   int          `json:"offset"`
	Success  bool         `json:"success"`
}

// infoResponse is sessions/info: the session document, without the
// hashed login token Rocket.Chat leaks there.
type infoResponse struct {
	ID             string      `json:"_id"`
	Type           string      `json:"type"`
	SessionID      string      `json:"sessionId"`
	UserID         string      `json:"userId"`
	IP             string      `json:"ip"`
	Host           string      `json:"host,omitempty"`
	Device         *device     `json:"device,omitempty"`
	LoginAt        isoTime     `json:"loginAt"`
	CreatedAt      isoTime     `json:"createdAt"`
	LastActivityAt isoTime     `json:"lastActivityAt"`
	ExpiresAt      isoTime     `json:"expiresAt"`
	Origin         auth.Origin `json:"origin"`
	Success        bool        `json:"success"`
}

func newInfo(s *auth.Session) infoResponse {
	return infoResponse{
		ID: s.ID, Type: "session", SessionID: s.ID, UserID: s.UserID, IP: s.IP, Host: s.Device[hostKey],
		Device: parseDevice(s.UserAgent), LoginAt: isoTime(s.CreatedAt), CreatedAt: isoTime(s.CreatedAt),
		LastActivityAt: isoTime(s.LastSeen), ExpiresAt: isoTime(s.ExpiresAt), Origin: s.Origin, Success: true,
	}
}

type infoAdminResponse struct {
	sessionRow
	Success bool `json:"success"`
}

type sessionIDResponse struct {
	SessionID string `json:"sessionId"`
	Success   bool   `json:"success"`
}
