/*
 * programs.c: programs, their landing pages and their partners
 * (/api/v1/programs...). Brand keys only (routes.c holds the kind mask).
 *
 * Every landing page, the program's default included, goes through the
 * landing-page gate of core/url.h against the program's permitted domains,
 * which are stored normalised (lower case, punycode). Checks run in the
 * contract's order: the program (404), then the body's types (400), then
 * its values field by field (422).
 */
#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"
#include "core/currency.h"
#include "core/url.h"

#include <sodium.h>
#include <string.h>

#define CLICK_ID_PARAM_MAX 64
#define WINDOW_MIN 1
#define WINDOW_MAX 3650
#define WINDOW_DEFAULT 30
#define DOMAIN_INPUT_MAX 1024 /* bytes of one permitted-domain entry as sent */
#define POSTBACK_KEY_PREFIX "pbk_"

static const struct tl_in_field program_types[] = {
    {"name", "name", TL_IN_STR},
    {"default_landing_page", "default_landing_page", TL_IN_STR},
    {"permitted_domains", "permitted_domains", TL_IN_STRS},
    {"click_id_param", "click_id_param", TL_IN_STR},
    {"referral_window_days", "referral_window_days", TL_IN_INT},
    {"currency", "currency", TL_IN_STR},
};

static const struct tl_in_field landing_page_types[] = {
    {"name", "name", TL_IN_STR},
    {"url", "url", TL_IN_STR},
};

static const struct tl_in_field membership_types[] = {
    {"partner_id", "partner_id", TL_IN_INT},
};

static enum tl_err oom(struct tl_problem *prob)
{
    return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
}

/* A store failure as a problem; 404s name what was not found. */
static enum tl_err store_fail(struct tl_problem *prob, enum tl_err err, const char *what)
{
    if (err == TL_ERR_NOTFOUND)
        return tl_problem_set(prob, err, "not_found", NULL, "%s not found", what);
    if (err == TL_ERR_CONFLICT)
        return tl_problem_set(prob, err, "conflict", NULL, "%s conflicts with the current state",
                              what);
    return tl_problem_set(prob, err, NULL, NULL, "storage failed for %s", what);
}

/* "pbk_" + base64url of 32 random bytes, in the arena. */
static char *new_postback_key(struct tl_arena *a)
{
    unsigned char raw[32];
    size_t plen = sizeof(POSTBACK_KEY_PREFIX) - 1;
    size_t cap = plen + sodium_base64_ENCODED_LEN(sizeof(raw),
                                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *key = tl_arena_alloc(a, cap);

    if (key == NULL)
        return NULL;
    randombytes_buf(raw, sizeof(raw));
    memcpy(key, POSTBACK_KEY_PREFIX, plen);
    sodium_bin2base64(key + plen, cap - plen, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    return key;
}

/*
 * Reads permitted_domains (a non-empty array of at most TL_DOMAINS_MAX
 * entries), normalises each and drops repeats, keeping the order given.
 */
static enum tl_err read_domains(struct tl_arena *a, json_t *body, bool required,
                                const char ***out, size_t *n, bool *present,
                                struct tl_problem *prob)
{
    const char **raw, **norm;
    size_t n_raw, i, j, k = 0;
    char buf[TL_URL_HOST_LEN];
    enum tl_err err;

    err = tl_in_strs(a, body, "permitted_domains", "permitted_domains", required,
                     DOMAIN_INPUT_MAX, TL_DOMAINS_MAX, &raw, &n_raw, present, prob);
    if (err != TL_OK || !*present)
        return err;
    if (n_raw == 0)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "permitted_domains",
                              "permitted_domains must hold at least one domain");
    norm = tl_arena_alloc(a, n_raw * sizeof(*norm));
    if (norm == NULL)
        return oom(prob);
    for (i = 0; i < n_raw; i++) {
        err = tl_url_domain_normalize(raw[i], buf, sizeof(buf), prob);
        if (err != TL_OK)
            return err;
        for (j = 0; j < k && strcmp(norm[j], buf) != 0; j++)
            ;
        if (j < k)
            continue;
        norm[k] = tl_arena_strdup(a, buf);
        if (norm[k] == NULL)
            return oom(prob);
        k++;
    }
    *out = norm;
    *n = k;
    return TL_OK;
}

/* Runs url through the landing-page gate of p's domains; *out is arena memory. */
static enum tl_err landing_check(struct tl_arena *a, const char *url, const char **domains,
                                 size_t n, const char *field, const char **out,
                                 struct tl_problem *prob)
{
    char *buf = tl_arena_alloc(a, TL_URL_MAX + 1);
    enum tl_err err;

    if (buf == NULL)
        return oom(prob);
    err = tl_url_landing_check(url, domains, n, field, buf, TL_URL_MAX + 1, prob);
    if (err != TL_OK)
        return err;
    *out = buf;
    return TL_OK;
}

/* [A-Za-z0-9_-]{1,64} */
static bool click_id_param_ok(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return i >= 1 && i <= CLICK_ID_PARAM_MAX;
}

static bool currency_ok(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    return i == 3 && tl_currency_valid(s);
}

/*
 * Reads the optional settings shared by create and PATCH into p, leaving
 * fields that are absent as they are.
 */
static enum tl_err read_settings(json_t *body, struct tl_program *p, struct tl_problem *prob)
{
    const char *s;
    int64_t n;
    bool present;
    enum tl_err err;

    err = tl_in_str(body, "click_id_param", "click_id_param", false, 0, &s, prob);
    if (err != TL_OK)
        return err;
    if (s != NULL) {
        if (!click_id_param_ok(s))
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "click_id_param",
                                  "click_id_param must be 1-64 of A-Z a-z 0-9 _ -");
        p->click_id_param = s;
    }
    err = tl_in_int(body, "referral_window_days", "referral_window_days", false, WINDOW_MIN,
                    WINDOW_MAX, NULL, &n, &present, prob);
    if (err != TL_OK)
        return err;
    if (present)
        p->referral_window_days = (int)n;
    err = tl_in_str(body, "currency", "currency", false, 0, &s, prob);
    if (err != TL_OK)
        return err;
    if (s != NULL) {
        if (!currency_ok(s))
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "currency",
                                  "currency must be an ISO 4217 code in upper case");
        p->currency = s;
    }
    return TL_OK;
}

/* Reads program id back and answers it with status. */
static enum tl_err answer_program(struct tl_req *req, struct tl_resp *resp, int64_t id,
                                  int status, struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    enum tl_err err;

    err = TL_STORE(app->store, program_get, &req->actor, id, req->arena, &p);
    if (err != TL_OK)
        return store_fail(prob, err, "program");
    err = tl_out_json(resp, status, tl_out_program(&p, req->actor.kind != TL_ACCOUNT_PARTNER));
    return err != TL_OK ? oom(prob) : TL_OK;
}

/* The program of the path ({id} first), or 404. */
static enum tl_err path_program(struct tl_req *req, struct tl_program *p, struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    enum tl_err err;

    err = TL_STORE(app->store, program_get, &req->actor, req->ids[0], req->arena, p);
    return err != TL_OK ? store_fail(prob, err, "program") : TL_OK;
}

TL_HANDLER(tl_api_programs_create)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    json_t *body = NULL;
    const char *dlp;
    bool present;
    int64_t id = 0;
    enum tl_err err;

    memset(&p, 0, sizeof(p));
    p.click_id_param = "clickid";
    p.referral_window_days = WINDOW_DEFAULT;
    p.currency = "USD";
    p.brand_id = req->actor.account_id;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_types(body, program_types, sizeof(program_types) / sizeof(program_types[0]),
                      prob);
    if (err != TL_OK)
        goto out;
    err = tl_in_str(body, "name", "name", true, TL_NAME_MAX, &p.name, prob);
    if (err != TL_OK)
        goto out;
    /* Not required by tl_in_str: "" is a bad landing page, not a missing one. */
    err = tl_in_str(body, "default_landing_page", "default_landing_page", false, 0, &dlp, prob);
    if (err == TL_OK && dlp == NULL)
        err = tl_problem_set(prob, TL_ERR_INVALID, "missing_field", "default_landing_page",
                             "default_landing_page is required");
    if (err != TL_OK)
        goto out;
    err = read_domains(req->arena, body, true, &p.permitted_domains, &p.n_permitted_domains,
                       &present, prob);
    if (err != TL_OK)
        goto out;
    err = landing_check(req->arena, dlp, p.permitted_domains, p.n_permitted_domains,
                        "default_landing_page", &p.default_landing_page, prob);
    if (err != TL_OK)
        goto out;
    err = read_settings(body, &p, prob);
    if (err != TL_OK)
        goto out;
    p.postback_key = new_postback_key(req->arena);
    if (p.postback_key == NULL) {
        err = oom(prob);
        goto out;
    }
    err = TL_STORE(app->store, program_create, &req->actor, &p, &id);
    if (err != TL_OK) {
        err = store_fail(prob, err, "program");
        goto out;
    }
    err = answer_program(req, resp, id, 201, prob);
out:
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_programs_list)
{
    struct tl_app *app = req->app;
    struct tl_program *items = NULL;
    struct tl_page page;
    json_t *data;
    size_t n = 0, i;
    bool more = false;
    enum tl_err err;

    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, program_list, &req->actor, &page, req->arena, &items, &n, &more);
    if (err != TL_OK)
        return store_fail(prob, err, "programs");
    data = json_array();
    if (data == NULL)
        return oom(prob);
    for (i = 0; i < n; i++) {
        if (json_array_append_new(data, tl_out_program(&items[i], true)) != 0) {
            json_decref(data);
            return oom(prob);
        }
    }
    err = tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
    return err != TL_OK ? oom(prob) : TL_OK;
}

TL_HANDLER(tl_api_programs_get)
{
    return answer_program(req, resp, req->ids[0], 200, prob);
}

TL_HANDLER(tl_api_programs_patch)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    json_t *body = NULL;
    const char *name, *dlp, **domains;
    size_t n_domains;
    bool domains_given;
    enum tl_err err;

    err = path_program(req, &p, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_types(body, program_types, sizeof(program_types) / sizeof(program_types[0]),
                      prob);
    if (err != TL_OK)
        goto out;
    /* Absent or null leaves a field as it is; an empty name is refused. */
    err = tl_in_str(body, "name", "name", false, TL_NAME_MAX, &name, prob);
    if (err != TL_OK)
        goto out;
    if (name != NULL && name[0] == '\0') {
        err = tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "name",
                             "name must not be empty");
        goto out;
    }
    if (name != NULL)
        p.name = name;
    err = tl_in_str(body, "default_landing_page", "default_landing_page", false, 0, &dlp, prob);
    if (err != TL_OK)
        goto out;
    err = read_domains(req->arena, body, false, &domains, &n_domains, &domains_given, prob);
    if (err != TL_OK)
        goto out;
    if (domains_given) {
        p.permitted_domains = domains;
        p.n_permitted_domains = n_domains;
    }
    if (dlp != NULL || domains_given) {
        err = landing_check(req->arena, dlp != NULL ? dlp : p.default_landing_page,
                            p.permitted_domains, p.n_permitted_domains, "default_landing_page",
                            &p.default_landing_page, prob);
        if (err != TL_OK)
            goto out;
    }
    err = read_settings(body, &p, prob);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, program_update, &req->actor, &p);
    if (err != TL_OK) {
        err = store_fail(prob, err, "program");
        goto out;
    }
    err = answer_program(req, resp, p.id, 200, prob);
out:
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_programs_rotate_key)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    enum tl_err err;

    err = path_program(req, &p, prob);
    if (err != TL_OK)
        return err;
    p.postback_key = new_postback_key(req->arena);
    if (p.postback_key == NULL)
        return oom(prob);
    err = TL_STORE(app->store, program_update, &req->actor, &p);
    if (err != TL_OK)
        return store_fail(prob, err, "program");
    return answer_program(req, resp, p.id, 200, prob);
}

TL_HANDLER(tl_api_landing_pages_create)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    struct tl_landing_page lp;
    json_t *body = NULL;
    const char *url;
    int64_t id = 0;
    enum tl_err err;

    err = path_program(req, &p, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    memset(&lp, 0, sizeof(lp));
    lp.program_id = p.id;
    err = tl_in_types(body, landing_page_types,
                      sizeof(landing_page_types) / sizeof(landing_page_types[0]), prob);
    if (err != TL_OK)
        goto out;
    err = tl_in_str(body, "name", "name", true, TL_NAME_MAX, &lp.name, prob);
    if (err != TL_OK)
        goto out;
    err = tl_in_str(body, "url", "url", false, 0, &url, prob);
    if (err == TL_OK && url == NULL)
        err = tl_problem_set(prob, TL_ERR_INVALID, "missing_field", "url", "url is required");
    if (err != TL_OK)
        goto out;
    err = landing_check(req->arena, url, p.permitted_domains, p.n_permitted_domains, "url",
                        &lp.url, prob);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, landing_page_create, &req->actor, &lp, &id);
    if (err != TL_OK) {
        err = store_fail(prob, err, "landing page");
        goto out;
    }
    err = TL_STORE(app->store, landing_page_get, &req->actor, id, req->arena, &lp);
    if (err != TL_OK) {
        err = store_fail(prob, err, "landing page");
        goto out;
    }
    err = tl_out_json(resp, 201, tl_out_landing_page(&lp));
    if (err != TL_OK)
        err = oom(prob);
out:
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_landing_pages_list)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    struct tl_landing_page *items = NULL;
    struct tl_page page;
    json_t *data;
    size_t n = 0, i;
    bool more = false;
    enum tl_err err;

    err = path_program(req, &p, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, landing_page_list, &req->actor, p.id, &page, req->arena, &items,
                   &n, &more);
    if (err != TL_OK)
        return store_fail(prob, err, "landing pages");
    data = json_array();
    if (data == NULL)
        return oom(prob);
    for (i = 0; i < n; i++) {
        if (json_array_append_new(data, tl_out_landing_page(&items[i])) != 0) {
            json_decref(data);
            return oom(prob);
        }
    }
    err = tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
    return err != TL_OK ? oom(prob) : TL_OK;
}

/*
 * The membership of partner_id in program_id as the list shows it (the
 * list pages by partner id). Falls back to the account when the list does
 * not show it, which only a concurrent change could cause.
 */
static enum tl_err find_membership(struct tl_req *req, int64_t program_id, int64_t partner_id,
                                   struct tl_membership *out)
{
    struct tl_app *app = req->app;
    struct tl_page page = {partner_id - 1, 1};
    struct tl_membership *items = NULL;
    struct tl_account acc;
    size_t n = 0;
    bool more = false;
    enum tl_err err;

    err = TL_STORE(app->store, program_partner_list, &req->actor, program_id, &page, req->arena,
                   &items, &n, &more);
    if (err == TL_OK && n == 1 && items[0].partner_id == partner_id) {
        *out = items[0];
        return TL_OK;
    }
    err = TL_STORE(app->store, account_get, partner_id, req->arena, &acc);
    if (err != TL_OK)
        return err;
    out->partner_id = acc.id;
    out->name = acc.name;
    out->email = acc.email;
    out->created_at = 0;
    return TL_OK;
}

TL_HANDLER(tl_api_program_partners_add)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    struct tl_membership m;
    json_t *body = NULL;
    int64_t partner_id = 0;
    bool created = false;
    enum tl_err err;

    err = path_program(req, &p, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_types(body, membership_types, 1, prob);
    if (err != TL_OK)
        goto out;
    err = tl_in_int(body, "partner_id", "partner_id", true, 1, TL_JSON_INT_MAX, NULL,
                    &partner_id, NULL, prob);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, program_partner_add, &req->actor, p.id, partner_id, &created);
    if (err == TL_ERR_NOTFOUND) {
        /* The program was found above, so it is the partner that is not. */
        err = tl_problem_set(prob, err, "not_found", "partner_id", "no partner with id %lld",
                             (long long)partner_id);
        goto out;
    }
    if (err != TL_OK) {
        err = store_fail(prob, err, "membership");
        goto out;
    }
    err = find_membership(req, p.id, partner_id, &m);
    if (err != TL_OK) {
        err = store_fail(prob, err, "membership");
        goto out;
    }
    err = tl_out_json(resp, created ? 201 : 200, tl_out_membership(&m, "program_id", p.id));
    if (err != TL_OK)
        err = oom(prob);
out:
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_program_partners_list)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    struct tl_membership *items = NULL;
    struct tl_page page;
    json_t *data;
    size_t n = 0, i;
    bool more = false;
    enum tl_err err;

    err = path_program(req, &p, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, program_partner_list, &req->actor, p.id, &page, req->arena,
                   &items, &n, &more);
    if (err != TL_OK)
        return store_fail(prob, err, "program partners");
    data = json_array();
    if (data == NULL)
        return oom(prob);
    for (i = 0; i < n; i++) {
        if (json_array_append_new(data, tl_out_membership(&items[i], "program_id", p.id)) != 0) {
            json_decref(data);
            return oom(prob);
        }
    }
    err = tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].partner_id : 0));
    return err != TL_OK ? oom(prob) : TL_OK;
}
