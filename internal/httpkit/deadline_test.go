package httpkit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const testTick = 10 * time.Millisecond

// coarsePair is a connection accepted through CoarseDeadlines and the
// client end talking to it.
func coarsePair(t *testing.T) (*coarseListener, *coarseConn, net.Conn) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := CoarseDeadlines(raw, testTick).(*coarseListener)
	t.Cleanup(func() { l.Close() })
	client, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return l, c.(*coarseConn), client
}

// readResult runs one Read on c in the background.
func readResult(c net.Conn) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 16))
		done <- err
	}()
	return done
}

func wantTimeout(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline exceeded error", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v: not a net.Error with Timeout", err)
	}
}

// A future read deadline interrupts a blocked read once passed, and not
// before.
func TestCoarseDeadlineFires(t *testing.T) {
	_, c, _ := coarsePair(t)
	const wait = 50 * time.Millisecond
	start := time.Now()
	c.SetReadDeadline(start.Add(wait))
	select {
	case err := <-readResult(c):
		if since := time.Since(start); since < wait {
			t.Fatalf("read interrupted after %v, before its deadline of %v", since, wait)
		}
		wantTimeout(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the passed read deadline never interrupted the read")
	}
	// In force until changed: a later read fails too.
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the deadline: %v", err)
	}
}

// A deadline in the past interrupts a pending read at once (net/http's
// abortPendingRead waits on it), and clearing it lets reads work again.
func TestCoarsePastDeadlineAtOnce(t *testing.T) {
	l, c, client := coarsePair(t)
	l.Close() // no sweeper: only the setter can interrupt
	done := readResult(c)
	time.Sleep(5 * testTick)
	c.SetReadDeadline(aLongTimeAgo)
	select {
	case err := <-done:
		wantTimeout(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("a past deadline did not interrupt the pending read")
	}
	c.SetReadDeadline(time.Time{})
	if _, err := client.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read after clearing: %q %v", buf, err)
	}
}

// A deadline cleared or moved later before it passes never fires; one
// enforced and then moved later is lifted.
func TestCoarseDeadlineMoved(t *testing.T) {
	_, c, client := coarsePair(t)
	c.SetReadDeadline(time.Now().Add(testTick))
	c.SetReadDeadline(time.Time{})
	c.SetWriteDeadline(time.Now().Add(testTick))
	c.SetWriteDeadline(time.Now().Add(time.Hour))
	time.Sleep(10 * testTick)
	done := readResult(c)
	time.Sleep(5 * testTick)
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("read after a cleared deadline: %v", err)
	}
	if _, err := c.Write([]byte("y")); err != nil {
		t.Fatalf("write before a moved deadline: %v", err)
	}

	c.SetReadDeadline(time.Now().Add(testTick))
	if err := <-readResult(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(time.Hour))
	if _, err := client.Write([]byte("z")); err != nil {
		t.Fatal(err)
	}
	if err := <-readResult(c); err != nil {
		t.Fatalf("read after the enforced deadline moved later: %v", err)
	}
}

// A write deadline interrupts a write blocked on a client that does not
// read.
func TestCoarseWriteDeadline(t *testing.T) {
	_, c, _ := coarsePair(t)
	c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	chunk := make([]byte, 1<<20)
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := c.Write(chunk); err != nil {
				done <- err
				return
			}
		}
	}()
	select {
	case err := <-done:
		wantTimeout(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the write deadline never interrupted the blocked write")
	}
}

// Closed connections leave the sweeper's set; concurrent setters,
// sweeps and closes are safe (run under -race).
func TestCoarseConnsForgotten(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := CoarseDeadlines(raw, time.Millisecond).(*coarseListener)
	defer l.Close()
	var wg sync.WaitGroup
	for range 8 {
		client, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				c.SetReadDeadline(time.Now().Add(time.Duration(i%3) * time.Millisecond))
				c.SetWriteDeadline(time.Time{})
			}
			c.Close()
			c.Close()
		}()
	}
	wg.Wait()
	if n := l.open(); n != 0 {
		t.Fatalf("%d closed connections still swept", n)
	}
}

// Through net/http, the server's timeouts still cut off slow clients: one
// that never finishes its headers, and one idle between requests.
func TestCoarseDeadlinesServeHTTP(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: time.Second,
		WriteTimeout: time.Second, IdleTimeout: 200 * time.Millisecond,
	}
	go srv.Serve(CoarseDeadlines(raw, testTick))
	defer srv.Close()

	closedWithin := func(t *testing.T, c net.Conn, after time.Duration) {
		t.Helper()
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.Copy(io.Discard, c)
		if err != nil {
			t.Fatalf("the server did not close the connection: %v", err)
		}
		if since := time.Since(start); since < after {
			t.Fatalf("closed after %v, before the timeout of %v", since, after)
		}
	}

	t.Run("slow headers", func(t *testing.T) {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // never the blank line
		closedWithin(t, c, 50*time.Millisecond)            // the timeout counts from the connection's start
	})
	t.Run("idle", func(t *testing.T) {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for range 3 { // keep-alive requests work, each renewing the deadlines
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "ok" {
				t.Fatalf("answer %d %q", resp.StatusCode, b)
			}
			time.Sleep(100 * time.Millisecond) // under the idle timeout
		}
		start := time.Now()
		rest, err := io.ReadAll(br)
		if err != nil || strings.TrimSpace(string(rest)) != "" {
			t.Fatalf("idle connection: %q %v", rest, err)
		}
		if since := time.Since(start); since < 50*time.Millisecond {
			t.Fatalf("idle connection closed after %v, 150 ms before its timeout", since)
		}
	})
}
