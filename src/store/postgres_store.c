/*
 * postgres_store.c: the PostgreSQL backend as a store (backend.h): opens
 * the engine (postgres.h), runs the store's write transactions as jobs of
 * its group-commit writer, and assembles the backend's table from the
 * resource files (postgres_<resource>.c, each filling its own entries).
 *
 * A table with a required entry missing is refused at open, so a backend
 * that lacks an operation never starts serving. The changes other nodes
 * commit reach the subscribers through postgres_changes.c, started here.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres_internal.h"

/* A store write as a job of the engine's writer. */
struct write_job {
    tl_tx_fn fn;
    void *ctx;
    void (*done)(void *arg, enum tl_err err);
    void *arg;
};

static enum tl_err run_job(struct tl_pg_tx *tx, void *arg)
{
    struct write_job *j = arg;

    return j->fn((struct tl_tx *)tx, j->ctx);
}

static enum tl_err pgs_write(struct tl_store *s, tl_tx_fn fn, void *ctx)
{
    struct write_job j = {fn, ctx, NULL, NULL};

    return tl_pg_write(pg_of(s), run_job, &j);
}

static void async_done(void *arg, enum tl_err err)
{
    struct write_job *j = arg;

    j->done(j->arg, err);
    free(j);
}

static enum tl_err pgs_write_async(struct tl_store *s, tl_tx_fn fn, void *ctx,
                                   void (*done)(void *arg, enum tl_err err), void *arg)
{
    struct write_job *j = malloc(sizeof(*j));
    enum tl_err err;

    if (j == NULL)
        return TL_ERR_NOMEM;
    *j = (struct write_job){fn, ctx, done, arg};
    err = tl_pg_write_async(pg_of(s), run_job, j, async_done, j);
    if (err != TL_OK)
        free(j);
    return err;
}

static enum tl_err pgs_ping(struct tl_store *s)
{
    return tl_pg_ping(pg_of(s));
}

static enum tl_store_channel pgs_channel(struct tl_store *s)
{
    return pg_changes_state(((struct pg_store *)s)->changes);
}

static int pgs_migrations_applied(struct tl_store *s)
{
    return tl_pg_migrations_applied(pg_of(s));
}

static void pgs_close(struct tl_store *s)
{
    struct pg_store *st = (struct pg_store *)s;

    if (st == NULL)
        return;
    pg_changes_stop(st->changes);
    tl_pg_close(st->pg);
    free(st);
}

/*
 * How many required entries of o are NULL. Every entry after `abilities`
 * is a function pointer (backend.h); the optional abilities are skipped.
 */
static int missing_ops(const struct tl_backend_ops *o)
{
    typedef void (*fnptr)(void);
    size_t first = offsetof(struct tl_backend_ops, close);
    size_t opt1 = offsetof(struct tl_backend_ops, write_async);
    size_t opt2 = offsetof(struct tl_backend_ops, click_batch_async);
    size_t opt3 = offsetof(struct tl_backend_ops, channel);
    int missing = 0;

    for (size_t off = first; off + sizeof(fnptr) <= sizeof(*o); off += sizeof(fnptr)) {
        fnptr f;

        if (off == opt1 || off == opt2 || off == opt3)
            continue;
        memcpy(&f, (const char *)o + off, sizeof(f));
        if (f == NULL)
            missing++;
    }
    return missing;
}

enum tl_err tl_postgres_open(const char *url, struct tl_store **out, char *why, size_t why_len)
{
    struct tl_backend_ops ops = {
        .name = "postgres",
        .abilities = TL_STORE_QUEUED_WRITES,
        .close = pgs_close,
        .write = pgs_write,
        .write_async = pgs_write_async,
        .ping = pgs_ping,
        .channel = pgs_channel,
        .migrations_applied = pgs_migrations_applied,
    };
    struct tl_pg_options opt = {.hooks = pg_rollup_hooks()};
    struct pg_store *st;
    enum tl_err err;
    int missing;

    *out = NULL;
    pg_accounts_ops(&ops);
    pg_programs_ops(&ops);
    pg_members_ops(&ops);
    pg_campaigns_ops(&ops);
    pg_tasks_ops(&ops);
    pg_links_ops(&ops);
    pg_track_ops(&ops);
    pg_rollup_ops(&ops);
    pg_reports_ops(&ops);
    pg_conversions_ops(&ops);
    pg_rejected_ops(&ops);
    missing = missing_ops(&ops);
    if (missing > 0 && getenv("TL_PG_PARTIAL") == NULL) {
        if (why != NULL && why_len > 0)
            snprintf(why, why_len, "PostgreSQL backend incomplete (%d operations missing)",
                     missing);
        return TL_ERR_INVALID;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return TL_ERR_NOMEM;
    err = tl_pg_open(url, &opt, &st->pg, why, why_len);
    if (err != TL_OK) {
        free(st);
        return err;
    }
    tl_store_init(&st->base, &ops);
    err = pg_changes_start(&st->base, url, &st->changes, why, why_len);
    if (err != TL_OK) {
        pgs_close(&st->base);
        return err;
    }
    *out = &st->base;
    return TL_OK;
}
