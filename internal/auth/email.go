package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// emailCodeDigits is the length of an email code.
const emailCodeDigits = 6

// EnableEmailFactor turns on the email second factor for a user, which
// needs an address and a courier (ENotImplemented without one; EInvalid
// for a user without an address). Enabling it twice is harmless.
func (s *Service) EnableEmailFactor(ctx context.Context, tenantID, userID string) error {
	if !s.factorsOn() || s.codeSender() == nil {
		return &Error{Code: ENotImplemented, Msg: "email codes cannot be sent: no courier is configured"}
	}
	u, err := s.users.UserByID(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	if u.Email == "" {
		return Errorf(EInvalid, "the user has no email address")
	}
	fs, err := s.sf.factors.UserFactors(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.Kind == FactorEmail {
			return nil
		}
	}
	now := s.now().UTC()
	f := &Factor{ID: NewID(), TenantID: tenantID, UserID: userID, Kind: FactorEmail, Name: "Email", Confirmed: true, CreatedAt: now}
	if err := s.sf.factors.CreateFactor(ctx, f); err != nil {
		return err
	}
	s.userChanged(ctx, tenantID, userID) // the kinds cached with the user
	s.audit(ctx, Event{Type: EventFactorAdd, TenantID: tenantID, User: userID, Target: f.ID, Outcome: OutcomeSuccess, Detail: string(FactorEmail)})
	return nil
}

// SendEmailCode sends a fresh email code to the user a login names, when
// that user has the email method; for anyone else it does nothing and
// says nothing, so that it reveals no account (Rocket.Chat's
// users.2fa.sendEmailCode).
func (s *Service) SendEmailCode(ctx context.Context, tenantID, login string) error {
	u, err := s.lookupLogin(ctx, tenantID, login, LoginNameOrEmail)
	if ErrorCode(err) == ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	fs, _, err := s.userMethods(ctx, u)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.Kind == FactorEmail {
			_, err := s.sendEmailCode(ctx, u, f)
			return err
		}
	}
	return nil
}

// offerEmailCode sends an email code for a challenge that asks for the
// email method, unless one is pending already (Rocket.Chat's EmailCheck
// sends a new code only when none is valid).
func (s *Service) offerEmailCode(ctx context.Context, u *User, fs []*Factor, ch *Challenge) error {
	if ch.Method != FactorMethodEmail {
		return nil
	}
	for _, f := range fs {
		if f.Kind != FactorEmail {
			continue
		}
		if f.Code != nil && s.now().Before(f.CodeExpires) && f.LastStep < f.CodeExpires.UnixMilli() {
			ch.CodeExpires = f.CodeExpires
			return nil
		}
		exp, err := s.sendEmailCode(ctx, u, f)
		if err != nil {
			return err
		}
		ch.CodeSent, ch.CodeExpires = true, exp
		return nil
	}
	return nil
}

// sendEmailCode makes a new code for the email factor f, keeps its keyed
// hash on the factor, and hands the code to the courier.
func (s *Service) sendEmailCode(ctx context.Context, u *User, f *Factor) (exp time.Time, err error) {
	sender := s.codeSender()
	if sender == nil {
		return exp, &Error{Code: ENotImplemented, Msg: "email codes cannot be sent: no courier is configured"}
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return exp, Internal("email code", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	// Each code ends at a later millisecond than the one before, which is
	// what marks it used (AdvanceFactorStep).
	exp = s.now().UTC().Add(s.sf.emailTTL).Truncate(time.Millisecond)
	if exp.UnixMilli() <= f.LastStep {
		exp = time.UnixMilli(f.LastStep + 1).UTC()
	}
	f.Code, f.CodeExpires = s.sf.seal.mac(sealEmail, f.ID, code), exp
	if err := s.sf.factors.UpdateFactor(ctx, f); err != nil {
		return exp, err
	}
	msg := CodeMessage{TenantID: u.TenantID, UserID: u.ID, To: u.Email, Name: u.Name, Code: code, Purpose: "second-factor", Expires: exp}
	if err := sender.SendCode(ctx, msg); err != nil {
		return exp, Unavailable("send email code", err)
	}
	return exp, nil
}

// useEmailCode checks code against the pending email code and spends it:
// a code is good once and until it expires.
func (s *Service) useEmailCode(ctx context.Context, fs []*Factor, code string) (bool, error) {
	code = strings.TrimSpace(code)
	if len(code) != emailCodeDigits {
		return false, nil
	}
	for _, f := range fs {
		if f.Kind != FactorEmail || f.Code == nil {
			continue
		}
		if !s.now().Before(f.CodeExpires) || f.LastStep >= f.CodeExpires.UnixMilli() {
			return false, nil
		}
		if subtle.ConstantTimeCompare(f.Code, s.sf.seal.mac(sealEmail, f.ID, code)) != 1 {
			return false, nil
		}
		err := s.sf.factors.AdvanceFactorStep(ctx, f.TenantID, f.ID, f.CodeExpires.UnixMilli(), s.now().UTC())
		switch ErrorCode(err) {
		case "":
			return true, nil
		case EConflict:
			return false, nil
		}
		return false, err
	}
	return false, nil
}
