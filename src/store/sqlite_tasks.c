/*
 * sqlite_tasks.c: tasks and their partner assignments in the SQLite
 * backend.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "store/sqlite_internal.h"

/* ------------------------------------------------------------------ */
/* tasks */

#define TASK_COLS                                                                                  \
    "t.id, t.campaign_id, t.program_id, t.title, t.description, t.due_at, t.created_at,"           \
    " t.updated_at"

static const char SQL_TASK_PARTNERS[] =
    "SELECT partner_id FROM task_partner WHERE task_id = ?1 ORDER BY partner_id";

/* A partner sees only themself in partner_ids: other partners are not theirs to know. */
enum tl_err sq_fill_task(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                         struct tl_arena *a, void *item)
{
    struct tl_task *t = item;
    enum tl_err err;

    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(s, 0);
    t->campaign_id = sqlite3_column_int64(s, 1);
    t->program_id = sqlite3_column_int64(s, 2);
    t->due_at = sqlite3_column_int64(s, 5);
    t->created_at = sqlite3_column_int64(s, 6);
    t->updated_at = sqlite3_column_int64(s, 7);
    if ((err = sq_col_str(s, 3, a, &t->title)) != TL_OK ||
        (err = sq_col_str(s, 4, a, &t->description)) != TL_OK)
        return err;
    if (who->kind == TL_ACCOUNT_PARTNER) {
        t->partner_ids = tl_arena_alloc(a, sizeof(*t->partner_ids));
        if (t->partner_ids == NULL)
            return TL_ERR_NOMEM;
        t->partner_ids[0] = who->account_id;
        t->n_partner_ids = 1;
        return TL_OK;
    }
    return sq_load_ids(c, SQL_TASK_PARTNERS, t->id, a, &t->partner_ids, &t->n_partner_ids);
}

struct task_write_ctx {
    const struct tl_actor *who;
    const struct tl_task *in;
    int64_t now;
    int64_t id;
};

static const char SQL_CP_NEED[] =
    "SELECT 1 FROM campaign_partner WHERE campaign_id = ?1 AND partner_id = ?2";
static const char SQL_TP_INSERT[] =
    "INSERT OR IGNORE INTO task_partner (task_id, partner_id, created_at) VALUES (?1, ?2, ?3)";
static const char SQL_TASK_INSERT[] =
    "INSERT INTO task (campaign_id, program_id, brand_id, title, description, due_at,"
    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";

static enum tl_err task_create_job(struct conn *c, void *arg)
{
    struct task_write_ctx *x = arg;
    const struct tl_task *in = x->in;
    int64_t program_id, brand_id;
    sqlite3_stmt *s;
    enum tl_err err;
    size_t i;

    err = sq_prep(c, SQ_CAMPAIGN_OWN, &s);
    if (err != TL_OK)
        return err;
    sq_bind_who(s, in->campaign_id, x->who);
    err = sq_step_row(c, s);
    program_id = err == TL_OK ? sqlite3_column_int64(s, 0) : 0;
    brand_id = err == TL_OK ? sqlite3_column_int64(s, 1) : 0;
    sq_done(s);
    if (err != TL_OK)
        return err;

    err = sq_prep(c, SQL_TASK_INSERT, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, in->campaign_id);
    sqlite3_bind_int64(s, 2, program_id);
    sqlite3_bind_int64(s, 3, brand_id);
    sq_bind_str(s, 4, in->title);
    sq_bind_str(s, 5, in->description);
    sq_bind_opt_i64(s, 6, in->due_at);
    sqlite3_bind_int64(s, 7, in->created_at > 0 ? in->created_at : x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err != TL_OK)
        return err;
    x->id = sqlite3_last_insert_rowid(c->db);

    for (i = 0; i < in->n_partner_ids; i++) {
        err = sq_prep(c, SQL_CP_NEED, &s);
        if (err != TL_OK)
            return err;
        sqlite3_bind_int64(s, 1, in->campaign_id);
        sqlite3_bind_int64(s, 2, in->partner_ids[i]);
        err = sq_step_row(c, s);
        sq_done(s);
        if (err != TL_OK)
            return err == TL_ERR_NOTFOUND ? TL_ERR_INVALID : err;
        err = sq_prep(c, SQL_TP_INSERT, &s);
        if (err != TL_OK)
            return err;
        sqlite3_bind_int64(s, 1, x->id);
        sqlite3_bind_int64(s, 2, in->partner_ids[i]);
        sqlite3_bind_int64(s, 3, x->now);
        err = sq_step_done(c, s);
        sq_done(s);
        if (err != TL_OK)
            return err;
    }
    return TL_OK;
}

enum tl_err sq_task_create(struct tl_store *s, const struct tl_actor *who, const struct tl_task *in,
                           int64_t *id_out)
{
    struct task_write_ctx x = {who, in, tl_time_now_ms(), 0};
    enum tl_err err;

    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = sq_run_job((struct sqlite_store *)s, task_create_job, &x);
    if (err == TL_OK && id_out != NULL)
        *id_out = x.id;
    return err;
}

static const char SQL_TASK_GET[] = "SELECT " TASK_COLS " FROM task t WHERE t.id = ?1 AND " VIS_TASK;

enum tl_err sq_task_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                        struct tl_arena *a, struct tl_task *out)
{
    return sq_get_one(s, SQL_TASK_GET, id, who, a, sq_fill_task, out);
}

/* ?1 after, ?2 limit + 1, ?3 actor, ?4 campaign id or 0 */
static const char SQL_CAMPAIGN_VISIBLE[] =
    "SELECT 1 FROM campaign c WHERE c.id = ?1 AND " VIS_CAMPAIGN;
static const char SQL_TASK_LIST_CAMPAIGN[] =
    "SELECT " TASK_COLS " FROM task t WHERE t.campaign_id = ?4 AND t.id > ?1"
    " ORDER BY t.id LIMIT ?2";
static const char SQL_TASK_LIST_ADMIN[] = "SELECT " TASK_COLS " FROM task t WHERE t.id > ?1"
                                          " ORDER BY t.id LIMIT ?2";
static const char SQL_TASK_LIST_BRAND[] =
    "SELECT " TASK_COLS " FROM task t WHERE t.brand_id = ?3 AND t.id > ?1"
    " ORDER BY t.id LIMIT ?2";
static const char SQL_TASK_LIST_PARTNER[] =
    "SELECT " TASK_COLS " FROM task_partner m JOIN task t ON t.id = m.task_id"
    " WHERE m.partner_id = ?3 AND m.task_id > ?1 AND (?4 = 0 OR t.campaign_id = ?4)"
    " ORDER BY m.task_id LIMIT ?2";

enum tl_err sq_task_list(struct tl_store *s, const struct tl_actor *who, int64_t campaign_id,
                         const struct tl_page *page, struct tl_arena *a, struct tl_task **items,
                         size_t *n, bool *more)
{
    struct conn *c;
    sqlite3_stmt *q;
    const char *sql;
    enum tl_err err;
    int64_t after;
    int limit;
    void *arr = NULL;

    *items = NULL;
    sq_list_init(n, more);
    if (!sq_actor_valid(who))
        return campaign_id != 0 ? TL_ERR_NOTFOUND : TL_OK;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    sq_page_norm(page, &after, &limit);
    err = sq_read_begin(c);
    if (err != TL_OK)
        return err;
    if (campaign_id != 0) {
        err = sq_check_who(c, SQL_CAMPAIGN_VISIBLE, campaign_id, who);
        if (err != TL_OK)
            goto out;
    }
    if (who->kind == TL_ACCOUNT_PARTNER)
        sql = SQL_TASK_LIST_PARTNER;
    else if (campaign_id != 0)
        sql = SQL_TASK_LIST_CAMPAIGN;
    else
        sql = who->kind == TL_ACCOUNT_ADMIN ? SQL_TASK_LIST_ADMIN : SQL_TASK_LIST_BRAND;
    err = sq_prep(c, sql, &q);
    if (err != TL_OK)
        goto out;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit + 1);
    sq_bind_i64(q, 3, who->account_id);
    sq_bind_i64(q, 4, campaign_id);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), sq_fill_task, &arr, n, more);
    *items = arr;
out:
    sq_read_end(c);
    return err;
}

static const char SQL_TASK_UPDATE[] =
    "UPDATE task SET title = COALESCE(?4, title), description = ?5, due_at = ?6, updated_at = ?7"
    " WHERE id = ?1 AND (?2 = 1 OR (?2 = 2 AND brand_id = ?3))";

static enum tl_err task_update_job(struct conn *c, void *arg)
{
    struct task_write_ctx *x = arg;
    sqlite3_stmt *s;
    enum tl_err err;

    err = sq_prep(c, SQL_TASK_UPDATE, &s);
    if (err != TL_OK)
        return err;
    sq_bind_who(s, x->in->id, x->who);
    sq_bind_str(s, 4, x->in->title);
    sq_bind_str(s, 5, x->in->description);
    sq_bind_opt_i64(s, 6, x->in->due_at);
    sqlite3_bind_int64(s, 7, x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err == TL_OK && sqlite3_changes(c->db) == 0)
        err = TL_ERR_NOTFOUND;
    return err;
}

enum tl_err sq_task_update(struct tl_store *s, const struct tl_actor *who, const struct tl_task *in)
{
    struct task_write_ctx x = {who, in, tl_time_now_ms(), 0};

    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    return sq_run_job((struct sqlite_store *)s, task_update_job, &x);
}

/* task memberships: the partner must be in the task's campaign */

static const char SQL_TASK_OWN[] = "SELECT t.campaign_id FROM task t WHERE t.id = ?1 AND " OWN("t");
static const char SQL_TP_LIST[] =
    "SELECT m.partner_id, a.name, a.email, m.created_at FROM task_partner m"
    " JOIN account a ON a.id = m.partner_id WHERE m.task_id = ?3 AND m.partner_id > ?1"
    " ORDER BY m.partner_id LIMIT ?2";

enum tl_err sq_task_partner_add(struct tl_store *s, const struct tl_actor *who, int64_t task_id,
                                int64_t partner_id, bool *created, int64_t *campaign_id)
{
    struct sq_member_add x = {who,     SQL_TASK_OWN, SQL_CP_NEED, TL_ERR_INVALID, SQL_TP_INSERT,
                              task_id, partner_id,   0,           false,          0};
    enum tl_err err = sq_member_add(s, &x, created);

    *campaign_id = x.ref;
    return err;
}

enum tl_err sq_task_partner_list(struct tl_store *s, const struct tl_actor *who, int64_t task_id,
                                 const struct tl_page *page, struct tl_arena *a,
                                 struct tl_membership **items, size_t *n, bool *more)
{
    return sq_member_list(s, who, SQL_TASK_OWN, SQL_TP_LIST, task_id, page, a, items, n, more);
}
