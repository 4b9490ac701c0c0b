/*
 * campaigns.c: the campaign endpoints (/api/v1/programs/{id}/campaigns,
 * /api/v1/campaigns[/{id}[/partners]]).
 *
 * A create and a PATCH share one body reader: a create starts from the
 * defaults, a PATCH from the stored campaign, the body's fields are laid
 * over it (tracking merged field by field, payout replaced whole), and the
 * result is validated as a whole, landing pages included. Tenancy comes
 * from the store: another brand's program or campaign reads as not found.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"

#define ENUM_MAX 32 /* longest status / mode / payout type we read, in bytes */

/* A store failure as a problem: absent or another tenant's is not_found. */
static enum tl_err store_problem(struct tl_problem *prob, enum tl_err err, const char *what)
{
    if (err == TL_ERR_NOTFOUND)
        return tl_problem_set(prob, err, "not_found", NULL, "%s not found", what);
    return tl_problem_set(prob, err, NULL, NULL, "%s: %s", what, tl_err_str(err));
}

/* Hands json (stolen, may be NULL on OOM) to resp. */
static enum tl_err reply(struct tl_resp *resp, struct tl_problem *prob, int status, json_t *json)
{
    if (tl_out_json(resp, status, json) != TL_OK)
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    return TL_OK;
}

static enum tl_err parse_status(const char *s, int *out, struct tl_problem *prob)
{
    int v = tl_campaign_status_parse(s);

    if (v < 0)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "status",
                              "status must be draft, active, paused or ended");
    *out = v;
    return TL_OK;
}

/* Lays the "tracking" object over c; *ids_given says whether it carried landing_page_ids. */
static enum tl_err parse_tracking(struct tl_req *req, json_t *tr, struct tl_campaign *c,
                                  bool *ids_given, struct tl_problem *prob)
{
    const char *mode;
    bool enabled, present;
    int64_t *ids;
    size_t n;
    int m;
    enum tl_err err;

    err = tl_in_bool(tr, "enabled", "tracking.enabled", false, &enabled, &present, prob);
    if (err != TL_OK)
        return err;
    if (present)
        c->tracking_enabled = enabled;
    err = tl_in_str(tr, "landing_page_mode", "tracking.landing_page_mode", false, ENUM_MAX, &mode,
                    prob);
    if (err != TL_OK)
        return err;
    if (mode != NULL) {
        m = tl_lp_mode_parse(mode);
        if (m < 0)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value",
                                  "tracking.landing_page_mode",
                                  "landing_page_mode must be partner_choice, brand_selected or "
                                  "program_default");
        c->lp_mode = m;
    }
    err = tl_in_ids(req->arena, tr, "landing_page_ids", "tracking.landing_page_ids", false, &ids,
                    &n, ids_given, prob);
    if (err != TL_OK)
        return err;
    if (*ids_given) {
        c->landing_page_ids = ids;
        c->n_landing_page_ids = n;
    }
    return TL_OK;
}

/* Replaces c's payout with the "payout" object. */
static enum tl_err parse_payout(json_t *po, struct tl_campaign *c, struct tl_problem *prob)
{
    const char *type;
    int64_t v = 0;
    bool present;
    int t;
    enum tl_err err;

    err = tl_in_str(po, "type", "payout.type", true, ENUM_MAX, &type, prob);
    if (err != TL_OK)
        return err;
    t = tl_payout_type_parse(type);
    if (t < 0)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "payout.type",
                              "payout.type must be fixed or percent");
    c->payout_type = t;
    c->payout_amount = 0;
    c->payout_rate_bp = 0;
    if (t == TL_PAYOUT_FIXED) {
        err = tl_in_int(po, "amount", "payout.amount", true, 0, TL_JSON_INT_MAX, NULL, &v,
                        &present, prob);
        c->payout_amount = v;
    } else {
        err = tl_in_int(po, "rate_bp", "payout.rate_bp", true, 0, 10000, NULL, &v, &present,
                        prob);
        c->payout_rate_bp = (int)v;
    }
    return err;
}

/*
 * Validates the landing-page part of the result: ids only for
 * brand_selected, required there, and each a landing page of the
 * campaign's program. Ids kept from before were checked when they came.
 */
static enum tl_err check_landing_pages(struct tl_req *req, struct tl_campaign *c, bool ids_given,
                                       struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    struct tl_landing_page lp;
    const char *field = "tracking.landing_page_ids";
    size_t i;
    enum tl_err err;

    if (c->lp_mode != TL_LP_BRAND_SELECTED) {
        if (ids_given && c->n_landing_page_ids > 0)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field,
                                  "landing_page_ids are only taken with brand_selected");
        c->landing_page_ids = NULL;
        c->n_landing_page_ids = 0;
        return TL_OK;
    }
    if (c->n_landing_page_ids == 0)
        return tl_problem_set(prob, TL_ERR_INVALID, "missing_field", field,
                              "brand_selected needs at least one landing page id");
    if (!ids_given)
        return TL_OK;
    for (i = 0; i < c->n_landing_page_ids; i++) {
        err = TL_STORE(app->store, landing_page_get, &req->actor, c->landing_page_ids[i],
                       req->arena, &lp);
        if (err == TL_ERR_NOTFOUND || (err == TL_OK && lp.program_id != c->program_id))
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field,
                                  "landing page %lld is not a landing page of program %lld",
                                  (long long)c->landing_page_ids[i], (long long)c->program_id);
        if (err != TL_OK)
            return store_problem(prob, err, "landing page");
    }
    return TL_OK;
}

static const struct tl_in_field campaign_fields[] = {
    {"name", "name", TL_IN_STR},
    {"status", "status", TL_IN_STR},
    {"tracking", "tracking", TL_IN_OBJ},
    {"payout", "payout", TL_IN_OBJ},
};
static const struct tl_in_field tracking_fields[] = {
    {"enabled", "tracking.enabled", TL_IN_BOOL},
    {"landing_page_mode", "tracking.landing_page_mode", TL_IN_STR},
    {"landing_page_ids", "tracking.landing_page_ids", TL_IN_IDS},
};
static const struct tl_in_field payout_fields[] = {
    {"type", "payout.type", TL_IN_STR},
    {"amount", "payout.amount", TL_IN_INT},
    {"rate_bp", "payout.rate_bp", TL_IN_INT},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Every wrong JSON type in the body answers 400 before any rule answers 422. */
static enum tl_err check_types(json_t *body, struct tl_problem *prob)
{
    enum tl_err err;

    err = tl_in_types(body, campaign_fields, COUNT(campaign_fields), prob);
    if (err == TL_OK)
        err = tl_in_types(json_object_get(body, "tracking"), tracking_fields,
                          COUNT(tracking_fields), prob);
    if (err == TL_OK)
        err = tl_in_types(json_object_get(body, "payout"), payout_fields, COUNT(payout_fields),
                          prob);
    return err;
}

/*
 * Lays a create (create = true: name and payout required) or PATCH body
 * over c and validates the result. Strings in c point into body.
 */
static enum tl_err parse_campaign(struct tl_req *req, json_t *body, bool create,
                                  struct tl_campaign *c, struct tl_problem *prob)
{
    const char *name, *status;
    json_t *tr, *po;
    bool ids_given = false;
    int st = 0;
    enum tl_err err;

    err = check_types(body, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_str(body, "name", "name", create, TL_NAME_MAX, &name, prob);
    if (err != TL_OK)
        return err;
    if (name != NULL && name[0] == '\0')
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "name",
                              "name must not be empty");
    if (name != NULL)
        c->name = name;
    err = tl_in_str(body, "status", "status", false, ENUM_MAX, &status, prob);
    if (err != TL_OK)
        return err;
    if (status != NULL) {
        err = parse_status(status, &st, prob);
        if (err != TL_OK)
            return err;
        c->status = st;
    }
    err = tl_in_obj(body, "tracking", "tracking", false, &tr, prob);
    if (err == TL_OK && tr != NULL)
        err = parse_tracking(req, tr, c, &ids_given, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_obj(body, "payout", "payout", create, &po, prob);
    if (err == TL_OK && po != NULL)
        err = parse_payout(po, c, prob);
    if (err != TL_OK)
        return err;
    return check_landing_pages(req, c, ids_given, prob);
}

/*
 * Called once a PATCH has been stored. The tracking-links issue makes the
 * program_default links that were not due before here (API.md "Automatic
 * default links": they catch up when a campaign changes to that state).
 */
static enum tl_err after_change(struct tl_req *req, const struct tl_campaign *c,
                                struct tl_problem *prob)
{
    (void)prob;
    return tl_api_links_ensure_defaults(req->app, c);
}

/* Reads the campaign id and answers it with status. */
static enum tl_err reply_campaign(struct tl_req *req, struct tl_resp *resp,
                                  struct tl_problem *prob, int status, int64_t id)
{
    struct tl_app *app = req->app;
    struct tl_campaign c;
    enum tl_err err;

    err = TL_STORE(app->store, campaign_get, &req->actor, id, req->arena, &c);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    return reply(resp, prob, status, tl_out_campaign(&c));
}

TL_HANDLER(tl_api_campaigns_create)
{
    struct tl_app *app = req->app;
    struct tl_program p;
    struct tl_campaign c;
    json_t *body = NULL;
    int64_t id;
    enum tl_err err;

    err = TL_STORE(app->store, program_get, &req->actor, req->ids[0], req->arena, &p);
    if (err != TL_OK)
        return store_problem(prob, err, "program");
    memset(&c, 0, sizeof(c));
    c.program_id = p.id;
    c.brand_id = p.brand_id;
    c.status = TL_CAMPAIGN_DRAFT;
    c.tracking_enabled = true;
    c.lp_mode = TL_LP_PROGRAM_DEFAULT;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        goto out;
    err = parse_campaign(req, body, true, &c, prob);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, campaign_create, &req->actor, &c, &id);
    if (err != TL_OK) {
        err = store_problem(prob, err, "program");
        goto out;
    }
    err = reply_campaign(req, resp, prob, 201, id);
out:
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_campaigns_list)
{
    struct tl_app *app = req->app;
    struct tl_campaign_filter f = {-1, 0};
    struct tl_campaign *items;
    struct tl_page page;
    const char *status = tl_req_query(req, "status");
    json_t *data;
    size_t n, i;
    bool more;
    enum tl_err err;

    if (status != NULL && (err = parse_status(status, &f.status, prob)) != TL_OK)
        return err;
    err = tl_in_query_id(req, "program_id", &f.program_id, prob);
    if (err == TL_OK)
        err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, campaign_list, &req->actor, &f, &page, req->arena, &items, &n,
                   &more);
    if (err != TL_OK)
        return store_problem(prob, err, "campaigns");
    data = json_array();
    for (i = 0; data != NULL && i < n; i++)
        if (json_array_append_new(data, tl_out_campaign(&items[i])) != 0) {
            json_decref(data);
            data = NULL;
        }
    if (data == NULL)
        return reply(resp, prob, 200, NULL);
    return reply(resp, prob, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
}

TL_HANDLER(tl_api_campaigns_get)
{
    return reply_campaign(req, resp, prob, 200, req->ids[0]);
}

TL_HANDLER(tl_api_campaigns_patch)
{
    struct tl_app *app = req->app;
    struct tl_campaign c;
    json_t *body = NULL;
    enum tl_err err;

    err = TL_STORE(app->store, campaign_get, &req->actor, req->ids[0], req->arena, &c);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        goto out;
    err = parse_campaign(req, body, false, &c, prob);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, campaign_update, &req->actor, &c);
    if (err != TL_OK) {
        err = store_problem(prob, err, "campaign");
        goto out;
    }
    err = after_change(req, &c, prob);
    if (err != TL_OK)
        goto out;
    err = reply_campaign(req, resp, prob, 200, c.id);
out:
    json_decref(body);
    return err;
}

/* Reads one membership of the campaign (the list is ordered by partner id). */
static enum tl_err member_get(struct tl_req *req, int64_t campaign_id, int64_t partner_id,
                              struct tl_membership *out, struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    struct tl_page page = {partner_id - 1, 1};
    struct tl_membership *items;
    size_t n;
    bool more;
    enum tl_err err;

    err = TL_STORE(app->store, campaign_partner_list, &req->actor, campaign_id, &page, req->arena,
                   &items, &n, &more);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign membership");
    if (n != 1 || items[0].partner_id != partner_id)
        return tl_problem_set(prob, TL_ERR_INTERNAL, NULL, NULL,
                              "membership of partner %lld not found after adding it",
                              (long long)partner_id);
    *out = items[0];
    return TL_OK;
}

TL_HANDLER(tl_api_campaign_partners_add)
{
    struct tl_app *app = req->app;
    struct tl_campaign c;
    struct tl_membership m;
    int64_t partner_id;
    bool yes, created;
    enum tl_err err;

    err = TL_STORE(app->store, campaign_get, &req->actor, req->ids[0], req->arena, &c);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    err = tl_in_partner_id(req, &partner_id, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, program_partner_has, c.program_id, partner_id, &yes);
    if (err != TL_OK)
        return store_problem(prob, err, "program membership");
    if (!yes)
        return tl_problem_set(prob, TL_ERR_INVALID, "partner_not_in_program", "partner_id",
                              "partner %lld is not in program %lld", (long long)partner_id,
                              (long long)c.program_id);
    err = TL_STORE(app->store, campaign_partner_add, &req->actor, c.id, partner_id, &created);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    err = member_get(req, c.id, partner_id, &m, prob);
    if (err != TL_OK)
        return err;
    return reply(resp, prob, created ? 201 : 200, tl_out_membership(&m, "campaign_id", c.id));
}

TL_HANDLER(tl_api_campaign_partners_list)
{
    struct tl_app *app = req->app;
    struct tl_campaign c;
    struct tl_membership *items;
    struct tl_page page;
    json_t *data;
    size_t n, i;
    bool more;
    enum tl_err err;

    err = TL_STORE(app->store, campaign_get, &req->actor, req->ids[0], req->arena, &c);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, campaign_partner_list, &req->actor, c.id, &page, req->arena, &items,
                   &n, &more);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    data = json_array();
    for (i = 0; data != NULL && i < n; i++)
        if (json_array_append_new(data, tl_out_membership(&items[i], "campaign_id", c.id)) != 0) {
            json_decref(data);
            data = NULL;
        }
    if (data == NULL)
        return reply(resp, prob, 200, NULL);
    return reply(resp, prob, 200, tl_out_list(data, more, n > 0 ? items[n - 1].partner_id : 0));
}
