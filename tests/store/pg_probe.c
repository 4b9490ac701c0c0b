/*
 * pg_probe.c: drives the PostgreSQL engine (store/postgres.h) for
 * tests/store/test_pg_engine.py, which starts the database.
 *
 *   pg_probe url URL      prints "ok", or the reason and exits 1
 *   pg_probe migrate URL  opens a pool of one (which migrates) and prints
 *                         {"applied":N}; exits 1 with the reason on failure
 *   pg_probe serve URL    opens a pool of two, then answers each line of
 *                         stdin: "ping" -> ok|unavailable|..., "health" ->
 *                         up|down, "write" -> the error of one
 *                         tl_pg_write; closes at end of input
 *   pg_probe write URL N  N + 1 threads write through tl_pg_write: thread i
 *                         inserts row i into probe_w and thread N row 1
 *                         again (a conflict; odd rows are sent without
 *                         waiting, so it is found at the job's end), thread
 *                         N + 1 row 2 again (a conflict found at once), and
 *                         thread N + 2's job fails without a statement
 *                         (notfound). Thread 0's job holds the writer until
 *                         the others are queued, so they share the second
 *                         commit. Then one async write (row N). Prints
 *                         {"ok":..,"conflict":..,"notfound":..,"jobs":..,
 *                         "commits":..}
 *   pg_probe accounts URL the account operations of postgres_accounts.c
 *                         (create, by key, get; conflicts, absences):
 *                         prints "ok", or the first check that failed
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "store/postgres.h"
#include "store/postgres_internal.h"

static atomic_bool g_gate_open; /* row 0's job is running */

struct row {
    struct tl_pg *pg;
    int id;
    int gate; /* row 0: how many jobs to wait for */
    enum tl_err err;
};

/* Even rows are inserted waiting for the answer, odd ones without
 * (their failure is found at the job's end). */
static enum tl_err insert_row(struct tl_pg_tx *tx, void *ctx)
{
    static const char SQL[] = "INSERT INTO probe_w (id) VALUES ($1)";
    struct row *r = ctx;
    char id[16];
    const char *params[1] = {id};

    if (r->id == 0 && r->gate > 0) { /* the gate: wait for the others to queue */
        atomic_store(&g_gate_open, true);
        while (tl_pg_queued(r->pg) < (size_t)r->gate)
            sched_yield();
    }
    if (r->id < 0)
        return TL_ERR_NOTFOUND; /* fails without a statement */
    snprintf(id, sizeof(id), "%d", r->id);
    if (r->id % 2 == 0)
        return tl_pg_tx_query(tx, SQL, 1, params, NULL);
    return tl_pg_tx_send(tx, SQL, 1, params);
}

static void *writer_thread(void *arg)
{
    struct row *r = arg;

    r->err = tl_pg_write(r->pg, insert_row, r);
    return NULL;
}

static sem_t g_async_done;
static enum tl_err g_async_err;

static void async_done(void *arg, enum tl_err err)
{
    (void)arg;
    g_async_err = err;
    sem_post(&g_async_done);
}

static int cmd_write(const char *url, int n)
{
    struct tl_pg_options opt = {.pool_size = 2};
    struct tl_pg *pg = NULL;
    struct row *rows = calloc((size_t)n + 4, sizeof(*rows));
    pthread_t *th = calloc((size_t)n + 3, sizeof(*th));
    char why[512];
    uint64_t jobs, commits;
    int ok = 0, conflict = 0, notfound = 0, i;
    PGconn *c;

    if (rows == NULL || th == NULL || tl_pg_open(url, &opt, &pg, why, sizeof(why)) != TL_OK) {
        fprintf(stderr, "pg_probe: %s\n", rows == NULL || th == NULL ? "out of memory" : why);
        return 1;
    }
    if (tl_pg_acquire(pg, &c) != TL_OK ||
        tl_pg_exec(c, "CREATE TABLE IF NOT EXISTS probe_w (id INTEGER PRIMARY KEY)") != TL_OK) {
        fprintf(stderr, "pg_probe: cannot create probe_w\n");
        return 1;
    }
    tl_pg_release(pg, c);
    for (i = 0; i < n + 3; i++) {
        rows[i].pg = pg;
        /* then row 1 again, row 2 again, and a job that fails by itself */
        rows[i].id = i < n ? i : i == n ? 1 : i == n + 1 ? 2 : -1;
        rows[i].gate = n + 2;
        pthread_create(&th[i], NULL, writer_thread, &rows[i]);
        while (i == 0 && !atomic_load(&g_gate_open))
            sched_yield();
    }
    for (i = 0; i < n + 3; i++) {
        pthread_join(th[i], NULL);
        if (rows[i].err == TL_OK)
            ok++;
        else if (rows[i].err == TL_ERR_CONFLICT)
            conflict++;
        else if (rows[i].err == TL_ERR_NOTFOUND)
            notfound++;
        else
            fprintf(stderr, "pg_probe: write %d: %s\n", i, tl_err_str(rows[i].err));
    }
    sem_init(&g_async_done, 0, 0);
    rows[n + 3].pg = pg;
    rows[n + 3].id = n;
    if (tl_pg_write_async(pg, insert_row, &rows[n + 3], async_done, NULL) == TL_OK) {
        sem_wait(&g_async_done);
        if (g_async_err == TL_OK)
            ok++;
    }
    tl_pg_stats(pg, &jobs, &commits);
    printf("{\"ok\":%d,\"conflict\":%d,\"notfound\":%d,\"jobs\":%llu,\"commits\":%llu}\n", ok,
           conflict, notfound, (unsigned long long)jobs, (unsigned long long)commits);
    tl_pg_close(pg);
    free(rows);
    free(th);
    return 0;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("failed: %s (line %d)\n", #cond, __LINE__);                                     \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static int cmd_accounts(const char *url)
{
    struct pg_store st;
    struct tl_store *s = &st.base;
    struct tl_account_new in = {0};
    struct tl_account acc;
    struct tl_actor who;
    struct tl_arena *a = tl_arena_new(1 << 16);
    int64_t id = 0, id2 = 0, key_id = -1, used = -1;
    unsigned char unknown[32] = {0};
    char why[512];

    memset(&st, 0, sizeof(st));
    if (a == NULL || tl_pg_open(url, NULL, &st.pg, why, sizeof(why)) != TL_OK) {
        fprintf(stderr, "pg_probe: %s\n", a == NULL ? "out of memory" : why);
        return 1;
    }
    in.kind = TL_ACCOUNT_BRAND;
    in.name = "Acme";
    memset(in.key_hash, 7, sizeof(in.key_hash));
    in.key_prefix = "tlk_abc";
    CHECK(pg_account_create(s, &in, &id) == TL_OK && id > 0);
    CHECK(pg_actor_by_key(s, in.key_hash, &who, &key_id, &used) == TL_OK);
    CHECK(who.account_id == id && who.kind == TL_ACCOUNT_BRAND && key_id > 0 && used == 0);
    CHECK(pg_account_get(s, id, a, &acc) == TL_OK);
    CHECK(acc.id == id && acc.kind == TL_ACCOUNT_BRAND && strcmp(acc.name, "Acme") == 0);
    CHECK(acc.email == NULL && acc.created_at > 0);
    /* the same key hash again: nothing of the second account is kept */
    in.name = "Twin";
    CHECK(pg_account_create(s, &in, &id2) == TL_ERR_CONFLICT);
    /* a partner with a login; the same e-mail in capitals is taken */
    in.kind = TL_ACCOUNT_PARTNER;
    in.name = "Pat";
    in.email = "pat@example.test";
    in.user_email = "pat@example.test";
    in.user_pw_hash = "$argon2id$x";
    memset(in.key_hash, 8, sizeof(in.key_hash));
    CHECK(pg_account_create(s, &in, &id2) == TL_OK && id2 > id);
    CHECK(pg_account_get(s, id2, a, &acc) == TL_OK && acc.kind == TL_ACCOUNT_PARTNER);
    CHECK(strcmp(acc.email, "pat@example.test") == 0);
    memset(in.key_hash, 9, sizeof(in.key_hash));
    in.user_email = "PAT@example.test";
    CHECK(pg_account_create(s, &in, NULL) == TL_ERR_CONFLICT);
    CHECK(pg_actor_by_key(s, in.key_hash, &who, NULL, NULL) == TL_ERR_NOTFOUND);
    CHECK(pg_actor_by_key(s, unknown, &who, NULL, NULL) == TL_ERR_NOTFOUND);
    CHECK(pg_account_get(s, id2 + 100, a, &acc) == TL_ERR_NOTFOUND);
    in.name = NULL;
    CHECK(pg_account_create(s, &in, NULL) == TL_ERR_INVALID);
    tl_pg_close(st.pg);
    tl_arena_free(a);
    printf("ok\n");
    return 0;
}

static enum tl_err noop_job(struct tl_pg_tx *tx, void *ctx)
{
    (void)ctx;
    return tl_pg_tx_query(tx, "SELECT 1", 0, NULL, NULL);
}

static int cmd_serve(const char *url)
{
    struct tl_pg_options opt = {.pool_size = 2};
    struct tl_pg *pg = NULL;
    char why[512], line[64];
    enum tl_err err = tl_pg_open(url, &opt, &pg, why, sizeof(why));

    if (err != TL_OK) {
        fprintf(stderr, "pg_probe: %s\n", why);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        if (strncmp(line, "ping", 4) == 0) {
            err = tl_pg_ping(pg);
            printf("%s\n", err == TL_OK ? "ok" : tl_err_str(err));
        } else if (strncmp(line, "write", 5) == 0) {
            err = tl_pg_write(pg, noop_job, NULL);
            printf("%s\n", err == TL_OK ? "ok" : tl_err_str(err));
        } else if (strncmp(line, "health", 6) == 0) {
            printf("%s\n", tl_pg_health(pg) == TL_PG_UP ? "up" : "down");
        } else {
            printf("?\n");
        }
        fflush(stdout);
    }
    tl_pg_close(pg);
    return 0;
}

int main(int argc, char **argv)
{
    struct tl_pg_options opt = {.pool_size = 1};
    struct tl_pg *pg = NULL;
    char why[512];
    enum tl_err err;

    if (argc == 4 && strcmp(argv[1], "write") == 0)
        return cmd_write(argv[2], atoi(argv[3]));
    if (argc != 3) {
        fprintf(stderr, "usage: pg_probe url|migrate|serve|accounts URL, pg_probe write URL N\n");
        return 2;
    }
    if (strcmp(argv[1], "url") == 0) {
        err = tl_pg_url_check(argv[2], why, sizeof(why));
        if (err != TL_OK) {
            printf("%s\n", why);
            return 1;
        }
        printf("ok\n");
        return 0;
    }
    if (strcmp(argv[1], "migrate") == 0) {
        err = tl_pg_open(argv[2], &opt, &pg, why, sizeof(why));
        if (err != TL_OK) {
            fprintf(stderr, "pg_probe: %s (%s)\n", why, tl_err_str(err));
            return 1;
        }
        printf("{\"applied\":%d}\n", tl_pg_migrations_applied(pg));
        tl_pg_close(pg);
        return 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argv[2]);
    if (strcmp(argv[1], "accounts") == 0)
        return cmd_accounts(argv[2]);
    fprintf(stderr, "pg_probe: unknown command %s\n", argv[1]);
    return 2;
}
