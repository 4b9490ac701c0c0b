/*
 * postgres_links.c: tracking links in the PostgreSQL backend, mirroring
 * sqlite_links.c (see postgres_internal.h).
 *
 * A link's identity is (task, partner, landing_url, kind, sub ids, shared
 * id), held by the unique index link_identity. landing_url '' stands for
 * "follows the program's default landing page" (NULL in struct tl_link).
 * Creation is one writer job at READ COMMITTED: INSERT ... ON CONFLICT DO
 * NOTHING RETURNING the row; when nothing was inserted, a read of the
 * identity (a new statement sees a twin committed meanwhile); when no twin
 * exists either, the conflict was the random code and a fresh one is drawn
 * (at most CODE_TRIES times: no loop that can spin).
 */
#include <stdlib.h>
#include <string.h>

#include "core/link.h"
#include "core/time.h"
#include "store/postgres_internal.h"

#define CODE_TRIES 8 /* 62^7 codes: a second collision in a row is news */

#define LINK_COLS                                                                                  \
    "l.id, l.code, l.kind, l.landing_url, l.partner_id, l.task_id, l.campaign_id, "                \
    "l.program_id, l.sub_id1, l.sub_id2, l.sub_id3, l.shared_id, l.created_by, l.active, "         \
    "l.created_at"

/* $2 kind, $3 account */
#define VIS_LINK                                                                                   \
    "($2 = 1 OR ($2 = 2 AND EXISTS (SELECT 1 FROM program p WHERE p.id = l.program_id AND "        \
    "p.brand_id = $3)) OR ($2 = 4 AND l.partner_id = $3))"

static bool actor_valid(const struct tl_actor *who)
{
    return who != NULL && (who->kind == TL_ACCOUNT_ADMIN || who->kind == TL_ACCOUNT_BRAND ||
                           who->kind == TL_ACCOUNT_PARTNER);
}

static bool col_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

static enum tl_err fill_link(const PGresult *r, int row, struct tl_arena *a, struct tl_link *l)
{
    const char *kind = NULL, *by = NULL;
    enum tl_err err;

    memset(l, 0, sizeof(*l));
    l->id = pg_col_i64(r, row, 0);
    err = pg_col_str(r, row, 1, a, &l->code);
    if (err == TL_OK)
        err = pg_col_str(r, row, 2, a, &kind);
    if (err == TL_OK)
        err = pg_col_str(r, row, 3, a, &l->landing_url);
    if (err == TL_OK)
        err = pg_col_str(r, row, 8, a, &l->sub_id1);
    if (err == TL_OK)
        err = pg_col_str(r, row, 9, a, &l->sub_id2);
    if (err == TL_OK)
        err = pg_col_str(r, row, 10, a, &l->sub_id3);
    if (err == TL_OK)
        err = pg_col_str(r, row, 11, a, &l->shared_id);
    if (err == TL_OK)
        err = pg_col_str(r, row, 12, a, &by);
    if (err != TL_OK)
        return err;
    if (l->landing_url != NULL && l->landing_url[0] == '\0')
        l->landing_url = NULL;
    l->kind = (enum tl_link_kind)(kind != NULL && strcmp(kind, "regular") == 0);
    l->partner_id = pg_col_i64(r, row, 4);
    l->task_id = pg_col_i64(r, row, 5);
    l->campaign_id = pg_col_i64(r, row, 6);
    l->program_id = pg_col_i64(r, row, 7);
    l->created_by_partner = by != NULL && strcmp(by, "partner") == 0;
    l->active = col_bool(r, row, 13);
    l->created_at = pg_col_i64(r, row, 14);
    return TL_OK;
}

/* ------------------------------------------------------------------ */
/* upsert */

static const char SQL_TASK_WRITABLE[] =
    "SELECT 1 FROM task t WHERE t.id = $1 AND ($2 = 1 OR ($2 = 2 AND t.brand_id = $3) OR "
    "($2 = 4 AND EXISTS (SELECT 1 FROM task_partner tp WHERE tp.task_id = t.id AND "
    "tp.partner_id = $3)))";
static const char SQL_LINK_INSERT[] =
    "INSERT INTO link AS l (code, kind, landing_url, partner_id, task_id, campaign_id, "
    "program_id, sub_id1, sub_id2, sub_id3, shared_id, created_by, active, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
    "ON CONFLICT DO NOTHING RETURNING " LINK_COLS;
static const char SQL_LINK_BY_IDENTITY[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.task_id = $1 AND l.partner_id = $2 AND "
    "l.landing_url = $3 AND l.kind = $4 AND COALESCE(l.sub_id1, '') = COALESCE($5, '') AND "
    "COALESCE(l.sub_id2, '') = COALESCE($6, '') AND COALESCE(l.sub_id3, '') = COALESCE($7, '') "
    "AND COALESCE(l.shared_id, '') = COALESCE($8, '')";

struct upsert_ctx {
    const struct tl_actor *who;
    const struct tl_link *in;
    struct tl_arena *a;
    struct tl_link *out;
    bool created;
};

/* Runs sql in the job; *found tells whether it gave a row (then in out). */
static enum tl_err query_link(struct tl_pg_tx *tx, const char *sql, int n, const char *const *p,
                              struct tl_arena *a, struct tl_link *out, bool *found)
{
    PGresult *r = NULL;
    enum tl_err err = tl_pg_tx_query(tx, sql, n, p, &r);

    *found = false;
    if (err != TL_OK)
        return err;
    if (PQntuples(r) > 0) {
        *found = true;
        err = fill_link(r, 0, a, out);
    }
    PQclear(r);
    return err;
}

/* Creates in, or finds its identical twin, inside the writer's job. */
static enum tl_err upsert_in(struct tl_pg_tx *tx, const struct tl_link *in, struct tl_arena *a,
                             struct tl_link *out, bool *created)
{
    char code[TL_LINK_CODE_LEN + 1], b[5][24];
    const char *p[14];
    bool found;
    enum tl_err err;
    int i;

    p[1] = tl_link_kind_str(in->kind);
    p[2] = in->landing_url != NULL ? in->landing_url : "";
    p[3] = pg_i64(b[0], in->partner_id);
    p[4] = pg_i64(b[1], in->task_id);
    p[5] = pg_i64(b[2], in->campaign_id);
    p[6] = pg_i64(b[3], in->program_id);
    p[7] = in->sub_id1;
    p[8] = in->sub_id2;
    p[9] = in->sub_id3;
    p[10] = in->shared_id;
    p[11] = in->created_by_partner ? "partner" : "brand";
    p[12] = in->active ? "true" : "false";
    p[13] = pg_i64(b[4], in->created_at != 0 ? in->created_at : tl_time_now_ms());
    for (i = 0; i < CODE_TRIES; i++) {
        const char *q[8] = {p[4], p[3], p[2], p[1], p[7], p[8], p[9], p[10]};

        tl_link_code_new(code);
        p[0] = code;
        err = query_link(tx, SQL_LINK_INSERT, 14, p, a, out, &found);
        if (err != TL_OK || found) {
            *created = found;
            return err;
        }
        err = query_link(tx, SQL_LINK_BY_IDENTITY, 8, q, a, out, &found);
        if (err != TL_OK || found) {
            *created = false;
            return err;
        }
        /* Nothing identical and nothing inserted: the code was taken. */
    }
    return TL_ERR_CONFLICT;
}

static enum tl_err upsert_job(struct tl_pg_tx *tx, void *arg)
{
    struct upsert_ctx *x = arg;
    char b[3][24];
    const char *p[3] = {pg_i64(b[0], x->in->task_id), pg_i64(b[1], (int64_t)x->who->kind),
                        pg_i64(b[2], x->who->account_id)};
    PGresult *r = NULL;
    enum tl_err err = tl_pg_tx_query(tx, SQL_TASK_WRITABLE, 3, p, &r);

    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0)
        err = TL_ERR_NOTFOUND;
    PQclear(r);
    if (err != TL_OK)
        return err;
    return upsert_in(tx, x->in, x->a, x->out, &x->created);
}

static enum tl_err pg_link_upsert(struct tl_store *s, const struct tl_actor *who,
                                  const struct tl_link *in, struct tl_arena *a, struct tl_link *out,
                                  bool *created)
{
    struct upsert_ctx x = {who, in, a, out, false};
    enum tl_err err;

    *created = false;
    if (!actor_valid(who))
        return TL_ERR_NOTFOUND;
    err = tl_pg_write(pg_of(s), upsert_job, &x);
    *created = err == TL_OK && x.created;
    return err;
}

/* ------------------------------------------------------------------ */
/* reads */

static const char SQL_LINK_GET[] = "SELECT " LINK_COLS " FROM link l WHERE l.id = $1 AND " VIS_LINK;

static enum tl_err pg_link_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                               struct tl_arena *a, struct tl_link *out)
{
    char b[3][24];
    const char *p[3];
    PGresult *r;
    enum tl_err err;

    if (!actor_valid(who))
        return TL_ERR_NOTFOUND;
    p[0] = pg_i64(b[0], id);
    p[1] = pg_i64(b[1], (int64_t)who->kind);
    p[2] = pg_i64(b[2], who->account_id);
    err = pg_read(s, SQL_LINK_GET, 3, p, &r);
    if (err != TL_OK)
        return err;
    err = PQntuples(r) == 0 ? TL_ERR_NOTFOUND : fill_link(r, 0, a, out);
    PQclear(r);
    return err;
}

/*
 * Lists: $2 kind, $3 account, $4 task, $5 campaign, $6 partner (each 0 for
 * any), $7 after, $8 limit + 1; $1 is always 0 (the numbering is shared
 * with the reads by id, and every parameter must have a type). One statement per most selective
 * filter, each leading with the equality its index serves, as in sqlite_links.c.
 */
#define LINK_LIST_REST                                                                             \
    " AND " VIS_LINK " AND ($4 = 0 OR l.task_id = $4) AND ($5 = 0 OR l.campaign_id = $5) AND "     \
    "($6 = 0 OR l.partner_id = $6) AND l.id > $7 AND $1::bigint = 0 ORDER BY l.id LIMIT $8"
static const char SQL_LINK_LIST_TASK[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.task_id = $4" LINK_LIST_REST;
static const char SQL_LINK_LIST_CAMPAIGN[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.campaign_id = $5" LINK_LIST_REST;
static const char SQL_LINK_LIST_PARTNER[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.partner_id = $6" LINK_LIST_REST;
static const char SQL_LINK_LIST_BRAND[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.campaign_id IN (SELECT c.id FROM campaign c WHERE "
    "c.brand_id = $3)" LINK_LIST_REST;
static const char SQL_LINK_LIST_ALL[] =
    "SELECT " LINK_COLS " FROM link l WHERE true" LINK_LIST_REST;

static enum tl_err pg_link_list(struct tl_store *s, const struct tl_actor *who,
                                const struct tl_link_filter *f, const struct tl_page *page,
                                struct tl_arena *a, struct tl_link **items, size_t *n, bool *more)
{
    struct tl_link_filter any = {0, 0, 0};
    char b[8][24];
    const char *p[8], *sql;
    int64_t after, partner_id;
    struct tl_link *arr = NULL;
    PGresult *r;
    int limit, rows, i;
    enum tl_err err;

    *items = NULL;
    *n = 0;
    *more = false;
    if (!actor_valid(who))
        return TL_ERR_NOTFOUND;
    if (f == NULL)
        f = &any;
    partner_id =
        who->kind == TL_ACCOUNT_PARTNER && f->partner_id == 0 ? who->account_id : f->partner_id;
    if (f->task_id != 0)
        sql = SQL_LINK_LIST_TASK;
    else if (f->campaign_id != 0)
        sql = SQL_LINK_LIST_CAMPAIGN;
    else if (partner_id != 0)
        sql = SQL_LINK_LIST_PARTNER;
    else if (who->kind == TL_ACCOUNT_BRAND)
        sql = SQL_LINK_LIST_BRAND;
    else
        sql = SQL_LINK_LIST_ALL;
    after = page != NULL && page->after > 0 ? page->after : 0;
    limit = page != NULL ? page->limit : TL_LIST_DEFAULT;
    if (limit < 1)
        limit = TL_LIST_DEFAULT;
    if (limit > TL_LIST_MAX)
        limit = TL_LIST_MAX;
    p[0] = pg_i64(b[0], 0);
    p[1] = pg_i64(b[1], (int64_t)who->kind);
    p[2] = pg_i64(b[2], who->account_id);
    p[3] = pg_i64(b[3], f->task_id);
    p[4] = pg_i64(b[4], f->campaign_id);
    p[5] = pg_i64(b[5], partner_id);
    p[6] = pg_i64(b[6], after);
    p[7] = pg_i64(b[7], limit + 1);
    err = pg_read(s, sql, 8, p, &r);
    if (err != TL_OK)
        return err;
    rows = PQntuples(r);
    if (rows > limit) {
        rows = limit;
        *more = true;
    }
    if (rows > 0 && (arr = tl_arena_alloc(a, (size_t)rows * sizeof(*arr))) == NULL)
        err = TL_ERR_NOMEM;
    for (i = 0; err == TL_OK && i < rows; i++)
        err = fill_link(r, i, a, &arr[i]);
    PQclear(r);
    if (err != TL_OK) {
        *more = false;
        return err;
    }
    *items = arr;
    *n = (size_t)rows;
    return TL_OK;
}

/* ------------------------------------------------------------------ */
/* writes */

static const char SQL_LINK_SET_ACTIVE[] =
    "UPDATE link l SET active = $4, updated_at = $5 FROM program p WHERE p.id = l.program_id AND "
    "l.id = $1 AND ($2 = 1 OR ($2 = 2 AND p.brand_id = $3)) RETURNING l.campaign_id";

struct active_ctx {
    const struct tl_actor *who;
    int64_t id;
    bool active;
    int64_t campaign_id;
};

static enum tl_err set_active_job(struct tl_pg_tx *tx, void *arg)
{
    struct active_ctx *x = arg;
    char b[4][24];
    const char *p[5] = {pg_i64(b[0], x->id), pg_i64(b[1], (int64_t)x->who->kind),
                        pg_i64(b[2], x->who->account_id), x->active ? "true" : "false",
                        pg_i64(b[3], tl_time_now_ms())};
    PGresult *r = NULL;
    enum tl_err err = tl_pg_tx_query(tx, SQL_LINK_SET_ACTIVE, 5, p, &r);

    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0)
        err = TL_ERR_NOTFOUND;
    else
        x->campaign_id = pg_col_i64(r, 0, 0);
    PQclear(r);
    return err;
}

static enum tl_err pg_link_set_active(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                      bool active, int64_t *campaign_id)
{
    struct active_ctx x = {who, id, active, 0};
    enum tl_err err;

    *campaign_id = 0;
    if (who == NULL || (who->kind != TL_ACCOUNT_ADMIN && who->kind != TL_ACCOUNT_BRAND))
        return TL_ERR_NOTFOUND;
    err = tl_pg_write(pg_of(s), set_active_job, &x);
    if (err == TL_OK)
        *campaign_id = x.campaign_id;
    return err;
}

/* Assignments of a campaign that have no short default link yet. */
static const char SQL_DEFAULTS_MISSING[] =
    "SELECT tp.task_id, tp.partner_id, t.campaign_id, t.program_id FROM task t "
    "JOIN task_partner tp ON tp.task_id = t.id WHERE t.campaign_id = $1 AND NOT EXISTS ("
    "SELECT 1 FROM link l WHERE l.task_id = tp.task_id AND l.partner_id = tp.partner_id AND "
    "l.landing_url = '' AND l.kind = 'short' AND COALESCE(l.sub_id1, '') = '' AND "
    "COALESCE(l.sub_id2, '') = '' AND COALESCE(l.sub_id3, '') = '' AND "
    "COALESCE(l.shared_id, '') = '') ORDER BY tp.task_id, tp.partner_id";

struct defaults_ctx {
    int64_t campaign_id;
    size_t made;
};

static enum tl_err defaults_job(struct tl_pg_tx *tx, void *arg)
{
    struct defaults_ctx *x = arg;
    struct tl_arena *a = NULL;
    struct tl_link todo, out;
    char b[24];
    const char *p[1] = {pg_i64(b, x->campaign_id)};
    PGresult *r = NULL;
    bool created;
    enum tl_err err;
    int i, rows;

    x->made = 0;
    err = tl_pg_tx_query(tx, SQL_DEFAULTS_MISSING, 1, p, &r);
    if (err != TL_OK)
        return err;
    a = tl_arena_new(1024 * 1024);
    if (a == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    rows = PQntuples(r);
    for (i = 0; err == TL_OK && i < rows; i++) {
        memset(&todo, 0, sizeof(todo));
        todo.task_id = pg_col_i64(r, i, 0);
        todo.partner_id = pg_col_i64(r, i, 1);
        todo.campaign_id = pg_col_i64(r, i, 2);
        todo.program_id = pg_col_i64(r, i, 3);
        todo.kind = TL_LINK_SHORT;
        todo.active = true;
        tl_arena_reset(a);
        err = upsert_in(tx, &todo, a, &out, &created);
        x->made += created;
    }
out:
    PQclear(r);
    tl_arena_free(a);
    return err;
}

static enum tl_err pg_link_ensure_defaults(struct tl_store *s, int64_t campaign_id, size_t *made)
{
    struct defaults_ctx x = {campaign_id, 0};
    enum tl_err err;

    *made = 0;
    err = tl_pg_write(pg_of(s), defaults_job, &x);
    if (err == TL_OK)
        *made = x.made;
    return err;
}

void pg_links_ops(struct tl_backend_ops *o)
{
    o->link_upsert = pg_link_upsert;
    o->link_get = pg_link_get;
    o->link_list = pg_link_list;
    o->link_set_active = pg_link_set_active;
    o->link_ensure_defaults = pg_link_ensure_defaults;
}
