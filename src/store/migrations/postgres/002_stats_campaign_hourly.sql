-- 002_stats_campaign_hourly.sql: the coarser rollup for reports, one row
-- per (campaign, hour, currency), as migrations/sqlite/002 (read it for
-- why). Every writer of rollups adds to both tables in the same
-- transaction.

CREATE TABLE stats_campaign_hourly (
    campaign_id    BIGINT  NOT NULL,
    hour_ms        BIGINT  NOT NULL,
    currency       TEXT    NOT NULL,
    program_id     BIGINT  NOT NULL,
    clicks         BIGINT  NOT NULL DEFAULT 0,
    unique_clicks  BIGINT  NOT NULL DEFAULT 0,
    bot_clicks     BIGINT  NOT NULL DEFAULT 0,
    conversions    BIGINT  NOT NULL DEFAULT 0,
    revenue        BIGINT  NOT NULL DEFAULT 0,
    payout         BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour_ms, currency)
);
CREATE INDEX stats_campaign_hourly_program ON stats_campaign_hourly (program_id, hour_ms);

INSERT INTO stats_campaign_hourly (campaign_id, hour_ms, currency, program_id, clicks,
    unique_clicks, bot_clicks, conversions, revenue, payout)
SELECT campaign_id, hour_ms, currency, MIN(program_id), SUM(clicks), SUM(unique_clicks),
    SUM(bot_clicks), SUM(conversions), SUM(revenue), SUM(payout)
FROM stats_hourly GROUP BY campaign_id, hour_ms, currency;
