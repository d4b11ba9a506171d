package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"strings"
)

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// recoveryAlphabet is base32 without the letters people misread.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCode returns a code of 16 characters in four groups
// ("abcd-efgh-jkmn-pqrs"): about 79 bits, so that a stolen list of hashes
// cannot be reversed.
func newRecoveryCode() string {
	var b strings.Builder
	buf := make([]byte, 16)
	rand.Read(buf)
	for i, x := range buf {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(recoveryAlphabet[int(x)%len(recoveryAlphabet)])
	}
	return b.String()
}

// normalizeRecoveryCode reads a code as typed: case, spaces and dashes
// do not matter.
func normalizeRecoveryCode(code string) string {
	code = strings.ToLower(code)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, code)
}

// recoveryHash is how a code is stored: SHA-256 of tenant, user and code.
func recoveryHash(tenantID, userID, code string) Hash {
	return sha256.Sum256([]byte("sessiond recovery\x00" + tenantID + "\x00" + userID + "\x00" + normalizeRecoveryCode(code)))
}

// RegenerateRecoveryCodes gives a user a new set of recovery codes,
// returned here and shown once; the old ones stop working.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, tenantID, userID string) ([]string, error) {
	if s.sf.recovery == nil {
		return nil, &Error{Code: ENotImplemented, Msg: "recovery codes are not available"}
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]Hash, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryHash(tenantID, userID, codes[i])
	}
	if err := s.sf.recovery.SetRecoveryCodes(ctx, tenantID, userID, hashes, s.now().UTC()); err != nil {
		return nil, err
	}
	s.audit(ctx, Event{Type: EventRecoveryCodes, TenantID: tenantID, User: userID, Outcome: OutcomeSuccess})
	return codes, nil
}

// RecoveryCodesLeft returns how many unused recovery codes a user has.
func (s *Service) RecoveryCodesLeft(ctx context.Context, tenantID, userID string) (int, error) {
	if s.sf.recovery == nil {
		return 0, nil
	}
	return s.sf.recovery.RecoveryCodesLeft(ctx, tenantID, userID)
}

// useRecoveryCode spends one of u's recovery codes; false when code is
// none of the unused ones.
func (s *Service) useRecoveryCode(ctx context.Context, u *User, code string) (bool, error) {
	if s.sf.recovery == nil || len(normalizeRecoveryCode(code)) != 16 {
		return false, nil
	}
	err := s.sf.recovery.UseRecoveryCode(ctx, u.TenantID, u.ID, recoveryHash(u.TenantID, u.ID, code), s.now().UTC())
	switch ErrorCode(err) {
	case "":
		return true, nil
	case ENotFound:
		return false, nil
	}
	return false, err
}
