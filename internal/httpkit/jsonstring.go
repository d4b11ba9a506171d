package httpkit

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// AppendJSONString appends s as a JSON string exactly as encoding/json
// writes it: with <, > and & escaped when html is set (json.Marshal), or
// not (an Encoder with SetEscapeHTML(false), as JSON.stringify writes).
// Plain ASCII, by far the usual case, is copied; anything encoding/json
// would escape (controls, quotes, backslashes, U+2028, U+2029, invalid
// UTF-8) is left to encoding/json. Hand-written encoders of hot answers
// use it to stay byte for byte what reflection would write.
func AppendJSONString(b []byte, s string, html bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || html && (c == '<' || c == '>' || c == '&') {
			return appendSlow(b, s, html)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendSlow(b []byte, s string, html bool) []byte {
	if html {
		q, _ := json.Marshal(s) // a string always encodes
		return append(b, q...)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
