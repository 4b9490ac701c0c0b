/*
 * postgres_accounts.c: accounts, API keys, UI logins and UI sessions in
 * the PostgreSQL backend (tables account, api_key, app_user, session),
 * mirroring sqlite_accounts.c. Writes go through the engine's
 * group-commit writer (tl_pg_write), reads through a pooled connection.
 * An API key or a login e-mail taken already is TL_ERR_CONFLICT (the
 * unique constraints decide).
 *
 * Keys and session tokens are stored only as BLAKE2b-256 hashes. Revoking a
 * key deletes its row, in one job that keeps the rule that an account
 * without a UI login keeps its last key (the account's row is locked, so
 * two revokes take turns even with several writers). Key last-used times
 * and session expiries are queued jobs nobody waits for, as in SQLite.
 *
 * The file also holds the helpers every resource file shares (parameters,
 * columns, reads, lists, tenancy checks; postgres_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/time.h"
#include "store/postgres_internal.h"

#define KEY_NAME_DEFAULT "default"

/* ------------------------------------------------------------------ */
/* helpers shared by the backend's files */

const char *pg_i64(char *buf, int64_t v)
{
    snprintf(buf, 24, "%lld", (long long)v);
    return buf;
}

const char *pg_bytea32(char *buf, const unsigned char v[32])
{
    buf[0] = '\\';
    buf[1] = 'x';
    sodium_bin2hex(buf + 2, 65, v, 32);
    return buf;
}

int64_t pg_col_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

enum tl_err pg_col_str(const PGresult *r, int row, int col, struct tl_arena *a, const char **out)
{
    if (PQgetisnull(r, row, col)) {
        *out = NULL;
        return TL_OK;
    }
    *out = tl_arena_strdup(a, PQgetvalue(r, row, col));
    return *out != NULL ? TL_OK : TL_ERR_NOMEM;
}

enum tl_err pg_read(struct tl_store *s, const char *sql, int n, const char *const *params,
                    PGresult **out)
{
    struct tl_pg *pg = pg_of(s);
    PGconn *c;
    PGresult *r;
    enum tl_err err;

    *out = NULL;
    err = tl_pg_acquire(pg, &c);
    if (err != TL_OK)
        return err;
    r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK) {
        *out = r;
    } else {
        err = tl_pg_result_err(c, r);
        PQclear(r);
    }
    tl_pg_release(pg, c);
    return err;
}

void pg_who_init(struct pg_who *w, int64_t id, const struct tl_actor *who)
{
    w->p[0] = pg_i64(w->b[0], id);
    w->p[1] = pg_i64(w->b[1], (int64_t)who->kind);
    w->p[2] = pg_i64(w->b[2], who->account_id);
}

void pg_page_init(struct pg_who *w, int64_t after, int limit, int64_t third)
{
    w->p[0] = pg_i64(w->b[0], after);
    w->p[1] = pg_i64(w->b[1], (int64_t)limit + 1);
    w->p[2] = pg_i64(w->b[2], third);
}

bool pg_actor_valid(const struct tl_actor *who)
{
    return who != NULL && (who->kind == TL_ACCOUNT_ADMIN || who->kind == TL_ACCOUNT_BRAND ||
                           who->kind == TL_ACCOUNT_PARTNER);
}

bool pg_actor_writes(const struct tl_actor *who)
{
    return who != NULL && (who->kind == TL_ACCOUNT_ADMIN || who->kind == TL_ACCOUNT_BRAND);
}

void pg_page_norm(const struct tl_page *page, int64_t *after, int *limit)
{
    *after = page != NULL && page->after > 0 ? page->after : 0;
    *limit = page != NULL ? page->limit : TL_LIST_DEFAULT;
    if (*limit < 1)
        *limit = TL_LIST_DEFAULT;
    if (*limit > TL_LIST_MAX)
        *limit = TL_LIST_MAX;
}

bool pg_col_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

enum tl_err pg_col_ids(const PGresult *r, int row, int col, struct tl_arena *a, int64_t **out,
                       size_t *n)
{
    const char *v = PQgetvalue(r, row, col);
    size_t count = 1, i = 0;
    int64_t *ids;
    char *end;

    *out = NULL;
    *n = 0;
    if (PQgetisnull(r, row, col) || v[0] == '\0')
        return TL_OK;
    for (const char *c = v; *c != '\0'; c++)
        count += *c == ',';
    ids = tl_arena_alloc(a, count * sizeof(*ids));
    if (ids == NULL)
        return TL_ERR_NOMEM;
    for (; i < count; i++) {
        ids[i] = strtoll(v, &end, 10);
        if (end == v || (*end != ',' && *end != '\0'))
            return TL_ERR_IO;
        v = end + (*end == ',');
    }
    *out = ids;
    *n = count;
    return TL_OK;
}

enum tl_err pg_list(struct tl_store *s, const char *sql, int n, const char *const *params,
                    int limit, const struct tl_actor *who, struct tl_arena *a, size_t size,
                    pg_fill_fn fill, void **items, size_t *n_out, bool *more)
{
    unsigned char *arr = NULL;
    PGresult *r;
    enum tl_err err = pg_read(s, sql, n, params, &r);
    int rows, i;

    *items = NULL;
    *n_out = 0;
    *more = false;
    if (err != TL_OK)
        return err;
    rows = PQntuples(r);
    if (rows > limit) {
        *more = true;
        rows = limit;
    }
    if (rows > 0 && (arr = tl_arena_alloc(a, (size_t)rows * size)) == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < rows && err == TL_OK; i++)
        err = fill(r, i, who, a, arr + (size_t)i * size);
    if (err == TL_OK) {
        *items = arr;
        *n_out = (size_t)rows;
    } else {
        *more = false;
    }
out:
    PQclear(r);
    return err;
}

enum tl_err pg_get_one(struct tl_store *s, const char *sql, int64_t id, const struct tl_actor *who,
                       struct tl_arena *a, pg_fill_fn fill, void *out)
{
    struct pg_who w;
    PGresult *r;
    enum tl_err err;

    if (!pg_actor_valid(who))
        return TL_ERR_NOTFOUND;
    pg_who_init(&w, id, who);
    err = pg_read(s, sql, 3, w.p, &r);
    if (err != TL_OK)
        return err;
    err = PQntuples(r) > 0 ? fill(r, 0, who, a, out) : TL_ERR_NOTFOUND;
    PQclear(r);
    return err;
}

enum tl_err pg_check_who(struct tl_store *s, const char *sql, int64_t id,
                         const struct tl_actor *who)
{
    struct pg_who w;
    PGresult *r;
    enum tl_err err;

    pg_who_init(&w, id, who);
    err = pg_read(s, sql, 3, w.p, &r);
    if (err != TL_OK)
        return err;
    err = PQntuples(r) > 0 ? TL_OK : TL_ERR_NOTFOUND;
    PQclear(r);
    return err;
}

enum tl_err pg_tx_who(struct tl_pg_tx *tx, const char *sql, int64_t id, const struct tl_actor *who,
                      int64_t *c0, int64_t *c1)
{
    struct pg_who w;
    PGresult *r = NULL;
    enum tl_err err;

    pg_who_init(&w, id, who);
    err = tl_pg_tx_query(tx, sql, 3, w.p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0) {
        err = TL_ERR_NOTFOUND;
    } else {
        if (c0 != NULL)
            *c0 = pg_col_i64(r, 0, 0);
        if (c1 != NULL)
            *c1 = pg_col_i64(r, 0, 1);
    }
    PQclear(r);
    return err;
}

enum tl_err pg_tx_rows(struct tl_pg_tx *tx, const char *sql, int n, const char *const *params,
                       int *rows, int64_t *first)
{
    PGresult *r = NULL;
    enum tl_err err = tl_pg_tx_query(tx, sql, n, params, &r);

    if (err != TL_OK)
        return err;
    *rows = PQntuples(r);
    if (first != NULL)
        *first = *rows > 0 ? pg_col_i64(r, 0, 0) : 0;
    PQclear(r);
    return TL_OK;
}

static int kind_parse(const char *s)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "admin") == 0)
        return TL_ACCOUNT_ADMIN;
    if (strcmp(s, "brand") == 0)
        return TL_ACCOUNT_BRAND;
    if (strcmp(s, "partner") == 0)
        return TL_ACCOUNT_PARTNER;
    return -1;
}

static enum tl_err col_kind(const PGresult *r, int row, int col, enum tl_account_kind *out)
{
    int kind = kind_parse(PQgetvalue(r, row, col));

    if (kind < 0)
        return TL_ERR_IO;
    *out = (enum tl_account_kind)kind;
    return TL_OK;
}

/* ------------------------------------------------------------------ */
/* accounts */

struct account_create_ctx {
    const struct tl_account_new *in;
    int64_t now;
    int64_t id;
};

static const char SQL_ACCOUNT_INSERT[] =
    "INSERT INTO account (kind, name, email, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
static const char SQL_KEY_INSERT[] = "INSERT INTO api_key (account_id, hash, prefix, name,"
                                     " created_at) VALUES ($1, $2, $3, $4, $5)";
static const char SQL_USER_INSERT[] =
    "INSERT INTO app_user (account_id, email, pw_hash, created_at) VALUES ($1, $2, $3, $4)";

static enum tl_err account_create_job(struct tl_pg_tx *tx, void *arg)
{
    struct account_create_ctx *x = arg;
    const struct tl_account_new *in = x->in;
    char now[24], id[24], hash[67];
    const char *p[5];
    PGresult *r = NULL;
    enum tl_err err;

    p[0] = tl_account_kind_str(in->kind);
    p[1] = in->name;
    p[2] = in->email;
    p[3] = pg_i64(now, x->now);
    err = tl_pg_tx_query(tx, SQL_ACCOUNT_INSERT, 4, p, &r);
    if (err != TL_OK)
        return err;
    x->id = pg_col_i64(r, 0, 0);
    PQclear(r);

    /* the key and the login need no answer: sent, checked at the job's end */
    p[0] = pg_i64(id, x->id);
    p[1] = pg_bytea32(hash, in->key_hash);
    p[2] = in->key_prefix != NULL ? in->key_prefix : "";
    p[3] = in->key_name != NULL ? in->key_name : KEY_NAME_DEFAULT;
    p[4] = now;
    err = tl_pg_tx_send(tx, SQL_KEY_INSERT, 5, p);
    if (err != TL_OK || in->user_email == NULL)
        return err;
    p[1] = in->user_email;
    p[2] = in->user_pw_hash;
    p[3] = now;
    return tl_pg_tx_send(tx, SQL_USER_INSERT, 4, p);
}

enum tl_err pg_account_create(struct tl_store *s, const struct tl_account_new *in, int64_t *id_out)
{
    struct account_create_ctx x = {in, tl_time_now_ms(), 0};
    enum tl_err err;

    if (in == NULL || in->name == NULL || kind_parse(tl_account_kind_str(in->kind)) < 0)
        return TL_ERR_INVALID;
    err = tl_pg_write(pg_of(s), account_create_job, &x);
    if (err == TL_OK && id_out != NULL)
        *id_out = x.id;
    return err;
}

static const char SQL_ACTOR_BY_KEY[] =
    "SELECT k.account_id, a.kind, k.id, k.last_used_at FROM api_key k"
    " JOIN account a ON a.id = k.account_id WHERE k.hash = $1";

enum tl_err pg_actor_by_key(struct tl_store *s, const unsigned char key_hash[32],
                            struct tl_actor *out, int64_t *key_id, int64_t *last_used_at)
{
    char hash[67];
    const char *p[1] = {pg_bytea32(hash, key_hash)};
    PGresult *r;
    enum tl_err err = pg_read(s, SQL_ACTOR_BY_KEY, 1, p, &r);

    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0)
        err = TL_ERR_NOTFOUND;
    if (err == TL_OK)
        err = col_kind(r, 0, 1, &out->kind);
    if (err == TL_OK) {
        out->account_id = pg_col_i64(r, 0, 0);
        if (key_id != NULL)
            *key_id = pg_col_i64(r, 0, 2);
        if (last_used_at != NULL)
            *last_used_at = pg_col_i64(r, 0, 3); /* NULL reads as 0 */
    }
    PQclear(r);
    return err;
}

static const char SQL_ACCOUNT_GET[] =
    "SELECT id, kind, name, email, created_at FROM account WHERE id = $1";

enum tl_err pg_account_get(struct tl_store *s, int64_t id, struct tl_arena *a,
                           struct tl_account *out)
{
    char idbuf[24];
    const char *p[1] = {pg_i64(idbuf, id)};
    PGresult *r;
    enum tl_err err = pg_read(s, SQL_ACCOUNT_GET, 1, p, &r);

    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0) {
        err = TL_ERR_NOTFOUND;
        goto out;
    }
    memset(out, 0, sizeof(*out));
    out->id = pg_col_i64(r, 0, 0);
    err = col_kind(r, 0, 1, &out->kind);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 2, a, &out->name);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 3, a, &out->email);
    out->created_at = pg_col_i64(r, 0, 4);
out:
    PQclear(r);
    return err;
}

/* ------------------------------------------------------------------ */
/* API keys */

struct key_create_ctx {
    const struct tl_actor *who;
    struct tl_api_key *key;
    const unsigned char *hash;
    int64_t now;
};

/* $1 the account: a brand or partner the caller may manage */
static const char SQL_KEY_ACCOUNT_OK[] =
    "SELECT 1 FROM account a WHERE a.id = $1 AND a.kind IN ('brand', 'partner')"
    " AND ($2 = 1 OR a.id = $3)";
static const char SQL_KEY_INSERT_ID[] = "INSERT INTO api_key (account_id, hash, prefix, name,"
                                        " created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";

static enum tl_err key_create_job(struct tl_pg_tx *tx, void *arg)
{
    struct key_create_ctx *x = arg;
    char id[24], hash[67], now[24];
    const char *p[5];
    enum tl_err err;
    int rows;

    err = pg_tx_who(tx, SQL_KEY_ACCOUNT_OK, x->key->account_id, x->who, NULL, NULL);
    if (err != TL_OK)
        return err;
    p[0] = pg_i64(id, x->key->account_id);
    p[1] = pg_bytea32(hash, x->hash);
    p[2] = x->key->prefix != NULL ? x->key->prefix : "";
    p[3] = x->key->name;
    p[4] = pg_i64(now, x->now);
    return pg_tx_rows(tx, SQL_KEY_INSERT_ID, 5, p, &rows, &x->key->id);
}

enum tl_err pg_api_key_create(struct tl_store *s, const struct tl_actor *who,
                              struct tl_api_key *key, const unsigned char key_hash[32])
{
    struct key_create_ctx x = {who, key, key_hash, tl_time_now_ms()};
    enum tl_err err;

    if (!pg_actor_valid(who) || key == NULL || key->name == NULL)
        return TL_ERR_NOTFOUND;
    err = tl_pg_write(pg_of(s), key_create_job, &x);
    if (err == TL_OK) {
        key->created_at = x.now;
        key->last_used_at = 0;
    }
    return err;
}

static enum tl_err fill_key(const PGresult *r, int row, const struct tl_actor *who,
                            struct tl_arena *a, void *item)
{
    struct tl_api_key *k = item;
    enum tl_err err;

    (void)who;
    memset(k, 0, sizeof(*k));
    k->id = pg_col_i64(r, row, 0);
    k->account_id = pg_col_i64(r, row, 1);
    err = pg_col_str(r, row, 2, a, &k->name);
    if (err == TL_OK)
        err = pg_col_str(r, row, 3, a, &k->prefix);
    k->created_at = pg_col_i64(r, row, 4);
    k->last_used_at = pg_col_i64(r, row, 5);
    return err;
}

/* $1 after, $2 limit + 1, $3 the account (0: every account) */
static const char SQL_KEY_LIST[] =
    "SELECT k.id, k.account_id, k.name, k.prefix, k.created_at, k.last_used_at FROM api_key k"
    " WHERE ($3::bigint = 0 OR k.account_id = $3::bigint) AND k.id > $1 ORDER BY k.id LIMIT $2";

enum tl_err pg_api_key_list(struct tl_store *s, const struct tl_actor *who, int64_t account_id,
                            const struct tl_page *page, struct tl_arena *a,
                            struct tl_api_key **items, size_t *n, bool *more)
{
    struct pg_who w;
    int64_t after;
    int limit;
    void *arr = NULL;
    enum tl_err err;

    *items = NULL;
    *n = 0;
    *more = false;
    if (!pg_actor_valid(who))
        return TL_ERR_NOTFOUND;
    if (who->kind != TL_ACCOUNT_ADMIN)
        account_id = who->account_id;
    pg_page_norm(page, &after, &limit);
    pg_page_init(&w, after, limit, account_id);
    err = pg_list(s, SQL_KEY_LIST, 3, w.p, limit, who, a, sizeof(**items), fill_key, &arr, n, more);
    *items = arr;
    return err;
}

struct key_revoke_ctx {
    const struct tl_actor *who;
    int64_t id;
    unsigned char *hash;
};

/* The key (the caller's own, or any for the admin), locking its account:
 * two revokes of one account's keys take turns, so the count below sees
 * the other's delete and the last key stays. */
static const char SQL_KEY_FOR_REVOKE[] =
    "SELECT k.account_id, k.hash FROM api_key k JOIN account a ON a.id = k.account_id"
    " WHERE k.id = $1 AND ($2 = 1 OR k.account_id = $3) FOR UPDATE OF a";
/* $1 the account: whether it would keep a way in without one key */
static const char SQL_KEY_LAST[] =
    "SELECT (SELECT count(*) FROM api_key WHERE account_id = $1) <= 1"
    " AND NOT EXISTS (SELECT 1 FROM app_user WHERE account_id = $1)";
static const char SQL_KEY_DELETE[] = "DELETE FROM api_key WHERE id = $1";

static enum tl_err key_revoke_job(struct tl_pg_tx *tx, void *arg)
{
    struct key_revoke_ctx *x = arg;
    struct pg_who w;
    PGresult *r = NULL;
    const char *hex;
    char account[24];
    const char *p[1];
    enum tl_err err;
    bool last;

    pg_who_init(&w, x->id, x->who);
    err = tl_pg_tx_query(tx, SQL_KEY_FOR_REVOKE, 3, w.p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return TL_ERR_NOTFOUND;
    }
    p[0] = pg_i64(account, pg_col_i64(r, 0, 0));
    hex = PQgetvalue(r, 0, 1);
    if (strncmp(hex, "\\x", 2) != 0 ||
        sodium_hex2bin(x->hash, 32, hex + 2, strlen(hex + 2), NULL, NULL, NULL) != 0)
        err = TL_ERR_IO;
    PQclear(r);
    if (err != TL_OK)
        return err;
    err = tl_pg_tx_query(tx, SQL_KEY_LAST, 1, p, &r);
    if (err != TL_OK)
        return err;
    last = pg_col_bool(r, 0, 0);
    PQclear(r);
    if (last)
        return TL_ERR_CONFLICT;
    return tl_pg_tx_send(tx, SQL_KEY_DELETE, 1, w.p);
}

enum tl_err pg_api_key_revoke(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              unsigned char key_hash[32])
{
    struct key_revoke_ctx x = {who, id, key_hash};

    if (!pg_actor_valid(who) || id < 1)
        return TL_ERR_NOTFOUND;
    return tl_pg_write(pg_of(s), key_revoke_job, &x);
}

/* A queued one-row update that nobody waits for: sql with $1 id, $2 value. */
struct touch {
    const char *sql;
    int64_t id;
    int64_t value;
};

static enum tl_err touch_job(struct tl_pg_tx *tx, void *arg)
{
    struct touch *t = arg;
    char b[2][24];
    const char *p[2] = {pg_i64(b[0], t->id), pg_i64(b[1], t->value)};

    return tl_pg_tx_send(tx, t->sql, 2, p);
}

static void touch_done(void *arg, enum tl_err err)
{
    (void)err;
    free(arg);
}

static enum tl_err touch_submit(struct tl_store *s, const char *sql, int64_t id, int64_t value)
{
    struct touch *t = malloc(sizeof(*t));
    enum tl_err err;

    if (t == NULL)
        return TL_ERR_NOMEM;
    *t = (struct touch){sql, id, value};
    err = tl_pg_write_async(pg_of(s), touch_job, t, touch_done, t);
    if (err != TL_OK)
        free(t);
    return err;
}

/* Never moves backwards: touches queued out of order keep the latest. */
static const char SQL_KEY_TOUCH[] = "UPDATE api_key SET last_used_at = $2 WHERE id = $1"
                                    " AND (last_used_at IS NULL OR last_used_at < $2)";

enum tl_err pg_api_key_touch(struct tl_store *s, int64_t id, int64_t at_ms)
{
    return touch_submit(s, SQL_KEY_TOUCH, id, at_ms);
}

/* ------------------------------------------------------------------ */
/* UI logins and sessions */

/* lower() on both sides: the unique index app_user_email is on lower(email) */
static const char SQL_USER_BY_EMAIL[] =
    "SELECT u.id, u.account_id, a.kind, a.name, u.email, u.pw_hash FROM app_user u"
    " JOIN account a ON a.id = u.account_id WHERE lower(u.email) = lower($1)";

enum tl_err pg_user_by_email(struct tl_store *s, const char *email, struct tl_arena *a,
                             struct tl_user *out)
{
    const char *p[1] = {email};
    PGresult *r;
    enum tl_err err;

    if (email == NULL)
        return TL_ERR_NOTFOUND;
    err = pg_read(s, SQL_USER_BY_EMAIL, 1, p, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0) {
        err = TL_ERR_NOTFOUND;
        goto out;
    }
    memset(out, 0, sizeof(*out));
    out->id = pg_col_i64(r, 0, 0);
    out->account_id = pg_col_i64(r, 0, 1);
    err = col_kind(r, 0, 2, &out->kind);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 3, a, &out->account_name);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 4, a, &out->email);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 5, a, &out->pw_hash);
out:
    PQclear(r);
    return err;
}

struct session_create_ctx {
    struct tl_session *in;
    const unsigned char *replace;
};

static const char SQL_SESSION_PURGE[] = "DELETE FROM session WHERE expires_at <= $1";
static const char SQL_SESSION_DELETE[] = "DELETE FROM session WHERE token_hash = $1 RETURNING id";
static const char SQL_SESSION_INSERT[] =
    "INSERT INTO session (token_hash, user_id, csrf_token, created_at, expires_at)"
    " VALUES ($1, $2, $3, $4, $5) RETURNING id";

static enum tl_err session_create_job(struct tl_pg_tx *tx, void *arg)
{
    struct session_create_ctx *x = arg;
    struct tl_session *in = x->in;
    char hash[67], user[24], created[24], expires[24];
    const char *p[5];
    enum tl_err err;
    int rows;

    p[0] = pg_i64(created, in->created_at);
    err = tl_pg_tx_send(tx, SQL_SESSION_PURGE, 1, p);
    if (err == TL_OK && x->replace != NULL) {
        p[0] = pg_bytea32(hash, x->replace);
        err = tl_pg_tx_send(tx, SQL_SESSION_DELETE, 1, p);
    }
    if (err != TL_OK)
        return err;
    p[0] = pg_bytea32(hash, in->token_hash);
    p[1] = pg_i64(user, in->user_id);
    p[2] = in->csrf_token;
    p[3] = created;
    p[4] = pg_i64(expires, in->expires_at);
    return pg_tx_rows(tx, SQL_SESSION_INSERT, 5, p, &rows, &in->id);
}

enum tl_err pg_session_create(struct tl_store *s, struct tl_session *in,
                              const unsigned char *replace)
{
    struct session_create_ctx x = {in, replace};

    if (in == NULL || in->csrf_token == NULL || in->user_id < 1)
        return TL_ERR_INVALID;
    return tl_pg_write(pg_of(s), session_create_job, &x);
}

static const char SQL_SESSION_GET[] =
    "SELECT s.id, s.user_id, u.email, u.account_id, a.kind, a.name, s.csrf_token, s.created_at,"
    " s.expires_at FROM session s JOIN app_user u ON u.id = s.user_id"
    " JOIN account a ON a.id = u.account_id WHERE s.token_hash = $1 AND s.expires_at > $2";

enum tl_err pg_session_get(struct tl_store *s, const unsigned char token_hash[32], int64_t now_ms,
                           struct tl_arena *a, struct tl_session *out)
{
    char hash[67], now[24];
    const char *p[2] = {pg_bytea32(hash, token_hash), pg_i64(now, now_ms)};
    PGresult *r;
    enum tl_err err = pg_read(s, SQL_SESSION_GET, 2, p, &r);

    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 0) {
        err = TL_ERR_NOTFOUND;
        goto out;
    }
    memset(out, 0, sizeof(*out));
    out->id = pg_col_i64(r, 0, 0);
    memcpy(out->token_hash, token_hash, 32);
    out->user_id = pg_col_i64(r, 0, 1);
    err = pg_col_str(r, 0, 2, a, &out->user_email);
    out->actor.account_id = pg_col_i64(r, 0, 3);
    if (err == TL_OK)
        err = col_kind(r, 0, 4, &out->actor.kind);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 5, a, &out->account_name);
    if (err == TL_OK)
        err = pg_col_str(r, 0, 6, a, &out->csrf_token);
    out->created_at = pg_col_i64(r, 0, 7);
    out->expires_at = pg_col_i64(r, 0, 8);
out:
    PQclear(r);
    return err;
}

static const char SQL_SESSION_TOUCH[] = "UPDATE session SET expires_at = $2 WHERE id = $1"
                                        " AND expires_at < $2";

enum tl_err pg_session_touch(struct tl_store *s, int64_t id, int64_t expires_at)
{
    return touch_submit(s, SQL_SESSION_TOUCH, id, expires_at);
}

static enum tl_err session_delete_job(struct tl_pg_tx *tx, void *arg)
{
    char hash[67];
    const char *p[1] = {pg_bytea32(hash, arg)};
    enum tl_err err;
    int rows = 0;

    err = pg_tx_rows(tx, SQL_SESSION_DELETE, 1, p, &rows, NULL);
    if (err == TL_OK && rows == 0)
        err = TL_ERR_NOTFOUND;
    return err;
}

enum tl_err pg_session_delete(struct tl_store *s, const unsigned char token_hash[32])
{
    return tl_pg_write(pg_of(s), session_delete_job, (void *)token_hash);
}

void pg_accounts_ops(struct tl_backend_ops *o)
{
    o->account_create = pg_account_create;
    o->actor_by_key = pg_actor_by_key;
    o->account_get = pg_account_get;
    o->api_key_create = pg_api_key_create;
    o->api_key_list = pg_api_key_list;
    o->api_key_revoke = pg_api_key_revoke;
    o->api_key_touch = pg_api_key_touch;
    o->user_by_email = pg_user_by_email;
    o->session_create = pg_session_create;
    o->session_get = pg_session_get;
    o->session_touch = pg_session_touch;
    o->session_delete = pg_session_delete;
}
