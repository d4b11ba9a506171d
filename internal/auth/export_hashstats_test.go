package auth

import "context"

// Acquire takes a worker of the pool for client key, as a hash does.
func Acquire(h *Hasher, ctx context.Context, key string) (func(), error) { return h.acquire(ctx, key) }
