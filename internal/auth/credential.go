package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// msgNotUTF8 is the problem of a field that is not valid UTF-8. Text is
// refused, never rewritten: two different byte strings must never become
// the same login or password.
const msgNotUTF8 = "must be valid UTF-8"

// Password proves an account by its password. With CapSignup it is the
// new account's password instead, and must meet the password policy.
type Password struct {
	Secret string
}

// Method implements Credential.
func (Password) Method() Method { return MethodPassword }

func (c Password) check(s *Service, a *attempt) map[string][]string {
	bad := loginProblems(a)
	switch {
	case c.Secret == "":
		bad = addProblem(bad, FieldPassword, "is required")
	case !utf8.ValidString(c.Secret):
		// Never compared: no stored password is anything but UTF-8.
		bad = addProblem(bad, FieldPassword, msgNotUTF8)
	case a.Capability == CapSignup:
		if err := s.checkPassword(c.Secret, a.Login); err != nil {
			bad = addProblem(bad, FieldPassword, ErrorMessage(err))
		}
	}
	return bad
}

func (Password) subjects(a *attempt) (string, string) {
	if a.Capability == CapSignup {
		return "", ipSubject(a.Client.IP)
	}
	return loginSubject(a.TenantID, a.Login), ipSubject(a.Client.IP)
}

func (c Password) prove(ctx context.Context, s *Service, a *attempt) (*proof, error) {
	if a.Capability == CapSignup {
		return s.signUp(ctx, a, c.Secret)
	}
	u, err := s.accountOf(ctx, a)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, s.spendDummy(ctx, a, c.Secret)
	}
	ok, rehash, err := s.hasher.verifyFor(ctx, a.hashKey, u.PasswordHash, c.Secret)
	if err != nil {
		return &proof{user: u}, err
	}
	if !ok {
		return &proof{user: u}, ErrBadCredentials
	}
	if rehash || u.DigestHash == "" {
		s.upgradeHash(ctx, a.hashKey, u, c.Secret, rehash)
	}
	return &proof{user: u}, nil
}

// PasswordDigest proves an account by the SHA-256 of its password, in
// hex, as Rocket.Chat's clients may send it ({digest, algorithm} or
// {hashed}). It is checked against the verifier kept beside the password
// hash (User.DigestHash), so it works wherever the password does.
type PasswordDigest struct {
	SHA256 string
}

// Method implements Credential: a digest is a password, and is switched
// off with it.
func (PasswordDigest) Method() Method { return MethodPassword }

func (c PasswordDigest) check(_ *Service, a *attempt) map[string][]string {
	bad := loginProblems(a)
	if c.SHA256 == "" {
		bad = addProblem(bad, FieldPassword, "is required")
	}
	return bad
}

func (PasswordDigest) subjects(a *attempt) (string, string) {
	return loginSubject(a.TenantID, a.Login), ipSubject(a.Client.IP)
}

func (c PasswordDigest) prove(ctx context.Context, s *Service, a *attempt) (*proof, error) {
	d := strings.ToLower(c.SHA256)
	u, err := s.accountOf(ctx, a)
	if err != nil {
		return nil, err
	}
	if u == nil || u.DigestHash == "" {
		var p *proof
		if u != nil {
			p = &proof{user: u}
		}
		return p, s.spendDummy(ctx, a, d)
	}
	ok, _, err := s.hasher.verifyFor(ctx, a.hashKey, u.DigestHash, d)
	if err != nil {
		return &proof{user: u}, err
	}
	if !ok {
		return &proof{user: u}, ErrBadCredentials
	}
	return &proof{user: u}, nil
}

// Digest returns the form of a password that PasswordDigest carries:
// the lower-case hex SHA-256 of its bytes.
func Digest(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// Guest signs in the guest user of a device, creating it on first use.
// The device's ID is all it proves; a tenant that does not want guests
// switches the method off.
type Guest struct {
	Device string
}

// Method implements Credential.
func (Guest) Method() Method { return MethodGuest }

// guestPrefix starts the user name of a guest; no email has a space.
const guestPrefix = "guest "

// maxDeviceID is the longest device ID a guest may have.
const maxDeviceID = 128

// IsGuest reports whether u is a device's guest user.
func IsGuest(u *User) bool { return strings.HasPrefix(u.Name, guestPrefix) }

func (c Guest) check(*Service, *attempt) map[string][]string {
	switch {
	case c.Device == "":
		return addProblem(nil, FieldDevice, "is required for guest sign-in")
	case len(c.Device) > maxDeviceID || strings.ContainsAny(c.Device, "\x00\r\n"):
		return addProblem(nil, FieldDevice, "is invalid")
	}
	return nil
}

func (Guest) subjects(a *attempt) (string, string) { return "", ipSubject(a.Client.IP) }

func (c Guest) prove(ctx context.Context, s *Service, a *attempt) (*proof, error) {
	if a.tenant == nil {
		return nil, ErrBadCredentials
	}
	name := guestPrefix + c.Device
	u, err := s.users.UserByName(ctx, a.TenantID, name)
	if ErrorCode(err) != ENotFound {
		return &proof{user: u}, err
	}
	u, err = s.createUser(ctx, a.hashKey, NewUser{TenantID: a.TenantID, Name: name})
	if ErrorCode(err) == EConflict { // a parallel first sign-in made it
		u, err = s.users.UserByName(ctx, a.TenantID, name)
		return &proof{user: u}, err
	}
	if err != nil {
		return nil, err
	}
	return &proof{user: u, newUser: true}, nil
}

// Resume continues a live session by its secret, as Rocket.Chat's
// {resume} login does: the same session and secret come back, and the
// session records the resuming client and time.
type Resume struct {
	Token string
}

// Method implements Credential.
func (Resume) Method() Method { return MethodResume }

func (c Resume) check(*Service, *attempt) map[string][]string {
	if c.Token == "" {
		return addProblem(nil, FieldToken, "is required")
	}
	return nil
}

func (Resume) subjects(a *attempt) (string, string) { return "", ipSubject(a.Client.IP) }

func (c Resume) prove(ctx context.Context, s *Service, a *attempt) (*proof, error) {
	sess, err := s.sessions.SessionByTokenHash(ctx, HashToken(c.Token))
	if ErrorCode(err) == ENotFound {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if sess.TenantID != a.TenantID {
		return nil, ErrBadCredentials
	}
	if s.ended(sess, s.now()) {
		if err := s.sessions.DeleteSession(ctx, sess.ID); err != nil && ErrorCode(err) != ENotFound {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	u, err := s.cachedUser(ctx, sess.TenantID, sess.UserID)
	if ErrorCode(err) == ENotFound {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	return &proof{user: u, resumed: sess, token: c.Token}, nil
}

// loginProblems checks an attempt's login.
func loginProblems(a *attempt) map[string][]string {
	switch {
	case a.Login == "":
		return addProblem(nil, FieldLogin, "is required")
	case !utf8.ValidString(a.Login):
		return addProblem(nil, FieldLogin, msgNotUTF8)
	case a.LoginKind == LoginEmail && !wellFormedEmail(a.Login):
		return addProblem(nil, FieldLogin, "must be a valid email")
	}
	return nil
}

func addProblem(bad map[string][]string, field string, msgs ...string) map[string][]string {
	if bad == nil {
		bad = map[string][]string{}
	}
	bad[field] = append(bad[field], msgs...)
	return bad
}

// wellFormedEmail is a practical check of an email that names an
// account: one @, a dot in the domain, no spaces or controls, at most 254
// bytes.
func wellFormedEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 254 || !strings.Contains(s[at+1:], ".") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return strings.IndexByte(s[:at], '@') < 0
}

// accountOf returns the user the attempt's login names, or nil.
func (s *Service) accountOf(ctx context.Context, a *attempt) (*User, error) {
	if a.tenant == nil {
		return nil, nil
	}
	u, err := s.lookupLogin(ctx, a.TenantID, a.Login, a.LoginKind)
	if ErrorCode(err) == ENotFound {
		return nil, nil
	}
	return u, err
}

// spendDummy spends the work of one verification for an attempt that
// can prove no one, and returns ErrBadCredentials (or the pool's error).
func (s *Service) spendDummy(ctx context.Context, a *attempt, secret string) error {
	if err := s.hasher.dummyFor(ctx, a.hashKey, secret); err != nil {
		return err
	}
	return ErrBadCredentials
}

// signUp creates the account of a sign-up, with the password as typed.
func (s *Service) signUp(ctx context.Context, a *attempt, password string) (*proof, error) {
	if a.tenant == nil {
		return nil, ErrTenantNotFound
	}
	nu := NewUser{TenantID: a.TenantID, Name: a.Login, Password: password}
	if a.LoginKind == LoginEmail {
		nu.Email = a.Login
	}
	u, err := s.createUser(ctx, a.hashKey, nu)
	if ErrorCode(err) == EConflict {
		return nil, ErrUserExists
	}
	if err != nil {
		return nil, err
	}
	return &proof{user: u, newUser: true}, nil
}
