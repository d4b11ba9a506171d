package auth

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// OTPScope is what a one-time code is for.
type OTPScope string

// OTP scopes (webmixhub.md §3). Clients create the first two; the other
// two are created by the flows they belong to.
const (
	ScopeEmailVerification OTPScope = "email_verification"
	ScopePhoneVerification OTPScope = "phone_verification"
	ScopeResetPassword     OTPScope = "reset_password"
	ScopeOTPSignIn         OTPScope = "otp_signin"
)

// Scopes lists every OTP scope.
var Scopes = []OTPScope{ScopeEmailVerification, ScopePhoneVerification, ScopeResetPassword, ScopeOTPSignIn}

// Channel is how a message reaches its recipient.
type Channel string

// Channels.
const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
)

// OTPStatus is where an OTP is in its life: pending moves to verified,
// cancelled, expired or failed (too many wrong codes); verified moves to
// consumed.
type OTPStatus string

// OTP statuses.
const (
	OTPPending   OTPStatus = "pending"
	OTPVerified  OTPStatus = "verified"
	OTPCancelled OTPStatus = "cancelled"
	OTPExpired   OTPStatus = "expired"
	OTPFailed    OTPStatus = "failed"
	OTPConsumed  OTPStatus = "consumed"
)

// OTP is a one-time code sent to a recipient. Only the code's hash is
// kept.
type OTP struct {
	ID        string
	TenantID  string
	Scope     OTPScope
	ScopeID   string // the client's own reference, kept and returned as given
	Channel   Channel
	Recipient string // a lower-case email, or an E.164 phone number
	// UserID is the user a password reset is for. A reset asked for an
	// email that names no user who may reset has none: its code is never
	// sent, so it can never be verified, and it answers exactly as a
	// real one does.
	UserID     string
	CodeHash   string
	Status     OTPStatus
	Attempts   int // wrong and right codes tried
	Resends    int
	CreatedAt  time.Time
	LastSentAt time.Time
	ExpiresAt  time.Time // of the code; once verified, of the right to consume it
	UpdatedAt  time.Time
	Version    int // grows by one at every update (see OTPStore.UpdateOTP)
}

// silent reports whether o's code is never sent: a password reset for no
// user who may reset.
func (o *OTP) silent() bool { return o.Scope == ScopeResetPassword && o.UserID == "" }

// OTPPolicy bounds one-time codes. Zero fields take DefaultOTPPolicy's.
type OTPPolicy struct {
	TTL            time.Duration // a code's lifetime; also how long a verified OTP may be consumed
	ResendInterval time.Duration // shortest time between two sends of an OTP
	MaxResends     int
	MaxAttempts    int // codes tried before the OTP fails
	// RecipientLimit is how many codes one recipient may be sent per
	// hour in a tenant (creations and resends, whoever asks), so that
	// sessiond cannot be used to flood an inbox or a phone.
	RecipientLimit int
}

// DefaultOTPPolicy: ten-minute codes, resent at most three times a minute
// apart (the reference's defaults), five tries, ten codes per recipient
// per hour.
var DefaultOTPPolicy = OTPPolicy{TTL: 10 * time.Minute, ResendInterval: time.Minute, MaxResends: 3, MaxAttempts: 5, RecipientLimit: 10}

func (p OTPPolicy) withDefaults() OTPPolicy {
	d := DefaultOTPPolicy
	if p.TTL <= 0 {
		p.TTL = d.TTL
	}
	if p.ResendInterval <= 0 {
		p.ResendInterval = d.ResendInterval
	}
	if p.MaxResends <= 0 {
		p.MaxResends = d.MaxResends
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.RecipientLimit <= 0 {
		p.RecipientLimit = d.RecipientLimit
	}
	return p
}

// Error codes of the OTP module; the tenant API answers them as its
// OTP_* codes.
const (
	EOTPExpired       = "otp_expired"         // the code, or the right to consume it, has expired
	EOTPInvalidCode   = "otp_invalid_code"    // a wrong code; attempts remain
	EOTPMaxAttempts   = "otp_max_attempts"    // too many wrong codes: the OTP has failed
	EOTPResendTooSoon = "otp_resend_too_soon" // see RetryAfter
	EOTPMaxResends    = "otp_max_resends"
	EOTPInvalidState  = "otp_invalid_state" // the OTP's status does not allow the operation
)

// ErrOTPNotFound: no OTP of the tenant has the ID (or it has another scope).
var ErrOTPNotFound = &Error{Code: ENotFound, Msg: "OTP not found"}

// Field names of the OTP module's Error.Fields.
const (
	FieldScope     = "scope"
	FieldScopeID   = "scopeId"
	FieldChannel   = "channel"
	FieldRecipient = "recipient"
	FieldCode      = "code"
)

// OTP audit events.
const (
	EventOTPCreate     = "otp.create"     // Detail: scope and channel; Outcome success or refused (throttled)
	EventOTPVerify     = "otp.verify"     // Outcome success or failure (a wrong code)
	EventPasswordReset = "password.reset" // a reset asked (Detail) or completed
)

// OTPRequest asks for a one-time code to be sent.
type OTPRequest struct {
	TenantID  string
	Scope     OTPScope
	ScopeID   string
	Channel   Channel
	Recipient string
	Client    Client
	// Problems are what the dialect found wrong with the request while
	// decoding it, in its own field names; they are reported (EInvalid)
	// with the core's, after the gate.
	Problems map[string][]string
}

// ResendInterval returns the shortest time between two sends of an OTP.
func (s *Service) ResendInterval() time.Duration { return s.otp.ResendInterval }

// OTPPolicy returns the bounds of one-time codes in force.
func (s *Service) OTPPolicy() OTPPolicy { return s.otp }

// ChannelReady reports whether the server can deliver messages over ch.
func (s *Service) ChannelReady(ch Channel) bool {
	if s.messages == nil || s.otps == nil {
		return false
	}
	for _, c := range s.channels {
		if c == ch {
			return true
		}
	}
	return false
}

// CreateOTP is the OTP module's create: a code for the email_verification
// or phone_verification scope, sent to the recipient. Earlier pending
// OTPs of the tenant for the same scope, channel and recipient are
// cancelled. Returns EInvalid (with Fields), ERestricted when the channel
// cannot be delivered, or ERateLimited when the recipient was sent too
// many codes (see RetryAfter).
func (s *Service) CreateOTP(ctx context.Context, req OTPRequest) (*OTP, error) {
	bad := checkOTPRequest(&req)
	switch req.Scope {
	case ScopeEmailVerification, ScopePhoneVerification, "":
	default:
		bad = addProblem(bad, FieldScope, "must be one of email_verification, phone_verification")
	}
	for k, v := range req.Problems {
		bad = addProblem(bad, k, v...)
	}
	if bad == nil && req.Scope == ScopeEmailVerification && req.Channel != ChannelEmail {
		bad = addProblem(bad, FieldChannel, "must be email for email_verification")
	}
	if bad == nil && req.Scope == ScopePhoneVerification && req.Channel != ChannelSMS {
		bad = addProblem(bad, FieldChannel, "must be sms for phone_verification")
	}
	if bad != nil {
		return nil, &Error{Code: EInvalid, Msg: "invalid OTP request", Fields: bad}
	}
	t, err := s.Tenant(ctx, req.TenantID)
	if err != nil {
		return nil, err
	}
	return s.issueOTP(ctx, t, req, "")
}

// checkOTPRequest normalises the recipient and reports problems with the
// request's fields.
func checkOTPRequest(req *OTPRequest) map[string][]string {
	var bad map[string][]string
	if req.Scope == "" {
		bad = addProblem(bad, FieldScope, "is required")
	}
	if len(req.ScopeID) > 128 || strings.ContainsAny(req.ScopeID, "\x00\r\n") {
		bad = addProblem(bad, FieldScopeID, "is invalid")
	}
	switch req.Channel {
	case ChannelEmail:
		req.Recipient = strings.ToLower(strings.TrimSpace(req.Recipient))
		if req.Recipient != "" && !wellFormedEmail(req.Recipient) {
			bad = addProblem(bad, FieldRecipient, "must be a valid email")
		}
	case ChannelSMS:
		req.Recipient = strings.TrimSpace(req.Recipient)
		if req.Recipient != "" && !validPhone(req.Recipient) {
			bad = addProblem(bad, FieldRecipient, "must be a phone number in E.164 form, such as +905551234567")
		}
	case "":
		bad = addProblem(bad, FieldChannel, "is required")
	default:
		bad = addProblem(bad, FieldChannel, "must be one of email, sms")
	}
	if req.Recipient == "" {
		bad = addProblem(bad, FieldRecipient, "is required")
	}
	return bad
}

// validPhone reports whether s is an E.164 number: a plus and 8 to 15
// digits, the first not zero.
func validPhone(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// issueOTP makes an OTP for req in tenant t (for userID, for a password
// reset), cancels the earlier pending ones it replaces and queues its
// message (none for a silent OTP).
func (s *Service) issueOTP(ctx context.Context, t *Tenant, req OTPRequest, userID string) (*OTP, error) {
	if !s.ChannelReady(req.Channel) {
		return nil, &Error{Code: ERestricted, Msg: "Capability " + string(req.Channel) + " is restricted"}
	}
	if err := s.throttleRecipient(ctx, t.ID, req.Recipient); err != nil {
		s.audit(ctx, Event{Type: EventOTPCreate, Outcome: OutcomeRefused, TenantID: t.ID, IP: req.Client.IP, Detail: string(req.Scope) + " by " + string(req.Channel) + ": too many codes for the recipient"})
		return nil, err
	}
	code := newCode()
	hash, err := s.hasher.hashFor(ctx, ipSubject(req.Client.IP), code)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	o := &OTP{
		ID: NewID(), TenantID: t.ID, Scope: req.Scope, ScopeID: req.ScopeID, Channel: req.Channel, Recipient: req.Recipient,
		UserID: userID, CodeHash: hash, Status: OTPPending, CreatedAt: now, LastSentAt: now, ExpiresAt: now.Add(s.otp.TTL), UpdatedAt: now, Version: 1,
	}
	if err := s.otps.CreateOTP(ctx, o); err != nil {
		return nil, err
	}
	if _, err := s.otps.CancelOTPs(ctx, t.ID, o.Scope, o.Channel, o.Recipient, o.ID, now); err != nil {
		return nil, err
	}
	if err := s.send(ctx, t, o, code); err != nil {
		// Without its message the code could never be verified: cancel it.
		o.Status, o.UpdatedAt, o.Version = OTPCancelled, now, o.Version+1
		if cerr := s.otps.UpdateOTP(context.WithoutCancel(ctx), o); cerr != nil {
			s.log.Warn("cancel an OTP whose message was not queued", "otp", o.ID, "err", cerr)
		}
		return nil, err
	}
	s.audit(ctx, Event{Type: EventOTPCreate, Outcome: OutcomeSuccess, TenantID: t.ID, User: userID, IP: req.Client.IP, Target: o.ID, Detail: string(o.Scope) + " by " + string(o.Channel)})
	return o, nil
}

// newCode returns six random decimal digits.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// throttleRecipient counts one code for a recipient of the tenant and
// refuses it past the policy's hourly limit.
func (s *Service) throttleRecipient(ctx context.Context, tenantID, recipient string) error {
	if s.limiter == nil {
		return nil
	}
	key := "otp:recipient:" + tenantID + ":" + HashToken(recipient).String()[:32]
	res, err := s.limiter.Hit(ctx, key, s.otp.RecipientLimit, time.Hour)
	if err != nil {
		return Unavailable("otp throttle", err)
	}
	if !res.Allowed {
		return &Error{Code: ERateLimited, Msg: "too many codes sent to this recipient; try again later", Err: retryAfter(res.Reset.Sub(s.now()))}
	}
	return nil
}

// otp returns the tenant's OTP with the ID and scope; an expired pending
// or verified OTP is marked expired on the way.
func (s *Service) otpOf(ctx context.Context, tenantID, id string, scope OTPScope) (*OTP, error) {
	if !ValidID(tenantID) || !ValidID(id) {
		return nil, ErrOTPNotFound
	}
	o, err := s.otps.OTPByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if o.Scope != scope {
		return nil, ErrOTPNotFound
	}
	if (o.Status == OTPPending || o.Status == OTPVerified) && !s.now().Before(o.ExpiresAt) {
		o.Status = OTPExpired
		if err := s.saveOTP(ctx, o); err != nil && ErrorCode(err) != EConflict {
			return nil, err
		}
	}
	return o, nil
}

// saveOTP writes o's changes by compare-and-swap on its version.
func (s *Service) saveOTP(ctx context.Context, o *OTP) error {
	o.UpdatedAt = s.now().UTC()
	o.Version++
	return s.otps.UpdateOTP(ctx, o)
}

// stateError is the error for an operation that o's status does not
// allow.
func otpStateError(o *OTP) error {
	switch o.Status {
	case OTPExpired:
		return &Error{Code: EOTPExpired, Msg: "OTP has expired"}
	case OTPFailed:
		return &Error{Code: EOTPMaxAttempts, Msg: "too many wrong codes: the OTP has failed"}
	}
	return &Error{Code: EOTPInvalidState, Msg: "OTP is " + string(o.Status)}
}

// maxCASRetries bounds the re-reads of an OTP that others change at the
// same time.
const maxCASRetries = 8
