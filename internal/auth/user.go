package auth

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// NewUser describes a user to create.
type NewUser struct {
	TenantID string
	Name     string
	Email    string
	Password string // optional; no password means the user cannot sign in yet
	State    UserState
	Admin    bool
	ID       string // optional; a fresh ID when empty
	// EmailVerified marks Email as proved (a code, a provider's word).
	EmailVerified bool
}

// UserUpdate changes some fields of a user; nil fields stay as they are.
type UserUpdate struct {
	Name     *string
	Email    *string
	State    *UserState
	Admin    *bool
	Presence *string
	// Restricted replaces the capabilities and methods switched off for
	// the user (see Restrictable).
	Restricted *[]string
}

// Presence statuses kept in User.Presence (the tenant API's logout marks
// a user logged out without ending a session); an empty one is logged in.
const (
	PresenceLoggedIn  = "logged_in"
	PresenceLoggedOut = "logged_out"
)

// Status is the user's status in the tenant API's terms: logged_in,
// logged_out, suspended or terminated.
func (u *User) Status() string {
	switch u.State {
	case StateActive:
		if u.Presence == PresenceLoggedOut {
			return PresenceLoggedOut
		}
		return PresenceLoggedIn
	case StateTerminated:
		return string(StateTerminated)
	}
	return string(StateSuspended)
}

func validName(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(EInvalid, "user name is required")
	}
	if len(name) > 256 || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return Errorf(EInvalid, "user name is invalid")
	}
	return nil
}

func validEmail(email string) error {
	if email == "" {
		return nil
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || len(email) > 254 || !utf8.ValidString(email) || strings.ContainsAny(email, " \x00\r\n") {
		return Errorf(EInvalid, "email is invalid")
	}
	return nil
}

// CreateUser creates a user, hashing its password when one is given.
// Returns EInvalid, EPasswordRule or EConflict.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	return s.createUser(ctx, "", nu)
}

// createUser is CreateUser hashing on behalf of client key.
func (s *Service) createUser(ctx context.Context, key string, nu NewUser) (*User, error) {
	if err := validName(nu.Name); err != nil {
		return nil, err
	}
	if err := validEmail(nu.Email); err != nil {
		return nil, err
	}
	if nu.State == "" {
		nu.State = StateActive
	}
	if !nu.State.Valid() {
		return nil, Errorf(EInvalid, "invalid user status")
	}
	if nu.ID != "" && !ValidID(nu.ID) {
		return nil, Errorf(EInvalid, "invalid user ID")
	}
	if nu.ID == "" {
		nu.ID = NewID()
	}
	now := s.now().UTC()
	u := &User{ID: nu.ID, TenantID: nu.TenantID, Name: nu.Name, Email: nu.Email, State: nu.State, Admin: nu.Admin, CreatedAt: now, UpdatedAt: now,
		EmailVerified: nu.EmailVerified && nu.Email != ""}
	if nu.Password != "" {
		if err := s.checkPassword(nu.Password, nu.Name); err != nil {
			return nil, err
		}
		if err := s.setHashes(ctx, key, u, nu.Password); err != nil {
			return nil, err
		}
	}
	if err := s.users.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	s.audit(ctx, Event{Type: EventUserCreate, TenantID: u.TenantID, User: u.ID, Detail: fmt.Sprintf("state %s, admin %t", u.State, u.Admin)})
	return u, nil
}

// User returns one user of the tenant. ErrUserNotFound.
func (s *Service) User(ctx context.Context, tenantID, id string) (*User, error) {
	return s.users.UserByID(ctx, tenantID, id)
}

// UserByName returns one user of the tenant by login name. ErrUserNotFound.
func (s *Service) UserByName(ctx context.Context, tenantID, name string) (*User, error) {
	return s.users.UserByName(ctx, tenantID, name)
}

// UserByLogin returns the user whose name, or else email, is login.
func (s *Service) UserByLogin(ctx context.Context, tenantID, login string) (*User, error) {
	return s.lookupLogin(ctx, tenantID, login, LoginNameOrEmail)
}

// Users lists users of a tenant.
func (s *Service) Users(ctx context.Context, f UserFilter) ([]*User, error) {
	return s.users.ListUsers(ctx, f)
}

// UpdateUser applies upd. Making a user anything but active ends all of
// their sessions at once. Returns ErrUserNotFound, EInvalid or EConflict.
func (s *Service) UpdateUser(ctx context.Context, tenantID, id string, upd UserUpdate) (*User, error) {
	u, err := s.users.UserByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	var changes []string
	if upd.Name != nil && *upd.Name != u.Name {
		changes = append(changes, "name")
	}
	if upd.Email != nil && *upd.Email != u.Email {
		changes = append(changes, "email")
	}
	if upd.State != nil && *upd.State != u.State {
		changes = append(changes, fmt.Sprintf("state %s -> %s", u.State, *upd.State))
	}
	if upd.Admin != nil && *upd.Admin != u.Admin {
		changes = append(changes, fmt.Sprintf("admin %t -> %t", u.Admin, *upd.Admin))
	}
	if upd.Name != nil {
		if err := validName(*upd.Name); err != nil {
			return nil, err
		}
		u.Name = *upd.Name
	}
	if upd.Email != nil {
		if err := validEmail(*upd.Email); err != nil {
			return nil, err
		}
		u.EmailVerified = u.EmailVerified && u.Email == *upd.Email // a new email is not verified yet
		u.Email = *upd.Email
	}
	if upd.State != nil {
		switch {
		case !upd.State.Valid():
			return nil, Errorf(EInvalid, "invalid user status")
		case u.State == StateTerminated && *upd.State != StateTerminated:
			return nil, Errorf(EInvalid, "a terminated user cannot be reactivated")
		}
		u.State = *upd.State
	}
	var restricted []string
	if upd.Restricted != nil {
		var problems []string
		if restricted, problems = CheckRestrictions(*upd.Restricted); problems != nil {
			return nil, Errorf(EInvalid, "%s", strings.Join(problems, "; "))
		}
		changes = append(changes, "restrictions")
	}
	if upd.Admin != nil {
		u.Admin = *upd.Admin
	}
	if upd.Presence != nil {
		u.Presence = *upd.Presence
	}
	if upd.Restricted != nil {
		// What is switched off for a user lives on the tenant, which the
		// sign-in gate and every tenant API request read anyway.
		set := map[string]string{userRestrictionSetting(id): strings.Join(restricted, listSeparator)}
		if _, err := s.updateTenant(ctx, tenantID, "", set); err != nil {
			return nil, err
		}
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.users.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	s.userChanged(ctx, tenantID, u.ID)
	if len(changes) > 0 {
		s.audit(ctx, Event{Type: EventUserUpdate, TenantID: tenantID, User: id, Detail: strings.Join(changes, ", ")})
	}
	if u.State != StateActive {
		n, err := s.sessions.DeleteUserSessions(ctx, tenantID, id, "")
		if err != nil {
			return nil, err
		}
		if n > 0 {
			s.audit(ctx, Event{Type: EventSessionRevokeAll, TenantID: tenantID, User: id, Detail: fmt.Sprintf("%d sessions ended: user is %s", n, u.State)})
		}
	}
	return u, nil
}

// SetPresence records a dialect presence status (such as logged_out)
// without touching anything else.
func (s *Service) SetPresence(ctx context.Context, tenantID, id, presence string) error {
	_, err := s.UpdateUser(ctx, tenantID, id, UserUpdate{Presence: &presence})
	return err
}

// DeleteUser removes a user, their sessions and their API tokens.
// ErrUserNotFound.
func (s *Service) DeleteUser(ctx context.Context, tenantID, id string) error {
	if err := s.users.DeleteUser(ctx, tenantID, id); err != nil {
		return err
	}
	s.userChanged(ctx, tenantID, id)
	if err := s.forgetUser(ctx, tenantID, id); err != nil {
		return err
	}
	if t, err := s.tenants.TenantByID(ctx, tenantID); err == nil && t.Settings[userRestrictionSetting(id)] != "" {
		if _, err := s.updateTenant(ctx, tenantID, "", map[string]string{userRestrictionSetting(id): ""}); err != nil {
			return err
		}
	}
	s.audit(ctx, Event{Type: EventUserDelete, TenantID: tenantID, User: id})
	if err := s.deleteUserFactors(ctx, tenantID, id); err != nil {
		return err
	}
	if _, err := s.sessions.DeleteUserSessions(ctx, tenantID, id, ""); err != nil {
		return err
	}
	toks, err := s.tokens.ListTokens(ctx, tenantID, id)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if err := s.tokens.DeleteToken(ctx, tenantID, t.ID); err != nil && ErrorCode(err) != ENotFound {
			return err
		}
	}
	return nil
}

// SetPassword sets a user's password without asking for the old one.
// When endOthers is set, every session of the user but keepSession ends,
// and every personal access token of theirs is removed: a change that
// signs the user out elsewhere (a reset, an administrator's set-password,
// the owner's own change) is how an account is taken back, and a token
// made by whoever held it would otherwise outlive it. Returns
// ErrUserNotFound or EPasswordRule.
func (s *Service) SetPassword(ctx context.Context, tenantID, id, pw string, endOthers bool, keepSession string) error {
	if err := s.policy.checkLength(pw); err != nil {
		s.audit(ctx, Event{Type: EventPasswordChange, Outcome: OutcomeRefused, TenantID: tenantID, User: id, Detail: ErrorMessage(err)})
		return err
	}
	u, err := s.users.UserByID(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if err := s.checkPassword(pw, u.Name); err != nil {
		s.audit(ctx, Event{Type: EventPasswordChange, Outcome: OutcomeRefused, TenantID: tenantID, User: id, Detail: ErrorMessage(err)})
		return err
	}
	if err := s.setHashes(ctx, "", u, pw); err != nil {
		return err
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.users.UpdateUser(ctx, u); err != nil {
		return err
	}
	s.userChanged(ctx, tenantID, id)
	ev := Event{Type: EventPasswordChange, Outcome: OutcomeSuccess, TenantID: tenantID, User: id, Session: keepSession}
	if endOthers {
		n, err := s.sessions.DeleteUserSessions(ctx, tenantID, id, keepSession)
		if err != nil {
			return err
		}
		k, err := s.RemovePersonalTokens(ctx, tenantID, id)
		if err != nil {
			return err
		}
		ev.Detail = fmt.Sprintf("%d other sessions and %d personal access tokens ended", n, k)
	}
	s.audit(ctx, ev)
	return nil
}

// ChangePassword sets a new password after checking the old one.
// Returns ErrWrongOldPassword, EPasswordRule or ErrUserNotFound, or an
// ELocked error when the account is locked out (wrong old passwords count
// as failed sign-ins).
func (s *Service) ChangePassword(ctx context.Context, tenantID, id, oldPw, newPw string, endOthers bool, keepSession string) error {
	if !utf8.ValidString(oldPw) {
		// No password is stored but UTF-8: this one cannot match, and
		// is the client's mistake rather than a guess.
		return Errorf(EInvalid, "the current password must be valid UTF-8")
	}
	u, err := s.users.UserByID(ctx, tenantID, id)
	if err != nil {
		return err
	}
	// A wrong old password counts against the user's name like a failed
	// sign-in, so a stolen session cannot be used to guess it; a locked
	// name is refused before any hash.
	subject := ""
	if s.lockoutOn() {
		subject = loginSubject(tenantID, u.Name)
		if err := s.admit(ctx, tenantID, subject, ""); err != nil {
			if ErrorCode(err) == ELocked {
				s.audit(ctx, Event{Type: EventPasswordChange, Outcome: OutcomeLocked, TenantID: tenantID, User: id})
			}
			return err
		}
	}
	ok, _, err := s.hasher.Verify(ctx, u.PasswordHash, oldPw)
	if err != nil {
		return err
	}
	if ok {
		s.succeeded(ctx, subject)
	} else {
		s.failed(ctx, tenantID, subject, "", id)
	}
	if !ok {
		s.audit(ctx, Event{Type: EventPasswordChange, Outcome: OutcomeFailure, TenantID: tenantID, User: id, Detail: "wrong old password"})
		return ErrWrongOldPassword
	}
	return s.SetPassword(ctx, tenantID, id, newPw, endOthers, keepSession)
}

// setHashes sets u's password hash and its digest verifier (the hash of
// Digest(pw), for PasswordDigest sign-ins) for password pw, hashing on
// behalf of client key.
func (s *Service) setHashes(ctx context.Context, key string, u *User, pw string) error {
	h, err := s.hasher.hashFor(ctx, key, pw)
	if err != nil {
		return err
	}
	d, err := s.hasher.hashFor(ctx, key, Digest(pw))
	if err != nil {
		return err
	}
	u.PasswordHash, u.DigestHash = h, d
	return nil
}

// upgradeHash runs after a good sign-in with password pw: it replaces an
// old password hash (bcrypt, or weaker argon2id parameters) when rehash
// is set, and makes the digest verifier when u has none yet (a user whose
// password was set before sessiond kept one). A failure only delays it to
// the next sign-in.
func (s *Service) upgradeHash(ctx context.Context, key string, u *User, pw string, rehash bool) {
	cur, err := s.users.UserByID(ctx, u.TenantID, u.ID)
	if err != nil || cur.PasswordHash != u.PasswordHash {
		return
	}
	if rehash {
		if err := s.setHashes(ctx, key, cur, pw); err != nil {
			return
		}
	} else {
		d, err := s.hasher.hashFor(ctx, key, Digest(pw))
		if err != nil {
			return
		}
		cur.DigestHash = d
	}
	cur.UpdatedAt = s.now().UTC()
	if err := s.users.UpdateUser(ctx, cur); err != nil {
		s.log.Warn("password hash upgrade failed", "user", u.ID, "err", err)
		return
	}
	u.PasswordHash, u.DigestHash = cur.PasswordHash, cur.DigestHash
	s.userChanged(ctx, u.TenantID, u.ID)
}
