-- Issue 13: verified emails, one-time codes (hashes only), the courier's
-- outbox and the outside identities (providers' subjects, phones) linked
-- to users. Times are Unix milliseconds, as elsewhere.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;

CREATE TABLE otps (
	id           TEXT PRIMARY KEY,
	tenant_id    TEXT NOT NULL,
	scope        TEXT NOT NULL,
	scope_id     TEXT NOT NULL DEFAULT '',
	channel      TEXT NOT NULL,
	recipient    TEXT NOT NULL,
	user_id      TEXT NOT NULL DEFAULT '',
	code_hash    TEXT NOT NULL,
	status       TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	resends      INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	last_sent_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	version      INTEGER NOT NULL
);
CREATE INDEX otps_pending ON otps (tenant_id, scope, channel, recipient) WHERE status = 'pending';
CREATE INDEX otps_expiry ON otps (expires_at);

CREATE TABLE messages (
	id           TEXT PRIMARY KEY,
	tenant_id    TEXT NOT NULL,
	channel      TEXT NOT NULL,
	recipient    TEXT NOT NULL,
	purpose      TEXT NOT NULL,
	code         TEXT NOT NULL DEFAULT '',
	subject      TEXT NOT NULL DEFAULT '',
	body         TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	sent_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_due ON messages (status, next_attempt);

CREATE TABLE user_links (
	tenant_id  TEXT NOT NULL,
	provider   TEXT NOT NULL,
	subject    TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, provider, subject)
);
CREATE INDEX user_links_user ON user_links (tenant_id, user_id);
