// Package memstore keeps sessions in memory: the default, as in InfluxDB,
// where sessions end at expiry and at restart.
//
// Sessions are held in a compact form free of pointers (times as
// integers, the public ID as bytes, the user, IP, User-Agent and origin
// as numbers into tables of their own, repeated strings shared), in slabs
// of 4,096, and referred to by number from three indexes: by token hash
// (keyed by its first 8 bytes), by ID and by user. None of the slabs, the
// two maps by hash and ID or the expiry heap holds a pointer, so the
// garbage collector marks a few thousand objects however many sessions
// there are, rather than every session at every collection (BenchmarkGC:
// with a million sessions, 0.06 s of CPU per collection, against half a
// second when each session was an object of its own). A min-heap of expiry times lets a janitor drop expired
// sessions in small batches, so neither a request nor the janitor ever
// walks every session while holding the lock, and a slab whose sessions
// have all gone is given back. go run ./bench -only 4 measures the live
// heap a session takes.
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
	list []ref
}

// ref names an entry: its slab (the high bits) and its place in the slab.
type ref uint32

const (
	slabBits = 12
	slabSize = 1 << slabBits
)

// entry is one session, 96 bytes, without a pointer. Its fields are
// ordered so that little is lost to padding.
type entry struct {
	hash     auth.Hash
	created  int64 // Unix nanoseconds
	expires  int64
	lastSeen int64
	id       [8]byte
	user     uint32 // in SessionStore.users
	ip       uint32 // in SessionStore.strs (0: "")
	ua       uint32 // in SessionStore.strs (0: "")
	device   uint32 // in SessionStore.devices (0: none)
	heapIdx  int32
	userPos  int32
	origin   uint8 // in SessionStore.origins
}

// slab holds slabSize entries. Its array goes when its last entry does,
// and comes back when it is next used.
type slab struct {
	e    *[slabSize]entry
	free []uint16 // places given back
	next int      // places from next on were never used
	live int
	open bool // in SessionStore.open: it has room
}

// interned is a shared IP or User-Agent string and how many sessions use it.
type interned struct {
	s    string
	refs uint32
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
	slabs    []slab
	open     []uint32          // slabs with room, the last tried first
	byHash   map[uint64]ref    // by hashKey
	overflow map[auth.Hash]ref // entries whose hashKey another entry holds in byHash
	byID     map[[8]byte]ref
	byUser   map[userKey]uint32 // in users
	users    []userSessions
	userFree []uint32
	expiry   []heapItem // a 4-ary min-heap (heap.go)
	strs     []interned // strs[0] is ""
	strIdx   map[string]uint32
	strFree  []uint32
	devices  []map[string]string // devices[0] is unused
	devFree  []uint32
	origins  []auth.Origin // entry.origin indexes this
	now      func() time.Time

	stop chan struct{}
	done chan struct{}
}

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
		byHash: map[uint64]ref{}, overflow: map[auth.Hash]ref{}, byID: map[[8]byte]ref{}, byUser: map[userKey]uint32{},
		strs: []interned{{}}, strIdx: map[string]uint32{}, devices: []map[string]string{nil},
		now: now, stop: make(chan struct{}), done: make(chan struct{}),
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
		s.remove(s.expiry[0].r)
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

// at returns the entry r names. Callers hold the lock; the pointer is good
// until the entry is removed.
func (s *SessionStore) at(r ref) *entry {
	return &s.slabs[r>>slabBits].e[r&(slabSize-1)]
}

// alloc takes a free place for an entry. Callers hold the write lock.
func (s *SessionStore) alloc() ref {
	for len(s.open) > 0 {
		i := s.open[len(s.open)-1]
		sl := &s.slabs[i]
		var j int
		switch {
		case len(sl.free) > 0:
			j = int(sl.free[len(sl.free)-1])
			sl.free = sl.free[:len(sl.free)-1]
		case sl.next < slabSize:
			j = sl.next
			sl.next++
		default:
			sl.open = false
			s.open = s.open[:len(s.open)-1]
			continue
		}
		if sl.e == nil {
			sl.e = new([slabSize]entry)
		}
		sl.live++
		return ref(int(i)<<slabBits | j)
	}
	s.slabs = append(s.slabs, slab{open: true})
	s.open = append(s.open, uint32(len(s.slabs)-1))
	return s.alloc()
}

// release gives r's place back, and its slab's memory when it was the
// slab's last entry. Callers hold the write lock.
func (s *SessionStore) release(r ref) {
	i, j := uint32(r>>slabBits), uint16(r&(slabSize-1))
	sl := &s.slabs[i]
	sl.e[j] = entry{}
	sl.live--
	if sl.live == 0 {
		sl.e, sl.free, sl.next = nil, nil, 0
	} else {
		sl.free = append(sl.free, j)
	}
	if !sl.open {
		sl.open = true
		s.open = append(s.open, i)
	}
}

// intern returns the number of v in the string table, counting one more
// use. Callers hold the write lock.
func (s *SessionStore) intern(v string) uint32 {
	if v == "" {
		return 0
	}
	if i, ok := s.strIdx[v]; ok {
		s.strs[i].refs++
		return i
	}
	var i uint32
	if n := len(s.strFree); n > 0 {
		i = s.strFree[n-1]
		s.strFree = s.strFree[:n-1]
	} else {
		i = uint32(len(s.strs))
		s.strs = append(s.strs, interned{})
	}
	s.strs[i] = interned{s: v, refs: 1}
	s.strIdx[v] = i
	return i
}

// unintern counts one use of string i fewer, dropping it after its last.
func (s *SessionStore) unintern(i uint32) {
	if i == 0 {
		return
	}
	x := &s.strs[i]
	if x.refs--; x.refs == 0 {
		delete(s.strIdx, x.s)
		*x = interned{}
		s.strFree = append(s.strFree, i)
	}
}

// setDevice stores a copy of m (none when nil) and returns its number.
func (s *SessionStore) setDevice(m map[string]string) uint32 {
	if m == nil {
		return 0
	}
	m = maps.Clone(m)
	if n := len(s.devFree); n > 0 {
		i := s.devFree[n-1]
		s.devFree = s.devFree[:n-1]
		s.devices[i] = m
		return i
	}
	s.devices = append(s.devices, m)
	return uint32(len(s.devices) - 1)
}

func (s *SessionStore) dropDevice(i uint32) {
	if i != 0 {
		s.devices[i] = nil
		s.devFree = append(s.devFree, i)
	}
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
func (s *SessionStore) byHashLookup(h auth.Hash) (ref, bool) {
	if r, ok := s.byHash[hashKey(h)]; ok && s.at(r).hash == h {
		return r, true
	}
	if len(s.overflow) == 0 {
		return 0, false
	}
	r, ok := s.overflow[h]
	return r, ok
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
	if _, dup := s.byHashLookup(in.TokenHash); dup {
		return auth.Errorf(auth.EConflict, "session exists")
	}
	origin, ok := s.originIndex(in.Origin)
	if !ok {
		return auth.Errorf(auth.EInvalid, "too many session origins")
	}
	k := userKey{in.TenantID, in.UserID}
	u, ok := s.byUser[k]
	if !ok {
		if n := len(s.userFree); n > 0 {
			u = s.userFree[n-1]
			s.userFree = s.userFree[:n-1]
		} else {
			u = uint32(len(s.users))
			s.users = append(s.users, userSessions{})
		}
		s.users[u].key = k
		s.byUser[k] = u
	}
	us := &s.users[u]
	r := s.alloc()
	*s.at(r) = entry{
		hash: in.TokenHash, id: id, user: u, origin: origin,
		created: in.CreatedAt.UnixNano(), expires: in.ExpiresAt.UnixNano(), lastSeen: in.LastSeen.UnixNano(),
		ip: s.intern(in.IP), ua: s.intern(in.UserAgent), device: s.setDevice(in.Device),
		userPos: int32(len(us.list)),
	}
	us.list = append(us.list, r)
	if hk := hashKey(in.TokenHash); !s.hasKey(hk) {
		s.byHash[hk] = r
	} else {
		s.overflow[in.TokenHash] = r
	}
	s.byID[id] = r
	s.push(r)
	return nil
}

func (s *SessionStore) hasKey(hk uint64) bool {
	_, ok := s.byHash[hk]
	return ok
}

// remove drops r from every index and gives its place back. Callers hold
// the write lock.
func (s *SessionStore) remove(r ref) {
	e := s.at(r)
	if o, ok := s.overflow[e.hash]; ok && o == r { // a lookup only when there is an overflow
		delete(s.overflow, e.hash)
	} else {
		delete(s.byHash, hashKey(e.hash))
	}
	delete(s.byID, e.id)
	s.heapRemove(int(e.heapIdx))
	us := &s.users[e.user]
	last := len(us.list) - 1
	moved := us.list[last]
	us.list[e.userPos] = moved
	s.at(moved).userPos = e.userPos
	us.list = us.list[:last]
	if len(us.list) == 0 {
		delete(s.byUser, us.key)
		*us = userSessions{}
		s.userFree = append(s.userFree, e.user)
	} else if cap(us.list) > 16 && len(us.list) < cap(us.list)/4 {
		us.list = slices.Clip(us.list)
	}
	s.unintern(e.ip)
	s.unintern(e.ua)
	s.dropDevice(e.device)
	s.release(r)
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
	k := s.users[e.user].key
	b.s = auth.Session{
		// The string shares b's memory, which is never written again.
		ID: unsafe.String(&b.id[0], len(b.id)), TokenHash: e.hash, UserID: k.user, TenantID: k.tenant,
		Origin: s.origins[e.origin], CreatedAt: time.Unix(0, e.created).UTC(), ExpiresAt: time.Unix(0, e.expires).UTC(),
		// The device map is copied in when stored and never changed after
		// (UpdateSessionClient replaces it): sessions read share it.
		LastSeen: time.Unix(0, e.lastSeen).UTC(), IP: s.strs[e.ip].s, UserAgent: s.strs[e.ua].s, Device: s.devices[e.device],
	}
	return &b.s
}

// session returns e as a new Session. Callers hold the lock.
func (s *SessionStore) session(e *entry) *auth.Session { return s.fill(new(sessionBox), e) }

func (s *SessionStore) live(e *entry) bool { return e.expires > s.now().UnixNano() }

// SessionByTokenHash implements auth.SessionStore. An expired session met
// here is dropped at once rather than left for the janitor.
func (s *SessionStore) SessionByTokenHash(_ context.Context, h auth.Hash) (*auth.Session, error) {
	s.mu.RLock()
	r, ok := s.byHashLookup(h)
	if !ok {
		s.mu.RUnlock()
		return nil, auth.ErrSessionNotFound
	}
	e := s.at(r)
	if s.live(e) {
		out := s.session(e)
		s.mu.RUnlock()
		return out, nil
	}
	id := e.id
	s.mu.RUnlock()
	s.dropExpired(r, id)
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
	r, ok := s.byID[b]
	if !ok {
		s.mu.RUnlock()
		return nil, auth.ErrSessionNotFound
	}
	if e := s.at(r); s.live(e) {
		out := s.session(e)
		s.mu.RUnlock()
		return out, nil
	}
	s.mu.RUnlock()
	s.dropExpired(r, b)
	return nil, auth.ErrSessionNotFound
}

// dropExpired removes the session of ID id at r if it is still stored
// there and has expired, for a lookup that met it.
func (s *SessionStore) dropExpired(r ref, id [8]byte) {
	s.mu.Lock()
	if cur, ok := s.byID[id]; ok && cur == r && !s.live(s.at(r)) {
		s.remove(r)
	}
	s.mu.Unlock()
}

// liveByID returns the live entry of ID id. Callers hold the lock.
func (s *SessionStore) liveByID(id string) *entry {
	b, ok := parseID(id)
	if !ok {
		return nil
	}
	r, ok := s.byID[b]
	if !ok {
		return nil
	}
	if e := s.at(r); s.live(e) {
		return e
	}
	return nil
}

// TouchSession implements auth.SessionStore.
func (s *SessionStore) TouchSession(_ context.Context, id string, lastSeen, expiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.liveByID(id)
	if e == nil {
		return auth.ErrSessionNotFound
	}
	e.lastSeen = lastSeen.UnixNano()
	if exp := expiresAt.UnixNano(); exp != e.expires {
		e.expires = exp
		i := int(e.heapIdx)
		s.fix(i, heapItem{exp, s.expiry[i].r})
	}
	return nil
}

// UpdateSessionClient implements auth.SessionStore.
func (s *SessionStore) UpdateSessionClient(_ context.Context, id string, seen time.Time, c auth.Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.liveByID(id)
	if e == nil {
		return auth.ErrSessionNotFound
	}
	e.lastSeen = seen.UnixNano()
	ip, ua := s.intern(c.IP), s.intern(c.UserAgent) // before the old ones go, which may be the same
	s.unintern(e.ip)
	s.unintern(e.ua)
	s.dropDevice(e.device)
	e.ip, e.ua, e.device = ip, ua, s.setDevice(c.Device)
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
	r, ok := s.byID[b]
	if !ok {
		return auth.ErrSessionNotFound
	}
	s.remove(r)
	return nil
}

// UserSessions implements auth.SessionStore.
func (s *SessionStore) UserSessions(_ context.Context, tenantID, userID string) ([]*auth.Session, error) {
	s.mu.RLock()
	var out []*auth.Session
	if u, ok := s.byUser[userKey{tenantID, userID}]; ok {
		list := s.users[u].list
		out = make([]*auth.Session, 0, len(list))
		boxes := make([]sessionBox, len(list))
		for _, r := range list {
			if e := s.at(r); s.live(e) {
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
	if u, ok := s.byUser[userKey{tenantID, userID}]; ok {
		return len(s.users[u].list), nil
	}
	return 0, nil
}

// DeleteUserSessions implements auth.SessionStore.
func (s *SessionStore) DeleteUserSessions(_ context.Context, tenantID, userID, except string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byUser[userKey{tenantID, userID}]
	if !ok {
		return 0, nil
	}
	keep, _ := parseID(except)
	n := 0
	// Removing swaps the list's last entry into the removed one's place,
	// so walking from the end meets each entry once. The user's slot is
	// cleared with its last session, and no other user takes it meanwhile.
	for i := len(s.users[u].list) - 1; i >= 0; i-- {
		list := s.users[u].list
		if i >= len(list) {
			continue
		}
		r := list[i]
		e := s.at(r)
		if except != "" && e.id == keep {
			continue
		}
		if s.live(e) {
			n++
		}
		s.remove(r)
	}
	return n, nil
}

// ListSessions implements auth.SessionStore. It walks every session: it is
// for administrators, never on a request's hot path.
func (s *SessionStore) ListSessions(_ context.Context, f auth.SessionFilter) ([]*auth.Session, error) {
	s.mu.RLock()
	var out []*auth.Session
	for _, r := range s.byID {
		e := s.at(r)
		if f.TenantID != "" && s.users[e.user].key.tenant != f.TenantID || !s.live(e) {
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
