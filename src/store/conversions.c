/*
 * conversions.c: the conversion lifecycle, once for every backend.
 *
 * A conversion is unique on (program, event_type, order_id). Creation is
 * one write: insert-if-absent, then a read of that key, so that concurrent
 * identical requests make exactly one row and the others read it.
 * conversion_record puts the attribution reads (click, program, campaign)
 * and the caller's rules in that same write, so they see the state the
 * insert commits in. Everything a change implies commits with it: the
 * conversion_event, the rollup (taken back on a reversal), and the
 * partner's postback outbox row with its URL already expanded (API.md:
 * "The URL is expanded when the event is queued"). Status moves follow
 * core/conversion.h. The backend gives only the primitives (backend.h).
 */
#include <string.h>

#include "core/conversion.h"
#include "core/postback.h"
#include "core/time.h"
#include "store/backend.h"

#define JOB_ARENA_MAX (1024 * 1024) /* one postback's expansion */

static int64_t hour_of(int64_t ms)
{
    int64_t r = ms % TL_HOUR_MS;

    return ms - (r < 0 ? r + TL_HOUR_MS : r);
}

/* Writes are for brands (their own objects) and the admin. */
static bool actor_writes(const struct tl_actor *who)
{
    return who != NULL && (who->kind == TL_ACCOUNT_ADMIN || who->kind == TL_ACCOUNT_BRAND);
}

static enum tl_err add_event(const struct tl_backend_ops *ops, struct tl_tx *tx, int64_t conv_id,
                             int from, enum tl_conversion_status to, const char *reason,
                             int64_t actor, int64_t now)
{
    struct tl_conversion_event e = {0, conv_id, from, to, reason, actor, now};

    return ops->conversion_event_add(tx, &e);
}

/* Adds sign (1 or -1) times the conversion to its hour's rollup rows. */
static enum tl_err add_rollup(const struct tl_backend_ops *ops, struct tl_tx *tx,
                              const struct tl_conversion *v, int sign)
{
    struct tl_rollup r = {
        .hour_ms = hour_of(v->occurred_at),
        .program_id = v->program_id,
        .campaign_id = v->campaign_id,
        .task_id = v->task_id,
        .partner_id = v->partner_id,
        .link_id = v->link_id, /* 0 when none, as the click rollups */
        .currency = v->currency,
        .conversions = sign,
        .revenue = sign * v->amount,
        .payout = sign * v->payout,
    };

    return ops->rollup_add(tx, &r);
}

/* Queues event for v (its status as of the event) when the partner asked
 * for it: the URL is expanded now, with the click's sub ids. */
static enum tl_err queue_postback(const struct tl_backend_ops *ops, struct tl_tx *tx,
                                  const struct tl_conversion *v, enum tl_postback_event event,
                                  int64_t now)
{
    struct tl_postback_vars vars;
    struct tl_outbox_entry e;
    struct tl_arena *a;
    const char *tmpl = NULL;
    char *url = NULL;
    unsigned events = 0;
    enum tl_err err;

    a = tl_arena_new(JOB_ARENA_MAX);
    if (a == NULL)
        return TL_ERR_NOMEM;
    memset(&vars, 0, sizeof(vars));
    memset(&e, 0, sizeof(e));
    vars.conv = v;
    err = ops->postback_of(tx, v->partner_id, a, &tmpl, &events);
    if (err == TL_ERR_NOTFOUND || (err == TL_OK && (events & event) == 0)) {
        err = TL_OK; /* no postback wanted */
        goto out;
    }
    if (err != TL_OK)
        goto out;
    err = ops->click_subs(tx, v->click_id, a, vars.sub);
    if (err != TL_OK && err != TL_ERR_NOTFOUND)
        goto out;
    err = tl_postback_expand(tmpl, &vars, a, &url);
    if (err == TL_ERR_TOOLARGE) {
        /* Recorded, so that the partner sees why nothing came. */
        e.failed = true;
        err = TL_OK;
    }
    if (err != TL_OK)
        goto out;
    e.partner_id = v->partner_id;
    e.conversion_id = v->id;
    e.event = event;
    e.url = e.failed ? tmpl : url;
    e.at_ms = now;
    err = ops->outbox_add(tx, &e);
out:
    tl_arena_free(a);
    return err;
}

/* ------------------------------------------------------------------ */
/* create */

/* Inserts in (created: *created) or reads the conversion with its key;
 * *out is the stored one either way (strings in a). */
static enum tl_err insert_or_read(const struct tl_backend_ops *ops, struct tl_tx *tx,
                                  const struct tl_actor *who, const struct tl_conversion *in,
                                  struct tl_arena *a, struct tl_conversion *out, bool *created)
{
    struct tl_conversion v;
    int64_t now = tl_time_now_ms(), id = 0;
    enum tl_err err;

    *created = false;
    v = *in;
    v.id = 0;
    v.status = TL_CONV_PENDING;
    v.occurred_at = in->occurred_at != 0 ? in->occurred_at : now;
    v.created_at = v.updated_at = now;
    err = ops->conversion_insert(tx, &v, &id);
    if (err != TL_OK)
        return err;
    if (id == 0)
        return ops->conversion_by_key(tx, in->program_id, in->event_type, in->order_id, a, out);
    *created = true;
    v.id = id;
    err = add_event(ops, tx, v.id, -1, TL_CONV_PENDING, NULL, who->account_id, now);
    if (err == TL_OK)
        err = add_rollup(ops, tx, &v, 1);
    if (err == TL_OK)
        err = queue_postback(ops, tx, &v, TL_PB_CREATED, now);
    if (err != TL_OK)
        return err;
    /* What was just inserted, without reading it back. */
    *out = v;
    out->click_id = tl_arena_strdup(a, in->click_id);
    out->order_id = tl_arena_strdup(a, in->order_id);
    out->event_type = tl_arena_strdup(a, in->event_type);
    out->currency = tl_arena_strdup(a, in->currency);
    if (out->click_id == NULL || out->order_id == NULL || out->event_type == NULL ||
        out->currency == NULL)
        return TL_ERR_NOMEM;
    return TL_OK;
}

struct create_ctx {
    const struct tl_backend_ops *ops;
    const struct tl_actor *who;
    const struct tl_conversion *in;
    struct tl_arena *a;
    struct tl_conversion *out;
    bool created;
};

static enum tl_err create_tx(struct tl_tx *tx, void *arg)
{
    struct create_ctx *x = arg;

    return insert_or_read(x->ops, tx, x->who, x->in, x->a, x->out, &x->created);
}

enum tl_err tl_store_conversion_create(struct tl_store *s, const struct tl_actor *who,
                                       const struct tl_conversion *in, struct tl_arena *a,
                                       struct tl_conversion *out, bool *created)
{
    struct create_ctx x = {&s->ops, who, in, a, out, false};
    enum tl_err err;

    *created = false;
    if (!actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = s->ops.write(s, create_tx, &x);
    *created = err == TL_OK && x.created;
    return err;
}

/* ------------------------------------------------------------------ */
/* record: attribution and creation in one write */

struct record_ctx {
    const struct tl_backend_ops *ops;
    const struct tl_actor *who;
    const char *click_id;
    tl_conversion_decide_fn decide;
    void *decide_ctx;
    struct tl_arena *a;
    struct tl_conversion *out;
    bool created;
};

static enum tl_err record_tx(struct tl_tx *tx, void *arg)
{
    struct record_ctx *x = arg;
    struct tl_click_info click;
    struct tl_program program;
    struct tl_campaign campaign;
    struct tl_conversion in;
    bool found = false, has_program = false, has_campaign = false;
    enum tl_err err;

    x->created = false;
    err = x->ops->attribution(tx, x->who, x->click_id, x->a, &click, &found, &program, &has_program,
                              &campaign, &has_campaign);
    if (err != TL_OK)
        return err;
    memset(&in, 0, sizeof(in));
    err = x->decide(x->decide_ctx, found ? &click : NULL, has_program ? &program : NULL,
                    has_campaign ? &campaign : NULL, &in);
    if (err != TL_OK)
        return err;
    return insert_or_read(x->ops, tx, x->who, &in, x->a, x->out, &x->created);
}

enum tl_err tl_store_conversion_record(struct tl_store *s, const struct tl_actor *who,
                                       const char *click_id, tl_conversion_decide_fn decide,
                                       void *ctx, struct tl_arena *a, struct tl_conversion *out,
                                       bool *created)
{
    struct record_ctx x = {&s->ops, who, click_id, decide, ctx, a, out, false};
    enum tl_err err;

    *created = false;
    memset(out, 0, sizeof(*out));
    if (!actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = s->ops.write(s, record_tx, &x);
    *created = err == TL_OK && x.created;
    return err;
}

struct record_async {
    struct record_ctx x;
    bool *created;
    void (*done)(void *arg, enum tl_err err);
    void *arg;
};

/* After the commit (on the backend's thread when it queues writes). */
static void record_async_done(void *arg, enum tl_err err)
{
    struct record_async *r = arg;

    *r->created = err == TL_OK && r->x.created;
    r->done(r->arg, err);
}

enum tl_err tl_store_conversion_record_async(struct tl_store *s, const struct tl_actor *who,
                                             const char *click_id, tl_conversion_decide_fn decide,
                                             void *ctx, struct tl_arena *a,
                                             struct tl_conversion *out, bool *created,
                                             void (*done)(void *arg, enum tl_err err), void *arg)
{
    struct record_async *r;

    *created = false;
    memset(out, 0, sizeof(*out));
    if (!actor_writes(who))
        return TL_ERR_NOTFOUND;
    r = tl_arena_alloc(a, sizeof(*r));
    if (r == NULL)
        return TL_ERR_NOMEM;
    r->x = (struct record_ctx){&s->ops, who, click_id, decide, ctx, a, out, false};
    r->created = created;
    r->done = done;
    r->arg = arg;
    return s->ops.write_async(s, record_tx, &r->x, record_async_done, r);
}

/* ------------------------------------------------------------------ */
/* moves */

struct move_ctx {
    const struct tl_backend_ops *ops;
    const struct tl_actor *who;
    int64_t id;
    enum tl_conversion_status to;
    const char *reason;
    struct tl_arena *a;
    struct tl_conversion *out;
};

static enum tl_err move_tx(struct tl_tx *tx, void *arg)
{
    struct move_ctx *x = arg;
    const struct tl_backend_ops *ops = x->ops;
    struct tl_conversion *v = x->out;
    enum tl_conversion_status from;
    int64_t now = tl_time_now_ms();
    enum tl_err err;

    err = ops->conversion_owned(tx, x->who, x->id, x->a, v);
    if (err != TL_OK)
        return err;
    from = v->status;
    if (!tl_conversion_can_move(from, x->to))
        return TL_ERR_CONFLICT;
    err = ops->conversion_set_status(tx, v->id, x->to, now);
    if (err != TL_OK)
        return err;
    v->status = x->to;
    v->updated_at = now;
    err = add_event(ops, tx, v->id, (int)from, x->to, x->reason, x->who->account_id, now);
    /* Reversed conversions count neither as conversions nor as payout; an
     * approval changes nothing in the counts. */
    if (err == TL_OK && x->to == TL_CONV_REVERSED)
        err = add_rollup(ops, tx, v, -1);
    if (err == TL_OK)
        err = queue_postback(ops, tx, v,
                             x->to == TL_CONV_REVERSED ? TL_PB_REVERSED : TL_PB_APPROVED, now);
    return err;
}

enum tl_err tl_store_conversion_move(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                     enum tl_conversion_status to, const char *reason,
                                     struct tl_arena *a, struct tl_conversion *out)
{
    struct move_ctx x = {&s->ops, who, id, to, reason, a, out};

    memset(out, 0, sizeof(*out));
    if (!actor_writes(who))
        return TL_ERR_NOTFOUND;
    return s->ops.write(s, move_tx, &x);
}
