package courier

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// SignatureHeader carries a webhook body's signature:
// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>.
const SignatureHeader = "X-Sessiond-Signature"

// Webhook delivers any channel (SMS included) as a JSON POST to the
// operator's endpoint, which hands it to their provider. The body is
// signed with an HMAC so the endpoint can tell it comes from sessiond,
// and the timestamp in the signature bounds replays. A 2xx answer
// confirms delivery; 408, 429 and 5xx are retried; any other answer is
// final.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client // one with a 10 s timeout when nil
	Now    func() time.Time
}

// webhookBody is what the endpoint receives.
type webhookBody struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenantId"`
	Channel   string `json:"channel"`
	Recipient string `json:"recipient"`
	Purpose   string `json:"purpose"`
	Code      string `json:"code"`
	Subject   string `json:"subject,omitempty"`
	Body      string `json:"body"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
}

// Name implements Channel.
func (Webhook) Name() string { return "webhook" }

// Sign returns the signature header's value for body at time t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Deliver implements Channel.
func (w Webhook) Deliver(ctx context.Context, m *auth.Message) error {
	body, err := json.Marshal(webhookBody{
		ID: m.ID, TenantID: m.TenantID, Channel: string(m.Channel), Recipient: m.Recipient, Purpose: string(m.Purpose),
		Code: m.Code, Subject: m.Subject, Body: m.Body,
		CreatedAt: m.CreatedAt.UTC().Format(time.RFC3339), ExpiresAt: m.ExpiresAt.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sessiond-courier")
	req.Header.Set("Idempotency-Key", m.ID)
	req.Header.Set(SignatureHeader, Sign(w.Secret, now(), body))
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return fmt.Errorf("webhook answered %s", resp.Status)
	default:
		return Permanent(fmt.Errorf("webhook answered %s", resp.Status))
	}
}
