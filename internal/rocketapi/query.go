package rocketapi

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// Rocket.Chat's API_Default_Count and API_Upper_Count_Limit.
const (
	defaultCount = 50
	upperCount   = 100
)

// sortableFields are the keys sessions/list and list.all accept in sort.
var sortableFields = []string{"loginAt", "device.name", "device.os.name", "device.os.version", "_user.name", "_user.username"}

type sortKey struct {
	field string
	dir   int // 1 or -1
}

// listQuery is a validated sessions/list or list.all query.
type listQuery struct {
	offset, count int
	filter        string
	sort          []sortKey
}

// readListQuery validates the query as Rocket.Chat does: the schema
// (invalid-params), then pagination, then sort (error-invalid-sort for bad
// JSON or a direction other than 1 and -1, error-invalid-sort-keys for a
// field that may not be sorted on).
func readListQuery(p params) (listQuery, *apiError) {
	q := listQuery{count: defaultCount}
	if e := listSchema.check(p); e != nil {
		return q, e
	}
	if v, ok := p["offset"]; ok {
		f, _ := number(v)
		if f < 0 {
			return q, invalidParams("must be >= 0")
		}
		q.offset = int(min(f, 1<<31))
	}
	if v, ok := p["count"]; ok {
		f, _ := number(v)
		if f < 0 {
			return q, invalidParams("must be >= 0")
		}
		// count=0 would be "all" only with API_Allow_Infinite_Count;
		// sessiond never lists without a bound.
		if q.count = int(min(f, upperCount)); q.count == 0 {
			q.count = defaultCount
		}
	}
	q.filter, _ = p["filter"].(string)
	if raw, ok := p["sort"].(string); ok {
		keys, e := readSort(raw)
		if e != nil {
			return q, e
		}
		q.sort = keys
	}
	return q, nil
}

func invalidSort(raw string) *apiError {
	b, _ := json.Marshal(raw)
	e := meteorError(typeInvalidSort, "Invalid sort parameter provided: "+string(b))
	e.body.Details = map[string]any{"helperMethod": "parseJsonQuery"}
	return e
}

// readSort reads a sort object such as {"loginAt":1}, keeping the order
// of its keys, with the strict rules of every JSON sessiond reads (UTF-8,
// no key twice).
func readSort(raw string) ([]sortKey, *apiError) {
	dec := jsontext.NewDecoder(strings.NewReader(raw))
	if t, err := dec.ReadToken(); err != nil || t.Kind() != '{' {
		return nil, invalidSort(raw)
	}
	var keys []sortKey
	for dec.PeekKind() != '}' {
		t, err := dec.ReadToken()
		if err != nil {
			return nil, invalidSort(raw)
		}
		field := t.String()
		v, err := dec.ReadToken()
		if err != nil || v.Kind() != '0' {
			return nil, invalidSort(raw)
		}
		dir := v.Float()
		if dir != 1 && dir != -1 {
			return nil, invalidSort(raw)
		}
		keys = append(keys, sortKey{field, int(dir)})
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, invalidSort(raw)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, invalidSort(raw)
	}
	for _, k := range keys {
		if !slices.Contains(sortableFields, k.field) {
			return nil, errSortKeys
		}
	}
	return keys, nil
}

// apply filters rows and orders them: newest login first, then by the
// requested sort over the whole list (Rocket.Chat sorts only within the
// page it already cut; sessiond sorts before paging).
func (q listQuery) apply(rows []sessionRow) []sessionRow {
	if q.filter != "" {
		needle := strings.ToLower(q.filter)
		kept := rows[:0]
		for _, r := range rows {
			if matches(r, needle) {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	slices.SortStableFunc(rows, func(a, b sessionRow) int {
		for _, k := range q.sort {
			if c := compareField(a, b, k.field); c != 0 {
				return c * k.dir
			}
		}
		if c := compareField(b, a, "loginAt"); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return rows
}

// page cuts the page out of the ordered rows; never nil, so an empty page
// is [].
func (q listQuery) page(rows []sessionRow) []sessionRow {
	if q.offset >= len(rows) {
		return []sessionRow{}
	}
	return rows[q.offset:min(q.offset+q.count, len(rows))]
}

// matches is Rocket.Chat's filter: the text, as a literal and without
// regard to case, in the session's searchTerm (device name, type and OS
// name, session ID and user ID run together) or, on list.all, in its
// user's name.
func matches(r sessionRow, needle string) bool {
	var term strings.Builder
	if d := r.Device; d != nil {
		term.WriteString(d.Name)
		term.WriteString(d.Type)
		if d.OS != nil {
			term.WriteString(d.OS.Name)
		}
	}
	term.WriteString(r.SessionID)
	term.WriteString(r.UserID)
	if strings.Contains(strings.ToLower(term.String()), needle) {
		return true
	}
	return r.User != nil && (strings.Contains(strings.ToLower(r.User.Name), needle) || strings.Contains(strings.ToLower(r.User.Username), needle))
}

// compareField orders two rows by one sortable field; a missing value
// sorts first, as MongoDB sorts null.
func compareField(a, b sessionRow, field string) int {
	if field == "loginAt" {
		return time.Time(a.LoginAt).Compare(time.Time(b.LoginAt))
	}
	return strings.Compare(fieldValue(a, field), fieldValue(b, field))
}

func fieldValue(r sessionRow, field string) string {
	switch field {
	case "device.name":
		if r.Device != nil {
			return r.Device.Name
		}
	case "device.os.name":
		if r.Device != nil && r.Device.OS != nil {
			return r.Device.OS.Name
		}
	case "device.os.version":
		if r.Device != nil && r.Device.OS != nil {
			return r.Device.OS.Version
		}
	case "_user.name":
		if r.User != nil {
			return r.User.Name
		}
	case "_user.username":
		if r.User != nil {
			return r.User.Username
		}
	}
	return ""
}
