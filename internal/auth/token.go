package auth

import (
	"context"
	"fmt"
	"slices"
)

// NewAPIToken describes an API token to create.
type NewAPIToken struct {
	TenantID    string
	UserID      string
	OrgID       string
	Description string
	Permissions []Permission
	Token       string // optional: the secret to use instead of a fresh one
}

// CreateToken creates an API token for a user and returns it with its
// secret, shown this once. Returns ErrUserNotFound or EConflict.
func (s *Service) CreateToken(ctx context.Context, nt NewAPIToken) (*Token, string, error) {
	if _, err := s.users.UserByID(ctx, nt.TenantID, nt.UserID); err != nil {
		return nil, "", err
	}
	secret := nt.Token
	if secret == "" {
		secret = NewToken(InfluxTokenFormat)
	}
	now := s.now().UTC()
	t := &Token{
		ID: NewID(), TenantID: nt.TenantID, UserID: nt.UserID, Hash: HashToken(secret), OrgID: nt.OrgID,
		Description: nt.Description, Active: true, Permissions: slices.Clone(nt.Permissions), CreatedAt: now, UpdatedAt: now,
	}
	if err := s.tokens.CreateToken(ctx, t); err != nil {
		return nil, "", err
	}
	s.audit(ctx, Event{Type: EventTokenCreate, TenantID: t.TenantID, User: t.UserID, Target: t.ID, Detail: fmt.Sprintf("%d permissions", len(t.Permissions))})
	return t, secret, nil
}

// AuthenticateToken finds an API token by its secret and the user it acts
// for. ErrUnauthenticated for an unknown or inactive token; ErrUserInactive
// when its user is gone or not active. The user may be shared and must not
// be changed.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*Token, *User, error) {
	if secret == "" {
		return nil, nil, ErrUnauthenticated
	}
	t, err := s.tokens.TokenByHash(ctx, HashToken(secret))
	if ErrorCode(err) == ENotFound {
		return nil, nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	if !t.Active {
		return nil, nil, &Error{Code: EUnauthorized, Msg: "token is inactive"}
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

// Tokens lists a tenant's tokens, only userID's when it is set.
func (s *Service) Tokens(ctx context.Context, tenantID, userID string) ([]*Token, error) {
	return s.tokens.ListTokens(ctx, tenantID, userID)
}

// APIToken returns one token. ErrTokenNotFound.
func (s *Service) APIToken(ctx context.Context, tenantID, id string) (*Token, error) {
	return s.tokens.TokenByID(ctx, tenantID, id)
}

// UpdateToken sets a token's status and, when desc is not nil, description.
func (s *Service) UpdateToken(ctx context.Context, tenantID, id string, active *bool, desc *string) (*Token, error) {
	t, err := s.tokens.TokenByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if active != nil {
		t.Active = *active
	}
	if desc != nil {
		t.Description = *desc
	}
	t.UpdatedAt = s.now().UTC()
	if err := s.tokens.UpdateToken(ctx, t); err != nil {
		return nil, err
	}
	s.audit(ctx, Event{Type: EventTokenUpdate, TenantID: tenantID, User: t.UserID, Target: id, Detail: fmt.Sprintf("active %t", t.Active)})
	return t, nil
}

// DeleteToken removes a token. ErrTokenNotFound.
func (s *Service) DeleteToken(ctx context.Context, tenantID, id string) error {
	if err := s.tokens.DeleteToken(ctx, tenantID, id); err != nil {
		return err
	}
	s.audit(ctx, Event{Type: EventTokenDelete, TenantID: tenantID, Target: id})
	return nil
}
