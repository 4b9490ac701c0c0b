/*
 * postgres_rollup.c: the two rollup tables of the PostgreSQL backend,
 * written side by side as in sqlite_rollup.c (stats_hourly, the fine rows
 * reports by partner, task or link read; stats_campaign_hourly, the coarse
 * copy for day, hour and campaign). Every writer of rollups (click
 * batches, the conversion lifecycle) goes through pg_rollup_add, so the
 * two never disagree.
 *
 * Each addition is sent at once inside the job's transaction (pipeline
 * mode: no round trip), upserting its row.
 */
#include "store/postgres_internal.h"

static const char SQL_FINE[] =
    "INSERT INTO stats_hourly (hour_ms, program_id, campaign_id, task_id, partner_id, link_id, "
    "currency, clicks, unique_clicks, bot_clicks, conversions, revenue, payout) VALUES ($1, $2, "
    "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (hour_ms, campaign_id, task_id, "
    "partner_id, link_id, currency) DO UPDATE SET clicks = stats_hourly.clicks + excluded.clicks, "
    "unique_clicks = stats_hourly.unique_clicks + excluded.unique_clicks, bot_clicks = "
    "stats_hourly.bot_clicks + excluded.bot_clicks, conversions = stats_hourly.conversions + "
    "excluded.conversions, revenue = stats_hourly.revenue + excluded.revenue, payout = "
    "stats_hourly.payout + excluded.payout";

static const char SQL_CAMPAIGN[] =
    "INSERT INTO stats_campaign_hourly (hour_ms, program_id, campaign_id, currency, clicks, "
    "unique_clicks, bot_clicks, conversions, revenue, payout) VALUES ($1, $2, $3, $4, $5, $6, $7, "
    "$8, $9, $10) ON CONFLICT (campaign_id, hour_ms, currency) DO UPDATE SET clicks = "
    "stats_campaign_hourly.clicks + excluded.clicks, unique_clicks = "
    "stats_campaign_hourly.unique_clicks + excluded.unique_clicks, bot_clicks = "
    "stats_campaign_hourly.bot_clicks + excluded.bot_clicks, conversions = "
    "stats_campaign_hourly.conversions + excluded.conversions, revenue = "
    "stats_campaign_hourly.revenue + excluded.revenue, payout = stats_campaign_hourly.payout + "
    "excluded.payout";

enum tl_err pg_rollup_add(struct tl_pg_tx *tx, const struct tl_rollup *r)
{
    char b[13][24];
    const char *p[13];
    enum tl_err err;

    p[0] = pg_i64(b[0], r->hour_ms);
    p[1] = pg_i64(b[1], r->program_id);
    p[2] = pg_i64(b[2], r->campaign_id);
    p[3] = pg_i64(b[3], r->task_id);
    p[4] = pg_i64(b[4], r->partner_id);
    p[5] = pg_i64(b[5], r->link_id);
    p[6] = r->currency;
    p[7] = pg_i64(b[7], r->clicks);
    p[8] = pg_i64(b[8], r->unique_clicks);
    p[9] = pg_i64(b[9], r->bot_clicks);
    p[10] = pg_i64(b[10], r->conversions);
    p[11] = pg_i64(b[11], r->revenue);
    p[12] = pg_i64(b[12], r->payout);
    err = tl_pg_tx_send(tx, SQL_FINE, 13, p);
    if (err != TL_OK)
        return err;
    /* the coarse row: hour, program, campaign, currency and the sums */
    p[3] = r->currency;
    for (int i = 0; i < 6; i++)
        p[4 + i] = p[7 + i];
    return tl_pg_tx_send(tx, SQL_CAMPAIGN, 10, p);
}

static enum tl_err pg_rollup_add_tx(struct tl_tx *tx, const struct tl_rollup *r)
{
    return pg_rollup_add(pg_tx(tx), r);
}

void pg_rollup_ops(struct tl_backend_ops *o)
{
    o->rollup_add = pg_rollup_add_tx;
}

const struct tl_pg_hooks *pg_rollup_hooks(void)
{
    return NULL;
}
