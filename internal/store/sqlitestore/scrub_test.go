package sqlitestore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestClearedCodeLeavesNoTraceOnDisk: once an outbox message is sent and
// its code, subject and body cleared, no file of the data directory holds
// the code or the text any more: not the write-ahead log, where the page
// as inserted was appended, and not the database file, when a checkpoint
// had copied that page there before the code was cleared.
func TestClearedCodeLeavesNoTraceOnDisk(t *testing.T) {
	for _, tc := range []struct {
		name       string
		checkpoint bool // the page with the code reaches the database file before it is cleared
	}{
		{"OnlyInTheLog", false},
		{"CheckpointedBeforeClearing", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			d := openDir(t, dir)
			now := time.Now().UTC().Truncate(time.Millisecond)
			code, text := "814203", "marker-b7e1c9"
			// A body as long as the default templates' (docs/courier.md):
			// a short one can happen to be written over by the cleared row.
			m := &auth.Message{
				ID: auth.NewID(), TenantID: "t1", Channel: auth.ChannelEmail, Recipient: "a@example.com", Purpose: auth.ScopeResetPassword,
				Code: code, Subject: "Your password reset code " + text,
				Body:        "Your code to reset your password for shop is " + code + ".\n\nIt expires in 10 minutes. If you did not ask for it, you can ignore this email (" + text + ").",
				Status:      auth.MessageQueued,
				NextAttempt: now, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
			}
			// Another message, still queued: its code is legitimately on
			// disk, and the scrub must not lose it.
			other := *m
			other.ID, other.Recipient, other.NextAttempt = auth.NewID(), "b@example.com", now.Add(time.Hour)
			other.Code, other.Subject, other.Body = "275530", "Your code", "Your code is 275530."
			for _, x := range []*auth.Message{m, &other} {
				if err := d.EnqueueMessage(ctx, x); err != nil {
					t.Fatal(err)
				}
			}
			claimed, err := d.ClaimMessages(ctx, now, time.Minute, 10)
			if err != nil || len(claimed) != 1 || claimed[0].ID != m.ID {
				t.Fatalf("claim: %v, %d messages", err, len(claimed))
			}
			if tc.checkpoint {
				var busy, frames, done int
				if err := d.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil || busy != 0 || done != frames {
					t.Fatalf("checkpoint: %v (busy %d, %d of %d frames)", err, busy, done, frames)
				}
				if !found(t, filepath.Join(dir, FileName), code) {
					t.Fatal("after the checkpoint the code is not in the database file: the case tests nothing")
				}
			}
			// The test can see a code on disk: before it is cleared, it is there.
			if !foundIn(t, dir, code) || !foundIn(t, dir, text) {
				t.Fatal("the queued message's code and text are not on disk before they are cleared: the search finds nothing")
			}

			sent := claimed[0]
			sent.Status, sent.SentAt, sent.UpdatedAt = auth.MessageSent, now, now
			sent.Code, sent.Subject, sent.Body = "", "", ""
			if err := d.FinishMessage(ctx, sent); err != nil {
				t.Fatal(err)
			}
			// The scrub runs on its own goroutine; Close waits for a
			// pending one, so wait for it by closing (and reopen after).
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{code, text} {
				for _, f := range files(t, dir) {
					if found(t, f, s) {
						t.Errorf("%s still holds %q after the message was sent and cleared", filepath.Base(f), s)
					}
				}
			}
			// Nothing lost: the sent record and the queued message are whole.
			d2 := openDir(t, dir)
			got, err := d2.MessageByID(ctx, m.ID)
			if err != nil || got.Status != auth.MessageSent || got.Code != "" || got.Body != "" {
				t.Fatalf("the sent message after reopening: %+v, %v", got, err)
			}
			q, err := d2.MessageByID(ctx, other.ID)
			if err != nil || q.Status != auth.MessageQueued || q.Code != other.Code || q.Body != other.Body {
				t.Fatalf("the queued message after reopening: %+v, %v", q, err)
			}
		})
	}
}

// TestScrubRunsWhileOpen: the scrub does not wait for Close; the log is
// emptied while the database stays open.
func TestScrubRunsWhileOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := openDir(t, dir)
	now := time.Now().UTC().Truncate(time.Millisecond)
	m := &auth.Message{
		ID: auth.NewID(), TenantID: "t1", Channel: auth.ChannelSMS, Recipient: "+905551234567", Purpose: auth.ScopeResetPassword,
		Code: "630517", Body: "Your code is 630517.", Status: auth.MessageQueued,
		NextAttempt: now, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
	}
	if err := d.EnqueueMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	claimed, err := d.ClaimMessages(ctx, now, time.Minute, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %d", err, len(claimed))
	}
	c := claimed[0]
	c.Status, c.UpdatedAt, c.Code, c.Body = auth.MessageFailed, now, "", ""
	if err := d.FinishMessage(ctx, c); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for foundIn(t, dir, "630517") {
		if time.Now().After(deadline) {
			t.Fatal("30 s after the message was given up, its code is still on disk with the database open")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openDir opens the database in dir, closed when the test ends (Close
// may also be called before).
func openDir(t *testing.T, dir string) *DB {
	t.Helper()
	d, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

func foundIn(t *testing.T, dir, s string) bool {
	t.Helper()
	for _, f := range files(t, dir) {
		if found(t, f, s) {
			return true
		}
	}
	return false
}

func found(t *testing.T, path, s string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(s))
}
