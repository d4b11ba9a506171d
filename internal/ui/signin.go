package ui

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// msgSignInFailed is the one message of every failed sign-in: unknown
// user, wrong password, disabled user or unknown tenant alike.
const msgSignInFailed = "Sign-in failed: the username or password is incorrect, or this account cannot sign in."

type signInData struct {
	Login       string
	Tenant      string // the tenant field as typed
	TenantFixed string // the tenant the host chose; the field is then hidden
}

func (h *Handler) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	c, hadCookie, _, err := h.current(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if c != nil {
		h.redirect(w, r, "/ui/sessions")
		return
	}
	if hadCookie {
		clearCookie(w, r, cookieSession)
	}
	t, err := h.hostTenant(r.Context(), r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := view{Title: "Sign in", Flash: flash(r), CSRF: h.signInToken(w, r)}
	d := signInData{}
	if t != nil {
		d.TenantFixed = t.Name
	}
	v.Data = d
	h.render(w, r, http.StatusOK, "signin", v)
}

// signInToken returns the sign-in form's CSRF token, derived from the
// pre-session cookie, which it sets first when the browser has none.
func (h *Handler) signInToken(w http.ResponseWriter, r *http.Request) string {
	pre := readCookie(r, cookieSignIn)
	if pre == "" {
		pre = auth.NewToken(auth.DefaultTokenFormat)
		setCookie(w, r, cookieSignIn, pre)
	}
	return csrfToken(pre, purposeSignIn)
}

func (h *Handler) handleSignIn(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	login, password := r.PostFormValue("username"), r.PostFormValue("password")
	d := signInData{Login: login, Tenant: strings.TrimSpace(r.PostFormValue("tenant"))}
	again := func(status int, msg string) {
		v := view{Title: "Sign in", Error: msg, Data: d}
		if status == http.StatusForbidden {
			// A new pre-session secret: the old one may be what failed.
			pre := auth.NewToken(auth.DefaultTokenFormat)
			setCookie(w, r, cookieSignIn, pre)
			v.CSRF = csrfToken(pre, purposeSignIn)
		} else {
			v.CSRF = h.signInToken(w, r)
		}
		h.render(w, r, status, "signin", v)
	}
	if !validCSRF(readCookie(r, cookieSignIn), purposeSignIn, r.PostFormValue("csrf")) {
		again(http.StatusForbidden, "This sign-in form has expired, or your browser is blocking cookies. Please try again.")
		return
	}

	tenantID, err := h.signInTenant(ctx, r, &d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// One call to the core's sign-in entry: it throttles the login and
	// the address (refusing a locked one before any hash), and treats a
	// tenant that does not exist as an unknown login.
	in, err := h.svc.SignIn(ctx, auth.Attempt{
		TenantID: tenantID, Login: login, Credential: auth.Password{Secret: password},
		Origin: auth.OriginUI, Client: httpkit.Client(r),
	})
	if ch, ok := auth.ChallengeOf(err); ok {
		// The right password of a user with a second factor: the second
		// step (secondstep.go).
		h.secondStep(w, r, ch, http.StatusOK, "")
		return
	}
	switch code := auth.ErrorCode(err); code {
	case "":
	case auth.EInternal, auth.EUnavailable:
		h.fail(w, r, err)
		return
	case auth.ELocked:
		// The core locks unknown logins the same way, so saying so
		// reveals no account.
		again(http.StatusTooManyRequests, h.tryAgain(w, "Too many sign-in attempts.", h.lockEnd(err)))
		return
	default:
		// Wrong credentials, an inactive or restricted user, an empty
		// field: all read the same.
		again(http.StatusUnauthorized, msgSignInFailed)
		return
	}
	token := in.Token
	// A browser that was signed in as someone else ends that session: one
	// browser, one UI session.
	if old := readCookie(r, cookieSession); old != "" {
		if _, err := h.svc.SignOut(ctx, old); err != nil && auth.ErrorCode(err) != auth.EUnauthorized {
			h.log.Warn("ui sign-out of replaced session failed", "request_id", httpkit.RequestID(ctx), "err", err)
		}
	}
	setCookie(w, r, cookieSession, token)
	clearCookie(w, r, cookieSignIn)
	h.redirect(w, r, "/ui/sessions")
}

// tryAgain says when a throttled form may be sent again, in words and in
// Retry-After.
func (h *Handler) tryAgain(w http.ResponseWriter, what string, until time.Time) string {
	now := h.svc.Now()
	secs := int((until.Sub(now) + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return what + " Please wait " + waitWords(now, until) + " and try again (after " + until.UTC().Format("15:04 UTC") + ")."
}

// lockEnd is when the lockout err (auth.ELocked) ends: as the core says,
// else a minute from now.
func (h *Handler) lockEnd(err error) time.Time {
	until, ok := auth.LockedUntil(err)
	if !ok {
		until = h.svc.Now().Add(time.Minute)
	}
	return until
}

// signInTenant picks the tenant of a sign-in: the one the host names
// (see SettingHost), else the one the form's tenant field names by name or
// ID, else the default tenant. When the field names no tenant it returns
// the field as typed, which the core takes for a tenant that does not
// exist.
func (h *Handler) signInTenant(ctx context.Context, r *http.Request, d *signInData) (string, error) {
	t, err := h.hostTenant(ctx, r)
	if err != nil {
		return "", err
	}
	if t != nil {
		d.TenantFixed, d.Tenant = t.Name, ""
		return t.ID, nil
	}
	if d.Tenant == "" {
		return auth.DefaultTenantID, nil
	}
	ts, err := h.svc.Tenants(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range ts {
		if t.ID == d.Tenant || strings.EqualFold(t.Name, d.Tenant) {
			return t.ID, nil
		}
	}
	return d.Tenant, nil
}

// hostTenant returns the tenant whose SettingHost is r's host, or nil.
func (h *Handler) hostTenant(ctx context.Context, r *http.Request) (*auth.Tenant, error) {
	host := r.Host
	if hp, _, err := net.SplitHostPort(host); err == nil {
		host = hp
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return nil, nil
	}
	ts, err := h.svc.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if v := t.Settings[SettingHost]; v != "" && strings.EqualFold(strings.TrimSuffix(v, "."), host) {
			return t, nil
		}
	}
	return nil, nil
}

// handleSignOut ends the UI session of the cookie. With a live session
// the form's CSRF token must match; without one there is nothing to end.
func (h *Handler) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	c, hadCookie, _, err := h.current(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if c != nil {
		if !validCSRF(c.token, purposeSession, r.PostFormValue("csrf")) {
			h.forbidden(w, r)
			return
		}
		if _, err := h.svc.SignOut(r.Context(), c.token); err != nil && auth.ErrorCode(err) != auth.EUnauthorized {
			h.fail(w, r, err)
			return
		}
	}
	if hadCookie {
		clearCookie(w, r, cookieSession)
	}
	h.redirect(w, r, "/ui/signin?m=signedout")
}
