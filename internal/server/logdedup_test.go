package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Repeats of one cause of warnings and errors are written once per
// interval, the next one carrying how many were left out; other causes,
// and records below WARN, pass untouched.
func TestDedupHandler(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	log := slog.New(newDedupHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}), 10*time.Second, clock))
	full := errors.New("too many sign-ins in progress")
	for i := range 1000 {
		log.Warn("request refused", "route", "POST /api/v2/signin", "request_id", i, "err", full)
	}
	log.With("component", "x").Warn("request refused", "err", full) // the same cause through a derived logger
	log.Warn("request refused", "err", errors.New("redis down"))    // another cause
	log.Error("request refused", "err", full)                       // another level
	for range 3 {
		log.Info("signed in") // below WARN: never collapsed
	}
	now = now.Add(10 * time.Second)
	log.Warn("request refused", "err", full)

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	type want struct {
		level, msg, err string
		repeated        float64
	}
	wants := []want{
		{"WARN", "request refused", full.Error(), 0},
		{"WARN", "request refused", "redis down", 0},
		{"ERROR", "request refused", full.Error(), 0},
		{"INFO", "signed in", "", 0}, {"INFO", "signed in", "", 0}, {"INFO", "signed in", "", 0},
		{"WARN", "request refused", full.Error(), 1000},
	}
	if len(lines) != len(wants) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(wants), buf.String())
	}
	for i, w := range wants {
		l := lines[i]
		errText, _ := l["err"].(string)
		rep, _ := l["repeated"].(float64)
		if l["level"] != w.level || l["msg"] != w.msg || errText != w.err || rep != w.repeated {
			t.Errorf("line %d: %v, want %+v", i, l, w)
		}
	}
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("the handler hides what the one it wraps enables")
	}
}
