package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's settings table from the options")

// TestReadmeTable fails when the README's table of settings differs from
// the one generated from the flag definitions; -update rewrites it.
func TestReadmeTable(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, TableBegin), strings.Index(readme, TableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no settings table between %q and %q", TableBegin, TableEnd)
	}
	got := readme[i+len(TableBegin) : j]
	want := "\n" + MarkdownTable()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:i+len(TableBegin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for k := 0; k < max(len(gl), len(wl)); k++ {
		var g, w string
		if k < len(gl) {
			g = gl[k]
		}
		if k < len(wl) {
			w = wl[k]
		}
		if g != w {
			t.Fatalf("README.md's settings table differs from the flags at its line %d:\n README: %s\n flags:  %s\nrun: go test ./internal/config -run TestReadmeTable -update", k, g, w)
		}
	}
}
