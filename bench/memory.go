package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
)

// population is the users that mass sessions belong to, each with one IP
// address and one of a few dozen User-Agents, as real clients would.
type population struct {
	users   []*auth.User
	clients []auth.Client
}

func newPopulation(n int) *population {
	p := &population{users: make([]*auth.User, n), clients: make([]auth.Client, n)}
	agents := make([]string, 50)
	for i := range agents {
		agents[i] = fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", 100+i)
	}
	for i := range p.users {
		p.users[i] = &auth.User{ID: auth.NewID(), TenantID: auth.DefaultTenantID, Name: "u" + strconv.Itoa(i), State: auth.StateActive}
		p.clients[i] = auth.Client{IP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), UserAgent: agents[i%len(agents)]}
	}
	return p
}

// fill puts n sessions spread evenly over the population into st, each
// lasting length(i) from now().
func (p *population) fill(ctx context.Context, st auth.SessionStore, now func() time.Time, n int, length func(i int) time.Duration) error {
	for i := range n {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		k := i % len(p.users)
		if _, err := seedSession(ctx, st, p.users[k], auth.OriginInflux, p.clients[k], auth.InfluxTokenFormat, now(), length(i)); err != nil {
			return err
		}
	}
	return nil
}

// settle collects garbage, returns freed memory to the OS and reads the
// live heap and the resident set.
func settle() (heap, rss uint64) {
	runtime.GC()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, residentBytes()
}

// residentBytes reads VmRSS from /proc/self/status (0 where there is none).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cheapHash is for services that never hash a password.
var cheapHash = auth.Argon2Params{MemoryKiB: 8, Time: 1, Threads: 1}

// figure4 is memory per live session in the memory store, and the cost of
// listing and revoking one user's sessions, at -sessions sessions of
// -users users.
func (b *bench) figure4(ctx context.Context) error {
	n, users := b.o.sessions, b.o.users
	pop := newPopulation(users)
	st := memstore.New(time.Now, 0)
	defer st.Close()
	svc := auth.NewService(auth.Config{Sessions: st, Hasher: auth.NewHasher(cheapHash, 1, 1)})
	heap0, rss0 := settle()
	t0 := time.Now()
	if err := pop.fill(ctx, st, time.Now, n, func(int) time.Duration { return time.Hour }); err != nil {
		return err
	}
	fill := time.Since(t0)
	heap1, rss1 := settle()
	if c, _ := svc.CountSessions(ctx); c != n {
		return fmt.Errorf("store holds %d sessions, want %d", c, n)
	}
	perHeap := float64(int64(heap1)-int64(heap0)) / float64(n)
	perRSS := float64(int64(rss1)-int64(rss0)) / float64(n)
	logf("%d sessions of %d users in %s: heap +%d MiB (%.0f B/session), RSS +%d MiB (%.0f B/session)",
		n, users, fill.Round(time.Millisecond), (int64(heap1)-int64(heap0))>>20, perHeap, (int64(rss1)-int64(rss0))>>20, perRSS)
	size := fmt.Sprintf("%d sessions of %d users", n, users)
	b.rep.add(&Figure{Figure: 4, Key: "4.memory.heap_per_session", Name: "live heap per session, indexes included (" + size + ")", Unit: "B",
		Value: perHeap, Reference: 400, ReferenceName: "budget", target: atMost(1),
		Note: fmt.Sprintf("filled in %s straight into memstore (one IP per user, 50 User-Agents)", fill.Round(time.Millisecond))})
	b.rep.add(&Figure{Figure: 4, Key: "4.memory.rss_per_session", Name: "resident memory per session (" + size + ")", Unit: "B",
		Value: perRSS, Reference: 400, ReferenceName: "budget", target: atMost(1)})

	// One user's sessions: list, then revoke, for a sample of users.
	samples := min(users, 25)
	var list, revoke []time.Duration
	per := 0
	for i := range samples {
		u := pop.users[i*users/samples]
		t := time.Now()
		got, err := svc.UserSessions(ctx, u.TenantID, u.ID)
		list = append(list, time.Since(t))
		if err != nil {
			return err
		}
		per = len(got)
		t = time.Now()
		k, err := svc.RevokeUserSessions(ctx, u.TenantID, u.ID, "")
		revoke = append(revoke, time.Since(t))
		if err != nil {
			return err
		}
		if k != len(got) {
			return fmt.Errorf("revoked %d sessions of a user who had %d", k, len(got))
		}
	}
	slices.Sort(list)
	slices.Sort(revoke)
	for _, x := range []struct {
		what string
		d    []time.Duration
	}{{"list", list}, {"revoke", revoke}} {
		med, worst := x.d[len(x.d)/2], x.d[len(x.d)-1]
		logf("%s one user's %d sessions: median %s, worst %s of %d users", x.what, per, med, worst, len(x.d))
		b.rep.add(&Figure{Figure: 4, Key: "4." + x.what + "_user_sessions", Name: fmt.Sprintf("%s one user's %d sessions at %d", x.what, per, n), Unit: "s",
			Value: secs(med), Reference: secs(time.Millisecond), ReferenceName: "budget", target: atMost(1),
			Note: fmt.Sprintf("median of %d users; worst %s", len(x.d), worst)})
	}
	runtime.KeepAlive(st)
	return nil
}
