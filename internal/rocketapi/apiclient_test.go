package rocketapi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// apiClientEnv names the directory where .ci/run installed
// @rocket.chat/api-client@0.1.7 (npm install --ignore-scripts).
const apiClientEnv = "SESSIOND_TEST_ROCKETCHAT_API_CLIENT"

// TestAPIClient runs testdata/apiclient/totp_login.test.cjs with node's
// test runner: Rocket.Chat's official REST client logs in as a user with
// TOTP (401 totp-required, then the code), completes a twoFactorRequired
// route through its own 2FA retry, and uses a personal access token on
// /v1/me.
func TestAPIClient(t *testing.T) {
	dir := os.Getenv(apiClientEnv)
	if dir == "" {
		t.Skipf("%s is not set (.ci/run installs @rocket.chat/api-client and sets it)", apiClientEnv)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		// The client was installed on purpose: a missing node is a
		// broken set-up, not a reason to pass quietly.
		t.Fatalf("%s is set but node is not on PATH: %v", apiClientEnv, err)
	}
	e := start(t)
	e.clock.Advance(time.Hour) // past Rocket.Chat's "remember right after registration"
	ctx := context.Background()
	en, err := e.app.Service().BeginTOTP(ctx, auth.DefaultTenantID, bobID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := auth.TOTPCode(en.Secret, e.clock.Now().Add(-30*time.Second))
	if _, err := e.app.Service().ConfirmTOTP(ctx, auth.DefaultTenantID, bobID, code); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "apiclient", "totp_login.test.cjs"))
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", script)
	cmd.Env = append(os.Environ(),
		"NODE_PATH="+filepath.Join(dir, "node_modules"),
		"BASE_URL="+e.srv.URL, "USER="+bobName, "PASSWORD="+bobPass,
		"TOTP_SECRET="+en.Secret, "TOTP_TIME="+strconv.FormatInt(e.clock.Now().Unix(), 10),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
