// Package memstore keeps sessions in memory: the default, as in InfluxDB,
// where sessions end at expiry and at restart.
//
// Sessions are held in a compact form (times as integers, the public ID as
// bytes, the origin as a small number, repeated strings shared) with three
// indexes: by token hash (keyed by its first 8 bytes), by ID and by user. A
// min-heap of expiry times lets a janitor drop expired sessions in small
// batches, so neither a request nor the janitor ever walks every session
// while holding the lock. At a million sessions of ten thousand users the
// whole holds about 230 bytes of live heap a session (go run ./bench -only 4
// measures it).
package memstore

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/sessiond/sessiond/internal/auth"
)

var _ auth.SessionStore = (*SessionStore)(nil)

type userKey struct{ tenant, user string }

// userSessions is one user's entry in the by-user index.
type userSessions struct {
	key  userKey
	list []*entry
}

// entry is one session: 121 bytes, in the 128-byte size class. Its fields
// are ordered so that nothing is lost to padding.
type entry struct {
	hash      auth.Hash
	created   int64 // Unix nanoseconds
	expires   int64
	lastSeen  int64
	owner     *userSessions
	ip        string
	userAgent string
	device    map[string]string
	id        [8]byte
	heapIdx   int32
	userPos   int32
	origin    uint8 // index in SessionStore.origins
}

// hashKey is the first 8 bytes of a token hash: the key of the by-hash
// index, a quarter of the size of the whole hash. Two live hashes sharing
// it (about one chance in 10^7 at a billion sessions) are told apart by the
// entry's full hash and the overflow index.
func hashKey(h auth.Hash) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

// SessionStore is an in-memory auth.SessionStore. The zero value is not
// usable; call New.
type SessionStore struct {
	mu       sync.RWMutex
	byHash   map[uint64]*entry    // by hashKey
	overflow map[auth.Hash]*entry // entries whose hashKey another entry holds in byHash
	byID     map[[8]byte]*entry
	byUser   map[userKey]*userSessions
	expiry   expiryHeap
	strings  map[string]string // interned IPs and User-Agents
	origins  []auth.Origin     // entry.origin indexes this
	now      func() time.Time

	stop chan struct{}
	done chan struct{}
}

// maxInterned bounds the table of shared IP and User-Agent strings.
const maxInterned = 1 << 16

// janitorBatch is how many expired sessions one Sweep drops at most, and
// sweepChunk how many it drops per hold of the lock, so that a session
// check never waits behind more than a few dozen removals.
const (
	janitorBatch = 512
	sweepChunk   = 64
)

// New returns an empty store. now is its clock (time.Now when nil). When
// sweep is positive a janitor drops expired sessions every sweep until
// Close; lookups never return an expired session either way.
func New(now func() time.Time, sweep time.Duration) *SessionStore {
	if now == nil {
		now = time.Now
	}
	s := &SessionStore{
		byHash: map[uint64]*entry{}, overflow: map[auth.Hash]*entry{}, byID: map[[8]byte]*entry{}, byUser: map[userKey]*userSessions{},
		strings: map[string]string{}, now: now, stop: make(chan struct{}), done: make(chan struct{}),
	}
	if sweep > 0 {
		go s.janitor(sweep)
	} else {
		close(s.done)
	}
	return s
}

// Close stops the janitor.
func (s *SessionStore) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	return nil
}

func (s *SessionStore) janitor(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			for s.Sweep() == janitorBatch {
			}
		}
	}
}

// Sweep drops up to one batch of expired sessions and returns how many it
// dropped. It takes the lock once per chunk of the batch.
func (s *SessionStore) Sweep() int {
	now := s.now().UnixNano()
	n := 0
	for n < janitorBatch {
		k := s.sweepChunk(now, min(sweepChunk, janitorBatch-n))
		n += k
		if k == 0 {
			break
		}
	}
	return n
}

func (s *SessionStore) sweepChunk(now int64, max int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < max && len(s.expiry) > 0 && s.expiry[0].exp <= now {
		s.remove(s.expiry[0].e)
		n++
	}
	return n
}

func parseID(id string) ([8]byte, bool) {
	var b [8]byte
	if len(id) != 16 || strings.ToLower(id) != id {
		return b, false
	}
	_, err := hex.Decode(b[:], []byte(id))
	return b, err == nil
}

func (s *SessionStore) intern(v string) string {
	if v == "" {
		return ""
	}
	if w, ok := s.strings[v]; ok {
		return w
	}
	if len(s.strings) < maxInterned {
		s.strings[v] = v
	}
	return v
}

// originIndex returns the number of an origin, adding it to the table.
// Callers hold the write lock.
func (s *SessionStore) originIndex(o auth.Origin) (uint8, bool) {
	if i := slices.Index(s.origins, o); i >= 0 {
		return uint8(i), true
	}
	if len(s.origins) > 255 {
		return 0, false
	}
	s.origins = append(s.origins, o)
	return uint8(len(s.origins) - 1), true
}

// byHashLookup finds the entry of a token hash. Callers hold the lock.
func (s *SessionStore) byHashLookup(h auth.Hash) *entry {
	if e := s.byHash[hashKey(h)]; e != nil && e.hash == h {
		return e
	}
	if len(s.overflow) == 0 {
		return nil
	}
	return s.overflow[h]
}

// CreateSession implements auth.SessionStore.
func (s *SessionStore) CreateSession(_ context.Context, in *auth.Session) error {
	id, ok := parseID(in.ID)
	if !ok {
		return auth.Errorf(auth.EInvalid, "invalid session ID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byID[id]; dup {
		return auth.Errorf(auth.EConflict, "session exists")
	}
	if s.byHashLookup(in.TokenHash) != nil {
		return auth.Errorf(auth.EConflict, "session exists")
	}
	origin, ok := s.originIndex(in.Origin)
	if !ok {
		return auth.Errorf(auth.EInvalid, "too many session origins")
	}
	k := userKey{in.TenantID, in.UserID}
	us := s.byUser[k]
	if us == nil {
		us = &userSessions{key: k}
		s.byUser[k] = us
	}
	e := &entry{
		hash: in.TokenHash, id: id, owner: us, origin: origin,
		created: in.CreatedAt.UnixNano(), expires: in.ExpiresAt.UnixNano(), lastSeen: in.LastSeen.UnixNano(),
		ip: s.intern(in.IP), userAgent: s.intern(in.UserAgent), device: maps.Clone(in.Device),
		userPos: int32(len(us.list)),
	}
	us.list = append(us.list, e)
	if hk := hashKey(e.hash); s.byHash[hk] == nil {
		s.byHash[hk] = e
	} else {
		s.overflow[e.hash] = e
	}
	s.byID[id] = e
	s.expiry.push(e)
	return nil
}

// remove drops e from every index. Callers hold the write lock.
func (s *SessionStore) remove(e *entry) {
	if len(s.overflow) > 0 && s.overflow[e.hash] == e {
		delete(s.overflow, e.hash)
	} else {
		delete(s.byHash, hashKey(e.hash))
	}
	delete(s.byID, e.id)
	s.expiry.remove(int(e.heapIdx))
	us := e.owner
	last := len(us.list) - 1
	moved := us.list[last]
	us.list[e.userPos] = moved
	moved.userPos = e.userPos
	us.list[last] = nil
	us.list = us.list[:last]
	if len(us.list) == 0 {
		delete(s.byUser, us.key)
	} else if cap(us.list) > 16 && len(us.list) < cap(us.list)/4 {
		us.list = slices.Clip(us.list)
	}
}

// sessionBox is a Session together with the bytes of its ID string, so
// that a lookup allocates once.
type sessionBox struct {
	s  auth.Session
	id [16]byte
}

// fill writes e into b. Callers hold the lock.
func (s *SessionStore) fill(b *sessionBox, e *entry) *auth.Session {
	hex.Encode(b.id[:], e.id[:])
	b.s = auth.Session{
		// The string shares b's memory, which is never written again.
		ID: unsafe.String(&b.id[0], len(b.id)), TokenHash: e.hash, UserID: e.owner.key.user, TenantID: e.owner.key.tenant,
		Origin: s.origins[e.origin], CreatedAt: time.Unix(0, e.created).UTC(), ExpiresAt: time.Unix(0, e.expires).UTC(),
		// The device map is copied in when stored and never changed after
		// (UpdateSessionClient replaces it): sessions read share it.
		LastSeen: time.Unix(0, e.lastSeen).UTC(), IP: e.ip, UserAgent: e.userAgent, Device: e.device,
	}
	return &b.s
}

// session returns e as a new Session. Callers hold the lock.
func (s *SessionStore) session(e *entry) *auth.Session { return s.fill(new(sessionBox), e) }

func (s *SessionStore) live(e *entry) bool { return e != nil && e.expires > s.now().UnixNano() }

// SessionByTokenHash implements auth.SessionStore. An expired session met
// here is dropped at once rather than left for the janitor.
func (s *SessionStore) SessionByTokenHash(_ context.Context, h auth.Hash) (*auth.Session, error) {
	s.mu.RLock()
	e := s.byHashLookup(h)
	if s.live(e) {
		out := s.session(e)
		s.mu.RUnlock()
		return out, nil
	}
	s.mu.RUnlock()
	if e != nil {
		s.dropExpired(e)
	}
	return nil, auth.ErrSessionNotFound
}

// SessionByID implements auth.SessionStore. As by hash, an expired session
// met here is dropped.
func (s *SessionStore) SessionByID(_ context.Context, id string) (*auth.Session, error) {
	b, ok := parseID(id)
	if !ok {
		return nil, auth.ErrSessionNotFound
	}
	s.mu.RLock()
	e := s.byID[b]
	if s.live(e) {
		out := s.session(e)
		s.mu.RUnlock()
		return out, nil
	}
	s.mu.RUnlock()
	if e != nil {
		s.dropExpired(e)
	}
	return nil, auth.ErrSessionNotFound
}

// dropExpired removes e if it is still stored and has expired, for a
// lookup that met it.
func (s *SessionStore) dropExpired(e *entry) {
	s.mu.Lock()
	if s.byID[e.id] == e && !s.live(e) {
		s.remove(e)
	}
	s.mu.Unlock()
}

// TouchSession implements auth.SessionStore.
func (s *SessionStore) TouchSession(_ context.Context, id string, lastSeen, expiresAt time.Time) error {
	b, ok := parseID(id)
	if !ok {
		return auth.ErrSessionNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byID[b]
	if !s.live(e) {
		return auth.ErrSessionNotFound
	}
	e.lastSeen = lastSeen.UnixNano()
	if exp := expiresAt.UnixNano(); exp != e.expires {
		e.expires = exp
		s.expiry.fix(int(e.heapIdx), heapItem{exp, e})
	}
	return nil
}

// UpdateSessionClient implements auth.SessionStore.
func (s *SessionStore) UpdateSessionClient(_ context.Context, id string, seen time.Time, c auth.Client) error {
	b, ok := parseID(id)
	if !ok {
		return auth.ErrSessionNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byID[b]
	if !s.live(e) {
		return auth.ErrSessionNotFound
	}
	e.lastSeen = seen.UnixNano()
	e.ip, e.userAgent, e.device = s.intern(c.IP), s.intern(c.UserAgent), maps.Clone(c.Device)
	return nil
}

// DeleteSession implements auth.SessionStore.
func (s *SessionStore) DeleteSession(_ context.Context, id string) error {
	b, ok := parseID(id)
	if !ok {
		return auth.ErrSessionNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byID[b]
	if e == nil {
		return auth.ErrSessionNotFound
	}
	s.remove(e)
	return nil
}

// UserSessions implements auth.SessionStore.
func (s *SessionStore) UserSessions(_ context.Context, tenantID, userID string) ([]*auth.Session, error) {
	s.mu.RLock()
	us := s.byUser[userKey{tenantID, userID}]
	var out []*auth.Session
	if us != nil {
		out = make([]*auth.Session, 0, len(us.list))
		boxes := make([]sessionBox, len(us.list))
		for _, e := range us.list {
			if s.live(e) {
				out = append(out, s.fill(&boxes[len(out)], e))
			}
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *auth.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

// CountUserSessions implements auth.SessionStore: the length of the
// user's index, expired sessions the janitor has not dropped included.
func (s *SessionStore) CountUserSessions(_ context.Context, tenantID, userID string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if us := s.byUser[userKey{tenantID, userID}]; us != nil {
		return len(us.list), nil
	}
	return 0, nil
}

// DeleteUserSessions implements auth.SessionStore.
func (s *SessionStore) DeleteUserSessions(_ context.Context, tenantID, userID, except string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	us := s.byUser[userKey{tenantID, userID}]
	if us == nil {
		return 0, nil
	}
	keep, _ := parseID(except)
	n := 0
	for i := len(us.list) - 1; i >= 0; i-- {
		if i >= len(us.list) {
			continue
		}
		e := us.list[i]
		if except != "" && e.id == keep {
			continue
		}
		if s.live(e) {
			n++
		}
		s.remove(e)
	}
	return n, nil
}

// ListSessions implements auth.SessionStore. It walks every session: it is
// for administrators, never on a request's hot path.
func (s *SessionStore) ListSessions(_ context.Context, f auth.SessionFilter) ([]*auth.Session, error) {
	s.mu.RLock()
	var out []*auth.Session
	for _, e := range s.byID {
		if f.TenantID != "" && e.owner.key.tenant != f.TenantID || !s.live(e) {
			continue
		}
		if f.After != "" && hex.EncodeToString(e.id[:]) <= f.After {
			continue
		}
		out = append(out, s.session(e))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *auth.Session) int { return strings.Compare(a.ID, b.ID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// CountSessions implements auth.SessionStore.
func (s *SessionStore) CountSessions(context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID), nil
}

// expiryHeap is a 4-ary min-heap of expiry times, soonest first. Each
// item carries its time, so ordering never reads an entry, and a node's four
// children share one cache line: removing the soonest of a million sessions
// touches about ten lines rather than forty scattered entries.
type expiryHeap []heapItem

type heapItem struct {
	exp int64 // the entry's expiry, Unix nanoseconds
	e   *entry
}

func (h expiryHeap) set(i int, it heapItem) {
	h[i] = it
	it.e.heapIdx = int32(i)
}

func (h *expiryHeap) push(e *entry) {
	*h = append(*h, heapItem{})
	h.up(len(*h)-1, heapItem{e.expires, e})
}

// remove drops the item at i.
func (h *expiryHeap) remove(i int) {
	old := *h
	last := len(old) - 1
	moved := old[last]
	old[last] = heapItem{}
	*h = old[:last]
	if i == last {
		return
	}
	h.fix(i, moved)
}

// fix puts it at i, where the heap may be out of order.
func (h expiryHeap) fix(i int, it heapItem) {
	if i > 0 && it.exp < h[(i-1)/4].exp {
		h.up(i, it)
	} else {
		h.down(i, it)
	}
}

// up moves it from hole i towards the root.
func (h expiryHeap) up(i int, it heapItem) {
	for i > 0 {
		p := (i - 1) / 4
		if h[p].exp <= it.exp {
			break
		}
		h.set(i, h[p])
		i = p
	}
	h.set(i, it)
}

// down moves it from hole i towards the leaves.
func (h expiryHeap) down(i int, it heapItem) {
	n := len(h)
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		m := first
		for c := first + 1; c < first+4 && c < n; c++ {
			if h[c].exp < h[m].exp {
				m = c
			}
		}
		if it.exp <= h[m].exp {
			break
		}
		h.set(i, h[m])
		i = m
	}
	h.set(i, it)
}
