package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// sessionView is one row of a session list.
type sessionView struct {
	ID       string
	Device   string // from the User-Agent and device headers
	API      string // which API started it
	IP       string
	Created  time.Time
	LastSeen time.Time
	SeenAgo  string // LastSeen in words ("5 minutes ago")
	Current  bool   // the session of this very page
}

type sessionsData struct {
	Sessions []sessionView // this page's
	Others   int           // sessions other than this one, on every page
	Page     pager
	Tokens   []*auth.PersonalToken
}

// apiNames says in words which API started a session.
var apiNames = map[auth.Origin]string{
	auth.OriginUI:     "Account pages",
	auth.OriginInflux: "InfluxDB API",
	auth.OriginRocket: "Rocket.Chat API",
	auth.OriginTenant: "Tenant API",
}

// sessionViews turns sessions into rows, the current one first and the
// rest newest first, as the store returns them.
func sessionViews(list []*auth.Session, currentID string, now time.Time) []sessionView {
	out := make([]sessionView, 0, len(list))
	for _, s := range list {
		api := apiNames[s.Origin]
		if api == "" {
			api = string(s.Origin)
		}
		v := sessionView{
			ID: s.ID, Device: describeDevice(s.UserAgent, s.Device), API: api, IP: s.IP,
			Created: s.CreatedAt, LastSeen: s.LastSeen, SeenAgo: ago(now, s.LastSeen), Current: s.ID == currentID,
		}
		if v.IP == "" {
			v.IP = "unknown"
		}
		if v.Current {
			out = append([]sessionView{v}, out...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

func (h *Handler) handleSessions(w http.ResponseWriter, r *http.Request, c *caller) {
	list, err := h.svc.UserSessions(r.Context(), c.sess.TenantID, c.user.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows, p := pageOf(r, sessionViews(list, c.sess.ID, h.svc.Now()), "/ui/sessions")
	v := signedIn(c, "Your sessions", "sessions")
	v.Flash = flash(r)
	toks, err := h.svc.PersonalTokens(r.Context(), c.sess.TenantID, c.user.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Data = sessionsData{Sessions: rows, Others: p.Total - 1, Page: p, Tokens: toks}
	h.render(w, r, http.StatusOK, "sessions", v)
}

// handleSignOutOthers ends every session of the user but this one. It
// needs a recent proof: a session older than the window is sent to
// re-authenticate first.
func (h *Handler) handleSignOutOthers(w http.ResponseWriter, r *http.Request, c *caller) {
	n, err := h.svc.EndOtherSessions(r.Context(), c.sess, h.svc.Recent(c.sess))
	if auth.ErrorCode(err) == auth.EReauth {
		h.redirect(w, r, "/ui/reauth?next=%2Fui%2Fsessions")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/ui/sessions?m=others&n="+strconv.Itoa(n))
}

// handleSignOutSession ends one of the user's sessions; ending this one
// is signing out.
func (h *Handler) handleSignOutSession(w http.ResponseWriter, r *http.Request, c *caller) {
	id := r.PathValue("id")
	if id == c.sess.ID {
		if _, err := h.svc.SignOut(r.Context(), c.token); err != nil && auth.ErrorCode(err) != auth.EUnauthorized {
			h.fail(w, r, err)
			return
		}
		clearCookie(w, r, cookieSession)
		h.redirect(w, r, "/ui/signin?m=signedout")
		return
	}
	if !auth.ValidID(id) {
		h.redirect(w, r, "/ui/sessions?m=gone")
		return
	}
	_, err := h.svc.RevokeSession(r.Context(), auth.Reach{TenantID: c.sess.TenantID, UserID: c.user.ID}, id)
	switch auth.ErrorCode(err) {
	case "":
		h.redirect(w, r, "/ui/sessions?m=session")
	case auth.ENotFound:
		// Ended already, or not this user's: the same answer either way.
		h.redirect(w, r, "/ui/sessions?m=gone")
	default:
		h.fail(w, r, err)
	}
}
