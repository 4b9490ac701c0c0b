/*
 * sqlite_programs.c: programs, their landing pages and their partner
 * memberships in the SQLite backend.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "store/sqlite_internal.h"

/* ------------------------------------------------------------------ */
/* programs */

#define PROGRAM_COLS                                                                               \
    "p.id, p.brand_id, p.name, p.default_landing_page, p.permitted_domains,"                       \
    " p.click_id_param, p.referral_window_days, p.currency, p.postback_key, p.created_at,"         \
    " p.updated_at"

/* Encodes domains as a JSON array (malloc'd; NULL array gives NULL). */
static enum tl_err domains_encode(const char **d, size_t n, char **out)
{
    json_t *arr;
    size_t i;

    *out = NULL;
    if (d == NULL)
        return TL_OK;
    arr = json_array();
    if (arr == NULL)
        return TL_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        if (d[i] == NULL || json_array_append_new(arr, json_string(d[i])) != 0) {
            json_decref(arr);
            return d[i] == NULL ? TL_ERR_INVALID : TL_ERR_NOMEM;
        }
    }
    *out = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return *out != NULL ? TL_OK : TL_ERR_NOMEM;
}

enum tl_err sq_domains_decode(sqlite3_stmt *s, int col, struct tl_arena *a, const char ***out,
                              size_t *n_out)
{
    const char *text = (const char *)sqlite3_column_text(s, col);
    const char **d = NULL;
    json_t *arr, *v;
    enum tl_err err = TL_OK;
    size_t i, n;

    *out = NULL;
    *n_out = 0;
    if (text == NULL)
        return TL_OK;
    arr = json_loadb(text, (size_t)sqlite3_column_bytes(s, col), 0, NULL);
    if (arr == NULL || !json_is_array(arr)) {
        err = TL_ERR_IO;
        goto out;
    }
    n = json_array_size(arr);
    if (n > 0) {
        d = tl_arena_alloc(a, n * sizeof(*d));
        if (d == NULL) {
            err = TL_ERR_NOMEM;
            goto out;
        }
    }
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) {
            err = TL_ERR_IO;
            goto out;
        }
        d[i] = tl_arena_strndup(a, json_string_value(v), json_string_length(v));
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

enum tl_err sq_fill_program(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                            struct tl_arena *a, void *item)
{
    struct tl_program *p = item;
    enum tl_err err;

    (void)c;
    (void)who;
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(s, 0);
    p->brand_id = sqlite3_column_int64(s, 1);
    p->referral_window_days = sqlite3_column_int(s, 6);
    p->created_at = sqlite3_column_int64(s, 9);
    p->updated_at = sqlite3_column_int64(s, 10);
    if ((err = sq_col_str(s, 2, a, &p->name)) != TL_OK ||
        (err = sq_col_str(s, 3, a, &p->default_landing_page)) != TL_OK ||
        (err = sq_domains_decode(s, 4, a, &p->permitted_domains, &p->n_permitted_domains)) !=
            TL_OK ||
        (err = sq_col_str(s, 5, a, &p->click_id_param)) != TL_OK ||
        (err = sq_col_str(s, 7, a, &p->currency)) != TL_OK ||
        (err = sq_col_str(s, 8, a, &p->postback_key)) != TL_OK)
        return err;
    return TL_OK;
}

struct program_write_ctx {
    const struct tl_actor *who;
    const struct tl_program *in;
    const char *domains; /* JSON */
    int64_t now;
    int64_t id;
};

static const char SQL_BRAND_EXISTS[] = "SELECT 1 FROM account WHERE id = ?1 AND kind = 'brand'";
static const char SQL_PROGRAM_INSERT[] =
    "INSERT INTO program (brand_id, name, default_landing_page, permitted_domains,"
    " click_id_param, referral_window_days, currency, postback_key, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, COALESCE(?4, '[]'), COALESCE(?5, 'clickid'), ?6, COALESCE(?7, 'USD'),"
    " ?8, ?9, ?10)";

static enum tl_err program_create_job(struct conn *c, void *arg)
{
    struct program_write_ctx *x = arg;
    const struct tl_program *in = x->in;
    int64_t brand_id = x->who->account_id;
    sqlite3_stmt *s;
    enum tl_err err;

    if (x->who->kind == TL_ACCOUNT_ADMIN) {
        brand_id = in->brand_id;
        err = sq_prep(c, SQL_BRAND_EXISTS, &s);
        if (err != TL_OK)
            return err;
        sqlite3_bind_int64(s, 1, brand_id);
        err = sq_step_row(c, s);
        sq_done(s);
        if (err != TL_OK)
            return err;
    }
    err = sq_prep(c, SQL_PROGRAM_INSERT, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, brand_id);
    sq_bind_str(s, 2, in->name);
    sq_bind_str(s, 3, in->default_landing_page);
    sq_bind_str(s, 4, x->domains);
    sq_bind_str(s, 5, in->click_id_param);
    sqlite3_bind_int(s, 6, in->referral_window_days > 0 ? in->referral_window_days : 30);
    sq_bind_str(s, 7, in->currency);
    sq_bind_str(s, 8, in->postback_key);
    sqlite3_bind_int64(s, 9, in->created_at > 0 ? in->created_at : x->now);
    sqlite3_bind_int64(s, 10, in->created_at > 0 ? in->created_at : x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err == TL_OK)
        x->id = sqlite3_last_insert_rowid(c->db);
    return err;
}

enum tl_err sq_program_create(struct tl_store *s, const struct tl_actor *who,
                              const struct tl_program *in, int64_t *id_out)
{
    struct program_write_ctx x = {who, in, NULL, tl_time_now_ms(), 0};
    char *domains = NULL;
    enum tl_err err;

    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = domains_encode(in->permitted_domains, in->n_permitted_domains, &domains);
    if (err != TL_OK)
        return err;
    x.domains = domains;
    err = sq_run_job((struct sqlite_store *)s, program_create_job, &x);
    if (err == TL_OK && id_out != NULL)
        *id_out = x.id;
    free(domains);
    return err;
}

static const char SQL_PROGRAM_GET[] =
    "SELECT " PROGRAM_COLS " FROM program p WHERE p.id = ?1 AND " VIS_PROGRAM;

enum tl_err sq_program_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                           struct tl_arena *a, struct tl_program *out)
{
    return sq_get_one(s, SQL_PROGRAM_GET, id, who, a, sq_fill_program, out);
}

/* List queries: ?1 after, ?2 limit + 1, ?3 the actor's account. */
static const char SQL_PROGRAM_LIST_ADMIN[] =
    "SELECT " PROGRAM_COLS " FROM program p WHERE p.id > ?1 ORDER BY p.id LIMIT ?2";
static const char SQL_PROGRAM_LIST_BRAND[] =
    "SELECT " PROGRAM_COLS " FROM program p WHERE p.brand_id = ?3 AND p.id > ?1"
    " ORDER BY p.id LIMIT ?2";
static const char SQL_PROGRAM_LIST_PARTNER[] =
    "SELECT " PROGRAM_COLS " FROM program_partner m JOIN program p ON p.id = m.program_id"
    " WHERE m.partner_id = ?3 AND m.program_id > ?1 ORDER BY m.program_id LIMIT ?2";

/* Binds the paging parameters ?1 after, ?2 limit + 1 and ?3 the actor. */
void sq_bind_page(sqlite3_stmt *q, int64_t after, int limit, const struct tl_actor *who)
{
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit + 1);
    sq_bind_i64(q, 3, who->account_id);
}

const char *sq_by_kind(const struct tl_actor *who, const char *admin, const char *brand,
                       const char *partner)
{
    return who->kind == TL_ACCOUNT_ADMIN ? admin : who->kind == TL_ACCOUNT_BRAND ? brand : partner;
}

enum tl_err sq_program_list(struct tl_store *s, const struct tl_actor *who,
                            const struct tl_page *page, struct tl_arena *a,
                            struct tl_program **items, size_t *n, bool *more)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err;
    int64_t after;
    int limit;
    void *arr = NULL;

    *items = NULL;
    sq_list_init(n, more);
    if (!sq_actor_valid(who))
        return TL_OK;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    sq_page_norm(page, &after, &limit);
    err = sq_prep(
        c,
        sq_by_kind(who, SQL_PROGRAM_LIST_ADMIN, SQL_PROGRAM_LIST_BRAND, SQL_PROGRAM_LIST_PARTNER),
        &q);
    if (err != TL_OK)
        return err;
    sq_bind_page(q, after, limit, who);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), sq_fill_program, &arr, n, more);
    *items = arr;
    return err;
}

static const char SQL_PROGRAM_UPDATE[] =
    "UPDATE program SET name = COALESCE(?4, name),"
    " default_landing_page = COALESCE(?5, default_landing_page),"
    " permitted_domains = COALESCE(?6, permitted_domains),"
    " click_id_param = COALESCE(?7, click_id_param),"
    " referral_window_days = COALESCE(?8, referral_window_days),"
    " currency = COALESCE(?9, currency), postback_key = COALESCE(?10, postback_key),"
    " updated_at = ?11"
    " WHERE id = ?1 AND (?2 = 1 OR (?2 = 2 AND brand_id = ?3))";

static enum tl_err program_update_job(struct conn *c, void *arg)
{
    struct program_write_ctx *x = arg;
    const struct tl_program *in = x->in;
    sqlite3_stmt *s;
    enum tl_err err;

    err = sq_prep(c, SQL_PROGRAM_UPDATE, &s);
    if (err != TL_OK)
        return err;
    sq_bind_who(s, in->id, x->who);
    sq_bind_str(s, 4, in->name);
    sq_bind_str(s, 5, in->default_landing_page);
    sq_bind_str(s, 6, x->domains);
    sq_bind_str(s, 7, in->click_id_param);
    if (in->referral_window_days > 0)
        sqlite3_bind_int(s, 8, in->referral_window_days);
    sq_bind_str(s, 9, in->currency);
    sq_bind_str(s, 10, in->postback_key);
    sqlite3_bind_int64(s, 11, x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err == TL_OK && sqlite3_changes(c->db) == 0)
        err = TL_ERR_NOTFOUND;
    return err;
}

enum tl_err sq_program_update(struct tl_store *s, const struct tl_actor *who,
                              const struct tl_program *in)
{
    struct program_write_ctx x = {who, in, NULL, tl_time_now_ms(), 0};
    char *domains = NULL;
    enum tl_err err;

    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = domains_encode(in->permitted_domains, in->n_permitted_domains, &domains);
    if (err != TL_OK)
        return err;
    x.domains = domains;
    err = sq_run_job((struct sqlite_store *)s, program_update_job, &x);
    free(domains);
    return err;
}

/* ------------------------------------------------------------------ */
/* landing pages */

#define LP_COLS "l.id, l.program_id, l.name, l.url, l.created_at"

static enum tl_err fill_landing_page(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                                     struct tl_arena *a, void *item)
{
    struct tl_landing_page *l = item;
    enum tl_err err;

    (void)c;
    (void)who;
    memset(l, 0, sizeof(*l));
    l->id = sqlite3_column_int64(s, 0);
    l->program_id = sqlite3_column_int64(s, 1);
    l->created_at = sqlite3_column_int64(s, 4);
    if ((err = sq_col_str(s, 2, a, &l->name)) != TL_OK)
        return err;
    return sq_col_str(s, 3, a, &l->url);
}

struct lp_create_ctx {
    const struct tl_actor *who;
    const struct tl_landing_page *in;
    int64_t now;
    int64_t id;
};

const char SQ_PROGRAM_OWN[] = "SELECT p.brand_id FROM program p WHERE p.id = ?1 AND " OWN("p");
static const char SQL_LP_INSERT[] =
    "INSERT INTO landing_page (program_id, name, url, created_at) VALUES (?1, ?2, ?3, ?4)";

static enum tl_err lp_create_job(struct conn *c, void *arg)
{
    struct lp_create_ctx *x = arg;
    sqlite3_stmt *s;
    enum tl_err err;

    err = sq_check_who(c, SQ_PROGRAM_OWN, x->in->program_id, x->who);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_LP_INSERT, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, x->in->program_id);
    sq_bind_str(s, 2, x->in->name);
    sq_bind_str(s, 3, x->in->url);
    sqlite3_bind_int64(s, 4, x->in->created_at > 0 ? x->in->created_at : x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err == TL_OK)
        x->id = sqlite3_last_insert_rowid(c->db);
    return err;
}

enum tl_err sq_landing_page_create(struct tl_store *s, const struct tl_actor *who,
                                   const struct tl_landing_page *in, int64_t *id_out)
{
    struct lp_create_ctx x = {who, in, tl_time_now_ms(), 0};
    enum tl_err err;

    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = sq_run_job((struct sqlite_store *)s, lp_create_job, &x);
    if (err == TL_OK && id_out != NULL)
        *id_out = x.id;
    return err;
}

static const char SQL_LP_GET[] =
    "SELECT " LP_COLS " FROM landing_page l JOIN program p ON p.id = l.program_id"
    " WHERE l.id = ?1 AND " VIS_PROGRAM;

enum tl_err sq_landing_page_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                struct tl_arena *a, struct tl_landing_page *out)
{
    return sq_get_one(s, SQL_LP_GET, id, who, a, fill_landing_page, out);
}

static const char SQL_PROGRAM_VISIBLE[] =
    "SELECT 1 FROM program p WHERE p.id = ?1 AND " VIS_PROGRAM;
static const char SQL_LP_LIST[] =
    "SELECT " LP_COLS " FROM landing_page l WHERE l.program_id = ?3 AND l.id > ?1"
    " ORDER BY l.id LIMIT ?2";

enum tl_err sq_landing_page_list(struct tl_store *s, const struct tl_actor *who, int64_t program_id,
                                 const struct tl_page *page, struct tl_arena *a,
                                 struct tl_landing_page **items, size_t *n, bool *more)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err;
    int64_t after;
    int limit;
    void *arr = NULL;

    *items = NULL;
    sq_list_init(n, more);
    if (!sq_actor_valid(who))
        return TL_ERR_NOTFOUND;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    sq_page_norm(page, &after, &limit);
    err = sq_read_begin(c);
    if (err != TL_OK)
        return err;
    err = sq_check_who(c, SQL_PROGRAM_VISIBLE, program_id, who);
    if (err != TL_OK)
        goto out;
    err = sq_prep(c, SQL_LP_LIST, &q);
    if (err != TL_OK)
        goto out;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit + 1);
    sqlite3_bind_int64(q, 3, program_id);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), fill_landing_page, &arr, n, more);
    *items = arr;
out:
    sq_read_end(c);
    return err;
}

/* program memberships */

static const char SQL_PARTNER_EXISTS[] = "SELECT 1 FROM account WHERE id = ?2 AND kind = 'partner'";
static const char SQL_PP_INSERT[] =
    "INSERT OR IGNORE INTO program_partner (program_id, partner_id, created_at)"
    " VALUES (?1, ?2, ?3)";
static const char SQL_PP_LIST[] =
    "SELECT m.partner_id, a.name, a.email, m.created_at FROM program_partner m"
    " JOIN account a ON a.id = m.partner_id WHERE m.program_id = ?3 AND m.partner_id > ?1"
    " ORDER BY m.partner_id LIMIT ?2";
static const char SQL_PP_HAS[] =
    "SELECT 1 FROM program_partner WHERE program_id = ?1 AND partner_id = ?2";

enum tl_err sq_program_partner_add(struct tl_store *s, const struct tl_actor *who,
                                   int64_t program_id, int64_t partner_id, bool *created)
{
    struct sq_member_add x = {who,
                              SQ_PROGRAM_OWN,
                              SQL_PARTNER_EXISTS,
                              TL_ERR_NOTFOUND,
                              SQL_PP_INSERT,
                              program_id,
                              partner_id,
                              0,
                              false,
                              0};

    return sq_member_add(s, &x, created);
}

enum tl_err sq_program_partner_list(struct tl_store *s, const struct tl_actor *who,
                                    int64_t program_id, const struct tl_page *page,
                                    struct tl_arena *a, struct tl_membership **items, size_t *n,
                                    bool *more)
{
    return sq_member_list(s, who, SQ_PROGRAM_OWN, SQL_PP_LIST, program_id, page, a, items, n, more);
}

enum tl_err sq_program_partner_has(struct tl_store *s, int64_t program_id, int64_t partner_id,
                                   bool *yes)
{
    return sq_pair_has(s, SQL_PP_HAS, program_id, partner_id, yes);
}
