package auth

import "errors"

// inactiveState carries the state of a user refused as inactive.
type inactiveState UserState

func (s inactiveState) Error() string { return "user is " + string(s) }

// inactiveError is ErrUserInactive naming u's state, so that a dialect
// can say why a user whose credential was right cannot sign in.
func inactiveError(u *User) error {
	return &Error{Code: EInactive, Msg: ErrUserInactive.Msg, Err: inactiveState(u.State)}
}

// InactiveState reports the state of the user behind an EInactive error
// from SignIn.
func InactiveState(err error) (UserState, bool) {
	var s inactiveState
	if errors.As(err, &s) {
		return UserState(s), true
	}
	return "", false
}
