package courier_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/courier"
)

// receiver is an operator's webhook endpoint: it checks the signature as
// its documentation tells it to, and answers what the test says.
type receiver struct {
	t      *testing.T
	secret []byte
	now    func() time.Time
	mu     sync.Mutex
	status []int // answers to give, in order; then 200
	got    []map[string]any
	bad    int // requests whose signature did not check
}

// verify is the check an endpoint makes: parse t= and v1=, refuse a
// timestamp more than five minutes off, compare the HMAC in constant time.
func verify(secret []byte, header string, body []byte, now time.Time) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	got, err := hex.DecodeString(sig)
	return err == nil && hmac.Equal(got, want)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
		!verify(rc.secret, r.Header.Get(courier.SignatureHeader), body, rc.now()) {
		rc.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if len(rc.status) > 0 {
		st := rc.status[0]
		rc.status = rc.status[1:]
		w.WriteHeader(st)
		return
	}
	var m map[string]any
	json.Unmarshal(body, &m)
	m["idempotencyKey"] = r.Header.Get("Idempotency-Key")
	rc.got = append(rc.got, m)
}

func TestWebhook(t *testing.T) {
	clk := &clock{t: epoch}
	db := outbox(t, t.TempDir(), clk)
	rc := &receiver{t: t, secret: []byte("webhook-secret"), now: clk.Now, status: []int{503, 429}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	hook := courier.Webhook{URL: srv.URL, Secret: rc.secret, Now: clk.Now}
	c := courier.New(courier.Options{Store: db, Email: hook, SMS: hook, Now: clk.Now, Backoff: time.Second})

	sms := message(clk, "+905551234567")
	sms.Channel, sms.Purpose, sms.Subject, sms.Body = auth.ChannelSMS, auth.ScopePhoneVerification, "", "Your acme code is 481516."
	c.Outbox().EnqueueMessage(context.Background(), sms)
	for range 3 { // 503, then 429, then delivered
		run(t, c)
		clk.Advance(10 * time.Second)
	}
	if got := status(t, db, sms.ID); got.Status != auth.MessageSent || got.Attempts != 3 {
		t.Fatalf("after 503, 429 and 200: %+v", got)
	}
	if len(rc.got) != 1 || rc.bad != 0 {
		t.Fatalf("received %d (bad signatures %d), want 1", len(rc.got), rc.bad)
	}
	want := map[string]any{
		"id": sms.ID, "tenantId": "t1", "channel": "sms", "recipient": "+905551234567", "purpose": "phone_verification",
		"code": "481516", "body": "Your acme code is 481516.", "idempotencyKey": sms.ID,
	}
	for k, v := range want {
		if rc.got[0][k] != v {
			t.Errorf("%s: got %v, want %v", k, rc.got[0][k], v)
		}
	}
	if _, ok := rc.got[0]["subject"]; ok {
		t.Errorf("an SMS carries a subject: %v", rc.got[0])
	}

	// A wrong secret is refused by the endpoint: a 401 is final.
	forged := courier.Webhook{URL: srv.URL, Secret: []byte("not-the-secret"), Now: clk.Now}
	c2 := courier.New(courier.Options{Store: db, SMS: forged, Now: clk.Now})
	m := message(clk, "+905551234568")
	m.Channel = auth.ChannelSMS
	c2.Outbox().EnqueueMessage(context.Background(), m)
	run(t, c2)
	if got := status(t, db, m.ID); got.Status != auth.MessageFailed || rc.bad != 1 || len(rc.got) != 1 {
		t.Fatalf("a forged signature: %+v, bad %d", got, rc.bad)
	}
	// An old signature fails the endpoint's replay check.
	body := []byte(`{"id":"x"}`)
	if verify(rc.secret, courier.Sign(rc.secret, clk.Now().Add(-10*time.Minute), body), body, clk.Now()) {
		t.Fatal("a ten-minute-old signature passed")
	}
	if !verify(rc.secret, courier.Sign(rc.secret, clk.Now(), body), body, clk.Now()) {
		t.Fatal("a fresh signature failed")
	}
}
