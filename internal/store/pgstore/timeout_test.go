package pgstore_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/pgstore"
)

// TestConnectTimeoutByDefault: a server that accepts connections but never
// answers fails Open within DefaultConnectTimeout (and a bit), not never.
func TestConnectTimeoutByDefault(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	start := time.Now()
	db, err := pgstore.Open(context.Background(), "postgres://postgres@"+ln.Addr().String()+"/test?sslmode=disable", nil)
	if err == nil {
		db.Close()
		t.Fatal("opened a server that never answers")
	}
	if got := auth.ErrorCode(err); got != auth.EUnavailable {
		t.Fatalf("got code %q (%v)", got, err)
	}
	if d := time.Since(start); d > pgstore.DefaultConnectTimeout+2*time.Second {
		t.Fatalf("took %v", d)
	}
}
