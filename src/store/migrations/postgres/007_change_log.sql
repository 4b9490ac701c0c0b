-- 007_change_log.sql: the change log that keeps the caches of several
-- nodes on one database coherent (PostgreSQL only: an SQLite store has one
-- node, whose own writes are announced by store/ops.c).
--
-- Triggers on the tables whose changes a cache depends on add one row per
-- changed row, in the same transaction as the change, and pg_notify the
-- channel tl_change (an empty payload: PostgreSQL folds identical
-- notifications of one transaction into one, delivered at commit). Every
-- node LISTENs and, on a notification, reads the rows after the last it
-- saw (store/postgres_changes.c). The log is the truth; the notification
-- only says "read now".
--
-- kind is enum tl_change_kind of store.h: 1 program, 2 campaign, 3 task
-- partners, 4 link created, 5 link updated, 6 API key revoked.
-- xid is the writing transaction's: a row whose transaction commits
-- after a later id was read is still found (the reader re-reads the rows
-- of transactions that were running at its last read).

CREATE TABLE change_log (
    id           BIGINT    GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         SMALLINT  NOT NULL,
    object_id    BIGINT    NOT NULL DEFAULT 0,
    campaign_id  BIGINT    NOT NULL DEFAULT 0,
    key_hash     BYTEA,
    xid          XID8      NOT NULL DEFAULT pg_current_xact_id(),
    created_at   BIGINT    NOT NULL
                 DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
);
CREATE INDEX change_log_xid ON change_log (xid);
CREATE INDEX change_log_created ON change_log (created_at);

-- The highest id pruned so far: a reader whose last id is below it has
-- missed rows that are gone, and drops its caches whole.
CREATE TABLE change_log_horizon (
    one        BOOLEAN  PRIMARY KEY DEFAULT TRUE CHECK (one),
    pruned_to  BIGINT   NOT NULL DEFAULT 0
);
INSERT INTO change_log_horizon DEFAULT VALUES;

CREATE FUNCTION tl_change_add(k SMALLINT, obj BIGINT, camp BIGINT, h BYTEA) RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (kind, object_id, campaign_id, key_hash)
        VALUES (k, COALESCE(obj, 0), COALESCE(camp, 0), h);
    PERFORM pg_notify('tl_change', '');
END
$$;

-- program: its settings (landing page, permitted domains, ...).
CREATE FUNCTION tl_change_program() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tl_change_add(1::SMALLINT, NEW.id, 0, NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER program_change AFTER UPDATE ON program
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION tl_change_program();

-- landing pages and program membership: what a program's targets hang on.
CREATE FUNCTION tl_change_program_of() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM tl_change_add(1::SMALLINT, r.program_id, 0, NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER landing_page_change AFTER UPDATE OR DELETE ON landing_page
    FOR EACH ROW EXECUTE FUNCTION tl_change_program_of();
CREATE TRIGGER program_partner_change AFTER DELETE ON program_partner
    FOR EACH ROW EXECUTE FUNCTION tl_change_program_of();

-- campaign: status, tracking, landing page mode, payout.
CREATE FUNCTION tl_change_campaign() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tl_change_add(2::SMALLINT, NEW.id, NEW.id, NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER campaign_change AFTER UPDATE ON campaign
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION tl_change_campaign();

-- a campaign's selected landing pages and its membership.
CREATE FUNCTION tl_change_campaign_of() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM tl_change_add(2::SMALLINT, r.campaign_id, r.campaign_id, NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER campaign_landing_page_change AFTER INSERT OR UPDATE OR DELETE
    ON campaign_landing_page FOR EACH ROW EXECUTE FUNCTION tl_change_campaign_of();
CREATE TRIGGER campaign_partner_change AFTER DELETE ON campaign_partner
    FOR EACH ROW EXECUTE FUNCTION tl_change_campaign_of();

-- task assignments: regular paths /c/{p}/{t}/{c} resolve through them.
CREATE FUNCTION tl_change_task_partner() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM tl_change_add(3::SMALLINT, r.task_id,
                          (SELECT campaign_id FROM task WHERE id = r.task_id), NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER task_partner_change AFTER INSERT OR DELETE ON task_partner
    FOR EACH ROW EXECUTE FUNCTION tl_change_task_partner();

-- links: created (short codes that were unknown may exist now), or
-- changed (enabled, disabled).
CREATE FUNCTION tl_change_link() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM tl_change_add(4::SMALLINT, NEW.id, NEW.campaign_id, NULL);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM tl_change_add(5::SMALLINT, NEW.id, NEW.campaign_id, NULL);
    ELSE
        PERFORM tl_change_add(5::SMALLINT, OLD.id, OLD.campaign_id, NULL);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER link_insert_change AFTER INSERT ON link
    FOR EACH ROW EXECUTE FUNCTION tl_change_link();
CREATE TRIGGER link_update_change AFTER UPDATE ON link
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION tl_change_link();
CREATE TRIGGER link_delete_change AFTER DELETE ON link
    FOR EACH ROW EXECUTE FUNCTION tl_change_link();

-- API keys: a revoked (deleted) key, by its hash. Touches (last_used_at)
-- change nothing a cache holds and are not logged.
CREATE FUNCTION tl_change_api_key() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tl_change_add(6::SMALLINT, OLD.id, 0, OLD.hash);
    RETURN NULL;
END
$$;
CREATE TRIGGER api_key_change AFTER DELETE ON api_key
    FOR EACH ROW EXECUTE FUNCTION tl_change_api_key();
