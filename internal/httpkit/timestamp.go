package httpkit

import "time"

// TimeMillis is the layout of the JSON timestamps of Rocket.Chat and the
// tenant API: UTC with milliseconds, as JavaScript's toISOString writes.
const TimeMillis = "2006-01-02T15:04:05.000Z"

// AppendTimeMillis appends t in UTC as t.UTC().AppendFormat(b, TimeMillis)
// does, writing the digits itself for years 0 to 9999 (AppendFormat
// walks the layout on every call; hot answers carry several times).
func AppendTimeMillis(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeMillis)
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/int(time.Millisecond), 3)
	return append(b, 'Z')
}

// appendDigits appends the n low decimal digits of v, zero-padded.
func appendDigits(b []byte, v, n int) []byte {
	var d [4]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}
