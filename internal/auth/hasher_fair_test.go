package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// waitAdmitted returns once the pool holds n requests of client key.
func waitAdmitted(t *testing.T, h *auth.Hasher, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for auth.Admitted(h, key) != n {
		if time.Now().After(deadline) {
			t.Fatalf("client %q: %d requests admitted, want %d", key, auth.Admitted(h, key), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// One client may hold only its share of the queue: past it, its own
// requests are refused while another client's are admitted.
func TestHasherShareRefusesOneClientOnly(t *testing.T) {
	h := auth.NewHasher(fastArgon2, 1, 16) // a share of max(1, 16/8) = 2
	done := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := auth.VerifyFor(h, context.Background(), "flood", slowHash, "pw")
			done <- err
		}()
	}
	waitAdmitted(t, h, "flood", 2)
	if _, err := auth.VerifyFor(h, context.Background(), "flood", slowHash, "pw"); !errors.Is(err, auth.ErrHashQueueFull) {
		t.Fatalf("a third request of the flooding client: got %v, want ErrHashQueueFull", err)
	}
	ok, err := auth.VerifyFor(h, context.Background(), "other", slowHash, "pw")
	if err != nil || ok {
		t.Fatalf("another client's request: got %v %v, want a completed mismatch", ok, err)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// A free worker goes to the waiting clients in turn: a request of a
// second client runs after at most one more of the flooding client's,
// however many of those wait, where first come, first served would put
// it last.
func TestHasherTakesClientsInTurn(t *testing.T) {
	const flood = 6
	h := auth.NewHasher(fastArgon2, 1, 64) // a share of 8
	order := make(chan string, flood+1)
	run := func(key string) {
		if _, err := auth.VerifyFor(h, context.Background(), key, slowHash, "pw"); err != nil {
			t.Error(err)
		}
		order <- key
	}
	for i := range flood {
		go run("flood")
		waitAdmitted(t, h, "flood", i+1) // in this order
	}
	go run("good")
	waitAdmitted(t, h, "good", 1)
	pos := 0
	for i := range flood + 1 {
		if <-order == "good" {
			pos = i + 1
		}
	}
	if pos == 0 || pos > 3 {
		t.Fatalf("the second client's request finished at position %d of %d, want within the first 3", pos, flood+1)
	}
}

// A refused request takes no place in the queue, but its answer waits
// for the pause (an hour here) or the end of its context, so that a
// client asking again at once does not spin.
func TestHasherRefusalWaits(t *testing.T) {
	h := auth.NewHasher(fastArgon2, 1, 16) // a share of 2
	auth.SetRefusePause(h, time.Hour)
	// Slower than slowHash: the two must outlast the probe's 100 ms.
	slower := strings.Replace(slowHash, "m=16384,t=8", "m=32768,t=12", 1)
	done := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := auth.VerifyFor(h, context.Background(), "flood", slower, "pw")
			done <- err
		}()
	}
	waitAdmitted(t, h, "flood", 2)
	ctx, cancel := context.WithCancel(context.Background())
	refused := make(chan error, 1)
	go func() {
		_, err := auth.VerifyFor(h, ctx, "flood", slowHash, "pw")
		refused <- err
	}()
	select {
	case err := <-refused:
		t.Fatalf("the refusal was answered before its pause or its context ended: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if got := auth.Admitted(h, "flood"); got > 2 {
		t.Fatalf("a pausing refusal holds a place: %d admitted, want at most 2", got)
	}
	cancel()
	if err := <-refused; !errors.Is(err, auth.ErrHashQueueFull) {
		t.Fatalf("got %v, want ErrHashQueueFull", err)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
