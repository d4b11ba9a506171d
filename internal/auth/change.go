package auth

import "context"

// ChangeKind says what a Change is about.
type ChangeKind string

// Change kinds.
const (
	// ChangeTenant: a tenant (its settings, policy, token or keys) changed
	// or was deleted. ID is the tenant's ID.
	ChangeTenant ChangeKind = "tenant"
	// ChangeUser: a user changed or was deleted. TenantID and ID name it.
	ChangeUser ChangeKind = "user"
	// ChangeReset: the feed may have lost changes (it reconnected);
	// everything cached must be dropped.
	ChangeReset ChangeKind = "reset"
)

// Change names something one instance changed that others may hold in a
// cache.
type Change struct {
	Kind     ChangeKind
	TenantID string
	ID       string
}

// ChangeFeed carries Changes between the instances that share an engine,
// so that a change made on one takes effect on the others at once rather
// than when their caches expire.
type ChangeFeed interface {
	// Publish sends c to every subscriber of every instance, this one's
	// included. It returns an EUnavailable error when the engine cannot
	// take it.
	Publish(ctx context.Context, c Change) error
	// Subscribe calls fn, from one goroutine, for every Change published
	// after Subscribe returns, until ctx ends. It returns once the
	// subscription is in place, or an error when it cannot be made. After
	// a lost connection is re-established it calls fn with a ChangeReset
	// first, since changes in between are lost. fn must not block.
	Subscribe(ctx context.Context, fn func(Change)) error
}
