/*
 * output.c: the API's JSON shapes of the domain objects (see output.h and
 * the object shapes in docs / the API decisions). Every builder returns a
 * new reference or NULL on OOM, never a half-built object.
 */
#include "api/output.h"

#include "api/input.h"
#include "core/time.h"

/* json_object_set_new() steals v even when it fails; a NULL v is an OOM. */
static int put(json_t *o, const char *key, json_t *v)
{
    if (v == NULL)
        return -1;
    return json_object_set_new(o, key, v);
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* Returns o, or NULL (freeing o) when any put failed. */
static json_t *done(json_t *o, int rc)
{
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *tl_out_time(int64_t ms)
{
    char buf[TL_TIME_LEN];

    if (ms == 0)
        return json_null();
    tl_time_format(ms, buf);
    return json_string(buf);
}

json_t *tl_out_list(json_t *items, bool more, int64_t last_id)
{
    char cursor[TL_CURSOR_LEN];
    json_t *o;
    int rc;

    if (items == NULL)
        return NULL;
    o = json_object();
    if (o == NULL) {
        json_decref(items);
        return NULL;
    }
    rc = put(o, "data", items);
    if (more) {
        tl_in_cursor(last_id, cursor);
        rc |= put(o, "next_cursor", json_string(cursor));
    } else {
        rc |= put(o, "next_cursor", json_null());
    }
    return done(o, rc);
}

json_t *tl_out_ids(const int64_t *ids, size_t n)
{
    json_t *a = json_array();
    size_t i;

    if (a == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (json_array_append_new(a, json_integer(ids[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *tl_out_program(const struct tl_program *p, bool with_secret)
{
    json_t *o = json_object(), *domains = json_array();
    size_t i;
    int rc = 0;

    if (o == NULL || domains == NULL) {
        json_decref(o);
        json_decref(domains);
        return NULL;
    }
    for (i = 0; i < p->n_permitted_domains; i++)
        rc |= json_array_append_new(domains, json_string(p->permitted_domains[i]));
    rc |= put(o, "id", json_integer(p->id));
    rc |= put(o, "name", json_string(p->name));
    rc |= put(o, "default_landing_page", str_or_null(p->default_landing_page));
    rc |= put(o, "permitted_domains", domains);
    rc |= put(o, "click_id_param", str_or_null(p->click_id_param));
    rc |= put(o, "referral_window_days", json_integer(p->referral_window_days));
    rc |= put(o, "currency", str_or_null(p->currency));
    if (with_secret)
        rc |= put(o, "postback_key", str_or_null(p->postback_key));
    rc |= put(o, "created_at", tl_out_time(p->created_at));
    rc |= put(o, "updated_at", tl_out_time(p->updated_at));
    return done(o, rc);
}

json_t *tl_out_landing_page(const struct tl_landing_page *lp)
{
    json_t *o = json_object();
    int rc = 0;

    if (o == NULL)
        return NULL;
    rc |= put(o, "id", json_integer(lp->id));
    rc |= put(o, "program_id", json_integer(lp->program_id));
    rc |= put(o, "name", json_string(lp->name));
    rc |= put(o, "url", json_string(lp->url));
    rc |= put(o, "created_at", tl_out_time(lp->created_at));
    return done(o, rc);
}

json_t *tl_out_campaign(const struct tl_campaign *c)
{
    json_t *o = json_object(), *tracking = json_object(), *payout = json_object();
    bool selected = c->lp_mode == TL_LP_BRAND_SELECTED;
    int rc = 0;

    if (o == NULL || tracking == NULL || payout == NULL) {
        json_decref(o);
        json_decref(tracking);
        json_decref(payout);
        return NULL;
    }
    rc |= put(tracking, "enabled", json_boolean(c->tracking_enabled));
    rc |= put(tracking, "landing_page_mode", json_string(tl_lp_mode_str(c->lp_mode)));
    rc |= put(tracking, "landing_page_ids",
              tl_out_ids(c->landing_page_ids, selected ? c->n_landing_page_ids : 0));
    rc |= put(payout, "type", json_string(tl_payout_type_str(c->payout_type)));
    if (c->payout_type == TL_PAYOUT_PERCENT)
        rc |= put(payout, "rate_bp", json_integer(c->payout_rate_bp));
    else
        rc |= put(payout, "amount", json_integer(c->payout_amount));
    rc |= put(o, "id", json_integer(c->id));
    rc |= put(o, "program_id", json_integer(c->program_id));
    rc |= put(o, "name", json_string(c->name));
    rc |= put(o, "status", json_string(tl_campaign_status_str(c->status)));
    rc |= put(o, "tracking", tracking);
    rc |= put(o, "payout", payout);
    rc |= put(o, "created_at", tl_out_time(c->created_at));
    rc |= put(o, "updated_at", tl_out_time(c->updated_at));
    return done(o, rc);
}

json_t *tl_out_task(const struct tl_task *t)
{
    json_t *o = json_object();
    int rc = 0;

    if (o == NULL)
        return NULL;
    rc |= put(o, "id", json_integer(t->id));
    rc |= put(o, "campaign_id", json_integer(t->campaign_id));
    rc |= put(o, "program_id", json_integer(t->program_id));
    rc |= put(o, "title", json_string(t->title));
    rc |= put(o, "description", str_or_null(t->description));
    rc |= put(o, "due_at", tl_out_time(t->due_at));
    rc |= put(o, "partner_ids", tl_out_ids(t->partner_ids, t->n_partner_ids));
    rc |= put(o, "created_at", tl_out_time(t->created_at));
    rc |= put(o, "updated_at", tl_out_time(t->updated_at));
    return done(o, rc);
}

json_t *tl_out_membership(const struct tl_membership *m, const char *parent_key, int64_t parent_id)
{
    json_t *o = json_object();
    int rc = 0;

    if (o == NULL)
        return NULL;
    rc |= put(o, parent_key, json_integer(parent_id));
    rc |= put(o, "partner_id", json_integer(m->partner_id));
    rc |= put(o, "name", str_or_null(m->name));
    rc |= put(o, "email", str_or_null(m->email));
    rc |= put(o, "joined_at", tl_out_time(m->created_at));
    return done(o, rc);
}

enum tl_err tl_out_json(struct tl_resp *resp, int status, json_t *json)
{
    if (json == NULL)
        return TL_ERR_NOMEM;
    resp->status = status;
    resp->json = json;
    return TL_OK;
}
