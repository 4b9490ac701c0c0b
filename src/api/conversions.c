/*
 * conversions.c: conversions (API.md "Conversions"): recording one from a
 * brand's server (POST /api/v1/conversions) or from a system that can only
 * fire a GET (GET /postback?key=..., authenticated by the program's
 * postback key), reading and listing them, moving them through their
 * statuses, and their history.
 *
 * Attribution: the click id names a stored click, which names the link,
 * partner, task, campaign and program. The order of checks on creation:
 * the body's types (400), missing click_id (422), the click (404
 * click_not_found, also when it belongs to another brand's program), the
 * other fields (422: missing_field, invalid_value, invalid_amount), then
 * the rules: campaign_not_trackable, currency_mismatch (any currency that
 * is not the program's, including a malformed code),
 * outside_referral_window. Then the conversion is created, or the one
 * with the same (program, event_type, order_id) is found: an identical
 * replay (same amount, currency and click id) answers 200 with it,
 * anything else 409 duplicate_order. The reads, the rules and the insert
 * are one store job (conversion_record), on the writer's warm cache.
 *
 * A bot-flagged click converts like any other: a person misread as a bot
 * still converts.
 *
 * A click whose redirect was answered before its commit (async click
 * durability) may still be in the click queue when its conversion comes.
 * So a lookup that finds no click asks the click queue whether the id can
 * be one of those (track.h tl_track_click_wait: by the time in the id, at
 * no cost for any other id) and, if so, runs once more after the queue has
 * stored everything pushed until then; a store that fails meanwhile
 * answers 503 store_unavailable. On the front the second lookup is
 * chained from the click queue's callback: no thread waits.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"
#include "core/conversion.h"
#include "core/currency.h"
#include "core/payout.h"
#include "core/time.h"
#include "track/postbacks.h"
#include "track/rejections.h"
#include "track/track.h"

/* A conversion request, from a JSON body or a query string. */
struct conv_input {
    const char *click_id;
    const char *order_id;
    const char *event_type; /* NULL: "sale" */
    int64_t amount;
    const char *currency; /* NULL: the program's */
    int64_t occurred_at;  /* 0: now */
};

static const struct tl_in_field conv_types[] = {
    {"click_id", "click_id", TL_IN_STR},     {"order_id", "order_id", TL_IN_STR},
    {"event_type", "event_type", TL_IN_STR}, {"amount", "amount", TL_IN_INT},
    {"currency", "currency", TL_IN_STR},     {"occurred_at", "occurred_at", TL_IN_STR},
};

static json_t *id_or_null(int64_t id)
{
    return id != 0 ? json_integer((json_int_t)id) : json_null();
}

static json_t *conversion_json(const struct tl_conversion *v)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:I, s:o, "
                     "s:o, s:o}",
                     "id", (json_int_t)v->id, "status", tl_conversion_status_str(v->status),
                     "click_id", v->click_id, "order_id", v->order_id, "event_type", v->event_type,
                     "amount", (json_int_t)v->amount, "currency", v->currency, "payout",
                     (json_int_t)v->payout, "partner_id", (json_int_t)v->partner_id, "campaign_id",
                     (json_int_t)v->campaign_id, "task_id", (json_int_t)v->task_id, "link_id",
                     id_or_null(v->link_id), "program_id", (json_int_t)v->program_id, "occurred_at",
                     tl_out_time(v->occurred_at), "created_at", tl_out_time(v->created_at),
                     "updated_at", tl_out_time(v->updated_at != 0 ? v->updated_at : v->created_at));
}

static enum tl_err click_not_found(struct tl_problem *prob)
{
    return tl_problem_set(prob, TL_ERR_NOTFOUND, "click_not_found", "click_id",
                          "no click with this click_id");
}

static enum tl_err conv_not_found(struct tl_problem *prob)
{
    return tl_problem_set(prob, TL_ERR_NOTFOUND, "not_found", NULL, "conversion not found");
}

/* Whether s is UTF-8, as jansson judges the strings it will render: a
 * query string (GET /postback) may carry any byte. */
static bool utf8_valid(const char *s)
{
    json_t *probe = json_string(s);

    json_decref(probe);
    return probe != NULL;
}

/* order_id, event_type and occurred_at as text, checked the same way for
 * both entry points. */
static enum tl_err check_fields(struct conv_input *in, const char *occurred,
                                struct tl_problem *prob)
{
    const char *p;

    if (in->order_id == NULL)
        return tl_problem_set(prob, TL_ERR_INVALID, "missing_field", "order_id",
                              "order_id is required");
    if (in->order_id[0] == '\0' || strlen(in->order_id) > TL_ORDER_ID_MAX)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "order_id",
                              "order_id must be 1 to %d bytes", TL_ORDER_ID_MAX);
    for (p = in->order_id; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "order_id",
                                  "order_id may not hold control characters");
    if (!utf8_valid(in->order_id))
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "order_id",
                              "order_id must be UTF-8 text");
    if (in->event_type == NULL)
        in->event_type = "sale";
    if (!tl_conversion_event_type_valid(in->event_type))
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "event_type",
                              "event_type must be 1 to %d characters of a-z, 0-9, _ . -",
                              TL_EVENT_TYPE_MAX);
    in->occurred_at = 0;
    if (occurred != NULL && tl_time_parse(occurred, &in->occurred_at) != TL_OK)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "occurred_at",
                              "occurred_at must be an RFC 3339 time");
    return TL_OK;
}

/* What the store's reads showed decide() when it refused, for the
 * rejection's facts; program_id 0 when the click is not the caller's. */
struct decide_figures {
    int64_t program_id;
    const char *program_currency;
    int window_days;
    int64_t click_ms;
    int64_t campaign_id;
};

/* What decide() needs besides the store's reads, and what it answers. */
struct decide_ctx {
    int64_t key_program;
    struct conv_input *in;
    const char *occurred;
    const struct tl_problem *amount_prob;
    struct tl_problem *prob;
    enum tl_err refused; /* decide's error, TL_OK when it accepted */
    bool no_click;       /* the store had no click with the id */
    struct decide_figures fig;
};

/*
 * The rules of a new conversion, in the order of the file's comment, on
 * the click, program and campaign that the store read (tl_conversion_decide_fn:
 * runs on the store's writer thread). Fills v, or sets x->prob and returns
 * its error.
 */
static enum tl_err decide_rules(struct decide_ctx *x, const struct tl_click_info *click,
                                const struct tl_program *p, const struct tl_campaign *c,
                                struct tl_conversion *v)
{
    struct conv_input *in = x->in;
    enum tl_err err;

    /* With the caller's eyes: another brand's click is not found. */
    if (click == NULL || (x->key_program != 0 && click->program_id != x->key_program) || p == NULL)
        return click_not_found(x->prob);
    if (x->amount_prob->err != TL_OK) {
        *x->prob = *x->amount_prob;
        return x->amount_prob->err;
    }
    err = check_fields(in, x->occurred, x->prob);
    if (err != TL_OK)
        return err;
    if (c == NULL)
        return click_not_found(x->prob);
    if (!c->tracking_enabled)
        return tl_problem_set(x->prob, TL_ERR_INVALID, "campaign_not_trackable", NULL,
                              "conversion tracking is off for this campaign");
    if (in->currency == NULL)
        in->currency = p->currency;
    if (strcmp(in->currency, p->currency) != 0)
        return tl_problem_set(x->prob, TL_ERR_INVALID, "currency_mismatch", "currency",
                              tl_currency_valid(in->currency)
                                  ? "the program's currency is %s"
                                  : "currency is not an ISO 4217 code; the program's is %s",
                              p->currency);
    if (in->occurred_at == 0)
        in->occurred_at = tl_time_now_ms();
    if (!tl_conversion_in_window(click->ts_ms, p->referral_window_days, in->occurred_at))
        return tl_problem_set(x->prob, TL_ERR_INVALID, "outside_referral_window", "occurred_at",
                              "the conversion is outside the %d-day referral window of its "
                              "click",
                              p->referral_window_days);
    memset(v, 0, sizeof(*v));
    v->click_id = click->click_id;
    v->order_id = in->order_id;
    v->event_type = in->event_type;
    v->amount = in->amount;
    v->currency = p->currency;
    if (tl_payout_compute(c->payout_type, c->payout_amount, c->payout_rate_bp, in->amount,
                          &v->payout) != TL_OK)
        return tl_problem_set(x->prob, TL_ERR_INTERNAL, "internal", NULL,
                              "the campaign's payout rule is out of range");
    v->partner_id = click->partner_id;
    v->campaign_id = click->campaign_id;
    v->task_id = click->task_id;
    v->link_id = click->link_id;
    v->program_id = click->program_id;
    v->occurred_at = in->occurred_at;
    return TL_OK;
}

/* Notes what the refusal saw, when the click is the caller's. */
static void note_figures(struct decide_ctx *x, const struct tl_click_info *click,
                         const struct tl_program *p, const struct tl_campaign *c)
{
    if (click == NULL || p == NULL || (x->key_program != 0 && click->program_id != x->key_program))
        return;
    x->fig.program_id = p->id;
    x->fig.program_currency = p->currency;
    x->fig.window_days = p->referral_window_days;
    x->fig.click_ms = click->ts_ms;
    x->fig.campaign_id = c != NULL ? c->id : 0;
}

static enum tl_err decide(void *arg, const struct tl_click_info *click, const struct tl_program *p,
                          const struct tl_campaign *c, struct tl_conversion *v)
{
    struct decide_ctx *x = arg;

    x->no_click = click == NULL;
    x->refused = decide_rules(x, click, p, c, v);
    if (x->refused != TL_OK)
        note_figures(x, click, p, c);
    return x->refused;
}

/* A conversion being created: what its handler read, and what the store
 * answers. It lives in the request's arena, from the handler to the answer
 * (which a suspended request builds later, in conv_finish). */
struct conv_job {
    struct tl_actor brand; /* the caller, or the program's brand for GET /postback */
    int64_t key_program;   /* the postback key's program; 0 for an API call */
    struct conv_input in;
    const char *occurred;
    struct tl_problem amount_prob; /* the amount's 422, answered once the click is known */
    struct tl_problem refusal;     /* decide's problem */
    struct decide_ctx x;
    struct tl_conversion out;
    bool created;
    enum tl_err err;
    json_t *body; /* owns in's strings for POST /conversions; NULL otherwise */
    void *token;  /* tl_req_suspend's, when suspended */
    struct tl_app *app;
    struct tl_arena *arena; /* the request's */
    int64_t click_floor;    /* tl_track_click_floor, read before the first lookup */
    bool looked_again;
    struct tl_clicks_waiter wait;
};

static enum tl_err conv_outcome(struct tl_req *req, struct conv_job *j, struct tl_resp *resp,
                                struct tl_problem *prob)
{
    struct tl_app *app = req->app;

    if (j->err != TL_OK && j->err == j->x.refused) {
        *prob = j->refusal;
        return j->err;
    }
    if (j->err == TL_ERR_NOTFOUND)
        return click_not_found(prob);
    if (j->err != TL_OK)
        return j->err;
    if (j->created) {
        tl_postbacks_poke(app->postbacks);
        return tl_out_json(resp, 201, conversion_json(&j->out));
    }
    if (j->out.amount != j->in.amount || strcmp(j->out.currency, j->in.currency) != 0 ||
        strcmp(j->out.click_id, j->in.click_id) != 0)
        return tl_problem_set(prob, TL_ERR_CONFLICT, "duplicate_order", "order_id",
                              "conversion %" PRId64 " already has this order_id and event_type "
                              "with a different amount, currency or click",
                              j->out.id);
    return tl_out_json(resp, 200, conversion_json(&j->out));
}

/*
 * Refused conversion attempts (docs/api.md "Rejected conversions"): what
 * was sent, read back from the request itself (so, as sent: before any
 * default), and the figures that decided the refusal, handed to the
 * recorder, which writes them later. Kept: refusals of a known brand
 * whose request could be read (404, 409, 422, and 400 invalid_type).
 */
static bool refusal_kept(const struct tl_problem *prob)
{
    int status = tl_http_status(prob->err);

    if (prob->code == NULL)
        return false;
    return status == 404 || status == 409 || status == 422 ||
           (status == 400 && strcmp(prob->code, "invalid_type") == 0);
}

/* A value as sent: a string of the JSON body, or a query parameter. */
static const char *sent_str(struct tl_req *req, const struct conv_job *j, const char *key)
{
    if (j->key_program == 0)
        return json_string_value(json_object_get(j->body, key));
    return tl_req_query(req, key);
}

/* facts.amount_sent: the amount as sent, as text (malloc'd; NULL when none). */
static char *amount_sent(struct tl_req *req, const struct conv_job *j)
{
    const char *q;

    if (j->key_program == 0)
        return json_dumps(json_object_get(j->body, "amount"), JSON_ENCODE_ANY | JSON_COMPACT);
    q = tl_req_query(req, "amount");
    return q != NULL ? strdup(q) : NULL;
}

/* Seconds as days, rounded away from zero to 0.01: a click just outside
 * the window never reads as inside it. */
static double days_away_from_zero(int64_t s)
{
    double d = ceil((double)llabs(s) / 864.0) / 100.0;

    return s < 0 ? -d : d;
}

/* Whole seconds of a time in ms (rounded down), as the API shows it. */
static int64_t shown_seconds(int64_t ms)
{
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* The figures that decided a refusal with code, as a JSON object. */
static json_t *refusal_facts(struct tl_req *req, const struct conv_job *j, const char *code)
{
    const struct decide_figures *f = &j->x.fig;
    json_t *o = NULL, *differs;
    char *text;
    int64_t age;

    if (strcmp(code, "outside_referral_window") == 0 && f->program_id != 0) {
        /* The difference of the two times as shown, as the window is judged. */
        age = shown_seconds(j->in.occurred_at) - shown_seconds(f->click_ms);
        o = json_pack("{s:o, s:o, s:I, s:f, s:i}", "click_at", tl_out_time(f->click_ms),
                      "occurred_at", tl_out_time(j->in.occurred_at), "click_age_seconds",
                      (json_int_t)age, "click_age_days", days_away_from_zero(age),
                      "referral_window_days", f->window_days);
    } else if (strcmp(code, "currency_mismatch") == 0 && f->program_id != 0 &&
               j->in.currency != NULL) {
        o = json_pack("{s:s, s:s, s:b}", "currency_sent", j->in.currency, "program_currency",
                      f->program_currency, "currency_known", tl_currency_valid(j->in.currency));
    } else if (strcmp(code, "invalid_amount") == 0) {
        text = amount_sent(req, j);
        if (text != NULL)
            o = json_pack("{s:s}", "amount_sent", text);
        free(text);
    } else if (strcmp(code, "campaign_not_trackable") == 0 && f->campaign_id != 0) {
        o = json_pack("{s:I}", "campaign_id", (json_int_t)f->campaign_id);
    } else if (strcmp(code, "duplicate_order") == 0) {
        differs = json_array();
        if (j->out.amount != j->in.amount)
            json_array_append_new(differs, json_string("amount"));
        if (strcmp(j->out.currency, j->in.currency) != 0)
            json_array_append_new(differs, json_string("currency"));
        if (strcmp(j->out.click_id, j->in.click_id) != 0)
            json_array_append_new(differs, json_string("click_id"));
        o = json_pack("{s:I, s:I, s:s, s:s, s:o, s:o}", "conversion_id", (json_int_t)j->out.id,
                      "conversion_amount", (json_int_t)j->out.amount, "conversion_currency",
                      j->out.currency, "conversion_click_id", j->out.click_id,
                      "conversion_created_at", tl_out_time(j->out.created_at), "differs", differs);
    }
    return o != NULL ? o : json_object();
}

static void keep_refusal(struct tl_req *req, const struct conv_job *j,
                         const struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    struct tl_rejection r;
    json_t *facts, *amount;
    char *text;

    if (app->rejections == NULL || !refusal_kept(prob))
        return;
    memset(&r, 0, sizeof(r));
    r.brand_id = j->brand.account_id;
    r.program_id = j->key_program;
    if (r.program_id == 0)
        r.program_id =
            strcmp(prob->code, "duplicate_order") == 0 ? j->out.program_id : j->x.fig.program_id;
    r.code = prob->code;
    r.status = tl_http_status(prob->err);
    r.detail = prob->detail;
    r.field = prob->field;
    r.postback = j->key_program != 0;
    r.click_id = sent_str(req, j, "click_id");
    r.order_id = sent_str(req, j, "order_id");
    r.event_type = sent_str(req, j, "event_type");
    r.currency = sent_str(req, j, "currency");
    if (j->key_program == 0) {
        amount = json_object_get(j->body, "amount");
        r.has_amount = json_is_integer(amount);
        r.amount = (int64_t)json_integer_value(amount);
    } else {
        r.has_amount = tl_req_query(req, "amount") != NULL && j->amount_prob.err == TL_OK;
        r.amount = j->in.amount;
    }
    facts = refusal_facts(req, j, prob->code);
    text = facts != NULL ? json_dumps(facts, JSON_COMPACT) : NULL;
    json_decref(facts);
    r.facts = text;
    r.received_at = tl_time_now_ms();
    tl_rejections_add(app->rejections, &r);
    free(text);
}

/* Answers j (a refusal, a new conversion, a replay or a conflict): the one
 * place every attempt's answer is decided, and so where refusals are kept. */
static enum tl_err conv_answer(struct tl_req *req, struct conv_job *j, struct tl_resp *resp,
                               struct tl_problem *prob)
{
    enum tl_err err = conv_outcome(req, j, resp, prob);

    if (err != TL_OK)
        keep_refusal(req, j, prob);
    return err;
}

/* A refusal found before the store was asked (j->refusal), answered like
 * one of decide's. */
static enum tl_err refuse(struct tl_req *req, struct conv_job *j, struct tl_resp *resp,
                          struct tl_problem *prob)
{
    j->err = j->x.refused = j->refusal.err;
    return conv_answer(req, j, resp, prob);
}

/* Before the second lookup: what the first one answered is forgotten. */
static void conv_again(struct conv_job *j, bool stored)
{
    tl_problem_init(&j->refusal);
    j->x.refused = TL_OK;
    j->x.no_click = false;
    j->err = stored ? TL_OK : TL_ERR_UNAVAILABLE;
}

static void conv_done(void *arg, enum tl_err err);

/* The click queue's callback (or conv_done's, when nothing is queued any
 * more): the click is stored if it exists; look again, without waiting. */
static void conv_clicks_stored(void *arg, bool stored)
{
    struct conv_job *j = arg;
    struct tl_app *app = j->app;
    enum tl_err queued;

    conv_again(j, stored);
    if (!stored) {
        tl_http_resume(j->token, true);
        return;
    }
    queued = TL_STORE(app->store, conversion_record_async, &j->brand, j->in.click_id, decide, &j->x,
                      j->arena, &j->out, &j->created, conv_done, j);
    if (queued != TL_OK) {
        j->err = queued;
        tl_http_resume(j->token, true);
    }
}

/* The store's thread, after the commit: the answer can be built, unless
 * the click may still be queued (then j is the click queue's). */
static void conv_done(void *arg, enum tl_err err)
{
    struct conv_job *j = arg;

    j->err = err;
    if (j->x.no_click && !j->looked_again) {
        j->looked_again = true;
        switch (tl_track_click_wait(j->app->track, j->click_floor, j->in.click_id, &j->wait,
                                    conv_clicks_stored, j)) {
        case TL_CLICKS_WAITING: return;
        case TL_CLICKS_STORED: conv_clicks_stored(j, true); return;
        default: break;
        }
    }
    tl_http_resume(j->token, true);
}

static enum tl_err conv_finish(struct tl_req *req, void *ctx, struct tl_resp *resp,
                               struct tl_problem *prob)
{
    struct conv_job *j = ctx;
    enum tl_err err = conv_answer(req, j, resp, prob);

    json_decref(j->body);
    j->body = NULL;
    return err;
}

/*
 * Attributes and stores the conversion of j. The reads and the rules run
 * in the store's writer job (conversion_record), so that a conversion
 * costs one store job and no read transaction. On the front's thread
 * (!req->may_block) the request is suspended while the store works
 * (conversion_record_async) and answered by conv_finish; TL_ERR_AGAIN when
 * it cannot be, or when the store cannot queue writes (libmicrohttpd's
 * thread then runs it, blocking).
 */
static enum tl_err create(struct tl_req *req, struct tl_resp *resp, struct tl_problem *prob,
                          struct conv_job *j)
{
    struct tl_app *app = req->app;

    tl_problem_init(&j->refusal);
    j->x = (struct decide_ctx){j->key_program, &j->in, j->occurred, &j->amount_prob,
                               &j->refusal,    TL_OK,  false,       {0}};
    if (j->in.click_id == NULL) {
        tl_problem_set(&j->refusal, TL_ERR_INVALID, "missing_field", "click_id",
                       "click_id is required");
        return refuse(req, j, resp, prob);
    }
    if (j->in.click_id[0] == '\0' || strlen(j->in.click_id) > TL_CLICK_ID_MAX) {
        click_not_found(&j->refusal);
        return refuse(req, j, resp, prob);
    }
    j->app = app;
    j->arena = req->arena;
    j->click_floor = tl_track_click_floor(app->track);
    if (!req->may_block) {
        enum tl_err queued;

        /* A backend that cannot queue writes would block the front. */
        if (!tl_store_can(app->store, TL_STORE_QUEUED_WRITES))
            return TL_ERR_AGAIN;
        j->token = tl_req_suspend(req, conv_finish, j);
        if (j->token == NULL)
            return TL_ERR_AGAIN;
        /* Once queued, j is the store's until conv_done, which may run
         * before the call below returns: nothing here writes j after it. */
        queued = TL_STORE(app->store, conversion_record_async, &j->brand, j->in.click_id, decide,
                          &j->x, req->arena, &j->out, &j->created, conv_done, j);
        if (queued != TL_OK) {
            j->err = queued;
            tl_http_resume(j->token, true); /* nothing was queued: answer the error */
        }
        return TL_OK;
    }
    j->err = TL_STORE(app->store, conversion_record, &j->brand, j->in.click_id, decide, &j->x,
                      req->arena, &j->out, &j->created);
    if (j->x.no_click) {
        switch (tl_track_click_wait_blocking(app->track, j->click_floor, j->in.click_id)) {
        case TL_CLICKS_STORED:
            conv_again(j, true);
            j->err = TL_STORE(app->store, conversion_record, &j->brand, j->in.click_id, decide,
                              &j->x, req->arena, &j->out, &j->created);
            break;
        case TL_CLICKS_FAILED: conv_again(j, false); break;
        default: break;
        }
    }
    return conv_answer(req, j, resp, prob);
}

TL_HANDLER(tl_api_conversions_create)
{
    struct conv_job *j = tl_arena_alloc(req->arena, sizeof(*j));
    const char *occurred = NULL;
    json_t *body = NULL;
    enum tl_err err;

    if (j == NULL)
        return TL_ERR_NOMEM;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    j->brand = req->actor;
    j->body = body;
    err = tl_in_types(body, conv_types, sizeof(conv_types) / sizeof(conv_types[0]), &j->refusal);
    if (err != TL_OK) {
        err = refuse(req, j, resp, prob);
        goto out;
    }
    /* Lengths are judged later, with the right codes. */
    if ((err = tl_in_str(body, "click_id", "click_id", false, 0, &j->in.click_id, prob)) != TL_OK ||
        (err = tl_in_str(body, "order_id", "order_id", false, 0, &j->in.order_id, prob)) != TL_OK ||
        (err = tl_in_str(body, "event_type", "event_type", false, 0, &j->in.event_type, prob)) !=
            TL_OK ||
        (err = tl_in_str(body, "currency", "currency", false, 0, &j->in.currency, prob)) != TL_OK ||
        (err = tl_in_str(body, "occurred_at", "occurred_at", false, 0, &occurred, prob)) != TL_OK)
        goto out;
    tl_problem_init(&j->amount_prob);
    err = tl_in_int(body, "amount", "amount", true, 0, TL_JSON_INT_MAX, "invalid_amount",
                    &j->in.amount, NULL, &j->amount_prob);
    if (err == TL_ERR_BADREQ) {
        j->refusal = j->amount_prob;
        err = refuse(req, j, resp, prob);
        goto out;
    }
    j->occurred = occurred;
    err = create(req, resp, prob, j);
    if (j->token != NULL)
        return err; /* suspended: conv_finish releases the body */
out:
    json_decref(body);
    return err;
}

/* Parses the amount of GET /postback: digits only; a fraction or a sign is
 * invalid_amount, anything else not a number invalid_type. */
static enum tl_err query_amount(const char *s, int64_t *out, struct tl_problem *prob)
{
    const char *p = s;
    int64_t n = 0;
    bool digits = false, fraction = false, negative = false;

    if (s == NULL)
        return tl_problem_set(prob, TL_ERR_INVALID, "missing_field", "amount",
                              "amount is required");
    if (*p == '-' || *p == '+') {
        negative = *p == '-';
        p++;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        digits = true;
        if (n > (TL_JSON_INT_MAX - (*p - '0')) / 10) {
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_amount", "amount",
                                  "amount must be between 0 and %lld", TL_JSON_INT_MAX);
        }
        n = n * 10 + (*p - '0');
    }
    if (*p == '.') {
        fraction = true;
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits = true;
    }
    if (!digits || *p != '\0')
        return tl_problem_set(prob, TL_ERR_BADREQ, "invalid_type", "amount",
                              "amount must be an integer");
    if (fraction || (negative && n != 0))
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_amount", "amount",
                              "amount must be a whole number of minor units, 0 or more");
    *out = n;
    return TL_OK;
}

TL_HANDLER(tl_api_postback)
{
    struct tl_app *app = req->app;
    struct conv_job *j = tl_arena_alloc(req->arena, sizeof(*j));
    struct tl_program p;
    struct conv_input *in;
    enum tl_err err;

    if (j == NULL)
        return TL_ERR_NOMEM;
    in = &j->in;
    err = TL_STORE(app->store, program_by_postback_key, tl_req_query(req, "key"), req->arena, &p);
    if (err == TL_ERR_NOTFOUND)
        return tl_problem_set(prob, TL_ERR_UNAUTHORIZED, "unauthorized", "key",
                              "a valid postback key is required");
    if (err != TL_OK)
        return err;
    j->brand.account_id = p.brand_id;
    j->brand.kind = TL_ACCOUNT_BRAND;
    j->key_program = p.id;
    in->click_id = tl_req_query(req, "click_id");
    in->order_id = tl_req_query(req, "order_id");
    in->event_type = tl_req_query(req, "event_type");
    in->currency = tl_req_query(req, "currency");
    if (in->event_type != NULL && in->event_type[0] == '\0')
        in->event_type = NULL;
    if (in->currency != NULL && in->currency[0] == '\0')
        in->currency = NULL;
    tl_problem_init(&j->amount_prob);
    err = query_amount(tl_req_query(req, "amount"), &in->amount, &j->amount_prob);
    if (err == TL_ERR_BADREQ) {
        j->refusal = j->amount_prob;
        return refuse(req, j, resp, prob);
    }
    j->occurred = tl_req_query(req, "occurred_at");
    /* A GET with the key in its query: always a blocking run (TL_ROUTE_DIRECT). */
    return create(req, resp, prob, j);
}

TL_HANDLER(tl_api_conversions_get)
{
    struct tl_app *app = req->app;
    struct tl_conversion v;
    enum tl_err err;

    err = TL_STORE(app->store, conversion_get, &req->actor, req->ids[0], req->arena, &v);
    if (err == TL_ERR_NOTFOUND)
        return conv_not_found(prob);
    if (err != TL_OK)
        return err;
    return tl_out_json(resp, 200, conversion_json(&v));
}

TL_HANDLER(tl_api_conversions_list)
{
    struct tl_app *app = req->app;
    struct tl_conversion_filter f;
    struct tl_conversion *items;
    struct tl_page page;
    const char *status;
    size_t n, i;
    bool more;
    json_t *data, *o;
    enum tl_err err;

    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    memset(&f, 0, sizeof(f));
    f.status = -1;
    if ((err = tl_in_query_id(req, "campaign_id", &f.campaign_id, prob)) != TL_OK ||
        (err = tl_in_query_id(req, "partner_id", &f.partner_id, prob)) != TL_OK ||
        (err = tl_in_order(req, &f.newest_first, prob)) != TL_OK)
        return err;
    status = tl_req_query(req, "status");
    if (status != NULL && status[0] != '\0') {
        f.status = tl_conversion_status_parse(status);
        if (f.status < 0)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "status",
                                  "status must be pending, approved or reversed");
    }
    /* A partner sees only their own conversions, whatever the filter asks. */
    if (req->actor.kind == TL_ACCOUNT_PARTNER && f.partner_id != 0 &&
        f.partner_id != req->actor.account_id)
        return tl_out_json(resp, 200, tl_out_list(json_array(), false, 0));
    err = TL_STORE(app->store, conversion_list, &req->actor, &f, &page, req->arena, &items, &n,
                   &more);
    if (err != TL_OK)
        return err;
    data = json_array();
    if (data == NULL)
        return TL_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        o = conversion_json(&items[i]);
        if (o == NULL || json_array_append_new(data, o) != 0) {
            json_decref(data);
            return TL_ERR_NOMEM;
        }
    }
    return tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
}

TL_HANDLER(tl_api_conversions_patch)
{
    struct tl_app *app = req->app;
    struct tl_conversion v, out;
    const char *status = NULL, *reason = NULL;
    json_t *body = NULL;
    int to;
    enum tl_err err;

    err = TL_STORE(app->store, conversion_get, &req->actor, req->ids[0], req->arena, &v);
    if (err == TL_ERR_NOTFOUND)
        return conv_not_found(prob);
    if (err != TL_OK)
        return err;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    {
        static const struct tl_in_field types[] = {
            {"status", "status", TL_IN_STR},
            {"reason", "reason", TL_IN_STR},
        };

        err = tl_in_types(body, types, 2, prob);
    }
    if (err == TL_OK)
        err = tl_in_str(body, "status", "status", true, 32, &status, prob);
    if (err == TL_OK)
        err = tl_in_str(body, "reason", "reason", false, TL_REASON_MAX, &reason, prob);
    if (err != TL_OK)
        goto out;
    to = tl_conversion_status_parse(status);
    if (to < 0) {
        err = tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "status",
                             "status must be approved or reversed");
        goto out;
    }
    err = TL_STORE(app->store, conversion_move, &req->actor, v.id, (enum tl_conversion_status)to,
                   reason, req->arena, &out);
    if (err == TL_ERR_NOTFOUND) {
        err = conv_not_found(prob);
        goto out;
    }
    if (err == TL_ERR_CONFLICT) {
        err = tl_problem_set(prob, TL_ERR_CONFLICT, "invalid_transition", "status",
                             "a %s conversion cannot become %s",
                             tl_conversion_status_str(out.status), status);
        goto out;
    }
    if (err != TL_OK)
        goto out;
    tl_postbacks_poke(app->postbacks);
    err = tl_out_json(resp, 200, conversion_json(&out));
out:
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_conversions_history)
{
    struct tl_app *app = req->app;
    struct tl_conversion_event *items;
    const char *from;
    size_t n, i;
    json_t *data, *o;
    enum tl_err err;

    err =
        TL_STORE(app->store, conversion_history, &req->actor, req->ids[0], req->arena, &items, &n);
    if (err == TL_ERR_NOTFOUND)
        return conv_not_found(prob);
    if (err != TL_OK)
        return err;
    data = json_array();
    if (data == NULL)
        return TL_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        from = items[i].from_status >= 0
                   ? tl_conversion_status_str((enum tl_conversion_status)items[i].from_status)
                   : NULL;
        o = json_pack("{s:I, s:I, s:o, s:s, s:o, s:s, s:o, s:I, s:o}", "id",
                      (json_int_t)items[i].id, "conversion_id", (json_int_t)items[i].conversion_id,
                      "from_status", from != NULL ? json_string(from) : json_null(), "to_status",
                      tl_conversion_status_str(items[i].to_status), "from",
                      from != NULL ? json_string(from) : json_null(), "to",
                      tl_conversion_status_str(items[i].to_status), "reason",
                      items[i].reason != NULL ? json_string(items[i].reason) : json_null(),
                      "actor_account_id", (json_int_t)items[i].actor_account_id, "at",
                      tl_out_time(items[i].at));
        if (o == NULL || json_array_append_new(data, o) != 0) {
            json_decref(data);
            return TL_ERR_NOMEM;
        }
    }
    return tl_out_json(resp, 200, tl_out_list(data, false, 0));
}
