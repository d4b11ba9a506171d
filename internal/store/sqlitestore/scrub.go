package sqlitestore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// An outbox message holds its one-time code in clear until it is sent,
// given up or expired; FinishMessage then clears code, subject and body.
// Clearing the row is not enough on disk: in WAL mode every version of a
// page is first appended to the write-ahead log, so the page as it was
// inserted, code included, stays in sessiond.db-wal until the log is
// checkpointed and its frames are written over, which a quiet server may
// not do for days. So:
//
//   - secure_delete (db.go) zeroes the cleared bytes in the page itself,
//     so the database file never keeps them once the page is written back;
//   - after a message is cleared, the scrubber checkpoints the log into
//     the database and truncates it to zero bytes (wal_checkpoint
//     TRUNCATE), so no frame of the page as inserted survives.
//
// The scrub runs on a goroutine of its own, so the courier never waits
// for it, scrubDelay after the first request it serves: a burst of
// messages costs one checkpoint, not one each (a checkpoint holds the
// write lock while it runs; one per message halved the courier's rate,
// BenchmarkDeliverSMTP). Requests made while one runs are served by one
// more run after it; Close scrubs at once. A checkpoint waits for readers
// of older snapshots and gives up at busy_timeout; it is tried again a
// few times, and otherwise at the next request.
// TestClearedCodeLeavesNoTraceOnDisk holds the guarantee.
type scrubber struct {
	db   *sql.DB
	req  chan struct{} // capacity 1: a request while one is pending is the same request
	quit chan struct{}
	done chan struct{}
	once sync.Once // stop closes quit once
}

// scrubTries is how often one request tries a checkpoint that readers
// keep from completing, scrubRetry apart.
const (
	scrubTries = 5
	scrubRetry = 200 * time.Millisecond
	scrubDelay = time.Second
)

func startScrubber(db *sql.DB) *scrubber {
	sc := &scrubber{db: db, req: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go sc.run()
	return sc
}

// request asks for a scrub soon; it never blocks.
func (sc *scrubber) request() {
	select {
	case sc.req <- struct{}{}:
	default:
	}
}

// stop ends the scrubber, scrubbing once more if a request is pending.
func (sc *scrubber) stop() {
	sc.once.Do(func() { close(sc.quit) })
	<-sc.done
}

func (sc *scrubber) run() {
	defer close(sc.done)
	for {
		select {
		case <-sc.req:
			select {
			case <-time.After(scrubDelay): // the rest of a burst joins this run
			case <-sc.quit:
			}
			select {
			case <-sc.req:
			default:
			}
			sc.scrub()
		case <-sc.quit:
			select {
			case <-sc.req:
				sc.scrub()
			default:
			}
			return
		}
	}
}

// scrub checkpoints the whole log into the database and truncates it,
// trying again while readers keep the checkpoint from completing.
func (sc *scrubber) scrub() {
	for try := 0; try < scrubTries; try++ {
		if try > 0 {
			select {
			case <-time.After(scrubRetry):
			case <-sc.quit:
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		var busy, logFrames, checkpointed int
		err := sc.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed)
		cancel()
		if err == nil && busy == 0 {
			return
		}
	}
}
