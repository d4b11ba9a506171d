package auth

import (
	"context"
	"strings"
	"time"
)

// Link ties an outside identity to a user of a tenant: an identity
// provider's subject (Provider google, apple, facebook) or a phone number
// whose code the user gave (Provider phone).
type Link struct {
	TenantID  string
	Provider  string
	Subject   string
	UserID    string
	CreatedAt time.Time
}

// ErrLinkNotFound: the tenant has no such link.
var ErrLinkNotFound = &Error{Code: ENotFound, Msg: "link not found"}

// linkPhone is the provider of verified phone numbers' links.
const linkPhone = "phone"

// linkedUser finds the user an outside identity (provider, subject)
// proves, for a sign-in: the linked user; else, with an email the
// identity vouches for (verified), the user with that email, whom it
// links; else a new user, named "<provider> <subject>" (no email has a
// space), with the email only when verified. An unverified email that an
// existing user has is refused: it may not be theirs.
func (s *Service) linkedUser(ctx context.Context, a *attempt, provider, subject, email string, verified bool) (*proof, error) {
	if s.links == nil {
		return nil, Internal("linked user", errString("no link store is configured"))
	}
	l, err := s.links.LinkBySubject(ctx, a.TenantID, provider, subject)
	switch ErrorCode(err) {
	case "":
		u, err := s.users.UserByID(ctx, a.TenantID, l.UserID)
		if err == nil {
			if verified && email != "" && u.Email == email {
				err = s.setEmailVerified(ctx, u)
			}
			return &proof{user: u}, err
		}
		if ErrorCode(err) != ENotFound {
			return nil, err
		}
		// The user was deleted: the identity is free again.
		if err := s.links.DeleteLink(ctx, a.TenantID, provider, subject); err != nil && ErrorCode(err) != ENotFound {
			return nil, err
		}
	case ENotFound:
	default:
		return nil, err
	}
	var u *User
	newUser := false
	if email != "" {
		u, err = s.users.UserByEmail(ctx, a.TenantID, email)
		switch ErrorCode(err) {
		case "":
			if !verified {
				s.log.Info("ID token refused", "tenant", a.TenantID, "provider", provider, "reason", "an unverified email names an existing user")
				return nil, ErrBadCredentials
			}
			if err := s.setEmailVerified(ctx, u); err != nil {
				return nil, err
			}
		case ENotFound:
			u = nil
		default:
			return nil, err
		}
	}
	if u == nil {
		nu := NewUser{TenantID: a.TenantID, Name: provider + " " + subject}
		if verified {
			nu.Email, nu.EmailVerified = email, email != ""
		}
		u, err = s.createUser(ctx, a.hashKey, nu)
		if ErrorCode(err) == EConflict {
			// A parallel first sign-in made the user: take its link.
			if l, lerr := s.links.LinkBySubject(ctx, a.TenantID, provider, subject); lerr == nil {
				u, err = s.users.UserByID(ctx, a.TenantID, l.UserID)
				return &proof{user: u}, err
			}
			u, err = s.users.UserByName(ctx, a.TenantID, nu.Name)
		} else if err == nil {
			newUser = true
		}
		if err != nil {
			return nil, err
		}
	}
	err = s.links.CreateLink(ctx, &Link{TenantID: a.TenantID, Provider: provider, Subject: subject, UserID: u.ID, CreatedAt: s.now().UTC()})
	if ErrorCode(err) == EConflict {
		l, err := s.links.LinkBySubject(ctx, a.TenantID, provider, subject)
		if err != nil {
			return nil, err
		}
		if l.UserID != u.ID {
			u, err = s.users.UserByID(ctx, a.TenantID, l.UserID)
			return &proof{user: u}, err
		}
	} else if err != nil {
		return nil, err
	}
	return &proof{user: u, newUser: newUser}, nil
}

// UserLinks lists the outside identities linked to a user.
func (s *Service) UserLinks(ctx context.Context, tenantID, userID string) ([]*Link, error) {
	if s.links == nil {
		return nil, nil
	}
	return s.links.UserLinks(ctx, tenantID, userID)
}

// forgetUser drops what the OTP and social modules keep about a deleted
// user: their links. (Their OTPs expire and are purged.)
func (s *Service) forgetUser(ctx context.Context, tenantID, userID string) error {
	if s.links == nil {
		return nil
	}
	_, err := s.links.DeleteUserLinks(ctx, tenantID, userID)
	return err
}

// UserMethod is the method a user was made with, as their name tells:
// a device's guest, an identity provider's user, a phone's or an email's
// one-time code, or a password.
func UserMethod(u *User) Method {
	switch {
	case IsGuest(u):
		return MethodGuest
	case strings.HasPrefix(u.Name, string(MethodGoogle)+" "):
		return MethodGoogle
	case strings.HasPrefix(u.Name, string(MethodApple)+" "):
		return MethodApple
	case strings.HasPrefix(u.Name, string(MethodFacebook)+" "):
		return MethodFacebook
	case strings.HasPrefix(u.Name, linkPhone+" "), u.PasswordHash == "" && u.EmailVerified:
		return MethodOTP
	}
	return MethodPassword
}
