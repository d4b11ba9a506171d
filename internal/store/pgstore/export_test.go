package pgstore

import "time"

// ChannelName is channelName, for its test.
func ChannelName(schema string) string { return channelName(schema) }

// SetKeepalive makes f ping a listening connection after d of silence
// instead of listenKeepalive.
func SetKeepalive(f *Feed, d time.Duration) { f.keepalive = d }
