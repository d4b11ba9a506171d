package rocketapi

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// Rocket.Chat clients may send the password as {hashed: sha256hex(pw)}
// (Meteor's {digest, algorithm:"sha-256"}), because Rocket.Chat stores
// bcrypt(sha256hex(pw)). sessiond stores argon2id(pw), which cannot be
// checked against a SHA-256 of the password. So this dialect keeps, in
// memory, a second verifier per user: argon2id(sha256hex(pw)), made when
// the user signs in here with the plain password, and bound to the stored
// password hash it was checked against, so a password change (or a hash
// upgrade) drops it. A {hashed} login is checked against that verifier.
//
// What that gives: a {hashed} login works on an instance where the user
// has signed in with the plain password since the instance started and
// the password has not changed since. Anywhere else it fails exactly like
// a wrong password. A durable verifier would need a column in the identity
// store; see docs/rocketchat-api.md.

// verifiers is a bounded map from user ID to that user's verifier.
type verifiers struct {
	max int // <0: {hashed} logins are off
	mu  sync.Mutex
	m   map[string]verifier
}

type verifier struct {
	passwordHash string // the user's stored hash the verifier was made under
	hash         string // argon2id of sha256hex(password)
}

func newVerifiers(max int) *verifiers {
	return &verifiers{max: max, m: map[string]verifier{}}
}

func (v *verifiers) enabled() bool { return v.max >= 0 }

// get returns the verifier of userID made under passwordHash.
func (v *verifiers) get(userID, passwordHash string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	x, ok := v.m[userID]
	if !ok || x.passwordHash != passwordHash {
		return "", false
	}
	return x.hash, true
}

// put stores a verifier, evicting an arbitrary one when full.
func (v *verifiers) put(userID, passwordHash, hash string) {
	if !v.enabled() {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[userID]; !ok && len(v.m) >= v.max {
		for k := range v.m {
			delete(v.m, k)
			break
		}
	}
	v.m[userID] = verifier{passwordHash: passwordHash, hash: hash}
}

// digest is the {hashed} form of a plain password: lower-case SHA-256 hex.
func digest(pw string) string {
	sum := sha256.Sum256([]byte(pw))
	return hex.EncodeToString(sum[:])
}
