package auth

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Capability is an operation that a tenant, or one user of it, may have
// switched off. Every endpoint of the tenant API is one; sign-in and
// sign-up are capabilities of every API.
type Capability string

// Capabilities.
const (
	CapSignup        Capability = "signup"
	CapSignin        Capability = "signin"
	CapRefresh       Capability = "refresh-token"
	CapLogout        Capability = "logout"
	CapTerminate     Capability = "terminate"
	CapMe            Capability = "me"
	CapSessions      Capability = "sessions"
	CapResetPassword Capability = "reset-password"
	// The OTP module's endpoints (webmixhub.md §3).
	CapOTPCreate Capability = "otp-create"
	CapOTPVerify Capability = "otp-verify"
	CapOTPResend Capability = "otp-resend"
	CapOTPCancel Capability = "otp-cancel"
)

// Method is a way of proving who one is at sign-in.
type Method string

// Methods. The first six are the tenant API's, and may be switched off
// by name; MethodResume (continuing a session by its secret, as
// Rocket.Chat's resume login does) is not a capability of its own and
// follows CapSignin.
const (
	MethodPassword Method = "password"
	MethodOTP      Method = "otp"
	MethodGoogle   Method = "google"
	MethodApple    Method = "apple"
	MethodFacebook Method = "facebook"
	MethodGuest    Method = "guest"
	MethodResume   Method = "resume"
)

// Methods lists the sign-in methods a client may name, in the tenant
// API's order.
var Methods = []Method{MethodPassword, MethodOTP, MethodGoogle, MethodApple, MethodFacebook, MethodGuest}

// endpointCapabilities are the capabilities that are endpoints, and so
// have per-address rate limits.
var endpointCapabilities = []Capability{CapSignup, CapSignin, CapRefresh, CapLogout, CapTerminate, CapMe, CapSessions, CapResetPassword,
	CapOTPCreate, CapOTPVerify, CapOTPResend, CapOTPCancel}

// methodCapabilities says which capabilities each method may serve
// (webmixhub.md §2.2): a password signs in, signs up and resets a
// password; every other method only signs in.
var methodCapabilities = map[Method][]Capability{
	MethodPassword: {CapSignin, CapSignup, CapResetPassword},
	MethodOTP:      {CapSignin},
	MethodGoogle:   {CapSignin},
	MethodApple:    {CapSignin},
	MethodFacebook: {CapSignin},
	MethodGuest:    {CapSignin},
	MethodResume:   {CapSignin},
	MethodPasskey:  {CapSignin},
}

// servedMethods are the methods sessiond can verify today; the others
// are refused as restricted whatever else an attempt holds.
var servedMethods = []Method{MethodPassword, MethodGuest, MethodResume, MethodPasskey, MethodOTP, MethodGoogle, MethodApple, MethodFacebook}

// Restrictable lists every name an operator may switch off, for a tenant
// or one user: the capabilities, then the methods.
func Restrictable() []string {
	out := make([]string, 0, len(endpointCapabilities)+len(Methods))
	for _, c := range endpointCapabilities {
		out = append(out, string(c))
	}
	for _, m := range Methods {
		out = append(out, string(m))
	}
	return out
}

// RestrictedError is the ERestricted error naming what is switched off.
func RestrictedError(name string) *Error {
	return &Error{Code: ERestricted, Msg: "Capability " + name + " is restricted"}
}

// Settings keys of a tenant's policy. They keep the names an earlier
// sessiond wrote under "tenantapi.", so that stored tenants read the same.
const (
	settingDisabled      = "tenantapi.disabled"        // "true" refuses the tenant token
	settingRestricted    = "tenantapi.restricted"      // comma-separated capabilities and methods
	settingClientHeaders = "tenantapi.clientHeaders"   // "require" or "accept"
	settingAccessTTL     = "tenantapi.accessTokenTTL"  // Go duration
	settingRefreshTTL    = "tenantapi.refreshTokenTTL" // Go duration
	settingLimitPrefix   = "tenantapi.limit."          // + capability: requests per hour per address
	settingUserPrefix    = "tenantapi.user."           // + user ID + userRestrictedSuffix
	userRestrictedSuffix = ".restricted"
	settingTrue          = "true"
	listSeparator        = ","
)

// Token lifetimes and other bounds of a tenant's policy.
const (
	DefaultAccessTTL  = time.Hour
	DefaultRefreshTTL = 24 * time.Hour
	maxTTL            = 365 * 24 * time.Hour
	maxRateLimit      = 1_000_000
	maxRestrictions   = 64
)

// ClientHeaders says whether a tenant's clients must send the tenant
// API's client headers (x-device-id and the others).
type ClientHeaders string

// ClientHeaders values.
const (
	ClientHeadersRequire ClientHeaders = "require" // missing ones are a validation error (the default)
	ClientHeadersAccept  ClientHeaders = "accept"  // read when sent
)

// TenantPolicy is how a tenant's sign-ins and sessions are run. It is
// kept in the tenant's settings, so every store engine keeps it without
// a migration.
type TenantPolicy struct {
	Disabled bool
	// Restricted are the capabilities and methods switched off for every
	// user of the tenant, sorted.
	Restricted    []string
	ClientHeaders ClientHeaders
	// RateLimits override the server's per-address hourly limits per
	// capability; 0 turns a limit off.
	RateLimits      map[Capability]int
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
}

// Policy reads the tenant's policy, with defaults for what is not set.
func (t *Tenant) Policy() TenantPolicy {
	p := TenantPolicy{
		Disabled:      t.Disabled(),
		Restricted:    splitList(t.Settings[settingRestricted]),
		ClientHeaders: ClientHeadersRequire,
	}
	if !t.ClientHeadersRequired() {
		p.ClientHeaders = ClientHeadersAccept
	}
	p.AccessTokenTTL, p.RefreshTokenTTL = t.TokenTTLs()
	for k, v := range t.Settings {
		if c, ok := strings.CutPrefix(k, settingLimitPrefix); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				if p.RateLimits == nil {
					p.RateLimits = map[Capability]int{}
				}
				p.RateLimits[Capability(c)] = n
			}
		}
	}
	return p
}

// Disabled reports whether the tenant is switched off: its token is
// refused.
func (t *Tenant) Disabled() bool { return t.Settings[settingDisabled] == settingTrue }

// ClientHeadersRequired reports whether the tenant's clients must send
// the client headers.
func (t *Tenant) ClientHeadersRequired() bool {
	return t.Settings[settingClientHeaders] != string(ClientHeadersAccept)
}

// TokenTTLs returns the lifetimes of the tenant's access and refresh
// tokens; the refresh lifetime is that of its sessions.
func (t *Tenant) TokenTTLs() (access, refresh time.Duration) {
	access, refresh = DefaultAccessTTL, DefaultRefreshTTL
	if v := t.Settings[settingAccessTTL]; v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			access = d
		}
	}
	if v := t.Settings[settingRefreshTTL]; v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			refresh = d
		}
	}
	return access, refresh
}

// RateLimit returns the tenant's own hourly per-address limit of c, and
// whether it has one (0: not limited).
func (t *Tenant) RateLimit(c Capability) (int, bool) {
	v, ok := t.Settings[settingLimitPrefix+string(c)]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// Restricted returns the ERestricted error when capability c is switched
// off for the tenant or, when userID is set, for that user; nil
// otherwise. It does not allocate when nothing is restricted.
func (t *Tenant) Restricted(c Capability, userID string) error {
	if t.restricted(userID, string(c)) {
		return RestrictedError(string(c))
	}
	return nil
}

// restricted reports whether name (a capability or a method) is switched
// off for the tenant or, when userID is set, for that user.
func (t *Tenant) restricted(userID, name string) bool {
	if listHas(t.Settings[settingRestricted], name) {
		return true
	}
	if userID == "" {
		return false
	}
	// The key is userRestrictionSetting(userID), built on the stack: a
	// map lookup by string(bytes) does not allocate, and this runs on
	// every request of the tenant API.
	var buf [64]byte
	k := append(append(append(buf[:0], settingUserPrefix...), userID...), userRestrictedSuffix...)
	return listHas(t.Settings[string(k)], name)
}

// UserRestrictions returns what is switched off for one user, sorted.
func (t *Tenant) UserRestrictions(userID string) []string {
	return splitList(t.Settings[userRestrictionSetting(userID)])
}

func userRestrictionSetting(userID string) string {
	return settingUserPrefix + userID + userRestrictedSuffix
}

// gate is the first step of every sign-in: it refuses an attempt whose
// capability or method the tenant switched off, whose method may not
// serve the capability, or whose method sessiond does not serve. It
// looks at the tenant only; what is switched off for one user is
// checked once the credential has named the user (userGate).
func gate(t *Tenant, c Capability, m Method) error {
	if err := t.Restricted(c, ""); err != nil {
		return err
	}
	if !slices.Contains(methodCapabilities[m], c) || !slices.Contains(servedMethods, m) || t.restricted("", string(m)) || !t.socialReady(m) {
		return RestrictedError(string(m))
	}
	return nil
}

// userGate refuses a sign-in of a user for whom the capability or the
// method is switched off.
func userGate(t *Tenant, userID string, c Capability, m Method) error {
	if t.restricted(userID, string(c)) {
		return RestrictedError(string(c))
	}
	if t.restricted(userID, string(m)) {
		return RestrictedError(string(m))
	}
	return nil
}

// PolicyUpdate changes some of a tenant's policy; nil fields stay.
type PolicyUpdate struct {
	Disabled      *bool
	Restricted    *[]string
	ClientHeaders *ClientHeaders
	// RateLimits sets per-capability limits; -1 removes an override.
	RateLimits      map[Capability]int
	AccessTokenTTL  *string // a Go duration; "" removes it
	RefreshTokenTTL *string
}

// settings checks u and returns the tenant settings that apply it, in
// the merge form of updateTenant (an empty value removes a key). Every
// problem is reported at once in one EInvalid error.
func (u PolicyUpdate) settings() (map[string]string, error) {
	out := map[string]string{}
	var bad []string
	if u.Disabled != nil {
		out[settingDisabled] = ""
		if *u.Disabled {
			out[settingDisabled] = settingTrue
		}
	}
	if u.Restricted != nil {
		list, problems := CheckRestrictions(*u.Restricted)
		bad = append(bad, problems...)
		out[settingRestricted] = strings.Join(list, listSeparator)
	}
	if u.ClientHeaders != nil {
		switch *u.ClientHeaders {
		case ClientHeadersRequire, ClientHeadersAccept:
			out[settingClientHeaders] = string(*u.ClientHeaders)
		default:
			bad = append(bad, `clientHeaders must be "require" or "accept"`)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(u.RateLimits)) {
		switch n := u.RateLimits[c]; {
		case !slices.Contains(endpointCapabilities, c):
			bad = append(bad, fmt.Sprintf("rateLimits: %q is not an endpoint (want one of %s)", c, joinCaps(endpointCapabilities)))
		case n == -1:
			out[settingLimitPrefix+string(c)] = ""
		case n < 0 || n > maxRateLimit:
			bad = append(bad, fmt.Sprintf("rateLimits: %s must be between 0 and %d, or -1 for the server default", c, maxRateLimit))
		default:
			out[settingLimitPrefix+string(c)] = strconv.Itoa(n)
		}
	}
	ttl := func(field, key string, v *string) {
		if v == nil {
			return
		}
		if *v == "" {
			out[key] = ""
			return
		}
		d, err := time.ParseDuration(*v)
		if err != nil || d < time.Minute || d > maxTTL {
			bad = append(bad, field+" must be a duration between 1m and 8760h, such as 1h")
			return
		}
		out[key] = d.String()
	}
	ttl("accessTokenTTL", settingAccessTTL, u.AccessTokenTTL)
	ttl("refreshTokenTTL", settingRefreshTTL, u.RefreshTokenTTL)
	if len(bad) > 0 {
		return nil, Errorf(EInvalid, "%s", strings.Join(bad, "; "))
	}
	return out, nil
}

// CheckRestrictions returns list sorted without duplicates, and a
// problem for each name that cannot be switched off.
func CheckRestrictions(list []string) ([]string, []string) {
	if len(list) > maxRestrictions {
		return nil, []string{"restrictedCapabilities: too many capabilities"}
	}
	names := Restrictable()
	var problems []string
	out := make([]string, 0, len(list))
	for _, c := range list {
		if !slices.Contains(names, c) {
			problems = append(problems, fmt.Sprintf("restrictedCapabilities: %q is not a capability (want one of %s)", c, strings.Join(names, ", ")))
			continue
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), problems
}

func joinCaps(cs []Capability) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, listSeparator)
}

// listHas reports whether the comma-separated list holds c, without
// allocating.
func listHas(list, c string) bool {
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, listSeparator)
		if item == c {
			return true
		}
	}
	return false
}
