package auth

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// LockoutPolicy bounds password guessing. Sign-in attempts are counted per
// account (before the password is checked, so parallel attempts can never
// get more tries than the limit) and failures per client address, in the
// service's Limiter, so every instance sharing the Limiter shares the
// counts. Past a limit, sign-in is refused even with the right password
// until the lock ends. A good sign-in resets the account's count.
type LockoutPolicy struct {
	// AccountLimit is how many sign-in attempts an account may have in
	// Window; the next one locks it (0: no per-account limit).
	AccountLimit int
	// IPLimit is how many failed sign-ins a client address (an IPv6 /64)
	// may make in Window before it is refused (0: no per-address limit).
	IPLimit int
	// Window is the counting window, and the length of an account's first
	// lock.
	Window time.Duration
	// MaxLock caps the lock: each consecutive lockout of an account (with
	// no good sign-in between) doubles its lock, up to MaxLock.
	MaxLock time.Duration
}

// DefaultLockout is used when Config.Lockout is zero: 10 attempts per
// account and 50 failures per address in 15 minutes (NIST SP 800-63B
// allows at most 100), locks doubling from 15 minutes to at most a day.
var DefaultLockout = LockoutPolicy{AccountLimit: 10, IPLimit: 50, Window: 15 * time.Minute, MaxLock: 24 * time.Hour}

// LimitLister is implemented by Limiters that can enumerate their open
// windows. The core uses it to list lockouts; without it lockouts can be
// cleared by key but not listed.
type LimitLister interface {
	// ListLimits returns the keys beginning with prefix whose window is
	// still open, with their counts and window ends, in key order.
	ListLimits(ctx context.Context, prefix string) ([]LimitEntry, error)
}

// LimitEntry is one open window of a Limiter.
type LimitEntry struct {
	Key   string
	Count int
	Reset time.Time
}

// Lockout is the state of one counted subject: a login as typed (see
// loginSubject), or a client address.
type Lockout struct {
	Key      string    // "login:<tenant>:<hash>" or "ip:<address>" ("account:<tenant>:<user ID>" from older versions)
	Kind     string    // login, ip (account)
	TenantID string    // for login
	UserID   string    // for a login that is a user's name or email, when Lockouts could tell
	IP       string    // for ip
	Failures int       // failed sign-ins in the current window
	Locked   bool      // sign-in is refused now
	Until    time.Time // when the lock, or else the counting window, ends
	Strikes  int       // consecutive lockouts (account, login)
}

// Limiter key layout. Every key of the lockout lives under lockoutPrefix.
const (
	lockoutPrefix  = "signin:"
	attemptsPrefix = lockoutPrefix + "attempts:" // + account subject: attempts admitted since the last good one
	countPrefix    = lockoutPrefix + "count:"    // + subject: failures
	lockPrefix     = lockoutPrefix + "lock:"     // + subject: open while locked
	strikesPrefix  = lockoutPrefix + "strikes:"  // + subject: consecutive lockouts
)

// lockoutOn reports whether attempts are counted at all.
func (s *Service) lockoutOn() bool {
	return s.limiter != nil && (s.lockout.AccountLimit > 0 || s.lockout.IPLimit > 0)
}

// loginSubject names the account being signed in to by the login as
// typed (lower-cased), whether or not an account has it: an unknown name
// is counted and locked exactly as a known one, so refusing a locked
// login early (before any password hash) reveals nothing about accounts,
// and a user's name and email never share a budget that would tell an
// attacker they belong together. The login is hashed, so that a password
// typed by mistake into the name field is never stored.
func loginSubject(tenantID, login string) string {
	if !ValidID(tenantID) {
		tenantID = unknownTenant
	}
	return "login:" + tenantID + ":" + HashToken(strings.ToLower(login)).String()[:32]
}

// unknownTenant stands for a tenant that does not exist in lockout keys.
const unknownTenant = "0000000000000000"

// ipSubject names a client address: IPv4 as is, IPv6 by its /64, which
// one client usually holds whole. Empty when the address is unknown.
func ipSubject(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

// lockedError is the ELocked error for a lock ending at until.
func lockedError(until time.Time) error {
	return &Error{Code: ELocked, Msg: ErrLocked.Msg, Err: lockEnd(until)}
}

type lockEnd time.Time

func (l lockEnd) Error() string { return "locked until " + time.Time(l).UTC().Format(time.RFC3339) }

// LockedUntil reports when the lock behind an ELocked error ends, so a
// dialect that may reveal the lockout can send Retry-After.
func LockedUntil(err error) (time.Time, bool) {
	var l lockEnd
	if errors.As(err, &l) {
		return time.Time(l), true
	}
	return time.Time{}, false
}

// admit checks the locks and reserves one evaluation for the login
// subject (none when it is empty: a credential that names no login). It
// returns an ELocked error when the attempt must be refused, before any
// hash.
//
// Two counts per account: attempts are counted before the password is
// checked (an atomic Hit), so that parallel guesses never get more
// evaluations than the limit; a good sign-in resets them. Failures are
// counted after the check, and the limit-th failure locks the account.
// So a burst of more than the limit of parallel sign-ins with the right
// password has its excess refused for the moment, but never locks.
func (s *Service) admit(ctx context.Context, tenantID, subject, ipSub string) error {
	p := s.lockout
	if p.AccountLimit > 0 && subject != "" {
		lk, err := s.limiter.Peek(ctx, lockPrefix+subject, 0)
		if err != nil {
			return Unavailable("lockout", err)
		}
		if lk.Count > 0 {
			return lockedError(lk.Reset)
		}
	}
	if p.IPLimit > 0 && ipSub != "" {
		r, err := s.limiter.Peek(ctx, countPrefix+ipSub, p.IPLimit)
		if err != nil {
			return Unavailable("lockout", err)
		}
		if !r.Allowed {
			return lockedError(r.Reset)
		}
	}
	if p.AccountLimit > 0 && subject != "" {
		r, err := s.limiter.Hit(ctx, attemptsPrefix+subject, p.AccountLimit, p.Window)
		if err != nil {
			return Unavailable("lockout", err)
		}
		if !r.Allowed {
			return lockedError(r.Reset)
		}
	}
	return nil
}

// lock starts a lock of subject whose length doubles with each consecutive
// lockout, and records the event (naming the user when the login is one).
func (s *Service) lock(ctx context.Context, tenantID, subject, userID string) {
	p := s.lockout
	st, err := s.limiter.Hit(ctx, strikesPrefix+subject, 1<<30, 2*p.MaxLock)
	if err != nil {
		s.log.Warn("starting a lockout failed", "err", err)
		return
	}
	d := p.Window
	for i := 1; i < st.Count && d < p.MaxLock; i++ {
		d *= 2
	}
	d = min(d, p.MaxLock)
	lk, err := s.limiter.Hit(ctx, lockPrefix+subject, 0, d)
	if err != nil {
		s.log.Warn("starting a lockout failed", "err", err)
		return
	}
	s.log.Warn("sign-in lockout", "key", subject, "strikes", st.Count, "until", lk.Reset)
	s.audit(ctx, Event{Type: EventLockout, TenantID: tenantID, Target: subject, User: userID, Detail: "login locked until " + lk.Reset.UTC().Format(time.RFC3339)})
}

// failed records a failed sign-in against the login subject (when set;
// the limit-th failure locks it) and the client address. userID names
// the user the login matched, for the lockout event.
func (s *Service) failed(ctx context.Context, tenantID, subject, ipSub, userID string) {
	if !s.lockoutOn() {
		return
	}
	if p := s.lockout; p.AccountLimit > 0 && subject != "" {
		r, err := s.limiter.Hit(ctx, countPrefix+subject, p.AccountLimit, p.Window)
		if err != nil {
			s.log.Warn("counting a failed sign-in failed", "err", err)
		} else if r.Count == p.AccountLimit {
			s.lock(ctx, tenantID, subject, userID)
		}
	}
	if s.lockout.IPLimit <= 0 || ipSub == "" {
		return
	}
	r, err := s.limiter.Hit(ctx, countPrefix+ipSub, s.lockout.IPLimit, s.lockout.Window)
	if err != nil {
		s.log.Warn("counting a failed sign-in failed", "err", err)
		return
	}
	if r.Count == s.lockout.IPLimit {
		s.log.Warn("sign-in lockout", "key", ipSub, "until", r.Reset)
		s.audit(ctx, Event{Type: EventLockout, TenantID: tenantID, Target: ipSub, Detail: "address locked until " + r.Reset.UTC().Format(time.RFC3339)})
	}
}

// succeeded resets the account's attempts, failures and consecutive
// lockouts.
func (s *Service) succeeded(ctx context.Context, subject string) {
	if !s.lockoutOn() || s.lockout.AccountLimit <= 0 || subject == "" {
		return
	}
	for _, k := range []string{attemptsPrefix + subject, countPrefix + subject, strikesPrefix + subject} {
		if err := s.limiter.Reset(ctx, k); err != nil {
			s.log.Warn("resetting sign-in attempts failed", "err", err)
		}
	}
}

// LockoutPolicy returns the brute-force policy in force (zero limits when
// no Limiter is configured).
func (s *Service) LockoutPolicy() LockoutPolicy {
	if s.limiter == nil {
		return LockoutPolicy{}
	}
	return s.lockout
}

// Lockouts lists every subject with failed attempts or a lock in force,
// in key order. ENotImplemented when the Limiter cannot list its keys.
func (s *Service) Lockouts(ctx context.Context) ([]Lockout, error) {
	if s.limiter == nil {
		return []Lockout{}, nil
	}
	ll, ok := s.limiter.(LimitLister)
	if !ok {
		return nil, &Error{Code: ENotImplemented, Msg: "this session store cannot list lockouts; clear one by its key"}
	}
	entries, err := ll.ListLimits(ctx, lockoutPrefix)
	if err != nil {
		return nil, Unavailable("list lockouts", err)
	}
	bySubject := map[string]*Lockout{}
	get := func(subject string) *Lockout {
		l := bySubject[subject]
		if l == nil {
			l = parseLockoutKey(subject)
			bySubject[subject] = l
		}
		return l
	}
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Key, countPrefix):
			l := get(strings.TrimPrefix(e.Key, countPrefix))
			l.Failures = e.Count
			if l.Kind == "ip" && s.lockout.IPLimit > 0 && e.Count >= s.lockout.IPLimit {
				l.Locked, l.Until = true, e.Reset
			}
			if !l.Locked && e.Reset.After(l.Until) {
				l.Until = e.Reset
			}
		case strings.HasPrefix(e.Key, lockPrefix):
			l := get(strings.TrimPrefix(e.Key, lockPrefix))
			l.Locked, l.Until = true, e.Reset
		case strings.HasPrefix(e.Key, strikesPrefix):
			get(strings.TrimPrefix(e.Key, strikesPrefix)).Strikes = e.Count
		}
	}
	out := make([]Lockout, 0, len(bySubject))
	for _, l := range bySubject {
		if l.Failures > 0 || l.Locked {
			out = append(out, *l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if err := s.nameLogins(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// lockoutUserScan bounds how many users of a tenant Lockouts reads to
// tell which logins are whose.
const lockoutUserScan = 10_000

// nameLogins sets UserID on login lockouts whose login is a user's name
// or email, reading at most lockoutUserScan users of each tenant that has
// one. The keys hold only a hash of the login, so this is the one way to
// tell; beyond the bound a login stays unnamed.
func (s *Service) nameLogins(ctx context.Context, list []Lockout) error {
	byTenant := map[string][]int{}
	for i, l := range list {
		if l.Kind == "login" && ValidID(l.TenantID) && l.TenantID != unknownTenant {
			byTenant[l.TenantID] = append(byTenant[l.TenantID], i)
		}
	}
	for tenantID, idx := range byTenant {
		users, err := s.users.ListUsers(ctx, UserFilter{TenantID: tenantID, Limit: lockoutUserScan})
		if err != nil {
			return err
		}
		whose := make(map[string]string, 2*len(users))
		for _, u := range users {
			whose[loginSubject(tenantID, u.Name)] = u.ID
			if u.Email != "" {
				whose[loginSubject(tenantID, u.Email)] = u.ID
			}
		}
		for _, i := range idx {
			list[i].UserID = whose[list[i].Key]
		}
	}
	return nil
}

// parseLockoutKey reads a subject written by accountSubject or ipSubject.
func parseLockoutKey(key string) *Lockout {
	l := &Lockout{Key: key}
	kind, rest, _ := strings.Cut(key, ":")
	l.Kind = kind
	switch kind {
	case "account":
		l.TenantID, l.UserID, _ = strings.Cut(rest, ":")
	case "login":
		l.TenantID, _, _ = strings.Cut(rest, ":")
	case "ip":
		l.IP = rest
	}
	return l
}

// ValidLockoutKey reports whether key has the shape of a lockout key.
func ValidLockoutKey(key string) bool {
	kind, rest, ok := strings.Cut(key, ":")
	if !ok || rest == "" || len(key) > 200 {
		return false
	}
	switch kind {
	case "account":
		t, id, ok := strings.Cut(rest, ":")
		return ok && ValidID(t) && ValidID(id)
	case "login":
		t, h, ok := strings.Cut(rest, ":")
		return ok && ValidID(t) && len(h) == 32
	case "ip":
		if p, err := netip.ParsePrefix(rest); err == nil {
			return p.Addr().Is6() && p.Bits() == 64
		}
		_, err := netip.ParseAddr(rest)
		return err == nil
	}
	return false
}

// ClearLockout forgets the attempts, lock and consecutive lockouts of one
// key as Lockouts lists it. EInvalid for a key of the wrong shape.
func (s *Service) ClearLockout(ctx context.Context, key string) error {
	if !ValidLockoutKey(key) {
		return Errorf(EInvalid, "invalid lockout key")
	}
	if s.limiter == nil {
		return nil
	}
	for _, p := range []string{attemptsPrefix, countPrefix, lockPrefix, strikesPrefix} {
		if err := s.limiter.Reset(ctx, p+key); err != nil {
			return Unavailable("clear lockout", err)
		}
	}
	l := parseLockoutKey(key)
	s.audit(ctx, Event{Type: EventLockoutClear, TenantID: l.TenantID, User: l.UserID, Target: key})
	return nil
}

// LoginLockoutKey returns the lockout key of a login (a user name or an
// email) in a tenant, for ClearLockout.
func LoginLockoutKey(tenantID, login string) string { return loginSubject(tenantID, login) }

// IPLockoutKey returns the lockout key of a client address ("" when ip is
// not an address), for ClearLockout.
func IPLockoutKey(ip string) string { return ipSubject(ip) }
