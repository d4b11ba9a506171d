package tenantapi

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessiond/sessiond/internal/auth"
)

// Token kinds, carried in the JWT header's typ (RFC 9068 names the access
// kind). The header is signed, so one kind can never pass as the other.
const (
	typAccess  = "at+jwt"
	typRefresh = "refresh+jwt"
)

const (
	issuer         = "sessiond"
	audiencePrefix = "tenant:"
	// clockLeeway is the skew between instances allowed on nbf and exp.
	clockLeeway = auth.SigningKeyLeeway
)

// claims are a token's claims: sub is the user, sid the core session whose
// revocation ends the token, tid the tenant (also in aud).
type claims struct {
	jwt.RegisteredClaims
	TenantID  string `json:"tid"`
	SessionID string `json:"sid"`
}

// issued is one signed token.
type issued struct {
	token string
	exp   time.Time
}

// issue signs a token of kind typ for session s, valid until exp.
func (h *Handler) issue(ctx context.Context, t *auth.Tenant, s *auth.Session, typ string, exp time.Time) (issued, error) {
	k, err := h.svc.SigningKey(ctx, t)
	if err != nil {
		return issued{}, err
	}
	now := h.svc.Now().UTC().Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: s.UserID, Audience: jwt.ClaimStrings{audiencePrefix + t.ID},
			ExpiresAt: jwt.NewNumericDate(exp), NotBefore: jwt.NewNumericDate(now), IssuedAt: jwt.NewNumericDate(now),
			ID: auth.NewID(),
		},
		TenantID: t.ID, SessionID: s.ID,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = k.ID
	tok.Header["typ"] = typ
	signed, err := tok.SignedString(k.Key)
	if err != nil {
		return issued{}, auth.Internal("sign token", err)
	}
	return issued{signed, exp.UTC().Truncate(time.Second)}, nil
}

// pair signs an access and a refresh token for a new session.
func (h *Handler) pair(ctx context.Context, t *auth.Tenant, s *auth.Session, newUser *bool) (*tokenResponse, error) {
	access, _ := t.TokenTTLs()
	refresh, err := h.issue(ctx, t, s, typRefresh, s.ExpiresAt)
	if err != nil {
		return nil, err
	}
	at, err := h.issue(ctx, t, s, typAccess, earliest(h.svc.Now().Add(access), s.ExpiresAt))
	if err != nil {
		return nil, err
	}
	return &tokenResponse{
		AccessToken: at.token, AccessTokenExpireAt: stamp(at.exp),
		RefreshToken: refresh.token, RefreshTokenExpireAt: stamp(refresh.exp),
		UserID: s.UserID, NewUser: newUser,
	}, nil
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// errExpired marks a well-signed token that has expired.
var errExpired = errors.New("token expired")

// verify checks a token of kind typ for tenant t: RS256 only, signed by one
// of t's live keys, issuer, audience, nbf and exp. It returns errExpired
// for an authentic token past its exp, and another error for anything else.
// A token verified before is answered from h.verified while it and its
// key are still valid (see verified.go); nothing about its session is.
func (h *Handler) verify(ctx context.Context, t *auth.Tenant, raw, typ string) (verified, error) {
	now := h.svc.Now()
	ck := keyOf(typ, t.ID, raw)
	if v, ok := h.verified.get(ck, t, now); ok {
		return v, nil
	}
	var (
		c    claims
		used *auth.SigningKey
	)
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithAudience(audiencePrefix+t.ID),
		jwt.WithExpirationRequired(), jwt.WithLeeway(clockLeeway), jwt.WithTimeFunc(func() time.Time { return now }),
	)
	_, err := p.ParseWithClaims(raw, &c, func(tok *jwt.Token) (any, error) {
		if got, _ := tok.Header["typ"].(string); got != typ {
			return nil, errors.New("wrong token kind")
		}
		kid, _ := tok.Header["kid"].(string)
		k, ok := h.svc.VerifyingKey(ctx, t, kid)
		if !ok {
			return nil, errors.New("unknown key")
		}
		used = k
		return &k.Key.PublicKey, nil
	})
	if errors.Is(err, jwt.ErrTokenExpired) {
		return verified{}, errExpired
	}
	if err != nil {
		return verified{}, err
	}
	if c.TenantID != t.ID || c.Subject == "" || c.SessionID == "" || used == nil {
		return verified{}, errors.New("token claims do not match the tenant")
	}
	v := verified{userID: c.Subject, sessionID: c.SessionID, exp: c.ExpiresAt.Unix()}
	e := cachedToken{v: v, from: math.MinInt64, key: used}
	if c.NotBefore != nil {
		e.from = c.NotBefore.Add(-clockLeeway).Unix()
	}
	h.verified.put(ck, e, now)
	return v, nil
}
