-- Identities (tenants, users, API tokens) and, for `--session-store
-- postgres`, sessions. Hashes are raw SHA-256 bytes; times are timestamptz.
-- No foreign keys: tenants own users by ID only, as in the SQLite schema.
-- Everything here is also valid CockroachDB SQL.

CREATE TABLE tenants (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	token_hash  BYTEA UNIQUE,
	settings    JSONB NOT NULL DEFAULT '{}',
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	tenant_id     TEXT NOT NULL,
	name          TEXT NOT NULL,
	email         TEXT,
	state         TEXT NOT NULL,
	admin         BOOLEAN NOT NULL DEFAULT false,
	password_hash TEXT NOT NULL DEFAULT '',
	presence      TEXT NOT NULL DEFAULT '',
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL,
	UNIQUE (tenant_id, name),
	UNIQUE (tenant_id, email)
);

CREATE TABLE tokens (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	hash        BYTEA NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT '',
	active      BOOLEAN NOT NULL,
	org_id      TEXT NOT NULL DEFAULT '',
	permissions JSONB NOT NULL DEFAULT '[]',
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX tokens_user ON tokens (tenant_id, user_id);

CREATE TABLE sessions (
	id          TEXT PRIMARY KEY,
	token_hash  BYTEA NOT NULL UNIQUE,
	tenant_id   TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	origin      TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL,
	last_seen   TIMESTAMPTZ NOT NULL,
	ip          TEXT NOT NULL DEFAULT '',
	user_agent  TEXT NOT NULL DEFAULT '',
	device      JSONB
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id, created_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
