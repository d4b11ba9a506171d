package store

import (
	"context"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// otps instruments an auth.OTPStore.
type otps struct {
	instrumented[auth.OTPStore]
}

func (m *metrics) otps(engine string, in auth.OTPStore) auth.OTPStore {
	return &otps{instrument(m, engine, in)}
}

func (s *otps) CreateOTP(ctx context.Context, o *auth.OTP) error {
	return call0(s.o, ctx, "CreateOTP", func(ctx context.Context) error { return s.in.CreateOTP(ctx, o) })
}

func (s *otps) OTPByID(ctx context.Context, tenantID, id string) (*auth.OTP, error) {
	return call(s.o, ctx, "OTPByID", func(ctx context.Context) (*auth.OTP, error) { return s.in.OTPByID(ctx, tenantID, id) })
}

func (s *otps) UpdateOTP(ctx context.Context, o *auth.OTP) error {
	return call0(s.o, ctx, "UpdateOTP", func(ctx context.Context) error { return s.in.UpdateOTP(ctx, o) })
}

func (s *otps) CancelOTPs(ctx context.Context, tenantID string, scope auth.OTPScope, ch auth.Channel, recipient, except string, at time.Time) (int, error) {
	return call(s.o, ctx, "CancelOTPs", func(ctx context.Context) (int, error) {
		return s.in.CancelOTPs(ctx, tenantID, scope, ch, recipient, except, at)
	})
}

func (s *otps) PurgeOTPs(ctx context.Context, before time.Time, limit int) (int, error) {
	return call(s.o, ctx, "PurgeOTPs", func(ctx context.Context) (int, error) { return s.in.PurgeOTPs(ctx, before, limit) })
}

// messages instruments an auth.MessageStore.
type messages struct {
	instrumented[auth.MessageStore]
}

func (m *metrics) messages(engine string, in auth.MessageStore) auth.MessageStore {
	return &messages{instrument(m, engine, in)}
}

func (s *messages) EnqueueMessage(ctx context.Context, m *auth.Message) error {
	return call0(s.o, ctx, "EnqueueMessage", func(ctx context.Context) error { return s.in.EnqueueMessage(ctx, m) })
}

func (s *messages) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*auth.Message, error) {
	return call(s.o, ctx, "ClaimMessages", func(ctx context.Context) ([]*auth.Message, error) { return s.in.ClaimMessages(ctx, now, lease, limit) })
}

func (s *messages) FinishMessage(ctx context.Context, m *auth.Message) error {
	return call0(s.o, ctx, "FinishMessage", func(ctx context.Context) error { return s.in.FinishMessage(ctx, m) })
}

func (s *messages) MessageByID(ctx context.Context, id string) (*auth.Message, error) {
	return call(s.o, ctx, "MessageByID", func(ctx context.Context) (*auth.Message, error) { return s.in.MessageByID(ctx, id) })
}

func (s *messages) CountMessages(ctx context.Context, status auth.MessageStatus) (int, error) {
	return call(s.o, ctx, "CountMessages", func(ctx context.Context) (int, error) { return s.in.CountMessages(ctx, status) })
}

func (s *messages) PurgeMessages(ctx context.Context, before time.Time, limit int) (int, error) {
	return call(s.o, ctx, "PurgeMessages", func(ctx context.Context) (int, error) { return s.in.PurgeMessages(ctx, before, limit) })
}

// links instruments an auth.LinkStore.
type links struct {
	instrumented[auth.LinkStore]
}

func (m *metrics) links(engine string, in auth.LinkStore) auth.LinkStore {
	return &links{instrument(m, engine, in)}
}

func (s *links) CreateLink(ctx context.Context, l *auth.Link) error {
	return call0(s.o, ctx, "CreateLink", func(ctx context.Context) error { return s.in.CreateLink(ctx, l) })
}

func (s *links) LinkBySubject(ctx context.Context, tenantID, provider, subject string) (*auth.Link, error) {
	return call(s.o, ctx, "LinkBySubject", func(ctx context.Context) (*auth.Link, error) {
		return s.in.LinkBySubject(ctx, tenantID, provider, subject)
	})
}

func (s *links) UserLinks(ctx context.Context, tenantID, userID string) ([]*auth.Link, error) {
	return call(s.o, ctx, "UserLinks", func(ctx context.Context) ([]*auth.Link, error) { return s.in.UserLinks(ctx, tenantID, userID) })
}

func (s *links) DeleteLink(ctx context.Context, tenantID, provider, subject string) error {
	return call0(s.o, ctx, "DeleteLink", func(ctx context.Context) error { return s.in.DeleteLink(ctx, tenantID, provider, subject) })
}

func (s *links) DeleteUserLinks(ctx context.Context, tenantID, userID string) (int, error) {
	return call(s.o, ctx, "DeleteUserLinks", func(ctx context.Context) (int, error) { return s.in.DeleteUserLinks(ctx, tenantID, userID) })
}
