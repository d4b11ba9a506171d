package auth

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// PersonalToken is a long-lived token a user makes for scripts and bots
// (Rocket.Chat's personal access tokens). It authenticates as the user
// until removed; only its hash is kept.
type PersonalToken struct {
	ID       string
	TenantID string
	UserID   string
	Name     string
	Hash     Hash
	// LastPart is the end of the secret, to tell tokens apart in lists.
	LastPart string
	// BypassTwoFactor spares requests made with the token the second
	// factor that some operations ask for.
	BypassTwoFactor bool
	CreatedAt       time.Time
	LastUsed        time.Time
}

// maxTokenName bounds a personal token's name.
const maxTokenName = 128

func (s *Service) ptokenStore() (PersonalTokenStore, error) {
	if s.sf.ptokens == nil {
		return nil, &Error{Code: ENotImplemented, Msg: "personal access tokens are not available"}
	}
	return s.sf.ptokens, nil
}

// CreatePersonalToken makes a personal access token named name for a
// user and returns it with its secret, shown this once. EInvalid for a
// bad name; EConflict when the user has a token of that name.
func (s *Service) CreatePersonalToken(ctx context.Context, tenantID, userID, name string, bypass bool) (*PersonalToken, string, error) {
	st, err := s.ptokenStore()
	if err != nil {
		return nil, "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxTokenName || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return nil, "", &Error{Code: EInvalid, Msg: "the token name is required and must be at most 128 bytes of text", Fields: map[string][]string{"tokenName": {"is invalid"}}}
	}
	if _, err := s.users.UserByID(ctx, tenantID, userID); err != nil {
		return nil, "", err
	}
	secret := NewToken(DefaultTokenFormat)
	t := &PersonalToken{
		ID: NewID(), TenantID: tenantID, UserID: userID, Name: name, Hash: HashToken(secret),
		LastPart: secret[len(secret)-6:], BypassTwoFactor: bypass, CreatedAt: s.now().UTC(),
	}
	if err := st.CreatePersonalToken(ctx, t); err != nil {
		if ErrorCode(err) == EConflict {
			return nil, "", &Error{Code: EConflict, Msg: "A token with this name already exists", Err: err}
		}
		return nil, "", err
	}
	s.audit(ctx, Event{Type: EventPersonalToken, TenantID: tenantID, User: userID, Target: t.ID, Outcome: OutcomeSuccess, Detail: "created"})
	return t, secret, nil
}

// personalTokenByName finds a user's token by name. ErrTokenNotFound.
func (s *Service) personalTokenByName(ctx context.Context, tenantID, userID, name string) (*PersonalToken, error) {
	st, err := s.ptokenStore()
	if err != nil {
		return nil, err
	}
	ts, err := st.UserPersonalTokens(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.Name == strings.TrimSpace(name) {
			return t, nil
		}
	}
	return nil, ErrTokenNotFound
}

// RegeneratePersonalToken gives a user's token a new secret, returned
// here; the old secret stops working. ErrTokenNotFound.
func (s *Service) RegeneratePersonalToken(ctx context.Context, tenantID, userID, name string) (*PersonalToken, string, error) {
	t, err := s.personalTokenByName(ctx, tenantID, userID, name)
	if err != nil {
		return nil, "", err
	}
	secret := NewToken(DefaultTokenFormat)
	t.Hash, t.LastPart, t.CreatedAt = HashToken(secret), secret[len(secret)-6:], s.now().UTC()
	if err := s.sf.ptokens.UpdatePersonalToken(ctx, t); err != nil {
		return nil, "", err
	}
	s.audit(ctx, Event{Type: EventPersonalToken, TenantID: tenantID, User: userID, Target: t.ID, Outcome: OutcomeSuccess, Detail: "regenerated"})
	return t, secret, nil
}

// RemovePersonalToken removes a user's token by name. ErrTokenNotFound.
func (s *Service) RemovePersonalToken(ctx context.Context, tenantID, userID, name string) error {
	t, err := s.personalTokenByName(ctx, tenantID, userID, name)
	if err != nil {
		return err
	}
	return s.deletePersonalToken(ctx, t)
}

// RevokePersonalToken removes a token by ID, if by reaches its user (the
// session lists). ErrTokenNotFound otherwise.
func (s *Service) RevokePersonalToken(ctx context.Context, by Reach, id string) error {
	st, err := s.ptokenStore()
	if err != nil {
		return err
	}
	ts, err := st.UserPersonalTokens(ctx, by.TenantID, by.UserID)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.ID == id {
			return s.deletePersonalToken(ctx, t)
		}
	}
	return ErrTokenNotFound
}

// RemovePersonalTokens removes every personal access token of a user and
// returns how many went: Rocket.Chat's users.logout, and a password
// change that ends the user's other sessions (SetPassword).
func (s *Service) RemovePersonalTokens(ctx context.Context, tenantID, userID string) (int, error) {
	if s.sf.ptokens == nil {
		return 0, nil
	}
	ts, err := s.sf.ptokens.UserPersonalTokens(ctx, tenantID, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range ts {
		switch err := s.deletePersonalToken(ctx, t); ErrorCode(err) {
		case "":
			n++
		case ENotFound: // removed meanwhile
		default:
			return n, err
		}
	}
	return n, nil
}

func (s *Service) deletePersonalToken(ctx context.Context, t *PersonalToken) error {
	if err := s.sf.ptokens.DeletePersonalToken(ctx, t.TenantID, t.ID); err != nil {
		return err
	}
	s.audit(ctx, Event{Type: EventPersonalToken, TenantID: t.TenantID, User: t.UserID, Target: t.ID, Outcome: OutcomeSuccess, Detail: "removed"})
	return nil
}

// PersonalTokens lists a user's personal access tokens, oldest first.
func (s *Service) PersonalTokens(ctx context.Context, tenantID, userID string) ([]*PersonalToken, error) {
	if s.sf.ptokens == nil {
		return nil, nil
	}
	return s.sf.ptokens.UserPersonalTokens(ctx, tenantID, userID)
}

// AuthenticatePersonalToken finds the personal access token of a secret
// and its user: ErrUnauthenticated for an unknown token, ErrUserInactive
// when the user is gone or not active. The user may be shared and must
// not be changed.
func (s *Service) AuthenticatePersonalToken(ctx context.Context, secret string) (*PersonalToken, *User, error) {
	if secret == "" || s.sf.ptokens == nil {
		return nil, nil, ErrUnauthenticated
	}
	t, err := s.sf.ptokens.PersonalTokenByHash(ctx, HashToken(secret))
	if ErrorCode(err) == ENotFound {
		return nil, nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := s.cachedUser(ctx, t.TenantID, t.UserID)
	if ErrorCode(err) == ENotFound {
		return nil, nil, ErrUserInactive
	}
	if err != nil {
		return nil, nil, err
	}
	if u.State != StateActive {
		return nil, nil, ErrUserInactive
	}
	return t, u, nil
}
