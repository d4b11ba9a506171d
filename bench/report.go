package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Target is what a figure's ratio must reach: at least (AtLeast) or at most
// Limit.
type Target struct {
	AtLeast bool
	Limit   float64
}

func atLeast(v float64) *Target { return &Target{AtLeast: true, Limit: v} }
func atMost(v float64) *Target  { return &Target{Limit: v} }

func (t *Target) String() string {
	if t == nil {
		return ""
	}
	if t.AtLeast {
		return fmt.Sprintf(">= %g", t.Limit)
	}
	return fmt.Sprintf("<= %g", t.Limit)
}

// Figure is one line of the report: a value measured on sessiond, the
// reference it is compared with (measured in the same run, or a fixed
// budget), and their ratio.
type Figure struct {
	Figure        int     `json:"figure"`
	Key           string  `json:"key"`
	Name          string  `json:"name"`
	Unit          string  `json:"unit"`
	Value         float64 `json:"value"`
	Reference     float64 `json:"reference"`
	ReferenceName string  `json:"reference_name"`
	Ratio         float64 `json:"ratio"`
	Target        string  `json:"target,omitempty"`
	Met           *bool   `json:"met,omitempty"`
	Skipped       string  `json:"skipped,omitempty"`
	Note          string  `json:"note,omitempty"`

	target *Target
}

// Report is everything one run measured.
type Report struct {
	Started     time.Time `json:"started"`
	Elapsed     string    `json:"elapsed"`
	Quick       bool      `json:"quick"`
	Generator   string    `json:"generator"`
	Conns       int       `json:"connections"`
	RunFor      string    `json:"run_duration"`
	CPUs        int       `json:"cpus"`
	HashWorkers int       `json:"hash_workers"`
	HashNice    int       `json:"hash_nice"`
	Go          string    `json:"go"`
	Notes       []string  `json:"notes"`
	Figures     []*Figure `json:"figures"`
}

// add records a measured figure and works out its ratio and verdict.
func (r *Report) add(f *Figure) {
	if f.Reference != 0 {
		f.Ratio = f.Value / f.Reference
	}
	if f.target != nil {
		f.Target = "ratio " + f.target.String()
		met := f.Ratio >= f.target.Limit
		if !f.target.AtLeast {
			met = f.Ratio <= f.target.Limit
		}
		if math.IsNaN(f.Ratio) || f.Reference == 0 {
			met = false
		}
		f.Met = &met
	}
	r.Figures = append(r.Figures, f)
}

// skip records a figure that could not be measured, and why.
func (r *Report) skip(fig int, key, name, why string) {
	r.Figures = append(r.Figures, &Figure{Figure: fig, Key: key, Name: name, Skipped: why})
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Print writes the table.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\nsessiond benchmark  %s  generator: %s  connections: %d  run: %s  cpus: %d  hash workers: %d (nice %d)  %s\n",
		r.Started.Format(time.RFC3339), r.Generator, r.Conns, r.RunFor, r.CPUs, r.HashWorkers, r.HashNice, r.Go)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "fig\tmeasure\tvalue\treference\tratio\ttarget\t")
	for _, f := range r.Figures {
		if f.Skipped != "" {
			fmt.Fprintf(tw, "%d\t%s\tskipped: %s\t\t\t\t\n", f.Figure, f.Name, f.Skipped)
			continue
		}
		verdict := ""
		if f.Met != nil {
			verdict = "ok"
			if !*f.Met {
				verdict = "MISS"
			}
			verdict = f.target.String() + " " + verdict
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s (%s)\t%.2f\t%s\t\n", f.Figure, f.Name,
			format(f.Value, f.Unit), format(f.Reference, f.Unit), f.ReferenceName, f.Ratio, verdict)
	}
	tw.Flush()
	for _, f := range r.Figures {
		if f.Note != "" {
			fmt.Fprintf(w, "  [%s] %s\n", f.Key, f.Note)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// format writes a value in its unit, readably.
func format(v float64, unit string) string {
	switch unit {
	case "s":
		return time.Duration(v * float64(time.Second)).Round(durationRounding(v)).String()
	case "B":
		return fmt.Sprintf("%.0f B", v)
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

func durationRounding(secs float64) time.Duration {
	switch {
	case secs >= 1:
		return time.Millisecond
	case secs >= 1e-3:
		return time.Microsecond
	}
	return time.Nanosecond
}

// Write stores the report as JSON at path, creating its directory.
func (r *Report) Write(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// keyPart turns a label into a JSON key fragment.
func keyPart(s string) string {
	return strings.NewReplacer(" ", "_", "/", "_", ".", "_").Replace(strings.ToLower(s))
}
