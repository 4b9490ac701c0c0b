-- 004_keys_sessions.sql: named API keys with a last-used time, and the
-- index that lets a sign-in drop expired sessions cheaply, as
-- migrations/sqlite/004 (read it for the rules).

ALTER TABLE api_key ADD COLUMN name TEXT NOT NULL DEFAULT 'default';
ALTER TABLE api_key ADD COLUMN last_used_at BIGINT;

CREATE INDEX session_expires ON session (expires_at);
