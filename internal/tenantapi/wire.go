package tenantapi

import (
	"encoding/base64"
	"math/big"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// timeLayout is the reference's timestamp: UTC with milliseconds.
const timeLayout = httpkit.TimeMillis

// stamp is a time written as timeLayout.
type stamp time.Time

// MarshalJSON writes the time in UTC with milliseconds.
func (s stamp) MarshalJSON() ([]byte, error) {
	return appendStamp(make([]byte, 0, len(timeLayout)+2), time.Time(s)), nil
}

type meta struct {
	RequestID string `json:"requestId"`
	Timestamp stamp  `json:"timestamp"`
}

// envelope is every response: meta plus data or error.
type envelope struct {
	Meta  meta      `json:"meta"`
	Data  any       `json:"data,omitempty"`
	Error *apiError `json:"error,omitempty"`
}

// apiError is the reference's error object.
type apiError struct {
	Message    string              `json:"message"`
	Code       string              `json:"code"`
	Status     int                 `json:"status"`
	Validation map[string][]string `json:"validation,omitempty"`
}

// tokenResponse is the reference's token pair (signup, signin, refresh).
type tokenResponse struct {
	AccessToken          string `json:"accessToken"`
	AccessTokenExpireAt  stamp  `json:"accessTokenExpireAt"`
	RefreshToken         string `json:"refreshToken"`
	RefreshTokenExpireAt stamp  `json:"refreshTokenExpireAt"`
	UserID               string `json:"userId"`
	NewUser              *bool  `json:"newUser,omitempty"`
}

type successResponse struct {
	Success bool `json:"success"`
}

type revokedResponse struct {
	Success bool `json:"success"`
	Revoked int  `json:"revoked"`
}

// userResponse is sessiond's view of the signed-in user.
type userResponse struct {
	ID            string `json:"id"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"emailVerified"`
	Method        string `json:"method"`
	Status        string `json:"status"`
	CreatedAt     stamp  `json:"createdAt"`
}

// sessionResponse is one session, never its secret.
type sessionResponse struct {
	ID         string            `json:"id"`
	Origin     string            `json:"origin"`
	CreatedAt  stamp             `json:"createdAt"`
	ExpireAt   stamp             `json:"expireAt"`
	LastSeenAt stamp             `json:"lastSeenAt"`
	IP         string            `json:"ip"`
	UserAgent  string            `json:"userAgent"`
	Device     map[string]string `json:"device"`
	Current    bool              `json:"current"`
}

type meResponse struct {
	User    userResponse    `json:"user"`
	Session sessionResponse `json:"session"`
}

type sessionsResponse struct {
	Sessions []sessionResponse `json:"sessions"`
	Total    int               `json:"total"`  // live sessions of the user, on every page
	Limit    int               `json:"limit"`  // the page size asked for
	Offset   int               `json:"offset"` // where the page starts
}

// jwk is one RSA public key of a JWK Set (RFC 7517, RFC 7518 §6.3.1).
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

type jwks struct {
	Keys []jwk `json:"keys"`
}

func newUserResponse(u *auth.User, status string) userResponse {
	return userResponse{ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, Method: string(auth.UserMethod(u)), Status: status, CreatedAt: stamp(u.CreatedAt)}
}

func newSessionResponse(s *auth.Session, current string) sessionResponse {
	dev := s.Device
	if dev == nil {
		dev = map[string]string{}
	}
	return sessionResponse{
		ID: s.ID, Origin: string(s.Origin), CreatedAt: stamp(s.CreatedAt), ExpireAt: stamp(s.ExpiresAt),
		LastSeenAt: stamp(s.LastSeen), IP: s.IP, UserAgent: s.UserAgent, Device: dev, Current: s.ID == current,
	}
}

// newJWKS is a JWK Set (RFC 7517) of the public halves of keys.
func newJWKS(keys []*auth.SigningKey) jwks {
	out := jwks{Keys: []jwk{}}
	for _, k := range keys {
		pub := k.Key.PublicKey
		out.Keys = append(out.Keys, jwk{
			Kty: "RSA", Use: "sig", Alg: "RS256", Kid: k.ID,
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	return out
}
