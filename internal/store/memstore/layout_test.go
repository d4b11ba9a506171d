package memstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// hasPointers reports whether values of t hold a pointer the garbage
// collector would follow.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}

// What the store holds per session has no pointer: the slabs, the heap
// and the maps by hash and ID are not scanned by the garbage collector.
func TestPerSessionLayoutHasNoPointers(t *testing.T) {
	for _, v := range []any{entry{}, heapItem{}, ref(0)} {
		if hasPointers(reflect.TypeOf(v)) {
			t.Errorf("%T holds a pointer", v)
		}
	}
	if size := reflect.TypeOf(entry{}).Size(); size > 96 {
		t.Errorf("entry is %d bytes, want at most 96", size)
	}
}

// check verifies that every index agrees with every other and with the
// tables' use counts.
func (s *SessionStore) check(t *testing.T) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	live := 0
	for i := range s.slabs {
		live += s.slabs[i].live
		if s.slabs[i].live == 0 && s.slabs[i].e != nil {
			t.Fatalf("slab %d is empty and still holds its array", i)
		}
	}
	if live != len(s.byID) || len(s.expiry) != len(s.byID) {
		t.Fatalf("%d entries in slabs, %d in the heap, %d by ID", live, len(s.expiry), len(s.byID))
	}
	if len(s.byHash)+len(s.overflow) != len(s.byID) {
		t.Fatalf("%d by hash and %d in overflow, %d by ID", len(s.byHash), len(s.overflow), len(s.byID))
	}
	uses := map[uint32]uint32{}
	users := 0
	for id, r := range s.byID {
		e := s.at(r)
		if e.id != id {
			t.Fatalf("ref %d by ID %x holds %x", r, id, e.id)
		}
		if got, ok := s.byHashLookup(e.hash); !ok || got != r {
			t.Fatalf("by hash: %d %v, want %d", got, ok, r)
		}
		if it := s.expiry[e.heapIdx]; it.r != r || it.exp != e.expires {
			t.Fatalf("heap item %d: %+v, want ref %d at %d", e.heapIdx, it, r, e.expires)
		}
		if got := s.users[e.user].list[e.userPos]; got != r {
			t.Fatalf("user list place %d holds %d, want %d", e.userPos, got, r)
		}
		if e.device != 0 && s.devices[e.device] == nil {
			t.Fatalf("ref %d names device %d, which is gone", r, e.device)
		}
		uses[e.ip]++
		uses[e.ua]++
	}
	for k, u := range s.byUser {
		if s.users[u].key != k || len(s.users[u].list) == 0 {
			t.Fatalf("user %v at %d: %+v", k, u, s.users[u])
		}
		users += len(s.users[u].list)
	}
	if users != len(s.byID) {
		t.Fatalf("%d sessions in user lists, %d by ID", users, len(s.byID))
	}
	for i, x := range s.strs[1:] {
		if n := uses[uint32(i+1)]; x.refs != n {
			t.Fatalf("string %q counted %d uses, has %d", x.s, x.refs, n)
		}
	}
	if len(s.strIdx) != len(s.strs)-1-len(s.strFree) {
		t.Fatalf("%d strings indexed, %d held, %d free", len(s.strIdx), len(s.strs)-1, len(s.strFree))
	}
	for i := range s.strs[1:] {
		if s.strs[i+1].refs > 0 && s.strIdx[s.strs[i+1].s] != uint32(i+1) {
			t.Fatalf("string %d not indexed", i+1)
		}
	}
}

// Random creates, renewals, client updates, deletions and sweeps keep the
// indexes in agreement, the tables counted, and give every slab, string,
// device and user back when the sessions have gone.
func TestLayoutRandom(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := base
	s := New(func() time.Time { return now }, 0)
	defer s.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	var ids []string
	var users []string
	for i := range 50 {
		users = append(users, fmt.Sprint("u", i))
	}
	most := 0
	for step := range 60_000 {
		most = max(most, len(s.byID))
		switch op := rng.IntN(100); {
		case op < 55 || len(ids) == 0:
			x := storetest.NewSession("t", users[rng.IntN(len(users))], time.Hour)
			x.CreatedAt, x.LastSeen = now, now
			x.ExpiresAt = now.Add(time.Duration(1+rng.IntN(40_000)) * time.Second)
			x.IP = fmt.Sprintf("10.0.0.%d", rng.IntN(20))
			x.UserAgent = fmt.Sprintf("agent/%d", rng.IntN(5))
			if rng.IntN(4) == 0 {
				x.Device = map[string]string{"x-device-id": fmt.Sprint(step)}
			}
			if err := s.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, x.ID)
		case op < 60:
			i := rng.IntN(len(ids))
			s.DeleteSession(ctx, ids[i]) // it may have expired and gone
			ids = append(ids[:i], ids[i+1:]...)
		case op < 75:
			s.TouchSession(ctx, ids[rng.IntN(len(ids))], now, now.Add(time.Duration(1+rng.IntN(40_000))*time.Second))
		case op < 85:
			c := auth.Client{IP: fmt.Sprintf("10.0.0.%d", rng.IntN(20)), UserAgent: fmt.Sprintf("agent/%d", rng.IntN(5))}
			if rng.IntN(2) == 0 {
				c.Device = map[string]string{"x-platform": "web"}
			}
			s.UpdateSessionClient(ctx, ids[rng.IntN(len(ids))], now, c)
		case op < 99:
			now = now.Add(time.Duration(rng.IntN(4)) * time.Second)
			s.Sweep()
		case rng.IntN(8) == 0: // a user's sessions all at once, seldom
			if _, err := s.DeleteUserSessions(ctx, "t", users[rng.IntN(len(users))], ""); err != nil {
				t.Fatal(err)
			}
		}
		if step%1000 == 0 {
			s.check(t)
		}
	}
	s.check(t)
	if most <= 2*slabSize {
		t.Fatalf("at most %d sessions at once: the test should fill more than two slabs", most)
	}
	now = now.Add(24 * time.Hour)
	for s.Sweep() > 0 {
	}
	s.check(t)
	for i, sl := range s.slabs {
		if sl.e != nil || sl.live != 0 {
			t.Fatalf("slab %d kept after every session went: live %d", i, sl.live)
		}
	}
	if len(s.strIdx) != 0 || len(s.byUser) != 0 || len(s.devices)-1 != len(s.devFree) {
		t.Fatalf("left behind: %d strings, %d users, %d devices", len(s.strIdx), len(s.byUser), len(s.devices)-1-len(s.devFree))
	}
}
