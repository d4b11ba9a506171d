package auth

import (
	"context"
	"fmt"
	"time"
)

// VerifyOTP checks a code of the tenant's OTP of the scope. A pending OTP
// with the right code becomes verified (and then stays so: verifying it
// again with the right code succeeds again); every code tried counts
// towards the policy's maximum, reserved before the code is checked so
// that parallel guesses get no more tries, and the try that reaches it
// fails the OTP. Returns ErrOTPNotFound, EOTPInvalidCode (attempts
// remain), EOTPMaxAttempts, EOTPExpired or EOTPInvalidState, or EInvalid
// for a code that is not six digits.
func (s *Service) VerifyOTP(ctx context.Context, tenantID, id string, scope OTPScope, code string, c Client) (*OTP, error) {
	if !sixDigits(code) {
		return nil, &Error{Code: EInvalid, Msg: "invalid code", Fields: map[string][]string{FieldCode: {"must be six digits"}}}
	}
	for range maxCASRetries {
		o, err := s.otpOf(ctx, tenantID, id, scope)
		if err != nil {
			return nil, err
		}
		switch o.Status {
		case OTPVerified:
			ok, _, err := s.hasher.verifyFor(ctx, ipSubject(c.IP), o.CodeHash, code)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, &Error{Code: EOTPInvalidCode, Msg: "invalid code"}
			}
			return o, nil
		case OTPPending:
		default:
			return nil, otpStateError(o)
		}
		if o.Attempts >= s.otp.MaxAttempts {
			o.Status = OTPFailed
			if err := s.saveOTP(ctx, o); ErrorCode(err) == EConflict {
				continue
			} else if err != nil {
				return nil, err
			}
			return nil, otpStateError(o)
		}
		// Reserve the try before any hash.
		o.Attempts++
		if err := s.saveOTP(ctx, o); ErrorCode(err) == EConflict {
			continue
		} else if err != nil {
			return nil, err
		}
		ok, _, err := s.hasher.verifyFor(ctx, ipSubject(c.IP), o.CodeHash, code)
		if err != nil {
			return nil, err
		}
		if ok {
			return s.markVerified(ctx, o, c)
		}
		s.audit(ctx, Event{Type: EventOTPVerify, Outcome: OutcomeFailure, TenantID: tenantID, User: o.UserID, IP: c.IP, Target: o.ID, Detail: string(o.Scope)})
		if left := s.otp.MaxAttempts - o.Attempts; left > 0 {
			return nil, &Error{Code: EOTPInvalidCode, Msg: fmt.Sprintf("invalid code: %s left", plural(left, "attempt"))}
		}
		return nil, s.failOTP(ctx, o)
	}
	return nil, Unavailable("verify otp", fmt.Errorf("otp %s kept changing", id))
}

// markVerified records that o's right code was given, whatever parallel
// wrong codes did meanwhile (the right one was within the budget), and
// applies what verification means for its scope.
func (s *Service) markVerified(ctx context.Context, o *OTP, c Client) (*OTP, error) {
	for range maxCASRetries {
		switch o.Status {
		case OTPVerified:
			return o, nil
		case OTPPending, OTPFailed:
		default:
			return nil, otpStateError(o)
		}
		o.Status, o.ExpiresAt = OTPVerified, s.now().UTC().Add(s.otp.TTL)
		err := s.saveOTP(ctx, o)
		if err == nil {
			s.audit(ctx, Event{Type: EventOTPVerify, Outcome: OutcomeSuccess, TenantID: o.TenantID, User: o.UserID, IP: c.IP, Target: o.ID, Detail: string(o.Scope)})
			if o.Scope == ScopeEmailVerification {
				if err := s.verifyEmailOf(ctx, o.TenantID, o.Recipient); err != nil {
					return nil, err
				}
			}
			return o, nil
		}
		if ErrorCode(err) != EConflict {
			return nil, err
		}
		if o, err = s.otps.OTPByID(ctx, o.TenantID, o.ID); err != nil {
			return nil, err
		}
	}
	return nil, Unavailable("verify otp", fmt.Errorf("otp %s kept changing", o.ID))
}

// failOTP marks o failed after its last wrong code.
func (s *Service) failOTP(ctx context.Context, o *OTP) error {
	for range maxCASRetries {
		if o.Status != OTPPending {
			return otpStateError(o)
		}
		o.Status = OTPFailed
		err := s.saveOTP(ctx, o)
		if ErrorCode(err) != EConflict {
			if err != nil {
				return err
			}
			return otpStateError(o)
		}
		if o, err = s.otps.OTPByID(ctx, o.TenantID, o.ID); err != nil {
			return err
		}
	}
	return &Error{Code: EOTPMaxAttempts, Msg: "too many wrong codes: the OTP has failed"}
}

// verifyEmailOf marks the tenant's user whose email is email, if any, as
// having verified it.
func (s *Service) verifyEmailOf(ctx context.Context, tenantID, email string) error {
	u, err := s.users.UserByEmail(ctx, tenantID, email)
	if ErrorCode(err) == ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	return s.setEmailVerified(ctx, u)
}

// setEmailVerified marks u's email verified.
func (s *Service) setEmailVerified(ctx context.Context, u *User) error {
	if u.EmailVerified || u.Email == "" {
		return nil
	}
	cur, err := s.users.UserByID(ctx, u.TenantID, u.ID)
	if err != nil {
		return err
	}
	if cur.Email != u.Email || cur.EmailVerified {
		return nil
	}
	cur.EmailVerified, cur.UpdatedAt = true, s.now().UTC()
	if err := s.users.UpdateUser(ctx, cur); err != nil {
		return err
	}
	s.userChanged(ctx, u.TenantID, u.ID)
	s.audit(ctx, Event{Type: EventUserUpdate, TenantID: u.TenantID, User: u.ID, Detail: "email verified"})
	return nil
}

// ResendOTP sends a pending OTP's code again, as a new code (the old one
// stops working) with a new expiry. Returns ErrOTPNotFound, EOTPExpired,
// EOTPInvalidState (not pending), EOTPMaxResends, EOTPResendTooSoon (see
// RetryAfter), or ERateLimited for a recipient sent too many codes.
func (s *Service) ResendOTP(ctx context.Context, tenantID, id string, scope OTPScope, c Client) (*OTP, error) {
	for range maxCASRetries {
		o, err := s.otpOf(ctx, tenantID, id, scope)
		if err != nil {
			return nil, err
		}
		now := s.now()
		switch {
		case o.Status == OTPExpired:
			return nil, otpStateError(o)
		case o.Status != OTPPending:
			return nil, &Error{Code: EOTPInvalidState, Msg: "only a pending OTP can be resent; this one is " + string(o.Status)}
		case o.Resends >= s.otp.MaxResends:
			return nil, &Error{Code: EOTPMaxResends, Msg: fmt.Sprintf("the code was already resent %s", plural(o.Resends, "time"))}
		}
		if next := o.LastSentAt.Add(s.otp.ResendInterval); now.Before(next) {
			return nil, &Error{Code: EOTPResendTooSoon, Msg: "wait before asking for another code", Err: retryAfter(next.Sub(now))}
		}
		t, err := s.Tenant(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		if !o.silent() && !s.ChannelReady(o.Channel) {
			return nil, &Error{Code: ERestricted, Msg: "Capability " + string(o.Channel) + " is restricted"}
		}
		if err := s.throttleRecipient(ctx, tenantID, o.Recipient); err != nil {
			return nil, err
		}
		code := newCode()
		hash, err := s.hasher.hashFor(ctx, ipSubject(c.IP), code)
		if err != nil {
			return nil, err
		}
		o.CodeHash, o.Resends, o.LastSentAt, o.ExpiresAt = hash, o.Resends+1, now.UTC(), now.UTC().Add(s.otp.TTL)
		if err := s.saveOTP(ctx, o); ErrorCode(err) == EConflict {
			continue
		} else if err != nil {
			return nil, err
		}
		if err := s.send(ctx, t, o, code); err != nil {
			return nil, err
		}
		return o, nil
	}
	return nil, Unavailable("resend otp", fmt.Errorf("otp %s kept changing", id))
}

// CancelOTP cancels a pending OTP; cancelling a cancelled one succeeds
// again. Returns ErrOTPNotFound, EOTPExpired or EOTPInvalidState.
func (s *Service) CancelOTP(ctx context.Context, tenantID, id string, scope OTPScope) (*OTP, error) {
	for range maxCASRetries {
		o, err := s.otpOf(ctx, tenantID, id, scope)
		if err != nil {
			return nil, err
		}
		switch o.Status {
		case OTPCancelled:
			return o, nil
		case OTPPending:
		case OTPExpired:
			return nil, otpStateError(o)
		default:
			return nil, &Error{Code: EOTPInvalidState, Msg: "only a pending OTP can be cancelled; this one is " + string(o.Status)}
		}
		o.Status = OTPCancelled
		if err := s.saveOTP(ctx, o); ErrorCode(err) == EConflict {
			continue
		} else if err != nil {
			return nil, err
		}
		return o, nil
	}
	return nil, Unavailable("cancel otp", fmt.Errorf("otp %s kept changing", id))
}

// consumeOTP uses up the tenant's verified OTP of the scope: exactly one
// caller ever gets it. Returns ErrOTPNotFound, EOTPExpired or
// EOTPInvalidState (not verified, or consumed already).
func (s *Service) consumeOTP(ctx context.Context, tenantID, id string, scope OTPScope) (*OTP, error) {
	for range maxCASRetries {
		o, err := s.otpOf(ctx, tenantID, id, scope)
		if err != nil {
			return nil, err
		}
		if o.Status != OTPVerified {
			if o.Status == OTPPending {
				return nil, &Error{Code: EOTPInvalidState, Msg: "the OTP has not been verified"}
			}
			return nil, otpStateError(o)
		}
		o.Status = OTPConsumed
		if err := s.saveOTP(ctx, o); ErrorCode(err) == EConflict {
			continue
		} else if err != nil {
			return nil, err
		}
		return o, nil
	}
	return nil, Unavailable("consume otp", fmt.Errorf("otp %s kept changing", id))
}

// PurgeOTPs deletes at most limit OTPs that expired more than a day ago.
func (s *Service) PurgeOTPs(ctx context.Context, limit int) (int, error) {
	if s.otps == nil {
		return 0, nil
	}
	return s.otps.PurgeOTPs(ctx, s.now().Add(-24*time.Hour), limit)
}

func sixDigits(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
