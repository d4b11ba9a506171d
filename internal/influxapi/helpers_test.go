package influxapi_test

import "github.com/sessiond/sessiond/internal/auth"

func newUser(id, name, pass, state string) auth.NewUser {
	return auth.NewUser{TenantID: auth.DefaultTenantID, ID: id, Name: name, Password: pass, State: auth.UserState(state)}
}
