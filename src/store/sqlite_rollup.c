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
 *
 * Deferred rollups: in the writer's transaction, sq_rollup_add only notes
 * its additions, merged by key, and sq_rollup_flush writes them before the
 * COMMIT, in the same transaction (see sqlite_internal.h). perf under
 * bench/conversions.sh: the two upserts per conversion were 16 % of the
 * writer thread's time.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_internal.h"

#define ROLL_CURRENCY_MAX 16 /* longer currencies (none valid) are written at once */

struct sq_roll {
    struct tl_rollup r; /* r.currency points at currency */
    char currency[ROLL_CURRENCY_MAX];
};

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

static void bind_sums(sqlite3_stmt *q, int first, const struct tl_rollup *r)
{
    sqlite3_bind_int64(q, first, r->clicks);
    sqlite3_bind_int64(q, first + 1, r->unique_clicks);
    sqlite3_bind_int64(q, first + 2, r->bot_clicks);
    sqlite3_bind_int64(q, first + 3, r->conversions);
    sqlite3_bind_int64(q, first + 4, r->revenue);
    sqlite3_bind_int64(q, first + 5, r->payout);
}

enum tl_err sq_rollup_fine(struct conn *c, const struct tl_rollup *r)
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

enum tl_err sq_rollup_campaign(struct conn *c, const struct tl_rollup *r)
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

/* Entry i, its currency pointing at its own copy (roll moves as it grows,
 * and entries move as jobs end: the pointer is set at each read). */
static struct tl_rollup *roll_at(struct conn *c, size_t i)
{
    c->roll[i].r.currency = c->roll[i].currency;
    return &c->roll[i].r;
}

static bool same_fine(const struct tl_rollup *a, const struct tl_rollup *b)
{
    return sq_rollup_same_coarse(a, b) && a->task_id == b->task_id &&
           a->partner_id == b->partner_id && a->link_id == b->link_id;
}

bool sq_rollup_same_coarse(const struct tl_rollup *a, const struct tl_rollup *b)
{
    return a->hour_ms == b->hour_ms && a->campaign_id == b->campaign_id &&
           strcmp(a->currency, b->currency) == 0;
}

void sq_rollup_add_sums(struct tl_rollup *to, const struct tl_rollup *r)
{
    to->clicks += r->clicks;
    to->unique_clicks += r->unique_clicks;
    to->bot_clicks += r->bot_clicks;
    to->conversions += r->conversions;
    to->revenue += r->revenue;
    to->payout += r->payout;
}

enum tl_err sq_rollup_add(struct conn *c, const struct tl_rollup *r)
{
    struct sq_roll *e;
    size_t cap;
    enum tl_err err;

    if (!c->rolling || strlen(r->currency) >= ROLL_CURRENCY_MAX) {
        err = sq_rollup_fine(c, r);
        return err == TL_OK ? sq_rollup_campaign(c, r) : err;
    }
    if (c->n_roll == c->cap_roll) {
        cap = c->cap_roll == 0 ? 16 : 2 * c->cap_roll;
        e = realloc(c->roll, cap * sizeof(*e));
        if (e == NULL)
            return TL_ERR_NOMEM;
        c->roll = e;
        c->cap_roll = cap;
    }
    e = &c->roll[c->n_roll++];
    e->r = *r;
    strcpy(e->currency, r->currency);
    return TL_OK;
}

void sq_rollup_begin(struct conn *c)
{
    c->rolling = true;
    c->n_roll = c->roll_job = 0;
}

void sq_rollup_job_end(struct conn *c, bool keep)
{
    size_t i, k;

    if (!keep) {
        c->n_roll = c->roll_job;
        return;
    }
    for (i = c->roll_job; i < c->n_roll; i++) {
        for (k = 0; k < c->roll_job && !same_fine(roll_at(c, k), roll_at(c, i)); k++)
            ;
        if (k < c->roll_job)
            sq_rollup_add_sums(&c->roll[k].r, &c->roll[i].r);
        else
            c->roll[c->roll_job++] = c->roll[i];
    }
    c->n_roll = c->roll_job;
}

enum tl_err sq_rollup_flush(struct conn *c)
{
    struct tl_rollup coarse;
    size_t i, k;
    enum tl_err err = TL_OK;

    c->rolling = false;
    for (i = 0; i < c->roll_job && err == TL_OK; i++)
        err = sq_rollup_fine(c, roll_at(c, i));
    /* One coarse row per (hour, campaign, currency), summed over the fine
     * keys that share it, written where it first appears. */
    for (i = 0; i < c->roll_job && err == TL_OK; i++) {
        for (k = 0; k < i && !sq_rollup_same_coarse(&c->roll[k].r, &c->roll[i].r); k++)
            ;
        if (k < i)
            continue;
        coarse = c->roll[i].r;
        for (k = i + 1; k < c->roll_job; k++)
            if (sq_rollup_same_coarse(&c->roll[k].r, &coarse))
                sq_rollup_add_sums(&coarse, &c->roll[k].r);
        err = sq_rollup_campaign(c, &coarse);
    }
    c->n_roll = c->roll_job = 0;
    return err;
}

void sq_rollup_abort(struct conn *c)
{
    c->rolling = false;
    c->n_roll = c->roll_job = 0;
}

void sq_rollup_free(struct conn *c)
{
    free(c->roll);
    c->roll = NULL;
    c->n_roll = c->cap_roll = c->roll_job = 0;
}
