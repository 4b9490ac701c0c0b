/*
 * reports.c: GET /api/v1/reports (API.md "Reports"): sums of clicks,
 * unique clicks, conversions, revenue and payout from the hourly rollups,
 * grouped by day, hour, campaign, partner, task or link, as JSON or CSV.
 *
 * Days begin in the zone ?tz= names. The rollups are hourly, so days are
 * exact for zones whose offsets are whole hours; a zone that is not (in
 * the period asked for) is refused with 422 when grouping by day or when
 * from/to are dates. Money is never added across currencies: every row
 * carries its currency.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"
#include "core/time.h"
#include "core/tz.h"

#define HOUR_MS  3600000LL
#define DAY_MS   86400000LL
#define OPEN_END (INT64_C(1) << 52) /* far past any real click */

enum group {
    G_NONE,
    G_DAY,
    G_HOUR,
    G_CAMPAIGN,
    G_PARTNER,
    G_TASK,
    G_LINK,
};

static const char *const group_names[] = {"", "day", "hour", "campaign", "partner", "task", "link"};
static const char *const key_names[] = {NULL,         "day",     "hour",   "campaign_id",
                                        "partner_id", "task_id", "link_id"};

struct report {
    enum group group;
    bool csv;
    struct tl_tz *tz;
    struct tl_report_query q;
};

/* Parses from/to: RFC 3339, or YYYY-MM-DD (local midnight in tz). */
static enum tl_err parse_bound(struct tl_req *req, const char *key, struct tl_tz *tz, int64_t *out,
                               bool *is_date, struct tl_problem *prob)
{
    const char *s = tl_req_query(req, key);
    int64_t ms;

    *out = 0;
    *is_date = false;
    if (s == NULL || s[0] == '\0')
        return TL_OK;
    if (tl_time_parse_date(s, &ms) == TL_OK) {
        *is_date = true;
        *out = tl_tz_local_to_utc(tz, ms);
        return TL_OK;
    }
    if (tl_time_parse(s, &ms) == TL_OK) {
        *out = ms;
        return TL_OK;
    }
    return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", key,
                          "%s must be an RFC 3339 time or a YYYY-MM-DD date", key);
}

static enum tl_err parse_query(struct tl_req *req, struct report *r, struct tl_problem *prob)
{
    const char *g = tl_req_query(req, "group_by"), *f = tl_req_query(req, "format");
    const char *tz = tl_req_query(req, "tz");
    bool from_date, to_date;
    size_t i;
    enum tl_err err;

    memset(r, 0, sizeof(*r));
    if ((err = tl_in_query_id(req, "program_id", &r->q.program_id, prob)) != TL_OK ||
        (err = tl_in_query_id(req, "campaign_id", &r->q.campaign_id, prob)) != TL_OK ||
        (err = tl_in_query_id(req, "partner_id", &r->q.partner_id, prob)) != TL_OK ||
        (err = tl_in_query_id(req, "task_id", &r->q.task_id, prob)) != TL_OK)
        return err;
    if (g != NULL && g[0] != '\0') {
        for (i = 1; i < sizeof(group_names) / sizeof(group_names[0]); i++)
            if (strcmp(g, group_names[i]) == 0)
                r->group = (enum group)i;
        if (r->group == G_NONE)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "group_by",
                                  "group_by must be day, hour, campaign, partner, task or link");
    }
    if (f != NULL && strcmp(f, "csv") == 0)
        r->csv = true;
    else if (f != NULL && f[0] != '\0' && strcmp(f, "json") != 0)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "format",
                              "format must be json or csv");
    err = tl_tz_load(tz != NULL && tz[0] != '\0' ? tz : "UTC", &r->tz);
    if (err == TL_ERR_NOMEM)
        return err;
    if (err != TL_OK)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "tz",
                              "tz must be an IANA time zone such as Asia/Tokyo");
    if ((err = parse_bound(req, "from", r->tz, &r->q.from_ms, &from_date, prob)) != TL_OK ||
        (err = parse_bound(req, "to", r->tz, &r->q.to_ms, &to_date, prob)) != TL_OK)
        return err;
    if (r->q.from_ms != 0 && r->q.to_ms != 0 && r->q.from_ms >= r->q.to_ms)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "to",
                              "to must be later than from");
    if ((r->group == G_DAY || from_date || to_date) &&
        !tl_tz_whole_hours(r->tz, r->q.from_ms, r->q.to_ms != 0 ? r->q.to_ms : OPEN_END))
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "tz",
                              "%s is offset from UTC by a fraction of an hour, and reports "
                              "have hourly resolution: its days cannot be told apart exactly",
                              tz != NULL ? tz : "UTC");
    switch (r->group) {
    case G_NONE: r->q.group = TL_GROUP_NONE; break;
    case G_DAY:
    case G_HOUR: r->q.group = TL_GROUP_HOUR; break;
    case G_CAMPAIGN: r->q.group = TL_GROUP_CAMPAIGN; break;
    case G_PARTNER: r->q.group = TL_GROUP_PARTNER; break;
    case G_TASK: r->q.group = TL_GROUP_TASK; break;
    case G_LINK: r->q.group = TL_GROUP_LINK; break;
    }
    return TL_OK;
}

/* Folds hour rows into local days (rows come ordered by hour). */
static size_t fold_days(const struct tl_tz *tz, struct tl_report_row *rows, size_t n)
{
    size_t out = 0, i, j, day_start = 0;
    int64_t day, cur = INT64_MIN;

    for (i = 0; i < n; i++) {
        int64_t local = rows[i].key + (int64_t)tl_tz_offset(tz, rows[i].key) * 1000;

        day = local - ((local % DAY_MS) + DAY_MS) % DAY_MS;
        if (day != cur) {
            cur = day;
            day_start = out;
        }
        for (j = day_start; j < out; j++)
            if (strcmp(rows[j].currency, rows[i].currency) == 0)
                break;
        if (j == out) {
            rows[out] = rows[i];
            rows[out++].key = day;
            continue;
        }
        rows[j].clicks += rows[i].clicks;
        rows[j].unique_clicks += rows[i].unique_clicks;
        rows[j].conversions += rows[i].conversions;
        rows[j].revenue += rows[i].revenue;
        rows[j].payout += rows[i].payout;
    }
    return out;
}

/* The key of a row as text (day, hour) or NULL (ids). */
static const char *key_text(struct tl_arena *a, const struct report *r, int64_t key)
{
    int64_t local;
    int32_t off;
    char t[TL_TIME_LEN];

    switch (r->group) {
    case G_DAY: tl_time_format(key, t); return tl_arena_strndup(a, t, 10);
    case G_HOUR:
        off = tl_tz_offset(r->tz, key);
        local = key + (int64_t)off * 1000;
        tl_time_format(local, t);
        if (off == 0)
            return tl_arena_strdup(a, t);
        return tl_arena_printf(a, "%.19s%c%02d:%02d", t, off < 0 ? '-' : '+',
                               (off < 0 ? -off : off) / 3600, ((off < 0 ? -off : off) % 3600) / 60);
    default: return NULL;
    }
}

static double ratio(int64_t num, int64_t den)
{
    return den == 0 ? 0.0 : (double)num / (double)den;
}

static json_t *row_json(struct tl_arena *a, const struct report *r, const struct tl_report_row *w)
{
    json_t *o = json_object(), *key;
    const char *text;

    if (o == NULL)
        return NULL;
    if (r->group != G_NONE) {
        text = key_text(a, r, w->key);
        if (text != NULL)
            key = json_string(text);
        else if (r->group == G_LINK && w->key == 0)
            key = json_null();
        else
            key = json_integer(w->key);
        json_object_set_new(o, key_names[r->group], key);
    }
    json_object_set_new(o, "currency",
                        w->currency != NULL ? json_string(w->currency) : json_null());
    json_object_set_new(o, "clicks", json_integer(w->clicks));
    json_object_set_new(o, "unique_clicks", json_integer(w->unique_clicks));
    json_object_set_new(o, "conversions", json_integer(w->conversions));
    json_object_set_new(o, "revenue", json_integer(w->revenue));
    json_object_set_new(o, "payout", json_integer(w->payout));
    json_object_set_new(o, "conversion_rate", json_real(ratio(w->conversions, w->unique_clicks)));
    json_object_set_new(o, "epc", json_real(ratio(w->payout, w->clicks)));
    return o;
}

/* Appends to a growing CSV buffer in the arena. */
struct csv {
    struct tl_arena *a;
    char *buf;
    size_t len, cap;
};

static bool csv_add(struct csv *c, const char *s)
{
    size_t n = strlen(s), cap;
    char *nb;

    if (c->len + n + 1 > c->cap) {
        cap = c->cap == 0 ? 4096 : c->cap * 2;
        while (cap < c->len + n + 1)
            cap *= 2;
        nb = tl_arena_alloc(c->a, cap);
        if (nb == NULL)
            return false;
        if (c->len > 0)
            memcpy(nb, c->buf, c->len);
        c->buf = nb;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, s, n + 1);
    c->len += n;
    return true;
}

static enum tl_err answer_csv(struct tl_req *req, struct tl_resp *resp, const struct report *r,
                              const struct tl_report_row *rows, size_t n)
{
    struct csv c = {req->arena, NULL, 0, 0};
    char line[512], keybuf[64];
    const char *key;
    size_t i;

    if (r->group != G_NONE && (!csv_add(&c, key_names[r->group]) || !csv_add(&c, ",")))
        return TL_ERR_NOMEM;
    if (!csv_add(&c, "currency,clicks,unique_clicks,conversions,revenue,payout,"
                     "conversion_rate,epc\r\n"))
        return TL_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        const struct tl_report_row *w = &rows[i];

        key = NULL;
        if (r->group != G_NONE) {
            key = key_text(req->arena, r, w->key);
            if (key == NULL && !(r->group == G_LINK && w->key == 0)) {
                snprintf(keybuf, sizeof(keybuf), "%" PRId64, w->key);
                key = keybuf;
            }
            if (!csv_add(&c, key != NULL ? key : "") || !csv_add(&c, ","))
                return TL_ERR_NOMEM;
        }
        snprintf(line, sizeof(line),
                 "%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%.17g,%.17g\r\n",
                 w->currency != NULL ? w->currency : "", w->clicks, w->unique_clicks,
                 w->conversions, w->revenue, w->payout, ratio(w->conversions, w->unique_clicks),
                 ratio(w->payout, w->clicks));
        if (!csv_add(&c, line))
            return TL_ERR_NOMEM;
    }
    resp->status = 200;
    resp->body = c.buf;
    resp->body_len = c.len;
    resp->content_type = "text/csv; charset=utf-8";
    return TL_OK;
}

TL_HANDLER(tl_api_reports)
{
    struct tl_app *app = req->app;
    struct tl_report_row *rows, zero;
    struct report r;
    size_t n, i;
    json_t *data = NULL, *o;
    enum tl_err err;

    err = parse_query(req, &r, prob);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, report, &req->actor, &r.q, req->arena, &rows, &n);
    if (err != TL_OK)
        goto out;
    if (r.group == G_DAY)
        n = fold_days(r.tz, rows, n);
    if (r.group == G_NONE && n == 0) {
        /* Totals are one row even when nothing happened. */
        memset(&zero, 0, sizeof(zero));
        rows = &zero;
        n = 1;
    }
    if (r.csv) {
        err = answer_csv(req, resp, &r, rows, n);
        goto out;
    }
    data = json_array();
    if (data == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        o = row_json(req->arena, &r, &rows[i]);
        if (o == NULL || json_array_append_new(data, o) != 0) {
            err = TL_ERR_NOMEM;
            goto out;
        }
    }
    o = json_pack("{s:o, s:o}", "data", data, "next_cursor", json_null());
    data = NULL;
    err = tl_out_json(resp, 200, o);
out:
    json_decref(data);
    tl_tz_free(r.tz);
    return err;
}
