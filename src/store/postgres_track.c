/*
 * postgres_track.c: the public side of the PostgreSQL backend, mirroring
 * sqlite_track.c: resolving short codes and regular paths for the
 * redirect, and storing batches of clicks with their hourly rollups.
 *
 * A batch is one statement: INSERT ... SELECT FROM unnest(arrays) (one
 * parameter per column; COPY cannot run on the writer's pipelined
 * connection), ON CONFLICT (click_id) DO NOTHING RETURNING the ids of the
 * rows actually inserted. The rollups are summed from those rows only, in
 * the same transaction, so a batch retried after an unknown commit
 * outcome counts nothing twice.
 *
 * These calls carry no actor: a click is anonymous.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>

#include "store/postgres_internal.h"

#define HOUR_MS 3600000LL

static bool col_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

/* ------------------------------------------------------------------ */
/* resolutions */

static const char SQL_CAMPAIGN_PAGES[] =
    "SELECT lp.url FROM campaign_landing_page clp JOIN landing_page lp ON "
    "lp.id = clp.landing_page_id WHERE clp.campaign_id = $1 ORDER BY clp.pos, lp.id";

#define TARGET_COLS                                                                                \
    "c.status, c.tracking_enabled, c.lp_mode, p.default_landing_page, p.click_id_param, "          \
    "p.currency, p.permitted_domains, c.id, p.id, t.id"

static const char SQL_TARGET_BY_CODE[] =
    "SELECT " TARGET_COLS ", l.id, l.partner_id, l.kind, l.landing_url, l.active, l.sub_id1, "
    "l.sub_id2, l.sub_id3, l.shared_id FROM link l "
    "JOIN task t ON t.id = l.task_id JOIN campaign c ON c.id = l.campaign_id "
    "JOIN program p ON p.id = l.program_id WHERE l.code = $1";

static const char SQL_TARGET_BY_PATH[] =
    "SELECT " TARGET_COLS " FROM task t JOIN task_partner tp ON tp.task_id = t.id AND "
    "tp.partner_id = $1 JOIN campaign c ON c.id = t.campaign_id JOIN program p ON "
    "p.id = c.program_id WHERE t.id = $2 AND t.campaign_id = $3";

static const char SQL_TARGET_LINKS[] =
    "SELECT l.id, l.landing_url, l.active FROM link l WHERE l.task_id = $1 AND l.partner_id = $2 "
    "ORDER BY l.id";

/* The permitted domains, stored as a JSON array of strings. */
static enum tl_err domains_decode(const PGresult *r, int col, struct tl_arena *a, const char ***out,
                                  size_t *n_out)
{
    const char **d = NULL;
    json_t *arr = NULL, *v;
    enum tl_err err = TL_OK;
    size_t i, n;

    *out = NULL;
    *n_out = 0;
    if (PQgetisnull(r, 0, col))
        return TL_OK;
    arr = json_loads(PQgetvalue(r, 0, col), 0, NULL);
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
        if ((d[i] = tl_arena_strdup(a, json_string_value(v))) == NULL) {
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

static enum tl_err fill_common(const PGresult *r, struct tl_arena *a, struct tl_target *t)
{
    const char *status = NULL, *mode = NULL;
    enum tl_err err;
    int m;

    err = pg_col_str(r, 0, 0, a, &status);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 2, a, &mode);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 3, a, &t->default_landing);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 4, a, &t->click_param);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 5, a, &t->currency);
    if (err == TL_OK)
        err = domains_decode(r, 6, a, &t->domains, &t->n_domains);
    if (err != TL_OK)
        return err;
    t->campaign_active = status != NULL && strcmp(status, "active") == 0;
    t->tracking_enabled = col_bool(r, 0, 1);
    m = tl_lp_mode_parse(mode);
    t->mode = m < 0 ? TL_LP_PROGRAM_DEFAULT : (enum tl_lp_mode)m;
    t->campaign_id = pg_col_i64(r, 0, 7);
    t->program_id = pg_col_i64(r, 0, 8);
    t->task_id = pg_col_i64(r, 0, 9);
    return TL_OK;
}

/* Loads the campaign's selected pages (brand_selected only). */
static enum tl_err load_pages(struct tl_store *s, struct tl_arena *a, struct tl_target *t)
{
    char b[24];
    const char *p[1] = {pg_i64(b, t->campaign_id)};
    PGresult *r;
    enum tl_err err;
    int rows, i;

    t->pages = NULL;
    t->n_pages = 0;
    if (t->mode != TL_LP_BRAND_SELECTED)
        return TL_OK;
    err = pg_read(s, SQL_CAMPAIGN_PAGES, 1, p, &r);
    if (err != TL_OK)
        return err;
    rows = PQntuples(r);
    if (rows > 0 && (t->pages = tl_arena_alloc(a, (size_t)rows * sizeof(*t->pages))) == NULL)
        err = TL_ERR_NOMEM;
    for (i = 0; err == TL_OK && i < rows; i++)
        err = pg_col_str(r, i, 0, a, &t->pages[i]);
    if (err == TL_OK)
        t->n_pages = (size_t)rows;
    PQclear(r);
    return err;
}

/* Loads the partner's links on the task, for crediting regular paths. */
static enum tl_err load_links(struct tl_store *s, struct tl_arena *a, struct tl_target *t)
{
    char b[2][24];
    const char *p[2] = {pg_i64(b[0], t->task_id), pg_i64(b[1], t->partner_id)};
    const char *url;
    PGresult *r;
    enum tl_err err;
    size_t rows, i;

    err = pg_read(s, SQL_TARGET_LINKS, 2, p, &r);
    if (err != TL_OK)
        return err;
    rows = (size_t)PQntuples(r);
    if (rows > 0) {
        t->link_landings = tl_arena_alloc(a, rows * sizeof(*t->link_landings));
        t->link_ids = tl_arena_alloc(a, rows * sizeof(*t->link_ids));
        t->links_active = tl_arena_alloc(a, rows * sizeof(*t->links_active));
        if (t->link_landings == NULL || t->link_ids == NULL || t->links_active == NULL)
            err = TL_ERR_NOMEM;
    }
    for (i = 0; err == TL_OK && i < rows; i++) {
        err = pg_col_str(r, (int)i, 1, a, &url);
        if (err != TL_OK)
            break;
        t->link_ids[i] = pg_col_i64(r, (int)i, 0);
        t->links_active[i] = col_bool(r, (int)i, 2);
        t->link_landings[i] = url != NULL && url[0] != '\0' ? url : NULL;
        t->n_links = i + 1;
    }
    PQclear(r);
    return err;
}

static enum tl_err pg_target_by_code(struct tl_store *s, const char *code, struct tl_arena *a,
                                     struct tl_target *out)
{
    const char *p[1] = {code}, *kind = NULL;
    PGresult *r;
    enum tl_err err;
    int i;

    memset(out, 0, sizeof(*out));
    if (code == NULL)
        return TL_ERR_NOTFOUND;
    err = pg_read(s, SQL_TARGET_BY_CODE, 1, p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0)
        err = TL_ERR_NOTFOUND;
    if (err == TL_OK)
        err = fill_common(r, a, out);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 12, a, &kind);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 13, a, &out->landing);
    if (err == TL_OK) {
        out->link_id = pg_col_i64(r, 0, 10);
        out->partner_id = pg_col_i64(r, 0, 11);
        out->kind = (enum tl_link_kind)(kind != NULL && strcmp(kind, "regular") == 0);
        if (out->landing != NULL && out->landing[0] == '\0')
            out->landing = NULL;
        out->link_active = col_bool(r, 0, 14);
        for (i = 0; err == TL_OK && i < 4; i++)
            err = pg_col_str(r, 0, 15 + i, a, &out->link_subs[i]);
    }
    PQclear(r);
    if (err == TL_OK)
        err = load_pages(s, a, out);
    return err;
}

static enum tl_err pg_target_by_path(struct tl_store *s, int64_t partner_id, int64_t task_id,
                                     int64_t campaign_id, struct tl_arena *a, struct tl_target *out)
{
    char b[3][24];
    const char *p[3] = {pg_i64(b[0], partner_id), pg_i64(b[1], task_id), pg_i64(b[2], campaign_id)};
    PGresult *r;
    enum tl_err err;

    memset(out, 0, sizeof(*out));
    err = pg_read(s, SQL_TARGET_BY_PATH, 3, p, &r);
    if (err != TL_OK)
        return err;
    err = PQntuples(r) == 0 ? TL_ERR_NOTFOUND : fill_common(r, a, out);
    PQclear(r);
    if (err != TL_OK)
        return err;
    out->partner_id = partner_id;
    out->kind = TL_LINK_REGULAR;
    out->link_active = true; /* a regular path is always a link */
    err = load_pages(s, a, out);
    if (err == TL_OK)
        err = load_links(s, a, out);
    return err;
}

/* ------------------------------------------------------------------ */
/* clicks */

#define CLICK_COLS                                                                                 \
    "click_id, ts_ms, link_id, partner_id, task_id, campaign_id, program_id, visitor_hash, "       \
    "user_agent, referrer, sub_id1, sub_id2, sub_id3, shared_id, bot, uniq, landing_fallback"
#define N_COLS 17

static const char SQL_CLICK_INSERT[] =
    "INSERT INTO click (" CLICK_COLS ") SELECT * FROM unnest($1::text[], $2::bigint[], "
    "$3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bytea[], "
    "$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], "
    "$15::boolean[], $16::boolean[], $17::boolean[]) ON CONFLICT (click_id) DO NOTHING "
    "RETURNING click_id";

/* A growable array literal ("{...}"), one per column. */
struct lit {
    char *buf;
    size_t len, cap;
};

static bool lit_put(struct lit *l, const char *s, size_t n)
{
    if (l->len + n + 2 > l->cap) {
        size_t cap = l->cap != 0 ? l->cap : 4096;
        char *b;

        while (l->len + n + 2 > cap)
            cap *= 2;
        if ((b = realloc(l->buf, cap)) == NULL)
            return false;
        l->buf = b;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
    return true;
}

/* Appends one element: NULL as NULL, else quoted with " and \ escaped. */
static bool lit_elem(struct lit *l, const char *v)
{
    const char *p;

    if (!lit_put(l, l->len == 0 ? "{" : ",", 1))
        return false;
    if (v == NULL)
        return lit_put(l, "NULL", 4);
    if (!lit_put(l, "\"", 1))
        return false;
    for (p = v; *p != '\0'; p++) {
        if ((*p == '"' || *p == '\\') && !lit_put(l, "\\", 1))
            return false;
        if (!lit_put(l, p, 1))
            return false;
    }
    return lit_put(l, "\"", 1);
}

static bool lit_i64(struct lit *l, int64_t v)
{
    char b[24];

    return lit_elem(l, pg_i64(b, v));
}

/* Appends one click's columns to the array literals. */
static bool put_click(struct lit *c, const struct tl_click *k)
{
    char hex[2 + 2 * sizeof(k->visitor) + 1];
    bool ok;
    int i;

    hex[0] = '\\';
    hex[1] = 'x';
    sodium_bin2hex(hex + 2, sizeof(hex) - 2, k->visitor, sizeof(k->visitor));
    ok = lit_elem(&c[0], k->click_id) && lit_i64(&c[1], k->ts_ms) &&
         (k->link_id != 0 ? lit_i64(&c[2], k->link_id) : lit_elem(&c[2], NULL)) &&
         lit_i64(&c[3], k->partner_id) && lit_i64(&c[4], k->task_id) &&
         lit_i64(&c[5], k->campaign_id) && lit_i64(&c[6], k->program_id) && lit_elem(&c[7], hex) &&
         lit_elem(&c[8], k->user_agent[0] != '\0' ? k->user_agent : NULL) &&
         lit_elem(&c[9], k->referrer[0] != '\0' ? k->referrer : NULL);
    for (i = 0; ok && i < 4; i++)
        ok = lit_elem(&c[10 + i], k->sub[i][0] != '\0' ? k->sub[i] : NULL);
    return ok && lit_elem(&c[14], k->bot ? "t" : "f") && lit_elem(&c[15], k->uniq ? "t" : "f") &&
           lit_elem(&c[16], k->landing_fallback ? "t" : "f");
}

struct batch_ctx {
    const struct tl_click *clicks;
    size_t n;
};

static const struct tl_click *sort_base;

static int by_click_id(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sort_base[i].click_id, sort_base[j].click_id);

    return c != 0 ? c : (i > j) - (i < j);
}

/* The first click of the batch with id (order: indexes sorted by id). */
static const struct tl_click *find_click(const struct tl_click *clicks, const size_t *order,
                                         size_t n, const char *id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(clicks[order[mid]].click_id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(clicks[order[lo]].click_id, id) == 0 ? &clicks[order[lo]] : NULL;
}

static bool same_row(const struct tl_rollup *r, const struct tl_click *k, int64_t hour)
{
    return r->hour_ms == hour && r->campaign_id == k->campaign_id && r->task_id == k->task_id &&
           r->partner_id == k->partner_id && r->link_id == k->link_id &&
           strcmp(r->currency, k->currency) == 0;
}

/* Index of the rollup row for click k, hashed over its key; slots is a
 * power of two at least twice the rows. */
static size_t row_slot(const size_t *slots, size_t mask, const struct tl_rollup *rows,
                       const struct tl_click *k, int64_t hour)
{
    uint64_t h = (uint64_t)hour * 0x9e3779b97f4a7c15ull;
    size_t i;

    h ^= (uint64_t)k->link_id * 0xc2b2ae3d27d4eb4full;
    h ^= (uint64_t)k->task_id * 0x165667b19e3779f9ull;
    h ^= (uint64_t)k->partner_id * 0x27d4eb2f165667c5ull;
    h ^= h >> 29;
    for (i = h & mask; slots[i] != 0 && !same_row(&rows[slots[i] - 1], k, hour); i = (i + 1) & mask)
        ;
    return i;
}

/* Serialises the qsort comparator's base (the writer may run in several
 * threads). */
static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;

static enum tl_err batch_job(struct tl_pg_tx *tx, void *arg)
{
    struct batch_ctx *x = arg;
    struct lit cols[N_COLS];
    const char *p[N_COLS];
    struct tl_rollup *rows = NULL;
    size_t *slots = NULL, *order = NULL;
    size_t n_rows = 0, mask, i, slot;
    PGresult *r = NULL;
    enum tl_err err = TL_OK;
    int64_t hour;
    int got, j;

    memset(cols, 0, sizeof(cols));
    for (i = 0; i < x->n; i++) {
        if (!put_click(cols, &x->clicks[i])) {
            err = TL_ERR_NOMEM;
            goto out;
        }
    }
    for (j = 0; j < N_COLS; j++) {
        if (!lit_put(&cols[j], "}", 1)) {
            err = TL_ERR_NOMEM;
            goto out;
        }
        p[j] = cols[j].buf;
    }
    err = tl_pg_tx_query(tx, SQL_CLICK_INSERT, N_COLS, p, &r);
    if (err != TL_OK)
        goto out;
    got = PQntuples(r);
    if (got == 0)
        goto out;

    /* The rollups of the rows inserted, one row per fine key. */
    for (mask = 16; mask < (size_t)got * 2; mask <<= 1)
        ;
    rows = calloc((size_t)got, sizeof(*rows));
    slots = calloc(mask, sizeof(*slots));
    order = malloc(x->n * sizeof(*order));
    mask -= 1;
    if (rows == NULL || slots == NULL || order == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < x->n; i++)
        order[i] = i;
    pthread_mutex_lock(&sort_mu);
    sort_base = x->clicks;
    qsort(order, x->n, sizeof(*order), by_click_id);
    pthread_mutex_unlock(&sort_mu);
    for (j = 0; j < got; j++) {
        const struct tl_click *k = find_click(x->clicks, order, x->n, PQgetvalue(r, j, 0));
        struct tl_rollup *ro;

        if (k == NULL) {
            err = TL_ERR_IO;
            goto out;
        }
        hour = k->ts_ms - k->ts_ms % HOUR_MS;
        slot = row_slot(slots, mask, rows, k, hour);
        if (slots[slot] == 0) {
            rows[n_rows] = (struct tl_rollup){.hour_ms = hour,
                                              .program_id = k->program_id,
                                              .campaign_id = k->campaign_id,
                                              .task_id = k->task_id,
                                              .partner_id = k->partner_id,
                                              .link_id = k->link_id,
                                              .currency = k->currency};
            slots[slot] = ++n_rows;
        }
        ro = &rows[slots[slot] - 1];
        if (k->bot) {
            ro->bot_clicks++;
        } else {
            ro->clicks++;
            ro->unique_clicks += k->uniq;
        }
    }
    for (i = 0; i < n_rows && err == TL_OK; i++)
        err = pg_rollup_add(tx, &rows[i]);
out:
    PQclear(r);
    for (j = 0; j < N_COLS; j++)
        free(cols[j].buf);
    free(rows);
    free(slots);
    free(order);
    return err;
}

static enum tl_err pg_click_batch(struct tl_store *s, const struct tl_click *clicks, size_t n)
{
    struct batch_ctx x = {clicks, n};

    if (n == 0)
        return TL_OK;
    return tl_pg_write(pg_of(s), batch_job, &x);
}

struct batch_async {
    void *(*fill)(void *ctx, const struct tl_click **clicks, size_t *n);
    void (*done)(void *ctx, void *handle, enum tl_err err);
    void *ctx;
    void *handle;
    const struct tl_click *clicks;
    size_t n;
    bool filled;
};

static enum tl_err batch_async_job(struct tl_pg_tx *tx, void *arg)
{
    struct batch_async *b = arg;
    struct batch_ctx x;

    /* A batch is decided once: a job run again keeps its clicks. */
    if (!b->filled) {
        b->handle = b->fill(b->ctx, &b->clicks, &b->n);
        b->filled = true;
    }
    x.clicks = b->clicks;
    x.n = b->n;
    return x.n == 0 ? TL_OK : batch_job(tx, &x);
}

static void batch_async_done(void *arg, enum tl_err err)
{
    struct batch_async *b = arg;

    b->done(b->ctx, b->handle, err);
    free(b);
}

static enum tl_err
pg_click_batch_async(struct tl_store *s,
                     void *(*fill)(void *ctx, const struct tl_click **clicks, size_t *n),
                     void (*done)(void *ctx, void *handle, enum tl_err err), void *ctx)
{
    struct batch_async *b = calloc(1, sizeof(*b));
    enum tl_err err;

    if (b == NULL)
        return TL_ERR_NOMEM;
    b->fill = fill;
    b->done = done;
    b->ctx = ctx;
    err = tl_pg_write_async(pg_of(s), batch_async_job, b, batch_async_done, b);
    if (err != TL_OK)
        free(b);
    return err;
}

/* ------------------------------------------------------------------ */
/* the operator's listing */

/* $1 campaign or 0, $2 click id or NULL, $3 limit + 1 */
static const char SQL_CLICK_LIST[] =
    "SELECT " CLICK_COLS " FROM click WHERE ($1 = 0 OR campaign_id = $1) AND "
    "($2::text IS NULL OR click_id = $2) ORDER BY ts_ms, click_id LIMIT $3";

/* Copies column i (NULL: "") into out, cut to cap - 1 bytes. */
static void col_copy(const PGresult *r, int row, int i, char *out, size_t cap)
{
    const char *v = PQgetisnull(r, row, i) ? "" : PQgetvalue(r, row, i);
    size_t n = strlen(v);

    if (n >= cap)
        n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

static enum tl_err pg_click_list(struct tl_store *s, int64_t campaign_id, const char *click_id,
                                 int max, struct tl_arena *a, struct tl_click **items, size_t *n,
                                 bool *more)
{
    char b[2][24];
    const char *p[3] = {pg_i64(b[0], campaign_id), click_id, NULL};
    struct tl_click *out = NULL, *k;
    PGresult *r;
    enum tl_err err;
    int rows, i, j;

    *items = NULL;
    *n = 0;
    *more = false;
    if (max < 1 || max > TL_STORE_CLICKS_MAX)
        return TL_ERR_INVALID;
    p[2] = pg_i64(b[1], (int64_t)max + 1);
    err = pg_read(s, SQL_CLICK_LIST, 3, p, &r);
    if (err != TL_OK)
        return err;
    rows = PQntuples(r);
    if (rows > max) {
        rows = max;
        *more = true;
    }
    if (rows > 0 && (out = tl_arena_alloc(a, (size_t)rows * sizeof(*out))) == NULL) {
        PQclear(r);
        *more = false;
        return TL_ERR_NOMEM;
    }
    for (i = 0; i < rows; i++) {
        const char *hex = PQgetvalue(r, i, 7);

        k = &out[i];
        memset(k, 0, sizeof(*k));
        col_copy(r, i, 0, k->click_id, sizeof(k->click_id));
        k->ts_ms = pg_col_i64(r, i, 1);
        k->link_id = pg_col_i64(r, i, 2); /* NULL reads as 0 */
        k->partner_id = pg_col_i64(r, i, 3);
        k->task_id = pg_col_i64(r, i, 4);
        k->campaign_id = pg_col_i64(r, i, 5);
        k->program_id = pg_col_i64(r, i, 6);
        if (!PQgetisnull(r, i, 7) && strncmp(hex, "\\x", 2) == 0 &&
            strlen(hex + 2) == 2 * sizeof(k->visitor))
            sodium_hex2bin(k->visitor, sizeof(k->visitor), hex + 2, strlen(hex + 2), NULL, NULL,
                           NULL);
        col_copy(r, i, 8, k->user_agent, sizeof(k->user_agent));
        col_copy(r, i, 9, k->referrer, sizeof(k->referrer));
        for (j = 0; j < 4; j++)
            col_copy(r, i, 10 + j, k->sub[j], sizeof(k->sub[j]));
        k->bot = col_bool(r, i, 14);
        k->uniq = col_bool(r, i, 15);
        k->landing_fallback = col_bool(r, i, 16);
    }
    PQclear(r);
    *items = out;
    *n = (size_t)rows;
    return TL_OK;
}

void pg_track_ops(struct tl_backend_ops *o)
{
    o->target_by_code = pg_target_by_code;
    o->target_by_path = pg_target_by_path;
    o->click_batch = pg_click_batch;
    o->click_batch_async = pg_click_batch_async;
    o->click_list = pg_click_list;
}
