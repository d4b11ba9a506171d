// Command bench measures sessiond against the machine's own limits, as
// issue 7 asks: each figure is a ratio to a reference measured in the same
// run (a bare net/http server, the raw argon2id rate, idle latency) or to
// a fixed budget (bytes per session, milliseconds).
//
//	go run ./bench              # the full run (a few minutes)
//	go run ./bench -quick       # tiny sizes and durations, for CI
//
// It starts sessiond in this process on 127.0.0.1:0 with the default
// configuration (embedded SQLite, memory session store, production
// argon2id) and drives it with wrk when installed, else with a built-in
// keep-alive client. It prints a table and writes the figures as JSON.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sessiond/sessiond/internal/config"
)

// options are the command line.
type options struct {
	quick       bool
	rounds      int
	out         string
	duration    time.Duration // one load run
	expiryRun   time.Duration // figure 5's run, while the minute of expiries passes
	warmup      time.Duration
	conns       int
	threads     int // wrk threads
	generator   string
	sessions    int // figures 4 and 5
	users       int
	tokens      int // credentials per dialect in figure 1
	only        map[int]bool
	dialects    map[string]bool // figure 1's dialects (all when empty)
	cpuProfile  string
	hashWorkers int // sessiond's --hash-workers (0: its default, one per CPU)
	hashNice    int // sessiond's --hash-nice (-1: its default)
}

// tune sets the sessiond options the command line chose.
func (o *options) tune(c *config.Config) {
	if o.hashWorkers > 0 {
		c.HashWorkers = o.hashWorkers
	}
	if o.hashNice >= 0 {
		c.HashNice = o.hashNice
	}
}

func (o *options) want(fig int) bool { return len(o.only) == 0 || o.only[fig] }

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.BoolVar(&o.quick, "quick", false, "tiny sizes and durations (whole run under a minute); for CI, figures mean little")
	fs.StringVar(&o.out, "out", "bench/out/results.json", "where to write the JSON results")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "length of one load run")
	fs.DurationVar(&o.expiryRun, "expiry-d", time.Minute, "length of figure 5's run during the minute of expiries (the clock runs faster when shorter)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "load before each measured run, not counted")
	fs.IntVar(&o.conns, "c", 32, "concurrent keep-alive connections, the same for sessiond and the reference")
	fs.IntVar(&o.threads, "t", 2, "wrk threads")
	fs.StringVar(&o.generator, "generator", "auto", "load generator: auto (wrk when installed), wrk or go")
	fs.IntVar(&o.sessions, "sessions", 1_000_000, "live sessions for figures 4 and 5")
	fs.IntVar(&o.users, "users", 10_000, "users those sessions belong to")
	fs.IntVar(&o.tokens, "tokens", 64, "sessions per dialect whose credentials the checks rotate through")
	only := fs.String("only", "", "comma-separated figures to run (all when empty)")
	dias := fs.String("dialects", "", "comma-separated dialects for figure 1: influxdb, rocketchat, tenant (all when empty)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (sessiond serves in this process)")
	fs.IntVar(&o.hashWorkers, "hash-workers", 0, "sessiond's --hash-workers (0: its default)")
	fs.IntVar(&o.hashNice, "hash-nice", -1, "sessiond's --hash-nice, 0-19 (-1: its default)")
	fs.IntVar(&o.rounds, "rounds", 0, "alternated rounds per figure, the median reported with the spread (0: 3, or 1 with -quick)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		def := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		def("d", func() { o.duration = time.Second })
		def("expiry-d", func() { o.expiryRun = time.Second })
		def("warmup", func() { o.warmup = 200 * time.Millisecond })
		def("c", func() { o.conns = 8 })
		def("sessions", func() { o.sessions = 20_000 })
		def("users", func() { o.users = 200 })
		def("tokens", func() { o.tokens = 4 })
	}
	if o.conns < 1 || o.threads < 1 || o.sessions < 1 || o.users < 1 || o.users > o.sessions || o.tokens < 1 || o.hashWorkers < 0 || o.hashNice < -1 || o.hashNice > 19 || o.duration < 100*time.Millisecond || o.expiryRun < time.Second {
		return nil, fmt.Errorf("bad sizes: -c, -t, -sessions, -users (at most -sessions), -tokens must be positive, -hash-nice -1 to 19, -d at least 100ms, -expiry-d at least 1s")
	}
	if *only != "" {
		o.only = map[int]bool{}
		for _, f := range strings.Split(*only, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 8 {
				return nil, fmt.Errorf("-only: %q is not a figure 1-8", f)
			}
			o.only[n] = true
		}
	}
	if *dias != "" {
		o.dialects = map[string]bool{}
		for _, d := range strings.Split(*dias, ",") {
			o.dialects[strings.TrimSpace(d)] = true
		}
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.cpuProfile != "" {
		os.MkdirAll(filepath.Dir(o.cpuProfile), 0o755)
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
