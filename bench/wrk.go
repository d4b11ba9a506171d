package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// wrkGen drives load with wrk: a Lua script prepares one request per
// header set and hands them out in turn, and its done() hook prints the
// counts and percentiles on one line that Run parses.
type wrkGen struct {
	path    string
	version string
	threads int
	dir     string // where scripts are written
}

// findWrk returns a wrk generator, or nil when wrk is not installed.
func findWrk(threads int, dir string) *wrkGen {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return nil
	}
	out, _ := exec.Command(p, "--version").CombinedOutput()
	v := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	if f := strings.Fields(v); len(f) >= 2 {
		v = f[0] + " " + f[1]
	}
	return &wrkGen{path: p, version: v, threads: threads, dir: dir}
}

func (g *wrkGen) Name() string {
	return fmt.Sprintf("%s (-t %d, Lua script per request)", g.version, g.threads)
}

const resultTag = "SESSIOND-BENCH"

func (g *wrkGen) Run(ctx context.Context, l Load) (Result, error) {
	if !strings.HasPrefix(l.Base, "http://127.0.0.1:") {
		return Result{}, fmt.Errorf("refusing non-loopback target %s", l.Base)
	}
	script, err := os.CreateTemp(g.dir, "load-*.lua")
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(luaScript(l)); err != nil {
		script.Close()
		return Result{}, err
	}
	script.Close()
	threads := min(g.threads, l.Conns)
	secs := max(1, int((l.Duration+time.Second/2)/time.Second))
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(l.Conns), "-d", strconv.Itoa(secs) + "s",
		"--timeout", "10s", "-s", script.Name(), l.Base + l.Path}
	// wrk stops itself after -d; the context bounds it too.
	cctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, g.path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("wrk: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 10 || f[0] != resultTag {
			continue
		}
		n := make([]int64, 9)
		for i := range n {
			x, err := strconv.ParseFloat(f[i+1], 64)
			if err != nil {
				return Result{}, fmt.Errorf("wrk output %q: %v", sc.Text(), err)
			}
			n[i] = int64(x)
		}
		return Result{
			Requests: n[0], Elapsed: time.Duration(n[1]) * time.Microsecond,
			Errors: n[2] + n[3] + n[4] + n[6], Non2xx: n[5],
			P50: time.Duration(n[7]) * time.Microsecond, P99: time.Duration(n[8]) * time.Microsecond,
		}, nil
	}
	return Result{}, fmt.Errorf("wrk printed no result: %s", strings.TrimSpace(stdout.String()))
}

// luaScript writes the wrk script for l.
func luaScript(l Load) string {
	var b strings.Builder
	b.WriteString("local reqs = {}\nlocal n = 0\nlocal i = 0\n")
	b.WriteString("init = function(args)\n")
	host := strings.TrimPrefix(l.Base, "http://")
	for _, set := range l.Headers {
		h := map[string]string{"Host": host}
		for k, v := range set {
			h[k] = v
		}
		keys := make([]string, 0, len(h))
		for k := range h {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("  n = n + 1\n  reqs[n] = wrk.format(" + luaQuote(l.Method) + ", " + luaQuote(l.Path) + ", {")
		for _, k := range keys {
			b.WriteString("[" + luaQuote(k) + "] = " + luaQuote(h[k]) + ", ")
		}
		b.WriteString("}, ")
		if l.Body != "" {
			b.WriteString(luaQuote(l.Body))
		} else {
			b.WriteString("nil")
		}
		b.WriteString(")\n")
	}
	b.WriteString("end\n")
	b.WriteString("request = function()\n  i = i % n + 1\n  return reqs[i]\nend\n")
	fmt.Fprintf(&b, `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("%s %%d %%d %%d %%d %%d %%d %%d %%d %%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`, resultTag)
	return b.String()
}

// luaQuote writes s as a Lua string literal.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// scriptDir makes a private directory for wrk scripts.
func scriptDir() (string, error) {
	return os.MkdirTemp("", "sessiond-bench-")
}
