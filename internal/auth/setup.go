package auth

import "context"

// Settings keys the core itself reads or writes on a tenant.
const (
	SettingOrgName = "org.name" // the organization named at setup
	SettingOrgID   = "org.id"
)

// SetupRequest is the first user of the default tenant, with an
// organization name and an operator token.
type SetupRequest struct {
	Username    string
	Password    string
	Org         string
	Token       string       // optional operator token secret
	Permissions []Permission // the operator token's grants
}

// SetupResult is what setup made.
type SetupResult struct {
	User   *User
	Tenant *Tenant
	Token  *Token
	Secret string
}

// SetupAllowed reports whether the default tenant has no users yet.
func (s *Service) SetupAllowed(ctx context.Context) (bool, error) {
	us, err := s.users.ListUsers(ctx, UserFilter{TenantID: DefaultTenantID, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(us) == 0, nil
}

// Setup creates the first (admin) user of the default tenant, records the
// organization and creates an operator token. ErrAlreadySetUp once any user
// exists. If a later step fails the user is removed again, so a failed setup
// can be retried.
func (s *Service) Setup(ctx context.Context, req SetupRequest) (*SetupResult, error) {
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	ok, err := s.SetupAllowed(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrAlreadySetUp
	}
	u, err := s.CreateUser(ctx, NewUser{TenantID: DefaultTenantID, Name: req.Username, Password: req.Password, Admin: true})
	if err != nil {
		return nil, err
	}
	undo := func(err error) (*SetupResult, error) {
		_ = s.users.DeleteUser(context.WithoutCancel(ctx), DefaultTenantID, u.ID)
		return nil, err
	}
	t, err := s.tenants.TenantByID(ctx, DefaultTenantID)
	if err != nil {
		return undo(err)
	}
	orgID := t.Settings[SettingOrgID]
	if orgID == "" {
		orgID = NewID()
	}
	t, err = s.updateTenant(ctx, DefaultTenantID, "", map[string]string{SettingOrgName: req.Org, SettingOrgID: orgID})
	if err != nil {
		return undo(err)
	}
	tok, secret, err := s.CreateToken(ctx, NewAPIToken{
		TenantID: DefaultTenantID, UserID: u.ID, OrgID: orgID, Description: u.Name + "'s Token",
		Permissions: req.Permissions, Token: req.Token,
	})
	if err != nil {
		return undo(err)
	}
	s.audit(ctx, Event{Type: EventSetup, TenantID: DefaultTenantID, User: u.ID, Target: tok.ID})
	return &SetupResult{User: u, Tenant: t, Token: tok, Secret: secret}, nil
}
