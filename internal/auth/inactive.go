package auth

import "errors"

// inactiveUser is ErrUserInactive naming the user's state.
type inactiveUser struct{ state UserState }

func (e inactiveUser) Error() string { return ErrUserInactive.Msg + ": user is " + string(e.state) }
func (e inactiveUser) Unwrap() error { return ErrUserInactive }

// inactiveError is ErrUserInactive (errors.Is matches it) naming u's
// state, so that a dialect can say why a user whose credential was right
// cannot sign in.
func inactiveError(u *User) error { return inactiveUser{u.State} }

// InactiveState reports the state of the user behind an EInactive error
// from SignIn.
func InactiveState(err error) (UserState, bool) {
	var e inactiveUser
	if errors.As(err, &e) {
		return e.state, true
	}
	return "", false
}
