package auth

import (
	"context"
)

// StartOTPSignIn is the challenge step of a sign-in by one-time code: an
// otp_signin code is sent to the recipient (an email, or a phone by SMS),
// whether or not a user has it; the user is found, or made, when the
// verified code is presented (VerifiedOTP). The method is gated as a
// sign-in's is. Returns ERestricted, EInvalid (with Fields) or
// ERateLimited.
func (s *Service) StartOTPSignIn(ctx context.Context, req OTPRequest) (*OTP, error) {
	req.Scope = ScopeOTPSignIn
	t, err := s.Tenant(ctx, req.TenantID)
	if err != nil {
		return nil, err
	}
	if err := gate(t, CapSignin, MethodOTP); err != nil {
		return nil, err
	}
	bad := checkOTPRequest(&req)
	for k, v := range req.Problems {
		bad = addProblem(bad, k, v...)
	}
	if bad != nil {
		return nil, &Error{Code: EInvalid, Msg: "invalid otp sign-in", Fields: bad}
	}
	return s.issueOTP(ctx, t, req, "")
}

// VerifiedOTP proves an account by an otp_signin OTP whose code the client
// has verified (VerifyOTP): the OTP is consumed, so it signs in once. The
// user is the one whose email the code went to, or whose verified phone
// it is; one is made when there is none, with the email (or phone)
// marked verified.
type VerifiedOTP struct {
	ID string
}

// Method implements Credential.
func (VerifiedOTP) Method() Method { return MethodOTP }

func (c VerifiedOTP) check(*Service, *attempt) map[string][]string {
	switch {
	case c.ID == "":
		return addProblem(nil, FieldToken, "is required")
	case !ValidID(c.ID):
		return addProblem(nil, FieldToken, "is invalid")
	}
	return nil
}

// subjects: the OTP's ID is a random 64-bit name and its code was
// checked already, so only the address's failures count.
func (VerifiedOTP) subjects(a *attempt) (string, string) { return "", ipSubject(a.Client.IP) }

func (c VerifiedOTP) prove(ctx context.Context, s *Service, a *attempt) (*proof, error) {
	if a.tenant == nil || s.otps == nil {
		return nil, ErrBadCredentials
	}
	o, err := s.consumeOTP(ctx, a.TenantID, c.ID, ScopeOTPSignIn)
	switch ErrorCode(err) {
	case "":
	case ENotFound, EOTPExpired, EOTPInvalidState, EOTPMaxAttempts:
		return nil, ErrBadCredentials
	default:
		return nil, err
	}
	if o.Channel == ChannelSMS {
		return s.linkedUser(ctx, a, linkPhone, o.Recipient, "", false)
	}
	u, err := s.users.UserByEmail(ctx, a.TenantID, o.Recipient)
	switch ErrorCode(err) {
	case "":
		if err := s.setEmailVerified(ctx, u); err != nil {
			return &proof{user: u}, err
		}
		return &proof{user: u}, nil
	case ENotFound:
	default:
		return nil, err
	}
	u, err = s.createUser(ctx, a.hashKey, NewUser{TenantID: a.TenantID, Name: o.Recipient, Email: o.Recipient, EmailVerified: true})
	if ErrorCode(err) == EConflict { // a parallel first sign-in, or a user named so
		u, err = s.users.UserByEmail(ctx, a.TenantID, o.Recipient)
		return &proof{user: u}, err
	}
	if err != nil {
		return nil, err
	}
	return &proof{user: u, newUser: true}, nil
}
