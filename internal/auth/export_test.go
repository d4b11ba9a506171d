package auth

// SetMaxArgon2Memory lowers the memory bound on stored hashes, so that
// fuzzing cannot make one verification allocate a gigabyte.
func SetMaxArgon2Memory(h *Hasher, kib uint32) { h.maxMem = kib }
