/*
 * postgres_internal.h: what the PostgreSQL backend's files share: the
 * store struct and the small helpers of parameters and columns (text
 * format: parameters as strings, bytea as "\x" hex). The engine is
 * postgres.h; each resource lives in postgres_<resource>.c, mirroring
 * sqlite_<resource>.c, on the backend interface (backend.h).
 */
#ifndef TL_STORE_POSTGRES_INTERNAL_H
#define TL_STORE_POSTGRES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"
#include "store/backend.h"
#include "store/postgres.h"

struct tl_pg_changes;

struct pg_store {
    struct tl_store base; /* first: the store's own part */
    struct tl_pg *pg;
    struct tl_pg_changes *changes; /* the other nodes' changes (postgres_changes.c) */
};

static inline struct tl_pg *pg_of(struct tl_store *s)
{
    return ((struct pg_store *)s)->pg;
}

/* A 64-bit integer as a parameter: buf holds at least 24 bytes. */
const char *pg_i64(char *buf, int64_t v);
/* 32 bytes as a bytea parameter ("\x" and 64 hex digits): buf 67 bytes. */
const char *pg_bytea32(char *buf, const unsigned char v[32]);

/* Columns of row 0..: integers (NULL reads as 0), strings copied to a
 * (NULL stays NULL; TL_ERR_NOMEM when a is full). */
int64_t pg_col_i64(const PGresult *r, int row, int col);
enum tl_err pg_col_str(const PGresult *r, int row, int col, struct tl_arena *a, const char **out);

/*
 * Runs a read (sql with n text parameters) on a pooled connection and
 * hands back its result (*out, the caller PQclears it): TL_OK, or the
 * mapped error (TL_ERR_UNAVAILABLE while the database is unreachable).
 */
enum tl_err pg_read(struct tl_store *s, const char *sql, int n, const char *const *params,
                    PGresult **out);

/* A store write transaction is the engine's job transaction. */
static inline struct tl_pg_tx *pg_tx(struct tl_tx *tx)
{
    return (struct tl_pg_tx *)tx;
}

/* postgres_store.c: the backend as a store. */
enum tl_err tl_postgres_open(const char *url, struct tl_store **out, char *why, size_t why_len);

/*
 * Each resource file fills its own entries of the backend's table
 * (postgres_store.c assembles it); an entry left NULL is an operation the
 * backend does not have yet, and the store then refuses to open.
 */
void pg_accounts_ops(struct tl_backend_ops *o);    /* accounts, API keys, sessions */
void pg_programs_ops(struct tl_backend_ops *o);    /* programs, landing pages */
void pg_members_ops(struct tl_backend_ops *o);     /* program and campaign partners */
void pg_campaigns_ops(struct tl_backend_ops *o);   /* campaigns */
void pg_tasks_ops(struct tl_backend_ops *o);       /* tasks and their assignments */
void pg_links_ops(struct tl_backend_ops *o);       /* tracking links */
void pg_track_ops(struct tl_backend_ops *o);       /* redirect targets, clicks */
void pg_rollup_ops(struct tl_backend_ops *o);      /* rollup_add */
void pg_reports_ops(struct tl_backend_ops *o);     /* report */
void pg_conversions_ops(struct tl_backend_ops *o); /* conversions, postbacks, outbox */
void pg_rejected_ops(struct tl_backend_ops *o);    /* refused conversion attempts */

/* postgres_rollup.c: adds r to both rollup tables inside a job (click
 * batches and conversions alike). */
enum tl_err pg_rollup_add(struct tl_pg_tx *tx, const struct tl_rollup *r);
/* postgres_rollup.c: what the writer defers to a batch's commit (the
 * rollup rows, each upserted once per commit); NULL for none. */
const struct tl_pg_hooks *pg_rollup_hooks(void);

/*
 * postgres_accounts.c: what reads, lists and jobs of every resource file
 * share. Tenancy parameters, as SQLite's: $1 the object id, $2 the
 * actor's kind (enum tl_account_kind: 1 admin, 2 brand, 4 partner), $3
 * the actor's account. List queries take $1 after, $2 limit + 1 and $3
 * (the actor's account or the parent), then their own.
 */
#define PG_VIS_PROGRAM                                                                             \
    "($2 = 1 OR ($2 = 2 AND p.brand_id = $3) OR ($2 = 4 AND EXISTS (SELECT 1 FROM "                \
    "program_partner pp WHERE pp.program_id = p.id AND pp.partner_id = $3)))"
#define PG_VIS_CAMPAIGN                                                                            \
    "($2 = 1 OR ($2 = 2 AND c.brand_id = $3) OR ($2 = 4 AND EXISTS (SELECT 1 FROM "                \
    "campaign_partner cp WHERE cp.campaign_id = c.id AND cp.partner_id = $3)))"
#define PG_VIS_TASK                                                                                \
    "($2 = 1 OR ($2 = 2 AND t.brand_id = $3) OR ($2 = 4 AND EXISTS (SELECT 1 FROM "                \
    "task_partner tp WHERE tp.task_id = t.id AND tp.partner_id = $3)))"
/* owner only (writes, membership lists) */
#define PG_OWN(alias) "($2 = 1 OR ($2 = 2 AND " alias ".brand_id = $3))"

/* The text parameters of the tenancy triple (id, kind, account); b holds
 * them (3 x 24 bytes). */
struct pg_who {
    char b[3][24];
    const char *p[3];
};
void pg_who_init(struct pg_who *w, int64_t id, const struct tl_actor *who);
/* The paging triple: after, limit + 1, and third. */
void pg_page_init(struct pg_who *w, int64_t after, int limit, int64_t third);

bool pg_actor_valid(const struct tl_actor *who);
bool pg_actor_writes(const struct tl_actor *who); /* brands and the admin */
/* page clamped: after >= 0, limit in 1..TL_LIST_MAX (TL_LIST_DEFAULT) */
void pg_page_norm(const struct tl_page *page, int64_t *after, int *limit);

/* A boolean column ('t'); ids "1,2,3" (string_agg of a child table) into
 * an arena array (NULL, 0 when the column is NULL or empty). */
bool pg_col_bool(const PGresult *r, int row, int col);
enum tl_err pg_col_ids(const PGresult *r, int row, int col, struct tl_arena *a, int64_t **out,
                       size_t *n);

/* Fills one item from row of r. */
typedef enum tl_err (*pg_fill_fn)(const PGresult *r, int row, const struct tl_actor *who,
                                  struct tl_arena *a, void *item);
/*
 * Runs the list read sql (n params, LIMIT limit + 1) and fills up to limit
 * items of size bytes into an arena array (*items), *more when a row was
 * left over.
 */
enum tl_err pg_list(struct tl_store *s, const char *sql, int n, const char *const *params,
                    int limit, const struct tl_actor *who, struct tl_arena *a, size_t size,
                    pg_fill_fn fill, void **items, size_t *n_out, bool *more);
/* The one row of sql (tenancy triple of id and who) filled by fill.
 * TL_ERR_NOTFOUND when who sees none. */
enum tl_err pg_get_one(struct tl_store *s, const char *sql, int64_t id, const struct tl_actor *who,
                       struct tl_arena *a, pg_fill_fn fill, void *out);
/* TL_OK when sql (tenancy triple) finds a row, else TL_ERR_NOTFOUND. */
enum tl_err pg_check_who(struct tl_store *s, const char *sql, int64_t id,
                         const struct tl_actor *who);
/* Inside a job: sql (tenancy triple) must find a row, else
 * TL_ERR_NOTFOUND; c0 and c1 (may be NULL) get its first two columns. */
enum tl_err pg_tx_who(struct tl_pg_tx *tx, const char *sql, int64_t id, const struct tl_actor *who,
                      int64_t *c0, int64_t *c1);
/* Inside a job: runs sql and answers how many rows it returned
 * (RETURNING): *rows, and *first the first row's column 0 (may be NULL). */
enum tl_err pg_tx_rows(struct tl_pg_tx *tx, const char *sql, int n, const char *const *params,
                       int *rows, int64_t *first);

/*
 * postgres_changes.c: hears the changes every node commits (the change
 * log and its notifications) and announces them to s's subscribers, from
 * a thread with its own connection to url. Starts with the log read once
 * (TL_ERR_UNAVAILABLE with a reason in why when it cannot be). The caller
 * stops it with pg_changes_stop (NULL is a no-op) before s closes.
 */
enum tl_err pg_changes_start(struct tl_store *s, const char *url, struct tl_pg_changes **out,
                             char *why, size_t why_len);
void pg_changes_stop(struct tl_pg_changes *ch);
enum tl_store_channel pg_changes_state(const struct tl_pg_changes *ch);

/* postgres_accounts.c: accounts (also reached by tests/store/pg_probe.c). */
enum tl_err pg_account_create(struct tl_store *s, const struct tl_account_new *in, int64_t *id_out);
enum tl_err pg_actor_by_key(struct tl_store *s, const unsigned char key_hash[32],
                            struct tl_actor *out, int64_t *key_id, int64_t *last_used_at);
enum tl_err pg_account_get(struct tl_store *s, int64_t id, struct tl_arena *a,
                           struct tl_account *out);

#endif
