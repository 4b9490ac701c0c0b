/*
 * sqlite_rejected.c: refused conversion attempts in the SQLite backend
 * (table conversion_rejected, migration 005).
 *
 * Mechanism only: which attempts are kept, whose each is, and how long
 * they stay are decided above (api/conversions.c, track/rejections.c).
 * Rows arrive in batches (one writer job per batch); the list walks a
 * brand's rows in id order on an index; pruning removes rows in writer
 * jobs of at most TL_STORE_PRUNE_BATCH rows, and finds the (brand,
 * program) pairs over their cap on a reader, so that the writer spends on
 * it only the deletes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_internal.h"

#define GROUPS_MAX 100000 /* (brand, program) pairs looked at per prune */

#define REJ_COLS                                                                                   \
    "r.id, r.brand_id, r.program_id, r.code, r.status, r.detail, r.field, r.source, r.click_id, "  \
    "r.order_id, r.event_type, r.amount, r.currency, r.facts, r.received_at"

static enum tl_err fill_rejection(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                                  struct tl_arena *a, void *item)
{
    struct tl_rejection *r = item;
    const char *source = NULL;
    enum tl_err err;

    (void)c;
    (void)who;
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(s, 0);
    r->brand_id = sqlite3_column_int64(s, 1);
    r->program_id = sqlite3_column_int64(s, 2);
    r->status = sqlite3_column_int(s, 4);
    r->has_amount = sqlite3_column_type(s, 11) != SQLITE_NULL;
    r->amount = sqlite3_column_int64(s, 11);
    r->received_at = sqlite3_column_int64(s, 14);
    err = sq_col_str(s, 3, a, &r->code);
    if (err == TL_OK)
        err = sq_col_str(s, 5, a, &r->detail);
    if (err == TL_OK)
        err = sq_col_str(s, 6, a, &r->field);
    if (err == TL_OK)
        err = sq_col_str(s, 7, a, &source);
    if (err == TL_OK)
        err = sq_col_str(s, 8, a, &r->click_id);
    if (err == TL_OK)
        err = sq_col_str(s, 9, a, &r->order_id);
    if (err == TL_OK)
        err = sq_col_str(s, 10, a, &r->event_type);
    if (err == TL_OK)
        err = sq_col_str(s, 12, a, &r->currency);
    if (err == TL_OK)
        err = sq_col_str(s, 13, a, &r->facts);
    r->postback = source != NULL && strcmp(source, "postback") == 0;
    return err;
}

/* ------------------------------------------------------------------ */
/* add */

static const char SQL_REJ_INSERT[] =
    "INSERT INTO conversion_rejected (brand_id, program_id, code, status, detail, field, source, "
    "click_id, order_id, event_type, amount, currency, facts, received_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

struct add_ctx {
    const struct tl_rejection *items;
    size_t n;
};

static enum tl_err add_job(struct conn *c, void *arg)
{
    struct add_ctx *x = arg;
    const struct tl_rejection *r;
    sqlite3_stmt *q;
    enum tl_err err;
    size_t i;

    err = sq_prep(c, SQL_REJ_INSERT, &q);
    if (err != TL_OK)
        return err;
    for (i = 0; err == TL_OK && i < x->n; i++) {
        r = &x->items[i];
        sqlite3_bind_int64(q, 1, r->brand_id);
        sqlite3_bind_int64(q, 2, r->program_id);
        sq_bind_str(q, 3, r->code != NULL ? r->code : "");
        sqlite3_bind_int(q, 4, r->status);
        sq_bind_str(q, 5, r->detail != NULL ? r->detail : "");
        sq_bind_str(q, 6, r->field);
        sq_bind_str(q, 7, r->postback ? "postback" : "api");
        sq_bind_str(q, 8, r->click_id);
        sq_bind_str(q, 9, r->order_id);
        sq_bind_str(q, 10, r->event_type);
        if (r->has_amount)
            sqlite3_bind_int64(q, 11, r->amount);
        else
            sqlite3_bind_null(q, 11);
        sq_bind_str(q, 12, r->currency);
        sq_bind_str(q, 13, r->facts != NULL ? r->facts : "{}");
        sqlite3_bind_int64(q, 14, r->received_at);
        err = sq_step_done(c, q);
    }
    sq_done(q);
    return err;
}

enum tl_err sq_rejection_add(struct tl_store *s, const struct tl_rejection *items, size_t n)
{
    struct add_ctx x = {items, n};

    if (n == 0)
        return TL_OK;
    return sq_run_job((struct sqlite_store *)s, add_job, &x);
}

/* ------------------------------------------------------------------ */
/* list: ?3 the brand, ?4 code or NULL, ?5 after (newest first: below),
 * ?6 limit + 1, ?7 program */

#define REJ_LIST_CODE          " AND (?4 IS NULL OR r.code = ?4)"
#define REJ_LIST_UP            REJ_LIST_CODE " AND r.id > ?5 ORDER BY r.id LIMIT ?6"
#define REJ_LIST_DOWN          REJ_LIST_CODE " AND r.id < ?5 ORDER BY r.id DESC LIMIT ?6"
#define REJ_LIST_BRAND_WHERE   "SELECT " REJ_COLS " FROM conversion_rejected r WHERE r.brand_id = ?3"
#define REJ_LIST_PROGRAM_WHERE REJ_LIST_BRAND_WHERE " AND r.program_id = ?7"
#define REJ_LIST_ALL_WHERE                                                                         \
    "SELECT " REJ_COLS " FROM conversion_rejected r WHERE (?7 = 0 OR r.program_id = ?7)"

/* [brand, program, all][oldest first, newest first] */
static const char *const SQL_REJ_LIST[3][2] = {
    {REJ_LIST_BRAND_WHERE REJ_LIST_UP, REJ_LIST_BRAND_WHERE REJ_LIST_DOWN},
    {REJ_LIST_PROGRAM_WHERE REJ_LIST_UP, REJ_LIST_PROGRAM_WHERE REJ_LIST_DOWN},
    {REJ_LIST_ALL_WHERE REJ_LIST_UP, REJ_LIST_ALL_WHERE REJ_LIST_DOWN},
};

enum tl_err sq_rejection_list(struct tl_store *s, const struct tl_actor *who,
                              const struct tl_rejection_filter *f, const struct tl_page *page,
                              struct tl_arena *a, struct tl_rejection **items, size_t *n,
                              bool *more)
{
    struct tl_rejection_filter any = {0, NULL, false};
    struct conn *c;
    sqlite3_stmt *q;
    const char *sql;
    int64_t after;
    int limit, which;
    void *arr = NULL;
    enum tl_err err;

    sq_list_init(n, more);
    *items = NULL;
    if (!sq_actor_valid(who))
        return TL_ERR_NOTFOUND;
    if (who->kind == TL_ACCOUNT_PARTNER)
        return TL_OK; /* a partner has no rejections */
    if (f == NULL)
        f = &any;
    if (who->kind == TL_ACCOUNT_ADMIN)
        which = 2;
    else
        which = f->program_id != 0 ? 1 : 0;
    sql = SQL_REJ_LIST[which][f->newest_first ? 1 : 0];
    sq_page_norm(page, &after, &limit);
    if (f->newest_first && after == 0)
        after = INT64_MAX;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, sql, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 3, who->account_id);
    sq_bind_str(q, 4, f->code);
    sqlite3_bind_int64(q, 5, after);
    sqlite3_bind_int(q, 6, limit + 1);
    sqlite3_bind_int64(q, 7, f->program_id);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), fill_rejection, &arr, n, more);
    *items = arr;
    return err;
}

/* ------------------------------------------------------------------ */
/* prune */

static const char SQL_REJ_DELETE_OLD[] =
    "DELETE FROM conversion_rejected WHERE id IN (SELECT id FROM conversion_rejected WHERE "
    "received_at < ?1 LIMIT ?2)";
/* The newest row past the cap of (?1 brand, ?2 program), ?3 the cap. */
static const char SQL_REJ_CUTOFF[] =
    "SELECT id FROM conversion_rejected WHERE brand_id = ?1 AND program_id = ?2 ORDER BY id DESC "
    "LIMIT 1 OFFSET ?3";
static const char SQL_REJ_DELETE_UPTO[] =
    "DELETE FROM conversion_rejected WHERE id IN (SELECT id FROM conversion_rejected WHERE "
    "brand_id = ?1 AND program_id = ?2 AND id <= ?3 ORDER BY id LIMIT ?4)";
static const char SQL_REJ_OVER_CAP[] =
    "SELECT brand_id, program_id FROM conversion_rejected GROUP BY brand_id, program_id "
    "HAVING COUNT(*) > ?1 LIMIT ?2";

struct prune_ctx {
    int64_t before_ms; /* the age job */
    int64_t brand_id;  /* the cap job */
    int64_t program_id;
    int64_t max_rows;
    int removed; /* by this job */
};

static enum tl_err old_job(struct conn *c, void *arg)
{
    struct prune_ctx *x = arg;
    sqlite3_stmt *q;
    enum tl_err err;

    x->removed = 0;
    err = sq_prep(c, SQL_REJ_DELETE_OLD, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, x->before_ms);
    sqlite3_bind_int(q, 2, TL_STORE_PRUNE_BATCH);
    err = sq_step_done(c, q);
    sq_done(q);
    if (err == TL_OK)
        x->removed = sqlite3_changes(c->db);
    return err;
}

static enum tl_err cap_job(struct conn *c, void *arg)
{
    struct prune_ctx *x = arg;
    sqlite3_stmt *q;
    int64_t cutoff;
    enum tl_err err;

    x->removed = 0;
    err = sq_prep(c, SQL_REJ_CUTOFF, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, x->brand_id);
    sqlite3_bind_int64(q, 2, x->program_id);
    sqlite3_bind_int64(q, 3, x->max_rows);
    err = sq_step_row(c, q);
    cutoff = err == TL_OK ? sqlite3_column_int64(q, 0) : 0;
    sq_done(q);
    if (err == TL_ERR_NOTFOUND)
        return TL_OK; /* within the cap now */
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_REJ_DELETE_UPTO, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, x->brand_id);
    sqlite3_bind_int64(q, 2, x->program_id);
    sqlite3_bind_int64(q, 3, cutoff);
    sqlite3_bind_int(q, 4, TL_STORE_PRUNE_BATCH);
    err = sq_step_done(c, q);
    sq_done(q);
    if (err == TL_OK)
        x->removed = sqlite3_changes(c->db);
    return err;
}

/* Runs fn until a job removes less than a full batch. */
static enum tl_err until_done(struct sqlite_store *st, job_fn fn, struct prune_ctx *x,
                              uint64_t *removed)
{
    enum tl_err err;

    do {
        err = sq_run_job(st, fn, x);
        if (err != TL_OK)
            return err;
        *removed += (uint64_t)x->removed;
    } while (x->removed == TL_STORE_PRUNE_BATCH);
    return TL_OK;
}

/* The (brand, program) pairs over max_rows, read on this thread's reader:
 * *groups holds 2 * *n ids (brand, program), malloc'd. */
static enum tl_err over_cap(struct sqlite_store *st, int64_t max_rows, int64_t **groups, size_t *n)
{
    struct conn *c;
    sqlite3_stmt *q;
    size_t cap = 0;
    int64_t *g = NULL, *grown;
    enum tl_err err;
    int rc;

    *groups = NULL;
    *n = 0;
    err = sq_reader(st, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_REJ_OVER_CAP, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, max_rows);
    sqlite3_bind_int(q, 2, GROUPS_MAX);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            grown = realloc(g, cap * 2 * sizeof(*g));
            if (grown == NULL) {
                err = TL_ERR_NOMEM;
                break;
            }
            g = grown;
        }
        g[2 * *n] = sqlite3_column_int64(q, 0);
        g[2 * *n + 1] = sqlite3_column_int64(q, 1);
        (*n)++;
    }
    if (err == TL_OK && rc != SQLITE_DONE)
        err = sq_db_err(c->db, rc);
    sq_done(q);
    if (err != TL_OK) {
        free(g);
        *n = 0;
        return err;
    }
    *groups = g;
    return TL_OK;
}

enum tl_err sq_rejection_prune(struct tl_store *s, int64_t before_ms, int64_t max_rows,
                               uint64_t *removed)
{
    struct sqlite_store *st = (struct sqlite_store *)s;
    struct prune_ctx x;
    int64_t *groups;
    size_t n, i;
    enum tl_err err;

    *removed = 0;
    memset(&x, 0, sizeof(x));
    x.before_ms = before_ms;
    err = until_done(st, old_job, &x, removed);
    if (err != TL_OK || max_rows <= 0)
        return err;
    err = over_cap(st, max_rows, &groups, &n);
    if (err != TL_OK)
        return err;
    for (i = 0; err == TL_OK && i < n; i++) {
        x.brand_id = groups[2 * i];
        x.program_id = groups[2 * i + 1];
        x.max_rows = max_rows;
        err = until_done(st, cap_job, &x, removed);
    }
    free(groups);
    return err;
}
