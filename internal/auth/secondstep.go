package auth

import (
	"context"
	"encoding/base64"
	"strings"
)

// factorExempt is implemented by credentials that need no second factor:
// a resumed session (which had its own), a guest (who has none), a
// passkey (possession and the authenticator's user verification in one).
// Every other credential, a new one included, is followed by the second
// factor of a user who has one.
type factorExempt interface {
	noSecondFactor()
}

func (Resume) noSecondFactor()  {}
func (Guest) noSecondFactor()   {}
func (Passkey) noSecondFactor() {}

// secondStep is step 4b of SignIn: a user who has a confirmed second
// factor is signed in only once the attempt proves it too. With none
// offered it answers ESecondFactor with a Challenge (an email code is
// sent when email is the method asked for); with a wrong one, the same
// error marked Invalid, counted as a failed sign-in of the login (the
// lockout was taken before the first factor's hash, in step 2). It
// returns the outcome to record when the attempt stops here.
func (s *Service) secondStep(ctx context.Context, a *attempt, u *User, login, ip string, ev *Event) (string, error) {
	if _, ok := a.Credential.(factorExempt); ok || a.Capability != CapSignin {
		return "", nil
	}
	fs, methods, err := s.userMethods(ctx, u)
	if err != nil {
		return outcomeOf(err), err
	}
	if len(fs) == 0 {
		return "", nil
	}
	ch := &Challenge{Methods: methods, Method: pickMethod(methods, a.Second), Ticket: s.ticket(a, u)}
	if a.Second.empty() {
		if err := s.offerEmailCode(ctx, u, fs, ch); err != nil {
			return outcomeOf(err), err
		}
		ev.Detail = "second factor required"
		return OutcomeSecondFactor, challengeError(ch)
	}
	m, ok, err := s.proveSecond(ctx, u, fs, a.Second)
	if err != nil {
		return outcomeOf(err), err
	}
	if !ok {
		s.failed(ctx, a.TenantID, login, ip, u.ID)
		ch.Invalid = true
		ev.Detail = "second factor wrong (" + string(ch.Method) + ")"
		return OutcomeFailure, challengeError(ch)
	}
	ev.Detail = "second factor " + string(m)
	return "", nil
}

// pickMethod is the method a challenge asks for: the one the client
// named when the user has it, else the user's first.
func pickMethod(methods []FactorMethod, f *SecondFactor) FactorMethod {
	if f != nil && f.Method != "" {
		for _, m := range methods {
			if m == f.Method {
				return m
			}
		}
	}
	if len(methods) == 0 {
		return ""
	}
	return methods[0]
}

// proveSecond checks a second factor against the user's factors fs and
// returns the method that proved it. A code with no method named may be
// a TOTP code, a recovery code or an email code; TOTP also accepts a
// recovery code, as Rocket.Chat's TOTP check accepts its backup codes.
func (s *Service) proveSecond(ctx context.Context, u *User, fs []*Factor, f *SecondFactor) (FactorMethod, bool, error) {
	try := func(m FactorMethod) (bool, error) {
		switch m {
		case FactorMethodTOTP:
			for _, x := range fs {
				if x.Kind == FactorTOTP {
					if ok, err := s.useTOTP(ctx, x, f.Code); ok || err != nil {
						return ok, err
					}
				}
			}
		case FactorMethodRecovery:
			return s.useRecoveryCode(ctx, u, f.Code)
		case FactorMethodEmail:
			return s.useEmailCode(ctx, fs, f.Code)
		case FactorMethodPasskey:
			if f.Passkey == nil {
				return false, nil
			}
			return s.usePasskey(ctx, u, fs, f.Passkey)
		}
		return false, nil
	}
	var order []FactorMethod
	switch f.Method {
	case "":
		order = []FactorMethod{FactorMethodTOTP, FactorMethodRecovery, FactorMethodEmail}
	case FactorMethodTOTP:
		order = []FactorMethod{FactorMethodTOTP, FactorMethodRecovery}
	default:
		order = []FactorMethod{f.Method}
	}
	if f.Passkey != nil {
		order = []FactorMethod{FactorMethodPasskey}
	}
	for _, m := range order {
		ok, err := try(m)
		if ok || err != nil {
			return m, ok, err
		}
	}
	return f.Method, false, nil
}

// Ticket continues a sign-in whose password was right and whose second
// factor was missing, from the Challenge's Ticket: the account pages'
// second step sends it with the second factor instead of the password.
// It lasts TicketTTL, counts against the same login's lockout as the
// password did, and proves nothing without the second factor.
type Ticket struct {
	Token string
}

// Method implements Credential: a ticket carries a password sign-in on,
// and is switched off with passwords.
func (Ticket) Method() Method { return MethodPassword }

func (c Ticket) check(*Service, *attempt) map[string][]string {
	if c.Token == "" {
		return addProblem(nil, FieldToken, "is required")
	}
	return nil
}

func (c Ticket) subjects(a *attempt) (string, string) {
	// The login a ticket names is readable (it is the user's own, as
	// typed), so its attempts count against that login's budget before
	// anything else; prove checks it against the sealed claims.
	login, _, _ := strings.Cut(c.Token, ".")
	b, err := base64.RawURLEncoding.DecodeString(login)
	if err != nil || len(b) == 0 {
		return "", ipSubject(a.Client.IP)
	}
	return loginSubject(a.TenantID, string(b)), ipSubject(a.Client.IP)
}

func (c Ticket) prove(ctx context.Context, s *Service, a *attempt) (*proof, error) {
	tenantID, userID, _, ok := s.openTicket(c.Token)
	if !ok || tenantID != a.TenantID {
		return nil, ErrBadCredentials
	}
	u, err := s.users.UserByID(ctx, tenantID, userID)
	if ErrorCode(err) == ENotFound {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	return &proof{user: u}, nil
}

// ticket seals the proved first factor of attempt a for user u: the
// login in the clear (for the lockout), then the sealed claims.
func (s *Service) ticket(a *attempt, u *User) string {
	login := a.Login
	if t, ok := a.Credential.(Ticket); ok {
		_, _, login, _ = s.openTicket(t.Token)
	}
	claims := strings.Join([]string{u.TenantID, u.ID, login}, "\x00")
	return base64.RawURLEncoding.EncodeToString([]byte(login)) + "." + s.sf.seal.sealString(sealTicket, []byte(claims), s.now().Add(TicketTTL))
}

// openTicket reads a ticket: its sealed claims, which must name the
// same login as its clear part, and must not have expired.
func (s *Service) openTicket(token string) (tenantID, userID, login string, ok bool) {
	clear, sealed, found := strings.Cut(token, ".")
	if !found {
		return "", "", "", false
	}
	plain, ok := s.sf.seal.openString(sealTicket, sealed, s.now())
	if !ok {
		return "", "", "", false
	}
	parts := strings.Split(string(plain), "\x00")
	if len(parts) != 3 || base64.RawURLEncoding.EncodeToString([]byte(parts[2])) != clear {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// TicketUser returns the tenant and user a live ticket stands for, so
// that a second step can offer that user's passkeys.
func (s *Service) TicketUser(token string) (tenantID, userID string, ok bool) {
	tenantID, userID, _, ok = s.openTicket(token)
	return tenantID, userID, ok
}
