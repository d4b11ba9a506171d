-- The digest verifier of Rocket.Chat's {digest} and {hashed} logins: an
-- argon2id PHC string of the password's hex SHA-256, empty until made.
ALTER TABLE users ADD COLUMN digest_hash TEXT NOT NULL DEFAULT '';
