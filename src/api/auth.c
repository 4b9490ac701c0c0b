/*
 * auth.c: turns an "Authorization: Bearer <key>" header into the caller
 * (struct tl_actor). Keys are compared only as BLAKE2b-256 hashes: the
 * admin key's hash in constant time, the others by the store's lookup of
 * the hash (a unique index), so no key text is ever stored or compared.
 */
#include "api/api.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "core/time.h"

#define KEY_MAX 256 /* longer keys are refused before hashing */

/*
 * Recently seen keys, so that an API request does not pay a store read to
 * learn who is calling. Keys cannot be revoked yet; when they can, a
 * revocation must clear this too. Until then the time to live bounds how
 * long a removed key would still work. Only keys the store knew are kept.
 */
#define KEY_CACHE  1024 /* entries, direct-mapped by the hash */
#define KEY_TTL_MS 60000

struct key_entry {
    const void *store;
    unsigned char hash[32];
    struct tl_actor actor;
    int64_t expires;
};

static struct key_entry key_cache[KEY_CACHE];
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;

static struct key_entry *key_slot(const unsigned char hash[32])
{
    return &key_cache[(hash[0] | (unsigned)hash[1] << 8) % KEY_CACHE];
}

static bool key_cached(const void *store, const unsigned char hash[32], struct tl_actor *out)
{
    struct key_entry *e = key_slot(hash);
    bool hit;

    pthread_mutex_lock(&key_mu);
    hit =
        e->store == store && e->expires > tl_time_now_ms() && sodium_memcmp(e->hash, hash, 32) == 0;
    if (hit)
        *out = e->actor;
    pthread_mutex_unlock(&key_mu);
    return hit;
}

static void key_remember(const void *store, const unsigned char hash[32],
                         const struct tl_actor *actor)
{
    struct key_entry *e = key_slot(hash);

    pthread_mutex_lock(&key_mu);
    e->store = store;
    memcpy(e->hash, hash, 32);
    e->actor = *actor;
    e->expires = tl_time_now_ms() + KEY_TTL_MS;
    pthread_mutex_unlock(&key_mu);
}

void tl_api_key_hash(const char *key, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)key, strlen(key), NULL, 0);
}

static enum tl_err authenticate(void *app_, const char *authorization, struct tl_actor *out,
                                bool may_block)
{
    struct tl_app *app = app_;
    char key[KEY_MAX + 1];
    unsigned char hash[32];
    const char *p = authorization;
    size_t len;
    enum tl_err err;

    if (p == NULL)
        return TL_ERR_UNAUTHORIZED;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
        return TL_ERR_UNAUTHORIZED;
    p += 6;
    while (*p == ' ' || *p == '\t')
        p++;
    len = strlen(p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len == 0 || len > KEY_MAX)
        return TL_ERR_UNAUTHORIZED;
    memcpy(key, p, len);
    key[len] = '\0';
    tl_api_key_hash(key, hash);
    sodium_memzero(key, sizeof(key));
    if (app->has_admin_key && sodium_memcmp(hash, app->admin_key_hash, 32) == 0) {
        out->account_id = 0;
        out->kind = TL_ACCOUNT_ADMIN;
        return TL_OK;
    }
    if (key_cached(app->store, hash, out))
        return TL_OK;
    if (!may_block)
        return TL_ERR_AGAIN;
    err = TL_STORE(app->store, actor_by_key, hash, out);
    if (err != TL_OK)
        return TL_ERR_UNAUTHORIZED;
    key_remember(app->store, hash, out);
    return TL_OK;
}

enum tl_err tl_api_authenticate(void *app, const char *authorization, struct tl_actor *out)
{
    return authenticate(app, authorization, out, true);
}

enum tl_err tl_api_authenticate_cached(void *app, const char *authorization,
                                       struct tl_actor *out)
{
    return authenticate(app, authorization, out, false);
}
