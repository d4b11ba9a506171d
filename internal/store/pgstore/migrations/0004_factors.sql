-- Second factors, recovery codes and personal access tokens (issue 14).
-- Independent of every other migration, so it may be applied before or
-- after 0003.
CREATE TABLE factors (
	id            TEXT PRIMARY KEY,
	tenant_id     TEXT NOT NULL,
	user_id       TEXT NOT NULL,
	kind          TEXT NOT NULL,
	name          TEXT NOT NULL DEFAULT '',
	secret        BYTEA,
	credential_id BYTEA,
	confirmed     BOOLEAN NOT NULL DEFAULT false,
	last_step     BIGINT NOT NULL DEFAULT 0,
	code          BYTEA,
	code_expires  TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL,
	last_used     TIMESTAMPTZ,
	UNIQUE (tenant_id, credential_id)
);
CREATE INDEX factors_user ON factors (tenant_id, user_id, created_at);

CREATE TABLE recovery_codes (
	tenant_id  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	hash       BYTEA NOT NULL,
	used_at    TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (tenant_id, user_id, hash)
);

CREATE TABLE personal_tokens (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	name       TEXT NOT NULL,
	hash       BYTEA NOT NULL UNIQUE,
	last_part  TEXT NOT NULL DEFAULT '',
	bypass_2fa BOOLEAN NOT NULL DEFAULT false,
	created_at TIMESTAMPTZ NOT NULL,
	last_used  TIMESTAMPTZ,
	UNIQUE (tenant_id, user_id, name)
);
