/*
 * redirect.c: the redirect hot path (see track.h) and the life of the
 * track context: cache, unique-visitor table, click queue.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/link.h"
#include "core/time.h"
#include "core/url.h"
#include "track/bots.h"
#include "track/clickid.h"
#include "track/location.h"
#include "track/track.h"
#include "track/uniq.h"

#define LOCATION_MAX (TL_URL_MAX * 4) /* the landing page plus forwarded parameters */
#define PARAMS_MAX   TL_LOCATION_MAX_PARAMS
#define IP_MAX       64

static const char *const sub_params[4] = {"subId1", "subId2", "subId3", "sharedid"};

static const char not_found_html[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Link not found</title></head><body><h1>Link not found</h1>"
    "<p>This tracking link does not exist. Check that it was copied whole.</p></body></html>\n";

struct tl_track {
    struct tl_track_config cfg;
    struct tl_cache *cache;
    struct tl_uniq *uniq;
    struct tl_clicks *clicks;
    struct tl_clicks_config clicks_cfg;
    unsigned char visitor_key[TL_UNIQ_KEY_LEN];
};

/* ---- life ---- */

static void resume_token(void *token, bool stored)
{
    tl_http_resume(token, stored);
}

struct tl_track *tl_track_start(const struct tl_track_config *cfg, char *why, size_t why_len)
{
    struct tl_track *t = calloc(1, sizeof(*t));

    if (t == NULL)
        goto fail;
    t->cfg = *cfg;
    randombytes_buf(t->visitor_key, sizeof(t->visitor_key));
    if (tl_bots_init() != TL_OK) {
        snprintf(why, why_len, "cannot load the bot patterns");
        goto fail;
    }
    t->cache = tl_cache_new(cfg->cache_entries > 0 ? cfg->cache_entries : TL_TRACK_CACHE_DEFAULT);
    t->uniq = tl_uniq_new(cfg->uniq_entries > 0 ? cfg->uniq_entries : TL_TRACK_UNIQ_DEFAULT);
    if (t->cache == NULL || t->uniq == NULL) {
        snprintf(why, why_len, "out of memory for the link cache");
        goto fail;
    }
    t->clicks_cfg.store = cfg->store;
    t->clicks_cfg.queue_cap = cfg->queue_cap;
    t->clicks_cfg.resume = resume_token;
    t->clicks_cfg.linger_ms = cfg->sync ? 0 : TL_CLICKS_LINGER_MS;
    t->clicks = tl_clicks_start(&t->clicks_cfg);
    if (t->clicks == NULL) {
        snprintf(why, why_len, "cannot start the click writer");
        goto fail;
    }
    return t;
fail:
    if (t != NULL) {
        tl_cache_free(t->cache);
        tl_uniq_free(t->uniq);
        free(t);
    }
    return NULL;
}

void tl_track_shutdown(struct tl_track *t)
{
    if (t != NULL)
        tl_clicks_shutdown(t->clicks);
}

uint64_t tl_track_stop(struct tl_track *t)
{
    uint64_t lost;

    if (t == NULL)
        return 0;
    lost = tl_clicks_stop(t->clicks);
    tl_cache_free(t->cache);
    tl_uniq_free(t->uniq);
    free(t);
    return lost;
}

struct tl_cache *tl_track_cache(struct tl_track *t)
{
    return t->cache;
}

void tl_track_click_stats(struct tl_track *t, struct tl_clicks_stats *out)
{
    tl_clicks_stats(t->clicks, out);
}

int64_t tl_track_click_floor(struct tl_track *t)
{
    return t != NULL ? tl_clicks_floor(t->clicks) : INT64_MAX;
}

enum tl_clicks_wait tl_track_click_wait(struct tl_track *t, int64_t floor, const char *click_id,
                                        struct tl_clicks_waiter *w,
                                        void (*cb)(void *arg, bool stored), void *arg)
{
    int64_t at = tl_clickid_time(click_id);

    if (t == NULL || at < 0 || at < floor)
        return TL_CLICKS_NOT_PENDING;
    return tl_clicks_wait(t->clicks, floor, at, w, cb, arg);
}

enum tl_clicks_wait tl_track_click_wait_blocking(struct tl_track *t, int64_t floor,
                                                 const char *click_id)
{
    int64_t at = tl_clickid_time(click_id);

    if (t == NULL || at < 0 || at < floor)
        return TL_CLICKS_NOT_PENDING;
    return tl_clicks_wait_blocking(t->clicks, floor, at);
}

/* ---- resolving ---- */

/* Whether the link's landing page still passes the program's gate. */
static bool landing_passes(const struct tl_target *tg)
{
    char norm[TL_URL_MAX + 1];

    if (tg->landing == NULL)
        return true; /* the default was checked against the domains when set */
    return tl_url_landing_check(tg->landing, tg->domains, tg->n_domains, "landing", norm,
                                sizeof(norm), NULL) == TL_OK;
}

/* Splits a landing page for tl_location_compose, into parts[3]. */
static enum tl_err split(struct tl_arena *a, const char *landing, const char *parts[3])
{
    struct tl_location_parts p;
    enum tl_err err = tl_location_split(landing, a, &p);

    parts[0] = p.base;
    parts[1] = p.query;
    parts[2] = p.fragment;
    return err;
}

static enum tl_err compose(const char *const parts[3], const char *click_param,
                           const char *click_id, const struct tl_qparam *params, size_t n,
                           char *out, size_t cap)
{
    struct tl_location_parts p = {parts[0], parts[1], parts[2]};

    return tl_location_compose(&p, click_param, click_id, params, n, out, cap);
}

/*
 * The target of key from the cache, or from the store when blocking is
 * allowed. *found is false for a link that does not exist.
 */
static enum tl_err resolve(struct tl_track *t, struct tl_req *req, bool regular, const char *key,
                           struct tl_target *tg, bool *found)
{
    uint64_t stamp;
    enum tl_err err;

    if (tl_cache_get(t->cache, key, req->arena, tg, found))
        return TL_OK;
    if (!req->may_block)
        return TL_ERR_AGAIN;
    stamp = tl_cache_stamp(t->cache);
    if (regular)
        err = TL_STORE(t->cfg.store, target_by_path, req->ids[0], req->ids[1], req->ids[2],
                       req->arena, tg);
    else
        err = TL_STORE(t->cfg.store, target_by_code, key, req->arena, tg);
    if (err == TL_ERR_NOTFOUND) {
        *found = false;
        tl_cache_put(t->cache, key, stamp, NULL, regular ? req->ids[2] : 0);
        return TL_OK;
    }
    if (err != TL_OK)
        return err;
    tg->landing_ok = landing_passes(tg);
    err = split(req->arena, tg->default_landing, tg->default_parts);
    if (err == TL_OK && tg->landing != NULL && tg->landing_ok &&
        split(req->arena, tg->landing, tg->landing_parts) != TL_OK)
        tg->landing_ok = false; /* cannot be built: the default serves */
    if (err != TL_OK)
        return err;
    *found = true;
    tl_cache_put(t->cache, key, stamp, tg, 0);
    return TL_OK;
}

static bool same_landing(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/*
 * The landing page of a regular path: u= when the campaign's mode permits
 * it, else the program default (*fallback set when a u= was refused).
 * *link_id is the partner's active generated link with that landing page,
 * or 0; *disabled is set when there are such links and the brand disabled
 * them all (the regular URL of a disabled link credits nobody).
 */
static const char *regular_landing(struct tl_req *req, const struct tl_target *tg, bool *fallback,
                                   int64_t *link_id, bool *disabled)
{
    const char *u = tl_req_query(req, "u"), *chosen = NULL; /* NULL: the default */
    char *norm;
    size_t i;

    *fallback = false;
    *link_id = 0;
    *disabled = false;
    if (u != NULL) {
        norm = tl_arena_alloc(req->arena, TL_URL_MAX + 1);
        if (norm != NULL && tl_url_landing_check(u, tg->domains, tg->n_domains, "u", norm,
                                                 TL_URL_MAX + 1, NULL) == TL_OK) {
            switch (tg->mode) {
            case TL_LP_PARTNER_CHOICE: chosen = norm; break;
            case TL_LP_BRAND_SELECTED:
                for (i = 0; i < tg->n_pages; i++)
                    if (strcmp(tg->pages[i], norm) == 0)
                        chosen = norm;
                break;
            case TL_LP_PROGRAM_DEFAULT: break;
            }
            if (chosen == NULL && strcmp(norm, tg->default_landing) == 0)
                u = NULL; /* the default itself is always fine */
        }
        if (chosen == NULL && u != NULL) {
            *fallback = true;
            return tg->default_landing;
        }
    }
    for (i = 0; i < tg->n_links; i++) {
        const char *l = tg->link_landings[i];

        if (same_landing(l, chosen) ||
            (chosen == NULL && l != NULL && strcmp(l, tg->default_landing) == 0) ||
            (chosen != NULL && l == NULL && strcmp(chosen, tg->default_landing) == 0)) {
            if (tg->links_active == NULL || tg->links_active[i]) {
                *link_id = tg->link_ids[i];
                *disabled = false;
                break;
            }
            *disabled = true; /* unless an active twin follows */
        }
    }
    return chosen != NULL ? chosen : tg->default_landing;
}

/* ---- the click ---- */

static void copy_trunc(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;

    if (n >= cap)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The client's address: the socket peer, or the last X-Forwarded-For hop. */
static const char *client_ip(struct tl_track *t, const struct tl_req *req, char *buf, size_t cap)
{
    const char *xff, *last, *end;
    size_t n;

    if (t->cfg.trust_proxy && (xff = tl_req_header(req, "X-Forwarded-For")) != NULL) {
        last = strrchr(xff, ',');
        last = last != NULL ? last + 1 : xff;
        while (*last == ' ' || *last == '\t')
            last++;
        end = last + strlen(last);
        while (end > last && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        n = (size_t)(end - last);
        if (n > 0 && n < cap) {
            memcpy(buf, last, n);
            buf[n] = '\0';
            return buf;
        }
    }
    return tl_req_peer(req, buf, cap);
}

static enum tl_err not_found(struct tl_resp *resp)
{
    resp->status = 404;
    resp->body = not_found_html;
    resp->body_len = sizeof(not_found_html) - 1;
    resp->content_type = "text/html; charset=utf-8";
    return tl_resp_header_add(resp, "Cache-Control", "no-store");
}

static enum tl_err answer_302(struct tl_resp *resp, const char *location)
{
    enum tl_err err;

    resp->status = 302;
    resp->body = "";
    resp->body_len = 0;
    err = tl_resp_header_add(resp, "Location", location);
    if (err == TL_OK)
        err = tl_resp_header_add(resp, "Cache-Control", "no-store");
    if (err == TL_OK)
        err = tl_resp_header_add(resp, "Referrer-Policy", "no-referrer-when-downgrade");
    return err;
}

enum tl_err tl_track_redirect(struct tl_track *t, struct tl_req *req, struct tl_resp *resp,
                              struct tl_problem *prob, bool regular)
{
    struct tl_kv kv[PARAMS_MAX];
    struct tl_qparam params[PARAMS_MAX];
    struct tl_target tg;
    struct tl_click click, *k;
    char key[TL_CACHE_KEY_MAX], click_id[TL_CLICKID_LEN + 1], ip[IP_MAX];
    const char *landing, *ua;
    char *location;
    bool found, fallback = false, credit, disabled;
    int64_t link_id, now;
    size_t n, i, j, cap;
    void *token;
    enum tl_err err;

    (void)prob;
    if (regular) {
        snprintf(key, sizeof(key), "c/%" PRId64 "/%" PRId64 "/%" PRId64, req->ids[0], req->ids[1],
                 req->ids[2]);
    } else {
        size_t len = strlen(req->raw[0]);

        if (len >= sizeof(key) || !tl_link_code_valid(req->raw[0]))
            return not_found(resp);
        memcpy(key, req->raw[0], len + 1);
    }
    err = resolve(t, req, regular, key, &tg, &found);
    if (err != TL_OK)
        return err;
    if (!found)
        return not_found(resp);

    n = tl_req_query_list(req, kv, PARAMS_MAX);
    for (i = 0; i < n; i++) {
        params[i].key = kv[i].key;
        params[i].value = kv[i].value;
    }
    /* Room for the longest landing page this redirect can take (a u= is
     * at most TL_URL_MAX), the click id and the parameters, encoded. */
    cap = TL_URL_MAX + 3 * strlen(tg.click_param) + TL_CLICKID_LEN + 16;
    for (i = 0; i < n; i++)
        cap +=
            3 * (strlen(params[i].key) + (params[i].value != NULL ? strlen(params[i].value) : 0)) +
            2;
    if (cap > LOCATION_MAX)
        cap = LOCATION_MAX; /* past it, compose drops the visitor's parameters */
    /* Not zeroed: compose and build always write a terminated string
     * (on error ""), and the Location is read only after one of them. */
    location = tl_arena_alloc_raw(req->arena, cap);
    if (location == NULL)
        return TL_ERR_NOMEM;

    /* A redirect that credits nobody goes to the default, with no click id. */
    credit = tg.link_active && tg.campaign_active && tg.tracking_enabled;
    if (credit && regular) {
        landing = regular_landing(req, &tg, &fallback, &link_id, &disabled);
        credit = !disabled;
    }
    if (!credit) {
        err = compose(tg.default_parts, tg.click_param, NULL, params, n, location, cap);
        return err != TL_OK ? err : answer_302(resp, location);
    }
    if (!regular) {
        link_id = tg.link_id;
        landing = tg.landing != NULL ? tg.landing : tg.default_landing;
        if (!tg.landing_ok) {
            landing = tg.default_landing;
            fallback = true;
        }
    }
    now = tl_time_now_ms();
    tl_clickid_new(now, click_id);
    /* The cached landing pages come split already; only a u= is split here. */
    if (landing == tg.default_landing)
        err = compose(tg.default_parts, tg.click_param, click_id, params, n, location, cap);
    else if (landing == tg.landing)
        err = compose(tg.landing_parts, tg.click_param, click_id, params, n, location, cap);
    else
        err = tl_location_build(landing, tg.click_param, click_id, params, n, location, cap);
    if (err != TL_OK) {
        /* Only the default is left, and it was validated when it was set. */
        fallback = true;
        err = compose(tg.default_parts, tg.click_param, click_id, NULL, 0, location, cap);
        if (err != TL_OK)
            return err;
    }
    err = answer_302(resp, location);
    if (err != TL_OK || req->method == TL_HEAD)
        return err;

    /* The click: built here, copied into the queue up to its strings' ends. */
    k = &click;
    memset(k, 0, offsetof(struct tl_click, user_agent));
    for (i = 0; i < 4; i++)
        k->sub[i][0] = '\0';
    ua = tl_req_header(req, "User-Agent");
    memcpy(k->click_id, click_id, sizeof(click_id));
    k->ts_ms = now;
    k->link_id = link_id;
    k->partner_id = tg.partner_id;
    k->task_id = tg.task_id;
    k->campaign_id = tg.campaign_id;
    k->program_id = tg.program_id;
    copy_trunc(k->currency, sizeof(k->currency), tg.currency);
    tl_uniq_visitor(t->visitor_key, client_ip(t, req, ip, sizeof(ip)), ua != NULL ? ua : "",
                    k->visitor);
    copy_trunc(k->user_agent, sizeof(k->user_agent), ua);
    copy_trunc(k->referrer, sizeof(k->referrer), tl_req_header(req, "Referer"));
    /* The visitor's subId1..3 and sharedid, else the short link's own. */
    for (i = 0; i < 4; i++) {
        for (j = 0; j < n; j++)
            if (kv[j].value != NULL && strcmp(kv[j].key, sub_params[i]) == 0) {
                copy_trunc(k->sub[i], sizeof(k->sub[i]), kv[j].value);
                break;
            }
        if (j == n && !regular && tg.link_subs[i] != NULL)
            copy_trunc(k->sub[i], sizeof(k->sub[i]), tg.link_subs[i]);
    }
    k->bot = tl_bots_match(ua);
    k->landing_fallback = fallback;
    /* A bot's click is kept but counted nowhere, not even as a visit. */
    k->uniq = !k->bot &&
              !tl_uniq_seen(t->uniq, k->visitor,
                            link_id != 0 ? link_id : -(tg.task_id * 1000003 + tg.partner_id), now);
    token = NULL;
    if (t->cfg.sync && (token = tl_req_defer(req)) == NULL)
        return TL_ERR_BUSY;
    err = tl_clicks_push(t->clicks, k, token);
    if (err != TL_OK && token != NULL) {
        tl_http_resume(token, false); /* answers 503 instead of the redirect */
        return TL_OK;
    }
    return err == TL_OK ? TL_OK : TL_ERR_BUSY;
}
