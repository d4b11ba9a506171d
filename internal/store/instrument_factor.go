package store

import (
	"context"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// factors instruments an auth.FactorStore (latency, errors, the deadline
// and the hang detector of every other store call).
type factors struct {
	instrumented[auth.FactorStore]
}

func (m *metrics) factors(engine string, in auth.FactorStore) auth.FactorStore {
	return &factors{instrument(m, engine, in)}
}

func (s *factors) CreateFactor(ctx context.Context, f *auth.Factor) error {
	return call0(s.o, ctx, "CreateFactor", func(ctx context.Context) error { return s.in.CreateFactor(ctx, f) })
}

func (s *factors) UserFactors(ctx context.Context, tenantID, userID string) ([]*auth.Factor, error) {
	return call(s.o, ctx, "UserFactors", func(ctx context.Context) ([]*auth.Factor, error) { return s.in.UserFactors(ctx, tenantID, userID) })
}

func (s *factors) UpdateFactor(ctx context.Context, f *auth.Factor) error {
	return call0(s.o, ctx, "UpdateFactor", func(ctx context.Context) error { return s.in.UpdateFactor(ctx, f) })
}

func (s *factors) AdvanceFactorStep(ctx context.Context, tenantID, id string, step int64, at time.Time) error {
	return call0(s.o, ctx, "AdvanceFactorStep", func(ctx context.Context) error { return s.in.AdvanceFactorStep(ctx, tenantID, id, step, at) })
}

func (s *factors) DeleteFactor(ctx context.Context, tenantID, id string) error {
	return call0(s.o, ctx, "DeleteFactor", func(ctx context.Context) error { return s.in.DeleteFactor(ctx, tenantID, id) })
}

func (s *factors) DeleteUserFactors(ctx context.Context, tenantID, userID string) error {
	return call0(s.o, ctx, "DeleteUserFactors", func(ctx context.Context) error { return s.in.DeleteUserFactors(ctx, tenantID, userID) })
}

// recoveryCodes instruments an auth.RecoveryCodeStore.
type recoveryCodes struct {
	instrumented[auth.RecoveryCodeStore]
}

func (m *metrics) recoveryCodes(engine string, in auth.RecoveryCodeStore) auth.RecoveryCodeStore {
	return &recoveryCodes{instrument(m, engine, in)}
}

func (s *recoveryCodes) SetRecoveryCodes(ctx context.Context, tenantID, userID string, hashes []auth.Hash, at time.Time) error {
	return call0(s.o, ctx, "SetRecoveryCodes", func(ctx context.Context) error { return s.in.SetRecoveryCodes(ctx, tenantID, userID, hashes, at) })
}

func (s *recoveryCodes) UseRecoveryCode(ctx context.Context, tenantID, userID string, h auth.Hash, at time.Time) error {
	return call0(s.o, ctx, "UseRecoveryCode", func(ctx context.Context) error { return s.in.UseRecoveryCode(ctx, tenantID, userID, h, at) })
}

func (s *recoveryCodes) RecoveryCodesLeft(ctx context.Context, tenantID, userID string) (int, error) {
	return call(s.o, ctx, "RecoveryCodesLeft", func(ctx context.Context) (int, error) { return s.in.RecoveryCodesLeft(ctx, tenantID, userID) })
}

// personalTokens instruments an auth.PersonalTokenStore.
type personalTokens struct {
	instrumented[auth.PersonalTokenStore]
}

func (m *metrics) personalTokens(engine string, in auth.PersonalTokenStore) auth.PersonalTokenStore {
	return &personalTokens{instrument(m, engine, in)}
}

func (s *personalTokens) CreatePersonalToken(ctx context.Context, t *auth.PersonalToken) error {
	return call0(s.o, ctx, "CreatePersonalToken", func(ctx context.Context) error { return s.in.CreatePersonalToken(ctx, t) })
}

func (s *personalTokens) PersonalTokenByHash(ctx context.Context, h auth.Hash) (*auth.PersonalToken, error) {
	return call(s.o, ctx, "PersonalTokenByHash", func(ctx context.Context) (*auth.PersonalToken, error) { return s.in.PersonalTokenByHash(ctx, h) })
}

func (s *personalTokens) UserPersonalTokens(ctx context.Context, tenantID, userID string) ([]*auth.PersonalToken, error) {
	return call(s.o, ctx, "UserPersonalTokens", func(ctx context.Context) ([]*auth.PersonalToken, error) {
		return s.in.UserPersonalTokens(ctx, tenantID, userID)
	})
}

func (s *personalTokens) UpdatePersonalToken(ctx context.Context, t *auth.PersonalToken) error {
	return call0(s.o, ctx, "UpdatePersonalToken", func(ctx context.Context) error { return s.in.UpdatePersonalToken(ctx, t) })
}

func (s *personalTokens) DeletePersonalToken(ctx context.Context, tenantID, id string) error {
	return call0(s.o, ctx, "DeletePersonalToken", func(ctx context.Context) error { return s.in.DeletePersonalToken(ctx, tenantID, id) })
}
