-- 001_init.sql: the whole data model of tracklink (docs: DESIGN.md, "Data model").
--
-- Conventions: ids are INTEGER PRIMARY KEY (positive, ascending); times are
-- INTEGER milliseconds since the Unix epoch, UTC; money is INTEGER minor
-- units next to a 3-letter currency; enums are stored as their API names
-- (TEXT). Tables are STRICT. The migration runner (store/sqlite.c) wraps this
-- file in one transaction together with its schema_migrations row.
--
-- Denormalised on purpose: campaign.brand_id and task.brand_id (a program
-- never changes brand) so that a brand's lists walk an index instead of
-- joining through program; task.program_id likewise. The table for UI logins
-- is app_user, because USER is reserved in PostgreSQL and the schema is the
-- same on both backends.

CREATE TABLE account (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('admin', 'brand', 'partner')),
    name        TEXT    NOT NULL,
    email       TEXT,
    created_at  INTEGER NOT NULL
) STRICT;

-- UI logins; pw_hash is an argon2id string. Emails compare case-insensitively.
CREATE TABLE app_user (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES account (id),
    email       TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    pw_hash     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX app_user_account ON app_user (account_id);

-- UI sessions: only the hash of the cookie's random token is stored.
CREATE TABLE session (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB    NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES app_user (id),
    csrf_token  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX session_user ON session (user_id);

-- API keys: BLAKE2b-256 of the key; prefix is shown for recognition only.
CREATE TABLE api_key (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES account (id),
    hash        BLOB    NOT NULL UNIQUE,
    prefix      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX api_key_account ON api_key (account_id);

-- permitted_domains is a JSON array of normalised host patterns
-- (["acme.test","*.acme.test"]), read and written whole.
CREATE TABLE program (
    id                    INTEGER PRIMARY KEY,
    brand_id              INTEGER NOT NULL REFERENCES account (id),
    name                  TEXT    NOT NULL,
    default_landing_page  TEXT    NOT NULL,
    permitted_domains     TEXT    NOT NULL DEFAULT '[]',
    click_id_param        TEXT    NOT NULL DEFAULT 'clickid',
    referral_window_days  INTEGER NOT NULL DEFAULT 30,
    currency              TEXT    NOT NULL DEFAULT 'USD',
    postback_key          TEXT    NOT NULL UNIQUE,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;
CREATE INDEX program_brand ON program (brand_id);

CREATE TABLE program_partner (
    program_id  INTEGER NOT NULL REFERENCES program (id),
    partner_id  INTEGER NOT NULL REFERENCES account (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (program_id, partner_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX program_partner_partner ON program_partner (partner_id, program_id);

CREATE TABLE landing_page (
    id          INTEGER PRIMARY KEY,
    program_id  INTEGER NOT NULL REFERENCES program (id),
    name        TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX landing_page_program ON landing_page (program_id);

CREATE TABLE campaign (
    id                INTEGER PRIMARY KEY,
    program_id        INTEGER NOT NULL REFERENCES program (id),
    brand_id          INTEGER NOT NULL REFERENCES account (id),
    name              TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'active', 'paused', 'ended')),
    tracking_enabled  INTEGER NOT NULL DEFAULT 1 CHECK (tracking_enabled IN (0, 1)),
    lp_mode           TEXT    NOT NULL DEFAULT 'program_default'
                      CHECK (lp_mode IN ('partner_choice', 'brand_selected', 'program_default')),
    payout_type       TEXT    NOT NULL CHECK (payout_type IN ('fixed', 'percent')),
    payout_amount     INTEGER NOT NULL DEFAULT 0,
    payout_rate_bp    INTEGER NOT NULL DEFAULT 0 CHECK (payout_rate_bp BETWEEN 0 AND 10000),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX campaign_program ON campaign (program_id);
CREATE INDEX campaign_brand ON campaign (brand_id);
CREATE INDEX campaign_status ON campaign (status);

-- The landing pages a brand_selected campaign allows, in the order given.
CREATE TABLE campaign_landing_page (
    campaign_id      INTEGER NOT NULL REFERENCES campaign (id),
    landing_page_id  INTEGER NOT NULL REFERENCES landing_page (id),
    pos              INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, landing_page_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE campaign_partner (
    campaign_id  INTEGER NOT NULL REFERENCES campaign (id),
    partner_id   INTEGER NOT NULL REFERENCES account (id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, partner_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX campaign_partner_partner ON campaign_partner (partner_id, campaign_id);

CREATE TABLE task (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaign (id),
    program_id   INTEGER NOT NULL REFERENCES program (id),
    brand_id     INTEGER NOT NULL REFERENCES account (id),
    title        TEXT    NOT NULL,
    description  TEXT,
    due_at       INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX task_campaign ON task (campaign_id);
CREATE INDEX task_brand ON task (brand_id);

CREATE TABLE task_partner (
    task_id     INTEGER NOT NULL REFERENCES task (id),
    partner_id  INTEGER NOT NULL REFERENCES account (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (task_id, partner_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_partner_partner ON task_partner (partner_id, task_id);

-- Tracking links. Sub ids and shared_id are NULL when absent; the identity
-- index compares them through COALESCE(x, '') so that two NULLs are equal.
-- Look a link up by identity with the same expressions, so that the index
-- is used: COALESCE(sub_id1, '') = COALESCE(?, '').
CREATE TABLE link (
    id           INTEGER PRIMARY KEY,
    code         TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL CHECK (kind IN ('short', 'regular')),
    landing_url  TEXT    NOT NULL, -- '' follows the program's default landing page
    partner_id   INTEGER NOT NULL REFERENCES account (id),
    task_id      INTEGER NOT NULL REFERENCES task (id),
    campaign_id  INTEGER NOT NULL REFERENCES campaign (id),
    program_id   INTEGER NOT NULL REFERENCES program (id),
    sub_id1      TEXT,
    sub_id2      TEXT,
    sub_id3      TEXT,
    shared_id    TEXT,
    created_by   TEXT    NOT NULL CHECK (created_by IN ('brand', 'partner')),
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX link_identity ON link (
    task_id, partner_id, landing_url, kind,
    COALESCE(sub_id1, ''), COALESCE(sub_id2, ''), COALESCE(sub_id3, ''),
    COALESCE(shared_id, ''));
CREATE INDEX link_partner ON link (partner_id, task_id);
CREATE INDEX link_campaign ON link (campaign_id);

-- Clicks. visitor_hash is a keyed hash of IP and user agent, never the IP.
-- link_id is NULL for a regular URL with no matching generated link.
CREATE TABLE click (
    -- One B-tree per click: the click id is the key (it starts with the
    -- time, so clicks are appended), and conversions look clicks up by it.
    click_id          TEXT    NOT NULL PRIMARY KEY,
    ts_ms             INTEGER NOT NULL,
    link_id           INTEGER, -- no foreign key: checking it costs every click
    partner_id        INTEGER NOT NULL,
    task_id           INTEGER NOT NULL,
    campaign_id       INTEGER NOT NULL,
    program_id        INTEGER NOT NULL,
    visitor_hash      BLOB,
    user_agent        TEXT,
    referrer          TEXT,
    sub_id1           TEXT,
    sub_id2           TEXT,
    sub_id3           TEXT,
    shared_id         TEXT,
    bot               INTEGER NOT NULL DEFAULT 0 CHECK (bot IN (0, 1)),
    uniq              INTEGER NOT NULL DEFAULT 0 CHECK (uniq IN (0, 1)),
    landing_fallback  INTEGER NOT NULL DEFAULT 0 CHECK (landing_fallback IN (0, 1))
) STRICT, WITHOUT ROWID;

-- Conversions. status: pending | approved | reversed (every change is
-- logged in conversion_event). click_id is the click's string id.
CREATE TABLE conversion (
    id           INTEGER PRIMARY KEY,
    click_id     TEXT    NOT NULL,
    order_id     TEXT    NOT NULL,
    event_type   TEXT    NOT NULL DEFAULT 'sale',
    amount       INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    payout       INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending',
    partner_id   INTEGER NOT NULL,
    task_id      INTEGER NOT NULL,
    campaign_id  INTEGER NOT NULL,
    program_id   INTEGER NOT NULL REFERENCES program (id),
    link_id      INTEGER,
    occurred_at  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (program_id, event_type, order_id)
) STRICT;
CREATE INDEX conversion_click ON conversion (click_id);
CREATE INDEX conversion_campaign ON conversion (campaign_id);
CREATE INDEX conversion_partner ON conversion (partner_id);

CREATE TABLE conversion_event (
    id                INTEGER PRIMARY KEY,
    conversion_id     INTEGER NOT NULL REFERENCES conversion (id),
    from_status       TEXT,
    to_status         TEXT    NOT NULL,
    reason            TEXT,
    actor_account_id  INTEGER,
    at                INTEGER NOT NULL
) STRICT;
CREATE INDEX conversion_event_conversion ON conversion_event (conversion_id);

-- Hourly rollups; reports read this and never scan clicks. link_id is 0
-- when a click or conversion has no link. Money never mixes currencies.
CREATE TABLE stats_hourly (
    hour_ms        INTEGER NOT NULL,
    program_id     INTEGER NOT NULL,
    campaign_id    INTEGER NOT NULL,
    task_id        INTEGER NOT NULL,
    partner_id     INTEGER NOT NULL,
    link_id        INTEGER NOT NULL DEFAULT 0,
    currency       TEXT    NOT NULL,
    clicks         INTEGER NOT NULL DEFAULT 0,
    unique_clicks  INTEGER NOT NULL DEFAULT 0,
    bot_clicks     INTEGER NOT NULL DEFAULT 0,
    conversions    INTEGER NOT NULL DEFAULT 0,
    revenue        INTEGER NOT NULL DEFAULT 0,
    payout         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour_ms, campaign_id, task_id, partner_id, link_id, currency)
) STRICT, WITHOUT ROWID;
CREATE INDEX stats_hourly_program ON stats_hourly (program_id, hour_ms);
CREATE INDEX stats_hourly_campaign ON stats_hourly (campaign_id, hour_ms);
CREATE INDEX stats_hourly_partner ON stats_hourly (partner_id, hour_ms);

-- A partner's postback configuration; events is a JSON array of names.
CREATE TABLE postback (
    partner_id  INTEGER PRIMARY KEY REFERENCES account (id),
    url         TEXT    NOT NULL,
    events      TEXT    NOT NULL DEFAULT '[]',
    updated_at  INTEGER NOT NULL
) STRICT;

-- Notifications waiting to be sent; url is expanded when queued.
CREATE TABLE postback_outbox (
    id               INTEGER PRIMARY KEY,
    partner_id       INTEGER NOT NULL REFERENCES account (id),
    conversion_id    INTEGER NOT NULL REFERENCES conversion (id),
    event            TEXT    NOT NULL,
    url              TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    last_status      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX postback_outbox_due ON postback_outbox (status, next_attempt_ms);
CREATE INDEX postback_outbox_conversion ON postback_outbox (conversion_id);

CREATE TABLE postback_attempt (
    id           INTEGER PRIMARY KEY,
    outbox_id    INTEGER NOT NULL REFERENCES postback_outbox (id),
    at           INTEGER NOT NULL,
    http_status  INTEGER,
    error        TEXT
) STRICT;
CREATE INDEX postback_attempt_outbox ON postback_attempt (outbox_id);
