/*
 * sqlite_accounts.c: accounts, API keys, UI logins and UI sessions in the
 * SQLite backend (tables account, api_key, app_user, session).
 *
 * Keys and session tokens are stored only as BLAKE2b-256 hashes (computed
 * above store/), looked up through their unique indexes. Revoking a key
 * deletes its row, in one writer job that also keeps the rule that an
 * account without a UI login keeps its last key. The last-used time of a
 * key and the sliding expiry of a session are written by queued jobs that
 * nobody waits for (api_key_touch, session_touch): the request that
 * prompts them does not pay for a commit.
 */
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "store/sqlite_internal.h"

#define KEY_NAME_DEFAULT "default"

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

static enum tl_err col_kind(sqlite3_stmt *q, int i, enum tl_account_kind *out)
{
    int kind = kind_parse((const char *)sqlite3_column_text(q, i));

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
    "INSERT INTO account (kind, name, email, created_at) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_KEY_INSERT[] = "INSERT INTO api_key (account_id, hash, prefix, name,"
                                     " created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_USER_INSERT[] =
    "INSERT INTO app_user (account_id, email, pw_hash, created_at) VALUES (?1, ?2, ?3, ?4)";

static enum tl_err key_insert(struct conn *c, int64_t account_id, const unsigned char hash[32],
                              const char *prefix, const char *name, int64_t now)
{
    sqlite3_stmt *s;
    enum tl_err err = sq_prep(c, SQL_KEY_INSERT, &s);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, account_id);
    sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
    sq_bind_str(s, 3, prefix != NULL ? prefix : "");
    sq_bind_str(s, 4, name != NULL ? name : KEY_NAME_DEFAULT);
    sqlite3_bind_int64(s, 5, now);
    err = sq_step_done(c, s);
    sq_done(s);
    return err;
}

static enum tl_err account_create_job(struct conn *c, void *arg)
{
    struct account_create_ctx *x = arg;
    const struct tl_account_new *in = x->in;
    sqlite3_stmt *s;
    enum tl_err err;

    err = sq_prep(c, SQL_ACCOUNT_INSERT, &s);
    if (err != TL_OK)
        return err;
    sq_bind_str(s, 1, tl_account_kind_str(in->kind));
    sq_bind_str(s, 2, in->name);
    sq_bind_str(s, 3, in->email);
    sqlite3_bind_int64(s, 4, x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err != TL_OK)
        return err;
    x->id = sqlite3_last_insert_rowid(c->db);

    err = key_insert(c, x->id, in->key_hash, in->key_prefix, in->key_name, x->now);
    if (err != TL_OK || in->user_email == NULL)
        return err;

    err = sq_prep(c, SQL_USER_INSERT, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, x->id);
    sq_bind_str(s, 2, in->user_email);
    sq_bind_str(s, 3, in->user_pw_hash);
    sqlite3_bind_int64(s, 4, x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    return err;
}

enum tl_err sq_account_create(struct tl_store *s, const struct tl_account_new *in, int64_t *id_out)
{
    struct account_create_ctx x = {in, tl_time_now_ms(), 0};
    enum tl_err err;

    if (in == NULL || in->name == NULL || kind_parse(tl_account_kind_str(in->kind)) < 0)
        return TL_ERR_INVALID;
    err = sq_run_job((struct sqlite_store *)s, account_create_job, &x);
    if (err == TL_OK && id_out != NULL)
        *id_out = x.id;
    return err;
}

static const char SQL_ACTOR_BY_KEY[] =
    "SELECT k.account_id, a.kind, k.id, k.last_used_at FROM api_key k"
    " JOIN account a ON a.id = k.account_id WHERE k.hash = ?1";

enum tl_err sq_actor_by_key(struct tl_store *s, const unsigned char key_hash[32],
                            struct tl_actor *out, int64_t *key_id, int64_t *last_used_at)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err = sq_reader((struct sqlite_store *)s, &c);

    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_ACTOR_BY_KEY, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_blob(q, 1, key_hash, 32, SQLITE_STATIC);
    err = sq_step_row(c, q);
    if (err == TL_OK)
        err = col_kind(q, 1, &out->kind);
    if (err == TL_OK) {
        out->account_id = sqlite3_column_int64(q, 0);
        if (key_id != NULL)
            *key_id = sqlite3_column_int64(q, 2);
        if (last_used_at != NULL)
            *last_used_at = sqlite3_column_int64(q, 3); /* NULL reads as 0 */
    }
    sq_done(q);
    return err;
}

static const char SQL_ACCOUNT_GET[] =
    "SELECT id, kind, name, email, created_at FROM account WHERE id = ?1";

enum tl_err sq_account_get(struct tl_store *s, int64_t id, struct tl_arena *a,
                           struct tl_account *out)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err = sq_reader((struct sqlite_store *)s, &c);

    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_ACCOUNT_GET, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, id);
    err = sq_step_row(c, q);
    if (err != TL_OK)
        goto out;
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(q, 0);
    err = col_kind(q, 1, &out->kind);
    if (err == TL_OK)
        err = sq_col_str(q, 2, a, &out->name);
    if (err == TL_OK)
        err = sq_col_str(q, 3, a, &out->email);
    out->created_at = sqlite3_column_int64(q, 4);
out:
    sq_done(q);
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

/* ?1 the account: a brand or partner the caller may manage */
static const char SQL_KEY_ACCOUNT_OK[] =
    "SELECT 1 FROM account a WHERE a.id = ?1 AND a.kind IN ('brand', 'partner')"
    " AND (?2 = 1 OR a.id = ?3)";

static enum tl_err key_create_job(struct conn *c, void *arg)
{
    struct key_create_ctx *x = arg;
    enum tl_err err;

    err = sq_check_who(c, SQL_KEY_ACCOUNT_OK, x->key->account_id, x->who);
    if (err != TL_OK)
        return err;
    err = key_insert(c, x->key->account_id, x->hash, x->key->prefix, x->key->name, x->now);
    if (err == TL_OK)
        x->key->id = sqlite3_last_insert_rowid(c->db);
    return err;
}

enum tl_err sq_api_key_create(struct tl_store *s, const struct tl_actor *who,
                              struct tl_api_key *key, const unsigned char key_hash[32])
{
    struct key_create_ctx x = {who, key, key_hash, tl_time_now_ms()};
    enum tl_err err;

    if (!sq_actor_valid(who) || key == NULL || key->name == NULL)
        return TL_ERR_NOTFOUND;
    err = sq_run_job((struct sqlite_store *)s, key_create_job, &x);
    if (err == TL_OK) {
        key->created_at = x.now;
        key->last_used_at = 0;
    }
    return err;
}

#define KEY_COLS "k.id, k.account_id, k.name, k.prefix, k.created_at, k.last_used_at"

static enum tl_err fill_key(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                            struct tl_arena *a, void *item)
{
    struct tl_api_key *k = item;
    enum tl_err err;

    (void)c;
    (void)who;
    memset(k, 0, sizeof(*k));
    k->id = sqlite3_column_int64(s, 0);
    k->account_id = sqlite3_column_int64(s, 1);
    err = sq_col_str(s, 2, a, &k->name);
    if (err == TL_OK)
        err = sq_col_str(s, 3, a, &k->prefix);
    k->created_at = sqlite3_column_int64(s, 4);
    k->last_used_at = sqlite3_column_int64(s, 5);
    return err;
}

/* ?1 after, ?2 limit + 1, ?3 the account (0: every account) */
static const char SQL_KEY_LIST[] = "SELECT " KEY_COLS " FROM api_key k WHERE (?3 = 0 OR"
                                   " k.account_id = ?3) AND k.id > ?1 ORDER BY k.id LIMIT ?2";

enum tl_err sq_api_key_list(struct tl_store *s, const struct tl_actor *who, int64_t account_id,
                            const struct tl_page *page, struct tl_arena *a,
                            struct tl_api_key **items, size_t *n, bool *more)
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
    if (who->kind != TL_ACCOUNT_ADMIN)
        account_id = who->account_id;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    sq_page_norm(page, &after, &limit);
    err = sq_prep(c, SQL_KEY_LIST, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit + 1);
    sqlite3_bind_int64(q, 3, account_id);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), fill_key, &arr, n, more);
    *items = arr;
    return err;
}

struct key_revoke_ctx {
    const struct tl_actor *who;
    int64_t id;
    unsigned char *hash;
};

/* ?1 the key; the caller's own, or any for the admin */
static const char SQL_KEY_FOR_REVOKE[] =
    "SELECT k.hash, (SELECT count(*) FROM api_key o WHERE o.account_id = k.account_id),"
    " EXISTS (SELECT 1 FROM app_user u WHERE u.account_id = k.account_id)"
    " FROM api_key k WHERE k.id = ?1 AND (?2 = 1 OR k.account_id = ?3)";
static const char SQL_KEY_DELETE[] = "DELETE FROM api_key WHERE id = ?1";

static enum tl_err key_revoke_job(struct conn *c, void *arg)
{
    struct key_revoke_ctx *x = arg;
    sqlite3_stmt *s;
    enum tl_err err;
    bool last;

    err = sq_prep(c, SQL_KEY_FOR_REVOKE, &s);
    if (err != TL_OK)
        return err;
    sq_bind_who(s, x->id, x->who);
    err = sq_step_row(c, s);
    if (err == TL_OK) {
        if (sqlite3_column_bytes(s, 0) == 32)
            memcpy(x->hash, sqlite3_column_blob(s, 0), 32);
        else
            err = TL_ERR_IO;
        last = sqlite3_column_int64(s, 1) <= 1 && sqlite3_column_int(s, 2) == 0;
        if (err == TL_OK && last)
            err = TL_ERR_CONFLICT;
    }
    sq_done(s);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_KEY_DELETE, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, x->id);
    err = sq_step_done(c, s);
    sq_done(s);
    return err;
}

enum tl_err sq_api_key_revoke(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              unsigned char key_hash[32])
{
    struct key_revoke_ctx x = {who, id, key_hash};

    if (!sq_actor_valid(who) || id < 1)
        return TL_ERR_NOTFOUND;
    return sq_run_job((struct sqlite_store *)s, key_revoke_job, &x);
}

/* A queued one-row update that nobody waits for: (id, value). */
struct touch {
    const char *sql;
    int64_t id;
    int64_t value;
};

static enum tl_err touch_job(struct conn *c, void *arg)
{
    struct touch *t = arg;
    sqlite3_stmt *s;
    enum tl_err err = sq_prep(c, t->sql, &s);

    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, t->id);
    sqlite3_bind_int64(s, 2, t->value);
    err = sq_step_done(c, s);
    sq_done(s);
    return err;
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
    t->sql = sql;
    t->id = id;
    t->value = value;
    err = sq_submit_job((struct sqlite_store *)s, touch_job, t, touch_done, t);
    if (err != TL_OK)
        free(t);
    return err;
}

/* Never moves backwards: touches queued out of order keep the latest. */
static const char SQL_KEY_TOUCH[] = "UPDATE api_key SET last_used_at = ?2 WHERE id = ?1"
                                    " AND (last_used_at IS NULL OR last_used_at < ?2)";

enum tl_err sq_api_key_touch(struct tl_store *s, int64_t id, int64_t at_ms)
{
    return touch_submit(s, SQL_KEY_TOUCH, id, at_ms);
}

/* ------------------------------------------------------------------ */
/* UI logins and sessions */

static const char SQL_USER_BY_EMAIL[] =
    "SELECT u.id, u.account_id, a.kind, a.name, u.email, u.pw_hash FROM app_user u"
    " JOIN account a ON a.id = u.account_id WHERE u.email = ?1";

enum tl_err sq_user_by_email(struct tl_store *s, const char *email, struct tl_arena *a,
                             struct tl_user *out)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err;

    if (email == NULL)
        return TL_ERR_NOTFOUND;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_USER_BY_EMAIL, &q);
    if (err != TL_OK)
        return err;
    sq_bind_str(q, 1, email);
    err = sq_step_row(c, q);
    if (err != TL_OK)
        goto out;
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(q, 0);
    out->account_id = sqlite3_column_int64(q, 1);
    err = col_kind(q, 2, &out->kind);
    if (err == TL_OK)
        err = sq_col_str(q, 3, a, &out->account_name);
    if (err == TL_OK)
        err = sq_col_str(q, 4, a, &out->email);
    if (err == TL_OK)
        err = sq_col_str(q, 5, a, &out->pw_hash);
out:
    sq_done(q);
    return err;
}

struct session_create_ctx {
    struct tl_session *in;
    const unsigned char *replace;
};

static const char SQL_SESSION_PURGE[] = "DELETE FROM session WHERE expires_at <= ?1";
static const char SQL_SESSION_DELETE[] = "DELETE FROM session WHERE token_hash = ?1";
static const char SQL_SESSION_INSERT[] =
    "INSERT INTO session (token_hash, user_id, csrf_token, created_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";

static enum tl_err session_create_job(struct conn *c, void *arg)
{
    struct session_create_ctx *x = arg;
    struct tl_session *in = x->in;
    sqlite3_stmt *s;
    enum tl_err err;

    err = sq_prep(c, SQL_SESSION_PURGE, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, in->created_at);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err == TL_OK && x->replace != NULL) {
        err = sq_prep(c, SQL_SESSION_DELETE, &s);
        if (err != TL_OK)
            return err;
        sqlite3_bind_blob(s, 1, x->replace, 32, SQLITE_STATIC);
        err = sq_step_done(c, s);
        sq_done(s);
    }
    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_SESSION_INSERT, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_blob(s, 1, in->token_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, in->user_id);
    sq_bind_str(s, 3, in->csrf_token);
    sqlite3_bind_int64(s, 4, in->created_at);
    sqlite3_bind_int64(s, 5, in->expires_at);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err == TL_OK)
        in->id = sqlite3_last_insert_rowid(c->db);
    return err;
}

enum tl_err sq_session_create(struct tl_store *s, struct tl_session *in,
                              const unsigned char *replace)
{
    struct session_create_ctx x = {in, replace};

    if (in == NULL || in->csrf_token == NULL || in->user_id < 1)
        return TL_ERR_INVALID;
    return sq_run_job((struct sqlite_store *)s, session_create_job, &x);
}

static const char SQL_SESSION_GET[] =
    "SELECT s.id, s.user_id, u.email, u.account_id, a.kind, a.name, s.csrf_token, s.created_at,"
    " s.expires_at FROM session s JOIN app_user u ON u.id = s.user_id"
    " JOIN account a ON a.id = u.account_id WHERE s.token_hash = ?1 AND s.expires_at > ?2";

enum tl_err sq_session_get(struct tl_store *s, const unsigned char token_hash[32], int64_t now_ms,
                           struct tl_arena *a, struct tl_session *out)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err = sq_reader((struct sqlite_store *)s, &c);

    if (err != TL_OK)
        return err;
    err = sq_prep(c, SQL_SESSION_GET, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_blob(q, 1, token_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now_ms);
    err = sq_step_row(c, q);
    if (err != TL_OK)
        goto out;
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(q, 0);
    memcpy(out->token_hash, token_hash, 32);
    out->user_id = sqlite3_column_int64(q, 1);
    err = sq_col_str(q, 2, a, &out->user_email);
    out->actor.account_id = sqlite3_column_int64(q, 3);
    if (err == TL_OK)
        err = col_kind(q, 4, &out->actor.kind);
    if (err == TL_OK)
        err = sq_col_str(q, 5, a, &out->account_name);
    if (err == TL_OK)
        err = sq_col_str(q, 6, a, &out->csrf_token);
    out->created_at = sqlite3_column_int64(q, 7);
    out->expires_at = sqlite3_column_int64(q, 8);
out:
    sq_done(q);
    return err;
}

static const char SQL_SESSION_TOUCH[] = "UPDATE session SET expires_at = ?2 WHERE id = ?1"
                                        " AND expires_at < ?2";

enum tl_err sq_session_touch(struct tl_store *s, int64_t id, int64_t expires_at)
{
    return touch_submit(s, SQL_SESSION_TOUCH, id, expires_at);
}

static enum tl_err session_delete_job(struct conn *c, void *arg)
{
    sqlite3_stmt *s;
    enum tl_err err = sq_prep(c, SQL_SESSION_DELETE, &s);

    if (err != TL_OK)
        return err;
    sqlite3_bind_blob(s, 1, arg, 32, SQLITE_STATIC);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err == TL_OK && sqlite3_changes(c->db) == 0)
        err = TL_ERR_NOTFOUND;
    return err;
}

enum tl_err sq_session_delete(struct tl_store *s, const unsigned char token_hash[32])
{
    return sq_run_job((struct sqlite_store *)s, session_delete_job, (void *)token_hash);
}
