/*
 * postgres_rejected.c: refused conversion attempts in the PostgreSQL
 * backend (table conversion_rejected, migration 005), mirroring
 * sqlite_rejected.c.
 *
 * Mechanism only: which attempts are kept, whose each is, and how long
 * they stay are decided above (api/conversions.c, track/rejections.c).
 * Rows arrive in batches (one writer job per batch, each row sent without
 * waiting); the list walks a brand's rows in id order on an index;
 * pruning removes rows in writer jobs of at most TL_STORE_PRUNE_BATCH
 * rows, and finds the (brand, program) pairs over their cap on a pooled
 * connection, so that the writer spends on it only the deletes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres_internal.h"

#define GROUPS_MAX 100000 /* (brand, program) pairs looked at per prune */

#define REJ_COLS                                                                                   \
    "r.id, r.brand_id, r.program_id, r.code, r.status, r.detail, r.field, r.source, r.click_id, "  \
    "r.order_id, r.event_type, r.amount, r.currency, r.facts, r.received_at"

static enum tl_err fill_rejection(const PGresult *q, int row, struct tl_arena *a,
                                  struct tl_rejection *r)
{
    const char *source = NULL;
    enum tl_err err;

    memset(r, 0, sizeof(*r));
    r->id = pg_col_i64(q, row, 0);
    r->brand_id = pg_col_i64(q, row, 1);
    r->program_id = pg_col_i64(q, row, 2);
    r->status = (int)pg_col_i64(q, row, 4);
    r->has_amount = !PQgetisnull(q, row, 11);
    r->amount = pg_col_i64(q, row, 11);
    r->received_at = pg_col_i64(q, row, 14);
    err = pg_col_str(q, row, 3, a, &r->code);
    if (err == TL_OK)
        err = pg_col_str(q, row, 5, a, &r->detail);
    if (err == TL_OK)
        err = pg_col_str(q, row, 6, a, &r->field);
    if (err == TL_OK)
        err = pg_col_str(q, row, 7, a, &source);
    if (err == TL_OK)
        err = pg_col_str(q, row, 8, a, &r->click_id);
    if (err == TL_OK)
        err = pg_col_str(q, row, 9, a, &r->order_id);
    if (err == TL_OK)
        err = pg_col_str(q, row, 10, a, &r->event_type);
    if (err == TL_OK)
        err = pg_col_str(q, row, 12, a, &r->currency);
    if (err == TL_OK)
        err = pg_col_str(q, row, 13, a, &r->facts);
    r->postback = source != NULL && strcmp(source, "postback") == 0;
    return err;
}

/* ------------------------------------------------------------------ */
/* add */

static const char SQL_REJ_INSERT[] =
    "INSERT INTO conversion_rejected (brand_id, program_id, code, status, detail, field, source, "
    "click_id, order_id, event_type, amount, currency, facts, received_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

struct add_ctx {
    const struct tl_rejection *items;
    size_t n;
};

static enum tl_err add_job(struct tl_pg_tx *tx, void *arg)
{
    struct add_ctx *x = arg;
    const struct tl_rejection *r;
    char b[6][24];
    const char *p[14];
    enum tl_err err = TL_OK;
    size_t i;

    for (i = 0; err == TL_OK && i < x->n; i++) {
        r = &x->items[i];
        p[0] = pg_i64(b[0], r->brand_id);
        p[1] = pg_i64(b[1], r->program_id);
        p[2] = r->code != NULL ? r->code : "";
        p[3] = pg_i64(b[2], r->status);
        p[4] = r->detail != NULL ? r->detail : "";
        p[5] = r->field;
        p[6] = r->postback ? "postback" : "api";
        p[7] = r->click_id;
        p[8] = r->order_id;
        p[9] = r->event_type;
        p[10] = r->has_amount ? pg_i64(b[3], r->amount) : NULL;
        p[11] = r->currency;
        p[12] = r->facts != NULL ? r->facts : "{}";
        p[13] = pg_i64(b[4], r->received_at);
        /* no answer needed: read at the job's end */
        err = tl_pg_tx_send(tx, SQL_REJ_INSERT, 14, p);
    }
    return err;
}

static enum tl_err pg_rejection_add(struct tl_store *s, const struct tl_rejection *items, size_t n)
{
    struct add_ctx x = {items, n};

    if (n == 0)
        return TL_OK;
    return tl_pg_write(pg_of(s), add_job, &x);
}

/* ------------------------------------------------------------------ */
/* list: $1 the brand, $2 code or NULL, $3 after (newest first: below),
 * $4 limit + 1, $5 program */

#define REJ_LIST_CODE " AND ($2::text IS NULL OR r.code = $2::text)"
#define REJ_LIST_UP   REJ_LIST_CODE " AND r.id > $3::bigint ORDER BY r.id LIMIT $4::bigint"
#define REJ_LIST_DOWN REJ_LIST_CODE " AND r.id < $3::bigint ORDER BY r.id DESC LIMIT $4::bigint"
#define REJ_LIST_BRAND_WHERE                                                                       \
    "SELECT " REJ_COLS " FROM conversion_rejected r WHERE r.brand_id = $1::bigint"
#define REJ_LIST_PROGRAM_WHERE REJ_LIST_BRAND_WHERE " AND r.program_id = $5::bigint"
#define REJ_LIST_ALL_WHERE                                                                         \
    "SELECT " REJ_COLS " FROM conversion_rejected r WHERE ($1::bigint IS NOT NULL) AND "           \
    "($5::bigint = 0 OR r.program_id = $5::bigint)"

/* [brand, program, all][oldest first, newest first] */
static const char *const SQL_REJ_LIST[3][2] = {
    {REJ_LIST_BRAND_WHERE REJ_LIST_UP, REJ_LIST_BRAND_WHERE REJ_LIST_DOWN},
    {REJ_LIST_PROGRAM_WHERE REJ_LIST_UP, REJ_LIST_PROGRAM_WHERE REJ_LIST_DOWN},
    {REJ_LIST_ALL_WHERE REJ_LIST_UP, REJ_LIST_ALL_WHERE REJ_LIST_DOWN},
};

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

static enum tl_err pg_rejection_list(struct tl_store *s, const struct tl_actor *who,
                                     const struct tl_rejection_filter *f,
                                     const struct tl_page *page, struct tl_arena *a,
                                     struct tl_rejection **items, size_t *n, bool *more)
{
    struct tl_rejection_filter any = {0, NULL, false};
    struct tl_rejection *arr = NULL;
    char b[4][24];
    const char *p[5];
    PGresult *r = NULL;
    int64_t after;
    int limit, which, rows;
    enum tl_err err;

    *items = NULL;
    *n = 0;
    *more = false;
    if (!actor_valid(who))
        return TL_ERR_NOTFOUND;
    if (who->kind == TL_ACCOUNT_PARTNER)
        return TL_OK; /* a partner has no rejections */
    if (f == NULL)
        f = &any;
    if (who->kind == TL_ACCOUNT_ADMIN)
        which = 2;
    else
        which = f->program_id != 0 ? 1 : 0;
    page_norm(page, &after, &limit);
    if (f->newest_first && after == 0)
        after = INT64_MAX;
    p[0] = pg_i64(b[0], who->account_id);
    p[1] = f->code;
    p[2] = pg_i64(b[1], after);
    p[3] = pg_i64(b[2], (int64_t)limit + 1);
    p[4] = pg_i64(b[3], f->program_id);
    err = pg_read(s, SQL_REJ_LIST[which][f->newest_first ? 1 : 0], 5, p, &r);
    if (err != TL_OK)
        return err;
    rows = PQntuples(r);
    *more = rows > limit;
    if (rows > limit)
        rows = limit;
    if (rows > 0) {
        arr = tl_arena_alloc(a, (size_t)rows * sizeof(*arr));
        if (arr == NULL) {
            err = TL_ERR_NOMEM;
            goto out;
        }
    }
    for (int i = 0; i < rows && err == TL_OK; i++)
        err = fill_rejection(r, i, a, &arr[i]);
    if (err == TL_OK) {
        *items = arr;
        *n = (size_t)rows;
    } else {
        *more = false;
    }
out:
    PQclear(r);
    return err;
}

/* ------------------------------------------------------------------ */
/* prune */

static const char SQL_REJ_DELETE_OLD[] =
    "DELETE FROM conversion_rejected WHERE id IN (SELECT id FROM conversion_rejected WHERE "
    "received_at < $1::bigint LIMIT $2::bigint)";
/* The newest row past the cap of ($1 brand, $2 program), $3 the cap. */
static const char SQL_REJ_CUTOFF[] =
    "SELECT id FROM conversion_rejected WHERE brand_id = $1::bigint AND program_id = $2::bigint "
    "ORDER BY id DESC LIMIT 1 OFFSET $3::bigint";
static const char SQL_REJ_DELETE_UPTO[] =
    "DELETE FROM conversion_rejected WHERE id IN (SELECT id FROM conversion_rejected WHERE "
    "brand_id = $1::bigint AND program_id = $2::bigint AND id <= $3::bigint ORDER BY id "
    "LIMIT $4::bigint)";
static const char SQL_REJ_OVER_CAP[] =
    "SELECT brand_id, program_id FROM conversion_rejected GROUP BY brand_id, program_id "
    "HAVING COUNT(*) > $1::bigint LIMIT $2::bigint";

struct prune_ctx {
    int64_t before_ms; /* the age job */
    int64_t brand_id;  /* the cap job */
    int64_t program_id;
    int64_t max_rows;
    int removed; /* by this job */
};

/* Runs a DELETE inside a job; x->removed gets how many rows went. */
static enum tl_err delete_rows(struct tl_pg_tx *tx, const char *sql, int n, const char *const *p,
                               struct prune_ctx *x)
{
    PGresult *r = NULL;
    enum tl_err err = tl_pg_tx_query(tx, sql, n, p, &r);

    if (err == TL_OK)
        x->removed = (int)strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return err;
}

static enum tl_err old_job(struct tl_pg_tx *tx, void *arg)
{
    struct prune_ctx *x = arg;
    char b[2][24];
    const char *p[2] = {pg_i64(b[0], x->before_ms), pg_i64(b[1], TL_STORE_PRUNE_BATCH)};

    x->removed = 0;
    return delete_rows(tx, SQL_REJ_DELETE_OLD, 2, p, x);
}

static enum tl_err cap_job(struct tl_pg_tx *tx, void *arg)
{
    struct prune_ctx *x = arg;
    char b[4][24];
    const char *p[4];
    PGresult *r = NULL;
    int64_t cutoff;
    enum tl_err err;

    x->removed = 0;
    p[0] = pg_i64(b[0], x->brand_id);
    p[1] = pg_i64(b[1], x->program_id);
    p[2] = pg_i64(b[2], x->max_rows);
    err = tl_pg_tx_query(tx, SQL_REJ_CUTOFF, 3, p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return TL_OK; /* within the cap now */
    }
    cutoff = pg_col_i64(r, 0, 0);
    PQclear(r);
    p[2] = pg_i64(b[2], cutoff);
    p[3] = pg_i64(b[3], TL_STORE_PRUNE_BATCH);
    return delete_rows(tx, SQL_REJ_DELETE_UPTO, 4, p, x);
}

/* Runs fn until a job removes less than a full batch. */
static enum tl_err until_done(struct tl_store *s, tl_pg_job_fn fn, struct prune_ctx *x,
                              uint64_t *removed)
{
    enum tl_err err;

    do {
        err = tl_pg_write(pg_of(s), fn, x);
        if (err != TL_OK)
            return err;
        *removed += (uint64_t)x->removed;
    } while (x->removed == TL_STORE_PRUNE_BATCH);
    return TL_OK;
}

static enum tl_err pg_rejection_prune(struct tl_store *s, int64_t before_ms, int64_t max_rows,
                                      uint64_t *removed)
{
    struct prune_ctx x;
    char b[2][24];
    const char *p[2];
    PGresult *r = NULL;
    enum tl_err err;
    int i, groups;

    *removed = 0;
    memset(&x, 0, sizeof(x));
    x.before_ms = before_ms;
    err = until_done(s, old_job, &x, removed);
    if (err != TL_OK || max_rows <= 0)
        return err;
    p[0] = pg_i64(b[0], max_rows);
    p[1] = pg_i64(b[1], GROUPS_MAX);
    err = pg_read(s, SQL_REJ_OVER_CAP, 2, p, &r);
    if (err != TL_OK)
        return err;
    groups = PQntuples(r);
    for (i = 0; err == TL_OK && i < groups; i++) {
        x.brand_id = pg_col_i64(r, i, 0);
        x.program_id = pg_col_i64(r, i, 1);
        x.max_rows = max_rows;
        err = until_done(s, cap_job, &x, removed);
    }
    PQclear(r);
    return err;
}

void pg_rejected_ops(struct tl_backend_ops *o)
{
    o->rejection_add = pg_rejection_add;
    o->rejection_list = pg_rejection_list;
    o->rejection_prune = pg_rejection_prune;
}
