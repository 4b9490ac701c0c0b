/*
 * sqlite_links.c: tracking links in the SQLite backend.
 *
 * A link's identity is (task, partner, landing_url, kind, sub ids, shared
 * id), held by the unique index link_identity. landing_url '' stands for
 * "follows the program's default landing page" (NULL in struct tl_link).
 * Creation is one upsert in the writer: INSERT ... ON CONFLICT DO NOTHING,
 * then a read of the identity; when nothing was inserted and no identical
 * link exists, the conflict was the random code, and a fresh one is drawn.
 */
#include <stdlib.h>
#include <string.h>

#include "core/link.h"
#include "core/time.h"
#include "store/sqlite_internal.h"

#define CODE_TRIES 8 /* 62^7 codes: a second collision in a row is news */

#define LINK_COLS                                                                                  \
    "l.id, l.code, l.kind, l.landing_url, l.partner_id, l.task_id, l.campaign_id, "                \
    "l.program_id, l.sub_id1, l.sub_id2, l.sub_id3, l.shared_id, l.created_by, l.active, "         \
    "l.created_at"

/* ?2 kind, ?3 account, as bound by sq_bind_who */
#define VIS_LINK                                                                                   \
    "(?2 = 1 OR (?2 = 2 AND EXISTS (SELECT 1 FROM program p WHERE p.id = l.program_id AND "        \
    "p.brand_id = ?3)) OR (?2 = 4 AND l.partner_id = ?3))"

static enum tl_err fill_link(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                             struct tl_arena *a, void *item)
{
    struct tl_link *l = item;
    const char *kind = NULL, *by = NULL;
    enum tl_err err;

    (void)c;
    (void)who;
    memset(l, 0, sizeof(*l));
    l->id = sqlite3_column_int64(s, 0);
    err = sq_col_str(s, 1, a, &l->code);
    if (err == TL_OK)
        err = sq_col_str(s, 2, a, &kind);
    if (err == TL_OK)
        err = sq_col_str(s, 3, a, &l->landing_url);
    if (err == TL_OK)
        err = sq_col_str(s, 8, a, &l->sub_id1);
    if (err == TL_OK)
        err = sq_col_str(s, 9, a, &l->sub_id2);
    if (err == TL_OK)
        err = sq_col_str(s, 10, a, &l->sub_id3);
    if (err == TL_OK)
        err = sq_col_str(s, 11, a, &l->shared_id);
    if (err == TL_OK)
        err = sq_col_str(s, 12, a, &by);
    if (err != TL_OK)
        return err;
    if (l->landing_url != NULL && l->landing_url[0] == '\0')
        l->landing_url = NULL;
    l->kind = (enum tl_link_kind)(kind != NULL && strcmp(kind, "regular") == 0);
    l->partner_id = sqlite3_column_int64(s, 4);
    l->task_id = sqlite3_column_int64(s, 5);
    l->campaign_id = sqlite3_column_int64(s, 6);
    l->program_id = sqlite3_column_int64(s, 7);
    l->created_by_partner = by != NULL && strcmp(by, "partner") == 0;
    l->active = sqlite3_column_int(s, 13) != 0;
    l->created_at = sqlite3_column_int64(s, 14);
    return TL_OK;
}

/* ------------------------------------------------------------------ */
/* upsert */

static const char SQL_TASK_WRITABLE[] =
    "SELECT 1 FROM task t WHERE t.id = ?1 AND (?2 = 1 OR (?2 = 2 AND t.brand_id = ?3) OR "
    "(?2 = 4 AND EXISTS (SELECT 1 FROM task_partner tp WHERE tp.task_id = t.id AND "
    "tp.partner_id = ?3)))";
static const char SQL_LINK_INSERT[] =
    "INSERT INTO link (code, kind, landing_url, partner_id, task_id, campaign_id, program_id, "
    "sub_id1, sub_id2, sub_id3, shared_id, created_by, active, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
    "ON CONFLICT DO NOTHING";
static const char SQL_LINK_BY_IDENTITY[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.task_id = ?1 AND l.partner_id = ?2 AND "
    "l.landing_url = ?3 AND l.kind = ?4 AND COALESCE(l.sub_id1, '') = COALESCE(?5, '') AND "
    "COALESCE(l.sub_id2, '') = COALESCE(?6, '') AND COALESCE(l.sub_id3, '') = COALESCE(?7, '') "
    "AND COALESCE(l.shared_id, '') = COALESCE(?8, '')";

struct upsert_ctx {
    const struct tl_actor *who;
    const struct tl_link *in;
    struct tl_arena *a;
    struct tl_link *out;
    bool created;
};

static enum tl_err by_identity(struct conn *c, const struct tl_link *in, struct tl_arena *a,
                               struct tl_link *out)
{
    sqlite3_stmt *q;
    enum tl_err err = sq_prep(c, SQL_LINK_BY_IDENTITY, &q);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, in->task_id);
    sqlite3_bind_int64(q, 2, in->partner_id);
    sq_bind_str(q, 3, in->landing_url != NULL ? in->landing_url : "");
    sq_bind_str(q, 4, tl_link_kind_str(in->kind));
    sq_bind_str(q, 5, in->sub_id1);
    sq_bind_str(q, 6, in->sub_id2);
    sq_bind_str(q, 7, in->sub_id3);
    sq_bind_str(q, 8, in->shared_id);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = fill_link(c, q, NULL, a, out);
    sq_done(q);
    return err;
}

/* Inserts with a fresh code; *inserted tells whether a row went in. */
static enum tl_err insert_link(struct conn *c, const struct tl_link *in, bool *inserted)
{
    char code[TL_LINK_CODE_LEN + 1];
    sqlite3_stmt *q;
    enum tl_err err;

    tl_link_code_new(code);
    err = sq_prep(c, SQL_LINK_INSERT, &q);
    if (err != TL_OK)
        return err;
    sq_bind_str(q, 1, code);
    sq_bind_str(q, 2, tl_link_kind_str(in->kind));
    sq_bind_str(q, 3, in->landing_url != NULL ? in->landing_url : "");
    sqlite3_bind_int64(q, 4, in->partner_id);
    sqlite3_bind_int64(q, 5, in->task_id);
    sqlite3_bind_int64(q, 6, in->campaign_id);
    sqlite3_bind_int64(q, 7, in->program_id);
    sq_bind_str(q, 8, in->sub_id1);
    sq_bind_str(q, 9, in->sub_id2);
    sq_bind_str(q, 10, in->sub_id3);
    sq_bind_str(q, 11, in->shared_id);
    sq_bind_str(q, 12, in->created_by_partner ? "partner" : "brand");
    sqlite3_bind_int(q, 13, in->active ? 1 : 0);
    sqlite3_bind_int64(q, 14, in->created_at != 0 ? in->created_at : tl_time_now_ms());
    err = sq_step_done(c, q);
    sq_done(q);
    *inserted = err == TL_OK && sqlite3_changes(c->db) > 0;
    return err;
}

/* Creates in, or finds its identical twin, inside the writer's savepoint. */
static enum tl_err upsert_in(struct conn *c, const struct tl_link *in, struct tl_arena *a,
                             struct tl_link *out, bool *created)
{
    bool inserted;
    enum tl_err err;
    int i;

    for (i = 0; i < CODE_TRIES; i++) {
        err = insert_link(c, in, &inserted);
        if (err != TL_OK)
            return err;
        err = by_identity(c, in, a, out);
        if (err != TL_ERR_NOTFOUND) {
            *created = inserted;
            return err;
        }
        /* Nothing identical and nothing inserted: the code was taken. */
    }
    return TL_ERR_CONFLICT;
}

static enum tl_err upsert_job(struct conn *c, void *arg)
{
    struct upsert_ctx *x = arg;
    enum tl_err err;

    err = sq_check_who(c, SQL_TASK_WRITABLE, x->in->task_id, x->who);
    if (err != TL_OK)
        return err;
    return upsert_in(c, x->in, x->a, x->out, &x->created);
}

enum tl_err sq_link_upsert(struct tl_store *s, const struct tl_actor *who, const struct tl_link *in,
                           struct tl_arena *a, struct tl_link *out, bool *created)
{
    struct upsert_ctx x = {who, in, a, out, false};
    enum tl_err err;

    if (!sq_actor_valid(who))
        return TL_ERR_NOTFOUND;
    err = sq_run_job((struct sqlite_store *)s, upsert_job, &x);
    *created = x.created;
    return err;
}

/* ------------------------------------------------------------------ */
/* reads */

static const char SQL_LINK_GET[] = "SELECT " LINK_COLS " FROM link l WHERE l.id = ?1 AND " VIS_LINK;

enum tl_err sq_link_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                        struct tl_arena *a, struct tl_link *out)
{
    return sq_get_one(s, SQL_LINK_GET, id, who, a, fill_link, out);
}

/*
 * Lists: ?2 kind, ?3 account, ?4 task, ?5 campaign, ?6 partner (each 0 for
 * any), ?7 after, ?8 limit + 1. One statement per most selective filter,
 * each leading with the equality its index serves (link_identity starts
 * with task_id, link_campaign, link_partner): an "?4 = 0 OR ..." alone
 * would walk every link in id order.
 */
#define LINK_LIST_REST                                                                             \
    " AND " VIS_LINK " AND (?4 = 0 OR l.task_id = ?4) AND (?5 = 0 OR l.campaign_id = ?5) AND "     \
    "(?6 = 0 OR l.partner_id = ?6) AND l.id > ?7 ORDER BY l.id LIMIT ?8"
static const char SQL_LINK_LIST_TASK[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.task_id = ?4" LINK_LIST_REST;
static const char SQL_LINK_LIST_CAMPAIGN[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.campaign_id = ?5" LINK_LIST_REST;
static const char SQL_LINK_LIST_PARTNER[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.partner_id = ?6" LINK_LIST_REST;
/* A brand's links, through its campaigns (campaign_brand, link_campaign). */
static const char SQL_LINK_LIST_BRAND[] =
    "SELECT " LINK_COLS " FROM link l WHERE l.campaign_id IN (SELECT c.id FROM campaign c WHERE "
    "c.brand_id = ?3)" LINK_LIST_REST;
static const char SQL_LINK_LIST_ALL[] = "SELECT " LINK_COLS " FROM link l WHERE 1" LINK_LIST_REST;

enum tl_err sq_link_list(struct tl_store *s, const struct tl_actor *who,
                         const struct tl_link_filter *f, const struct tl_page *page,
                         struct tl_arena *a, struct tl_link **items, size_t *n, bool *more)
{
    struct tl_link_filter any = {0, 0, 0};
    struct conn *c;
    sqlite3_stmt *q;
    const char *sql;
    int64_t after, partner_id;
    int limit;
    void *arr = NULL;
    enum tl_err err;

    sq_list_init(n, more);
    *items = NULL;
    if (!sq_actor_valid(who))
        return TL_ERR_NOTFOUND;
    if (f == NULL)
        f = &any;
    /* A partner's own links are what VIS_LINK leaves them: the same index. */
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
    sq_page_norm(page, &after, &limit);
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, sql, &q);
    if (err != TL_OK)
        return err;
    sq_bind_who(q, 0, who);
    sqlite3_bind_int64(q, 4, f->task_id);
    sqlite3_bind_int64(q, 5, f->campaign_id);
    sqlite3_bind_int64(q, 6, partner_id);
    sqlite3_bind_int64(q, 7, after);
    sqlite3_bind_int(q, 8, limit + 1);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), fill_link, &arr, n, more);
    *items = arr;
    return err;
}

/* ------------------------------------------------------------------ */
/* writes */

static const char SQL_LINK_OWN[] =
    "SELECT l.campaign_id FROM link l JOIN program p ON p.id = l.program_id WHERE l.id = ?1 AND "
    "(?2 = 1 OR (?2 = 2 AND p.brand_id = ?3))";
static const char SQL_LINK_SET_ACTIVE[] =
    "UPDATE link SET active = ?2, updated_at = ?3 WHERE id = ?1";

struct active_ctx {
    const struct tl_actor *who;
    int64_t id;
    bool active;
    int64_t campaign_id;
};

static enum tl_err set_active_job(struct conn *c, void *arg)
{
    struct active_ctx *x = arg;
    sqlite3_stmt *q;
    enum tl_err err;

    err = sq_prep(c, SQL_LINK_OWN, &q);
    if (err != TL_OK)
        return err;
    sq_bind_who(q, x->id, x->who);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        x->campaign_id = sqlite3_column_int64(q, 0);
    sq_done(q);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_LINK_SET_ACTIVE, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, x->id);
    sqlite3_bind_int(q, 2, x->active ? 1 : 0);
    sqlite3_bind_int64(q, 3, tl_time_now_ms());
    err = sq_step_done(c, q);
    sq_done(q);
    return err;
}

enum tl_err sq_link_set_active(struct tl_store *s, const struct tl_actor *who, int64_t id,
                               bool active, int64_t *campaign_id)
{
    struct active_ctx x = {who, id, active, 0};
    enum tl_err err;

    *campaign_id = 0;
    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = sq_run_job((struct sqlite_store *)s, set_active_job, &x);
    *campaign_id = x.campaign_id;
    return err;
}

/* Assignments of a campaign that have no short default link yet. */
static const char SQL_DEFAULTS_MISSING[] =
    "SELECT tp.task_id, tp.partner_id, t.campaign_id, t.program_id FROM task t "
    "JOIN task_partner tp ON tp.task_id = t.id WHERE t.campaign_id = ?1 AND NOT EXISTS ("
    "SELECT 1 FROM link l WHERE l.task_id = tp.task_id AND l.partner_id = tp.partner_id AND "
    "l.landing_url = '' AND l.kind = 'short' AND COALESCE(l.sub_id1, '') = '' AND "
    "COALESCE(l.sub_id2, '') = '' AND COALESCE(l.sub_id3, '') = '' AND "
    "COALESCE(l.shared_id, '') = '') ORDER BY tp.task_id, tp.partner_id";

struct defaults_ctx {
    int64_t campaign_id;
    size_t made;
};

static enum tl_err defaults_job(struct conn *c, void *arg)
{
    struct defaults_ctx *x = arg;
    struct tl_arena *a = NULL;
    struct tl_link *todo = NULL, out;
    size_t n = 0, cap = 0, i;
    sqlite3_stmt *q;
    bool created;
    enum tl_err err;
    int rc;

    x->made = 0;
    a = tl_arena_new(64 * 1024 * 1024);
    if (a == NULL)
        return TL_ERR_NOMEM;
    err = sq_prep(c, SQL_DEFAULTS_MISSING, &q);
    if (err != TL_OK)
        goto out;
    sqlite3_bind_int64(q, 1, x->campaign_id);
    /* Collect first: inserting while stepping the same tables is unsafe. */
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap && (todo = sq_arr_grow(a, todo, n, &cap, sizeof(*todo))) == NULL) {
            err = TL_ERR_NOMEM;
            break;
        }
        memset(&todo[n], 0, sizeof(todo[n]));
        todo[n].task_id = sqlite3_column_int64(q, 0);
        todo[n].partner_id = sqlite3_column_int64(q, 1);
        todo[n].campaign_id = sqlite3_column_int64(q, 2);
        todo[n].program_id = sqlite3_column_int64(q, 3);
        todo[n].kind = TL_LINK_SHORT;
        todo[n].active = true;
        n++;
    }
    if (err == TL_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        err = sq_db_err(c->db, rc);
    sq_done(q);
    for (i = 0; err == TL_OK && i < n; i++) {
        err = upsert_in(c, &todo[i], a, &out, &created);
        x->made += created;
    }
out:
    tl_arena_free(a);
    return err;
}

enum tl_err sq_link_ensure_defaults(struct tl_store *s, int64_t campaign_id, size_t *made)
{
    struct defaults_ctx x = {campaign_id, 0};
    enum tl_err err;

    err = sq_run_job((struct sqlite_store *)s, defaults_job, &x);
    *made = x.made;
    return err;
}
