package tenantapi

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Settings keys this dialect keeps in auth.Tenant.Settings. Everything per
// tenant lives there, so every store engine keeps it without a migration.
const (
	settingDisabled      = "tenantapi.disabled"        // "true" refuses the tenant token
	settingRestricted    = "tenantapi.restricted"      // comma-separated capabilities
	settingClientHeaders = "tenantapi.clientHeaders"   // "require" or "accept"
	settingAccessTTL     = "tenantapi.accessTokenTTL"  // Go duration
	settingRefreshTTL    = "tenantapi.refreshTokenTTL" // Go duration
	settingLimitPrefix   = "tenantapi.limit."          // + capability: requests per hour per IP
	settingUserPrefix    = "tenantapi.user."           // + user ID + ".restricted"
	settingActiveKey     = "tenantapi.signingKey"      // kid of the key that signs
	settingKeyPrefix     = "tenantapi.key."            // + kid: base64 PKCS#8 DER of the RSA key
	settingRetireSuffix  = ".retireAt"                 // + on a key: RFC 3339 time it stops verifying
	userRestrictedSuffix = ".restricted"
	settingTrue          = "true"
	capabilitySeparator  = ","
)

// Defaults and bounds.
const (
	defaultAccessTTL     = time.Hour
	defaultRefreshTTL    = 24 * time.Hour
	maxTTL               = 365 * 24 * time.Hour
	clientHeadersRequire = "require"
	clientHeadersAccept  = "accept"
	limitWindow          = time.Hour // every limit counts per hour
	maxLimit             = 1_000_000
	maxCapabilityList    = 64
)

// Endpoint capabilities, and the sign-in methods that are capabilities too.
const (
	CapSignup    = "signup"
	CapSignin    = "signin"
	CapRefresh   = "refresh-token"
	CapLogout    = "logout"
	CapTerminate = "terminate"
	CapMe        = "me"
	CapSessions  = "sessions"

	MethodPassword = "password"
	MethodGuest    = "guest"
	MethodOTP      = "otp"
	MethodGoogle   = "google"
	MethodApple    = "apple"
	MethodFacebook = "facebook"
)

// endpoints are the capabilities that are endpoints (and so have limits).
var endpoints = []string{CapSignup, CapSignin, CapRefresh, CapLogout, CapTerminate, CapMe, CapSessions}

// capabilities lists every name an operator may restrict.
var capabilities = []string{
	CapSignup, CapSignin, CapRefresh, CapLogout, CapTerminate, CapMe, CapSessions,
	MethodPassword, MethodGuest, MethodOTP, MethodGoogle, MethodApple, MethodFacebook,
}

// methods are the sign-in methods of the reference; only password and
// guest are served, the others are always restricted.
var methods = []string{MethodPassword, MethodOTP, MethodGoogle, MethodApple, MethodFacebook, MethodGuest}

func served(method string) bool { return method == MethodPassword || method == MethodGuest }

// Policy is a tenant's configuration of this dialect, read from and
// written to its settings.
type Policy struct {
	Disabled               bool
	RestrictedCapabilities []string
	// ClientHeaders is "require" (missing client headers are a
	// VALIDATION_ERROR) or "accept".
	ClientHeaders string
	// RateLimits overrides the server's limits per capability; 0 turns a
	// limit off.
	RateLimits      map[string]int
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
}

// PolicyOf reads a tenant's policy, with defaults for what is not set.
func PolicyOf(t *auth.Tenant) Policy {
	s := t.Settings
	p := Policy{
		Disabled:               s[settingDisabled] == settingTrue,
		RestrictedCapabilities: splitList(s[settingRestricted]),
		ClientHeaders:          clientHeadersRequire,
	}
	if s[settingClientHeaders] == clientHeadersAccept {
		p.ClientHeaders = clientHeadersAccept
	}
	p.AccessTokenTTL, p.RefreshTokenTTL = ttls(t)
	for k, v := range s {
		if c, ok := strings.CutPrefix(k, settingLimitPrefix); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				if p.RateLimits == nil {
					p.RateLimits = map[string]int{}
				}
				p.RateLimits[c] = n
			}
		}
	}
	return p
}

// PolicyUpdate changes some of a tenant's policy; nil fields stay.
type PolicyUpdate struct {
	Disabled               *bool
	RestrictedCapabilities *[]string
	ClientHeaders          *string
	RateLimits             map[string]int // -1 removes an override
	AccessTokenTTL         *string
	RefreshTokenTTL        *string
}

// Settings checks u and returns the tenant settings that apply it, in the
// merge form of auth.Service.UpdateTenant (an empty value removes a key).
// Every problem is reported at once in one EInvalid error.
func (u PolicyUpdate) Settings() (map[string]string, error) {
	out := map[string]string{}
	var bad []string
	if u.Disabled != nil {
		out[settingDisabled] = ""
		if *u.Disabled {
			out[settingDisabled] = settingTrue
		}
	}
	if u.RestrictedCapabilities != nil {
		list, problems := CheckCapabilities(*u.RestrictedCapabilities)
		bad = append(bad, problems...)
		out[settingRestricted] = JoinCapabilities(list)
	}
	if u.ClientHeaders != nil {
		switch *u.ClientHeaders {
		case clientHeadersRequire, clientHeadersAccept:
			out[settingClientHeaders] = *u.ClientHeaders
		default:
			bad = append(bad, `clientHeaders must be "require" or "accept"`)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(u.RateLimits)) {
		switch n := u.RateLimits[c]; {
		case !slices.Contains(endpoints, c):
			bad = append(bad, fmt.Sprintf("rateLimits: %q is not an endpoint (want one of %s)", c, strings.Join(endpoints, ", ")))
		case n == -1:
			out[settingLimitPrefix+c] = ""
		case n < 0 || n > maxLimit:
			bad = append(bad, fmt.Sprintf("rateLimits: %s must be between 0 and %d, or -1 for the server default", c, maxLimit))
		default:
			out[settingLimitPrefix+c] = strconv.Itoa(n)
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
		return nil, auth.Errorf(auth.EInvalid, "%s", strings.Join(bad, "; "))
	}
	return out, nil
}

// CheckCapabilities returns list sorted without duplicates, and a problem
// for each unknown name.
func CheckCapabilities(list []string) ([]string, []string) {
	var problems []string
	if len(list) > maxCapabilityList {
		return nil, []string{"restrictedCapabilities: too many capabilities"}
	}
	out := make([]string, 0, len(list))
	for _, c := range list {
		if !slices.Contains(capabilities, c) {
			problems = append(problems, fmt.Sprintf("restrictedCapabilities: %q is not a capability (want one of %s)", c, strings.Join(capabilities, ", ")))
			continue
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), problems
}

// UserRestrictionSetting is the settings key of one user's restricted
// capabilities.
func UserRestrictionSetting(userID string) string {
	return settingUserPrefix + userID + userRestrictedSuffix
}

// UserRestrictions returns the capabilities restricted for one user.
func UserRestrictions(t *auth.Tenant, userID string) []string {
	return splitList(t.Settings[UserRestrictionSetting(userID)])
}

// JoinCapabilities writes a capability list as a setting value.
func JoinCapabilities(list []string) string { return strings.Join(list, capabilitySeparator) }

func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, capabilitySeparator)
}

// restricted reports whether capability c is switched off for the tenant
// or, when userID is set, for that user.
func restricted(t *auth.Tenant, userID, c string) bool {
	if listHas(t.Settings[settingRestricted], c) {
		return true
	}
	if userID == "" {
		return false
	}
	// The key is UserRestrictionSetting(userID), built in a buffer on the
	// stack: a map lookup by string(bytes) does not allocate, and this
	// runs on every private request.
	var buf [64]byte
	k := append(append(append(buf[:0], settingUserPrefix...), userID...), userRestrictedSuffix...)
	return listHas(t.Settings[string(k)], c)
}

// listHas reports whether the comma-separated list holds c, without
// allocating.
func listHas(list, c string) bool {
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, capabilitySeparator)
		if item == c {
			return true
		}
	}
	return false
}

// limitFor returns the hourly per-IP limit of capability c in tenant t
// (0: not limited).
func (h *Handler) limitFor(t *auth.Tenant, c string) int {
	if v, ok := t.Settings[settingLimitPrefix+c]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	return h.limits[c]
}

// ttls returns a tenant's token lifetimes.
func ttls(t *auth.Tenant) (access, refresh time.Duration) {
	access, refresh = defaultAccessTTL, defaultRefreshTTL
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
