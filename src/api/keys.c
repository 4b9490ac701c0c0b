/*
 * keys.c: an account's API keys (GET|POST /api/v1/api-keys,
 * DELETE /api/v1/api-keys/{id}).
 *
 * A brand or a partner manages its own keys (with a key or the UI's
 * session); the operator key manages any account's: it names the account
 * with account_id (a query parameter to list, a body field to create) and
 * revokes any key by id. A new key's secret is in the 201 answer only; the
 * store keeps its hash and its first characters (prefix) for display. A
 * revoked key's row is gone, and auth.c forgets it before the answer, so it
 * fails from the next request on, on every path. The last key of an account
 * without a UI login cannot be revoked (409 last_key): it is the account's
 * only way in.
 */
#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"

#include <sodium.h>
#include <string.h>

static enum tl_err oom(struct tl_problem *prob)
{
    return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
}

/* {"id","account_id","name","prefix","created_at","last_used_at"} */
static json_t *key_json(const struct tl_api_key *k)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)k->id, "account_id",
                     (json_int_t)k->account_id, "name", k->name != NULL ? k->name : "", "prefix",
                     k->prefix != NULL ? k->prefix : "", "created_at", tl_out_time(k->created_at),
                     "last_used_at", tl_out_time(k->last_used_at));
}

TL_HANDLER(tl_api_keys_list)
{
    struct tl_app *app = req->app;
    struct tl_api_key *items = NULL;
    struct tl_page page;
    json_t *data;
    int64_t account_id;
    size_t n = 0, i;
    bool more = false;
    enum tl_err err;

    err = tl_in_query_id(req, "account_id", &account_id, prob);
    if (err == TL_OK)
        err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    /* Another account's id names nothing the caller sees. */
    if (req->actor.kind == TL_ACCOUNT_ADMIN || account_id == 0 ||
        account_id == req->actor.account_id) {
        err = TL_STORE(app->store, api_key_list, &req->actor, account_id, &page, req->arena, &items,
                       &n, &more);
        if (err != TL_OK)
            return tl_problem_set(prob, err, NULL, NULL, "could not list the API keys");
    }
    data = json_array();
    if (data == NULL)
        return oom(prob);
    for (i = 0; i < n; i++) {
        if (json_array_append_new(data, key_json(&items[i])) != 0) {
            json_decref(data);
            return oom(prob);
        }
    }
    err = tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
    return err != TL_OK ? oom(prob) : TL_OK;
}

TL_HANDLER(tl_api_keys_create)
{
    static const struct tl_in_field types[] = {
        {"name", "name", TL_IN_STR},
        {"account_id", "account_id", TL_IN_INT},
    };
    struct tl_app *app = req->app;
    struct tl_api_key k;
    json_t *body = NULL, *o;
    char key[TL_API_KEY_LEN + 1], prefix[TL_API_KEY_PREFIX_LEN + 1];
    unsigned char hash[32];
    bool admin = req->actor.kind == TL_ACCOUNT_ADMIN, present = false;
    enum tl_err err;

    memset(&k, 0, sizeof(k));
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_types(body, types, 2, prob);
    if (err == TL_OK)
        err = tl_in_str(body, "name", "name", true, TL_NAME_MAX, &k.name, prob);
    if (err == TL_OK)
        err = tl_in_int(body, "account_id", "account_id", admin, 1, INT64_MAX, NULL, &k.account_id,
                        &present, prob);
    if (err != TL_OK)
        goto out;
    if (!admin) {
        if (present && k.account_id != req->actor.account_id) {
            err =
                tl_problem_set(prob, TL_ERR_NOTFOUND, "not_found", "account_id", "no such account");
            goto out;
        }
        k.account_id = req->actor.account_id;
    }
    tl_api_key_new(key, prefix, hash);
    k.prefix = prefix;
    err = TL_STORE(app->store, api_key_create, &req->actor, &k, hash);
    if (err == TL_ERR_NOTFOUND) {
        err = tl_problem_set(prob, err, "not_found", "account_id",
                             "no brand or partner account has this id");
        goto out;
    }
    if (err != TL_OK) {
        err = tl_problem_set(prob, err, NULL, NULL, "could not create the API key");
        goto out;
    }
    o = key_json(&k);
    if (o == NULL || json_object_set_new(o, "api_key", json_string(key)) != 0) {
        json_decref(o);
        err = oom(prob);
        goto out;
    }
    err = tl_out_json(resp, 201, o);
out:
    sodium_memzero(key, sizeof(key));
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_keys_revoke)
{
    struct tl_app *app = req->app;
    unsigned char hash[32];
    enum tl_err err;

    err = TL_STORE(app->store, api_key_revoke, &req->actor, req->ids[0], hash);
    if (err == TL_ERR_NOTFOUND)
        return tl_problem_set(prob, err, "not_found", NULL, "no such API key");
    if (err == TL_ERR_CONFLICT)
        return tl_problem_set(prob, err, "last_key", NULL,
                              "this is the account's last key and it has no UI login: create "
                              "another key first");
    if (err != TL_OK)
        return tl_problem_set(prob, err, NULL, NULL, "could not revoke the API key");
    resp->status = 204;
    return TL_OK;
}
