package tenantapi

import (
	"net/http"
	"strconv"
)

// GET /auth/sessions pages with ?limit= (1 to 100, 50 by default) and
// ?offset=, and answers the total beside the page, so a client knows
// how many pages there are.
const (
	defaultLimit = 50
	maxLimit     = 100
)

// page is a validated limit and offset.
type page struct {
	offset, limit int
}

// readPage reads the paging parameters; a bad one is a problem of its
// own name (VALIDATION_ERROR), as a bad body field is.
func readPage(r *http.Request) (page, map[string][]string) {
	p := page{limit: defaultLimit}
	var bad map[string][]string
	q := r.URL.Query()
	read := func(name string, lo, hi int, dst *int) {
		v := q.Get(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			if bad == nil {
				bad = map[string][]string{}
			}
			msg := "must be a whole number from " + strconv.Itoa(lo)
			if hi < int(^uint(0)>>1) {
				msg += " to " + strconv.Itoa(hi)
			}
			bad[name] = append(bad[name], msg)
			return
		}
		*dst = n
	}
	read("limit", 1, maxLimit, &p.limit)
	read("offset", 0, int(^uint(0)>>1), &p.offset)
	return p, bad
}

// bounds returns the slice bounds of the page in a list of n rows.
func (p page) bounds(n int) (lo, hi int) {
	lo = min(p.offset, n)
	return lo, min(lo+p.limit, n)
}
