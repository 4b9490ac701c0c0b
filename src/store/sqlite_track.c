/*
 * sqlite_track.c: the public side of the SQLite backend: resolving short
 * codes and regular paths for the redirect, and storing batches of clicks
 * with their hourly rollups.
 *
 * These calls carry no actor: a click is anonymous. They are reached only
 * by track/, which fills its cache from them and answers visitors.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_internal.h"

#define HOUR_MS 3600000LL

/* ?1 the campaign */
static const char SQL_CAMPAIGN_PAGES[] =
    "SELECT lp.url FROM campaign_landing_page clp JOIN landing_page lp ON "
    "lp.id = clp.landing_page_id WHERE clp.campaign_id = ?1 ORDER BY clp.pos, lp.id";

/* Columns 0..9 shared by both resolutions: campaign and program state. */
#define TARGET_COLS                                                                                \
    "c.status, c.tracking_enabled, c.lp_mode, p.default_landing_page, p.click_id_param, "          \
    "p.currency, p.permitted_domains, c.id, p.id, t.id"

static const char SQL_TARGET_BY_CODE[] =
    "SELECT " TARGET_COLS ", l.id, l.partner_id, l.kind, l.landing_url, l.active, l.sub_id1, "
    "l.sub_id2, l.sub_id3, l.shared_id FROM link l "
    "JOIN task t ON t.id = l.task_id JOIN campaign c ON c.id = l.campaign_id "
    "JOIN program p ON p.id = l.program_id WHERE l.code = ?1";

static const char SQL_TARGET_BY_PATH[] =
    "SELECT " TARGET_COLS " FROM task t JOIN task_partner tp ON tp.task_id = t.id AND "
    "tp.partner_id = ?1 JOIN campaign c ON c.id = t.campaign_id JOIN program p ON "
    "p.id = c.program_id WHERE t.id = ?2 AND t.campaign_id = ?3";

/* The partner's generated links on a task, oldest first. */
static const char SQL_TARGET_LINKS[] =
    "SELECT l.id, l.landing_url, l.active FROM link l WHERE l.task_id = ?1 AND l.partner_id = ?2 "
    "ORDER BY l.id";

/* Fills the shared columns of a resolution. */
static enum tl_err fill_common(struct conn *c, sqlite3_stmt *q, struct tl_arena *a,
                               struct tl_target *t)
{
    const char *status = NULL, *mode = NULL;
    enum tl_err err;
    int m;

    err = sq_col_str(q, 0, a, &status);
    if (err == TL_OK)
        err = sq_col_str(q, 2, a, &mode);
    if (err == TL_OK)
        err = sq_col_str(q, 3, a, &t->default_landing);
    if (err == TL_OK)
        err = sq_col_str(q, 4, a, &t->click_param);
    if (err == TL_OK)
        err = sq_col_str(q, 5, a, &t->currency);
    if (err == TL_OK)
        err = sq_domains_decode(q, 6, a, &t->domains, &t->n_domains);
    if (err != TL_OK)
        return err;
    (void)c;
    t->campaign_active = status != NULL && strcmp(status, "active") == 0;
    t->tracking_enabled = sqlite3_column_int(q, 1) != 0;
    m = tl_lp_mode_parse(mode);
    t->mode = m < 0 ? TL_LP_PROGRAM_DEFAULT : (enum tl_lp_mode)m;
    t->campaign_id = sqlite3_column_int64(q, 7);
    t->program_id = sqlite3_column_int64(q, 8);
    t->task_id = sqlite3_column_int64(q, 9);
    return TL_OK;
}

/* Loads the campaign's selected pages (brand_selected only). */
static enum tl_err load_pages(struct conn *c, struct tl_arena *a, struct tl_target *t)
{
    sqlite3_stmt *q;
    size_t cap = 0;
    enum tl_err err;
    int rc;

    t->pages = NULL;
    t->n_pages = 0;
    if (t->mode != TL_LP_BRAND_SELECTED)
        return TL_OK;
    err = sq_prep(c, SQL_CAMPAIGN_PAGES, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, t->campaign_id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (t->n_pages == cap &&
            (t->pages = sq_arr_grow(a, t->pages, t->n_pages, &cap, sizeof(*t->pages))) == NULL) {
            err = TL_ERR_NOMEM;
            break;
        }
        err = sq_col_str(q, 0, a, &t->pages[t->n_pages]);
        if (err != TL_OK)
            break;
        t->n_pages++;
    }
    if (err == TL_OK && rc != SQLITE_DONE)
        err = sq_db_err(c->db, rc);
    sq_done(q);
    return err;
}

/* Loads the partner's links on the task, for crediting regular paths. */
static enum tl_err load_links(struct conn *c, struct tl_arena *a, struct tl_target *t)
{
    sqlite3_stmt *q;
    size_t cap = 0, cap2 = 0, cap3 = 0;
    const char *url;
    enum tl_err err;
    int rc;

    err = sq_prep(c, SQL_TARGET_LINKS, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, t->task_id);
    sqlite3_bind_int64(q, 2, t->partner_id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (t->n_links == cap) {
            t->link_landings =
                sq_arr_grow(a, t->link_landings, t->n_links, &cap, sizeof(*t->link_landings));
            t->link_ids = sq_arr_grow(a, t->link_ids, t->n_links, &cap2, sizeof(*t->link_ids));
            t->links_active =
                sq_arr_grow(a, t->links_active, t->n_links, &cap3, sizeof(*t->links_active));
            if (t->link_landings == NULL || t->link_ids == NULL || t->links_active == NULL) {
                err = TL_ERR_NOMEM;
                break;
            }
        }
        err = sq_col_str(q, 1, a, &url);
        if (err != TL_OK)
            break;
        t->link_ids[t->n_links] = sqlite3_column_int64(q, 0);
        t->links_active[t->n_links] = sqlite3_column_int(q, 2) != 0;
        t->link_landings[t->n_links] = url != NULL && url[0] != '\0' ? url : NULL;
        t->n_links++;
    }
    if (err == TL_OK && rc != SQLITE_DONE)
        err = sq_db_err(c->db, rc);
    sq_done(q);
    return err;
}

enum tl_err sq_target_by_code(struct tl_store *s, const char *code, struct tl_arena *a,
                              struct tl_target *out)
{
    struct conn *c;
    sqlite3_stmt *q;
    const char *kind = NULL;
    enum tl_err err;
    int i;

    memset(out, 0, sizeof(*out));
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_read_begin(c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_TARGET_BY_CODE, &q);
    if (err != TL_OK)
        goto out;
    sq_bind_str(q, 1, code);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = fill_common(c, q, a, out);
    if (err == TL_OK)
        err = sq_col_str(q, 12, a, &kind);
    if (err == TL_OK)
        err = sq_col_str(q, 13, a, &out->landing);
    if (err == TL_OK) {
        out->link_id = sqlite3_column_int64(q, 10);
        out->partner_id = sqlite3_column_int64(q, 11);
        out->kind = (enum tl_link_kind)(kind != NULL && strcmp(kind, "regular") == 0);
        if (out->landing != NULL && out->landing[0] == '\0')
            out->landing = NULL;
        out->link_active = sqlite3_column_int(q, 14) != 0;
        for (i = 0; err == TL_OK && i < 4; i++)
            err = sq_col_str(q, 15 + i, a, &out->link_subs[i]);
    }
    sq_done(q);
    if (err == TL_OK)
        err = load_pages(c, a, out);
out:
    sq_read_end(c);
    return err;
}

enum tl_err sq_target_by_path(struct tl_store *s, int64_t partner_id, int64_t task_id,
                              int64_t campaign_id, struct tl_arena *a, struct tl_target *out)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err;

    memset(out, 0, sizeof(*out));
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_read_begin(c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_TARGET_BY_PATH, &q);
    if (err != TL_OK)
        goto out;
    sqlite3_bind_int64(q, 1, partner_id);
    sqlite3_bind_int64(q, 2, task_id);
    sqlite3_bind_int64(q, 3, campaign_id);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = fill_common(c, q, a, out);
    sq_done(q);
    if (err != TL_OK)
        goto out;
    out->partner_id = partner_id;
    out->kind = TL_LINK_REGULAR;
    out->link_active = true; /* a regular path is always a link */
    err = load_pages(c, a, out);
    if (err == TL_OK)
        err = load_links(c, a, out);
out:
    sq_read_end(c);
    return err;
}

/* ------------------------------------------------------------------ */
/* clicks */

static const char SQL_CLICK_INSERT[] =
    "INSERT INTO click (click_id, ts_ms, link_id, partner_id, task_id, campaign_id, program_id, "
    "visitor_hash, user_agent, referrer, sub_id1, sub_id2, sub_id3, shared_id, bot, uniq, "
    "landing_fallback) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
    "?15, ?16, ?17)";

struct batch_ctx {
    const struct tl_click *clicks;
    size_t n;
};

static bool same_row(const struct tl_rollup *r, const struct tl_click *k, int64_t hour)
{
    return r->hour_ms == hour && r->campaign_id == k->campaign_id && r->task_id == k->task_id &&
           r->partner_id == k->partner_id && r->link_id == k->link_id &&
           strcmp(r->currency, k->currency) == 0;
}

static enum tl_err insert_click(struct conn *c, const struct tl_click *k)
{
    sqlite3_stmt *q;
    enum tl_err err;
    int i;

    err = sq_prep(c, SQL_CLICK_INSERT, &q);
    if (err != TL_OK)
        return err;
    sq_bind_str(q, 1, k->click_id);
    sqlite3_bind_int64(q, 2, k->ts_ms);
    sq_bind_opt_i64(q, 3, k->link_id);
    sqlite3_bind_int64(q, 4, k->partner_id);
    sqlite3_bind_int64(q, 5, k->task_id);
    sqlite3_bind_int64(q, 6, k->campaign_id);
    sqlite3_bind_int64(q, 7, k->program_id);
    sqlite3_bind_blob(q, 8, k->visitor, sizeof(k->visitor), SQLITE_STATIC);
    sq_bind_str(q, 9, k->user_agent[0] != '\0' ? k->user_agent : NULL);
    sq_bind_str(q, 10, k->referrer[0] != '\0' ? k->referrer : NULL);
    for (i = 0; i < 4; i++)
        sq_bind_str(q, 11 + i, k->sub[i][0] != '\0' ? k->sub[i] : NULL);
    sqlite3_bind_int(q, 15, k->bot);
    sqlite3_bind_int(q, 16, k->uniq);
    sqlite3_bind_int(q, 17, k->landing_fallback);
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}

/* Index of the rollup row for click k, hashed over its key; rows and
 * slots grow together (slots: a power of two, at least twice the rows). */
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

/* Adds a fine row's sums to the coarse row of its campaign and hour. */
static void add_coarse(struct tl_rollup *coarse, size_t *n, const struct tl_rollup *r)
{
    size_t i;

    /* A batch touches few campaign-hours: a linear search is enough. */
    for (i = 0; i < *n && !sq_rollup_same_coarse(&coarse[i], r); i++)
        ;
    if (i == *n)
        coarse[(*n)++] = *r;
    else
        sq_rollup_add_sums(&coarse[i], r);
}

static enum tl_err batch_job(struct conn *c, void *arg)
{
    struct batch_ctx *x = arg;
    struct tl_rollup *rows = NULL, *coarse = NULL, *r;
    size_t *slots = NULL; /* row index + 1; 0 is empty */
    size_t n_rows = 0, n_coarse = 0, mask, i, slot;
    enum tl_err err = TL_OK;
    int64_t hour;

    for (mask = 16; mask < x->n * 2; mask <<= 1)
        ;
    rows = calloc(x->n, sizeof(*rows));
    coarse = calloc(x->n, sizeof(*coarse));
    slots = calloc(mask, sizeof(*slots));
    mask -= 1;
    if (rows == NULL || coarse == NULL || slots == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < x->n && err == TL_OK; i++) {
        const struct tl_click *k = &x->clicks[i];

        err = insert_click(c, k);
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
        r = &rows[slots[slot] - 1];
        if (k->bot) {
            r->bot_clicks++;
        } else {
            r->clicks++;
            r->unique_clicks += k->uniq;
        }
    }
    for (i = 0; i < n_rows && err == TL_OK; i++) {
        err = sq_rollup_fine(c, &rows[i]);
        add_coarse(coarse, &n_coarse, &rows[i]);
    }
    for (i = 0; i < n_coarse && err == TL_OK; i++)
        err = sq_rollup_campaign(c, &coarse[i]);
out:
    free(rows);
    free(coarse);
    free(slots);
    return err;
}

enum tl_err sq_click_batch(struct tl_store *s, const struct tl_click *clicks, size_t n)
{
    struct batch_ctx x = {clicks, n};

    if (n == 0)
        return TL_OK;
    return sq_run_job((struct sqlite_store *)s, batch_job, &x);
}

struct batch_async {
    void *(*fill)(void *ctx, const struct tl_click **clicks, size_t *n);
    void (*done)(void *ctx, void *handle, enum tl_err err);
    void *ctx;
    void *handle;
};

static enum tl_err batch_async_job(struct conn *c, void *arg)
{
    struct batch_async *b = arg;
    struct batch_ctx x = {NULL, 0};

    b->handle = b->fill(b->ctx, &x.clicks, &x.n);
    return x.n == 0 ? TL_OK : batch_job(c, &x);
}

static void batch_async_done(void *arg, enum tl_err err)
{
    struct batch_async *b = arg;

    b->done(b->ctx, b->handle, err);
    free(b);
}

enum tl_err sq_click_batch_async(struct tl_store *s,
                                 void *(*fill)(void *ctx, const struct tl_click **clicks,
                                               size_t *n),
                                 void (*done)(void *ctx, void *handle, enum tl_err err), void *ctx)
{
    struct batch_async *b = calloc(1, sizeof(*b));
    enum tl_err err;

    if (b == NULL)
        return TL_ERR_NOMEM;
    b->fill = fill;
    b->done = done;
    b->ctx = ctx;
    err = sq_submit_job((struct sqlite_store *)s, batch_async_job, b, batch_async_done, b);
    if (err != TL_OK)
        free(b);
    return err;
}

/* ------------------------------------------------------------------ */
/* the operator's listing */

/* ?1 campaign or 0, ?2 click id or NULL, ?3 limit + 1 */
static const char SQL_CLICK_LIST[] =
    "SELECT click_id, ts_ms, link_id, partner_id, task_id, campaign_id, program_id, visitor_hash, "
    "user_agent, referrer, sub_id1, sub_id2, sub_id3, shared_id, bot, uniq, landing_fallback "
    "FROM click WHERE (?1 = 0 OR campaign_id = ?1) AND (?2 IS NULL OR click_id = ?2) "
    "ORDER BY ts_ms, click_id LIMIT ?3";

/* Copies column i (NULL: "") into out, cut to cap - 1 bytes. */
static void col_copy(sqlite3_stmt *q, int i, char *out, size_t cap)
{
    const unsigned char *v = sqlite3_column_text(q, i);
    size_t n = v != NULL ? (size_t)sqlite3_column_bytes(q, i) : 0;

    if (n >= cap)
        n = cap - 1;
    if (n > 0)
        memcpy(out, v, n);
    out[n] = '\0';
}

enum tl_err sq_click_list(struct tl_store *s, int64_t campaign_id, const char *click_id, int max,
                          struct tl_arena *a, struct tl_click **items, size_t *n, bool *more)
{
    struct tl_click *out = NULL, *k;
    struct conn *c;
    sqlite3_stmt *q;
    size_t cap = 0;
    enum tl_err err;
    int rc, i;

    *items = NULL;
    *n = 0;
    *more = false;
    if (max < 1 || max > TL_STORE_CLICKS_MAX)
        return TL_ERR_INVALID;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_CLICK_LIST, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, campaign_id);
    sq_bind_str(q, 2, click_id);
    sqlite3_bind_int(q, 3, max + 1);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == (size_t)max) {
            *more = true;
            break;
        }
        if (*n == cap && (out = sq_arr_grow(a, out, *n, &cap, sizeof(*out))) == NULL) {
            err = TL_ERR_NOMEM;
            break;
        }
        k = &out[*n];
        memset(k, 0, sizeof(*k));
        col_copy(q, 0, k->click_id, sizeof(k->click_id));
        k->ts_ms = sqlite3_column_int64(q, 1);
        k->link_id = sqlite3_column_int64(q, 2); /* NULL reads as 0 */
        k->partner_id = sqlite3_column_int64(q, 3);
        k->task_id = sqlite3_column_int64(q, 4);
        k->campaign_id = sqlite3_column_int64(q, 5);
        k->program_id = sqlite3_column_int64(q, 6);
        if (sqlite3_column_bytes(q, 7) == (int)sizeof(k->visitor))
            memcpy(k->visitor, sqlite3_column_blob(q, 7), sizeof(k->visitor));
        col_copy(q, 8, k->user_agent, sizeof(k->user_agent));
        col_copy(q, 9, k->referrer, sizeof(k->referrer));
        for (i = 0; i < 4; i++)
            col_copy(q, 10 + i, k->sub[i], sizeof(k->sub[i]));
        k->bot = sqlite3_column_int(q, 14) != 0;
        k->uniq = sqlite3_column_int(q, 15) != 0;
        k->landing_fallback = sqlite3_column_int(q, 16) != 0;
        (*n)++;
    }
    if (err == TL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = sq_db_err(c->db, rc);
    sq_done(q);
    *items = out;
    return err;
}
