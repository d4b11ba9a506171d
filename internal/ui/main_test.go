package ui_test

import (
	"testing"

	"github.com/sessiond/sessiond/internal/testenv"
)

// TestMain reports, at the end of go test, whether the tests of the
// optional engines ran or were skipped.
func TestMain(m *testing.M) { testenv.Main(m, testenv.Chromium) }
