/*
 * fuzz_api.c: the JSON bodies and query strings of the API's endpoints,
 * through the real handlers (the files of api/: tl_in_* of api/input.c and each
 * handler's own parse_* functions) on a SQLite store in memory.
 *
 * Once per process (and again every RESET_RUNS inputs, so that what the
 * fuzzer creates does not pile up) the store is opened and a world made
 * through the handlers themselves: a brand and a partner (by the operator),
 * a program, a campaign, a task, the partner in all three, a link.
 *
 * Input: the first byte picks an endpoint of the table below (method,
 * handler, caller, path ids); the rest is its body or, for a GET, its
 * query string ("a=1&b=2", taken as already URL-decoded, as the server
 * hands it over; GET /postback gets the program's key unless it names
 * one). Checked: whatever the input, the handler answers a 2xx
 * or a 4xx (a 5xx from input alone is a bug), a problem carries a code,
 * and an answer's JSON can be written out.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/handlers.h"
#include "core/arena.h"
#include "core/url.h"
#include "fuzz.h"
#include "http/internal.h"
#include "store/store.h"

#define ARENA_CAP  (4 * 1024 * 1024) /* the server's per-request cap */
#define RESET_RUNS 20000
#define QUERY_MAX  32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a request the handlers can read ---- */

struct fake {
    struct tl_kv q[QUERY_MAX];
    size_t nq;
};

static const char *fake_query(const struct tl_req *req, const char *key)
{
    const struct fake *f = req->ctx;
    size_t i;

    for (i = 0; i < f->nq; i++)
        if (strcmp(f->q[i].key, key) == 0)
            return f->q[i].value != NULL ? f->q[i].value : "";
    return NULL;
}

static const char *fake_header(const struct tl_req *req, const char *name)
{
    (void)req;
    if (strcasecmp(name, "Content-Type") == 0)
        return "application/json";
    return NULL;
}

static size_t fake_query_list(const struct tl_req *req, struct tl_kv *out, size_t max)
{
    const struct fake *f = req->ctx;
    size_t i;

    for (i = 0; i < f->nq && i < max; i++)
        out[i] = f->q[i];
    return i;
}

static const char *fake_peer(const struct tl_req *req, char *buf, size_t cap)
{
    (void)req;
    snprintf(buf, cap, "127.0.0.1");
    return buf;
}

static void *fake_defer(struct tl_req *req)
{
    (void)req;
    return NULL;
}

static const struct tl_req_ops fake_ops = {
    .query = fake_query,
    .header = fake_header,
    .query_list = fake_query_list,
    .peer = fake_peer,
    .defer = fake_defer,
    .suspend = NULL,
};

/* Splits s ("a=1&b&c=") in place into f. */
static void split_query(char *s, struct fake *f)
{
    f->nq = 0;
    while (s != NULL && *s != '\0' && f->nq < QUERY_MAX) {
        char *amp = strchr(s, '&'), *eq;

        if (amp != NULL)
            *amp = '\0';
        eq = strchr(s, '=');
        if (eq != NULL)
            *eq = '\0';
        f->q[f->nq].key = s;
        f->q[f->nq].value = eq != NULL ? eq + 1 : NULL;
        f->nq++;
        s = amp != NULL ? amp + 1 : NULL;
    }
}

/* ---- the world ---- */

enum who { ADMIN, BRAND, PARTNER, NOBODY };
enum id { NONE, PROGRAM, CAMPAIGN, TASK, LINK, CONVERSION };

static struct {
    struct tl_store *store;
    struct tl_app app;
    struct tl_arena *arena;
    int64_t brand, partner, ids[6];
    char postback_key[128]; /* the program's, for GET /postback */
} w;

struct endpoint {
    enum tl_method method;
    tl_handler_fn handler;
    enum who who;
    enum id id;
    const char *name;
};

static const struct endpoint endpoints[] = {
    {TL_POST, tl_api_brands_create, ADMIN, NONE, "brands.create"},
    {TL_POST, tl_api_partners_create, ADMIN, NONE, "partners.create"},
    {TL_POST, tl_api_session_create, NOBODY, NONE, "session.create"},
    {TL_POST, tl_api_keys_create, BRAND, NONE, "api_keys.create"},
    {TL_POST, tl_api_programs_create, BRAND, NONE, "programs.create"},
    {TL_PATCH, tl_api_programs_patch, BRAND, PROGRAM, "programs.patch"},
    {TL_POST, tl_api_programs_rotate_key, BRAND, PROGRAM, "programs.rotate_key"},
    {TL_POST, tl_api_landing_pages_create, BRAND, PROGRAM, "landing_pages.create"},
    {TL_POST, tl_api_program_partners_add, BRAND, PROGRAM, "program_partners.add"},
    {TL_POST, tl_api_campaigns_create, BRAND, PROGRAM, "campaigns.create"},
    {TL_PATCH, tl_api_campaigns_patch, BRAND, CAMPAIGN, "campaigns.patch"},
    {TL_POST, tl_api_campaign_partners_add, BRAND, CAMPAIGN, "campaign_partners.add"},
    {TL_POST, tl_api_tasks_create, BRAND, CAMPAIGN, "tasks.create"},
    {TL_PATCH, tl_api_tasks_patch, BRAND, TASK, "tasks.patch"},
    {TL_POST, tl_api_task_partners_add, BRAND, TASK, "task_partners.add"},
    {TL_POST, tl_api_links_create, PARTNER, TASK, "links.create (partner)"},
    {TL_POST, tl_api_links_create, BRAND, TASK, "links.create (brand)"},
    {TL_PATCH, tl_api_links_patch, BRAND, LINK, "links.patch"},
    {TL_POST, tl_api_conversions_create, BRAND, NONE, "conversions.create"},
    {TL_PATCH, tl_api_conversions_patch, BRAND, CONVERSION, "conversions.patch"},
    {TL_PUT, tl_api_me_postback_put, PARTNER, NONE, "me.postback.put"},
    /* query strings */
    {TL_GET, tl_api_reports, BRAND, NONE, "reports (brand)"},
    {TL_GET, tl_api_reports, PARTNER, NONE, "reports (partner)"},
    {TL_GET, tl_api_conversions_list, BRAND, NONE, "conversions.list"},
    {TL_GET, tl_api_conversions_rejected, BRAND, NONE, "conversions.rejected"},
    {TL_GET, tl_api_links_list_all, BRAND, NONE, "links.list_all"},
    {TL_GET, tl_api_campaigns_list, PARTNER, NONE, "campaigns.list"},
    {TL_GET, tl_api_programs_list, BRAND, NONE, "programs.list"},
    {TL_GET, tl_api_me_postbacks_list, PARTNER, NONE, "me.postbacks.list"},
    {TL_GET, tl_api_postback, NOBODY, NONE, "postback"},
    {TL_GET, tl_api_links_qr, BRAND, LINK, "links.qr"},
    {TL_GET, tl_api_links_list, PARTNER, TASK, "links.list"},
    {TL_GET, tl_api_tasks_list, PARTNER, CAMPAIGN, "tasks.list"},
};
#define N_ENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

/*
 * Runs one handler as the server would, with body (or query) text s.
 * Returns the error; *id_out (when not NULL) is the "id" of a 2xx answer.
 */
static enum tl_err call(const struct endpoint *e, char *s, size_t len, int64_t *id_out,
                        struct tl_problem *prob)
{
    struct tl_resp resp;
    struct tl_req req;
    struct fake f;
    enum tl_err err;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    memset(&f, 0, sizeof(f));
    req.arena = w.arena;
    req.method = e->method;
    req.path = e->name;
    req.app = &w.app;
    req.ops = &fake_ops;
    req.ctx = &f;
    req.may_block = true;
    req.body = "";
    if (e->method == TL_GET) {
        split_query(s, &f);
        if (e->handler == tl_api_postback && f.nq < QUERY_MAX && fake_query(&req, "key") == NULL) {
            f.q[f.nq].key = "key";
            f.q[f.nq].value = w.postback_key;
            f.nq++;
        }
    } else {
        req.body = s;
        req.body_len = len;
    }
    if (e->id != NONE) {
        req.ids[0] = w.ids[e->id];
        req.raw[0] = tl_arena_printf(w.arena, "%lld", (long long)w.ids[e->id]);
        req.n_params = 1;
    }
    switch (e->who) {
    case ADMIN: req.actor.kind = TL_ACCOUNT_ADMIN; break;
    case BRAND:
        req.actor.kind = TL_ACCOUNT_BRAND;
        req.actor.account_id = w.brand;
        break;
    case PARTNER:
        req.actor.kind = TL_ACCOUNT_PARTNER;
        req.actor.account_id = w.partner;
        break;
    case NOBODY: break;
    }
    tl_problem_init(prob);
    err = e->handler(&req, &resp, prob);
    if (err == TL_OK && resp.json != NULL) {
        char *text = json_dumps(resp.json, JSON_COMPACT);
        json_t *id = json_object_get(resp.json, "id");
        json_t *key = json_object_get(resp.json, "postback_key");

        FZ_CHECK(text != NULL);
        free(text);
        if (id_out != NULL && json_is_integer(id))
            *id_out = json_integer_value(id);
        if (id_out != NULL && json_is_string(key))
            snprintf(w.postback_key, sizeof(w.postback_key), "%s", json_string_value(key));
    }
    json_decref(resp.json);
    return err;
}

/* A fixture step: the handler of endpoint name with body; "id" into *id. */
static void make(const char *name, const char *body, int64_t *id)
{
    struct tl_problem prob;
    char *copy = strdup(body);
    size_t i;
    enum tl_err err = TL_ERR_NOTFOUND;

    if (copy == NULL)
        abort();
    for (i = 0; i < N_ENDPOINTS; i++)
        if (strcmp(endpoints[i].name, name) == 0) {
            err = call(&endpoints[i], copy, strlen(copy), id, &prob);
            break;
        }
    if (err != TL_OK) {
        fprintf(stderr, "fuzz_api: setting up %s failed: %s %s\n", name,
                prob.code != NULL ? prob.code : "", prob.detail);
        abort();
    }
    free(copy);
    tl_arena_reset(w.arena);
}

static void world_open(void)
{
    char why[256], body[256];

    if (tl_store_open("sqlite::memory:", &w.store, why, sizeof(why)) != TL_OK) {
        fprintf(stderr, "fuzz_api: %s\n", why);
        abort();
    }
    w.app.store = w.store;
    w.app.public_url = "http://127.0.0.1:8080";
    w.app.has_admin_key = true;
    make("brands.create", "{\"name\":\"Acme\"}", &w.brand);
    make("partners.create", "{\"name\":\"Pat\",\"email\":\"pat@partner.test\"}", &w.partner);
    make("programs.create",
         "{\"name\":\"P\",\"default_landing_page\":\"https://shop.acme.test/landing\","
         "\"permitted_domains\":[\"acme.test\",\"*.acme.test\"]}",
         &w.ids[PROGRAM]);
    snprintf(body, sizeof(body), "{\"partner_id\":%lld}", (long long)w.partner);
    make("program_partners.add", body, NULL);
    make("campaigns.create",
         "{\"name\":\"C\",\"status\":\"active\",\"payout\":{\"type\":\"fixed\",\"amount\":500}}",
         &w.ids[CAMPAIGN]);
    make("campaign_partners.add", body, NULL);
    make("tasks.create", "{\"title\":\"T\"}", &w.ids[TASK]);
    make("task_partners.add", body, NULL);
    make("links.create (partner)", "{}", &w.ids[LINK]);
    w.ids[CONVERSION] = 1;
}

static void world_close(void)
{
    tl_store_close(w.store);
    memset(&w.app, 0, sizeof(w.app));
    w.store = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long runs;
    const struct endpoint *e;
    struct tl_problem prob;
    char *text;
    enum tl_err err;
    int status;

    if (size < 1 || size > 64 * 1024)
        return 0;
    if (w.arena == NULL) {
        if (sodium_init() < 0 || (w.arena = tl_arena_new(ARENA_CAP)) == NULL)
            abort();
        tl_url_global_init();
    }
    if (w.store != NULL && ++runs % RESET_RUNS == 0)
        world_close();
    if (w.store == NULL)
        world_open();

    e = &endpoints[data[0] % N_ENDPOINTS];
    text = malloc(size);
    if (text == NULL)
        abort();
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    err = call(e, text, size - 1, NULL, &prob);
    status = tl_http_status(err);
    if (err != TL_OK) {
        FZ_CHECK(prob.err == err);
        if (status >= 500)
            fprintf(stderr, "fuzz_api: %s answered %d %s: %s\n", e->name, status,
                    prob.code != NULL ? prob.code : "-", prob.detail);
        FZ_CHECK(status < 500);
    }
    free(text);
    tl_arena_reset(w.arena);
    return 0;
}
