/*
 * postgres_conversions.c: conversions and partner postbacks in the
 * PostgreSQL backend, mirroring sqlite_conversions.c: the primitives that
 * store/conversions.c builds the conversion lifecycle on (insert-if-absent
 * on the unique key, status updates, events, outbox rows, the attribution
 * lookup), and the reads.
 *
 * The primitives run inside a job of the group-commit writer (pg_tx):
 * statements whose answer nothing needs (events, status updates, outbox
 * rows) are sent without waiting. The insert is INSERT ... ON CONFLICT DO
 * NOTHING RETURNING id at READ COMMITTED: a concurrent insert of the same
 * key waits for the other's outcome, and the read of the key that follows
 * (a statement of its own, so a snapshot of its own) sees the winner's
 * row. No retry loop. Reads that need several tables in one snapshot
 * (history, deliveries with their attempts) are one statement each.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conversion.h"
#include "core/postback.h"
#include "core/time.h"
#include "store/postgres_internal.h"

#define ATTEMPT_LOG_MAX 100  /* attempts listed per delivery, newest kept */
#define EVENTS_MAX      1000 /* history rows read: a guard, a conversion has three */

#define CONV_COLS                                                                                  \
    "v.id, v.status, v.click_id, v.order_id, v.event_type, v.amount, v.currency, v.payout, "       \
    "v.partner_id, v.campaign_id, v.task_id, v.link_id, v.program_id, v.occurred_at, "             \
    "v.created_at, v.updated_at"

/* $2 kind, $3 account */
#define VIS_CONV                                                                                   \
    "($2::int = 1 OR ($2::int = 2 AND EXISTS (SELECT 1 FROM program p WHERE p.id = v.program_id "  \
    "AND p.brand_id = $3::bigint)) OR ($2::int = 4 AND v.partner_id = $3::bigint))"
#define OWN_CONV                                                                                   \
    "($2::int = 1 OR ($2::int = 2 AND EXISTS (SELECT 1 FROM program p WHERE p.id = v.program_id "  \
    "AND p.brand_id = $3::bigint)))"
#define VIS_PROGRAM                                                                                \
    "($2::int = 1 OR ($2::int = 2 AND p.brand_id = $3::bigint) OR ($2::int = 4 AND EXISTS "        \
    "(SELECT 1 FROM program_partner pp WHERE pp.program_id = p.id AND pp.partner_id = "            \
    "$3::bigint)))"

#define PROGRAM_COLS_P                                                                             \
    "p.id, p.brand_id, p.name, p.default_landing_page, p.permitted_domains,"                       \
    " p.click_id_param, p.referral_window_days, p.currency, p.postback_key, p.created_at,"         \
    " p.updated_at"

#define OUTBOX_COLS                                                                                \
    "o.id, o.partner_id, o.conversion_id, o.event, o.url, o.status, o.attempts, o.last_status, "   \
    "o.next_attempt_ms, o.created_at, o.updated_at"

static const char *const delivery_names[] = {"pending", "delivered", "failed"};

/* ------------------------------------------------------------------ */
/* helpers */

static bool actor_valid(const struct tl_actor *who)
{
    return who != NULL && (who->kind == TL_ACCOUNT_ADMIN || who->kind == TL_ACCOUNT_BRAND ||
                           who->kind == TL_ACCOUNT_PARTNER);
}

static void page_norm(const struct tl_page *page, int64_t *after, int *limit)
{
    *after = page != NULL && page->after > 0 ? page->after : 0;
    *limit = page != NULL ? page->limit : TL_LIST_DEFAULT;
    if (*limit < 1)
        *limit = TL_LIST_DEFAULT;
    if (*limit > TL_LIST_MAX)
        *limit = TL_LIST_MAX;
}

static bool col_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

/* A 64-bit integer parameter that is NULL when 0 (optional ids). */
static const char *opt_i64(char *buf, int64_t v)
{
    return v == 0 ? NULL : pg_i64(buf, v);
}

static enum tl_err fill_conv(const PGresult *q, int row, struct tl_arena *a,
                             struct tl_conversion *v)
{
    const char *status = NULL;
    enum tl_err err;
    int st;

    memset(v, 0, sizeof(*v));
    v->id = pg_col_i64(q, row, 0);
    if ((err = pg_col_str(q, row, 1, a, &status)) != TL_OK ||
        (err = pg_col_str(q, row, 2, a, &v->click_id)) != TL_OK ||
        (err = pg_col_str(q, row, 3, a, &v->order_id)) != TL_OK ||
        (err = pg_col_str(q, row, 4, a, &v->event_type)) != TL_OK ||
        (err = pg_col_str(q, row, 6, a, &v->currency)) != TL_OK)
        return err;
    st = tl_conversion_status_parse(status);
    v->status = st < 0 ? TL_CONV_PENDING : (enum tl_conversion_status)st;
    v->amount = pg_col_i64(q, row, 5);
    v->payout = pg_col_i64(q, row, 7);
    v->partner_id = pg_col_i64(q, row, 8);
    v->campaign_id = pg_col_i64(q, row, 9);
    v->task_id = pg_col_i64(q, row, 10);
    v->link_id = pg_col_i64(q, row, 11); /* NULL reads as 0 */
    v->program_id = pg_col_i64(q, row, 12);
    v->occurred_at = pg_col_i64(q, row, 13);
    v->created_at = pg_col_i64(q, row, 14);
    v->updated_at = pg_col_i64(q, row, 15);
    return TL_OK;
}

/* The rows of r (at most limit; *more when there were more) as an array of
 * size-byte items in a, each filled by fill. */
typedef enum tl_err (*fill_row_fn)(const PGresult *q, int row, struct tl_arena *a, void *item);

static enum tl_err collect(const PGresult *r, int limit, struct tl_arena *a, size_t size,
                           fill_row_fn fill, void **items, size_t *n, bool *more)
{
    int rows = PQntuples(r);
    char *arr = NULL;
    enum tl_err err = TL_OK;

    *items = NULL;
    *n = 0;
    *more = rows > limit;
    if (rows > limit)
        rows = limit;
    if (rows > 0 && (arr = tl_arena_alloc(a, (size_t)rows * size)) == NULL)
        err = TL_ERR_NOMEM;
    for (int i = 0; i < rows && err == TL_OK; i++)
        err = fill(r, i, a, arr + (size_t)i * size);
    if (err != TL_OK) {
        *more = false;
        return err;
    }
    *items = arr;
    *n = (size_t)rows;
    return TL_OK;
}

static enum tl_err fill_conv_item(const PGresult *q, int row, struct tl_arena *a, void *item)
{
    return fill_conv(q, row, a, item);
}

/* ------------------------------------------------------------------ */
/* programs by postback key */

static const char SQL_PROGRAM_BY_KEY[] =
    "SELECT " PROGRAM_COLS_P " FROM program p WHERE p.postback_key = $1";

static enum tl_err domains_decode(const char *text, struct tl_arena *a, const char ***out,
                                  size_t *n_out)
{
    const char **d = NULL;
    json_t *arr, *v;
    enum tl_err err = TL_OK;
    size_t i, n;

    *out = NULL;
    *n_out = 0;
    if (text == NULL)
        return TL_OK;
    arr = json_loads(text, 0, NULL);
    if (arr == NULL || !json_is_array(arr)) {
        err = TL_ERR_IO;
        goto out;
    }
    n = json_array_size(arr);
    if (n > 0 && (d = tl_arena_alloc(a, n * sizeof(*d))) == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) {
            err = TL_ERR_IO;
            goto out;
        }
        d[i] = tl_arena_strdup(a, json_string_value(v));
        if (d[i] == NULL) {
            err = TL_ERR_NOMEM;
            goto out;
        }
    }
    *out = d;
    *n_out = n;
out:
    json_decref(arr);
    return err;
}

static enum tl_err pg_program_by_postback_key(struct tl_store *s, const char *key,
                                              struct tl_arena *a, struct tl_program *out)
{
    const char *p[1] = {key};
    PGresult *r = NULL;
    enum tl_err err;

    memset(out, 0, sizeof(*out));
    if (key == NULL || key[0] == '\0')
        return TL_ERR_NOTFOUND;
    err = pg_read(s, SQL_PROGRAM_BY_KEY, 1, p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0) {
        err = TL_ERR_NOTFOUND;
        goto out;
    }
    out->id = pg_col_i64(r, 0, 0);
    out->brand_id = pg_col_i64(r, 0, 1);
    out->referral_window_days = (int)pg_col_i64(r, 0, 6);
    out->created_at = pg_col_i64(r, 0, 9);
    out->updated_at = pg_col_i64(r, 0, 10);
    if ((err = pg_col_str(r, 0, 2, a, &out->name)) != TL_OK ||
        (err = pg_col_str(r, 0, 3, a, &out->default_landing_page)) != TL_OK ||
        (err = domains_decode(PQgetvalue(r, 0, 4), a, &out->permitted_domains,
                              &out->n_permitted_domains)) != TL_OK ||
        (err = pg_col_str(r, 0, 5, a, &out->click_id_param)) != TL_OK ||
        (err = pg_col_str(r, 0, 7, a, &out->currency)) != TL_OK ||
        (err = pg_col_str(r, 0, 8, a, &out->postback_key)) != TL_OK)
        goto out;
out:
    PQclear(r);
    return err;
}

/* ------------------------------------------------------------------ */
/* the primitives of the conversion lifecycle (backend.h; the rules are
 * in store/conversions.c) */

static const char SQL_EVENT_INSERT[] =
    "INSERT INTO conversion_event (conversion_id, from_status, to_status, reason, "
    "actor_account_id, at) VALUES ($1, $2, $3, $4, $5, $6)";
static const char SQL_POSTBACK_OF[] = "SELECT url, events FROM postback WHERE partner_id = $1";
static const char SQL_CLICK_SUBS[] =
    "SELECT sub_id1, sub_id2, sub_id3, shared_id FROM click WHERE click_id = $1";
static const char SQL_OUTBOX_INSERT[] =
    "INSERT INTO postback_outbox (partner_id, conversion_id, event, url, status, attempts, "
    "next_attempt_ms, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $6)";

static enum tl_err pg_conversion_event_add(struct tl_tx *tx, const struct tl_conversion_event *e)
{
    char b[3][24];
    const char *p[6];

    p[0] = pg_i64(b[0], e->conversion_id);
    p[1] = e->from_status < 0 ? NULL
                              : tl_conversion_status_str((enum tl_conversion_status)e->from_status);
    p[2] = tl_conversion_status_str(e->to_status);
    p[3] = e->reason;
    p[4] = pg_i64(b[1], e->actor_account_id);
    p[5] = pg_i64(b[2], e->at);
    return tl_pg_tx_send(pg_tx(tx), SQL_EVENT_INSERT, 6, p);
}

static unsigned events_decode(const char *json)
{
    json_t *arr = json != NULL ? json_loads(json, 0, NULL) : NULL;
    unsigned mask = 0;
    size_t i;

    if (json_is_array(arr))
        for (i = 0; i < json_array_size(arr); i++)
            mask |= tl_postback_event_parse(json_string_value(json_array_get(arr, i)));
    json_decref(arr);
    return mask;
}

static enum tl_err pg_postback_of(struct tl_tx *tx, int64_t partner_id, struct tl_arena *a,
                                  const char **url_template, unsigned *events)
{
    char b[24];
    const char *p[1] = {pg_i64(b, partner_id)};
    PGresult *r = NULL;
    enum tl_err err;

    *url_template = NULL;
    *events = 0;
    err = tl_pg_tx_query(pg_tx(tx), SQL_POSTBACK_OF, 1, p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0)
        err = TL_ERR_NOTFOUND;
    if (err == TL_OK)
        err = pg_col_str(r, 0, 0, a, url_template);
    if (err == TL_OK)
        *events = events_decode(PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1));
    PQclear(r);
    return err;
}

static enum tl_err pg_click_subs(struct tl_tx *tx, const char *click_id, struct tl_arena *a,
                                 const char *sub[4])
{
    const char *p[1] = {click_id};
    PGresult *r = NULL;
    enum tl_err err;
    int i;

    err = tl_pg_tx_query(pg_tx(tx), SQL_CLICK_SUBS, 1, p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0)
        err = TL_ERR_NOTFOUND;
    for (i = 0; i < 4 && err == TL_OK; i++)
        err = pg_col_str(r, 0, i, a, &sub[i]);
    PQclear(r);
    return err;
}

static enum tl_err pg_outbox_add(struct tl_tx *tx, const struct tl_outbox_entry *e)
{
    char b[3][24];
    const char *p[6];

    p[0] = pg_i64(b[0], e->partner_id);
    p[1] = pg_i64(b[1], e->conversion_id);
    p[2] = tl_postback_event_str(e->event);
    p[3] = e->url;
    p[4] = e->failed ? "failed" : "pending";
    p[5] = pg_i64(b[2], e->at_ms);
    return tl_pg_tx_send(pg_tx(tx), SQL_OUTBOX_INSERT, 6, p);
}

static const char SQL_CONV_INSERT[] =
    "INSERT INTO conversion (click_id, order_id, event_type, amount, currency, payout, status, "
    "partner_id, task_id, campaign_id, program_id, link_id, occurred_at, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
    "ON CONFLICT (program_id, event_type, order_id) DO NOTHING RETURNING id";
static const char SQL_CONV_BY_KEY[] =
    "SELECT " CONV_COLS " FROM conversion v WHERE v.program_id = $1 AND v.event_type = $2 AND "
    "v.order_id = $3";

static enum tl_err pg_conversion_insert(struct tl_tx *tx, const struct tl_conversion *in,
                                        int64_t *id)
{
    char b[11][24];
    const char *p[15];
    PGresult *r = NULL;
    enum tl_err err;

    *id = 0;
    p[0] = in->click_id;
    p[1] = in->order_id;
    p[2] = in->event_type;
    p[3] = pg_i64(b[0], in->amount);
    p[4] = in->currency;
    p[5] = pg_i64(b[1], in->payout);
    p[6] = tl_conversion_status_str(in->status);
    p[7] = pg_i64(b[2], in->partner_id);
    p[8] = pg_i64(b[3], in->task_id);
    p[9] = pg_i64(b[4], in->campaign_id);
    p[10] = pg_i64(b[5], in->program_id);
    p[11] = opt_i64(b[6], in->link_id);
    p[12] = pg_i64(b[7], in->occurred_at);
    p[13] = pg_i64(b[8], in->created_at);
    p[14] = pg_i64(b[9], in->updated_at);
    err = tl_pg_tx_query(pg_tx(tx), SQL_CONV_INSERT, 15, p, &r);
    if (err == TL_OK && PQntuples(r) > 0)
        *id = pg_col_i64(r, 0, 0); /* no row: the key existed */
    PQclear(r);
    return err;
}

/* Runs a one-row read of a conversion inside a job. */
static enum tl_err conv_one(struct tl_tx *tx, const char *sql, int n, const char *const *p,
                            struct tl_arena *a, struct tl_conversion *out)
{
    PGresult *r = NULL;
    enum tl_err err = tl_pg_tx_query(pg_tx(tx), sql, n, p, &r);

    if (err != TL_OK)
        return err;
    err = PQntuples(r) == 0 ? TL_ERR_NOTFOUND : fill_conv(r, 0, a, out);
    PQclear(r);
    return err;
}

static enum tl_err pg_conversion_by_key(struct tl_tx *tx, int64_t program_id,
                                        const char *event_type, const char *order_id,
                                        struct tl_arena *a, struct tl_conversion *out)
{
    char b[24];
    const char *p[3] = {pg_i64(b, program_id), event_type, order_id};

    return conv_one(tx, SQL_CONV_BY_KEY, 3, p, a, out);
}

/* The click, its program when who sees it (p.id NULL otherwise) and its
 * campaign (c.id NULL when gone), in one statement. $1 click id, $2 kind,
 * $3 account (VIS_PROGRAM). */
static const char SQL_ATTRIBUTION[] =
    "SELECT k.click_id, k.ts_ms, k.link_id, k.partner_id, k.task_id, k.campaign_id, "
    "k.program_id, k.sub_id1, k.sub_id2, k.sub_id3, k.shared_id, k.bot, "
    "p.id, p.brand_id, p.referral_window_days, p.currency, "
    "c.id, c.program_id, c.brand_id, c.status, c.tracking_enabled, c.payout_type, "
    "c.payout_amount, c.payout_rate_bp "
    "FROM click k LEFT JOIN program p ON p.id = k.program_id AND " VIS_PROGRAM " "
    "LEFT JOIN campaign c ON c.id = k.campaign_id WHERE k.click_id = $1";

static enum tl_err fill_attribution(const PGresult *q, struct tl_arena *a, struct tl_click_info *k,
                                    struct tl_program *p, struct tl_campaign *c, bool *has_program,
                                    bool *has_campaign)
{
    enum tl_err err;
    int i, status, payout;

    if ((err = pg_col_str(q, 0, 0, a, &k->click_id)) != TL_OK)
        return err;
    for (i = 0; i < 4; i++)
        if ((err = pg_col_str(q, 0, 7 + i, a, &k->sub[i])) != TL_OK)
            return err;
    k->ts_ms = pg_col_i64(q, 0, 1);
    k->link_id = pg_col_i64(q, 0, 2);
    k->partner_id = pg_col_i64(q, 0, 3);
    k->task_id = pg_col_i64(q, 0, 4);
    k->campaign_id = pg_col_i64(q, 0, 5);
    k->program_id = pg_col_i64(q, 0, 6);
    k->bot = col_bool(q, 0, 11);
    *has_program = !PQgetisnull(q, 0, 12);
    if (*has_program) {
        p->id = pg_col_i64(q, 0, 12);
        p->brand_id = pg_col_i64(q, 0, 13);
        p->referral_window_days = (int)pg_col_i64(q, 0, 14);
        if ((err = pg_col_str(q, 0, 15, a, &p->currency)) != TL_OK)
            return err;
    }
    *has_campaign = !PQgetisnull(q, 0, 16);
    if (*has_campaign) {
        c->id = pg_col_i64(q, 0, 16);
        c->program_id = pg_col_i64(q, 0, 17);
        c->brand_id = pg_col_i64(q, 0, 18);
        status = tl_campaign_status_parse(PQgetvalue(q, 0, 19));
        c->tracking_enabled = col_bool(q, 0, 20);
        payout = tl_payout_type_parse(PQgetvalue(q, 0, 21));
        if (status < 0 || payout < 0)
            return TL_ERR_IO;
        c->status = (enum tl_campaign_status)status;
        c->payout_type = (enum tl_payout_type)payout;
        c->payout_amount = pg_col_i64(q, 0, 22);
        c->payout_rate_bp = (int)pg_col_i64(q, 0, 23);
    }
    return TL_OK;
}

static enum tl_err pg_attribution(struct tl_tx *tx, const struct tl_actor *who,
                                  const char *click_id, struct tl_arena *a,
                                  struct tl_click_info *click, bool *found,
                                  struct tl_program *program, bool *has_program,
                                  struct tl_campaign *campaign, bool *has_campaign)
{
    char b[2][24];
    const char *p[3] = {click_id, pg_i64(b[0], (int)who->kind), pg_i64(b[1], who->account_id)};
    PGresult *r = NULL;
    enum tl_err err;

    memset(click, 0, sizeof(*click));
    memset(program, 0, sizeof(*program));
    memset(campaign, 0, sizeof(*campaign));
    *found = *has_program = *has_campaign = false;
    err = tl_pg_tx_query(pg_tx(tx), SQL_ATTRIBUTION, 3, p, &r);
    if (err != TL_OK)
        return err;
    *found = PQntuples(r) > 0;
    if (*found)
        err = fill_attribution(r, a, click, program, campaign, has_program, has_campaign);
    PQclear(r);
    if (err != TL_OK)
        *found = *has_program = *has_campaign = false;
    return err;
}

static const char SQL_CONV_OWN_GET[] =
    "SELECT " CONV_COLS " FROM conversion v WHERE v.id = $1::bigint AND " OWN_CONV;
static const char SQL_CONV_SET_STATUS[] =
    "UPDATE conversion SET status = $2, updated_at = $3 WHERE id = $1";

static enum tl_err pg_conversion_owned(struct tl_tx *tx, const struct tl_actor *who, int64_t id,
                                       struct tl_arena *a, struct tl_conversion *out)
{
    char b[3][24];
    const char *p[3] = {pg_i64(b[0], id), pg_i64(b[1], (int)who->kind),
                        pg_i64(b[2], who->account_id)};

    return conv_one(tx, SQL_CONV_OWN_GET, 3, p, a, out);
}

static enum tl_err pg_conversion_set_status(struct tl_tx *tx, int64_t id,
                                            enum tl_conversion_status to, int64_t at_ms)
{
    char b[2][24];
    const char *p[3] = {pg_i64(b[0], id), tl_conversion_status_str(to), pg_i64(b[1], at_ms)};

    return tl_pg_tx_send(pg_tx(tx), SQL_CONV_SET_STATUS, 3, p);
}

/* ------------------------------------------------------------------ */
/* reads */

static const char SQL_CONV_GET[] =
    "SELECT " CONV_COLS " FROM conversion v WHERE v.id = $1::bigint AND " VIS_CONV;

static enum tl_err pg_conversion_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                     struct tl_arena *a, struct tl_conversion *out)
{
    char b[3][24];
    const char *p[3];
    PGresult *r = NULL;
    enum tl_err err;

    if (!actor_valid(who))
        return TL_ERR_NOTFOUND;
    p[0] = pg_i64(b[0], id);
    p[1] = pg_i64(b[1], (int)who->kind);
    p[2] = pg_i64(b[2], who->account_id);
    err = pg_read(s, SQL_CONV_GET, 3, p, &r);
    if (err != TL_OK)
        return err;
    err = PQntuples(r) == 0 ? TL_ERR_NOTFOUND : fill_conv(r, 0, a, out);
    PQclear(r);
    return err;
}

/* $1 unused, $2 kind, $3 account, $4 campaign or 0, $5 partner or 0,
 * $6 status or NULL, $7 after (newest first: below), $8 limit + 1 */
#define CONV_LIST_WHERE                                                                            \
    "SELECT " CONV_COLS " FROM conversion v WHERE $1::bigint IS NOT NULL AND " VIS_CONV            \
    " AND ($4::bigint = 0 OR v.campaign_id = $4::bigint) AND ($5::bigint = 0 OR v.partner_id = "   \
    "$5::bigint) AND ($6::text IS NULL OR v.status = $6::text)"
/* [oldest first, newest first] */
static const char *const SQL_CONV_LIST[2] = {
    CONV_LIST_WHERE " AND v.id > $7::bigint ORDER BY v.id LIMIT $8::bigint",
    CONV_LIST_WHERE " AND v.id < $7::bigint ORDER BY v.id DESC LIMIT $8::bigint",
};

static enum tl_err pg_conversion_list(struct tl_store *s, const struct tl_actor *who,
                                      const struct tl_conversion_filter *f,
                                      const struct tl_page *page, struct tl_arena *a,
                                      struct tl_conversion **items, size_t *n, bool *more)
{
    char b[7][24];
    const char *p[8];
    PGresult *r = NULL;
    void *arr = NULL;
    int64_t after;
    int limit;
    bool desc;
    enum tl_err err;

    *items = NULL;
    *n = 0;
    *more = false;
    if (!actor_valid(who))
        return TL_ERR_NOTFOUND;
    page_norm(page, &after, &limit);
    desc = f != NULL && f->newest_first;
    if (desc && after == 0)
        after = INT64_MAX;
    p[0] = "0";
    p[1] = pg_i64(b[1], (int)who->kind);
    p[2] = pg_i64(b[2], who->account_id);
    p[3] = pg_i64(b[3], f != NULL ? f->campaign_id : 0);
    p[4] = pg_i64(b[4], f != NULL ? f->partner_id : 0);
    p[5] = f != NULL && f->status >= 0
               ? tl_conversion_status_str((enum tl_conversion_status)f->status)
               : NULL;
    p[6] = pg_i64(b[5], after);
    p[7] = pg_i64(b[6], (int64_t)limit + 1);
    err = pg_read(s, SQL_CONV_LIST[desc ? 1 : 0], 8, p, &r);
    if (err != TL_OK)
        return err;
    err = collect(r, limit, a, sizeof(**items), fill_conv_item, &arr, n, more);
    *items = arr;
    PQclear(r);
    return err;
}

/* The conversion when who sees it (no row otherwise), with its events in
 * id order (one row with NULL event columns when it has none): one
 * snapshot for both. */
static const char SQL_HISTORY[] =
    "SELECT e.id, e.conversion_id, e.from_status, e.to_status, e.reason, e.actor_account_id, "
    "e.at FROM conversion v LEFT JOIN LATERAL (SELECT * FROM conversion_event ce WHERE "
    "ce.conversion_id = v.id ORDER BY ce.id LIMIT $4::bigint) e ON true WHERE v.id = $1::bigint "
    "AND " VIS_CONV " ORDER BY e.id";

static enum tl_err fill_event(const PGresult *q, int row, struct tl_arena *a, void *item)
{
    struct tl_conversion_event *e = item;
    const char *from = NULL, *to = NULL;
    enum tl_err err;
    int st;

    memset(e, 0, sizeof(*e));
    e->id = pg_col_i64(q, row, 0);
    e->conversion_id = pg_col_i64(q, row, 1);
    if ((err = pg_col_str(q, row, 2, a, &from)) != TL_OK ||
        (err = pg_col_str(q, row, 3, a, &to)) != TL_OK ||
        (err = pg_col_str(q, row, 4, a, &e->reason)) != TL_OK)
        return err;
    e->from_status = from != NULL ? tl_conversion_status_parse(from) : -1;
    st = tl_conversion_status_parse(to);
    e->to_status = st < 0 ? TL_CONV_PENDING : (enum tl_conversion_status)st;
    e->actor_account_id = pg_col_i64(q, row, 5);
    e->at = pg_col_i64(q, row, 6);
    return TL_OK;
}

static enum tl_err pg_conversion_history(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                         struct tl_arena *a, struct tl_conversion_event **items,
                                         size_t *n)
{
    char b[4][24];
    const char *p[4];
    PGresult *r = NULL;
    void *arr = NULL;
    bool more = false;
    enum tl_err err;

    *items = NULL;
    *n = 0;
    if (!actor_valid(who))
        return TL_ERR_NOTFOUND;
    p[0] = pg_i64(b[0], id);
    p[1] = pg_i64(b[1], (int)who->kind);
    p[2] = pg_i64(b[2], who->account_id);
    p[3] = pg_i64(b[3], EVENTS_MAX);
    err = pg_read(s, SQL_HISTORY, 4, p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0)
        err = TL_ERR_NOTFOUND;
    else if (!(PQntuples(r) == 1 && PQgetisnull(r, 0, 0)))
        err = collect(r, EVENTS_MAX, a, sizeof(**items), fill_event, &arr, n, &more);
    *items = arr;
    PQclear(r);
    return err;
}

/* ------------------------------------------------------------------ */
/* postback configuration */

static const char SQL_POSTBACK_SET[] =
    "INSERT INTO postback (partner_id, url, events, updated_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (partner_id) DO UPDATE SET url = excluded.url, events = excluded.events, "
    "updated_at = excluded.updated_at";
static const char SQL_POSTBACK_GET[] =
    "SELECT url, events, updated_at FROM postback WHERE partner_id = $1";

struct pb_set_ctx {
    const struct tl_actor *who;
    const struct tl_postback_config *in;
    const char *events;
};

static enum tl_err pb_set_job(struct tl_pg_tx *tx, void *arg)
{
    struct pb_set_ctx *x = arg;
    char b[2][24];
    const char *p[4] = {pg_i64(b[0], x->who->account_id), x->in->url, x->events,
                        pg_i64(b[1], tl_time_now_ms())};

    return tl_pg_tx_send(tx, SQL_POSTBACK_SET, 4, p);
}

static enum tl_err pg_postback_set(struct tl_store *s, const struct tl_actor *who,
                                   const struct tl_postback_config *in)
{
    struct pb_set_ctx x = {who, in, NULL};
    json_t *arr;
    char *events;
    unsigned bit;
    enum tl_err err;

    if (who == NULL || who->kind != TL_ACCOUNT_PARTNER)
        return TL_ERR_NOTFOUND;
    arr = json_array();
    if (arr == NULL)
        return TL_ERR_NOMEM;
    for (bit = TL_PB_CREATED; bit <= TL_PB_REVERSED; bit <<= 1)
        if ((in->events & bit) != 0 &&
            json_array_append_new(arr, json_string(tl_postback_event_str(bit))) != 0) {
            json_decref(arr);
            return TL_ERR_NOMEM;
        }
    events = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (events == NULL)
        return TL_ERR_NOMEM;
    x.events = events;
    err = tl_pg_write(pg_of(s), pb_set_job, &x);
    free(events);
    return err;
}

static enum tl_err pg_postback_get(struct tl_store *s, const struct tl_actor *who,
                                   struct tl_arena *a, struct tl_postback_config *out)
{
    char b[24];
    const char *p[1];
    PGresult *r = NULL;
    enum tl_err err;

    memset(out, 0, sizeof(*out));
    if (who == NULL || who->kind != TL_ACCOUNT_PARTNER)
        return TL_ERR_NOTFOUND;
    p[0] = pg_i64(b, who->account_id);
    err = pg_read(s, SQL_POSTBACK_GET, 1, p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0)
        err = TL_ERR_NOTFOUND;
    if (err == TL_OK)
        err = pg_col_str(r, 0, 0, a, &out->url);
    if (err == TL_OK) {
        out->partner_id = who->account_id;
        out->events = events_decode(PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1));
        out->updated_at = pg_col_i64(r, 0, 2);
    }
    PQclear(r);
    return err;
}

/* ------------------------------------------------------------------ */
/* deliveries */

static enum tl_err fill_delivery(const PGresult *q, int row, struct tl_arena *a,
                                 struct tl_postback_delivery *d)
{
    const char *status = NULL;
    enum tl_err err;
    size_t i;

    memset(d, 0, sizeof(*d));
    d->id = pg_col_i64(q, row, 0);
    d->partner_id = pg_col_i64(q, row, 1);
    d->conversion_id = pg_col_i64(q, row, 2);
    if ((err = pg_col_str(q, row, 3, a, &d->event)) != TL_OK ||
        (err = pg_col_str(q, row, 4, a, &d->url)) != TL_OK ||
        (err = pg_col_str(q, row, 5, a, &status)) != TL_OK)
        return err;
    for (i = 0; i < 3; i++)
        if (status != NULL && strcmp(status, delivery_names[i]) == 0)
            d->status = (enum tl_delivery_status)i;
    d->attempts = (int)pg_col_i64(q, row, 6);
    d->last_status = (int)pg_col_i64(q, row, 7);
    d->next_attempt_ms = pg_col_i64(q, row, 8);
    d->created_at = pg_col_i64(q, row, 9);
    d->updated_at = pg_col_i64(q, row, 10);
    return TL_OK;
}

/* The partner's deliveries (a page of them, limit + 1 rows to tell more),
 * each with its newest ATTEMPT_LOG_MAX attempts: one row per attempt
 * (attempt columns 11.. NULL when it has none), deliveries in page order,
 * attempts oldest first. $1 partner, $2 status or NULL, $3 after (newest
 * first: below), $4 limit + 1, $5 ATTEMPT_LOG_MAX. */
#define DELIVERIES_SQL(cmp, dir)                                                                   \
    "SELECT " OUTBOX_COLS ", t.id, t.at, t.http_status, t.error FROM (SELECT * FROM "              \
    "postback_outbox WHERE partner_id = $1::bigint AND ($2::text IS NULL OR status = $2::text) "   \
    "AND id " cmp " $3::bigint ORDER BY id " dir " LIMIT $4::bigint) o LEFT JOIN LATERAL (SELECT " \
    "id, at, http_status, error FROM postback_attempt WHERE outbox_id = o.id ORDER BY id DESC "    \
    "LIMIT $5::bigint) t ON true ORDER BY o.id " dir ", t.id"
/* [oldest first, newest first] */
static const char *const SQL_DELIVERIES[2] = {
    DELIVERIES_SQL(">", "ASC"),
    DELIVERIES_SQL("<", "DESC"),
};

static enum tl_err pg_postback_deliveries(struct tl_store *s, const struct tl_actor *who,
                                          int status, bool newest_first, const struct tl_page *page,
                                          struct tl_arena *a, struct tl_postback_delivery **items,
                                          size_t *n, bool *more)
{
    struct tl_postback_delivery *arr = NULL, *d = NULL;
    struct tl_postback_attempt *log;
    char b[4][24];
    const char *p[5];
    PGresult *r = NULL;
    int64_t after, id;
    int limit, rows, i, j, k;
    size_t count = 0;
    enum tl_err err;

    *items = NULL;
    *n = 0;
    *more = false;
    if (who == NULL || who->kind != TL_ACCOUNT_PARTNER)
        return TL_ERR_NOTFOUND;
    page_norm(page, &after, &limit);
    if (newest_first && after == 0)
        after = INT64_MAX;
    p[0] = pg_i64(b[0], who->account_id);
    p[1] = status >= 0 && status < 3 ? delivery_names[status] : NULL;
    p[2] = pg_i64(b[1], after);
    p[3] = pg_i64(b[2], (int64_t)limit + 1);
    p[4] = pg_i64(b[3], ATTEMPT_LOG_MAX);
    err = pg_read(s, SQL_DELIVERIES[newest_first ? 1 : 0], 5, p, &r);
    if (err != TL_OK)
        return err;
    rows = PQntuples(r);
    if (rows > 0 && (arr = tl_arena_alloc(a, (size_t)rows * sizeof(*arr))) == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < rows && err == TL_OK; i = j) {
        id = pg_col_i64(r, i, 0);
        for (j = i + 1; j < rows && pg_col_i64(r, j, 0) == id; j++)
            ;
        if (count == (size_t)limit) {
            *more = true;
            break;
        }
        d = &arr[count++];
        err = fill_delivery(r, i, a, d);
        if (err != TL_OK || PQgetisnull(r, i, 11))
            continue; /* no attempts */
        log = tl_arena_alloc(a, (size_t)(j - i) * sizeof(*log));
        if (log == NULL) {
            err = TL_ERR_NOMEM;
            break;
        }
        for (k = i; k < j && err == TL_OK; k++) {
            memset(&log[k - i], 0, sizeof(*log));
            log[k - i].at = pg_col_i64(r, k, 12);
            log[k - i].http_status = (int)pg_col_i64(r, k, 13);
            err = pg_col_str(r, k, 14, a, &log[k - i].error);
        }
        d->log = log;
        d->n_log = (size_t)(j - i);
    }
    if (err == TL_OK) {
        *items = arr;
        *n = count;
    } else {
        *more = false;
    }
out:
    PQclear(r);
    return err;
}

/* ------------------------------------------------------------------ */
/* the sender's side */

/* $1 now, $2 max, $3 the ids in flight (an array literal) */
static const char SQL_DUE[] =
    "SELECT " OUTBOX_COLS " FROM postback_outbox o WHERE o.status = 'pending' AND "
    "o.next_attempt_ms <= $1::bigint AND NOT (o.id = ANY ($3::bigint[])) "
    "ORDER BY o.next_attempt_ms, o.id LIMIT $2::bigint";

/* skip as a PostgreSQL array literal ("{1,2}"), malloc'd. */
static char *ids_literal(const int64_t *skip, size_t n_skip)
{
    size_t cap = 3 + n_skip * 21, len = 1;
    char *s = malloc(cap);

    if (s == NULL)
        return NULL;
    s[0] = '{';
    for (size_t i = 0; i < n_skip; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%lld", i > 0 ? "," : "", (long long)skip[i]);
    snprintf(s + len, cap - len, "}");
    return s;
}

static enum tl_err fill_delivery_item(const PGresult *q, int row, struct tl_arena *a, void *item)
{
    return fill_delivery(q, row, a, item);
}

static enum tl_err pg_outbox_due(struct tl_store *s, int64_t now_ms, int max, const int64_t *skip,
                                 size_t n_skip, struct tl_arena *a,
                                 struct tl_postback_delivery **items, size_t *n)
{
    char b[2][24];
    const char *p[3];
    char *ids;
    PGresult *r = NULL;
    void *arr = NULL;
    bool more = false;
    enum tl_err err;

    *items = NULL;
    *n = 0;
    if (max < 1)
        return TL_OK;
    ids = ids_literal(skip, n_skip);
    if (ids == NULL)
        return TL_ERR_NOMEM;
    p[0] = pg_i64(b[0], now_ms);
    p[1] = pg_i64(b[1], max);
    p[2] = ids;
    err = pg_read(s, SQL_DUE, 3, p, &r);
    free(ids);
    if (err != TL_OK)
        return err;
    err = collect(r, max, a, sizeof(**items), fill_delivery_item, &arr, n, &more);
    *items = arr;
    PQclear(r);
    return err;
}

static const char SQL_ATTEMPT_INSERT[] =
    "INSERT INTO postback_attempt (outbox_id, at, http_status, error) VALUES ($1, $2, $3, $4)";
static const char SQL_OUTBOX_UPDATE[] =
    "UPDATE postback_outbox SET attempts = attempts + 1, last_status = $2, status = $3, "
    "next_attempt_ms = $4, updated_at = $5 WHERE id = $1 AND status = 'pending'";

struct record_ctx {
    int64_t id, at;
    int http_status;
    const char *error;
    bool delivered;
    int64_t next;
};

static enum tl_err record_job(struct tl_pg_tx *tx, void *arg)
{
    struct record_ctx *x = arg;
    char b[5][24];
    const char *p[5];
    enum tl_err err;

    p[0] = pg_i64(b[0], x->id);
    p[1] = pg_i64(b[1], x->at);
    p[2] = opt_i64(b[2], x->http_status);
    p[3] = x->error;
    err = tl_pg_tx_send(tx, SQL_ATTEMPT_INSERT, 4, p);
    if (err != TL_OK)
        return err;
    p[1] = p[2];
    p[2] = x->delivered ? "delivered" : x->next == 0 ? "failed" : "pending";
    p[3] = pg_i64(b[3], x->delivered || x->next == 0 ? x->at : x->next);
    p[4] = pg_i64(b[4], tl_time_now_ms());
    return tl_pg_tx_send(tx, SQL_OUTBOX_UPDATE, 5, p);
}

static enum tl_err pg_outbox_record(struct tl_store *s, int64_t id, int64_t at_ms, int http_status,
                                    const char *error, bool delivered, int64_t next_attempt_ms)
{
    struct record_ctx x = {id, at_ms, http_status, error, delivered, next_attempt_ms};

    return tl_pg_write(pg_of(s), record_job, &x);
}

void pg_conversions_ops(struct tl_backend_ops *o)
{
    o->conversion_insert = pg_conversion_insert;
    o->conversion_by_key = pg_conversion_by_key;
    o->conversion_owned = pg_conversion_owned;
    o->conversion_set_status = pg_conversion_set_status;
    o->conversion_event_add = pg_conversion_event_add;
    o->attribution = pg_attribution;
    o->postback_of = pg_postback_of;
    o->click_subs = pg_click_subs;
    o->outbox_add = pg_outbox_add;
    o->program_by_postback_key = pg_program_by_postback_key;
    o->conversion_get = pg_conversion_get;
    o->conversion_list = pg_conversion_list;
    o->conversion_history = pg_conversion_history;
    o->postback_set = pg_postback_set;
    o->postback_get = pg_postback_get;
    o->postback_deliveries = pg_postback_deliveries;
    o->outbox_due = pg_outbox_due;
    o->outbox_record = pg_outbox_record;
}
