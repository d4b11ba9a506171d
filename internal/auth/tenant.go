package auth

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// NewTenant describes a tenant to create.
type NewTenant struct {
	Name   string
	Policy PolicyUpdate
	// Settings are other settings kept on the tenant (such as the
	// account pages' host); names under "tenantapi." are the policy's and
	// are refused here.
	Settings map[string]string
}

// TenantUpdate changes a tenant.
type TenantUpdate struct {
	Name     string // a new name; "" keeps it
	Policy   PolicyUpdate
	Settings map[string]string // merged into the tenant's; "" removes a setting
}

// policyPrefix starts every setting that the core's policy and keys own.
const policyPrefix = "tenantapi."

// checkSettings refuses free settings that would bypass the policy's
// checks.
func checkSettings(set map[string]string) error {
	for k := range set {
		if k == "" || strings.HasPrefix(k, policyPrefix) {
			return Errorf(EInvalid, "setting %q cannot be set directly", k)
		}
	}
	return nil
}

func checkTenantName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return "", Errorf(EInvalid, "tenant name is required (at most 128 characters)")
	}
	if !utf8.ValidString(name) {
		return "", Errorf(EInvalid, "tenant name must be valid UTF-8")
	}
	return name, nil
}

// CreateTenant creates a tenant with policy nt.Policy and a fresh signing
// key, and returns it with its secret tenant token, shown this once.
// Returns EInvalid or EConflict.
func (s *Service) CreateTenant(ctx context.Context, nt NewTenant) (*Tenant, string, error) {
	name, err := checkTenantName(nt.Name)
	if err != nil {
		return nil, "", err
	}
	if err := checkSettings(nt.Settings); err != nil {
		return nil, "", err
	}
	set, err := nt.Policy.settings()
	if err != nil {
		return nil, "", err
	}
	keys, err := keySettings(nil, s.now())
	if err != nil {
		return nil, "", err
	}
	maps.Copy(set, keys)
	maps.Copy(set, nt.Settings)
	maps.DeleteFunc(set, func(_, v string) bool { return v == "" })
	token := NewToken(DefaultTokenFormat)
	now := s.now().UTC()
	t := &Tenant{ID: NewID(), Name: name, TokenHash: HashToken(token), Settings: set, CreatedAt: now, UpdatedAt: now}
	if err := s.tenants.CreateTenant(ctx, t); err != nil {
		return nil, "", err
	}
	s.audit(ctx, Event{Type: EventTenantCreate, TenantID: t.ID, Target: t.ID, Detail: settingNames(set)})
	return t, token, nil
}

// TenantByToken finds the tenant of a secret tenant token.
// ErrUnauthenticated if there is none. The tenant may be shared with
// other callers and must not be changed.
func (s *Service) TenantByToken(ctx context.Context, token string) (*Tenant, error) {
	if token == "" {
		return nil, ErrUnauthenticated
	}
	h := HashToken(token)
	now := s.now()
	if t, ok := s.tenantsByToken.get(h, now); ok {
		return t, nil
	}
	gen := s.tenantsByToken.gen()
	t, err := s.tenants.TenantByTokenHash(ctx, h)
	if ErrorCode(err) == ENotFound {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	s.tenantsByToken.put(h, t, now, gen)
	return t, nil
}

// Tenant returns one tenant. ErrTenantNotFound. The tenant may be shared
// with other callers and must not be changed.
func (s *Service) Tenant(ctx context.Context, id string) (*Tenant, error) {
	now := s.now()
	if t, ok := s.tenantsByID.get(id, now); ok {
		return t, nil
	}
	gen := s.tenantsByID.gen()
	t, err := s.tenants.TenantByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.tenantsByID.put(id, t, now, gen)
	return t, nil
}

// Tenants lists every tenant.
func (s *Service) Tenants(ctx context.Context) ([]*Tenant, error) {
	return s.tenants.ListTenants(ctx)
}

// UpdateTenant renames a tenant and changes its policy and settings. The
// change takes effect at once on this instance, and on the others as
// soon as the change feed carries it. Returns ErrTenantNotFound, EInvalid
// or EConflict.
func (s *Service) UpdateTenant(ctx context.Context, id string, u TenantUpdate) (*Tenant, error) {
	if err := checkSettings(u.Settings); err != nil {
		return nil, err
	}
	set, err := u.Policy.settings()
	if err != nil {
		return nil, err
	}
	maps.Copy(set, u.Settings)
	return s.updateTenant(ctx, id, u.Name, set)
}

// updateTenant renames a tenant (when name is not empty) and merges
// settings into its own; a setting with an empty value is removed.
func (s *Service) updateTenant(ctx context.Context, id, name string, settings map[string]string) (*Tenant, error) {
	t, err := s.tenants.TenantByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if name != "" {
		if t.Name, err = checkTenantName(name); err != nil {
			return nil, err
		}
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
	s.tenantChanged(ctx, id)
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
	}
	if err := s.tenants.DeleteTenant(ctx, id); err != nil {
		return err
	}
	for _, u := range users {
		s.userChanged(ctx, id, u.ID)
	}
	s.tenantChanged(ctx, id)
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
