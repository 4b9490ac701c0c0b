/*
 * auth.c: turns a request into its caller (struct tl_actor): the server's
 * authentication hook.
 *
 * Two ways in:
 * - "Authorization: Bearer <key>": the admin key, or an account's API key.
 *   Keys are compared only as BLAKE2b-256 hashes: the admin key's hash in
 *   constant time, the others by the store's lookup of the hash (a unique
 *   index), so no key text is ever stored or compared. When the header is
 *   sent it decides alone (a bearer key wins over a cookie).
 * - The UI's session cookie (tl_session), looked up by its hash. A write
 *   (POST, PUT, PATCH, DELETE) made with it must also carry the session's
 *   X-CSRF-Token, and an Origin, when sent, equal to the public URL's.
 *
 * Keys the store knew are remembered here for a while, so that an API
 * request does not pay a store read to learn who is calling; a revoked key
 * is forgotten in the same moment: the store announces it
 * (tl_api_keys_on_change). The last-used time
 * of a key and the idle expiry of a session are written at most once a
 * minute each, by store jobs that nobody waits for.
 */
#include "api/api.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "core/time.h"

#define KEY_MAX 256 /* longer keys are refused before hashing */

/*
 * Recently seen keys, direct-mapped by the hash. The time to live bounds
 * how long a change the cache is not told about could go unseen; a
 * revocation tells it (tl_api_keys_on_change). gen counts forgets: a lookup
 * that started before one does not remember what it read, since that may
 * be the key just revoked.
 */
#define KEY_CACHE        1024
#define KEY_TTL_MS       60000
#define KEY_TOUCH_MS     60000 /* last_used_at is written at most this often */
#define SESSION_TOUCH_MS 60000 /* and a session's expiry moved */

struct key_entry {
    const void *store;
    unsigned char hash[32];
    struct tl_actor actor;
    int64_t key_id;
    int64_t expires;
    int64_t touched; /* the last_used_at written or queued last */
};

static struct key_entry key_cache[KEY_CACHE];
static uint64_t key_gen;
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;

static struct key_entry *key_slot(const unsigned char hash[32])
{
    return &key_cache[(hash[0] | (unsigned)hash[1] << 8) % KEY_CACHE];
}

/* A hit fills *out; *touch_id is the key whose last use is due for a write
 * (0 for none). */
static bool key_cached(const void *store, const unsigned char hash[32], int64_t now,
                       struct tl_actor *out, int64_t *touch_id)
{
    struct key_entry *e = key_slot(hash);
    bool hit;

    *touch_id = 0;
    pthread_mutex_lock(&key_mu);
    hit = e->store == store && e->expires > now && sodium_memcmp(e->hash, hash, 32) == 0;
    if (hit) {
        *out = e->actor;
        if (now - e->touched >= KEY_TOUCH_MS) {
            e->touched = now;
            *touch_id = e->key_id;
        }
    }
    pthread_mutex_unlock(&key_mu);
    return hit;
}

static void key_remember(const void *store, const unsigned char hash[32],
                         const struct tl_actor *actor, int64_t key_id, int64_t touched,
                         uint64_t gen, int64_t now)
{
    struct key_entry *e = key_slot(hash);

    pthread_mutex_lock(&key_mu);
    if (gen == key_gen) {
        e->store = store;
        memcpy(e->hash, hash, 32);
        e->actor = *actor;
        e->key_id = key_id;
        e->expires = now + KEY_TTL_MS;
        e->touched = touched;
    }
    pthread_mutex_unlock(&key_mu);
}

void tl_api_keys_on_change(void *store, const struct tl_change *change)
{
    struct key_entry *e;

    if (change->kind == TL_CHANGE_ALL) {
        pthread_mutex_lock(&key_mu);
        key_gen++;
        for (size_t i = 0; i < KEY_CACHE; i++)
            if (key_cache[i].store == store)
                memset(&key_cache[i], 0, sizeof(key_cache[i]));
        pthread_mutex_unlock(&key_mu);
        return;
    }
    if (change->kind != TL_CHANGE_API_KEY_REVOKED || change->key_hash == NULL)
        return;
    e = key_slot(change->key_hash);
    pthread_mutex_lock(&key_mu);
    key_gen++;
    if (e->store == store && sodium_memcmp(e->hash, change->key_hash, 32) == 0)
        memset(e, 0, sizeof(*e));
    pthread_mutex_unlock(&key_mu);
}

void tl_api_key_hash(const char *key, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)key, strlen(key), NULL, 0);
}

static enum tl_err unauthorized(struct tl_problem *prob, const char *detail)
{
    return tl_problem_set(prob, TL_ERR_UNAUTHORIZED, "unauthorized", NULL, "%s", detail);
}

static enum tl_err csrf_invalid(struct tl_problem *prob, const char *detail)
{
    return tl_problem_set(prob, TL_ERR_FORBIDDEN, "csrf_invalid", NULL, "%s", detail);
}

static enum tl_err bearer(struct tl_app *app, const char *authorization, struct tl_actor *out,
                          bool may_block, struct tl_problem *prob)
{
    char key[KEY_MAX + 1];
    unsigned char hash[32];
    const char *p = authorization;
    int64_t now, key_id = 0, last_used = 0, touch_id;
    uint64_t gen;
    size_t len;
    enum tl_err err;

    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
        return unauthorized(prob, "a valid API key is required");
    p += 6;
    while (*p == ' ' || *p == '\t')
        p++;
    len = strlen(p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len == 0 || len > KEY_MAX)
        return unauthorized(prob, "a valid API key is required");
    memcpy(key, p, len);
    key[len] = '\0';
    tl_api_key_hash(key, hash);
    sodium_memzero(key, sizeof(key));
    if (app->has_admin_key && sodium_memcmp(hash, app->admin_key_hash, 32) == 0) {
        out->account_id = 0;
        out->kind = TL_ACCOUNT_ADMIN;
        return TL_OK;
    }
    now = tl_time_now_ms();
    if (key_cached(app->store, hash, now, out, &touch_id)) {
        if (touch_id != 0)
            TL_STORE(app->store, api_key_touch, touch_id, now);
        return TL_OK;
    }
    if (!may_block)
        return TL_ERR_AGAIN;
    pthread_mutex_lock(&key_mu);
    gen = key_gen;
    pthread_mutex_unlock(&key_mu);
    err = TL_STORE(app->store, actor_by_key, hash, out, &key_id, &last_used);
    if (err == TL_ERR_NOTFOUND)
        return unauthorized(prob, "a valid API key is required");
    if (err != TL_OK)
        return tl_problem_set(prob, err, NULL, NULL, "could not check the API key");
    if (now - last_used >= KEY_TOUCH_MS) {
        TL_STORE(app->store, api_key_touch, key_id, now);
        last_used = now;
    }
    key_remember(app->store, hash, out, key_id, last_used, gen, now);
    return TL_OK;
}

/* ---- sessions ---- */

const char *tl_api_session_token(const struct tl_req *req, char out[TL_SESSION_TOKEN_LEN + 1])
{
    const char *h = tl_req_header(req, "Cookie"), *p, *end, *v;
    const size_t name_len = sizeof(TL_SESSION_COOKIE) - 1;
    size_t len;

    /* cookie-string = cookie-pair *( ";" SP cookie-pair ) (RFC 6265 5.4);
     * the first pair of our name counts, as browsers send the most
     * specific one first. */
    for (p = h; p != NULL && *p != '\0'; p = end) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        end = strchr(p, ';');
        if (end == NULL)
            end = p + strlen(p);
        if ((size_t)(end - p) <= name_len || strncmp(p, TL_SESSION_COOKIE, name_len) != 0 ||
            p[name_len] != '=')
            continue;
        v = p + name_len + 1;
        len = (size_t)(end - v);
        while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
            len--;
        if (len != TL_SESSION_TOKEN_LEN)
            return NULL;
        memcpy(out, v, len);
        out[len] = '\0';
        return out;
    }
    return NULL;
}

enum tl_err tl_api_session_find(struct tl_app *app, const struct tl_req *req,
                                struct tl_session *out, struct tl_problem *prob)
{
    char token[TL_SESSION_TOKEN_LEN + 1];
    unsigned char hash[32];
    int64_t now = tl_time_now_ms();
    enum tl_err err;

    if (tl_api_session_token(req, token) == NULL)
        return unauthorized(prob, "sign in first: no session cookie");
    tl_api_key_hash(token, hash);
    sodium_memzero(token, sizeof(token));
    err = TL_STORE(app->store, session_get, hash, now, req->arena, out);
    if (err == TL_ERR_NOTFOUND)
        return unauthorized(prob, "the session has ended or expired; sign in again");
    if (err != TL_OK)
        return tl_problem_set(prob, err, NULL, NULL, "could not read the session");
    /* Sliding idle expiry, written at most once a minute. */
    if (out->expires_at - now < TL_SESSION_IDLE_MS - SESSION_TOUCH_MS) {
        out->expires_at = now + TL_SESSION_IDLE_MS;
        TL_STORE(app->store, session_touch, out->id, out->expires_at);
    }
    return TL_OK;
}

enum tl_err tl_api_origin_check(const struct tl_app *app, const struct tl_req *req,
                                struct tl_problem *prob)
{
    const char *origin = tl_req_header(req, "Origin");
    const char *pub = app->public_url, *host, *slash;
    size_t len;

    if (origin == NULL)
        return TL_OK;
    /* The public URL's origin: scheme "://" authority. */
    host = strstr(pub, "://");
    if (host == NULL)
        return csrf_invalid(prob, "the server's public URL has no origin");
    slash = strchr(host + 3, '/');
    len = slash != NULL ? (size_t)(slash - pub) : strlen(pub);
    if (strlen(origin) != len || strncasecmp(origin, pub, len) != 0)
        return csrf_invalid(prob, "the Origin header is not the server's public URL");
    return TL_OK;
}

enum tl_err tl_api_csrf_check(const struct tl_app *app, const struct tl_req *req,
                              const struct tl_session *s, struct tl_problem *prob)
{
    const char *sent = tl_req_header(req, "X-CSRF-Token");
    size_t len;
    enum tl_err err;

    err = tl_api_origin_check(app, req, prob);
    if (err != TL_OK)
        return err;
    if (sent == NULL)
        return csrf_invalid(prob, "a write with the session cookie needs X-CSRF-Token");
    len = strlen(s->csrf_token);
    if (strlen(sent) != len || sodium_memcmp(sent, s->csrf_token, len) != 0)
        return csrf_invalid(prob, "X-CSRF-Token is not this session's");
    return TL_OK;
}

static bool is_write(enum tl_method m)
{
    return m == TL_POST || m == TL_PUT || m == TL_PATCH || m == TL_DELETE;
}

static enum tl_err authenticate(void *app_, const struct tl_req *req, struct tl_actor *out,
                                struct tl_problem *prob, bool may_block)
{
    struct tl_app *app = app_;
    struct tl_session s;
    const char *authorization = tl_req_header(req, "Authorization");
    enum tl_err err;

    if (authorization != NULL)
        return bearer(app, authorization, out, may_block, prob);
    /* A session costs a store read: not on a thread that must not block. */
    if (!may_block)
        return TL_ERR_AGAIN;
    if (tl_req_header(req, "Cookie") == NULL)
        return unauthorized(prob, "a valid API key is required");
    err = tl_api_session_find(app, req, &s, prob);
    if (err == TL_OK && is_write(req->method))
        err = tl_api_csrf_check(app, req, &s, prob);
    if (err != TL_OK)
        return err;
    *out = s.actor;
    return TL_OK;
}

enum tl_err tl_api_authenticate(void *app, const struct tl_req *req, struct tl_actor *out,
                                struct tl_problem *prob)
{
    return authenticate(app, req, out, prob, true);
}

enum tl_err tl_api_authenticate_cached(void *app, const struct tl_req *req, struct tl_actor *out,
                                       struct tl_problem *prob)
{
    return authenticate(app, req, out, prob, false);
}
