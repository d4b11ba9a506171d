package auth

import (
	"context"
	"fmt"
	"time"
)

// ScopeSecondFactor is the purpose of the email second factor's codes in
// the courier's outbox. It is not an OTP scope of the tenant API: its
// codes are checked by the factor, never by /otp/verify.
const ScopeSecondFactor OTPScope = "second_factor"

func init() {
	defaultTemplates[ScopeSecondFactor] = MessageTemplate{
		Subject: "Your sign-in code",
		Body:    "Your code to finish signing in to {{.App}} is {{.Code}}.\n\nIt expires in {{.Minutes}} minutes. If you did not just sign in, change your password: someone knows it.\n",
	}
}

// outboxSender is the CodeSender of the courier's outbox: the email second
// factor's code is queued like any other message, worded by the default
// template, and delivered by the courier's worker with its retries.
type outboxSender struct{ s *Service }

// codeSender returns the configured CodeSender, else the outbox when the
// courier delivers email, else nil (the email method cannot be enabled).
func (s *Service) codeSender() CodeSender {
	if s.sf.courier != nil {
		return s.sf.courier
	}
	if s.messages == nil {
		return nil
	}
	for _, ch := range s.channels {
		if ch == ChannelEmail {
			return outboxSender{s}
		}
	}
	return nil
}

// SendCode implements CodeSender.
func (o outboxSender) SendCode(ctx context.Context, m CodeMessage) error {
	s := o.s
	app := "sessiond"
	if m.TenantID != DefaultTenantID {
		if t, err := s.Tenant(ctx, m.TenantID); err == nil {
			app = t.Name
		}
	}
	minutes := 0
	if d := m.Expires.Sub(s.now()); d > 0 {
		minutes = int((d + time.Minute - 1) / time.Minute) // rounded up
	}
	subject, body, err := render(defaultTemplates[ScopeSecondFactor], TemplateData{Code: m.Code, App: app, Minutes: minutes, Recipient: m.To, Purpose: string(ScopeSecondFactor)})
	if err != nil {
		return Internal("render message", err)
	}
	now := s.now().UTC()
	msg := &Message{
		ID: NewID(), TenantID: m.TenantID, Channel: ChannelEmail, Recipient: m.To, Purpose: ScopeSecondFactor, Code: m.Code,
		Subject: subject, Body: body, Status: MessageQueued, NextAttempt: now, CreatedAt: now, UpdatedAt: now, ExpiresAt: m.Expires,
	}
	if err := s.messages.EnqueueMessage(ctx, msg); err != nil {
		return fmt.Errorf("queue message: %w", err)
	}
	return nil
}
