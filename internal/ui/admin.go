package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// usersPageSize is how many users one page of the users list shows.
const usersPageSize = 50

type userRow struct {
	ID, Name, Email string
	State           auth.UserState
	Active          bool
	Admin           bool
	Self            bool // the signed-in admin
}

func newUserRow(u *auth.User, self string) userRow {
	return userRow{ID: u.ID, Name: u.Name, Email: u.Email, State: u.State, Active: u.State == auth.StateActive, Admin: u.Admin, Self: u.ID == self}
}

type usersData struct {
	Query string
	Users []userRow
	Next  string // link to the next page, when there is one
}

type userData struct {
	Target   userRow
	Created  time.Time
	Sessions []sessionView // this page's
	Page     pager
}

// handleUsers lists the tenant's users, those whose name contains ?q=
// when it is set, a page at a time (?after= the last ID shown).
func (h *Handler) handleUsers(w http.ResponseWriter, r *http.Request, c *caller) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 256 {
		q = q[:256]
	}
	after := r.URL.Query().Get("after")
	if !auth.ValidID(after) {
		after = ""
	}
	list, err := h.svc.Users(r.Context(), auth.UserFilter{TenantID: c.sess.TenantID, Search: q, After: after, Limit: usersPageSize + 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := usersData{Query: q}
	if len(list) > usersPageSize {
		list = list[:usersPageSize]
		v := url.Values{"after": {list[len(list)-1].ID}}
		if q != "" {
			v.Set("q", q)
		}
		d.Next = "/ui/admin/users?" + v.Encode()
	}
	for _, u := range list {
		d.Users = append(d.Users, newUserRow(u, c.user.ID))
	}
	v := signedIn(c, "Users", "users")
	v.Data = d
	h.render(w, r, http.StatusOK, "users", v)
}

// target reads the {id} of an admin route and loads that user of the
// admin's tenant; it answers 404 itself when there is none.
func (h *Handler) target(w http.ResponseWriter, r *http.Request, c *caller) (*auth.User, bool) {
	id := r.PathValue("id")
	if !auth.ValidID(id) {
		h.errorPageFor(w, r, c, http.StatusNotFound, "There is no such user.")
		return nil, false
	}
	u, err := h.svc.User(r.Context(), c.sess.TenantID, id)
	if auth.ErrorCode(err) == auth.ENotFound {
		h.errorPageFor(w, r, c, http.StatusNotFound, "There is no such user.")
		return nil, false
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return u, true
}

func (h *Handler) handleUser(w http.ResponseWriter, r *http.Request, c *caller) {
	u, ok := h.target(w, r, c)
	if !ok {
		return
	}
	list, err := h.svc.UserSessions(r.Context(), c.sess.TenantID, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := signedIn(c, "User "+u.Name, "users")
	v.Flash = flash(r)
	rows, p := pageOf(r, sessionViews(list, c.sess.ID, h.svc.Now()), "/ui/admin/users/"+u.ID)
	v.Data = userData{Target: newUserRow(u, c.user.ID), Created: u.CreatedAt, Sessions: rows, Page: p}
	h.render(w, r, http.StatusOK, "user", v)
}

// handleUserState disables (state=inactive) or enables (state=active) a
// user. Disabling ends all of the user's sessions (the core does that).
// An admin cannot disable themselves.
func (h *Handler) handleUserState(w http.ResponseWriter, r *http.Request, c *caller) {
	u, ok := h.target(w, r, c)
	if !ok {
		return
	}
	st := auth.UserState(r.PostFormValue("state"))
	if st != auth.StateActive && st != auth.StateInactive {
		h.errorPageFor(w, r, c, http.StatusBadRequest, "Unknown user state.")
		return
	}
	if u.ID == c.user.ID && st != auth.StateActive {
		h.errorPageFor(w, r, c, http.StatusUnprocessableEntity, "You cannot disable your own account.")
		return
	}
	if _, err := h.svc.UpdateUser(r.Context(), c.sess.TenantID, u.ID, auth.UserUpdate{State: &st}); err != nil {
		h.fail(w, r, err)
		return
	}
	m := "enabled"
	if st == auth.StateInactive {
		m = "disabled"
	}
	h.redirect(w, r, "/ui/admin/users/"+u.ID+"?m="+m)
}

// handleUserSignOutAll ends every session of the user (but the admin's
// own current one, when the admin is that user).
func (h *Handler) handleUserSignOutAll(w http.ResponseWriter, r *http.Request, c *caller) {
	u, ok := h.target(w, r, c)
	if !ok {
		return
	}
	var n int
	var err error
	if u.ID == c.user.ID {
		// One's own other sessions: the same rule as "Sign out everywhere
		// else", a recent proof, or re-authenticate first.
		n, err = h.svc.EndOtherSessions(r.Context(), c.sess, h.svc.Recent(c.sess))
		if auth.ErrorCode(err) == auth.EReauth {
			h.redirect(w, r, "/ui/reauth?next="+url.QueryEscape("/ui/admin/users/"+u.ID))
			return
		}
	} else {
		n, err = h.svc.RevokeUserSessions(r.Context(), c.sess.TenantID, u.ID, "")
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/ui/admin/users/"+u.ID+"?m=user-sessions&n="+strconv.Itoa(n))
}

// handleUserSignOutSession ends one session of the user.
func (h *Handler) handleUserSignOutSession(w http.ResponseWriter, r *http.Request, c *caller) {
	u, ok := h.target(w, r, c)
	if !ok {
		return
	}
	sid := r.PathValue("sid")
	m := "session"
	if !auth.ValidID(sid) {
		m = "gone"
	} else if _, err := h.svc.RevokeSession(r.Context(), auth.Reach{TenantID: c.sess.TenantID, UserID: u.ID}, sid); auth.ErrorCode(err) == auth.ENotFound {
		m = "gone"
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/ui/admin/users/"+u.ID+"?m="+m)
}
