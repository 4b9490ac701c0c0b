/*
 * store.h: the storage interface of tracklink, as its callers see it.
 *
 * Callers call tl_store_<op>() (or TL_STORE(s, op, ...)). Behind these
 * functions, store/ keeps the rules that every backend shares, once (the
 * conversion lifecycle in store/conversions.c, change events and the
 * fallbacks of optional abilities in store/ops.c), over the narrow table
 * a backend gives (store/backend.h): store/sqlite*.c now, postgres*.c
 * next. Nothing above store/ sees SQL, a driver type or a driver error
 * code.
 *
 * Rules every implementation keeps:
 * - Every call that touches tenant data takes the caller (struct tl_actor).
 *   An object that exists but belongs to another account answers
 *   TL_ERR_NOTFOUND, exactly as one that does not exist.
 *   Brands see what hangs under their programs. Partners see the programs,
 *   campaigns and tasks they are members of (program_get fills the whole
 *   struct; hiding secrets such as postback_key from partners is the API
 *   layer's job).
 *   The admin (kind TL_ACCOUNT_ADMIN) sees everything.
 * - Writes are durable (committed) when the call returns TL_OK. With SQLite
 *   they go through one writer thread that commits concurrent writes
 *   together (group commit), so many writers share one fsync.
 * - Reads may run concurrently from any thread.
 * - Strings and arrays in the structs a read fills are allocated from the
 *   arena passed in, and live as long as it. Inputs are only borrowed for
 *   the duration of the call.
 * - Lists come in ascending id order; page->after is an exclusive lower
 *   bound on the id (0 for the start), page->limit the most items to return.
 *   *more is set when there are items after the last one returned.
 * - Errors: TL_ERR_NOTFOUND (absent or not yours), TL_ERR_CONFLICT (a
 *   unique rule was broken), TL_ERR_IO (the backend failed), TL_ERR_NOMEM.
 */
#ifndef TL_STORE_STORE_H
#define TL_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"

struct tl_store;

/* The most rows one writer job of rejection_prune removes. */
#define TL_STORE_PRUNE_BATCH 1000

struct tl_page {
    int64_t after;
    int limit;
};

/* link_list's filters; 0 for any. */
struct tl_link_filter {
    int64_t task_id;
    int64_t campaign_id;
    int64_t partner_id;
};

struct tl_campaign_filter {
    int status;         /* enum tl_campaign_status, or -1 for any */
    int64_t program_id; /* 0 for any */
};

/* Reports: what to sum over stats_hourly, and the sums. */
enum tl_report_group {
    TL_GROUP_NONE = 0, /* one row of totals (per currency) */
    TL_GROUP_HOUR,     /* key: the hour's UTC start, ms */
    TL_GROUP_CAMPAIGN,
    TL_GROUP_PARTNER,
    TL_GROUP_TASK,
    TL_GROUP_LINK, /* key 0: clicks on regular paths with no generated link */
};

struct tl_report_query {
    int64_t program_id; /* filters: 0 for any */
    int64_t campaign_id;
    int64_t partner_id;
    int64_t task_id;
    int64_t from_ms; /* inclusive, on an hour; 0 for open */
    int64_t to_ms;   /* exclusive; 0 for open */
    enum tl_report_group group;
};

struct tl_report_row {
    int64_t key; /* per group; 0 for TL_GROUP_NONE */
    const char *currency;
    int64_t clicks;
    int64_t unique_clicks;
    int64_t bot_clicks; /* not in clicks: bots are counted apart */
    int64_t conversions;
    int64_t revenue;
    int64_t payout;
};

/*
 * Decides a new conversion from what its click names (conversion_record):
 * click is NULL when no click has the id, program NULL when the click's
 * program is not visible to the caller, campaign NULL when the click's
 * campaign is gone. program carries only id, brand_id,
 * referral_window_days and currency; campaign only id, program_id,
 * brand_id, status, tracking_enabled and the payout rule (the other fields
 * are zero). Returns TL_OK with *out filled as conversion_create's input,
 * or an error to store nothing. It runs on the store's writer thread,
 * inside its transaction: it must not call the store, and should be quick.
 */
typedef enum tl_err (*tl_conversion_decide_fn)(void *ctx, const struct tl_click_info *click,
                                               const struct tl_program *program,
                                               const struct tl_campaign *campaign,
                                               struct tl_conversion *out);

/*
 * Change events: after a write has committed, the store tells every
 * subscriber what changed, so that caches (the link cache, the API key
 * cache) never depend on a caller remembering to tell them. With SQLite an
 * event fires on the writing thread, after the commit and before the
 * write returns; other backends may also deliver the changes of other
 * nodes, from their own thread. A listener must be quick and must not
 * call the store.
 */
enum tl_change_kind {
    TL_CHANGE_PROGRAM = 1,     /* id: its settings changed (program_update) */
    TL_CHANGE_CAMPAIGN,        /* id: its settings changed (campaign_update) */
    TL_CHANGE_TASK_PARTNERS,   /* id: task; campaign_id: partners were assigned */
    TL_CHANGE_LINK_CREATED,    /* campaign_id: one or more links were created */
    TL_CHANGE_LINK_UPDATED,    /* id: link; campaign_id: a link was (de)activated */
    TL_CHANGE_API_KEY_REVOKED, /* id: key; key_hash: its hash */
    TL_CHANGE_ALL,             /* anything may have changed: drop every cached entry */
};

struct tl_change {
    enum tl_change_kind kind;
    int64_t id;                    /* the object's, 0 when the kind names none */
    int64_t campaign_id;           /* the campaign the change is in, 0 when none */
    const unsigned char *key_hash; /* TL_CHANGE_API_KEY_REVOKED only; 32 bytes */
};

typedef void (*tl_store_listener_fn)(void *ctx, const struct tl_change *change);

#define TL_STORE_LISTENERS_MAX 8

/*
 * Subscribes fn(ctx, change) to the store's committed changes, for as long
 * as the store is open (ctx must outlive every write made through it from
 * then on). Subscribe at
 * start, from one thread (right after tl_store_open, or once the
 * subscriber exists), before writes begin: a change committed earlier is
 * not told. TL_ERR_NOMEM past TL_STORE_LISTENERS_MAX.
 */
enum tl_err tl_store_subscribe(struct tl_store *s, tl_store_listener_fn fn, void *ctx);

/*
 * The optional abilities of a backend. Every operation works on every
 * backend; an ability says only how: without TL_STORE_QUEUED_WRITES, the
 * *_async operations do their work on the calling thread before they
 * return (and call done there), so a caller that must never block asks
 * first.
 */
#define TL_STORE_QUEUED_WRITES 0x1u /* *_async queue their work and return */

/* Whether the store's backend has every ability in mask. */
bool tl_store_can(const struct tl_store *s, unsigned mask);

/*
 * How the store hears of the changes other nodes commit (the changes of
 * its own writes are always told): NONE for a backend that has no other
 * nodes (SQLite), UP while its notification channel is connected and
 * caught up, DOWN while it reconnects (caches may then miss a change made
 * elsewhere until it is back; on its return it tells what it missed, or
 * TL_CHANGE_ALL).
 */
enum tl_store_channel {
    TL_STORE_CHANNEL_NONE = 0,
    TL_STORE_CHANNEL_UP,
    TL_STORE_CHANNEL_DOWN,
};
enum tl_store_channel tl_store_channel(struct tl_store *s);

/* The backend's name ("sqlite"). */
const char *tl_store_name(const struct tl_store *s);

/*
 * Calls an operation: TL_STORE(st, program_get, who, id, arena, &out) is
 * tl_store_program_get(st, who, id, arena, &out).
 */
#define TL_STORE(s, op, ...) tl_store_##op((s), __VA_ARGS__)

/* ---- the operations ---- */
enum tl_err tl_store_ping(struct tl_store *s);

/* Number of migrations applied by the last open (0 when none was due). */
int tl_store_migrations_applied(struct tl_store *s);

/* accounts and keys */

/* Creates the account with its first API key (named in->key_name, or
 * "default") and, when in->user_email is set, its UI login. */
enum tl_err tl_store_account_create(struct tl_store *s, const struct tl_account_new *in,
                                    int64_t *id_out);

/* The account whose API key hashes to key_hash. key_id and
 * last_used_at (0: never), when not NULL, get the key's. */
enum tl_err tl_store_actor_by_key(struct tl_store *s, const unsigned char key_hash[32],
                                  struct tl_actor *out, int64_t *key_id, int64_t *last_used_at);
enum tl_err tl_store_account_get(struct tl_store *s, int64_t id, struct tl_arena *a,
                                 struct tl_account *out);

/* ---- API keys and UI sessions (sqlite_accounts.c) ---- */

/* Adds a key to key->account_id: the caller's own account, or any
 * brand or partner for the admin (else TL_ERR_NOTFOUND). Reads
 * account_id, name and prefix; sets id and created_at.
 * TL_ERR_CONFLICT when the hash is taken. */
enum tl_err tl_store_api_key_create(struct tl_store *s, const struct tl_actor *who,
                                    struct tl_api_key *key, const unsigned char key_hash[32]);

/* The keys of account_id: the caller's own (brand, partner: account_id
 * is ignored), or, for the admin, that account's (0: every account's). */
enum tl_err tl_store_api_key_list(struct tl_store *s, const struct tl_actor *who,
                                  int64_t account_id, const struct tl_page *page,
                                  struct tl_arena *a, struct tl_api_key **items, size_t *n,
                                  bool *more);

/* Deletes key id (the caller's own; the admin: any) and gives its hash
 * in key_hash, so that caches can forget it. TL_ERR_NOTFOUND when it is
 * not visible; TL_ERR_CONFLICT when it is the last key of an account
 * that has no UI login (the account would have no way in). */
enum tl_err tl_store_api_key_revoke(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                    unsigned char key_hash[32]);

/* Sets key id's last_used_at. Queued behind the other writes and not
 * waited for: TL_OK once queued; the write's own failure is dropped
 * (a late last-used time is harmless). */
enum tl_err tl_store_api_key_touch(struct tl_store *s, int64_t id, int64_t at_ms);

/* The UI login with this email (case-insensitive), with its account.
 * TL_ERR_NOTFOUND. */
enum tl_err tl_store_user_by_email(struct tl_store *s, const char *email, struct tl_arena *a,
                                   struct tl_user *out);

/* Stores a new session from in (token_hash, user_id, csrf_token,
 * created_at, expires_at); sets in->id. The same commit deletes the
 * sessions expired at in->created_at and, when replace is not NULL,
 * the session whose token hashes to replace. */
enum tl_err tl_store_session_create(struct tl_store *s, struct tl_session *in,
                                    const unsigned char *replace);

/* The session whose token hashes to token_hash and that has not
 * expired at now_ms, with its user and account. TL_ERR_NOTFOUND. */
enum tl_err tl_store_session_get(struct tl_store *s, const unsigned char token_hash[32],
                                 int64_t now_ms, struct tl_arena *a, struct tl_session *out);

/* Moves session id's expiry to expires_at; queued and not waited for,
 * like api_key_touch. */
enum tl_err tl_store_session_touch(struct tl_store *s, int64_t id, int64_t expires_at);

/* Ends the session whose token hashes to token_hash. TL_ERR_NOTFOUND
 * when there is none. */
enum tl_err tl_store_session_delete(struct tl_store *s, const unsigned char token_hash[32]);

/* programs */
enum tl_err tl_store_program_create(struct tl_store *s, const struct tl_actor *who,
                                    const struct tl_program *in, int64_t *id_out);
enum tl_err tl_store_program_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                 struct tl_arena *a, struct tl_program *out);
enum tl_err tl_store_program_list(struct tl_store *s, const struct tl_actor *who,
                                  const struct tl_page *page, struct tl_arena *a,
                                  struct tl_program **items, size_t *n, bool *more);

/* Replaces the mutable fields (name, default landing page, permitted
 * domains, click id param, referral window, currency, postback key) of
 * in->id, and sets updated_at. */
enum tl_err tl_store_program_update(struct tl_store *s, const struct tl_actor *who,
                                    const struct tl_program *in);

/* landing pages */
enum tl_err tl_store_landing_page_create(struct tl_store *s, const struct tl_actor *who,
                                         const struct tl_landing_page *in, int64_t *id_out);
enum tl_err tl_store_landing_page_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                      struct tl_arena *a, struct tl_landing_page *out);
enum tl_err tl_store_landing_page_list(struct tl_store *s, const struct tl_actor *who,
                                       int64_t program_id, const struct tl_page *page,
                                       struct tl_arena *a, struct tl_landing_page **items,
                                       size_t *n, bool *more);

/* Program membership. TL_ERR_NOTFOUND when the program is not the
 * caller's or partner_id is not a partner. *created is false when the
 * partner was already a member (nothing changes then). */
enum tl_err tl_store_program_partner_add(struct tl_store *s, const struct tl_actor *who,
                                         int64_t program_id, int64_t partner_id, bool *created);
enum tl_err tl_store_program_partner_list(struct tl_store *s, const struct tl_actor *who,
                                          int64_t program_id, const struct tl_page *page,
                                          struct tl_arena *a, struct tl_membership **items,
                                          size_t *n, bool *more);
enum tl_err tl_store_program_partner_has(struct tl_store *s, int64_t program_id, int64_t partner_id,
                                         bool *yes);

/* campaigns; in->landing_page_ids are stored with the campaign */
enum tl_err tl_store_campaign_create(struct tl_store *s, const struct tl_actor *who,
                                     const struct tl_campaign *in, int64_t *id_out);
enum tl_err tl_store_campaign_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                  struct tl_arena *a, struct tl_campaign *out);
enum tl_err tl_store_campaign_list(struct tl_store *s, const struct tl_actor *who,
                                   const struct tl_campaign_filter *f, const struct tl_page *page,
                                   struct tl_arena *a, struct tl_campaign **items, size_t *n,
                                   bool *more);

/* Replaces name, status, tracking, mode, landing page ids and payout. */
enum tl_err tl_store_campaign_update(struct tl_store *s, const struct tl_actor *who,
                                     const struct tl_campaign *in);
enum tl_err tl_store_campaign_partner_add(struct tl_store *s, const struct tl_actor *who,
                                          int64_t campaign_id, int64_t partner_id, bool *created);
enum tl_err tl_store_campaign_partner_list(struct tl_store *s, const struct tl_actor *who,
                                           int64_t campaign_id, const struct tl_page *page,
                                           struct tl_arena *a, struct tl_membership **items,
                                           size_t *n, bool *more);
enum tl_err tl_store_campaign_partner_has(struct tl_store *s, int64_t campaign_id,
                                          int64_t partner_id, bool *yes);

/* tasks; in->partner_ids are assigned with the task, in one commit */
enum tl_err tl_store_task_create(struct tl_store *s, const struct tl_actor *who,
                                 const struct tl_task *in, int64_t *id_out);
enum tl_err tl_store_task_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              struct tl_arena *a, struct tl_task *out);

/* campaign_id 0 lists every task the caller sees (a partner's own task
 * manager); otherwise the tasks of that campaign (a partner sees only
 * those they are assigned to). */
enum tl_err tl_store_task_list(struct tl_store *s, const struct tl_actor *who, int64_t campaign_id,
                               const struct tl_page *page, struct tl_arena *a,
                               struct tl_task **items, size_t *n, bool *more);

/* Replaces title, description and due_at. */
enum tl_err tl_store_task_update(struct tl_store *s, const struct tl_actor *who,
                                 const struct tl_task *in);
enum tl_err tl_store_task_partner_add(struct tl_store *s, const struct tl_actor *who,
                                      int64_t task_id, int64_t partner_id, bool *created);
enum tl_err tl_store_task_partner_list(struct tl_store *s, const struct tl_actor *who,
                                       int64_t task_id, const struct tl_page *page,
                                       struct tl_arena *a, struct tl_membership **items, size_t *n,
                                       bool *more);

/* ---- tracking links (issue 3) ---- */

/* Creates the link in, or finds the identical one: same task, partner,
 * landing_url (NULL = follows the program default), kind, sub ids and
 * shared id. A fresh code comes from tl_link_code_new(); a code
 * collision is retried. Safe under concurrency (one unique index, one
 * upsert). The caller has checked every rule; the store checks only
 * that the task is the caller's (brand) or assigned to them (partner).
 * *created is false when the link existed (then it is returned as it
 * is, disabled or not). */
enum tl_err tl_store_link_upsert(struct tl_store *s, const struct tl_actor *who,
                                 const struct tl_link *in, struct tl_arena *a, struct tl_link *out,
                                 bool *created);

/* Brands see the links of their programs, partners their own links. */
enum tl_err tl_store_link_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              struct tl_arena *a, struct tl_link *out);

/* The links the caller sees that match every filter of f (0: any):
 * one task's, one campaign's, one partner's, or all. A filter naming
 * another account's object matches nothing (no TL_ERR_NOTFOUND). */
enum tl_err tl_store_link_list(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_link_filter *f, const struct tl_page *page,
                               struct tl_arena *a, struct tl_link **items, size_t *n, bool *more);
enum tl_err tl_store_link_set_active(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                     bool active);

/* Every (task, partner) assignment of the campaign that has no short
 * link following the program default gets one, created by the brand.
 * *made counts the links created. */
enum tl_err tl_store_link_ensure_defaults(struct tl_store *s, int64_t campaign_id, size_t *made);

/* ---- redirects and clicks (issue 4); no actor: the public side ---- */

/* Resolves a short code. TL_ERR_NOTFOUND when no link has it. */
enum tl_err tl_store_target_by_code(struct tl_store *s, const char *code, struct tl_arena *a,
                                    struct tl_target *out);

/* Resolves a regular path: the partner must be assigned to the task and
 * the task be in the campaign, or TL_ERR_NOTFOUND. */
enum tl_err tl_store_target_by_path(struct tl_store *s, int64_t partner_id, int64_t task_id,
                                    int64_t campaign_id, struct tl_arena *a, struct tl_target *out);

/* Stores clicks and their stats_hourly rollups in one transaction
 * (group-committed with other writes). Bot clicks are counted only in
 * bot_clicks. Durable when it returns TL_OK. */
enum tl_err tl_store_click_batch(struct tl_store *s, const struct tl_click *clicks, size_t n);

/* click_batch without waiting, and with the batch decided late: when
 * the writer gets to the job, fill(ctx, &clicks, &n) hands it the
 * clicks to store (n may be 0) and returns a handle; after the commit,
 * done(ctx, handle, err) is called, from the store's thread. The
 * clicks must live until then. On an error nothing was queued. */
enum tl_err
tl_store_click_batch_async(struct tl_store *s,
                           void *(*fill)(void *ctx, const struct tl_click **clicks, size_t *n),
                           void (*done)(void *ctx, void *handle, enum tl_err err), void *ctx);

/* The operator's side (no actor; `tracklink admin clicks`): the stored
 * clicks of campaign_id (0: any) and of click_id (NULL: any), ordered by
 * ts_ms then click_id, at most max (1..TL_STORE_CLICKS_MAX); *more when
 * there are others. The clicks' currency is left empty. */
#define TL_STORE_CLICKS_MAX 100000
enum tl_err tl_store_click_list(struct tl_store *s, int64_t campaign_id, const char *click_id,
                                int max, struct tl_arena *a, struct tl_click **items, size_t *n,
                                bool *more);

/* ---- reports (issue 6): sums over stats_hourly only, never clicks ---- */

/* Rows ordered by key, then currency. Brands see their programs' rows,
 * partners their own; a filter naming another account's object simply
 * matches nothing. */
enum tl_err tl_store_report(struct tl_store *s, const struct tl_actor *who,
                            const struct tl_report_query *q, struct tl_arena *a,
                            struct tl_report_row **rows, size_t *n);

/* ---- conversions and partner postbacks (issue 5) ---- */

/* The program whose postback key is key (GET /postback). TL_ERR_NOTFOUND. */
enum tl_err tl_store_program_by_postback_key(struct tl_store *s, const char *key,
                                             struct tl_arena *a, struct tl_program *out);

/* Creates the conversion in (status pending; every field but id,
 * status and the times is the caller's, already checked), or finds the
 * one with the same (program, event_type, order_id): one writer job
 * that inserts-or-reads, so concurrent identical requests make one.
 * When created, the same commit holds its conversion_event (null ->
 * pending, by who), its stats_hourly rollup (conversions +1, revenue,
 * payout, in the hour of occurred_at) and, when the partner has a
 * postback for conversion.created, the expanded postback_outbox row.
 * *out is the stored conversion either way (compare it to tell a
 * replay from a conflict); *created tells which. */
enum tl_err tl_store_conversion_create(struct tl_store *s, const struct tl_actor *who,
                                       const struct tl_conversion *in, struct tl_arena *a,
                                       struct tl_conversion *out, bool *created);

/* Attribution and creation in one writer job: reads the click
 * click_id, its program (as who sees it) and its campaign, calls
 * decide(ctx, ...) with them, and when it returns TL_OK does what
 * conversion_create does with the conversion it filled (whose strings
 * must outlive the call). The reads see the state the insert commits
 * in, and cost no read transaction of their own. Returns decide's error
 * when it refuses (nothing is stored). Strings of *out and of the
 * structs decide sees are in a. */
enum tl_err tl_store_conversion_record(struct tl_store *s, const struct tl_actor *who,
                                       const char *click_id, tl_conversion_decide_fn decide,
                                       void *ctx, struct tl_arena *a, struct tl_conversion *out,
                                       bool *created);

/* conversion_record without waiting, for a caller that must not block
 * (the HTTP front): on TL_OK the job is queued, and done(arg, err) is
 * called once, from the store's own thread, after the commit (err as
 * conversion_record would return it, *out and *created filled). Every
 * pointer given must live until then. On an error nothing was queued
 * and done is never called. */
enum tl_err tl_store_conversion_record_async(struct tl_store *s, const struct tl_actor *who,
                                             const char *click_id, tl_conversion_decide_fn decide,
                                             void *ctx, struct tl_arena *a,
                                             struct tl_conversion *out, bool *created,
                                             void (*done)(void *arg, enum tl_err err), void *arg);

/* Brands see the conversions of their programs, partners their own. */
enum tl_err tl_store_conversion_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                    struct tl_arena *a, struct tl_conversion *out);
/* Those matching f, ascending id (descending with f->newest_first,
 * page->after then being the id the page starts below). */
enum tl_err tl_store_conversion_list(struct tl_store *s, const struct tl_actor *who,
                                     const struct tl_conversion_filter *f,
                                     const struct tl_page *page, struct tl_arena *a,
                                     struct tl_conversion **items, size_t *n, bool *more);

/* Moves a conversion (brand's or admin's) to status to, in one job:
 * TL_ERR_CONFLICT when the move is not allowed from its current status
 * (core/conversion.h). The same commit holds the conversion_event
 * (reason may be NULL), the rollup change of a reversal (minus one
 * conversion, its revenue and payout, in the hour of occurred_at), and
 * the partner's postback outbox row when subscribed. *out is the
 * conversion after the move (or as it is, on TL_ERR_CONFLICT). */
enum tl_err tl_store_conversion_move(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                     enum tl_conversion_status to, const char *reason,
                                     struct tl_arena *a, struct tl_conversion *out);

/* Every status change of a visible conversion, oldest first. */
enum tl_err tl_store_conversion_history(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                        struct tl_arena *a, struct tl_conversion_event **items,
                                        size_t *n);

/* A partner's postback configuration (who must be that partner):
 * set replaces it; get answers TL_ERR_NOTFOUND when none is set. */
enum tl_err tl_store_postback_set(struct tl_store *s, const struct tl_actor *who,
                                  const struct tl_postback_config *in);
enum tl_err tl_store_postback_get(struct tl_store *s, const struct tl_actor *who,
                                  struct tl_arena *a, struct tl_postback_config *out);

/* The partner's deliveries (status -1 for any), each with its attempt
 * log, ascending id (descending with newest_first, page->after then
 * being the id the page starts below). */
enum tl_err tl_store_postback_deliveries(struct tl_store *s, const struct tl_actor *who, int status,
                                         bool newest_first, const struct tl_page *page,
                                         struct tl_arena *a, struct tl_postback_delivery **items,
                                         size_t *n, bool *more);

/* The sender's side (no actor): pending deliveries due at now_ms,
 * earliest first, at most max, skipping the ids in skip[0..n_skip)
 * (those in flight). Without their attempt logs. */
enum tl_err tl_store_outbox_due(struct tl_store *s, int64_t now_ms, int max, const int64_t *skip,
                                size_t n_skip, struct tl_arena *a,
                                struct tl_postback_delivery **items, size_t *n);

/* Records one attempt of delivery id made at at_ms (http_status 0 when
 * no answer, error NULL when none) and its outcome: delivered, or
 * pending again at next_attempt_ms, or failed for good when
 * next_attempt_ms is 0. */
enum tl_err tl_store_outbox_record(struct tl_store *s, int64_t id, int64_t at_ms, int http_status,
                                   const char *error, bool delivered, int64_t next_attempt_ms);

/* ---- refused conversion attempts ---- */

/* Stores items[0..n) (their ids are ignored) in one writer job, with
 * no actor: the caller (track/rejections.c) has decided whose each
 * is. Strings are borrowed for the call. */
enum tl_err tl_store_rejection_add(struct tl_store *s, const struct tl_rejection *items, size_t n);

/* A brand's rejections (the admin sees all, a partner none) matching
 * f, ascending id (descending with f->newest_first, page->after then
 * being the id the page starts below). A program_id of another brand
 * matches nothing. */
enum tl_err tl_store_rejection_list(struct tl_store *s, const struct tl_actor *who,
                                    const struct tl_rejection_filter *f, const struct tl_page *page,
                                    struct tl_arena *a, struct tl_rejection **items, size_t *n,
                                    bool *more);

/* Removes the rejections received before before_ms, then all but the
 * newest max_rows of each (brand, program) (0: no cap), in writer
 * jobs of at most TL_STORE_PRUNE_BATCH rows each, so that no commit
 * waits long behind it. *removed counts the rows removed. */
enum tl_err tl_store_rejection_prune(struct tl_store *s, int64_t before_ms, int64_t max_rows,
                                     uint64_t *removed);

/*
 * Opens the store named by url: "sqlite:path/to/file.db" (":memory:" works
 * for tests) or, later, "postgres://...". Creates the database if needed
 * and applies pending migrations. On failure returns an error and writes a
 * human reason into why (cap why_len). The caller frees the store with
 * tl_store_close().
 */
enum tl_err tl_store_open(const char *url, struct tl_store **out, char *why, size_t why_len);

/* Closes the store (drains and stops its writer). NULL is a no-op. */
void tl_store_close(struct tl_store *s);

#endif
