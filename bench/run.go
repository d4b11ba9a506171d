package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"
)

// bench is one run: the servers, the generator and the report.
type bench struct {
	o      *options
	gen    Generator
	warm   Generator // warm-ups: the built-in client, which can run for less than a second
	ref    *reference
	main   *instance
	rep    *Report
	checks map[string][]map[string]string // credentials per dialect, made once
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, o *options) error {
	started := time.Now()
	dir, err := scriptDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var gen Generator = goClient{}
	switch o.generator {
	case "auto", "wrk":
		if w := findWrk(o.threads, dir); w != nil {
			gen = w
		} else if o.generator == "wrk" {
			return fmt.Errorf("wrk is not installed (apt-get install wrk)")
		}
	case "go":
	default:
		return fmt.Errorf("-generator must be auto, wrk or go")
	}
	rep := &Report{
		Started: started.UTC(), Quick: o.quick, Generator: gen.Name(), Conns: o.conns, RunFor: o.duration.String(),
		CPUs: runtime.NumCPU(), Go: runtime.Version(),
	}
	logf("load generator: %s; %d connections; %s per run", gen.Name(), o.conns, o.duration)
	rep.note("sessiond and the reference serve in this process; the generator shares the %d cores. This machine is shared and noisy: compare ratios, not absolute numbers, and repeat a run before trusting a change.", runtime.NumCPU())
	if _, ok := gen.(*wrkGen); ok {
		rep.note("server CPU per request is this process's CPU time (both servers; wrk runs apart) per answer: steadier than throughput when the machine is shared")
	}
	if o.quick {
		rep.note("-quick: tiny sizes and durations so CI knows the program works; its figures mean little")
	}

	ref, err := startReference()
	if err != nil {
		return err
	}
	defer ref.Close()
	main, err := startSessiond(ctx, o.tune)
	if err != nil {
		return fmt.Errorf("start sessiond: %w", err)
	}
	defer main.Close()
	logf("reference on %s, sessiond on %s with %d hash workers", ref.url, main.url, main.app.Service().HashWorkers())
	rep.HashWorkers = main.app.Service().HashWorkers()
	rep.HashNice = main.cfg.HashNice

	b := &bench{o: o, gen: gen, warm: goClient{}, ref: ref, main: main, rep: rep, checks: map[string][]map[string]string{}}
	figures := []struct {
		n  int
		fn func(context.Context) error
	}{
		{1, b.figure1}, {2, b.figure2}, {3, b.figure3}, {4, b.figure4}, {5, b.figure5}, {6, b.figure6}, {7, b.figure7}, {8, b.figure8},
	}
	for _, f := range figures {
		if !o.want(f.n) {
			continue
		}
		if ctx.Err() != nil {
			rep.note("interrupted before figure %d", f.n)
			break
		}
		logf("== figure %d", f.n)
		if err := f.fn(ctx); err != nil {
			logf("figure %d failed: %v", f.n, err)
			rep.note("figure %d failed: %v", f.n, err)
		}
	}
	rep.Elapsed = time.Since(started).Round(time.Millisecond).String()
	rep.Print(os.Stdout)
	if err := rep.Write(o.out); err != nil {
		return err
	}
	fmt.Printf("results written to %s (%s)\n", o.out, rep.Elapsed)
	return nil
}

// measure warms the target up with the built-in client, then measures it
// with the generator.
func (b *bench) measure(ctx context.Context, what string, l Load) (Result, error) {
	if b.o.warmup > 0 {
		w := l
		w.Duration = b.o.warmup
		if _, err := b.warm.Run(ctx, w); err != nil {
			return Result{}, err
		}
	}
	return b.run(ctx, what, l)
}

// run measures l with the generator, and the process's CPU time meanwhile.
func (b *bench) run(ctx context.Context, what string, l Load) (Result, error) {
	cpu := processCPU()
	res, err := b.gen.Run(ctx, l)
	res.CPU = processCPU() - cpu
	if err != nil {
		return res, err
	}
	logf("%-40s %s", what, res)
	return res, nil
}

// load is the shape of a session-check run against base.
func (b *bench) load(base string, d dialect, sets []map[string]string) Load {
	return Load{Base: base, Method: d.method, Path: d.path, Headers: sets, Conns: b.o.conns, Duration: b.o.duration}
}

// credentials returns the main instance's credentials for a dialect,
// making them on first use.
func (b *bench) credentials(ctx context.Context, d dialect) ([]map[string]string, error) {
	if sets, ok := b.checks[d.name]; ok {
		return sets, nil
	}
	sets, err := d.prepare(ctx, b.main, b.o.tokens)
	if err != nil {
		return nil, err
	}
	b.checks[d.name] = sets
	return sets, nil
}

// problems says what went wrong in a run, for the figure's note.
func problems(what string, r Result) string {
	if r.Non2xx == 0 && r.Errors == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %d answers not 2xx, %d socket errors. ", what, r.Non2xx, r.Errors)
}

func secs(d time.Duration) float64 { return d.Seconds() }
