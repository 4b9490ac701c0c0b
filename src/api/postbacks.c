/*
 * postbacks.c: a partner's postback configuration and delivery log
 * (API.md "Partner postbacks"): PUT|GET /api/v1/me/postback and
 * GET /api/v1/me/postbacks. Sending is track/postbacks.c's job; this file
 * only checks and stores what the partner asks for.
 *
 * The URL is checked when it is set (core/postback.h): absolute http(s),
 * and, unless --allow-private-postbacks, no loopback, private or
 * link-local IP literal and no localhost (422 postback_url_not_allowed,
 * field url). events defaults to all three events; an unknown one is 422
 * invalid_value.
 */
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"
#include "core/postback.h"

static const char *const delivery_names[] = {"pending", "delivered", "failed"};

static json_t *config_json(const struct tl_postback_config *c)
{
    json_t *events = json_array(), *o;
    unsigned bit;

    if (events == NULL)
        return NULL;
    for (bit = TL_PB_CREATED; bit <= TL_PB_REVERSED; bit <<= 1)
        if ((c->events & bit) != 0 &&
            json_array_append_new(events, json_string(tl_postback_event_str(bit))) != 0) {
            json_decref(events);
            return NULL;
        }
    o = json_pack("{s:o, s:o, s:o}", "url", c->url != NULL ? json_string(c->url) : json_null(),
                  "events", events, "updated_at", tl_out_time(c->updated_at));
    return o;
}

TL_HANDLER(tl_api_me_postback_put)
{
    static const struct tl_in_field types[] = {
        {"url", "url", TL_IN_STR},
        {"events", "events", TL_IN_STRS},
    };
    struct tl_app *app = req->app;
    struct tl_postback_config in, out;
    const char **events = NULL;
    size_t n = 0, i;
    bool present;
    unsigned bit;
    json_t *body = NULL;
    enum tl_err err;

    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    memset(&in, 0, sizeof(in));
    err = tl_in_types(body, types, 2, prob);
    if (err == TL_OK)
        err = tl_in_str(body, "url", "url", true, 0, &in.url, prob);
    if (err == TL_OK)
        err = tl_in_strs(req->arena, body, "events", "events", false, 64, 16, &events, &n, &present,
                         prob);
    if (err != TL_OK)
        goto out;
    err = tl_postback_url_check(in.url, app->allow_private_postbacks, prob);
    if (err != TL_OK)
        goto out;
    in.events = present ? 0 : TL_PB_ALL;
    for (i = 0; i < n; i++) {
        bit = tl_postback_event_parse(events[i]);
        if (bit == 0) {
            err = tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "events",
                                 "events may hold conversion.created, conversion.approved and "
                                 "conversion.reversed");
            goto out;
        }
        in.events |= bit;
    }
    in.partner_id = req->actor.account_id;
    err = TL_STORE(app->store, postback_set, &req->actor, &in);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, postback_get, &req->actor, req->arena, &out);
    if (err != TL_OK)
        goto out;
    err = tl_out_json(resp, 200, config_json(&out));
out:
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_me_postback_get)
{
    struct tl_app *app = req->app;
    struct tl_postback_config out;
    enum tl_err err;

    (void)prob;
    err = TL_STORE(app->store, postback_get, &req->actor, req->arena, &out);
    if (err == TL_ERR_NOTFOUND) {
        /* None set yet: an empty configuration, not an error. */
        memset(&out, 0, sizeof(out));
        err = TL_OK;
    }
    if (err != TL_OK)
        return err;
    return tl_out_json(resp, 200, config_json(&out));
}

static json_t *delivery_json(const struct tl_postback_delivery *d)
{
    json_t *log = json_array(), *o, *e;
    size_t i;

    if (log == NULL)
        return NULL;
    for (i = 0; i < d->n_log; i++) {
        e = json_pack(
            "{s:o, s:o, s:o}", "at", tl_out_time(d->log[i].at), "http_status",
            d->log[i].http_status != 0 ? json_integer(d->log[i].http_status) : json_null(), "error",
            d->log[i].error != NULL ? json_string(d->log[i].error) : json_null());
        if (e == NULL || json_array_append_new(log, e) != 0) {
            json_decref(log);
            return NULL;
        }
    }
    o = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)d->id,
        "conversion_id", (json_int_t)d->conversion_id, "event", d->event, "url", d->url, "status",
        delivery_names[d->status], "attempts", d->attempts, "last_status",
        d->last_status != 0 ? json_integer(d->last_status) : json_null(), "created_at",
        tl_out_time(d->created_at), "updated_at", tl_out_time(d->updated_at), "next_attempt_at",
        d->status == TL_DELIVERY_PENDING ? tl_out_time(d->next_attempt_ms) : json_null(),
        "attempt_log", log);
    return o;
}

TL_HANDLER(tl_api_me_postbacks_list)
{
    struct tl_app *app = req->app;
    struct tl_postback_delivery *items;
    struct tl_page page;
    const char *s;
    int status = -1, i;
    size_t n, k;
    bool more, newest_first;
    json_t *data, *o;
    enum tl_err err;

    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    s = tl_req_query(req, "status");
    if (s != NULL && s[0] != '\0') {
        for (i = 0; i < 3; i++)
            if (strcmp(s, delivery_names[i]) == 0)
                status = i;
        if (status < 0)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "status",
                                  "status must be pending, delivered or failed");
    }
    err = tl_in_order(req, &newest_first, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, postback_deliveries, &req->actor, status, newest_first, &page,
                   req->arena, &items, &n, &more);
    if (err != TL_OK)
        return err;
    data = json_array();
    if (data == NULL)
        return TL_ERR_NOMEM;
    for (k = 0; k < n; k++) {
        o = delivery_json(&items[k]);
        if (o == NULL || json_array_append_new(data, o) != 0) {
            json_decref(data);
            return TL_ERR_NOMEM;
        }
    }
    return tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
}
