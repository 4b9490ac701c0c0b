/*
 * ops.c: the store's operations as its callers see them (store.h), above
 * every backend: each is handed to the backend's table (backend.h); a write
 * that a cache depends on announces its change to the subscribers once it
 * committed; the optional abilities get their generic fallbacks. The
 * conversion lifecycle is in conversions.c.
 */
#include <stdatomic.h>
#include <string.h>

#include "store/backend.h"
#include "store/store.h"

/* ------------------------------------------------------------------ */
/* the fallbacks of optional abilities */

static enum tl_err write_now(struct tl_store *s, tl_tx_fn fn, void *ctx,
                             void (*done)(void *arg, enum tl_err err), void *arg)
{
    done(arg, s->ops.write(s, fn, ctx));
    return TL_OK;
}

static enum tl_err
click_batch_now(struct tl_store *s,
                void *(*fill)(void *ctx, const struct tl_click **clicks, size_t *n),
                void (*done)(void *ctx, void *handle, enum tl_err err), void *ctx)
{
    const struct tl_click *clicks = NULL;
    size_t n = 0;
    void *handle = fill(ctx, &clicks, &n);

    done(ctx, handle, n > 0 ? s->ops.click_batch(s, clicks, n) : TL_OK);
    return TL_OK;
}

static enum tl_store_channel no_channel(struct tl_store *s)
{
    (void)s;
    return TL_STORE_CHANNEL_NONE;
}

void tl_store_init(struct tl_store *s, const struct tl_backend_ops *ops)
{
    memset(s, 0, sizeof(*s));
    atomic_init(&s->n_listeners, 0);
    s->ops = *ops;
    if (s->ops.write_async == NULL)
        s->ops.write_async = write_now;
    if (s->ops.click_batch_async == NULL)
        s->ops.click_batch_async = click_batch_now;
    if (s->ops.channel == NULL)
        s->ops.channel = no_channel;
}

bool tl_store_can(const struct tl_store *s, unsigned mask)
{
    return (s->ops.abilities & mask) == mask;
}

const char *tl_store_name(const struct tl_store *s)
{
    return s->ops.name;
}

/* ------------------------------------------------------------------ */
/* change events */

enum tl_err tl_store_subscribe(struct tl_store *s, tl_store_listener_fn fn, void *ctx)
{
    size_t n = atomic_load_explicit(&s->n_listeners, memory_order_relaxed);

    if (n == TL_STORE_LISTENERS_MAX)
        return TL_ERR_NOMEM;
    s->listeners[n].fn = fn;
    s->listeners[n].ctx = ctx;
    atomic_store_explicit(&s->n_listeners, n + 1, memory_order_release);
    return TL_OK;
}

void tl_store_announce(struct tl_store *s, const struct tl_change *c)
{
    size_t n = atomic_load_explicit(&s->n_listeners, memory_order_acquire), i;

    for (i = 0; i < n; i++)
        s->listeners[i].fn(s->listeners[i].ctx, c);
}

static void announce(struct tl_store *s, enum tl_change_kind kind, int64_t id, int64_t campaign_id,
                     const unsigned char *key_hash)
{
    struct tl_change c = {kind, id, campaign_id, key_hash};

    tl_store_announce(s, &c);
}

/* ------------------------------------------------------------------ */
/* the operations: the backend's, with the change each write announces */

enum tl_err tl_store_ping(struct tl_store *s)
{
    return s->ops.ping(s);
}

enum tl_store_channel tl_store_channel(struct tl_store *s)
{
    return s->ops.channel(s);
}

int tl_store_migrations_applied(struct tl_store *s)
{
    return s->ops.migrations_applied(s);
}

enum tl_err tl_store_account_create(struct tl_store *s, const struct tl_account_new *in,
                                    int64_t *id_out)
{
    return s->ops.account_create(s, in, id_out);
}

enum tl_err tl_store_actor_by_key(struct tl_store *s, const unsigned char key_hash[32],
                                  struct tl_actor *out, int64_t *key_id, int64_t *last_used_at)
{
    return s->ops.actor_by_key(s, key_hash, out, key_id, last_used_at);
}

enum tl_err tl_store_account_get(struct tl_store *s, int64_t id, struct tl_arena *a,
                                 struct tl_account *out)
{
    return s->ops.account_get(s, id, a, out);
}

enum tl_err tl_store_api_key_create(struct tl_store *s, const struct tl_actor *who,
                                    struct tl_api_key *key, const unsigned char key_hash[32])
{
    return s->ops.api_key_create(s, who, key, key_hash);
}

enum tl_err tl_store_api_key_list(struct tl_store *s, const struct tl_actor *who,
                                  int64_t account_id, const struct tl_page *page,
                                  struct tl_arena *a, struct tl_api_key **items, size_t *n,
                                  bool *more)
{
    return s->ops.api_key_list(s, who, account_id, page, a, items, n, more);
}

enum tl_err tl_store_api_key_revoke(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                    unsigned char key_hash[32])
{
    enum tl_err err = s->ops.api_key_revoke(s, who, id, key_hash);

    if (err == TL_OK)
        announce(s, TL_CHANGE_API_KEY_REVOKED, id, 0, key_hash);
    return err;
}

enum tl_err tl_store_api_key_touch(struct tl_store *s, int64_t id, int64_t at_ms)
{
    return s->ops.api_key_touch(s, id, at_ms);
}

enum tl_err tl_store_user_by_email(struct tl_store *s, const char *email, struct tl_arena *a,
                                   struct tl_user *out)
{
    return s->ops.user_by_email(s, email, a, out);
}

enum tl_err tl_store_session_create(struct tl_store *s, struct tl_session *in,
                                    const unsigned char *replace)
{
    return s->ops.session_create(s, in, replace);
}

enum tl_err tl_store_session_get(struct tl_store *s, const unsigned char token_hash[32],
                                 int64_t now_ms, struct tl_arena *a, struct tl_session *out)
{
    return s->ops.session_get(s, token_hash, now_ms, a, out);
}

enum tl_err tl_store_session_touch(struct tl_store *s, int64_t id, int64_t expires_at)
{
    return s->ops.session_touch(s, id, expires_at);
}

enum tl_err tl_store_session_delete(struct tl_store *s, const unsigned char token_hash[32])
{
    return s->ops.session_delete(s, token_hash);
}

enum tl_err tl_store_program_create(struct tl_store *s, const struct tl_actor *who,
                                    const struct tl_program *in, int64_t *id_out)
{
    return s->ops.program_create(s, who, in, id_out);
}

enum tl_err tl_store_program_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                 struct tl_arena *a, struct tl_program *out)
{
    return s->ops.program_get(s, who, id, a, out);
}

enum tl_err tl_store_program_list(struct tl_store *s, const struct tl_actor *who,
                                  const struct tl_page *page, struct tl_arena *a,
                                  struct tl_program **items, size_t *n, bool *more)
{
    return s->ops.program_list(s, who, page, a, items, n, more);
}

enum tl_err tl_store_program_update(struct tl_store *s, const struct tl_actor *who,
                                    const struct tl_program *in)
{
    enum tl_err err = s->ops.program_update(s, who, in);

    if (err == TL_OK)
        announce(s, TL_CHANGE_PROGRAM, in->id, 0, NULL);
    return err;
}

enum tl_err tl_store_landing_page_create(struct tl_store *s, const struct tl_actor *who,
                                         const struct tl_landing_page *in, int64_t *id_out)
{
    return s->ops.landing_page_create(s, who, in, id_out);
}

enum tl_err tl_store_landing_page_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                      struct tl_arena *a, struct tl_landing_page *out)
{
    return s->ops.landing_page_get(s, who, id, a, out);
}

enum tl_err tl_store_landing_page_list(struct tl_store *s, const struct tl_actor *who,
                                       int64_t program_id, const struct tl_page *page,
                                       struct tl_arena *a, struct tl_landing_page **items,
                                       size_t *n, bool *more)
{
    return s->ops.landing_page_list(s, who, program_id, page, a, items, n, more);
}

enum tl_err tl_store_program_partner_add(struct tl_store *s, const struct tl_actor *who,
                                         int64_t program_id, int64_t partner_id, bool *created)
{
    return s->ops.program_partner_add(s, who, program_id, partner_id, created);
}

enum tl_err tl_store_program_partner_list(struct tl_store *s, const struct tl_actor *who,
                                          int64_t program_id, const struct tl_page *page,
                                          struct tl_arena *a, struct tl_membership **items,
                                          size_t *n, bool *more)
{
    return s->ops.program_partner_list(s, who, program_id, page, a, items, n, more);
}

enum tl_err tl_store_program_partner_has(struct tl_store *s, int64_t program_id, int64_t partner_id,
                                         bool *yes)
{
    return s->ops.program_partner_has(s, program_id, partner_id, yes);
}

enum tl_err tl_store_campaign_create(struct tl_store *s, const struct tl_actor *who,
                                     const struct tl_campaign *in, int64_t *id_out)
{
    return s->ops.campaign_create(s, who, in, id_out);
}

enum tl_err tl_store_campaign_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                  struct tl_arena *a, struct tl_campaign *out)
{
    return s->ops.campaign_get(s, who, id, a, out);
}

enum tl_err tl_store_campaign_list(struct tl_store *s, const struct tl_actor *who,
                                   const struct tl_campaign_filter *f, const struct tl_page *page,
                                   struct tl_arena *a, struct tl_campaign **items, size_t *n,
                                   bool *more)
{
    return s->ops.campaign_list(s, who, f, page, a, items, n, more);
}

enum tl_err tl_store_campaign_update(struct tl_store *s, const struct tl_actor *who,
                                     const struct tl_campaign *in)
{
    enum tl_err err = s->ops.campaign_update(s, who, in);

    if (err == TL_OK)
        announce(s, TL_CHANGE_CAMPAIGN, in->id, in->id, NULL);
    return err;
}

enum tl_err tl_store_campaign_partner_add(struct tl_store *s, const struct tl_actor *who,
                                          int64_t campaign_id, int64_t partner_id, bool *created)
{
    return s->ops.campaign_partner_add(s, who, campaign_id, partner_id, created);
}

enum tl_err tl_store_campaign_partner_list(struct tl_store *s, const struct tl_actor *who,
                                           int64_t campaign_id, const struct tl_page *page,
                                           struct tl_arena *a, struct tl_membership **items,
                                           size_t *n, bool *more)
{
    return s->ops.campaign_partner_list(s, who, campaign_id, page, a, items, n, more);
}

enum tl_err tl_store_campaign_partner_has(struct tl_store *s, int64_t campaign_id,
                                          int64_t partner_id, bool *yes)
{
    return s->ops.campaign_partner_has(s, campaign_id, partner_id, yes);
}

enum tl_err tl_store_task_create(struct tl_store *s, const struct tl_actor *who,
                                 const struct tl_task *in, int64_t *id_out)
{
    enum tl_err err = s->ops.task_create(s, who, in, id_out);

    if (err == TL_OK && in->n_partner_ids > 0)
        announce(s, TL_CHANGE_TASK_PARTNERS, *id_out, in->campaign_id, NULL);
    return err;
}

enum tl_err tl_store_task_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              struct tl_arena *a, struct tl_task *out)
{
    return s->ops.task_get(s, who, id, a, out);
}

enum tl_err tl_store_task_list(struct tl_store *s, const struct tl_actor *who, int64_t campaign_id,
                               const struct tl_page *page, struct tl_arena *a,
                               struct tl_task **items, size_t *n, bool *more)
{
    return s->ops.task_list(s, who, campaign_id, page, a, items, n, more);
}

enum tl_err tl_store_task_update(struct tl_store *s, const struct tl_actor *who,
                                 const struct tl_task *in)
{
    return s->ops.task_update(s, who, in);
}

enum tl_err tl_store_task_partner_add(struct tl_store *s, const struct tl_actor *who,
                                      int64_t task_id, int64_t partner_id, bool *created)
{
    int64_t campaign_id = 0;
    enum tl_err err = s->ops.task_partner_add(s, who, task_id, partner_id, created, &campaign_id);

    if (err == TL_OK && *created)
        announce(s, TL_CHANGE_TASK_PARTNERS, task_id, campaign_id, NULL);
    return err;
}

enum tl_err tl_store_task_partner_list(struct tl_store *s, const struct tl_actor *who,
                                       int64_t task_id, const struct tl_page *page,
                                       struct tl_arena *a, struct tl_membership **items, size_t *n,
                                       bool *more)
{
    return s->ops.task_partner_list(s, who, task_id, page, a, items, n, more);
}

enum tl_err tl_store_link_upsert(struct tl_store *s, const struct tl_actor *who,
                                 const struct tl_link *in, struct tl_arena *a, struct tl_link *out,
                                 bool *created)
{
    enum tl_err err = s->ops.link_upsert(s, who, in, a, out, created);

    if (err == TL_OK && *created)
        announce(s, TL_CHANGE_LINK_CREATED, out->id, out->campaign_id, NULL);
    return err;
}

enum tl_err tl_store_link_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              struct tl_arena *a, struct tl_link *out)
{
    return s->ops.link_get(s, who, id, a, out);
}

enum tl_err tl_store_link_list(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_link_filter *f, const struct tl_page *page,
                               struct tl_arena *a, struct tl_link **items, size_t *n, bool *more)
{
    return s->ops.link_list(s, who, f, page, a, items, n, more);
}

enum tl_err tl_store_link_set_active(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                     bool active)
{
    int64_t campaign_id = 0;
    enum tl_err err = s->ops.link_set_active(s, who, id, active, &campaign_id);

    if (err == TL_OK)
        announce(s, TL_CHANGE_LINK_UPDATED, id, campaign_id, NULL);
    return err;
}

enum tl_err tl_store_link_ensure_defaults(struct tl_store *s, int64_t campaign_id, size_t *made)
{
    enum tl_err err = s->ops.link_ensure_defaults(s, campaign_id, made);

    if (err == TL_OK && *made > 0)
        announce(s, TL_CHANGE_LINK_CREATED, 0, campaign_id, NULL);
    return err;
}

enum tl_err tl_store_target_by_code(struct tl_store *s, const char *code, struct tl_arena *a,
                                    struct tl_target *out)
{
    return s->ops.target_by_code(s, code, a, out);
}

enum tl_err tl_store_target_by_path(struct tl_store *s, int64_t partner_id, int64_t task_id,
                                    int64_t campaign_id, struct tl_arena *a, struct tl_target *out)
{
    return s->ops.target_by_path(s, partner_id, task_id, campaign_id, a, out);
}

enum tl_err tl_store_click_batch(struct tl_store *s, const struct tl_click *clicks, size_t n)
{
    return s->ops.click_batch(s, clicks, n);
}

enum tl_err
tl_store_click_batch_async(struct tl_store *s,
                           void *(*fill)(void *ctx, const struct tl_click **clicks, size_t *n),
                           void (*done)(void *ctx, void *handle, enum tl_err err), void *ctx)
{
    return s->ops.click_batch_async(s, fill, done, ctx);
}

enum tl_err tl_store_click_list(struct tl_store *s, int64_t campaign_id, const char *click_id,
                                int max, struct tl_arena *a, struct tl_click **items, size_t *n,
                                bool *more)
{
    return s->ops.click_list(s, campaign_id, click_id, max, a, items, n, more);
}

enum tl_err tl_store_report(struct tl_store *s, const struct tl_actor *who,
                            const struct tl_report_query *q, struct tl_arena *a,
                            struct tl_report_row **rows, size_t *n)
{
    return s->ops.report(s, who, q, a, rows, n);
}

enum tl_err tl_store_program_by_postback_key(struct tl_store *s, const char *key,
                                             struct tl_arena *a, struct tl_program *out)
{
    return s->ops.program_by_postback_key(s, key, a, out);
}

enum tl_err tl_store_conversion_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                    struct tl_arena *a, struct tl_conversion *out)
{
    return s->ops.conversion_get(s, who, id, a, out);
}

enum tl_err tl_store_conversion_list(struct tl_store *s, const struct tl_actor *who,
                                     const struct tl_conversion_filter *f,
                                     const struct tl_page *page, struct tl_arena *a,
                                     struct tl_conversion **items, size_t *n, bool *more)
{
    return s->ops.conversion_list(s, who, f, page, a, items, n, more);
}

enum tl_err tl_store_conversion_history(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                        struct tl_arena *a, struct tl_conversion_event **items,
                                        size_t *n)
{
    return s->ops.conversion_history(s, who, id, a, items, n);
}

enum tl_err tl_store_postback_set(struct tl_store *s, const struct tl_actor *who,
                                  const struct tl_postback_config *in)
{
    return s->ops.postback_set(s, who, in);
}

enum tl_err tl_store_postback_get(struct tl_store *s, const struct tl_actor *who,
                                  struct tl_arena *a, struct tl_postback_config *out)
{
    return s->ops.postback_get(s, who, a, out);
}

enum tl_err tl_store_postback_deliveries(struct tl_store *s, const struct tl_actor *who, int status,
                                         bool newest_first, const struct tl_page *page,
                                         struct tl_arena *a, struct tl_postback_delivery **items,
                                         size_t *n, bool *more)
{
    return s->ops.postback_deliveries(s, who, status, newest_first, page, a, items, n, more);
}

enum tl_err tl_store_outbox_due(struct tl_store *s, int64_t now_ms, int max, const int64_t *skip,
                                size_t n_skip, struct tl_arena *a,
                                struct tl_postback_delivery **items, size_t *n)
{
    return s->ops.outbox_due(s, now_ms, max, skip, n_skip, a, items, n);
}

enum tl_err tl_store_outbox_record(struct tl_store *s, int64_t id, int64_t at_ms, int http_status,
                                   const char *error, bool delivered, int64_t next_attempt_ms)
{
    return s->ops.outbox_record(s, id, at_ms, http_status, error, delivered, next_attempt_ms);
}

enum tl_err tl_store_rejection_add(struct tl_store *s, const struct tl_rejection *items, size_t n)
{
    return s->ops.rejection_add(s, items, n);
}

enum tl_err tl_store_rejection_list(struct tl_store *s, const struct tl_actor *who,
                                    const struct tl_rejection_filter *f, const struct tl_page *page,
                                    struct tl_arena *a, struct tl_rejection **items, size_t *n,
                                    bool *more)
{
    return s->ops.rejection_list(s, who, f, page, a, items, n, more);
}

enum tl_err tl_store_rejection_prune(struct tl_store *s, int64_t before_ms, int64_t max_rows,
                                     uint64_t *removed)
{
    return s->ops.rejection_prune(s, before_ms, max_rows, removed);
}
