package tenantapi

import (
	"context"

	"github.com/sessiond/sessiond/internal/auth"
)

// The functions in this file are what sessiond's management API and CLI
// call to run this dialect's tenants; they hold the rules so that the
// management handlers only decode and encode.

// CreateTenant creates a tenant with a fresh signing key and policy u, and
// returns it with its secret tenant token, shown this once. Returns
// EInvalid or EConflict.
func CreateTenant(ctx context.Context, svc *auth.Service, name string, u PolicyUpdate) (*auth.Tenant, string, error) {
	set, err := u.Settings()
	if err != nil {
		return nil, "", err
	}
	keys, err := keySettings(nil, svc.Now())
	if err != nil {
		return nil, "", err
	}
	for k, v := range keys {
		set[k] = v
	}
	for k, v := range set {
		if v == "" {
			delete(set, k)
		}
	}
	return svc.CreateTenant(ctx, name, set)
}

// UpdateTenant renames a tenant (when name is not empty) and applies u.
// Returns ErrTenantNotFound, EInvalid or EConflict.
func UpdateTenant(ctx context.Context, svc *auth.Service, id, name string, u PolicyUpdate) (*auth.Tenant, error) {
	set, err := u.Settings()
	if err != nil {
		return nil, err
	}
	return svc.UpdateTenant(ctx, id, name, set)
}

// UserChange changes one tenant user; nil fields stay.
type UserChange struct {
	RestrictedCapabilities *[]string
	// Status is active, suspended or terminated. Suspending or terminating
	// ends the user's sessions; a terminated user is final.
	Status *string
}

// UpdateUser applies c to a user of the tenant and returns the user and
// the updated tenant (which holds the user's restrictions). Returns
// ErrUserNotFound or EInvalid.
func UpdateUser(ctx context.Context, svc *auth.Service, tenantID, userID string, c UserChange) (*auth.User, *auth.Tenant, error) {
	u, err := svc.User(ctx, tenantID, userID)
	if err != nil {
		return nil, nil, err
	}
	var list []string
	if c.RestrictedCapabilities != nil {
		var problems []string
		list, problems = CheckCapabilities(*c.RestrictedCapabilities)
		if problems != nil {
			return nil, nil, auth.Errorf(auth.EInvalid, "%s", problems[0])
		}
	}
	var state *auth.UserState
	if c.Status != nil {
		st := auth.UserState(*c.Status)
		switch {
		case st != auth.StateActive && st != auth.StateSuspended && st != auth.StateTerminated:
			return nil, nil, auth.Errorf(auth.EInvalid, "status must be active, suspended or terminated")
		case u.State == auth.StateTerminated && st != auth.StateTerminated:
			return nil, nil, auth.Errorf(auth.EInvalid, "a terminated user cannot be reactivated")
		}
		state = &st
	}
	t, err := svc.Tenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if c.RestrictedCapabilities != nil {
		if t, err = svc.UpdateTenant(ctx, tenantID, "", map[string]string{UserRestrictionSetting(userID): JoinCapabilities(list)}); err != nil {
			return nil, nil, err
		}
	}
	if state != nil {
		if u, err = svc.UpdateUser(ctx, tenantID, userID, auth.UserUpdate{State: state}); err != nil {
			return nil, nil, err
		}
	}
	return u, t, nil
}

// UserStatus is a user's status in this dialect's terms: logged_in,
// logged_out, suspended or terminated.
func UserStatus(u *auth.User) string { return status(u) }
