/*
 * sqlite_reports.c: report sums over the rollups. The statement is built
 * for the filters actually given, so that SQLite can use the index that
 * fits (campaign, partner or program with hour_ms), and is prepared per
 * call: a report is not a hot path, and the text varies.
 *
 * A report that neither filters nor groups by partner, task or link (and
 * is not a partner's) reads stats_campaign_hourly, one row per campaign,
 * hour and currency, kept by triggers from stats_hourly (migration 002):
 * a campaign's quarter is then a few thousand rows instead of one row per
 * link and hour. docs/reports.md has the figures.
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_internal.h"

#define SQL_MAX 1024

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

/* Appends " AND <cond>" with the next parameter number. */
static void add(char *sql, size_t cap, const char *cond)
{
    size_t n = strlen(sql);

    snprintf(sql + n, cap - n, " AND %s", cond);
}

enum tl_err sq_report(struct tl_store *s, const struct tl_actor *who,
                      const struct tl_report_query *q, struct tl_arena *a,
                      struct tl_report_row **rows, size_t *n)
{
    const char *col = group_col(q->group);
    bool coarse;
    char sql[SQL_MAX];
    sqlite3_stmt *st = NULL;
    struct tl_report_row *out = NULL;
    size_t cap = 0;
    struct conn *c;
    enum tl_err err;
    int rc, i = 1;

    *rows = NULL;
    *n = 0;
    if (!sq_actor_valid(who))
        return TL_OK;
    coarse =
        who->kind != TL_ACCOUNT_PARTNER && q->partner_id == 0 && q->task_id == 0 &&
        (q->group == TL_GROUP_NONE || q->group == TL_GROUP_HOUR || q->group == TL_GROUP_CAMPAIGN);
    snprintf(sql, sizeof(sql),
             "SELECT %s, currency, SUM(clicks), SUM(unique_clicks), SUM(conversions), "
             "SUM(revenue), SUM(payout), SUM(bot_clicks) FROM %s WHERE 1",
             col, coarse ? "stats_campaign_hourly" : "stats_hourly");
    /* Parameters are numbered in the order these conditions are added. */
    if (who->kind == TL_ACCOUNT_BRAND)
        add(sql, sizeof(sql), "program_id IN (SELECT id FROM program WHERE brand_id = ?)");
    else if (who->kind == TL_ACCOUNT_PARTNER)
        add(sql, sizeof(sql), "partner_id = ?");
    if (q->program_id != 0)
        add(sql, sizeof(sql), "program_id = ?");
    if (q->campaign_id != 0)
        add(sql, sizeof(sql), "campaign_id = ?");
    if (q->partner_id != 0)
        add(sql, sizeof(sql), "partner_id = ?");
    if (q->task_id != 0)
        add(sql, sizeof(sql), "task_id = ?");
    if (q->from_ms != 0)
        add(sql, sizeof(sql), "hour_ms >= ?");
    if (q->to_ms != 0)
        add(sql, sizeof(sql), "hour_ms < ?");
    /* A bare 0 in GROUP BY would name a column: totals group by currency. */
    if (q->group == TL_GROUP_NONE)
        snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
                 " GROUP BY currency ORDER BY currency");
    else
        snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
                 " GROUP BY %s, currency ORDER BY %s, currency", col, col);

    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_db_err(c->db, rc);
    if (who->kind != TL_ACCOUNT_ADMIN)
        sqlite3_bind_int64(st, i++, who->account_id);
    if (q->program_id != 0)
        sqlite3_bind_int64(st, i++, q->program_id);
    if (q->campaign_id != 0)
        sqlite3_bind_int64(st, i++, q->campaign_id);
    if (q->partner_id != 0)
        sqlite3_bind_int64(st, i++, q->partner_id);
    if (q->task_id != 0)
        sqlite3_bind_int64(st, i++, q->task_id);
    if (q->from_ms != 0)
        sqlite3_bind_int64(st, i++, q->from_ms);
    if (q->to_ms != 0)
        sqlite3_bind_int64(st, i++, q->to_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tl_report_row *r;

        if (*n == cap && (out = sq_arr_grow(a, out, *n, &cap, sizeof(*out))) == NULL) {
            err = TL_ERR_NOMEM;
            goto out;
        }
        r = &out[(*n)++];
        r->key = sqlite3_column_int64(st, 0);
        err = sq_col_str(st, 1, a, &r->currency);
        if (err != TL_OK)
            goto out;
        r->clicks = sqlite3_column_int64(st, 2);
        r->unique_clicks = sqlite3_column_int64(st, 3);
        r->conversions = sqlite3_column_int64(st, 4);
        r->revenue = sqlite3_column_int64(st, 5);
        r->payout = sqlite3_column_int64(st, 6);
        r->bot_clicks = sqlite3_column_int64(st, 7);
    }
    if (rc != SQLITE_DONE)
        err = sq_db_err(c->db, rc);
out:
    sqlite3_finalize(st);
    if (err == TL_OK)
        *rows = out;
    else
        *n = 0;
    return err;
}
