package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sessiond/sessiond/internal/cli"
)

// openPTY opens a pseudo-terminal: the CLI reads the slave as a person's
// terminal; the test types on the master and reads what the screen shows.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// waitEchoOff waits until the terminal stops echoing: the prompt is
// reading a password.
func waitEchoOff(t *testing.T, slave *os.File) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the prompt never turned echo off")
}

// TestHiddenPrompt: on a terminal, `user create` without --password asks
// twice at a prompt that does not echo, and the password reaches the
// server; it never appears on the screen.
func TestHiddenPrompt(t *testing.T) {
	_, env := newServer(t)
	setUp(t, env)
	master, slave := openPTY(t)
	var screen bytes.Buffer
	var mu sync.Mutex
	go func() {
		b := make([]byte, 1024)
		for {
			n, err := master.Read(b)
			mu.Lock()
			screen.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	const pw = "typed-password-77"
	var out bytes.Buffer
	done := make(chan int)
	go func() {
		done <- cli.Run(context.Background(), []string{"user", "create", "--name", "ivan"},
			cli.Env{Stdout: &out, Stderr: slave, Stdin: slave, Getenv: func(k string) string { return env[k] }})
	}()
	for _, prompt := range []string{"password for ivan: ", "password for ivan again: "} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			seen := strings.Contains(screen.String(), prompt)
			mu.Unlock()
			if seen {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no prompt %q", prompt)
			}
			time.Sleep(5 * time.Millisecond)
		}
		waitEchoOff(t, slave)
		master.Write([]byte(pw + "\r"))
	}
	select {
	case code := <-done:
		if code != 0 {
			mu.Lock()
			t.Fatalf("user create at the prompt: %d; screen %q", code, screen.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("user create did not finish")
	}
	time.Sleep(50 * time.Millisecond) // let the reader copy the last output
	mu.Lock()
	shown := screen.String()
	mu.Unlock()
	if !strings.Contains(shown, "password for ivan: ") || !strings.Contains(shown, "password for ivan again: ") {
		t.Fatalf("no prompts on the screen: %q", shown)
	}
	if strings.Contains(shown, pw) {
		t.Fatalf("the password was echoed: %q", shown)
	}
	if s := signinStatus(t, env["SESSIOND_HOST"], "ivan", pw); s != 204 {
		t.Fatalf("ivan cannot sign in with the typed password: %d", s)
	}
}
