package auth

import (
	"context"
	"strings"
)

// ResetRequest asks for a password reset code.
type ResetRequest struct {
	TenantID string
	Email    string
	Client   Client
	// Problems are the dialect's own findings, as in OTPRequest.
	Problems map[string][]string
}

// StartPasswordReset is the challenge step of a password reset: a
// reset_password code is emailed to email when it names a user of the
// tenant who signs in with a password and may reset it. Whether or not
// it does, the answer is the same (an OTP that can be verified, resent
// and cancelled in the same way; an email that names no such user gets
// one whose code is never sent), so that the answer reveals no account.
// Returns EInvalid (Fields: FieldLogin), ERestricted when resets are
// switched off for the tenant or no email can be sent, or ERateLimited
// when the address was sent too many codes.
func (s *Service) StartPasswordReset(ctx context.Context, req ResetRequest) (*OTP, error) {
	tenantID, email, c := req.TenantID, req.Email, req.Client
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if err := gate(t, CapResetPassword, MethodPassword); err != nil {
		return nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	var bad map[string][]string
	switch {
	case email == "":
		bad = addProblem(bad, FieldLogin, "is required")
	case !wellFormedEmail(email):
		bad = addProblem(bad, FieldLogin, "must be a valid email")
	}
	for k, v := range req.Problems {
		bad = addProblem(bad, k, v...)
	}
	if bad != nil {
		return nil, &Error{Code: EInvalid, Msg: "invalid password reset", Fields: bad}
	}
	userID := ""
	u, err := s.users.UserByEmail(ctx, tenantID, email)
	switch ErrorCode(err) {
	case "":
		if u.PasswordHash != "" && u.State == StateActive && userGate(t, u.ID, CapResetPassword, MethodPassword) == nil {
			userID = u.ID
		}
	case ENotFound:
	default:
		return nil, err
	}
	o, err := s.issueOTP(ctx, t, OTPRequest{TenantID: tenantID, Scope: ScopeResetPassword, Channel: ChannelEmail, Recipient: email, Client: c}, userID)
	if err != nil {
		return nil, err
	}
	detail := "code sent"
	if userID == "" {
		detail = "no user who may reset has this email: nothing sent"
	}
	s.audit(ctx, Event{Type: EventPasswordReset, Outcome: OutcomeSuccess, TenantID: tenantID, User: userID, IP: c.IP, Target: o.ID, Detail: "asked: " + detail})
	return o, nil
}

// ResetPassword is the confirm step of a password reset: it consumes the
// tenant's verified reset_password OTP with the ID, sets the user's new
// password, marks their email verified, clears their sign-in lockout,
// ends every session of theirs in every API and removes their personal
// access tokens (SetPassword with endOthers). The password is checked
// against the policy before the OTP is consumed, so a refused password
// can be replaced. Returns ErrOTPNotFound, EOTPExpired, EOTPInvalidState
// (not verified, or used), or EPasswordRule.
func (s *Service) ResetPassword(ctx context.Context, tenantID, id, password string, c Client) error {
	o, err := s.otpOf(ctx, tenantID, id, ScopeResetPassword)
	if err != nil {
		return err
	}
	if o.Status != OTPVerified || o.UserID == "" {
		if o.Status == OTPPending {
			return &Error{Code: EOTPInvalidState, Msg: "the OTP has not been verified"}
		}
		return otpStateError(o)
	}
	u, err := s.users.UserByID(ctx, tenantID, o.UserID)
	if ErrorCode(err) == ENotFound {
		return ErrOTPNotFound // the user was deleted meanwhile
	}
	if err != nil {
		return err
	}
	if err := s.checkPassword(password, u.Name); err != nil {
		s.audit(ctx, Event{Type: EventPasswordReset, Outcome: OutcomeRefused, TenantID: tenantID, User: u.ID, IP: c.IP, Detail: ErrorMessage(err)})
		return err
	}
	if _, err := s.consumeOTP(ctx, tenantID, id, ScopeResetPassword); err != nil {
		return err
	}
	if u.Email == o.Recipient {
		if err := s.setEmailVerified(ctx, u); err != nil {
			return err
		}
	}
	if err := s.SetPassword(ctx, tenantID, u.ID, password, true, ""); err != nil {
		return err
	}
	// Whoever was guessing at the password has lost: the owner's sign-in
	// is no longer locked.
	logins := []string{u.Name}
	if u.Email != "" && u.Email != u.Name {
		logins = append(logins, u.Email)
	}
	for _, login := range logins {
		if err := s.ClearLockout(ctx, loginSubject(tenantID, login)); err != nil {
			s.log.Warn("clearing a lockout after a password reset failed", "user", u.ID, "err", err)
		}
	}
	s.audit(ctx, Event{Type: EventPasswordReset, Outcome: OutcomeSuccess, TenantID: tenantID, User: u.ID, IP: c.IP, Target: o.ID, Detail: "completed: every session and personal access token ended"})
	return nil
}

// CompletePasswordReset verifies code against the reset OTP and, when it
// is right, resets the password as ResetPassword does: the two steps in
// one, for forms that ask for the code and the new password together.
// The password is checked first, so a refused one spends no try.
func (s *Service) CompletePasswordReset(ctx context.Context, tenantID, id, code, password string, c Client) error {
	if err := s.policy.checkLength(password); err != nil {
		return err
	}
	if _, err := s.VerifyOTP(ctx, tenantID, id, ScopeResetPassword, code, c); err != nil {
		return err
	}
	return s.ResetPassword(ctx, tenantID, id, password, c)
}

// SendPasswordReset emails a reset code to a user of the tenant, for an
// operator: unlike StartPasswordReset it names the user and says why a
// code cannot be sent (EInvalid: no email, no password, not active).
// Returns ErrUserNotFound, EInvalid, ERestricted or ERateLimited.
func (s *Service) SendPasswordReset(ctx context.Context, tenantID, userID string) (*OTP, error) {
	u, err := s.users.UserByID(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Email == "":
		return nil, Errorf(EInvalid, "the user has no email to send a code to")
	case u.PasswordHash == "":
		return nil, Errorf(EInvalid, "the user signs in without a password; set one instead")
	case u.State != StateActive:
		return nil, Errorf(EInvalid, "the user is %s", u.State)
	}
	o, err := s.issueOTP(ctx, t, OTPRequest{TenantID: tenantID, Scope: ScopeResetPassword, Channel: ChannelEmail, Recipient: u.Email}, u.ID)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, Event{Type: EventPasswordReset, Outcome: OutcomeSuccess, TenantID: tenantID, User: u.ID, Target: o.ID, Detail: "asked by an operator: code sent"})
	return o, nil
}
