package argon2

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"

	upstream "golang.org/x/crypto/argon2"
)

// dirty fills m's kept memory with noise, as an earlier hash leaves it.
func dirty(m *Memory, r *rand.Rand) {
	for i := range m.blocks[:cap(m.blocks)] {
		for j := range m.blocks[:cap(m.blocks)][i] {
			m.blocks[:cap(m.blocks)][i][j] = r.Uint64()
		}
	}
}

// The copy derives the same keys as golang.org/x/crypto/argon2, whose
// lanes run on goroutines of their own, for random passwords, salts and
// parameters of one to four lanes (upstream rounds memory the same way),
// with fresh memory and with memory kept from earlier hashes, noise in it,
// both smaller and larger than the hash needs.
func TestIDKeyMatchesUpstream(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kept := &Memory{Keep: 400}
	bytesOf := func(max int) []byte {
		b := make([]byte, r.IntN(max+1))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := range n {
		pw, salt := bytesOf(80), bytesOf(32)
		threads := uint8(1 + i%4)
		time := uint32(1 + r.IntN(3))
		memory := uint32(r.IntN(600)) // below 8*threads too: rounded up alike
		keyLen := uint32(1 + r.IntN(100))
		want := upstream.IDKey(pw, salt, time, memory, threads, keyLen)
		if got := IDKey(pw, salt, time, memory, threads, keyLen); !bytes.Equal(got, want) {
			t.Fatalf("t=%d m=%d p=%d len=%d pw=%x salt=%x: got %x, want %x", time, memory, threads, keyLen, pw, salt, got, want)
		}
		if got := kept.IDKey(pw, salt, time, memory, threads, keyLen); !bytes.Equal(got, want) {
			t.Fatalf("kept memory: t=%d m=%d p=%d len=%d pw=%x salt=%x: got %x, want %x", time, memory, threads, keyLen, pw, salt, got, want)
		}
		dirty(kept, r)
	}
	if cap(kept.blocks) == 0 || cap(kept.blocks) > 400 {
		t.Fatalf("kept %d blocks, want some and at most Keep (400)", cap(kept.blocks))
	}
	// sessiond's default cost, twice on the same memory.
	m := &Memory{Keep: 19 * 1024}
	for range 2 {
		pw, salt := []byte("correct horse battery staple"), bytesOf(16)
		if got, want := m.IDKey(pw, salt, 2, 19*1024, 1, 32), upstream.IDKey(pw, salt, 2, 19*1024, 1, 32); !bytes.Equal(got, want) {
			t.Fatalf("default cost: got %x, want %x", got, want)
		}
		dirty(m, r)
	}
}

// Hashes on kept memory allocate no working memory.
func TestMemoryKept(t *testing.T) {
	m := &Memory{Keep: 4096}
	m.IDKey([]byte("password"), []byte("somesalt"), 1, 4096, 1, 32)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	m.IDKey([]byte("password"), []byte("somesalt"), 1, 4096, 1, 32)
	runtime.ReadMemStats(&ms)
	if grew := ms.TotalAlloc - before; grew >= 4096*1024 {
		t.Fatalf("a hash on kept memory allocated %d bytes", grew)
	}
}

// A hash runs on the calling goroutine alone: it starts none (upstream
// starts one per lane and segment).
func TestIDKeyStartsNoGoroutine(t *testing.T) {
	goroutines := runtime.NumGoroutine
	before := goroutines()
	stop := make(chan struct{})
	peak := make(chan int)
	go func() {
		most := 0
		for {
			select {
			case <-stop:
				peak <- most
				return
			default:
				most = max(most, goroutines())
			}
		}
	}()
	for range 20 {
		IDKey([]byte("password"), []byte("somesalt"), 3, 4096, 4, 32)
	}
	close(stop)
	// before, plus the watcher itself.
	if got := <-peak; got > before+1 {
		t.Fatalf("%d goroutines while hashing, want at most %d", got, before+1)
	}
}

func BenchmarkIDKey(b *testing.B) {
	pw, salt := []byte("password"), []byte("somesaltsomesalt")
	b.Run("copy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			IDKey(pw, salt, 2, 19*1024, 1, 32)
		}
	})
	b.Run("kept", func(b *testing.B) {
		m := &Memory{Keep: 19 * 1024}
		b.ReportAllocs()
		for b.Loop() {
			m.IDKey(pw, salt, 2, 19*1024, 1, 32)
		}
	})
	b.Run("upstream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			upstream.IDKey(pw, salt, 2, 19*1024, 1, 32)
		}
	})
}
