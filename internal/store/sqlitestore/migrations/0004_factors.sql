-- Second factors, recovery codes and personal access tokens (issue 14).
-- Independent of every other migration, so it may be applied before or
-- after 0003.
CREATE TABLE factors (
	id            TEXT PRIMARY KEY,
	tenant_id     TEXT NOT NULL,
	user_id       TEXT NOT NULL,
	kind          TEXT NOT NULL,
	name          TEXT NOT NULL DEFAULT '',
	secret        BLOB,
	credential_id BLOB,
	confirmed     INTEGER NOT NULL DEFAULT 0,
	last_step     INTEGER NOT NULL DEFAULT 0,
	code          BLOB,
	code_expires  INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	last_used     INTEGER NOT NULL DEFAULT 0,
	UNIQUE (tenant_id, credential_id)
);
CREATE INDEX factors_user ON factors (tenant_id, user_id, created_at);

CREATE TABLE recovery_codes (
	tenant_id  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	hash       TEXT NOT NULL,
	used_at    INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, user_id, hash)
);

CREATE TABLE personal_tokens (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	name       TEXT NOT NULL,
	hash       TEXT NOT NULL UNIQUE,
	last_part  TEXT NOT NULL DEFAULT '',
	bypass_2fa INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	last_used  INTEGER NOT NULL DEFAULT 0,
	UNIQUE (tenant_id, user_id, name)
);
