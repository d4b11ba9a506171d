package ui

import (
	"net/http"
	"strconv"
)

// sessionsPerPage is how many sessions one page lists. A user holds at
// most --max-sessions-per-user of them, so a few pages at worst.
const sessionsPerPage = 50

// pager says where a page of a list is: the rows it shows (from, to,
// counting from 1), the total, and links to its neighbours.
type pager struct {
	From, To, Total int
	Prev, Next      string
}

// pageOf returns the rows of the page ?page= (from 1; anything else is
// the first page; past the end is the last) and its pager, whose links
// lead to path.
func pageOf(r *http.Request, rows []sessionView, path string) ([]sessionView, pager) {
	pages := max((len(rows)+sessionsPerPage-1)/sessionsPerPage, 1)
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, pages)
	lo, hi := (n-1)*sessionsPerPage, min(n*sessionsPerPage, len(rows))
	p := pager{From: lo + 1, To: hi, Total: len(rows)}
	if len(rows) == 0 {
		p.From = 0
	}
	if n > 1 {
		p.Prev = path + "?page=" + strconv.Itoa(n-1)
	}
	if n < pages {
		p.Next = path + "?page=" + strconv.Itoa(n+1)
	}
	return rows[lo:hi], p
}
