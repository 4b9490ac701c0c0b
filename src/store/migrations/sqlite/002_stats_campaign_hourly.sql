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
-- It is kept by triggers on stats_hourly, so every writer of stats_hourly
-- (the click batches, conversion creates and reversals) keeps it in step,
-- in the same transaction, without knowing about it. Key columns of
-- stats_hourly never change (writes only add to counters), so an update
-- adds NEW - OLD. Rows of an existing database are summed in at the end.

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

CREATE TRIGGER stats_hourly_rollup_insert AFTER INSERT ON stats_hourly
BEGIN
    INSERT INTO stats_campaign_hourly (campaign_id, hour_ms, currency, program_id, clicks,
        unique_clicks, bot_clicks, conversions, revenue, payout)
    VALUES (NEW.campaign_id, NEW.hour_ms, NEW.currency, NEW.program_id, NEW.clicks,
        NEW.unique_clicks, NEW.bot_clicks, NEW.conversions, NEW.revenue, NEW.payout)
    ON CONFLICT (campaign_id, hour_ms, currency) DO UPDATE SET
        clicks = clicks + excluded.clicks,
        unique_clicks = unique_clicks + excluded.unique_clicks,
        bot_clicks = bot_clicks + excluded.bot_clicks,
        conversions = conversions + excluded.conversions,
        revenue = revenue + excluded.revenue,
        payout = payout + excluded.payout;
END;

CREATE TRIGGER stats_hourly_rollup_update AFTER UPDATE ON stats_hourly
BEGIN
    UPDATE stats_campaign_hourly SET
        clicks = clicks + NEW.clicks - OLD.clicks,
        unique_clicks = unique_clicks + NEW.unique_clicks - OLD.unique_clicks,
        bot_clicks = bot_clicks + NEW.bot_clicks - OLD.bot_clicks,
        conversions = conversions + NEW.conversions - OLD.conversions,
        revenue = revenue + NEW.revenue - OLD.revenue,
        payout = payout + NEW.payout - OLD.payout
    WHERE campaign_id = NEW.campaign_id AND hour_ms = NEW.hour_ms AND currency = NEW.currency;
END;

CREATE TRIGGER stats_hourly_rollup_delete AFTER DELETE ON stats_hourly
BEGIN
    UPDATE stats_campaign_hourly SET
        clicks = clicks - OLD.clicks,
        unique_clicks = unique_clicks - OLD.unique_clicks,
        bot_clicks = bot_clicks - OLD.bot_clicks,
        conversions = conversions - OLD.conversions,
        revenue = revenue - OLD.revenue,
        payout = payout - OLD.payout
    WHERE campaign_id = OLD.campaign_id AND hour_ms = OLD.hour_ms AND currency = OLD.currency;
END;

INSERT INTO stats_campaign_hourly (campaign_id, hour_ms, currency, program_id, clicks,
    unique_clicks, bot_clicks, conversions, revenue, payout)
SELECT campaign_id, hour_ms, currency, MIN(program_id), SUM(clicks), SUM(unique_clicks),
    SUM(bot_clicks), SUM(conversions), SUM(revenue), SUM(payout)
FROM stats_hourly GROUP BY campaign_id, hour_ms, currency;
