package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is a PostgreSQL server of the test's own (initdb and
// postgres on a free loopback port), which the test may hang and resume
// as a stopped host would: the postmaster and every process it started
// (the backends serving the connections already open, the background
// workers) are stopped with SIGSTOP, so connections and the port stay
// open and nothing answers, until SIGCONT.
type PostgresServer struct {
	t      testing.TB
	cmd    *exec.Cmd
	exited chan struct{} // closed when the postmaster has exited
	dsn    string
}

// StartPostgres runs initdb (trust authentication) in a temporary
// directory and the server on a free loopback port, its Unix socket in
// that directory, and waits until it accepts connections; the server is
// stopped (resumed first if hung) and the directory removed when the test
// ends. As root, both run as the postgres OS user, since initdb and
// postgres refuse to run as root. It finds the binaries on PATH, then in
// the newest /usr/lib/postgresql/*/bin (Debian and Ubuntu), and skips the
// test when there are none.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	initdb, postgres, ok := postgresBinaries()
	if !ok {
		t.Skip("initdb and postgres are not installed (neither on PATH nor in /usr/lib/postgresql/*/bin)")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("StartPostgres finds the postmaster's children in /proc, which this system lacks")
	}
	cred := postgresCredential(t)

	// Not t.TempDir: its parent is private to the test's user, which the
	// postgres user could not enter, and its long path would not fit a
	// Unix socket's name (107 bytes).
	dir, err := os.MkdirTemp("", "sessiond-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatalf("give %s to the postgres user: %v", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	attr := &syscall.SysProcAttr{Credential: cred}

	mk := exec.Command(initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	mk.Dir, mk.SysProcAttr = dir, attr
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}

	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the server has its own copy
	port := freePort(t)
	cmd := exec.Command(postgres, "-D", data, "-p", strconv.Itoa(port), "-h", "127.0.0.1", "-k", dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.Dir, cmd.SysProcAttr = dir, attr
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	s := &PostgresServer{
		t: t, cmd: cmd, exited: make(chan struct{}),
		dsn: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
	}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.shutdown)

	log := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	deadline := time.Now().Add(30 * time.Second)
	for !s.answers() {
		select {
		case <-s.exited:
			t.Fatalf("postgres exited on start:\n%s", log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres on 127.0.0.1:%d does not accept connections:\n%s", port, log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// DSN is a postgres:// URL of the server's postgres database, as the
// superuser postgres.
func (s *PostgresServer) DSN() string { return s.dsn }

// Hang stops the postmaster, then every process it started, with SIGSTOP,
// and returns once all of them are stopped. The postmaster goes first, so
// it cannot start a process that is not stopped. Its children are found
// by their parent in /proc, not by process group: each one makes itself
// the leader of a group (and session) of its own as it starts.
func (s *PostgresServer) Hang() {
	s.t.Helper()
	pid := s.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		s.t.Fatalf("SIGSTOP postgres: %v", err)
	}
	if err := waitStopped(pid); err != nil {
		s.t.Fatal(err)
	}
	for _, c := range descendants(pid) {
		if err := syscall.Kill(c, syscall.SIGSTOP); err != nil && !errors.Is(err, syscall.ESRCH) {
			s.t.Fatalf("SIGSTOP postgres child %d: %v", c, err)
		}
		if err := waitStopped(c); err != nil {
			s.t.Fatal(err)
		}
	}
}

// Resume lets the postmaster's children, then the postmaster, run again
// (SIGCONT). It does nothing to a server that does not hang.
func (s *PostgresServer) Resume() {
	s.t.Helper()
	if err := s.cont(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *PostgresServer) cont() error {
	pid := s.cmd.Process.Pid
	for _, c := range descendants(pid) {
		if err := syscall.Kill(c, syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("SIGCONT postgres child %d: %w", c, err)
		}
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGCONT postgres: %w", err)
	}
	return nil
}

// shutdown resumes the server and asks for an immediate shutdown
// (SIGQUIT: the postmaster ends its children and exits); after 10 s it
// kills them all.
func (s *PostgresServer) shutdown() {
	pid := s.cmd.Process.Pid
	s.cont()
	syscall.Kill(pid, syscall.SIGQUIT)
	select {
	case <-s.exited:
		return
	case <-time.After(10 * time.Second):
	}
	for _, c := range descendants(pid) {
		syscall.Kill(c, syscall.SIGKILL)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	<-s.exited
}

// answers reports whether the server accepts a connection and a query
// within a second.
func (s *PostgresServer) answers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return false
	}
	defer c.Close(ctx)
	return c.Ping(ctx) == nil
}

// postgresBinaries returns the paths of initdb and postgres, from PATH or
// the newest /usr/lib/postgresql/<version>/bin.
func postgresBinaries() (initdb, postgres string, ok bool) {
	if p, err := exec.LookPath("postgres"); err == nil {
		if i, err := exec.LookPath("initdb"); err == nil {
			return i, p, true
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(version(b), version(a)) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "postgres")
		if executable(i) && executable(p) {
			return i, p, true
		}
	}
	return "", "", false
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// postgresCredential returns nil unless the test runs as root, and then
// the postgres OS user's IDs, to run initdb and postgres as.
func postgresCredential(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root, StartPostgres runs PostgreSQL as the postgres OS user (it refuses root): %v", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		t.Fatalf("postgres OS user: uid %q, gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// descendants returns the IDs of every living process below pid, parents
// before their children, from /proc/<pid>/stat.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procStat(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, children[p]...)
		queue = append(queue, children[p]...)
	}
	return out
}

// procStat returns a process's state letter and parent from
// /proc/<pid>/stat; ok is false when it is gone.
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0][0], ppid, err == nil
}

// waitStopped returns once pid is stopped or gone, or an error after 10 s
// (a signal is delivered at once; the bound only keeps a broken system
// from hanging the test).
func waitStopped(pid int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		state, _, ok := procStat(pid)
		if !ok || state == 'T' || state == 'Z' || state == 'X' {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres process %d is still %q 10 s after SIGSTOP", pid, state)
		}
		time.Sleep(time.Millisecond)
	}
}
