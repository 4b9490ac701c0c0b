/*
 * postgres_reports.c: the reports of the PostgreSQL backend, mirroring
 * sqlite_reports.c (see postgres_internal.h): sums over the rollups, the
 * statement built for the filters actually given, on a pooled reader.
 *
 * A report that neither filters nor groups by partner, task or link (and
 * is not a partner's) reads stats_campaign_hourly, the coarse copy; the
 * others read stats_hourly.
 */
#include <stdio.h>
#include <string.h>

#include "store/postgres_internal.h"

#define SQL_MAX    1024
#define PARAMS_MAX 8

static const char *group_col(enum tl_report_group g)
{
    switch (g) {
    case TL_GROUP_NONE: return "0";
    case TL_GROUP_HOUR: return "hour_ms";
    case TL_GROUP_CAMPAIGN: return "campaign_id";
    case TL_GROUP_PARTNER: return "partner_id";
    case TL_GROUP_TASK: return "task_id";
    case TL_GROUP_LINK: return "link_id";
    }
    return "0";
}

static bool actor_valid(const struct tl_actor *who)
{
    return who != NULL && (who->kind == TL_ACCOUNT_ADMIN || who->kind == TL_ACCOUNT_BRAND ||
                           who->kind == TL_ACCOUNT_PARTNER);
}

/* The statement being built and its text parameters. */
struct query {
    char sql[SQL_MAX];
    char buf[PARAMS_MAX][24];
    const char *p[PARAMS_MAX];
    int n;
};

/* Appends " AND <cond>" where cond has one %d for the parameter's number. */
static void add(struct query *q, const char *cond, int64_t v)
{
    size_t len = strlen(q->sql);

    q->p[q->n] = pg_i64(q->buf[q->n], v);
    q->n++;
    snprintf(q->sql + len, sizeof(q->sql) - len, " AND ");
    len = strlen(q->sql);
    snprintf(q->sql + len, sizeof(q->sql) - len, cond, q->n);
}

static enum tl_err pg_report(struct tl_store *s, const struct tl_actor *who,
                             const struct tl_report_query *rq, struct tl_arena *a,
                             struct tl_report_row **rows, size_t *n)
{
    const char *col = group_col(rq->group);
    struct query q = {.n = 0};
    struct tl_report_row *out = NULL;
    PGresult *r = NULL;
    size_t len;
    bool coarse;
    enum tl_err err;
    int nr, i;

    *rows = NULL;
    *n = 0;
    if (!actor_valid(who))
        return TL_OK;
    coarse = who->kind != TL_ACCOUNT_PARTNER && rq->partner_id == 0 && rq->task_id == 0 &&
             (rq->group == TL_GROUP_NONE || rq->group == TL_GROUP_HOUR ||
              rq->group == TL_GROUP_CAMPAIGN);
    snprintf(q.sql, sizeof(q.sql),
             "SELECT %s, currency, SUM(clicks)::bigint, SUM(unique_clicks)::bigint, "
             "SUM(conversions)::bigint, SUM(revenue)::bigint, SUM(payout)::bigint, "
             "SUM(bot_clicks)::bigint FROM %s WHERE true",
             col, coarse ? "stats_campaign_hourly" : "stats_hourly");
    if (who->kind == TL_ACCOUNT_BRAND)
        add(&q, "program_id IN (SELECT id FROM program WHERE brand_id = $%d)", who->account_id);
    else if (who->kind == TL_ACCOUNT_PARTNER)
        add(&q, "partner_id = $%d", who->account_id);
    if (rq->program_id != 0)
        add(&q, "program_id = $%d", rq->program_id);
    if (rq->campaign_id != 0)
        add(&q, "campaign_id = $%d", rq->campaign_id);
    if (rq->partner_id != 0)
        add(&q, "partner_id = $%d", rq->partner_id);
    if (rq->task_id != 0)
        add(&q, "task_id = $%d", rq->task_id);
    if (rq->from_ms != 0)
        add(&q, "hour_ms >= $%d", rq->from_ms);
    if (rq->to_ms != 0)
        add(&q, "hour_ms < $%d", rq->to_ms);
    /* Currencies in byte order, as SQLite sorts them. */
    len = strlen(q.sql);
    if (rq->group == TL_GROUP_NONE)
        snprintf(q.sql + len, sizeof(q.sql) - len,
                 " GROUP BY currency ORDER BY currency COLLATE \"C\"");
    else
        snprintf(q.sql + len, sizeof(q.sql) - len,
                 " GROUP BY %s, currency ORDER BY %s, currency COLLATE \"C\"", col, col);

    err = pg_read(s, q.sql, q.n, q.p, &r);
    if (err != TL_OK)
        return err;
    nr = PQntuples(r);
    if (nr > 0 && (out = tl_arena_alloc(a, (size_t)nr * sizeof(*out))) == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < nr; i++) {
        struct tl_report_row *w = &out[i];

        w->key = pg_col_i64(r, i, 0);
        err = pg_col_str(r, i, 1, a, &w->currency);
        if (err != TL_OK)
            goto out;
        w->clicks = pg_col_i64(r, i, 2);
        w->unique_clicks = pg_col_i64(r, i, 3);
        w->conversions = pg_col_i64(r, i, 4);
        w->revenue = pg_col_i64(r, i, 5);
        w->payout = pg_col_i64(r, i, 6);
        w->bot_clicks = pg_col_i64(r, i, 7);
    }
out:
    PQclear(r);
    if (err == TL_OK) {
        *rows = out;
        *n = (size_t)nr;
    }
    return err;
}

void pg_reports_ops(struct tl_backend_ops *o)
{
    o->report = pg_report;
}
