package main

import (
	"sync/atomic"
	"time"
)

// clock is the injected clock of a sessiond under test: real time that can
// be frozen, jumped and sped up, so sessions can be made to expire without
// waiting. Reads take no lock.
type clock struct {
	st atomic.Pointer[clockState]
}

type clockState struct {
	fake  time.Time // the clock's time at anchor
	real  time.Time // when it was anchored
	speed float64
}

func newClock() *clock {
	c := &clock{}
	now := time.Now()
	c.st.Store(&clockState{fake: now, real: now, speed: 1})
	return c
}

// Now returns the clock's time.
func (c *clock) Now() time.Time {
	s := c.st.Load()
	if s.speed == 1 {
		return s.fake.Add(time.Since(s.real))
	}
	return s.fake.Add(time.Duration(float64(time.Since(s.real)) * s.speed))
}

// Set moves the clock to t and lets it run at speed times real time from
// there (0 freezes it).
func (c *clock) Set(t time.Time, speed float64) {
	c.st.Store(&clockState{fake: t, real: time.Now(), speed: speed})
}
