package httpkit

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// CoarseDeadlines wraps ln so that its connections keep their read and
// write deadlines themselves, enforced by one sweeper every tick, instead
// of arming a runtime timer on every call.
//
// net/http sets a connection's deadlines six to eight times a request
// when the server has ReadHeaderTimeout, ReadTimeout, WriteTimeout and
// IdleTimeout (idle, header, whole request, write, and the clears around
// its background read), and each call re-arms the descriptor's timer: on
// a session check that was about a microsecond, more than every other
// part of sessiond's own handling but the handler itself. Here a future
// deadline is only recorded; the sweeper interrupts a connection whose
// deadline has passed by setting a deadline in the past on it, which
// fails its blocked and later reads or writes with the usual timeout
// error. A deadline already past when set (net/http's way to interrupt
// its background read) is applied at once, and a deadline changed or
// cleared after being enforced is lifted at once.
//
// So a deadline fires up to one tick late, never early; with the
// server's timeouts of 10 s and more, a tick of a quarter second keeps
// every slow-client limit within a few percent.
func CoarseDeadlines(ln net.Listener, tick time.Duration) net.Listener {
	l := &coarseListener{Listener: ln, tick: tick, conns: map[*coarseConn]struct{}{}, done: make(chan struct{})}
	l.now.Store(time.Now().UnixNano())
	go l.sweep()
	return l
}

type coarseListener struct {
	net.Listener
	tick time.Duration
	now  atomic.Int64 // unix nanoseconds at the last tick

	mu    sync.Mutex
	conns map[*coarseConn]struct{}

	closeOnce sync.Once
	done      chan struct{}
}

func (l *coarseListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &coarseConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[cc] = struct{}{}
	l.mu.Unlock()
	return cc, nil
}

func (l *coarseListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// open is the number of connections accepted and not yet closed.
func (l *coarseListener) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *coarseListener) sweep() {
	t := time.NewTicker(l.tick)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case now := <-t.C:
			n := now.UnixNano()
			l.now.Store(n)
			l.mu.Lock()
			for c := range l.conns {
				c.enforce(n)
			}
			l.mu.Unlock()
		}
	}
}

// coarseConn is a connection whose deadlines its listener's sweeper
// enforces.
type coarseConn struct {
	net.Conn
	l *coarseListener

	mu    sync.Mutex
	read  deadline
	write deadline
}

// deadline is one direction's deadline: at is in unix nanoseconds (0:
// none), and set says the underlying connection has a past deadline in
// force for it.
type deadline struct {
	at  int64
	set bool
}

// aLongTimeAgo is a deadline in the past, as net/http uses to interrupt.
var aLongTimeAgo = time.Unix(1, 0)

func (c *coarseConn) SetReadDeadline(t time.Time) error {
	return c.setDeadline(t, true, false)
}

func (c *coarseConn) SetWriteDeadline(t time.Time) error {
	return c.setDeadline(t, false, true)
}

func (c *coarseConn) SetDeadline(t time.Time) error {
	return c.setDeadline(t, true, true)
}

func (c *coarseConn) setDeadline(t time.Time, read, write bool) error {
	var at int64
	if !t.IsZero() {
		at = t.UnixNano()
		if at <= 0 {
			at = 1 // before the epoch is long past all the same
		}
	}
	past := at != 0 && at <= c.l.now.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if read {
		if t, ok := c.read.update(at, past); ok {
			err = c.Conn.SetReadDeadline(t)
		}
	}
	if write {
		if t, ok := c.write.update(at, past); ok {
			if werr := c.Conn.SetWriteDeadline(t); err == nil {
				err = werr
			}
		}
	}
	return err
}

// update records at in d and says which deadline the connection itself
// must take, if any: a past one when at is already past, none when a past
// one was in force and at is not. Callers hold the connection's mu.
func (d *deadline) update(at int64, past bool) (time.Time, bool) {
	d.at = at
	switch {
	case past:
		d.set = true
		return aLongTimeAgo, true
	case d.set:
		d.set = false
		return time.Time{}, true
	}
	return time.Time{}, false
}

// due reports whether a deadline has passed at n and is not in force.
func (d *deadline) due(n int64) bool { return d.at != 0 && d.at <= n && !d.set }

// enforce puts the deadlines passed at n in force. The sweeper calls it
// holding the listener's mu, so c is not closed.
func (c *coarseConn) enforce(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.read.due(n) {
		c.read.set = true
		c.Conn.SetReadDeadline(aLongTimeAgo)
	}
	if c.write.due(n) {
		c.write.set = true
		c.Conn.SetWriteDeadline(aLongTimeAgo)
	}
}

func (c *coarseConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// CloseWrite half-closes the connection when it can, as net/http does
// before closing a connection whose request body it did not read.
func (c *coarseConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
