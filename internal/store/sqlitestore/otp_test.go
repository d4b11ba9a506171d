package sqlitestore_test

import (
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestOTPStoreContract(t *testing.T) {
	storetest.OTPStore(t, func(t *testing.T) auth.OTPStore { return open(t, nil) })
}

func TestMessageStoreContract(t *testing.T) {
	storetest.MessageStore(t, func(t *testing.T) auth.MessageStore { return open(t, nil) })
}

func TestLinkStoreContract(t *testing.T) {
	storetest.LinkStore(t, func(t *testing.T) auth.LinkStore { return open(t, nil) })
}
