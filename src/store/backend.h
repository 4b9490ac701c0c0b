/*
 * backend.h: what a storage backend gives the store (store.h), and what it
 * promises. Private to src/store/: callers include store.h only.
 *
 * A backend is mechanism only: connections, transactions, SQL. The rules
 * that every backend would otherwise copy live once above it: the
 * conversion lifecycle (status moves, events, rollups, partner postbacks)
 * in store/conversions.c, change events and the fallbacks of optional
 * abilities in store/ops.c. They reach the data through the narrow
 * primitives of struct tl_backend_ops that run inside a write transaction
 * (struct tl_tx). The resource operations that hold no rule of their own
 * (plain reads, inserts, upserts) are in the table as store.h states
 * them.
 *
 * A backend promises:
 * - write(): fn runs inside one transaction and is committed when write
 *   returns TL_OK; when fn fails, nothing it did is kept and write
 *   returns fn's error. Many writes may share one commit (group commit),
 *   but each keeps its all-or-nothing. Writes are serialised: a write
 *   sees every write committed before it started.
 * - The tx primitives are called only from inside fn, with its tx. Their
 *   strings are allocated from the arena given; their inputs are
 *   borrowed for the call.
 * - Tenancy and the error rules of store.h, for every resource operation.
 * - The same schema as the other backends (numbered migrations applied
 *   once on open).
 * - Optional abilities (abilities mask, store.h TL_STORE_*): a pointer
 *   left NULL gets the generic fallback when the store is initialised, so
 *   nothing tests a function pointer for NULL.
 *
 * Ownership: the backend allocates its store struct, whose first member
 * is struct tl_store, fills it with tl_store_init(), and frees it in
 * close.
 */
#ifndef TL_STORE_BACKEND_H
#define TL_STORE_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"
#include "store/store.h"

/* One write transaction, as the backend has it (opaque above it). */
struct tl_tx;

/* A unit of work inside a write transaction. */
typedef enum tl_err (*tl_tx_fn)(struct tl_tx *tx, void *ctx);

/* An addition to the rollup tables (stats_hourly and its coarse copy):
 * the sums are added to the row of (hour, campaign, task, partner, link,
 * currency), created when absent. Negative sums take back. */
struct tl_rollup {
    int64_t hour_ms;
    int64_t program_id;
    int64_t campaign_id;
    int64_t task_id;
    int64_t partner_id;
    int64_t link_id; /* 0: none */
    const char *currency;
    int64_t clicks, unique_clicks, bot_clicks, conversions, revenue, payout;
};

/* A delivery to queue in the postback outbox (outbox_add). */
struct tl_outbox_entry {
    int64_t partner_id;
    int64_t conversion_id;
    enum tl_postback_event event;
    const char *url;
    bool failed; /* stored as failed for good (the URL would not expand) */
    int64_t at_ms;
};

struct tl_backend_ops {
    const char *name;
    unsigned abilities; /* TL_STORE_* of store.h */
    /* Frees everything the backend holds, the store struct included. */
    void (*close)(struct tl_store *s);

    /* ---- transactions ---- */

    /* Runs fn(tx, ctx) in a write transaction; see the promises above.
     * TL_ERR_BUSY when the store is closing. */
    enum tl_err (*write)(struct tl_store *s, tl_tx_fn fn, void *ctx);
    /* optional (TL_STORE_QUEUED_WRITES): write without waiting. On TL_OK
     * the work is queued and done(arg, err) is called once, after the
     * commit, from the backend's thread (ctx and arg live until then). On
     * an error nothing was queued and done is never called. NULL: ops.c
     * runs write() and then done on the calling thread. */
    enum tl_err (*write_async)(struct tl_store *s, tl_tx_fn fn, void *ctx,
                               void (*done)(void *arg, enum tl_err err), void *arg);

    /* ---- primitives inside a write (tx from write or write_async) ---- */

    /* Inserts in (status, occurred_at, created_at and updated_at already
     * set) unless a conversion has its (program_id, event_type,
     * order_id): then nothing changes and *id is 0. Otherwise *id is the
     * new row's. */
    enum tl_err (*conversion_insert)(struct tl_tx *tx, const struct tl_conversion *in, int64_t *id);
    /* The conversion with that key. TL_ERR_NOTFOUND. */
    enum tl_err (*conversion_by_key)(struct tl_tx *tx, int64_t program_id, const char *event_type,
                                     const char *order_id, struct tl_arena *a,
                                     struct tl_conversion *out);
    /* Conversion id when who owns it (its brand, or the admin), else
     * TL_ERR_NOTFOUND. */
    enum tl_err (*conversion_owned)(struct tl_tx *tx, const struct tl_actor *who, int64_t id,
                                    struct tl_arena *a, struct tl_conversion *out);
    enum tl_err (*conversion_set_status)(struct tl_tx *tx, int64_t id, enum tl_conversion_status to,
                                         int64_t at_ms);
    /* Appends e (its id is ignored) to the conversion's history. */
    enum tl_err (*conversion_event_add)(struct tl_tx *tx, const struct tl_conversion_event *e);
    /* Adds r to both rollup tables. A backend may defer the additions to
     * its commit (several writes in one commit then touch a row once), as
     * long as they commit or roll back with the write that made them. */
    enum tl_err (*rollup_add)(struct tl_tx *tx, const struct tl_rollup *r);
    /* What a conversion of click_id is decided from: the click (*found
     * false when no click has the id), its program when who sees it
     * (*has_program) with id, brand_id, referral_window_days and
     * currency, and its campaign when it exists (*has_campaign) with id,
     * program_id, brand_id, status, tracking_enabled and the payout rule;
     * the structs are zeroed otherwise. */
    enum tl_err (*attribution)(struct tl_tx *tx, const struct tl_actor *who, const char *click_id,
                               struct tl_arena *a, struct tl_click_info *click, bool *found,
                               struct tl_program *program, bool *has_program,
                               struct tl_campaign *campaign, bool *has_campaign);
    /* The partner's postback: its URL template and the events it wants
     * (TL_PB_* mask). TL_ERR_NOTFOUND when the partner has none. */
    enum tl_err (*postback_of)(struct tl_tx *tx, int64_t partner_id, struct tl_arena *a,
                               const char **url_template, unsigned *events);
    /* The sub ids of click_id (subId1..3, sharedid; NULL when absent).
     * TL_ERR_NOTFOUND when no click has the id. */
    enum tl_err (*click_subs)(struct tl_tx *tx, const char *click_id, struct tl_arena *a,
                              const char *sub[4]);
    /* Queues a delivery: pending from e->at_ms, or failed when e->failed. */
    enum tl_err (*outbox_add)(struct tl_tx *tx, const struct tl_outbox_entry *e);

    /* ---- the engine ---- */
    enum tl_err (*ping)(struct tl_store *s);
    /* optional: the state of the channel that tells other nodes' changes
     * (tl_store_channel); NULL: TL_STORE_CHANNEL_NONE */
    enum tl_store_channel (*channel)(struct tl_store *s);
    int (*migrations_applied)(struct tl_store *s);

    /* ---- resources: each as tl_store_<op> in store.h, unless noted ---- */

    /* accounts, API keys, UI sessions */
    enum tl_err (*account_create)(struct tl_store *s, const struct tl_account_new *in,
                                  int64_t *id_out);
    enum tl_err (*actor_by_key)(struct tl_store *s, const unsigned char key_hash[32],
                                struct tl_actor *out, int64_t *key_id, int64_t *last_used_at);
    enum tl_err (*account_get)(struct tl_store *s, int64_t id, struct tl_arena *a,
                               struct tl_account *out);
    enum tl_err (*api_key_create)(struct tl_store *s, const struct tl_actor *who,
                                  struct tl_api_key *key, const unsigned char key_hash[32]);
    enum tl_err (*api_key_list)(struct tl_store *s, const struct tl_actor *who, int64_t account_id,
                                const struct tl_page *page, struct tl_arena *a,
                                struct tl_api_key **items, size_t *n, bool *more);
    enum tl_err (*api_key_revoke)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                  unsigned char key_hash[32]);
    enum tl_err (*api_key_touch)(struct tl_store *s, int64_t id, int64_t at_ms);
    enum tl_err (*user_by_email)(struct tl_store *s, const char *email, struct tl_arena *a,
                                 struct tl_user *out);
    enum tl_err (*session_create)(struct tl_store *s, struct tl_session *in,
                                  const unsigned char *replace);
    enum tl_err (*session_get)(struct tl_store *s, const unsigned char token_hash[32],
                               int64_t now_ms, struct tl_arena *a, struct tl_session *out);
    enum tl_err (*session_touch)(struct tl_store *s, int64_t id, int64_t expires_at);
    enum tl_err (*session_delete)(struct tl_store *s, const unsigned char token_hash[32]);

    /* programs, landing pages, program membership */
    enum tl_err (*program_create)(struct tl_store *s, const struct tl_actor *who,
                                  const struct tl_program *in, int64_t *id_out);
    enum tl_err (*program_get)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                               struct tl_arena *a, struct tl_program *out);
    enum tl_err (*program_list)(struct tl_store *s, const struct tl_actor *who,
                                const struct tl_page *page, struct tl_arena *a,
                                struct tl_program **items, size_t *n, bool *more);
    enum tl_err (*program_update)(struct tl_store *s, const struct tl_actor *who,
                                  const struct tl_program *in);
    enum tl_err (*landing_page_create)(struct tl_store *s, const struct tl_actor *who,
                                       const struct tl_landing_page *in, int64_t *id_out);
    enum tl_err (*landing_page_get)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                    struct tl_arena *a, struct tl_landing_page *out);
    enum tl_err (*landing_page_list)(struct tl_store *s, const struct tl_actor *who,
                                     int64_t program_id, const struct tl_page *page,
                                     struct tl_arena *a, struct tl_landing_page **items, size_t *n,
                                     bool *more);
    enum tl_err (*program_partner_add)(struct tl_store *s, const struct tl_actor *who,
                                       int64_t program_id, int64_t partner_id, bool *created);
    enum tl_err (*program_partner_list)(struct tl_store *s, const struct tl_actor *who,
                                        int64_t program_id, const struct tl_page *page,
                                        struct tl_arena *a, struct tl_membership **items, size_t *n,
                                        bool *more);
    enum tl_err (*program_partner_has)(struct tl_store *s, int64_t program_id, int64_t partner_id,
                                       bool *yes);

    /* campaigns and their membership */
    enum tl_err (*campaign_create)(struct tl_store *s, const struct tl_actor *who,
                                   const struct tl_campaign *in, int64_t *id_out);
    enum tl_err (*campaign_get)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                struct tl_arena *a, struct tl_campaign *out);
    enum tl_err (*campaign_list)(struct tl_store *s, const struct tl_actor *who,
                                 const struct tl_campaign_filter *f, const struct tl_page *page,
                                 struct tl_arena *a, struct tl_campaign **items, size_t *n,
                                 bool *more);
    enum tl_err (*campaign_update)(struct tl_store *s, const struct tl_actor *who,
                                   const struct tl_campaign *in);
    enum tl_err (*campaign_partner_add)(struct tl_store *s, const struct tl_actor *who,
                                        int64_t campaign_id, int64_t partner_id, bool *created);
    enum tl_err (*campaign_partner_list)(struct tl_store *s, const struct tl_actor *who,
                                         int64_t campaign_id, const struct tl_page *page,
                                         struct tl_arena *a, struct tl_membership **items,
                                         size_t *n, bool *more);
    enum tl_err (*campaign_partner_has)(struct tl_store *s, int64_t campaign_id, int64_t partner_id,
                                        bool *yes);

    /* tasks and their assignments */
    enum tl_err (*task_create)(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_task *in, int64_t *id_out);
    enum tl_err (*task_get)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                            struct tl_arena *a, struct tl_task *out);
    enum tl_err (*task_list)(struct tl_store *s, const struct tl_actor *who, int64_t campaign_id,
                             const struct tl_page *page, struct tl_arena *a, struct tl_task **items,
                             size_t *n, bool *more);
    enum tl_err (*task_update)(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_task *in);
    /* as tl_store_task_partner_add, and *campaign_id gets the task's
     * campaign (for the change event) */
    enum tl_err (*task_partner_add)(struct tl_store *s, const struct tl_actor *who, int64_t task_id,
                                    int64_t partner_id, bool *created, int64_t *campaign_id);
    enum tl_err (*task_partner_list)(struct tl_store *s, const struct tl_actor *who,
                                     int64_t task_id, const struct tl_page *page,
                                     struct tl_arena *a, struct tl_membership **items, size_t *n,
                                     bool *more);

    /* tracking links */
    enum tl_err (*link_upsert)(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_link *in, struct tl_arena *a, struct tl_link *out,
                               bool *created);
    enum tl_err (*link_get)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                            struct tl_arena *a, struct tl_link *out);
    enum tl_err (*link_list)(struct tl_store *s, const struct tl_actor *who,
                             const struct tl_link_filter *f, const struct tl_page *page,
                             struct tl_arena *a, struct tl_link **items, size_t *n, bool *more);
    /* as tl_store_link_set_active, and *campaign_id gets the link's
     * campaign (for the change event) */
    enum tl_err (*link_set_active)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                   bool active, int64_t *campaign_id);
    enum tl_err (*link_ensure_defaults)(struct tl_store *s, int64_t campaign_id, size_t *made);

    /* redirects and clicks */
    enum tl_err (*target_by_code)(struct tl_store *s, const char *code, struct tl_arena *a,
                                  struct tl_target *out);
    enum tl_err (*target_by_path)(struct tl_store *s, int64_t partner_id, int64_t task_id,
                                  int64_t campaign_id, struct tl_arena *a, struct tl_target *out);
    enum tl_err (*click_batch)(struct tl_store *s, const struct tl_click *clicks, size_t n);
    /* optional (TL_STORE_QUEUED_WRITES); NULL: ops.c runs fill,
     * click_batch and done on the calling thread */
    enum tl_err (*click_batch_async)(
        struct tl_store *s, void *(*fill)(void *ctx, const struct tl_click **clicks, size_t *n),
        void (*done)(void *ctx, void *handle, enum tl_err err), void *ctx);

    enum tl_err (*click_list)(struct tl_store *s, int64_t campaign_id, const char *click_id,
                              int max, struct tl_arena *a, struct tl_click **items, size_t *n,
                              bool *more);

    /* reports */
    enum tl_err (*report)(struct tl_store *s, const struct tl_actor *who,
                          const struct tl_report_query *q, struct tl_arena *a,
                          struct tl_report_row **rows, size_t *n);

    /* conversion reads, postback configuration and the outbox */
    enum tl_err (*program_by_postback_key)(struct tl_store *s, const char *key, struct tl_arena *a,
                                           struct tl_program *out);
    enum tl_err (*conversion_get)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                  struct tl_arena *a, struct tl_conversion *out);
    enum tl_err (*conversion_list)(struct tl_store *s, const struct tl_actor *who,
                                   const struct tl_conversion_filter *f, const struct tl_page *page,
                                   struct tl_arena *a, struct tl_conversion **items, size_t *n,
                                   bool *more);
    enum tl_err (*conversion_history)(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                      struct tl_arena *a, struct tl_conversion_event **items,
                                      size_t *n);
    enum tl_err (*postback_set)(struct tl_store *s, const struct tl_actor *who,
                                const struct tl_postback_config *in);
    enum tl_err (*postback_get)(struct tl_store *s, const struct tl_actor *who, struct tl_arena *a,
                                struct tl_postback_config *out);
    enum tl_err (*postback_deliveries)(struct tl_store *s, const struct tl_actor *who, int status,
                                       bool newest_first, const struct tl_page *page,
                                       struct tl_arena *a, struct tl_postback_delivery **items,
                                       size_t *n, bool *more);
    enum tl_err (*outbox_due)(struct tl_store *s, int64_t now_ms, int max, const int64_t *skip,
                              size_t n_skip, struct tl_arena *a,
                              struct tl_postback_delivery **items, size_t *n);
    enum tl_err (*outbox_record)(struct tl_store *s, int64_t id, int64_t at_ms, int http_status,
                                 const char *error, bool delivered, int64_t next_attempt_ms);

    /* refused conversion attempts */
    enum tl_err (*rejection_add)(struct tl_store *s, const struct tl_rejection *items, size_t n);
    enum tl_err (*rejection_list)(struct tl_store *s, const struct tl_actor *who,
                                  const struct tl_rejection_filter *f, const struct tl_page *page,
                                  struct tl_arena *a, struct tl_rejection **items, size_t *n,
                                  bool *more);
    enum tl_err (*rejection_prune)(struct tl_store *s, int64_t before_ms, int64_t max_rows,
                                   uint64_t *removed);
};

/* Every backend's store struct starts with this. */
struct tl_store {
    struct tl_backend_ops ops; /* the backend's, with every fallback filled */
    struct {
        tl_store_listener_fn fn;
        void *ctx;
    } listeners[TL_STORE_LISTENERS_MAX];
    /* Slots filled before the count moves: announce reads the count
     * (acquire) and may run while another listener subscribes. */
    atomic_size_t n_listeners;
};

/* Fills s from the backend's table ops: copies it and gives each optional
 * ability left NULL its generic fallback. */
void tl_store_init(struct tl_store *s, const struct tl_backend_ops *ops);

/* Tells every subscriber (tl_store_subscribe) of change c. For backends
 * that learn of changes made elsewhere (another node); ops.c announces
 * the changes made through this store itself. */
void tl_store_announce(struct tl_store *s, const struct tl_change *c);

#endif
