/*
 * postgres_accounts.c: accounts in the PostgreSQL backend (tables
 * account, api_key, app_user), mirroring sqlite_accounts.c. Writes go
 * through the engine's group-commit writer (tl_pg_write), reads through a
 * pooled connection. Keys are stored as their BLAKE2b-256 hashes (bytea),
 * looked up by their unique index; an API key or a login e-mail taken
 * already is TL_ERR_CONFLICT (the unique constraints decide).
 *
 * Still to come here, as in sqlite_accounts.c: API keys (create, list,
 * revoke, touch), UI logins and sessions.
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

void pg_accounts_ops(struct tl_backend_ops *o)
{
    o->account_create = pg_account_create;
    o->actor_by_key = pg_actor_by_key;
    o->account_get = pg_account_get;
}
