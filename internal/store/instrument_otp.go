package store

import (
	"context"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// otps instruments an auth.OTPStore.
type otps struct {
	in auth.OTPStore
	o  ops
}

func (m *metrics) otps(engine string, in auth.OTPStore) auth.OTPStore {
	return &otps{in, m.ops(engine, "CreateOTP", "OTPByID", "UpdateOTP", "CancelOTPs", "PurgeOTPs")}
}

func (s *otps) CreateOTP(ctx context.Context, o *auth.OTP) error {
	t := time.Now()
	err := s.in.CreateOTP(ctx, o)
	s.o.done("CreateOTP", t, err)
	return err
}

func (s *otps) OTPByID(ctx context.Context, tenantID, id string) (*auth.OTP, error) {
	t := time.Now()
	x, err := s.in.OTPByID(ctx, tenantID, id)
	s.o.done("OTPByID", t, err)
	return x, err
}

func (s *otps) UpdateOTP(ctx context.Context, o *auth.OTP) error {
	t := time.Now()
	err := s.in.UpdateOTP(ctx, o)
	s.o.done("UpdateOTP", t, err)
	return err
}

func (s *otps) CancelOTPs(ctx context.Context, tenantID string, scope auth.OTPScope, ch auth.Channel, recipient, except string, at time.Time) (int, error) {
	t := time.Now()
	x, err := s.in.CancelOTPs(ctx, tenantID, scope, ch, recipient, except, at)
	s.o.done("CancelOTPs", t, err)
	return x, err
}

func (s *otps) PurgeOTPs(ctx context.Context, before time.Time, limit int) (int, error) {
	t := time.Now()
	x, err := s.in.PurgeOTPs(ctx, before, limit)
	s.o.done("PurgeOTPs", t, err)
	return x, err
}

// messages instruments an auth.MessageStore.
type messages struct {
	in auth.MessageStore
	o  ops
}

func (m *metrics) messages(engine string, in auth.MessageStore) auth.MessageStore {
	return &messages{in, m.ops(engine, "EnqueueMessage", "ClaimMessages", "FinishMessage", "MessageByID", "CountMessages", "PurgeMessages")}
}

func (s *messages) EnqueueMessage(ctx context.Context, m *auth.Message) error {
	t := time.Now()
	err := s.in.EnqueueMessage(ctx, m)
	s.o.done("EnqueueMessage", t, err)
	return err
}

func (s *messages) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*auth.Message, error) {
	t := time.Now()
	x, err := s.in.ClaimMessages(ctx, now, lease, limit)
	s.o.done("ClaimMessages", t, err)
	return x, err
}

func (s *messages) FinishMessage(ctx context.Context, m *auth.Message) error {
	t := time.Now()
	err := s.in.FinishMessage(ctx, m)
	s.o.done("FinishMessage", t, err)
	return err
}

func (s *messages) MessageByID(ctx context.Context, id string) (*auth.Message, error) {
	t := time.Now()
	x, err := s.in.MessageByID(ctx, id)
	s.o.done("MessageByID", t, err)
	return x, err
}

func (s *messages) CountMessages(ctx context.Context, status auth.MessageStatus) (int, error) {
	t := time.Now()
	x, err := s.in.CountMessages(ctx, status)
	s.o.done("CountMessages", t, err)
	return x, err
}

func (s *messages) PurgeMessages(ctx context.Context, before time.Time, limit int) (int, error) {
	t := time.Now()
	x, err := s.in.PurgeMessages(ctx, before, limit)
	s.o.done("PurgeMessages", t, err)
	return x, err
}

// links instruments an auth.LinkStore.
type links struct {
	in auth.LinkStore
	o  ops
}

func (m *metrics) links(engine string, in auth.LinkStore) auth.LinkStore {
	return &links{in, m.ops(engine, "CreateLink", "LinkBySubject", "UserLinks", "DeleteLink", "DeleteUserLinks")}
}

func (s *links) CreateLink(ctx context.Context, l *auth.Link) error {
	t := time.Now()
	err := s.in.CreateLink(ctx, l)
	s.o.done("CreateLink", t, err)
	return err
}

func (s *links) LinkBySubject(ctx context.Context, tenantID, provider, subject string) (*auth.Link, error) {
	t := time.Now()
	x, err := s.in.LinkBySubject(ctx, tenantID, provider, subject)
	s.o.done("LinkBySubject", t, err)
	return x, err
}

func (s *links) UserLinks(ctx context.Context, tenantID, userID string) ([]*auth.Link, error) {
	t := time.Now()
	x, err := s.in.UserLinks(ctx, tenantID, userID)
	s.o.done("UserLinks", t, err)
	return x, err
}

func (s *links) DeleteLink(ctx context.Context, tenantID, provider, subject string) error {
	t := time.Now()
	err := s.in.DeleteLink(ctx, tenantID, provider, subject)
	s.o.done("DeleteLink", t, err)
	return err
}

func (s *links) DeleteUserLinks(ctx context.Context, tenantID, userID string) (int, error) {
	t := time.Now()
	x, err := s.in.DeleteUserLinks(ctx, tenantID, userID)
	s.o.done("DeleteUserLinks", t, err)
	return x, err
}
