package memstore

// The expiry heap is a 4-ary min-heap of expiry times, soonest first. Each
// item carries its time, so ordering never reads an entry, and a node's
// four children share one cache line: removing the soonest of a million
// sessions touches about ten lines rather than forty scattered entries.
// Items name entries by ref, so the heap holds no pointer for the garbage
// collector to follow.

type heapItem struct {
	exp int64 // the entry's expiry, Unix nanoseconds
	r   ref
}

// set puts it at i and tells its entry. Callers hold the write lock.
func (s *SessionStore) set(i int, it heapItem) {
	s.expiry[i] = it
	s.at(it.r).heapIdx = int32(i)
}

// push adds entry r.
func (s *SessionStore) push(r ref) {
	s.expiry = append(s.expiry, heapItem{})
	s.up(len(s.expiry)-1, heapItem{s.at(r).expires, r})
}

// heapRemove drops the item at i.
func (s *SessionStore) heapRemove(i int) {
	last := len(s.expiry) - 1
	moved := s.expiry[last]
	s.expiry = s.expiry[:last]
	if i == last {
		return
	}
	s.fix(i, moved)
}

// fix puts it at i, where the heap may be out of order.
func (s *SessionStore) fix(i int, it heapItem) {
	if i > 0 && it.exp < s.expiry[(i-1)/4].exp {
		s.up(i, it)
	} else {
		s.down(i, it)
	}
}

// up moves it from hole i towards the root.
func (s *SessionStore) up(i int, it heapItem) {
	h := s.expiry
	for i > 0 {
		p := (i - 1) / 4
		if h[p].exp <= it.exp {
			break
		}
		s.set(i, h[p])
		i = p
	}
	s.set(i, it)
}

// down moves it from hole i towards the leaves.
func (s *SessionStore) down(i int, it heapItem) {
	h := s.expiry
	n := len(h)
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		m := first
		for c := first + 1; c < first+4 && c < n; c++ {
			if h[c].exp < h[m].exp {
				m = c
			}
		}
		if it.exp <= h[m].exp {
			break
		}
		s.set(i, h[m])
		i = m
	}
	s.set(i, it)
}
