/*
 * sqlite_internal.h: what the files of the SQLite backend share: the
 * connection and writer structures, the statement cache, binding and
 * stepping helpers, the tenancy predicates, and the group-commit writer
 * (sq_run_job). Private to src/store/sqlite*.c; nothing above store/
 * includes it.
 *
 * Ownership: statements returned by sq_prep() belong to the connection's
 * cache (end each use with sq_done()); strings filled by sq_col_str() live
 * in the arena given.
 */
#ifndef TL_STORE_SQLITE_INTERNAL_H
#define TL_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"
#include "store/backend.h"
#include "store/store.h"

#define BUSY_TIMEOUT_MS  5000
#define BATCH_MAX        256 /* jobs per transaction */
#define STMT_CACHE_FIRST 64  /* slots; grows by doubling */

/* A connection and its prepared statements. */
struct stmt_slot {
    const char *sql; /* the key: address of a static SQL string */
    sqlite3_stmt *stmt;
};

struct sqlite_store;

struct sq_roll;

struct conn {
    sqlite3 *db;
    struct stmt_slot *slots;
    size_t cap;
    size_t n;
    struct sqlite_store *st;
    struct conn *prev, *next; /* in st->readers */
    /* The writer's deferred rollups (sqlite_rollup.c): roll[0, roll_job)
     * are the finished jobs' additions, one per key; roll[roll_job,
     * n_roll) the running job's. */
    bool rolling;
    struct sq_roll *roll;
    size_t n_roll, cap_roll, roll_job;
};

/* A write transaction of backend.h is the writer's connection. */
static inline struct conn *sq_tx_conn(struct tl_tx *tx)
{
    return (struct conn *)(void *)tx;
}

/* A unit of work for the writer thread; runs inside a savepoint. */
typedef enum tl_err (*job_fn)(struct conn *c, void *ctx);

struct job {
    job_fn fn;
    void *ctx;
    tl_tx_fn tx_fn; /* when fn is NULL: a write of the store's rules (backend.h) */
    enum tl_err err;
    struct job *next;
    /* The waiter's own: a commit wakes exactly its jobs, and a woken
     * waiter takes no lock that the writer or another waiter holds. */
    sem_t done;
    /* Jobs of the same batch that this job's waiter wakes once woken (a
     * binary tree: the writer wakes only the first waiter). */
    struct job *kids[2];
    /* An asynchronous job (sq_submit_job) has no waiter: the writer calls
     * on_done(done_arg, err) after the commit, and frees the job. */
    void (*on_done)(void *arg, enum tl_err err);
    void *done_arg;
};

struct sqlite_store {
    struct tl_store base;
    char *uri;   /* what sqlite3_open_v2 gets */
    bool memory; /* ":memory:", served by the memdb VFS */
    int migrations_applied;

    struct conn *writer;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu; /* guards the queue, stopping and the counters */
    pthread_cond_t work_cv;
    struct job *head, *tail;
    bool stopping;
    uint64_t jobs, commits;
    size_t queued;     /* jobs in the queue (under mu) */
    size_t last_batch; /* jobs in the writer's last transaction */

    /* The checkpointer: its own connection and thread copy the WAL back
     * into the database (PASSIVE), so that no commit pays for it. */
    struct conn *ckpt;
    pthread_t ckpt_thread;
    bool ckpt_started;
    bool ckpt_due; /* under mu */
    pthread_cond_t ckpt_cv;

    pthread_key_t key; /* this thread's reader connection */
    bool key_created;
    pthread_mutex_t readers_mu;
    struct conn *readers;
};

/* tenancy predicates: ?1 the object id, ?2 the actor's kind (1 admin,
 * 2 brand, 4 partner, as enum tl_account_kind), ?3 the actor's account */

#define VIS_PROGRAM                                                                                \
    "(?2 = 1 OR (?2 = 2 AND p.brand_id = ?3) OR (?2 = 4 AND EXISTS (SELECT 1 FROM "                \
    "program_partner pp WHERE pp.program_id = p.id AND pp.partner_id = ?3)))"
#define VIS_CAMPAIGN                                                                               \
    "(?2 = 1 OR (?2 = 2 AND c.brand_id = ?3) OR (?2 = 4 AND EXISTS (SELECT 1 FROM "                \
    "campaign_partner cp WHERE cp.campaign_id = c.id AND cp.partner_id = ?3)))"
#define VIS_TASK                                                                                   \
    "(?2 = 1 OR (?2 = 2 AND t.brand_id = ?3) OR (?2 = 4 AND EXISTS (SELECT 1 FROM "                \
    "task_partner tp WHERE tp.task_id = t.id AND tp.partner_id = ?3)))"
/* owner only (writes, membership lists) */
#define OWN(alias) "(?2 = 1 OR (?2 = 2 AND " alias ".brand_id = ?3))"

/* Fills one list item from the current row of s. */
typedef enum tl_err (*fill_fn)(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                               struct tl_arena *a, void *item);

enum tl_err sq_db_err(sqlite3 *db, int rc);
enum tl_err sq_prep(struct conn *c, const char *sql, sqlite3_stmt **out);
void sq_done(sqlite3_stmt *s);
int sq_bind_i64(sqlite3_stmt *s, int i, int64_t v);
int sq_bind_str(sqlite3_stmt *s, int i, const char *v);
int sq_bind_opt_i64(sqlite3_stmt *s, int i, int64_t v);
enum tl_err sq_step_done(struct conn *c, sqlite3_stmt *s);
enum tl_err sq_exec_cached(struct conn *c, const char *sql);
enum tl_err sq_step_row(struct conn *c, sqlite3_stmt *s);
enum tl_err sq_col_str(sqlite3_stmt *s, int i, struct tl_arena *a, const char **out);
void *sq_arr_grow(struct tl_arena *a, void *old, size_t n, size_t *cap, size_t size);
bool sq_actor_valid(const struct tl_actor *who);
bool sq_actor_writes(const struct tl_actor *who);
void sq_page_norm(const struct tl_page *page, int64_t *after, int *limit);
enum tl_err sq_reader(struct sqlite_store *st, struct conn **out);
enum tl_err sq_read_begin(struct conn *c);
void sq_read_end(struct conn *c);
enum tl_err sq_run_job(struct sqlite_store *st, job_fn fn, void *ctx);
/* Queues fn(ctx) like sq_run_job without waiting: on TL_OK, on_done(arg,
 * err) is called once, on the writer thread, after the commit (ctx and arg
 * must live until then); on an error nothing was queued and on_done is
 * never called. */
enum tl_err sq_submit_job(struct sqlite_store *st, job_fn fn, void *ctx,
                          void (*on_done)(void *arg, enum tl_err err), void *arg);
int sq_bind_who(sqlite3_stmt *s, int64_t id, const struct tl_actor *who);
enum tl_err sq_check_who(struct conn *c, const char *sql, int64_t id, const struct tl_actor *who);
enum tl_err sq_load_ids(struct conn *c, const char *sql, int64_t parent, struct tl_arena *a,
                        int64_t **out, size_t *n_out);
enum tl_err sq_collect(struct conn *c, sqlite3_stmt *s, int limit, const struct tl_actor *who,
                       struct tl_arena *a, size_t size, fill_fn fill, void **items_out,
                       size_t *n_out, bool *more);
void sq_list_init(size_t *n, bool *more);
/* Reads the one row of sql (bound with sq_bind_who: ?1 id, ?2 kind, ?3
 * account) and fills out with fill, in one read transaction. For the
 * *_get operations. TL_ERR_NOTFOUND when there is no such row for who. */
enum tl_err sq_get_one(struct tl_store *s, const char *sql, int64_t id, const struct tl_actor *who,
                       struct tl_arena *a, fill_fn fill, void *out);
enum tl_err sq_domains_decode(sqlite3_stmt *s, int col, struct tl_arena *a, const char ***out,
                              size_t *n_out);
enum tl_err sq_fill_program(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                            struct tl_arena *a, void *item);
void sq_bind_page(sqlite3_stmt *q, int64_t after, int limit, const struct tl_actor *who);
const char *sq_by_kind(const struct tl_actor *who, const char *admin, const char *brand,
                       const char *partner);
enum tl_err sq_fill_campaign(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                             struct tl_arena *a, void *item);
enum tl_err sq_fill_task(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                         struct tl_arena *a, void *item);

/* sqlite_programs.c, sqlite_campaigns.c: the owner checks that other
 * resources reuse (bound with sq_bind_who; column 0 the brand, or the
 * program and then the brand). */
extern const char SQ_PROGRAM_OWN[];
extern const char SQ_CAMPAIGN_OWN[];

/* sqlite_members.c: the membership tables' shared steps. */
/*
 * A membership add: own_sql (bind_who) checks the parent is the caller's
 * and returns in column 0 the id that need_sql checks against, need_sql
 * (?1 that id, ?2 partner) must find a row, else need_err; insert_sql
 * (?1 parent, ?2 partner, ?3 now) is an INSERT OR IGNORE.
 */
struct sq_member_add {
    const struct tl_actor *who;
    const char *own_sql;
    const char *need_sql;
    enum tl_err need_err;
    const char *insert_sql;
    int64_t parent;
    int64_t partner_id;
    int64_t now;
    bool created;
    int64_t ref; /* the first column of own_sql (a task's campaign) */
};
enum tl_err sq_member_add(struct tl_store *s, struct sq_member_add *x, bool *created);
/* Lists the partners of parent (list_sql: ?1 after, ?2 limit + 1, ?3
 * parent) once own_sql (bound with sq_bind_who) finds it visible. */
enum tl_err sq_member_list(struct tl_store *s, const struct tl_actor *who, const char *own_sql,
                           const char *list_sql, int64_t parent, const struct tl_page *page,
                           struct tl_arena *a, struct tl_membership **items, size_t *n, bool *more);
/* *yes when sql (?1 a, ?2 b) finds a row. */
enum tl_err sq_pair_has(struct tl_store *s, const char *sql, int64_t a, int64_t b, bool *yes);

/* sqlite_programs.c: programs, landing pages, program memberships. */
enum tl_err sq_program_create(struct tl_store *s, const struct tl_actor *who,
                              const struct tl_program *in, int64_t *id_out);
enum tl_err sq_program_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                           struct tl_arena *a, struct tl_program *out);
enum tl_err sq_program_list(struct tl_store *s, const struct tl_actor *who,
                            const struct tl_page *page, struct tl_arena *a,
                            struct tl_program **items, size_t *n, bool *more);
enum tl_err sq_program_update(struct tl_store *s, const struct tl_actor *who,
                              const struct tl_program *in);
enum tl_err sq_landing_page_create(struct tl_store *s, const struct tl_actor *who,
                                   const struct tl_landing_page *in, int64_t *id_out);
enum tl_err sq_landing_page_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                struct tl_arena *a, struct tl_landing_page *out);
enum tl_err sq_landing_page_list(struct tl_store *s, const struct tl_actor *who, int64_t program_id,
                                 const struct tl_page *page, struct tl_arena *a,
                                 struct tl_landing_page **items, size_t *n, bool *more);
enum tl_err sq_program_partner_add(struct tl_store *s, const struct tl_actor *who,
                                   int64_t program_id, int64_t partner_id, bool *created);
enum tl_err sq_program_partner_list(struct tl_store *s, const struct tl_actor *who,
                                    int64_t program_id, const struct tl_page *page,
                                    struct tl_arena *a, struct tl_membership **items, size_t *n,
                                    bool *more);
enum tl_err sq_program_partner_has(struct tl_store *s, int64_t program_id, int64_t partner_id,
                                   bool *yes);

/* sqlite_campaigns.c: campaigns and their memberships. */
enum tl_err sq_campaign_create(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_campaign *in, int64_t *id_out);
enum tl_err sq_campaign_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                            struct tl_arena *a, struct tl_campaign *out);
enum tl_err sq_campaign_list(struct tl_store *s, const struct tl_actor *who,
                             const struct tl_campaign_filter *f, const struct tl_page *page,
                             struct tl_arena *a, struct tl_campaign **items, size_t *n, bool *more);
enum tl_err sq_campaign_update(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_campaign *in);
enum tl_err sq_campaign_partner_add(struct tl_store *s, const struct tl_actor *who,
                                    int64_t campaign_id, int64_t partner_id, bool *created);
enum tl_err sq_campaign_partner_list(struct tl_store *s, const struct tl_actor *who,
                                     int64_t campaign_id, const struct tl_page *page,
                                     struct tl_arena *a, struct tl_membership **items, size_t *n,
                                     bool *more);
enum tl_err sq_campaign_partner_has(struct tl_store *s, int64_t campaign_id, int64_t partner_id,
                                    bool *yes);

/* sqlite_tasks.c: tasks and their assignments. */
enum tl_err sq_task_create(struct tl_store *s, const struct tl_actor *who, const struct tl_task *in,
                           int64_t *id_out);
enum tl_err sq_task_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                        struct tl_arena *a, struct tl_task *out);
enum tl_err sq_task_list(struct tl_store *s, const struct tl_actor *who, int64_t campaign_id,
                         const struct tl_page *page, struct tl_arena *a, struct tl_task **items,
                         size_t *n, bool *more);
enum tl_err sq_task_update(struct tl_store *s, const struct tl_actor *who,
                           const struct tl_task *in);
enum tl_err sq_task_partner_add(struct tl_store *s, const struct tl_actor *who, int64_t task_id,
                                int64_t partner_id, bool *created, int64_t *campaign_id);
enum tl_err sq_task_partner_list(struct tl_store *s, const struct tl_actor *who, int64_t task_id,
                                 const struct tl_page *page, struct tl_arena *a,
                                 struct tl_membership **items, size_t *n, bool *more);

/* sqlite_accounts.c: accounts, API keys, UI logins and sessions. */
enum tl_err sq_account_create(struct tl_store *s, const struct tl_account_new *in, int64_t *id_out);
enum tl_err sq_actor_by_key(struct tl_store *s, const unsigned char key_hash[32],
                            struct tl_actor *out, int64_t *key_id, int64_t *last_used_at);
enum tl_err sq_account_get(struct tl_store *s, int64_t id, struct tl_arena *a,
                           struct tl_account *out);
enum tl_err sq_api_key_create(struct tl_store *s, const struct tl_actor *who,
                              struct tl_api_key *key, const unsigned char key_hash[32]);
enum tl_err sq_api_key_list(struct tl_store *s, const struct tl_actor *who, int64_t account_id,
                            const struct tl_page *page, struct tl_arena *a,
                            struct tl_api_key **items, size_t *n, bool *more);
enum tl_err sq_api_key_revoke(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              unsigned char key_hash[32]);
enum tl_err sq_api_key_touch(struct tl_store *s, int64_t id, int64_t at_ms);
enum tl_err sq_user_by_email(struct tl_store *s, const char *email, struct tl_arena *a,
                             struct tl_user *out);
enum tl_err sq_session_create(struct tl_store *s, struct tl_session *in,
                              const unsigned char *replace);
enum tl_err sq_session_get(struct tl_store *s, const unsigned char token_hash[32], int64_t now_ms,
                           struct tl_arena *a, struct tl_session *out);
enum tl_err sq_session_touch(struct tl_store *s, int64_t id, int64_t expires_at);
enum tl_err sq_session_delete(struct tl_store *s, const unsigned char token_hash[32]);

/* sqlite_links.c: the link operations of struct tl_store_ops. */
enum tl_err sq_link_upsert(struct tl_store *s, const struct tl_actor *who, const struct tl_link *in,
                           struct tl_arena *a, struct tl_link *out, bool *created);
enum tl_err sq_link_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                        struct tl_arena *a, struct tl_link *out);
enum tl_err sq_link_list(struct tl_store *s, const struct tl_actor *who,
                         const struct tl_link_filter *f, const struct tl_page *page,
                         struct tl_arena *a, struct tl_link **items, size_t *n, bool *more);
enum tl_err sq_link_set_active(struct tl_store *s, const struct tl_actor *who, int64_t id,
                               bool active, int64_t *campaign_id);
enum tl_err sq_link_ensure_defaults(struct tl_store *s, int64_t campaign_id, size_t *made);

/* sqlite_track.c: redirects and clicks. */
enum tl_err sq_target_by_code(struct tl_store *s, const char *code, struct tl_arena *a,
                              struct tl_target *out);
enum tl_err sq_target_by_path(struct tl_store *s, int64_t partner_id, int64_t task_id,
                              int64_t campaign_id, struct tl_arena *a, struct tl_target *out);
enum tl_err sq_click_batch(struct tl_store *s, const struct tl_click *clicks, size_t n);
enum tl_err sq_click_batch_async(struct tl_store *s,
                                 void *(*fill)(void *ctx, const struct tl_click **clicks,
                                               size_t *n),
                                 void (*done)(void *ctx, void *handle, enum tl_err err), void *ctx);

enum tl_err sq_click_list(struct tl_store *s, int64_t campaign_id, const char *click_id, int max,
                          struct tl_arena *a, struct tl_click **items, size_t *n, bool *more);

/* sqlite_rollup.c: additions to the two rollup tables (struct tl_rollup,
 * backend.h; see the file). */
enum tl_err sq_rollup_fine(struct conn *c, const struct tl_rollup *r);     /* stats_hourly */
enum tl_err sq_rollup_campaign(struct conn *c, const struct tl_rollup *r); /* the coarse copy */
enum tl_err sq_rollup_add(struct conn *c, const struct tl_rollup *r);      /* both */
/* Whether a and b fall in the same coarse row (hour, campaign, currency);
 * adding r's sums to *to. */
bool sq_rollup_same_coarse(const struct tl_rollup *a, const struct tl_rollup *b);
void sq_rollup_add_sums(struct tl_rollup *to, const struct tl_rollup *r);
/* Inside the writer's transaction (run_batch), sq_rollup_add defers its
 * additions: a job's join the others' when it ends well (keep) and go with
 * its savepoint otherwise, and sq_rollup_flush writes each key once, just
 * before COMMIT. Conversions in one commit mostly share their hour and
 * campaign: one upsert per table instead of one per conversion. */
void sq_rollup_begin(struct conn *c);
void sq_rollup_job_end(struct conn *c, bool keep);
enum tl_err sq_rollup_flush(struct conn *c);
void sq_rollup_abort(struct conn *c);
void sq_rollup_free(struct conn *c);

/* sqlite_reports.c */
enum tl_err sq_report(struct tl_store *s, const struct tl_actor *who,
                      const struct tl_report_query *q, struct tl_arena *a,
                      struct tl_report_row **rows, size_t *n);

/* sqlite_conversions.c: conversions and partner postbacks: the primitives
 * of backend.h, and the reads. */
enum tl_err sq_conversion_insert(struct tl_tx *tx, const struct tl_conversion *in, int64_t *id);
enum tl_err sq_conversion_by_key(struct tl_tx *tx, int64_t program_id, const char *event_type,
                                 const char *order_id, struct tl_arena *a,
                                 struct tl_conversion *out);
enum tl_err sq_conversion_owned(struct tl_tx *tx, const struct tl_actor *who, int64_t id,
                                struct tl_arena *a, struct tl_conversion *out);
enum tl_err sq_conversion_set_status(struct tl_tx *tx, int64_t id, enum tl_conversion_status to,
                                     int64_t at_ms);
enum tl_err sq_conversion_event_add(struct tl_tx *tx, const struct tl_conversion_event *e);
enum tl_err sq_rollup_add_tx(struct tl_tx *tx, const struct tl_rollup *r);
enum tl_err sq_attribution(struct tl_tx *tx, const struct tl_actor *who, const char *click_id,
                           struct tl_arena *a, struct tl_click_info *click, bool *found,
                           struct tl_program *program, bool *has_program,
                           struct tl_campaign *campaign, bool *has_campaign);
enum tl_err sq_postback_of(struct tl_tx *tx, int64_t partner_id, struct tl_arena *a,
                           const char **url_template, unsigned *events);
enum tl_err sq_click_subs(struct tl_tx *tx, const char *click_id, struct tl_arena *a,
                          const char *sub[4]);
enum tl_err sq_outbox_add(struct tl_tx *tx, const struct tl_outbox_entry *e);
enum tl_err sq_program_by_postback_key(struct tl_store *s, const char *key, struct tl_arena *a,
                                       struct tl_program *out);
enum tl_err sq_conversion_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                              struct tl_arena *a, struct tl_conversion *out);
enum tl_err sq_conversion_list(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_conversion_filter *f, const struct tl_page *page,
                               struct tl_arena *a, struct tl_conversion **items, size_t *n,
                               bool *more);
enum tl_err sq_conversion_history(struct tl_store *s, const struct tl_actor *who, int64_t id,
                                  struct tl_arena *a, struct tl_conversion_event **items,
                                  size_t *n);
enum tl_err sq_postback_set(struct tl_store *s, const struct tl_actor *who,
                            const struct tl_postback_config *in);
enum tl_err sq_postback_get(struct tl_store *s, const struct tl_actor *who, struct tl_arena *a,
                            struct tl_postback_config *out);
enum tl_err sq_postback_deliveries(struct tl_store *s, const struct tl_actor *who, int status,
                                   bool newest_first, const struct tl_page *page,
                                   struct tl_arena *a, struct tl_postback_delivery **items,
                                   size_t *n, bool *more);
enum tl_err sq_outbox_due(struct tl_store *s, int64_t now_ms, int max, const int64_t *skip,
                          size_t n_skip, struct tl_arena *a, struct tl_postback_delivery **items,
                          size_t *n);
enum tl_err sq_outbox_record(struct tl_store *s, int64_t id, int64_t at_ms, int http_status,
                             const char *error, bool delivered, int64_t next_attempt_ms);

/* sqlite_rejected.c: refused conversion attempts. */
enum tl_err sq_rejection_add(struct tl_store *s, const struct tl_rejection *items, size_t n);
enum tl_err sq_rejection_list(struct tl_store *s, const struct tl_actor *who,
                              const struct tl_rejection_filter *f, const struct tl_page *page,
                              struct tl_arena *a, struct tl_rejection **items, size_t *n,
                              bool *more);
enum tl_err sq_rejection_prune(struct tl_store *s, int64_t before_ms, int64_t max_rows,
                               uint64_t *removed);

#endif
