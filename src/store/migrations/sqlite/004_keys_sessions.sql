-- 004_keys_sessions.sql: named API keys with a last-used time, and the
-- index that lets a sign-in drop expired sessions cheaply.
--
-- An account holds any number of keys; the one made with the account is
-- named 'default'. last_used_at is NULL until the key is first used, and is
-- then moved at most once a minute per key (the server queues the write off
-- the request path), so it is accurate to about a minute. A revoked key's
-- row is deleted: nothing refers to api_key.
--
-- session.expires_at slides: each use that comes more than a minute after
-- the last refresh moves it to twelve hours ahead. Sessions past it are
-- refused at once and deleted by the next sign-in (session_expires).

ALTER TABLE api_key ADD COLUMN name TEXT NOT NULL DEFAULT 'default';
ALTER TABLE api_key ADD COLUMN last_used_at INTEGER;

CREATE INDEX session_expires ON session (expires_at);
