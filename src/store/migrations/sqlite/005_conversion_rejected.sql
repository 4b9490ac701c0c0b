-- 005_conversion_rejected.sql: refused conversion attempts (POST /api/v1/conversions and
-- GET /postback), kept so that a brand can see why a conversion was not credited
-- (GET /api/v1/conversions/rejected; docs/api.md "Rejected conversions").
--
-- Written in batches by a background thread (track/rejections.c), never on a request's
-- path, and pruned by age and by count per (brand, program). brand_id is whose the row is;
-- program_id is 0 when the program is unknown (the click was not found). No foreign keys:
-- a rejection names what was sent, which may name nothing. facts is a JSON object (text):
-- the figures that decided the refusal. amount is NULL when none or no integer was sent.
--
-- Indexes: (brand_id, id) walks a brand's list in id order; (brand_id, program_id, id) a
-- program's, and counts each (brand, program) for the cap; (received_at) finds the old rows.

CREATE TABLE conversion_rejected (
    id           INTEGER PRIMARY KEY,
    brand_id     INTEGER NOT NULL,
    program_id   INTEGER NOT NULL DEFAULT 0,
    code         TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    detail       TEXT    NOT NULL,
    field        TEXT,
    source       TEXT    NOT NULL CHECK (source IN ('api', 'postback')),
    click_id     TEXT,
    order_id     TEXT,
    event_type   TEXT,
    amount       INTEGER,
    currency     TEXT,
    facts        TEXT    NOT NULL DEFAULT '{}',
    received_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX conversion_rejected_brand ON conversion_rejected (brand_id, id);
CREATE INDEX conversion_rejected_program ON conversion_rejected (brand_id, program_id, id);
CREATE INDEX conversion_rejected_received ON conversion_rejected (received_at);
