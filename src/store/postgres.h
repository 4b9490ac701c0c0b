/*
 * postgres.h: the engine of the PostgreSQL backend of the store, on libpq:
 * URLs, connections (a small pool, with reconnection and a health state),
 * transactions, and the schema migrations of migrations/postgres/.
 *
 * The resources (accounts, links, clicks, conversions ...) are written on
 * top of this in postgres_<resource>.c, mirroring sqlite_<resource>.c.
 * postgres_store.c makes the whole a store (backend.h).
 *
 * Threads: every function may be called from any thread. A connection
 * taken with tl_pg_acquire belongs to the caller until tl_pg_release.
 *
 * Outages: when a connection turns out broken (the server went away), the
 * pool's state becomes TL_PG_DOWN and one line is logged; from then on
 * tl_pg_acquire answers TL_ERR_UNAVAILABLE at once (the API's 503
 * store_unavailable) while a background thread reconnects with backoff
 * (100 ms doubling to 5 s). Once it reconnects the state is TL_PG_UP again
 * and one line says so. A job that loses its connection mid-way answers
 * TL_ERR_UNAVAILABLE; when that was during COMMIT its outcome is unknown,
 * so writes that may be retried must be idempotent (unique keys and
 * INSERT ... ON CONFLICT).
 */
#ifndef TL_STORE_POSTGRES_H
#define TL_STORE_POSTGRES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct tl_pg;

/* How many connections the pool holds unless told otherwise. */
#define TL_PG_POOL_DEFAULT 8

enum tl_pg_health {
    TL_PG_UP = 0,   /* connected */
    TL_PG_DOWN = 1, /* unreachable; reconnecting */
};

/* One write job's transaction, as the group-commit writer runs it. */
struct tl_pg_tx;

/*
 * What a backend defers to the end of a batch (the rollups: jobs of one
 * commit mostly add to the same rows, so each row is upserted once):
 * begin when a batch's transaction starts, job_end after each job (keep:
 * it succeeded, so what it deferred joins the batch's; else it goes),
 * flush just before COMMIT (an error fails the whole batch), abort when
 * the batch is rolled back. Called on the writer's thread; ctx is the
 * writer's own (hooks_ctx_new once per writer, freed by hooks_ctx_free).
 */
struct tl_pg_hooks {
    void *(*ctx_new)(void);
    void (*ctx_free)(void *ctx);
    void (*begin)(void *ctx);
    void (*job_end)(void *ctx, bool keep);
    enum tl_err (*flush)(void *ctx, struct tl_pg_tx *tx);
    void (*abort)(void *ctx);
};

struct tl_pg_options {
    int pool_size;                   /* connections; 0: TL_PG_POOL_DEFAULT */
    int writers;                     /* group-commit writer threads; 0: TL_PG_WRITERS_DEFAULT */
    bool no_migrate;                 /* skip the migrations (tests of the migrator) */
    const struct tl_pg_hooks *hooks; /* may be NULL */
};

/* Writers unless told otherwise (docs/architecture.md, "PostgreSQL"). */
#define TL_PG_WRITERS_DEFAULT 1

/*
 * Checks that url is a PostgreSQL URL libpq accepts
 * ("postgres://user@host:port/db?..." or "postgresql://..."). TL_OK, or
 * TL_ERR_INVALID with a human reason in why (cap why_len).
 */
enum tl_err tl_pg_url_check(const char *url, char *why, size_t why_len);

/*
 * Connects the pool to url (every connection at once, so a bad URL or an
 * unreachable server fails here, not later), applies the pending
 * migrations under an advisory lock, and starts the reconnecting thread.
 * opt may be NULL. On failure returns TL_ERR_INVALID (bad URL),
 * TL_ERR_UNAVAILABLE (cannot connect) or TL_ERR_IO (a migration failed),
 * with a human reason in why.
 */
enum tl_err tl_pg_open(const char *url, const struct tl_pg_options *opt, struct tl_pg **out,
                       char *why, size_t why_len);

/* Closes every connection and stops the reconnecting thread. The caller
 * must hold no connection. NULL is a no-op. */
void tl_pg_close(struct tl_pg *pg);

/*
 * Applies every embedded migration of migrations/postgres/ not applied
 * yet, each in one transaction with its schema_migrations row, holding
 * the session advisory lock TL_PG_MIGRATION_LOCK for the whole run: a
 * second node starting at the same time waits, then finds them applied.
 * *applied (may be NULL) gets how many this call applied.
 */
#define TL_PG_MIGRATION_LOCK 7310451 /* an arbitrary key of tracklink's own */
enum tl_err tl_pg_migrate(PGconn *c, int *applied, char *why, size_t why_len);

/* How many migrations tl_pg_open applied (0 when none was due). */
int tl_pg_migrations_applied(const struct tl_pg *pg);

enum tl_pg_health tl_pg_health(const struct tl_pg *pg);

/* SELECT 1 on a pooled connection: TL_OK, or TL_ERR_UNAVAILABLE. */
enum tl_err tl_pg_ping(struct tl_pg *pg);

/*
 * Takes a connection of the pool, waiting while all are in use.
 * TL_ERR_UNAVAILABLE at once while the pool is TL_PG_DOWN; TL_ERR_BUSY when
 * the pool is closing.
 */
enum tl_err tl_pg_acquire(struct tl_pg *pg, PGconn **out);

/* Gives c back. A connection whose status is bad is replaced in the
 * background, and the pool goes TL_PG_DOWN until a new one connects. */
void tl_pg_release(struct tl_pg *pg, PGconn *c);

/*
 * Runs fn(c, ctx) inside BEGIN ... COMMIT on a pooled connection (READ
 * COMMITTED): committed when it returns TL_OK, rolled back when fn fails
 * (fn's error is returned). TL_ERR_UNAVAILABLE when the connection was lost,
 * the outcome of the commit then being unknown.
 */
typedef enum tl_err (*tl_pg_tx_fn)(PGconn *c, void *ctx);
enum tl_err tl_pg_tx(struct tl_pg *pg, tl_pg_tx_fn fn, void *ctx);

/*
 * Group commit. tl_pg_write queues fn and waits until it has committed:
 * a writer thread takes every queued job (up to TL_PG_BATCH_MAX) into one
 * transaction on a pooled connection in pipeline mode (statements are
 * sent without waiting where no answer is needed: bench/pg_commit.c), runs
 * each in its own SAVEPOINT (a failing job is rolled back alone and
 * returns its own error), commits once, then answers every waiter: many
 * writes share one commit flush.
 * With one writer (the default) writes are serialised: a job sees every
 * write committed before it started. fn must not call tl_pg_write. Returns
 * fn's error, TL_ERR_UNAVAILABLE when the database could not be reached
 * or the connection was lost (the outcome unknown if during COMMIT),
 * TL_ERR_IO when the commit failed, TL_ERR_BUSY when the pool closes.
 */
#define TL_PG_BATCH_MAX 512
typedef enum tl_err (*tl_pg_job_fn)(struct tl_pg_tx *tx, void *ctx);
enum tl_err tl_pg_write(struct tl_pg *pg, tl_pg_job_fn fn, void *ctx);
/* tl_pg_write without waiting: on TL_OK, done(arg, err) is called once,
 * on a writer thread, after the commit (ctx and arg live until then); on
 * an error nothing was queued and done is never called. */
enum tl_err tl_pg_write_async(struct tl_pg *pg, tl_pg_job_fn fn, void *ctx,
                              void (*done)(void *arg, enum tl_err err), void *arg);
/*
 * Inside a job (and the flush hook). The writer's connection is in
 * pipeline mode, so PQexec and friends do not work on it: a job runs its
 * statements with these two, parameters as text (NULL for SQL NULL).
 * tl_pg_tx_query sends sql and waits for its answer: TL_OK with the result
 * in *out (the caller PQclears it; out may be NULL), or the mapped error
 * (tl_pg_result_err) of the job's first failed statement. tl_pg_tx_send
 * sends sql without waiting: its answer is read with the job's next query
 * or at its end, and a failure fails the job then (its error replaces an
 * TL_OK the job returned). Either way a failed statement fails the job:
 * it is rolled back alone.
 */
enum tl_err tl_pg_tx_query(struct tl_pg_tx *tx, const char *sql, int n, const char *const *params,
                           PGresult **out);
enum tl_err tl_pg_tx_send(struct tl_pg_tx *tx, const char *sql, int n, const char *const *params);
/* The writer's hooks ctx (NULL without hooks). */
void *tl_pg_tx_hooks_ctx(struct tl_pg_tx *tx);
/* Jobs run and transactions committed since open: jobs / commits is the
 * group-commit factor. Either pointer may be NULL. */
void tl_pg_stats(struct tl_pg *pg, uint64_t *jobs, uint64_t *commits);
/* Jobs queued and not yet taken by a writer (a test hook). */
size_t tl_pg_queued(struct tl_pg *pg);

/*
 * Maps a failed result (or NULL) on c to our error enum: unique violations
 * are TL_ERR_CONFLICT, other integrity violations TL_ERR_INVALID, a lost
 * connection TL_ERR_UNAVAILABLE, the rest TL_ERR_IO (logged once while it
 * repeats). Frees nothing.
 */
enum tl_err tl_pg_result_err(PGconn *c, const PGresult *r);

/* Runs sql (no parameters, no rows wanted) on c: TL_OK or the mapped error. */
enum tl_err tl_pg_exec(PGconn *c, const char *sql);

#endif
