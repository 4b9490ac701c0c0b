-- 002_stats_campaign_hourly.sql: a second, coarser rollup for reports
-- (docs/reports.md).
--
-- stats_hourly is keyed by (hour, campaign, task, partner, link): with
-- hundreds of partners per campaign it holds about one row per link per
-- hour that had a click, so a campaign's 90 days can be hundreds of
-- thousands of rows. Reports that neither filter nor group by partner,
-- task or link (a brand's totals, days, hours, campaigns) read this table
-- instead: one row per (campaign, hour, currency), a few thousand rows per
-- campaign per quarter.
--
-- Every writer of rollups adds to both tables in the same transaction
-- (src/store/sqlite_rollup.c); click batches add to this one once per
-- campaign and hour. (Triggers on stats_hourly did the same at twice the
-- write cost per click.) Rows of an existing database are summed in here.

CREATE TABLE stats_campaign_hourly (
    campaign_id    INTEGER NOT NULL,
    hour_ms        INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    program_id     INTEGER NOT NULL,
    clicks         INTEGER NOT NULL DEFAULT 0,
    unique_clicks  INTEGER NOT NULL DEFAULT 0,
    bot_clicks     INTEGER NOT NULL DEFAULT 0,
    conversions    INTEGER NOT NULL DEFAULT 0,
    revenue        INTEGER NOT NULL DEFAULT 0,
    payout         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour_ms, currency)
) STRICT, WITHOUT ROWID;
CREATE INDEX stats_campaign_hourly_program ON stats_campaign_hourly (program_id, hour_ms);

INSERT INTO stats_campaign_hourly (campaign_id, hour_ms, currency, program_id, clicks,
    unique_clicks, bot_clicks, conversions, revenue, payout)
SELECT campaign_id, hour_ms, currency, MIN(program_id), SUM(clicks), SUM(unique_clicks),
    SUM(bot_clicks), SUM(conversions), SUM(revenue), SUM(payout)
FROM stats_hourly GROUP BY campaign_id, hour_ms, currency;
