package auth

import "context"

// Passkey signs in with a passkey alone: a WebAuthn assertion made with
// a discoverable credential (its user handle names the account), after
// BeginPasskeyLogin with no user. It needs no second factor. It names
// no login, so it is counted under the client's address only.
type Passkey struct {
	PasskeyAssertion
}

// Method implements Credential.
func (Passkey) Method() Method { return MethodPasskey }

func (c Passkey) check(*Service, *attempt) map[string][]string {
	if c.State == "" || len(c.Response) == 0 {
		return addProblem(nil, FieldToken, "is required")
	}
	return nil
}

func (Passkey) subjects(a *attempt) (string, string) { return "", ipSubject(a.Client.IP) }

func (c Passkey) prove(ctx context.Context, s *Service, a *attempt) (*proof, error) {
	if a.tenant == nil || !s.factorsOn() {
		return nil, ErrBadCredentials
	}
	st, err := s.openState(ctx, c.State, "login")
	if err != nil {
		return nil, err
	}
	if st.Tenant != a.TenantID || st.User != "" {
		return nil, ErrBadCredentials
	}
	u, _, err := s.verifyAssertion(ctx, st, &c.PasskeyAssertion, func(tenantID, userID string) (*User, error) {
		u, err := s.users.UserByID(ctx, tenantID, userID)
		if ErrorCode(err) == ENotFound {
			return nil, ErrBadCredentials
		}
		return u, err
	})
	if err != nil {
		return nil, err
	}
	return &proof{user: u}, nil
}
