package auth

import (
	"context"
	"time"
)

// Auditor receives security events as they happen in the core. Record
// must not block for long and must never fail the operation: an event that
// cannot be written is the sink's problem (it logs it). Events carry no
// secret: no password, token, token hash or cookie.
type Auditor interface {
	Record(ctx context.Context, e Event)
}

// Event types.
const (
	EventSignIn           = "signin"             // one per attempt at the sign-in entry; Outcome says how it ended
	EventLockout          = "lockout"            // an account or address was locked (Target: the lockout key)
	EventLockoutClear     = "lockout.clear"      // an operator cleared a lockout
	EventSignOut          = "signout"            // a session ended at its owner's request
	EventSessionRevoke    = "session.revoke"     // one session ended by ID
	EventSessionRevokeAll = "session.revoke_all" // every session of a user (TargetUser) or of a tenant or instance
	EventSessionEvict     = "session.evict"      // the least recently used session of a user at the cap (Config.MaxSessionsPerUser), ended as another started
	EventPasswordChange   = "password.change"    // Outcome: success, failure (wrong old password), refused (policy)
	EventUserCreate       = "user.create"
	EventUserUpdate       = "user.update" // Detail names what changed (state, admin, name, email)
	EventUserDelete       = "user.delete"
	EventTenantCreate     = "tenant.create"
	EventTenantUpdate     = "tenant.update" // Detail names the settings (capabilities, limits) that changed, never their values
	EventTenantDelete     = "tenant.delete"
	EventTokenCreate      = "token.create"
	EventTokenUpdate      = "token.update"
	EventTokenDelete      = "token.delete"
	EventSetup            = "setup"
)

// Event outcomes. A sign-in ends in exactly one of the first eight.
const (
	OutcomeSuccess     = "success"     // signed in (or up)
	OutcomeFailure     = "failure"     // the credential did not prove the account (counted for the lockout)
	OutcomeLocked      = "locked"      // refused by the lockout, before any hash
	OutcomeInactive    = "inactive"    // the right credential for a user who may not sign in
	OutcomeRestricted  = "restricted"  // the capability or method is switched off, or not served
	OutcomeInvalid     = "invalid"     // the attempt is malformed (a missing or bad field)
	OutcomeConflict    = "conflict"    // sign-up for an account that exists
	OutcomeUnavailable = "unavailable" // an engine, or the hash queue, cannot take it now
	OutcomeError       = "error"       // anything else
	OutcomeRefused     = "refused"     // a password change the policy refused
)

// Event is one security event. The core fills what it knows; a sink adds
// what only the transport knows (request ID, and the client address when
// the core had none).
type Event struct {
	Time     time.Time
	Type     string
	Outcome  string
	TenantID string
	Actor    Actor  // who did it (zero when unauthenticated, e.g. a sign-in)
	User     string // the user acted on (the user signing in, changed, deleted)
	Session  string // the session acted on, by public ID
	Target   string // another object acted on: a token or tenant ID, a lockout key
	IP       string // the client address, when the core was given it
	Origin   Origin // the API that signed in, for sign-in events
	Method   Method // how the sign-in was proved, for sign-in events
	Detail   string // a short, secret-free description
}

// Actor is the authenticated caller of an operation, put on the context
// by the dialect that authenticated it (WithActor), so that events name
// who did what.
type Actor struct {
	UserID    string
	TenantID  string
	SessionID string // set when the caller used a session
	TokenID   string // set when the caller used an API token
}

// Auditors fans events out to several sinks (the audit log, the
// metrics), in order.
type Auditors []Auditor

// Record implements Auditor.
func (as Auditors) Record(ctx context.Context, e Event) {
	for _, a := range as {
		a.Record(ctx, e)
	}
}

type actorKey struct{}

// actorCtx carries an Actor: one allocation on every authenticated
// request, where context.WithValue would take two (the Actor boxed).
type actorCtx struct {
	context.Context
	a Actor
}

// Value answers actorKey with c itself.
func (c *actorCtx) Value(key any) any {
	if key == (actorKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// WithActor returns ctx carrying the caller a, for audit events.
func WithActor(ctx context.Context, a Actor) context.Context {
	return &actorCtx{Context: ctx, a: a}
}

// ActorKey is the context key ActorFrom reads. A request's own context
// may answer it with an ActorHolder, so that a dialect records the caller
// on that context (httpkit.SetActor) rather than on a new one.
var ActorKey any = actorKey{}

// ActorHolder is a context value that holds the caller of its request.
type ActorHolder interface {
	Actor() (Actor, bool)
}

// ActorFrom returns the caller put on ctx by WithActor, or held for its
// request.
func ActorFrom(ctx context.Context) (Actor, bool) {
	switch v := ctx.Value(actorKey{}).(type) {
	case *actorCtx:
		return v.a, true
	case ActorHolder:
		return v.Actor()
	}
	return Actor{}, false
}

// audit records e when an Auditor is configured, stamping the time and
// the caller from ctx.
func (s *Service) audit(ctx context.Context, e Event) {
	if s.auditor == nil {
		return
	}
	e.Time = s.now().UTC()
	if e.Actor == (Actor{}) {
		e.Actor, _ = ActorFrom(ctx)
	}
	s.auditor.Record(ctx, e)
}
