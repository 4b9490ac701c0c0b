/*
 * links.c: tracking links (API.md "Tracking links"): generating them for a
 * task on behalf of a partner or by the partner, reading, disabling, and
 * their QR codes. Also the links a program_default campaign makes on
 * assignment.
 *
 * The order of checks on creation is the contract's: the task (404), the
 * body (400, then 422 for a malformed field), then tracking_disabled,
 * campaign_not_active, partner_not_assigned, and last the landing page per
 * the campaign's mode through the landing-page gate (core/url.c).
 */
#include <inttypes.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"
#include "core/link.h"
#include "core/url.h"

#define QR_SIZE_DEFAULT 256
#define QR_SIZE_MIN     64
#define QR_SIZE_MAX     2048
#define QR_MARGIN       4 /* modules of quiet zone, as the QR standard asks */

/* What a link request asks for, after parsing. */
struct link_input {
    int64_t partner_id;
    bool has_partner_id;
    enum tl_link_kind kind;
    const char *landing_url; /* as sent */
    int64_t landing_page_id;
    bool has_landing_page_id;
    const char *sub[4]; /* sub_id1..3, shared_id */
};

static const char *const sub_keys[4] = {"sub_id1", "sub_id2", "sub_id3", "shared_id"};

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

json_t *tl_api_link_json(const struct tl_app *app, const struct tl_actor *who,
                         const struct tl_link *l, const char *program_default)
{
    struct tl_arena *a = tl_arena_new(16 * 1024);
    const char *landing = l->landing_url != NULL ? l->landing_url : program_default;
    /* A landing page equal to the default needs no u=: the default is
     * what a bare regular URL leads to. */
    const char *u = l->landing_url != NULL && strcmp(l->landing_url, program_default) != 0
                        ? l->landing_url
                        : NULL;
    bool hide_subs = l->created_by_partner && who->kind != TL_ACCOUNT_PARTNER;
    char *short_url, *regular_url;
    json_t *o = NULL;

    if (a == NULL)
        return NULL;
    short_url = tl_link_short_url(a, app->public_url, l->code);
    regular_url =
        tl_link_regular_url(a, app->public_url, l->partner_id, l->task_id, l->campaign_id, u);
    if (short_url == NULL || regular_url == NULL)
        goto out;
    o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:b, s:o}", "id",
                  (json_int_t)l->id, "code", l->code, "kind", tl_link_kind_str(l->kind), "url",
                  l->kind == TL_LINK_SHORT ? short_url : regular_url, "short_url", short_url,
                  "regular_url", regular_url, "landing_page_url", landing, "partner_id",
                  (json_int_t)l->partner_id, "task_id", (json_int_t)l->task_id, "campaign_id",
                  (json_int_t)l->campaign_id, "program_id", (json_int_t)l->program_id, "created_by",
                  l->created_by_partner ? "partner" : "brand", "active", l->active, "created_at",
                  tl_out_time(l->created_at));
    if (o == NULL)
        goto out;
    json_object_set_new(o, "sub_id1", hide_subs ? json_null() : str_or_null(l->sub_id1));
    json_object_set_new(o, "sub_id2", hide_subs ? json_null() : str_or_null(l->sub_id2));
    json_object_set_new(o, "sub_id3", hide_subs ? json_null() : str_or_null(l->sub_id3));
    json_object_set_new(o, "shared_id", str_or_null(l->shared_id));
out:
    tl_arena_free(a);
    return o;
}

static enum tl_err parse_input(struct tl_req *req, json_t *body, struct link_input *in,
                               struct tl_problem *prob)
{
    const char *kind = NULL;
    enum tl_err err;
    int k, i;

    memset(in, 0, sizeof(*in));
    err = tl_in_int(body, "partner_id", "partner_id", false, 1, TL_JSON_INT_MAX, NULL,
                    &in->partner_id, &in->has_partner_id, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_str(body, "kind", "kind", false, 32, &kind, prob);
    if (err != TL_OK)
        return err;
    in->kind = TL_LINK_SHORT;
    if (kind != NULL) {
        k = tl_link_kind_parse(kind);
        if (k < 0)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "kind",
                                  "kind must be short or regular");
        in->kind = (enum tl_link_kind)k;
    }
    /* The gate judges the length, so that an over-long URL answers
     * landing_page_invalid like every other bad landing page. */
    err = tl_in_str(body, "landing_page_url", "landing_page_url", false, TL_BODY_MAX,
                    &in->landing_url, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_int(body, "landing_page_id", "landing_page_id", false, 1, TL_JSON_INT_MAX, NULL,
                    &in->landing_page_id, &in->has_landing_page_id, prob);
    if (err != TL_OK)
        return err;
    for (i = 0; i < 4; i++) {
        err = tl_in_str(body, sub_keys[i], sub_keys[i], false, TL_SUBID_MAX, &in->sub[i], prob);
        if (err != TL_OK)
            return err;
        if (in->sub[i] != NULL && in->sub[i][0] == '\0')
            in->sub[i] = NULL; /* "" and absent are the same sub id */
    }
    if (req->actor.kind == TL_ACCOUNT_BRAND && !in->has_partner_id)
        return tl_problem_set(prob, TL_ERR_INVALID, "missing_field", "partner_id",
                              "partner_id is required");
    if (req->actor.kind == TL_ACCOUNT_PARTNER) {
        if (in->has_partner_id && in->partner_id != req->actor.account_id)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "partner_id",
                                  "a partner makes links for themselves only");
        in->partner_id = req->actor.account_id;
    }
    return TL_OK;
}

static bool has_id(const int64_t *ids, size_t n, int64_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* The landing page per the campaign's mode; *landing NULL means the
 * program default (program_default mode). */
static enum tl_err resolve_landing(struct tl_req *req, const struct tl_campaign *c,
                                   const struct tl_program *p, const struct link_input *in,
                                   const char **landing, struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    struct tl_landing_page lp;
    char *norm;
    enum tl_err err;

    *landing = NULL;
    switch (c->lp_mode) {
    case TL_LP_PROGRAM_DEFAULT:
        if (in->landing_url != NULL || in->has_landing_page_id)
            return tl_problem_set(prob, TL_ERR_INVALID, "landing_page_not_allowed",
                                  in->landing_url != NULL ? "landing_page_url" : "landing_page_id",
                                  "this campaign sends traffic to the program's default "
                                  "landing page; send no landing page");
        return TL_OK;
    case TL_LP_PARTNER_CHOICE:
        if (in->has_landing_page_id)
            return tl_problem_set(prob, TL_ERR_INVALID, "landing_page_not_allowed",
                                  "landing_page_id",
                                  "this campaign takes a landing_page_url, not an id");
        if (in->landing_url == NULL)
            return tl_problem_set(prob, TL_ERR_INVALID, "landing_page_required", "landing_page_url",
                                  "landing_page_url is required");
        norm = tl_arena_alloc(req->arena, TL_URL_MAX + 1);
        if (norm == NULL)
            return TL_ERR_NOMEM;
        err = tl_url_landing_check(in->landing_url, p->permitted_domains, p->n_permitted_domains,
                                   "landing_page_url", norm, TL_URL_MAX + 1, prob);
        if (err != TL_OK)
            return err;
        *landing = norm;
        return TL_OK;
    case TL_LP_BRAND_SELECTED:
        if (in->landing_url != NULL)
            return tl_problem_set(prob, TL_ERR_INVALID, "landing_page_not_allowed",
                                  "landing_page_url",
                                  "this campaign takes a landing_page_id from its pages");
        if (!in->has_landing_page_id)
            return tl_problem_set(prob, TL_ERR_INVALID, "landing_page_required", "landing_page_id",
                                  "landing_page_id is required");
        if (!has_id(c->landing_page_ids, c->n_landing_page_ids, in->landing_page_id))
            return tl_problem_set(
                prob, TL_ERR_INVALID, "landing_page_not_selected", "landing_page_id",
                "landing page %" PRId64 " is not one of the campaign's pages", in->landing_page_id);
        err = TL_STORE(app->store, landing_page_get, &(struct tl_actor){0, TL_ACCOUNT_ADMIN},
                       in->landing_page_id, req->arena, &lp);
        if (err == TL_ERR_NOTFOUND)
            return tl_problem_set(prob, TL_ERR_INVALID, "landing_page_not_selected",
                                  "landing_page_id", "landing page not found");
        if (err != TL_OK)
            return err;
        /* The permitted domains may have changed since the page was saved. */
        norm = tl_arena_alloc(req->arena, TL_URL_MAX + 1);
        if (norm == NULL)
            return TL_ERR_NOMEM;
        err = tl_url_landing_check(lp.url, p->permitted_domains, p->n_permitted_domains,
                                   "landing_page_id", norm, TL_URL_MAX + 1, prob);
        if (err != TL_OK)
            return err;
        *landing = norm;
        return TL_OK;
    }
    return TL_ERR_INTERNAL;
}

/* The task, its campaign and its program, as the caller sees them. The
 * program is read with the admin's eyes: a partner on the task needs its
 * domains and default, and is never shown its secrets. */
static enum tl_err load_task(struct tl_req *req, int64_t task_id, struct tl_task *t,
                             struct tl_campaign *c, struct tl_program *p)
{
    struct tl_app *app = req->app;
    struct tl_actor admin = {0, TL_ACCOUNT_ADMIN};
    enum tl_err err;

    err = TL_STORE(app->store, task_get, &req->actor, task_id, req->arena, t);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, campaign_get, &admin, t->campaign_id, req->arena, c);
    if (err != TL_OK)
        return err;
    return TL_STORE(app->store, program_get, &admin, c->program_id, req->arena, p);
}

static enum tl_err problem_notfound(struct tl_problem *prob, const char *what)
{
    return tl_problem_set(prob, TL_ERR_NOTFOUND, "not_found", NULL, "%s not found", what);
}

/*
 * The task of a link request. A partner who is in the task's campaign but
 * not on the task may see it here (and is told partner_not_assigned);
 * anyone else who cannot see the task gets 404.
 */
static enum tl_err load_task_for_link(struct tl_req *req, int64_t task_id, struct tl_task *t,
                                      struct tl_campaign *c, struct tl_program *p)
{
    struct tl_app *app = req->app;
    struct tl_actor admin = {0, TL_ACCOUNT_ADMIN};
    bool member = false;
    enum tl_err err;

    err = load_task(req, task_id, t, c, p);
    if (err != TL_ERR_NOTFOUND || req->actor.kind != TL_ACCOUNT_PARTNER)
        return err;
    err = TL_STORE(app->store, task_get, &admin, task_id, req->arena, t);
    if (err == TL_OK)
        err = TL_STORE(app->store, campaign_partner_has, t->campaign_id, req->actor.account_id,
                       &member);
    if (err != TL_OK)
        return err;
    if (!member)
        return TL_ERR_NOTFOUND;
    err = TL_STORE(app->store, campaign_get, &admin, t->campaign_id, req->arena, c);
    if (err == TL_OK)
        err = TL_STORE(app->store, program_get, &admin, c->program_id, req->arena, p);
    return err;
}

TL_HANDLER(tl_api_links_create)
{
    struct tl_app *app = req->app;
    struct tl_task t;
    struct tl_campaign c;
    struct tl_program p;
    struct link_input in;
    struct tl_link l, out;
    json_t *body = NULL, *o;
    bool created;
    enum tl_err err;

    err = load_task_for_link(req, req->ids[0], &t, &c, &p);
    if (err == TL_ERR_NOTFOUND)
        return problem_notfound(prob, "task");
    if (err != TL_OK)
        return err;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        goto out;
    err = parse_input(req, body, &in, prob);
    if (err != TL_OK)
        goto out;
    if (!c.tracking_enabled) {
        err = tl_problem_set(prob, TL_ERR_INVALID, "tracking_disabled", NULL,
                             "click and conversion tracking is off for this campaign");
        goto out;
    }
    if (c.status != TL_CAMPAIGN_ACTIVE) {
        err = tl_problem_set(prob, TL_ERR_INVALID, "campaign_not_active", NULL,
                             "the campaign is %s, not active", tl_campaign_status_str(c.status));
        goto out;
    }
    if (!has_id(t.partner_ids, t.n_partner_ids, in.partner_id)) {
        err = tl_problem_set(prob, TL_ERR_INVALID, "partner_not_assigned", "partner_id",
                             "partner %" PRId64 " is not assigned to this task", in.partner_id);
        goto out;
    }
    memset(&l, 0, sizeof(l));
    err = resolve_landing(req, &c, &p, &in, &l.landing_url, prob);
    if (err != TL_OK)
        goto out;
    l.kind = in.kind;
    l.partner_id = in.partner_id;
    l.task_id = t.id;
    l.campaign_id = c.id;
    l.program_id = p.id;
    l.sub_id1 = in.sub[0];
    l.sub_id2 = in.sub[1];
    l.sub_id3 = in.sub[2];
    l.shared_id = in.sub[3];
    l.created_by_partner = req->actor.kind == TL_ACCOUNT_PARTNER;
    l.active = true;
    err = TL_STORE(app->store, link_upsert, &req->actor, &l, req->arena, &out, &created);
    if (err == TL_ERR_NOTFOUND) {
        err = problem_notfound(prob, "task");
        goto out;
    }
    if (err != TL_OK)
        goto out;
    o = tl_api_link_json(app, &req->actor, &out, p.default_landing_page);
    err = tl_out_json(resp, created ? 201 : 200, o);
out:
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_links_list)
{
    struct tl_app *app = req->app;
    struct tl_task t;
    struct tl_campaign c;
    struct tl_program p;
    struct tl_page page;
    struct tl_link *items;
    size_t n, i;
    bool more;
    int64_t partner_id;
    json_t *data, *o;
    enum tl_err err;

    err = load_task(req, req->ids[0], &t, &c, &p);
    if (err == TL_ERR_NOTFOUND)
        return problem_notfound(prob, "task");
    if (err != TL_OK)
        return err;
    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_query_id(req, "partner_id", &partner_id, prob);
    if (err != TL_OK)
        return err;
    /* A partner sees only their own links, whatever the filter asks. */
    if (req->actor.kind == TL_ACCOUNT_PARTNER) {
        if (partner_id != 0 && partner_id != req->actor.account_id)
            return tl_out_json(resp, 200, tl_out_list(json_array(), false, 0));
        partner_id = req->actor.account_id;
    }
    err =
        TL_STORE(app->store, link_list, &req->actor, &(struct tl_link_filter){t.id, 0, partner_id},
                 &page, req->arena, &items, &n, &more);
    if (err != TL_OK)
        return err;
    data = json_array();
    if (data == NULL)
        return TL_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        o = tl_api_link_json(app, &req->actor, &items[i], p.default_landing_page);
        if (o == NULL || json_array_append_new(data, o) != 0) {
            json_decref(data);
            return TL_ERR_NOMEM;
        }
    }
    return tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
}

/* The default landing pages of the programs a page of links comes from,
 * read once per program (a page holds at most TL_LIST_MAX links). */
struct defaults {
    int64_t *ids;
    const char **urls;
    size_t n;
};

static enum tl_err program_default(struct tl_req *req, struct defaults *d, int64_t program_id,
                                   const char **out)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    size_t i;
    enum tl_err err;

    for (i = 0; i < d->n; i++) {
        if (d->ids[i] == program_id) {
            *out = d->urls[i];
            return TL_OK;
        }
    }
    err = TL_STORE(app->store, program_get, &(struct tl_actor){0, TL_ACCOUNT_ADMIN}, program_id,
                   req->arena, &p);
    if (err != TL_OK)
        return err;
    d->ids[d->n] = program_id;
    d->urls[d->n++] = p.default_landing_page;
    *out = p.default_landing_page;
    return TL_OK;
}

TL_HANDLER(tl_api_links_list_all)
{
    struct tl_app *app = req->app;
    struct tl_link_filter f;
    struct defaults d = {NULL, NULL, 0};
    struct tl_page page;
    struct tl_link *items;
    const char *dflt;
    size_t n, i;
    bool more;
    json_t *data, *o;
    enum tl_err err;

    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    if ((err = tl_in_query_id(req, "campaign_id", &f.campaign_id, prob)) != TL_OK ||
        (err = tl_in_query_id(req, "partner_id", &f.partner_id, prob)) != TL_OK ||
        (err = tl_in_query_id(req, "task_id", &f.task_id, prob)) != TL_OK)
        return err;
    /* A partner sees only their own links, whatever the filter asks. */
    if (req->actor.kind == TL_ACCOUNT_PARTNER) {
        if (f.partner_id != 0 && f.partner_id != req->actor.account_id)
            return tl_out_json(resp, 200, tl_out_list(json_array(), false, 0));
        f.partner_id = req->actor.account_id;
    }
    err = TL_STORE(app->store, link_list, &req->actor, &f, &page, req->arena, &items, &n, &more);
    if (err != TL_OK)
        return err;
    d.ids = tl_arena_alloc(req->arena, (n + 1) * sizeof(*d.ids));
    d.urls = tl_arena_alloc(req->arena, (n + 1) * sizeof(*d.urls));
    data = json_array();
    if (d.ids == NULL || d.urls == NULL || data == NULL) {
        json_decref(data);
        return TL_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) {
        err = program_default(req, &d, items[i].program_id, &dflt);
        if (err != TL_OK) {
            json_decref(data);
            return err;
        }
        o = tl_api_link_json(app, &req->actor, &items[i], dflt);
        if (o == NULL || json_array_append_new(data, o) != 0) {
            json_decref(data);
            return TL_ERR_NOMEM;
        }
    }
    return tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
}

/* The link in the path as the caller sees it, with its program. */
static enum tl_err load_link(struct tl_req *req, struct tl_link *l, struct tl_program *p,
                             struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    enum tl_err err;

    err = TL_STORE(app->store, link_get, &req->actor, req->ids[0], req->arena, l);
    if (err == TL_ERR_NOTFOUND)
        return problem_notfound(prob, "link");
    if (err != TL_OK)
        return err;
    return TL_STORE(app->store, program_get, &(struct tl_actor){0, TL_ACCOUNT_ADMIN}, l->program_id,
                    req->arena, p);
}

TL_HANDLER(tl_api_links_get)
{
    struct tl_link l;
    struct tl_program p;
    enum tl_err err;

    err = load_link(req, &l, &p, prob);
    if (err != TL_OK)
        return err;
    return tl_out_json(resp, 200,
                       tl_api_link_json(req->app, &req->actor, &l, p.default_landing_page));
}

TL_HANDLER(tl_api_links_patch)
{
    struct tl_app *app = req->app;
    struct tl_link l;
    struct tl_program p;
    json_t *body = NULL;
    bool active, present;
    enum tl_err err;

    err = load_link(req, &l, &p, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        goto out;
    err = tl_in_bool(body, "active", "active", false, &active, &present, prob);
    if (err != TL_OK)
        goto out;
    if (present && active != l.active) {
        err = TL_STORE(app->store, link_set_active, &req->actor, l.id, active);
        if (err != TL_OK)
            goto out;
        l.active = active;
    }
    err = tl_out_json(resp, 200, tl_api_link_json(app, &req->actor, &l, p.default_landing_page));
out:
    json_decref(body);
    return err;
}

/* Renders a QR code as SVG: one path of unit squares, a quiet zone, and
 * the requested pixel size. */
static char *qr_svg(struct tl_arena *a, const QRcode *qr, int size, size_t *len)
{
    int dim = qr->width + 2 * QR_MARGIN, x, y;
    size_t cap = 512 + (size_t)qr->width * (size_t)qr->width * 24, used;
    char *buf = tl_arena_alloc(a, cap);
    int n;

    if (buf == NULL)
        return NULL;
    n = snprintf(buf, cap,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
                 "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                 size, size, dim, dim);
    used = (size_t)n;
    for (y = 0; y < qr->width; y++) {
        for (x = 0; x < qr->width; x++) {
            if (!(qr->data[y * qr->width + x] & 1))
                continue;
            n = snprintf(buf + used, cap - used, "M%d %dh1v1h-1z", x + QR_MARGIN, y + QR_MARGIN);
            if (n < 0 || (size_t)n >= cap - used)
                return NULL;
            used += (size_t)n;
        }
    }
    n = snprintf(buf + used, cap - used, "\"/></svg>\n");
    if (n < 0 || (size_t)n >= cap - used)
        return NULL;
    *len = used + (size_t)n;
    return buf;
}

TL_HANDLER(tl_api_links_qr)
{
    struct tl_link l;
    struct tl_program p;
    const char *size_s = tl_req_query(req, "size"), *url;
    long size = QR_SIZE_DEFAULT;
    char *end, *svg;
    json_t *o;
    QRcode *qr;
    size_t len;
    enum tl_err err;

    err = load_link(req, &l, &p, prob);
    if (err != TL_OK)
        return err;
    if (size_s != NULL) {
        size = strtol(size_s, &end, 10);
        if (*size_s == '\0' || *end != '\0' || size < QR_SIZE_MIN || size > QR_SIZE_MAX)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "size",
                                  "size must be an integer from %d to %d", QR_SIZE_MIN,
                                  QR_SIZE_MAX);
    }
    o = tl_api_link_json(req->app, &req->actor, &l, p.default_landing_page);
    if (o == NULL)
        return TL_ERR_NOMEM;
    url = tl_arena_strdup(req->arena, json_string_value(json_object_get(o, "url")));
    json_decref(o);
    if (url == NULL)
        return TL_ERR_NOMEM;
    qr = QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL)
        return TL_ERR_NOMEM;
    svg = qr_svg(req->arena, qr, (int)size, &len);
    QRcode_free(qr);
    if (svg == NULL)
        return TL_ERR_NOMEM;
    resp->status = 200;
    resp->body = svg;
    resp->body_len = len;
    resp->content_type = "image/svg+xml";
    return TL_OK;
}

enum tl_err tl_api_links_ensure_defaults(struct tl_app *app, const struct tl_campaign *c)
{
    size_t made;

    if (c->status != TL_CAMPAIGN_ACTIVE || !c->tracking_enabled ||
        c->lp_mode != TL_LP_PROGRAM_DEFAULT)
        return TL_OK;
    return TL_STORE(app->store, link_ensure_defaults, c->id, &made);
}
