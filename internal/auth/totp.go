package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: what every authenticator app reads from an otpauth
// URL without asking (RFC 6238's defaults).
const (
	totpPeriod = 30 // seconds
	totpDigits = otp.DigitsSix
	// totpSkew is how many steps before and after now a code may be from,
	// for clocks that drift and users who type slowly.
	totpSkew = 1
)

// TOTPEnrollment is a TOTP factor waiting for its first code.
type TOTPEnrollment struct {
	FactorID string
	Secret   string // base32, for typing into an app
	URL      string // otpauth://totp/..., for a QR code
}

// BeginTOTP starts a TOTP enrolment for a user: a fresh secret, kept
// sealed with the factor key as an unconfirmed factor (replacing one
// left unconfirmed before) until ConfirmTOTP sees a code from it.
// Returns EConflict when the user has TOTP already, ENotImplemented
// when no factor key is configured.
func (s *Service) BeginTOTP(ctx context.Context, tenantID, userID string) (*TOTPEnrollment, error) {
	if !s.factorsOn() || !s.sf.seal.durable {
		return nil, &Error{Code: ENotImplemented, Msg: "TOTP needs a factor key (--factor-key)"}
	}
	u, err := s.users.UserByID(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	fs, err := s.sf.factors.UserFactors(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.Kind != FactorTOTP {
			continue
		}
		if f.Confirmed {
			return nil, &Error{Code: EConflict, Msg: "TOTP is enabled already"}
		}
		if err := s.sf.factors.DeleteFactor(ctx, tenantID, f.ID); err != nil && ErrorCode(err) != ENotFound {
			return nil, err
		}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.sf.issuer, AccountName: u.Name, Period: totpPeriod, Digits: totpDigits, SecretSize: 20})
	if err != nil {
		return nil, Internal("totp generate", err)
	}
	now := s.now().UTC()
	f := &Factor{
		ID: NewID(), TenantID: tenantID, UserID: userID, Kind: FactorTOTP, Name: "Authenticator app",
		Secret: s.sf.seal.seal(sealTOTP, []byte(key.Secret())), CreatedAt: now,
	}
	if err := s.sf.factors.CreateFactor(ctx, f); err != nil {
		return nil, err
	}
	return &TOTPEnrollment{FactorID: f.ID, Secret: key.Secret(), URL: key.URL()}, nil
}

// ConfirmTOTP completes the user's pending TOTP enrolment with a code
// from the app. The factor then counts, and when it is the user's first
// the user gets recovery codes, returned here (shown once). A wrong code
// is EInvalid; no pending enrolment is ErrFactorNotFound.
func (s *Service) ConfirmTOTP(ctx context.Context, tenantID, userID, code string) ([]string, error) {
	if !s.factorsOn() {
		return nil, ErrFactorNotFound
	}
	u, err := s.users.UserByID(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	fs, err := s.sf.factors.UserFactors(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	var pending *Factor
	first := true
	for _, f := range fs {
		if f.Confirmed {
			first = false
		} else if f.Kind == FactorTOTP {
			pending = f
		}
	}
	if pending == nil {
		return nil, ErrFactorNotFound
	}
	ok, err := s.useTOTP(ctx, pending, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &Error{Code: EInvalid, Msg: "the code is wrong or has expired; check the app's clock and try the next code", Fields: map[string][]string{"code": {"is wrong"}}}
	}
	cur, err := s.factorByID(ctx, u, pending.ID)
	if err != nil {
		return nil, err
	}
	cur.Confirmed = true
	if err := s.sf.factors.UpdateFactor(ctx, cur); err != nil {
		return nil, err
	}
	s.userChanged(ctx, tenantID, userID) // the kinds cached with the user
	s.audit(ctx, Event{Type: EventFactorAdd, TenantID: tenantID, User: userID, Target: cur.ID, Outcome: OutcomeSuccess, Detail: string(FactorTOTP)})
	if !first {
		return nil, nil
	}
	return s.RegenerateRecoveryCodes(ctx, tenantID, userID)
}

// factorByID reads one factor of u.
func (s *Service) factorByID(ctx context.Context, u *User, id string) (*Factor, error) {
	fs, err := s.sf.factors.UserFactors(ctx, u.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.ID == id {
			return f, nil
		}
	}
	return nil, ErrFactorNotFound
}

// useTOTP checks code against a TOTP factor and, when it matches a time
// step after the last one accepted, records that step, so each code is
// good once. A code of the step accepted last, or earlier, fails.
func (s *Service) useTOTP(ctx context.Context, f *Factor, code string) (bool, error) {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits.Length() {
		return false, nil
	}
	secret, ok := s.sf.seal.open(sealTOTP, f.Secret)
	if !ok {
		return false, &Error{Code: EInternal, Op: "totp", Err: fmt.Errorf("factor %s: the secret does not open with the configured factor key", f.ID)}
	}
	now := s.now().Unix() / totpPeriod
	match := int64(-1)
	for step := now - totpSkew; step <= now+totpSkew; step++ {
		want, err := hotp.GenerateCodeCustom(string(secret), uint64(step), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return false, Internal("totp", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			match = step
		}
	}
	if match < 0 || match <= f.LastStep {
		return false, nil
	}
	err := s.sf.factors.AdvanceFactorStep(ctx, f.TenantID, f.ID, match, s.now().UTC())
	switch ErrorCode(err) {
	case "":
		f.LastStep = match
		return true, nil
	case EConflict:
		return false, nil // the same code, used by a request that won the race
	}
	return false, err
}

// TOTPImage draws an otpauth URL as a QR code, a PNG of size pixels.
func TOTPImage(url string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(url)
	if err != nil {
		return nil, Errorf(EInvalid, "not an otpauth URL")
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, Internal("qr", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, Internal("qr png", err)
	}
	return buf.Bytes(), nil
}

// TOTPCode returns the code of a base32 secret at t: what an
// authenticator app shows (for tests and tools).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

// PendingTOTP returns the user's TOTP enrolment still waiting for its
// first code, to show its key again. ErrFactorNotFound when there is none.
func (s *Service) PendingTOTP(ctx context.Context, tenantID, userID string) (*TOTPEnrollment, error) {
	if !s.factorsOn() {
		return nil, ErrFactorNotFound
	}
	u, err := s.users.UserByID(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	fs, err := s.sf.factors.UserFactors(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.Kind != FactorTOTP || f.Confirmed {
			continue
		}
		secret, ok := s.sf.seal.open(sealTOTP, f.Secret)
		if !ok {
			return nil, ErrFactorNotFound
		}
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(secret))
		if err != nil {
			return nil, Internal("totp secret", err)
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: s.sf.issuer, AccountName: u.Name, Period: totpPeriod, Digits: totpDigits, Secret: raw})
		if err != nil {
			return nil, Internal("totp url", err)
		}
		return &TOTPEnrollment{FactorID: f.ID, Secret: key.Secret(), URL: key.URL()}, nil
	}
	return nil, ErrFactorNotFound
}
