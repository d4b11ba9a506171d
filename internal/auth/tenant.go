package auth

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// CreateTenant creates a tenant and returns it with its secret token, shown
// this once. Returns EInvalid or EConflict.
func (s *Service) CreateTenant(ctx context.Context, name string, settings map[string]string) (*Tenant, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return nil, "", Errorf(EInvalid, "tenant name is required (at most 128 characters)")
	}
	token := NewToken(DefaultTokenFormat)
	now := s.now().UTC()
	t := &Tenant{ID: NewID(), Name: name, TokenHash: HashToken(token), Settings: maps.Clone(settings), CreatedAt: now, UpdatedAt: now}
	if t.Settings == nil {
		t.Settings = map[string]string{}
	}
	if err := s.tenants.CreateTenant(ctx, t); err != nil {
		return nil, "", err
	}
	s.audit(ctx, Event{Type: EventTenantCreate, TenantID: t.ID, Target: t.ID, Detail: settingNames(settings)})
	return t, token, nil
}

// TenantByToken finds the tenant of a secret tenant token.
// ErrUnauthenticated if there is none.
func (s *Service) TenantByToken(ctx context.Context, token string) (*Tenant, error) {
	if token == "" {
		return nil, ErrUnauthenticated
	}
	t, err := s.tenants.TenantByTokenHash(ctx, HashToken(token))
	if ErrorCode(err) == ENotFound {
		return nil, ErrUnauthenticated
	}
	return t, err
}

// Tenant returns one tenant. ErrTenantNotFound.
func (s *Service) Tenant(ctx context.Context, id string) (*Tenant, error) {
	return s.tenants.TenantByID(ctx, id)
}

// Tenants lists every tenant.
func (s *Service) Tenants(ctx context.Context) ([]*Tenant, error) {
	return s.tenants.ListTenants(ctx)
}

// UpdateTenant renames a tenant (when name is not empty) and merges
// settings into its own; a setting with an empty value is removed.
func (s *Service) UpdateTenant(ctx context.Context, id, name string, settings map[string]string) (*Tenant, error) {
	t, err := s.tenants.TenantByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if name = strings.TrimSpace(name); name != "" {
		if len(name) > 128 {
			return nil, Errorf(EInvalid, "tenant name is too long")
		}
		t.Name = name
	}
	if t.Settings == nil {
		t.Settings = map[string]string{}
	}
	for k, v := range settings {
		if v == "" {
			delete(t.Settings, k)
		} else {
			t.Settings[k] = v
		}
	}
	t.UpdatedAt = s.now().UTC()
	if err := s.tenants.UpdateTenant(ctx, t); err != nil {
		return nil, err
	}
	s.audit(ctx, Event{Type: EventTenantUpdate, TenantID: id, Target: id, Detail: settingNames(settings)})
	return t, nil
}

// DeleteTenant removes a tenant with its users, tokens and sessions. The
// default tenant cannot be deleted.
func (s *Service) DeleteTenant(ctx context.Context, id string) error {
	if id == DefaultTenantID {
		return Errorf(EForbidden, "the default tenant cannot be deleted")
	}
	if _, err := s.tenants.TenantByID(ctx, id); err != nil {
		return err
	}
	users, err := s.users.ListUsers(ctx, UserFilter{TenantID: id})
	if err != nil {
		return err
	}
	for _, u := range users {
		if _, err := s.sessions.DeleteUserSessions(ctx, id, u.ID, ""); err != nil {
			return err
		}
		s.forget(u.ID)
	}
	if err := s.tenants.DeleteTenant(ctx, id); err != nil {
		return err
	}
	s.audit(ctx, Event{Type: EventTenantDelete, TenantID: id, Target: id})
	return nil
}

// settingNames lists the names of changed settings for an audit event:
// never their values, which may be keys or secrets.
func settingNames(settings map[string]string) string {
	names := slices.Sorted(maps.Keys(settings))
	if len(names) == 0 {
		return ""
	}
	return "settings: " + strings.Join(names, ", ")
}
