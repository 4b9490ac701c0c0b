/*
 * accounts.c: creating brand and partner accounts (POST /api/v1/brands,
 * /api/v1/partners, and `tracklink admin create-*`), each with a fresh API
 * key shown once and stored only as a hash, and an optional UI login whose
 * password is kept as an argon2id string. Also makes the keys of keys.c.
 */
#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"

#include <sodium.h>
#include <string.h>

#define EMAIL_MAX 254
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024
#define KEY_BYTES 32
#define KEY_PREFIX "tlk_"

/* One "@" with something on both sides, and no spaces or controls. */
static bool email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    size_t i;

    if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return false;
    for (i = 0; s[i] != '\0'; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false;
    return true;
}

static enum tl_err read_email(json_t *obj, const char *field, const char **out,
                              struct tl_problem *prob)
{
    enum tl_err err = tl_in_str(obj, "email", field, true, EMAIL_MAX, out, prob);

    if (err != TL_OK)
        return err;
    if (!email_ok(*out))
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field,
                              "%s must be an email address", field);
    return TL_OK;
}

void tl_api_key_new(char key[TL_API_KEY_LEN + 1], char prefix[TL_API_KEY_PREFIX_LEN + 1],
                    unsigned char hash[32])
{
    unsigned char raw[KEY_BYTES];

    randombytes_buf(raw, sizeof(raw));
    memcpy(key, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
    sodium_bin2base64(key + sizeof(KEY_PREFIX) - 1, TL_API_KEY_LEN + 1 - (sizeof(KEY_PREFIX) - 1),
                      raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    memcpy(prefix, key, TL_API_KEY_PREFIX_LEN);
    prefix[TL_API_KEY_PREFIX_LEN] = '\0';
    tl_api_key_hash(key, hash);
}

enum tl_err tl_api_account_create(struct tl_app *app, enum tl_account_kind kind, json_t *body,
                                  json_t **out, struct tl_problem *prob)
{
    static const struct tl_in_field types[] = {
        {"name", "name", TL_IN_STR},
        {"email", "email", TL_IN_STR},
        {"user", "user", TL_IN_OBJ},
    };
    static const struct tl_in_field user_types[] = {
        {"email", "user.email", TL_IN_STR},
        {"password", "user.password", TL_IN_STR},
    };
    struct tl_account_new in;
    struct tl_account acc;
    struct tl_arena *arena = NULL;
    json_t *user = NULL, *o = NULL;
    const char *password = NULL;
    char key[TL_API_KEY_LEN + 1], prefix[TL_API_KEY_PREFIX_LEN + 1];
    char pw_hash[crypto_pwhash_STRBYTES];
    int64_t id = 0;
    enum tl_err err;
    int rc = 0;

    *out = NULL;
    memset(&in, 0, sizeof(in));
    in.kind = kind;
    err = tl_in_types(body, types, kind == TL_ACCOUNT_PARTNER ? 3 : 1, prob);
    if (err == TL_OK && kind != TL_ACCOUNT_PARTNER)
        err = tl_in_types(body, types + 2, 1, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_obj(body, "user", "user", false, &user, prob);
    if (err == TL_OK && user != NULL)
        err = tl_in_types(user, user_types, 2, prob);
    if (err != TL_OK)
        return err;

    err = tl_in_str(body, "name", "name", true, TL_NAME_MAX, &in.name, prob);
    if (err != TL_OK)
        return err;
    if (kind == TL_ACCOUNT_PARTNER) {
        err = read_email(body, "email", &in.email, prob);
        if (err != TL_OK)
            return err;
    }
    if (user != NULL) {
        err = read_email(user, "user.email", &in.user_email, prob);
        if (err != TL_OK)
            return err;
        err = tl_in_str(user, "password", "user.password", true, PASSWORD_MAX, &password, prob);
        if (err != TL_OK)
            return err;
        if (strlen(password) < PASSWORD_MIN)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "user.password",
                                  "user.password must be at least %d bytes", PASSWORD_MIN);
        if (crypto_pwhash_str(pw_hash, password, strlen(password),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory hashing");
        in.user_pw_hash = pw_hash;
    }

    tl_api_key_new(key, prefix, in.key_hash);
    in.key_prefix = prefix;
    in.key_name = "default";

    err = TL_STORE(app->store, account_create, &in, &id);
    if (err == TL_ERR_CONFLICT) {
        err = tl_problem_set(prob, err, "conflict", in.user_email != NULL ? "user.email" : NULL,
                             in.user_email != NULL ? "user.email is already taken"
                                                   : "the account conflicts with another");
        goto out;
    }
    if (err != TL_OK) {
        err = tl_problem_set(prob, err, NULL, NULL, "could not create the account");
        goto out;
    }
    arena = tl_arena_new(64 * 1024);
    if (arena == NULL) {
        err = tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
        goto out;
    }
    err = TL_STORE(app->store, account_get, id, arena, &acc);
    if (err != TL_OK) {
        err = tl_problem_set(prob, err, NULL, NULL, "could not read the new account");
        goto out;
    }
    o = json_object();
    if (o == NULL) {
        err = tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
        goto out;
    }
    rc |= json_object_set_new(o, "id", json_integer(acc.id));
    rc |= json_object_set_new(o, "name", json_string(acc.name));
    if (kind == TL_ACCOUNT_PARTNER)
        rc |= json_object_set_new(o, "email", acc.email != NULL ? json_string(acc.email)
                                                                : json_null());
    rc |= json_object_set_new(o, "api_key", json_string(key));
    rc |= json_object_set_new(o, "created_at", tl_out_time(acc.created_at));
    if (rc != 0) {
        json_decref(o);
        err = tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
        goto out;
    }
    *out = o;
out:
    sodium_memzero(key, sizeof(key));
    sodium_memzero(pw_hash, sizeof(pw_hash));
    tl_arena_free(arena);
    return err;
}

static enum tl_err create(enum tl_account_kind kind, struct tl_req *req, struct tl_resp *resp,
                          struct tl_problem *prob)
{
    json_t *body = NULL, *out = NULL;
    enum tl_err err;

    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    err = tl_api_account_create(req->app, kind, body, &out, prob);
    json_decref(body);
    if (err != TL_OK)
        return err;
    return tl_out_json(resp, 201, out);
}

TL_HANDLER(tl_api_brands_create)
{
    return create(TL_ACCOUNT_BRAND, req, resp, prob);
}

TL_HANDLER(tl_api_partners_create)
{
    return create(TL_ACCOUNT_PARTNER, req, resp, prob);
}
