/*
 * sqlite_rollup.c: the two rollup tables, written side by side.
 *
 * stats_hourly is keyed by (hour, campaign, task, partner, link, currency):
 * what reports by partner, task or link read. stats_campaign_hourly (by
 * campaign, hour and currency) is the coarse copy that reports by day,
 * hour or campaign read, a few thousand rows per campaign per quarter.
 * Every writer of rollups goes through here, so the two never disagree;
 * the click batches add to the coarse table once per campaign and hour
 * rather than once per fine row.
 */
#include "store/sqlite_internal.h"

static const char SQL_FINE[] =
    "INSERT INTO stats_hourly (hour_ms, program_id, campaign_id, task_id, partner_id, link_id, "
    "currency, clicks, unique_clicks, bot_clicks, conversions, revenue, payout) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (hour_ms, campaign_id, task_id, "
    "partner_id, link_id, currency) DO UPDATE SET clicks = clicks + excluded.clicks, "
    "unique_clicks = unique_clicks + excluded.unique_clicks, bot_clicks = bot_clicks + "
    "excluded.bot_clicks, conversions = conversions + excluded.conversions, revenue = revenue + "
    "excluded.revenue, payout = payout + excluded.payout";

static const char SQL_CAMPAIGN[] =
    "INSERT INTO stats_campaign_hourly (hour_ms, program_id, campaign_id, currency, clicks, "
    "unique_clicks, bot_clicks, conversions, revenue, payout) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8, ?9, ?10) ON CONFLICT (campaign_id, hour_ms, currency) DO UPDATE SET clicks = clicks + "
    "excluded.clicks, unique_clicks = unique_clicks + excluded.unique_clicks, bot_clicks = "
    "bot_clicks + excluded.bot_clicks, conversions = conversions + excluded.conversions, revenue "
    "= revenue + excluded.revenue, payout = payout + excluded.payout";

static void bind_sums(sqlite3_stmt *q, int first, const struct sq_rollup *r)
{
    sqlite3_bind_int64(q, first, r->clicks);
    sqlite3_bind_int64(q, first + 1, r->unique_clicks);
    sqlite3_bind_int64(q, first + 2, r->bot_clicks);
    sqlite3_bind_int64(q, first + 3, r->conversions);
    sqlite3_bind_int64(q, first + 4, r->revenue);
    sqlite3_bind_int64(q, first + 5, r->payout);
}

enum tl_err sq_rollup_fine(struct conn *c, const struct sq_rollup *r)
{
    sqlite3_stmt *q;
    enum tl_err err = sq_prep(c, SQL_FINE, &q);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, r->hour_ms);
    sqlite3_bind_int64(q, 2, r->program_id);
    sqlite3_bind_int64(q, 3, r->campaign_id);
    sqlite3_bind_int64(q, 4, r->task_id);
    sqlite3_bind_int64(q, 5, r->partner_id);
    sqlite3_bind_int64(q, 6, r->link_id);
    sq_bind_str(q, 7, r->currency);
    bind_sums(q, 8, r);
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}

enum tl_err sq_rollup_campaign(struct conn *c, const struct sq_rollup *r)
{
    sqlite3_stmt *q;
    enum tl_err err = sq_prep(c, SQL_CAMPAIGN, &q);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, r->hour_ms);
    sqlite3_bind_int64(q, 2, r->program_id);
    sqlite3_bind_int64(q, 3, r->campaign_id);
    sq_bind_str(q, 4, r->currency);
    bind_sums(q, 5, r);
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}

enum tl_err sq_rollup_add(struct conn *c, const struct sq_rollup *r)
{
    enum tl_err err = sq_rollup_fine(c, r);

    return err == TL_OK ? sq_rollup_campaign(c, r) : err;
}
