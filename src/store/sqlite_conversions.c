/*
 * sqlite_conversions.c: conversions and partner postbacks in the SQLite
 * backend: the primitives that store/conversions.c builds the conversion
 * lifecycle on (insert-if-absent on the unique key, status updates,
 * events, outbox rows, the attribution lookup), and the reads.
 *
 * The attribution reads (click, program, campaign: one joined lookup) run
 * on the writer's connection, inside the write: its page cache is warm,
 * whereas a reader connection's is dropped after every commit. The outbox
 * is what makes postbacks survive restarts; track/postbacks.c sends it.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/conversion.h"
#include "core/postback.h"
#include "core/time.h"
#include "store/sqlite_internal.h"

#define ATTEMPT_LOG_MAX 100 /* attempts listed per delivery, newest kept */

#define CONV_COLS                                                                                  \
    "v.id, v.status, v.click_id, v.order_id, v.event_type, v.amount, v.currency, v.payout, "       \
    "v.partner_id, v.campaign_id, v.task_id, v.link_id, v.program_id, v.occurred_at, "             \
    "v.created_at, v.updated_at"

/* ?2 kind, ?3 account (sq_bind_who) */
#define VIS_CONV                                                                                   \
    "(?2 = 1 OR (?2 = 2 AND EXISTS (SELECT 1 FROM program p WHERE p.id = v.program_id AND "        \
    "p.brand_id = ?3)) OR (?2 = 4 AND v.partner_id = ?3))"
#define OWN_CONV                                                                                   \
    "(?2 = 1 OR (?2 = 2 AND EXISTS (SELECT 1 FROM program p WHERE p.id = v.program_id AND "        \
    "p.brand_id = ?3)))"

/* Must match sq_fill_program's column order (PROGRAM_COLS in sqlite_programs.c). */
#define PROGRAM_COLS_P                                                                             \
    "p.id, p.brand_id, p.name, p.default_landing_page, p.permitted_domains,"                       \
    " p.click_id_param, p.referral_window_days, p.currency, p.postback_key, p.created_at,"         \
    " p.updated_at"

#define OUTBOX_COLS                                                                                \
    "o.id, o.partner_id, o.conversion_id, o.event, o.url, o.status, o.attempts, o.last_status, "   \
    "o.next_attempt_ms, o.created_at, o.updated_at"

static const char *const delivery_names[] = {"pending", "delivered", "failed"};

static enum tl_err fill_conv(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                             struct tl_arena *a, void *item)
{
    struct tl_conversion *v = item;
    const char *status = NULL;
    enum tl_err err;
    int st;

    (void)c;
    (void)who;
    memset(v, 0, sizeof(*v));
    v->id = sqlite3_column_int64(s, 0);
    if ((err = sq_col_str(s, 1, a, &status)) != TL_OK ||
        (err = sq_col_str(s, 2, a, &v->click_id)) != TL_OK ||
        (err = sq_col_str(s, 3, a, &v->order_id)) != TL_OK ||
        (err = sq_col_str(s, 4, a, &v->event_type)) != TL_OK ||
        (err = sq_col_str(s, 6, a, &v->currency)) != TL_OK)
        return err;
    st = tl_conversion_status_parse(status);
    v->status = st < 0 ? TL_CONV_PENDING : (enum tl_conversion_status)st;
    v->amount = sqlite3_column_int64(s, 5);
    v->payout = sqlite3_column_int64(s, 7);
    v->partner_id = sqlite3_column_int64(s, 8);
    v->campaign_id = sqlite3_column_int64(s, 9);
    v->task_id = sqlite3_column_int64(s, 10);
    v->link_id = sqlite3_column_int64(s, 11); /* NULL reads as 0 */
    v->program_id = sqlite3_column_int64(s, 12);
    v->occurred_at = sqlite3_column_int64(s, 13);
    v->created_at = sqlite3_column_int64(s, 14);
    v->updated_at = sqlite3_column_int64(s, 15);
    return TL_OK;
}

/* ------------------------------------------------------------------ */
/* programs by postback key */

static const char SQL_PROGRAM_BY_KEY[] =
    "SELECT " PROGRAM_COLS_P " FROM program p WHERE p.postback_key = ?1";

enum tl_err sq_program_by_postback_key(struct tl_store *s, const char *key, struct tl_arena *a,
                                       struct tl_program *out)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err;

    memset(out, 0, sizeof(*out));
    if (key == NULL || key[0] == '\0')
        return TL_ERR_NOTFOUND;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_PROGRAM_BY_KEY, &q);
    if (err != TL_OK)
        return err;
    sq_bind_str(q, 1, key);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = sq_fill_program(c, q, NULL, a, out);
    sq_done(q);
    return err;
}

/* ------------------------------------------------------------------ */
/* the primitives of the conversion lifecycle (backend.h; the rules are
 * in store/conversions.c) */

static const char SQL_EVENT_INSERT[] =
    "INSERT INTO conversion_event (conversion_id, from_status, to_status, reason, "
    "actor_account_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_POSTBACK_OF[] = "SELECT url, events FROM postback WHERE partner_id = ?1";
static const char SQL_CLICK_SUBS[] =
    "SELECT sub_id1, sub_id2, sub_id3, shared_id FROM click WHERE click_id = ?1";
static const char SQL_OUTBOX_INSERT[] =
    "INSERT INTO postback_outbox (partner_id, conversion_id, event, url, status, attempts, "
    "next_attempt_ms, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6, ?6)";

enum tl_err sq_conversion_event_add(struct tl_tx *tx, const struct tl_conversion_event *e)
{
    struct conn *c = sq_tx_conn(tx);
    sqlite3_stmt *q;
    enum tl_err err = sq_prep(c, SQL_EVENT_INSERT, &q);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, e->conversion_id);
    sq_bind_str(q, 2,
                e->from_status < 0
                    ? NULL
                    : tl_conversion_status_str((enum tl_conversion_status)e->from_status));
    sq_bind_str(q, 3, tl_conversion_status_str(e->to_status));
    sq_bind_str(q, 4, e->reason);
    sqlite3_bind_int64(q, 5, e->actor_account_id);
    sqlite3_bind_int64(q, 6, e->at);
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}

enum tl_err sq_rollup_add_tx(struct tl_tx *tx, const struct tl_rollup *r)
{
    return sq_rollup_add(sq_tx_conn(tx), r);
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

enum tl_err sq_postback_of(struct tl_tx *tx, int64_t partner_id, struct tl_arena *a,
                           const char **url_template, unsigned *events)
{
    struct conn *c = sq_tx_conn(tx);
    const char *json = NULL;
    sqlite3_stmt *q;
    enum tl_err err;

    *url_template = NULL;
    *events = 0;
    err = sq_prep(c, SQL_POSTBACK_OF, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, partner_id);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = sq_col_str(q, 0, a, url_template);
    if (err == TL_OK)
        err = sq_col_str(q, 1, a, &json);
    sq_done(q);
    if (err == TL_OK)
        *events = events_decode(json);
    return err;
}

enum tl_err sq_click_subs(struct tl_tx *tx, const char *click_id, struct tl_arena *a,
                          const char *sub[4])
{
    struct conn *c = sq_tx_conn(tx);
    sqlite3_stmt *q;
    enum tl_err err;
    int i;

    err = sq_prep(c, SQL_CLICK_SUBS, &q);
    if (err != TL_OK)
        return err;
    sq_bind_str(q, 1, click_id);
    err = sq_step_row(c, q);
    for (i = 0; i < 4 && err == TL_OK; i++)
        err = sq_col_str(q, i, a, &sub[i]);
    sq_done(q);
    return err;
}

enum tl_err sq_outbox_add(struct tl_tx *tx, const struct tl_outbox_entry *e)
{
    struct conn *c = sq_tx_conn(tx);
    sqlite3_stmt *q;
    enum tl_err err = sq_prep(c, SQL_OUTBOX_INSERT, &q);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, e->partner_id);
    sqlite3_bind_int64(q, 2, e->conversion_id);
    sq_bind_str(q, 3, tl_postback_event_str(e->event));
    sq_bind_str(q, 4, e->url);
    sq_bind_str(q, 5, e->failed ? "failed" : "pending");
    sqlite3_bind_int64(q, 6, e->at_ms);
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}

static const char SQL_CONV_INSERT[] =
    "INSERT INTO conversion (click_id, order_id, event_type, amount, currency, payout, status, "
    "partner_id, task_id, campaign_id, program_id, link_id, occurred_at, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
    "ON CONFLICT (program_id, event_type, order_id) DO NOTHING";
static const char SQL_CONV_BY_KEY[] =
    "SELECT " CONV_COLS " FROM conversion v WHERE v.program_id = ?1 AND v.event_type = ?2 AND "
    "v.order_id = ?3";

enum tl_err sq_conversion_insert(struct tl_tx *tx, const struct tl_conversion *in, int64_t *id)
{
    struct conn *c = sq_tx_conn(tx);
    sqlite3_stmt *q;
    enum tl_err err;

    *id = 0;
    err = sq_prep(c, SQL_CONV_INSERT, &q);
    if (err != TL_OK)
        return err;
    sq_bind_str(q, 1, in->click_id);
    sq_bind_str(q, 2, in->order_id);
    sq_bind_str(q, 3, in->event_type);
    sqlite3_bind_int64(q, 4, in->amount);
    sq_bind_str(q, 5, in->currency);
    sqlite3_bind_int64(q, 6, in->payout);
    sq_bind_str(q, 7, tl_conversion_status_str(in->status));
    sqlite3_bind_int64(q, 8, in->partner_id);
    sqlite3_bind_int64(q, 9, in->task_id);
    sqlite3_bind_int64(q, 10, in->campaign_id);
    sqlite3_bind_int64(q, 11, in->program_id);
    sq_bind_opt_i64(q, 12, in->link_id);
    sqlite3_bind_int64(q, 13, in->occurred_at);
    sqlite3_bind_int64(q, 14, in->created_at);
    sqlite3_bind_int64(q, 15, in->updated_at);
    err = sq_step_done(c, q);
    sq_done(q);
    if (err == TL_OK && sqlite3_changes(c->db) > 0)
        *id = sqlite3_last_insert_rowid(c->db);
    return err;
}

enum tl_err sq_conversion_by_key(struct tl_tx *tx, int64_t program_id, const char *event_type,
                                 const char *order_id, struct tl_arena *a,
                                 struct tl_conversion *out)
{
    struct conn *c = sq_tx_conn(tx);
    sqlite3_stmt *q;
    enum tl_err err;

    err = sq_prep(c, SQL_CONV_BY_KEY, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, program_id);
    sq_bind_str(q, 2, event_type);
    sq_bind_str(q, 3, order_id);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = fill_conv(c, q, NULL, a, out);
    sq_done(q);
    return err;
}

/* The click, its program when who sees it (p.id NULL otherwise) and its
 * campaign (c.id NULL when gone): one lookup in each B-tree, on the
 * writer's warm pages. ?1 click id, ?2 kind, ?3 account (VIS_PROGRAM). */
static const char SQL_ATTRIBUTION[] =
    "SELECT k.click_id, k.ts_ms, k.link_id, k.partner_id, k.task_id, k.campaign_id, "
    "k.program_id, k.sub_id1, k.sub_id2, k.sub_id3, k.shared_id, k.bot, "
    "p.id, p.brand_id, p.referral_window_days, p.currency, "
    "c.id, c.program_id, c.brand_id, c.status, c.tracking_enabled, c.payout_type, "
    "c.payout_amount, c.payout_rate_bp "
    "FROM click k LEFT JOIN program p ON p.id = k.program_id AND " VIS_PROGRAM " "
    "LEFT JOIN campaign c ON c.id = k.campaign_id WHERE k.click_id = ?1";

/* Fills what SQL_ATTRIBUTION read; *has_program and *has_campaign tell
 * whether those were found. */
static enum tl_err fill_attribution(sqlite3_stmt *q, struct tl_arena *a, struct tl_click_info *k,
                                    struct tl_program *p, struct tl_campaign *c, bool *has_program,
                                    bool *has_campaign)
{
    enum tl_err err;
    int i, status, payout;

    memset(k, 0, sizeof(*k));
    memset(p, 0, sizeof(*p));
    memset(c, 0, sizeof(*c));
    if ((err = sq_col_str(q, 0, a, &k->click_id)) != TL_OK)
        return err;
    for (i = 0; i < 4; i++)
        if ((err = sq_col_str(q, 7 + i, a, &k->sub[i])) != TL_OK)
            return err;
    k->ts_ms = sqlite3_column_int64(q, 1);
    k->link_id = sqlite3_column_int64(q, 2);
    k->partner_id = sqlite3_column_int64(q, 3);
    k->task_id = sqlite3_column_int64(q, 4);
    k->campaign_id = sqlite3_column_int64(q, 5);
    k->program_id = sqlite3_column_int64(q, 6);
    k->bot = sqlite3_column_int(q, 11) != 0;
    *has_program = sqlite3_column_type(q, 12) != SQLITE_NULL;
    if (*has_program) {
        p->id = sqlite3_column_int64(q, 12);
        p->brand_id = sqlite3_column_int64(q, 13);
        p->referral_window_days = sqlite3_column_int(q, 14);
        if ((err = sq_col_str(q, 15, a, &p->currency)) != TL_OK)
            return err;
    }
    *has_campaign = sqlite3_column_type(q, 16) != SQLITE_NULL;
    if (*has_campaign) {
        c->id = sqlite3_column_int64(q, 16);
        c->program_id = sqlite3_column_int64(q, 17);
        c->brand_id = sqlite3_column_int64(q, 18);
        status = tl_campaign_status_parse((const char *)sqlite3_column_text(q, 19));
        c->tracking_enabled = sqlite3_column_int(q, 20) != 0;
        payout = tl_payout_type_parse((const char *)sqlite3_column_text(q, 21));
        if (status < 0 || payout < 0)
            return TL_ERR_IO;
        c->status = (enum tl_campaign_status)status;
        c->payout_type = (enum tl_payout_type)payout;
        c->payout_amount = sqlite3_column_int64(q, 22);
        c->payout_rate_bp = sqlite3_column_int(q, 23);
    }
    return TL_OK;
}

enum tl_err sq_attribution(struct tl_tx *tx, const struct tl_actor *who, const char *click_id,
                           struct tl_arena *a, struct tl_click_info *click, bool *found,
                           struct tl_program *program, bool *has_program,
                           struct tl_campaign *campaign, bool *has_campaign)
{
    struct conn *c = sq_tx_conn(tx);
    sqlite3_stmt *q;
    enum tl_err err;

    memset(click, 0, sizeof(*click));
    memset(program, 0, sizeof(*program));
    memset(campaign, 0, sizeof(*campaign));
    *found = *has_program = *has_campaign = false;
    err = sq_prep(c, SQL_ATTRIBUTION, &q);
    if (err != TL_OK)
        return err;
    sq_bind_str(q, 1, click_id);
    sqlite3_bind_int(q, 2, (int)who->kind);
    sqlite3_bind_int64(q, 3, who->account_id);
    err = sq_step_row(c, q);
    *found = err == TL_OK;
    if (*found)
        err = fill_attribution(q, a, click, program, campaign, has_program, has_campaign);
    sq_done(q);
    if (err == TL_ERR_NOTFOUND)
        err = TL_OK;
    if (err != TL_OK)
        *found = *has_program = *has_campaign = false;
    return err;
}

static const char SQL_CONV_OWN_GET[] =
    "SELECT " CONV_COLS " FROM conversion v WHERE v.id = ?1 AND " OWN_CONV;
static const char SQL_CONV_SET_STATUS[] =
    "UPDATE conversion SET status = ?2, updated_at = ?3 WHERE id = ?1";

enum tl_err sq_conversion_owned(struct tl_tx *tx, const struct tl_actor *who, int64_t id,
                                struct tl_arena *a, struct tl_conversion *out)
{
    struct conn *c = sq_tx_conn(tx);
    sqlite3_stmt *q;
    enum tl_err err;

    err = sq_prep(c, SQL_CONV_OWN_GET, &q);
    if (err != TL_OK)
        return err;
    sq_bind_who(q, id, who);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = fill_conv(c, q, who, a, out);
    sq_done(q);
    return err;
}

enum tl_err sq_conversion_set_status(struct tl_tx *tx, int64_t id, enum tl_conversion_status to,
                                     int64_t at_ms)
{
    struct conn *c = sq_tx_conn(tx);
    sqlite3_stmt *q;
    enum tl_err err;

    err = sq_prep(c, SQL_CONV_SET_STATUS, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, id);
    sq_bind_str(q, 2, tl_conversion_status_str(to));
    sqlite3_bind_int64(q, 3, at_ms);
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}
/* ------------------------------------------------------------------ */
/* reads */

static const char SQL_CONV_GET[] =
    "SELECT " CONV_COLS " FROM conversion v WHERE v.id = ?1 AND " VIS_CONV;

enum tl_err sq_conversion_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              struct tl_arena *a, struct tl_conversion *out)
{
    return sq_get_one(s, SQL_CONV_GET, id, who, a, fill_conv, out);
}

/* ?1 unused, ?2 kind, ?3 account, ?4 campaign or 0, ?5 partner or 0,
 * ?6 status or NULL, ?7 after (newest first: below), ?8 limit + 1 */
#define CONV_LIST_WHERE                                                                            \
    "SELECT " CONV_COLS " FROM conversion v WHERE " VIS_CONV                                       \
    " AND (?4 = 0 OR v.campaign_id = ?4) AND (?5 = 0 OR v.partner_id = ?5) AND "                   \
    "(?6 IS NULL OR v.status = ?6)"
/* [oldest first, newest first] */
static const char *const SQL_CONV_LIST[2] = {
    CONV_LIST_WHERE " AND v.id > ?7 ORDER BY v.id LIMIT ?8",
    CONV_LIST_WHERE " AND v.id < ?7 ORDER BY v.id DESC LIMIT ?8",
};

enum tl_err sq_conversion_list(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_conversion_filter *f, const struct tl_page *page,
                               struct tl_arena *a, struct tl_conversion **items, size_t *n,
                               bool *more)
{
    struct conn *c;
    sqlite3_stmt *q;
    int64_t after;
    int limit;
    bool desc;
    void *arr = NULL;
    enum tl_err err;

    sq_list_init(n, more);
    *items = NULL;
    if (!sq_actor_valid(who))
        return TL_ERR_NOTFOUND;
    sq_page_norm(page, &after, &limit);
    desc = f != NULL && f->newest_first;
    if (desc && after == 0)
        after = INT64_MAX;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_CONV_LIST[desc ? 1 : 0], &q);
    if (err != TL_OK)
        return err;
    sq_bind_who(q, 0, who);
    sqlite3_bind_int64(q, 4, f != NULL ? f->campaign_id : 0);
    sqlite3_bind_int64(q, 5, f != NULL ? f->partner_id : 0);
    sq_bind_str(q, 6,
                f != NULL && f->status >= 0
                    ? tl_conversion_status_str((enum tl_conversion_status)f->status)
                    : NULL);
    sqlite3_bind_int64(q, 7, after);
    sqlite3_bind_int(q, 8, limit + 1);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), fill_conv, &arr, n, more);
    *items = arr;
    return err;
}

static const char SQL_CONV_VISIBLE[] = "SELECT 1 FROM conversion v WHERE v.id = ?1 AND " VIS_CONV;
static const char SQL_EVENTS[] =
    "SELECT id, conversion_id, from_status, to_status, reason, actor_account_id, at FROM "
    "conversion_event WHERE conversion_id = ?1 ORDER BY id";

static enum tl_err fill_event(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                              struct tl_arena *a, void *item)
{
    struct tl_conversion_event *e = item;
    const char *from = NULL, *to = NULL;
    enum tl_err err;
    int st;

    (void)c;
    (void)who;
    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(s, 0);
    e->conversion_id = sqlite3_column_int64(s, 1);
    if ((err = sq_col_str(s, 2, a, &from)) != TL_OK || (err = sq_col_str(s, 3, a, &to)) != TL_OK ||
        (err = sq_col_str(s, 4, a, &e->reason)) != TL_OK)
        return err;
    e->from_status = from != NULL ? tl_conversion_status_parse(from) : -1;
    st = tl_conversion_status_parse(to);
    e->to_status = st < 0 ? TL_CONV_PENDING : (enum tl_conversion_status)st;
    e->actor_account_id = sqlite3_column_int64(s, 5);
    e->at = sqlite3_column_int64(s, 6);
    return TL_OK;
}

enum tl_err sq_conversion_history(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                  struct tl_arena *a, struct tl_conversion_event **items, size_t *n)
{
    struct conn *c;
    sqlite3_stmt *q;
    void *arr = NULL;
    bool more = false;
    enum tl_err err;

    *items = NULL;
    *n = 0;
    if (!sq_actor_valid(who))
        return TL_ERR_NOTFOUND;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_read_begin(c);
    if (err != TL_OK)
        return err;
    err = sq_check_who(c, SQL_CONV_VISIBLE, id, who);
    if (err != TL_OK)
        goto out;
    err = sq_prep(c, SQL_EVENTS, &q);
    if (err != TL_OK)
        goto out;
    sqlite3_bind_int64(q, 1, id);
    /* A conversion has at most three events; the cap is only a guard. */
    err = sq_collect(c, q, 1000, who, a, sizeof(**items), fill_event, &arr, n, &more);
    *items = arr;
out:
    sq_read_end(c);
    return err;
}

/* ------------------------------------------------------------------ */
/* postback configuration */

static const char SQL_POSTBACK_SET[] =
    "INSERT INTO postback (partner_id, url, events, updated_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (partner_id) DO UPDATE SET url = excluded.url, events = excluded.events, "
    "updated_at = excluded.updated_at";
static const char SQL_POSTBACK_GET[] =
    "SELECT url, events, updated_at FROM postback WHERE partner_id = ?1";

struct pb_set_ctx {
    const struct tl_actor *who;
    const struct tl_postback_config *in;
    const char *events;
};

static enum tl_err pb_set_job(struct conn *c, void *arg)
{
    struct pb_set_ctx *x = arg;
    sqlite3_stmt *q;
    enum tl_err err = sq_prep(c, SQL_POSTBACK_SET, &q);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, x->who->account_id);
    sq_bind_str(q, 2, x->in->url);
    sq_bind_str(q, 3, x->events);
    sqlite3_bind_int64(q, 4, tl_time_now_ms());
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}

enum tl_err sq_postback_set(struct tl_store *s, const struct tl_actor *who,
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
    err = sq_run_job((struct sqlite_store *)s, pb_set_job, &x);
    free(events);
    return err;
}

enum tl_err sq_postback_get(struct tl_store *s, const struct tl_actor *who, struct tl_arena *a,
                            struct tl_postback_config *out)
{
    struct conn *c;
    sqlite3_stmt *q;
    const char *events = NULL;
    enum tl_err err;

    memset(out, 0, sizeof(*out));
    if (who == NULL || who->kind != TL_ACCOUNT_PARTNER)
        return TL_ERR_NOTFOUND;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_POSTBACK_GET, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, who->account_id);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = sq_col_str(q, 0, a, &out->url);
    if (err == TL_OK)
        err = sq_col_str(q, 1, a, &events);
    if (err == TL_OK) {
        out->partner_id = who->account_id;
        out->events = events_decode(events);
        out->updated_at = sqlite3_column_int64(q, 2);
    }
    sq_done(q);
    return err;
}

/* ------------------------------------------------------------------ */
/* deliveries */

static enum tl_err fill_delivery(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                                 struct tl_arena *a, void *item)
{
    struct tl_postback_delivery *d = item;
    const char *status = NULL;
    enum tl_err err;
    size_t i;

    (void)c;
    (void)who;
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(s, 0);
    d->partner_id = sqlite3_column_int64(s, 1);
    d->conversion_id = sqlite3_column_int64(s, 2);
    if ((err = sq_col_str(s, 3, a, &d->event)) != TL_OK ||
        (err = sq_col_str(s, 4, a, &d->url)) != TL_OK ||
        (err = sq_col_str(s, 5, a, &status)) != TL_OK)
        return err;
    for (i = 0; i < 3; i++)
        if (status != NULL && strcmp(status, delivery_names[i]) == 0)
            d->status = (enum tl_delivery_status)i;
    d->attempts = sqlite3_column_int(s, 6);
    d->last_status = sqlite3_column_int(s, 7);
    d->next_attempt_ms = sqlite3_column_int64(s, 8);
    d->created_at = sqlite3_column_int64(s, 9);
    d->updated_at = sqlite3_column_int64(s, 10);
    return TL_OK;
}

static enum tl_err fill_attempt(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                                struct tl_arena *a, void *item)
{
    struct tl_postback_attempt *at = item;

    (void)c;
    (void)who;
    memset(at, 0, sizeof(*at));
    at->at = sqlite3_column_int64(s, 0);
    at->http_status = sqlite3_column_int(s, 1);
    return sq_col_str(s, 2, a, &at->error);
}

/* ?1 partner, ?2 status or NULL, ?3 after (newest first: below), ?4 limit + 1 */
#define DELIVERIES_WHERE                                                                           \
    "SELECT " OUTBOX_COLS " FROM postback_outbox o WHERE o.partner_id = ?1 AND "                   \
    "(?2 IS NULL OR o.status = ?2)"
/* [oldest first, newest first] */
static const char *const SQL_DELIVERIES[2] = {
    DELIVERIES_WHERE " AND o.id > ?3 ORDER BY o.id LIMIT ?4",
    DELIVERIES_WHERE " AND o.id < ?3 ORDER BY o.id DESC LIMIT ?4",
};
/* The newest ATTEMPT_LOG_MAX, listed oldest first. */
static const char SQL_ATTEMPTS[] =
    "SELECT at, http_status, error FROM (SELECT id, at, http_status, error FROM "
    "postback_attempt WHERE outbox_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id";

enum tl_err sq_postback_deliveries(struct tl_store *s, const struct tl_actor *who, int status,
                                   bool newest_first, const struct tl_page *page,
                                   struct tl_arena *a, struct tl_postback_delivery **items,
                                   size_t *n, bool *more)
{
    struct tl_postback_delivery *d;
    struct conn *c;
    sqlite3_stmt *q;
    int64_t after;
    int limit;
    void *arr = NULL, *log;
    bool more_log;
    size_t i;
    enum tl_err err;

    sq_list_init(n, more);
    *items = NULL;
    if (who == NULL || who->kind != TL_ACCOUNT_PARTNER)
        return TL_ERR_NOTFOUND;
    sq_page_norm(page, &after, &limit);
    if (newest_first && after == 0)
        after = INT64_MAX;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_read_begin(c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_DELIVERIES[newest_first ? 1 : 0], &q);
    if (err != TL_OK)
        goto out;
    sqlite3_bind_int64(q, 1, who->account_id);
    sq_bind_str(q, 2, status >= 0 && status < 3 ? delivery_names[status] : NULL);
    sqlite3_bind_int64(q, 3, after);
    sqlite3_bind_int(q, 4, limit + 1);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), fill_delivery, &arr, n, more);
    if (err != TL_OK)
        goto out;
    d = arr;
    for (i = 0; i < *n && err == TL_OK; i++) {
        err = sq_prep(c, SQL_ATTEMPTS, &q);
        if (err != TL_OK)
            break;
        sqlite3_bind_int64(q, 1, d[i].id);
        sqlite3_bind_int(q, 2, ATTEMPT_LOG_MAX);
        log = NULL;
        err = sq_collect(c, q, ATTEMPT_LOG_MAX, who, a, sizeof(*d[i].log), fill_attempt, &log,
                         &d[i].n_log, &more_log);
        d[i].log = log;
    }
    *items = arr;
out:
    sq_read_end(c);
    return err;
}

/* ------------------------------------------------------------------ */
/* the sender's side */

static const char SQL_DUE[] =
    "SELECT " OUTBOX_COLS " FROM postback_outbox o WHERE o.status = 'pending' AND "
    "o.next_attempt_ms <= ?1 ORDER BY o.next_attempt_ms, o.id LIMIT ?2";

enum tl_err sq_outbox_due(struct tl_store *s, int64_t now_ms, int max, const int64_t *skip,
                          size_t n_skip, struct tl_arena *a, struct tl_postback_delivery **items,
                          size_t *n)
{
    struct tl_postback_delivery *out = NULL;
    struct conn *c;
    sqlite3_stmt *q;
    size_t cap = 0, i;
    int64_t id;
    enum tl_err err;
    int rc;

    *items = NULL;
    *n = 0;
    if (max < 1)
        return TL_OK;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_DUE, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, now_ms);
    sqlite3_bind_int64(q, 2, (int64_t)max + (int64_t)n_skip);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < (size_t)max) {
        id = sqlite3_column_int64(q, 0);
        for (i = 0; i < n_skip && skip[i] != id; i++)
            ;
        if (i < n_skip)
            continue; /* in flight */
        if (*n == cap && (out = sq_arr_grow(a, out, *n, &cap, sizeof(*out))) == NULL) {
            err = TL_ERR_NOMEM;
            break;
        }
        err = fill_delivery(c, q, NULL, a, &out[*n]);
        if (err != TL_OK)
            break;
        (*n)++;
    }
    if (err == TL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = sq_db_err(c->db, rc);
    sq_done(q);
    *items = out;
    return err;
}

static const char SQL_ATTEMPT_INSERT[] =
    "INSERT INTO postback_attempt (outbox_id, at, http_status, error) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_OUTBOX_UPDATE[] =
    "UPDATE postback_outbox SET attempts = attempts + 1, last_status = ?2, status = ?3, "
    "next_attempt_ms = ?4, updated_at = ?5 WHERE id = ?1 AND status = 'pending'";

struct record_ctx {
    int64_t id, at;
    int http_status;
    const char *error;
    bool delivered;
    int64_t next;
};

static enum tl_err record_job(struct conn *c, void *arg)
{
    struct record_ctx *x = arg;
    sqlite3_stmt *q;
    enum tl_err err = sq_prep(c, SQL_ATTEMPT_INSERT, &q);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, x->id);
    sqlite3_bind_int64(q, 2, x->at);
    sq_bind_opt_i64(q, 3, x->http_status);
    sq_bind_str(q, 4, x->error);
    err = sq_step_done(c, q);
    sq_done(q);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_OUTBOX_UPDATE, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, x->id);
    sq_bind_opt_i64(q, 2, x->http_status);
    sq_bind_str(q, 3, x->delivered ? "delivered" : x->next == 0 ? "failed" : "pending");
    sqlite3_bind_int64(q, 4, x->delivered || x->next == 0 ? x->at : x->next);
    sqlite3_bind_int64(q, 5, tl_time_now_ms());
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}

enum tl_err sq_outbox_record(struct tl_store *s, int64_t id, int64_t at_ms, int http_status,
                             const char *error, bool delivered, int64_t next_attempt_ms)
{
    struct record_ctx x = {id, at_ms, http_status, error, delivered, next_attempt_ms};

    return sq_run_job((struct sqlite_store *)s, record_job, &x);
}
