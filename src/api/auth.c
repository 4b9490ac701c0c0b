/*
 * auth.c: turns an "Authorization: Bearer <key>" header into the caller
 * (struct tl_actor). Keys are compared only as BLAKE2b-256 hashes: the
 * admin key's hash in constant time, the others by the store's lookup of
 * the hash (a unique index), so no key text is ever stored or compared.
 */
#include "api/api.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#define KEY_MAX 256 /* longer keys are refused before hashing */

void tl_api_key_hash(const char *key, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)key, strlen(key), NULL, 0);
}

enum tl_err tl_api_authenticate(void *app_, const char *authorization, struct tl_actor *out)
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
    err = TL_STORE(app->store, actor_by_key, hash, out);
    if (err != TL_OK)
        return TL_ERR_UNAUTHORIZED;
    return TL_OK;
}
