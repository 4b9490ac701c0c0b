/*
 * fx.h: the fixture of the store's unit tests (test_store.c, the
 * conformance suite every backend passes, and test_sqlite.c, the SQLite
 * backend's own): a fresh store per test with four accounts, and helpers
 * that make programs, campaigns and the like through store.h. Static
 * functions: each test file includes it once.
 *
 * The store opened is TL_TEST_DB when it is set (a "%d" in it is replaced
 * by a number of its own per test, for backends that need a fresh database
 * each time), else an SQLite file in a fresh mkdtemp directory.
 */
#ifndef TL_TESTS_STORE_FX_H
#define TL_TESTS_STORE_FX_H

/* cmocka.h needs these first */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/arena.h"
#include "store/store.h"

#define ARENA_CAP (4u << 20)

struct fx {
    char dir[64];
    char url[512];
    struct tl_store *s;
    struct tl_arena *a;
    struct tl_actor admin;
    struct tl_actor brand, brand2;
    struct tl_actor partner, partner2;
};

static inline void key_of(unsigned char h[32], int seed)
{
    int i;

    for (i = 0; i < 32; i++)
        h[i] = (unsigned char)(seed * 31 + i);
}

static inline int64_t mk_account(struct tl_store *s, enum tl_account_kind kind, const char *name,
                                 const char *email, int seed, const char *user_email)
{
    struct tl_account_new in = {0};
    int64_t id = 0;

    in.kind = kind;
    in.name = name;
    in.email = email;
    key_of(in.key_hash, seed);
    in.key_prefix = "tlk_abcd";
    in.user_email = user_email;
    in.user_pw_hash = user_email != NULL ? "$argon2id$v=19$m=65536,t=2,p=1$x$y" : NULL;
    assert_int_equal(TL_STORE(s, account_create, &in, &id), TL_OK);
    assert_true(id > 0);
    return id;
}

static inline void rm_db_files(const char *dir)
{
    static const char *const names[] = {"t.db",         "t.db-wal",     "t.db-shm", "sub/t.db",
                                        "sub/t.db-wal", "sub/t.db-shm", "sub"};
    char p[256];
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
    rmdir(dir);
}

/*
 * Creates the database of a PostgreSQL URL, connecting to the cluster's
 * "postgres" database with the URL's other parameters (the fresh database
 * each test of a "%d" URL needs).
 */
static inline void fx_pg_createdb(const char *url)
{
    const char *kw[] = {"dbname", "dbname", NULL};
    const char *val[] = {url, "postgres", NULL};
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    const char *name = NULL;
    PGconn *c;
    PGresult *r;
    char sql[256];

    assert_non_null(opts);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "dbname") == 0)
            name = o->val;
    assert_non_null(name);
    c = PQconnectdbParams(kw, val, 1);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect for %s: %s", url, PQerrorMessage(c));
    snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    PQconninfoFree(opts);
}

/*
 * The URL of the store under test: TL_TEST_DB, or an SQLite file in dir.
 * A "%d" in TL_TEST_DB becomes a number of this test's own (the process id
 * and a sequence, so two suites may share one server); a postgres URL's
 * database is then created.
 */
static inline void fx_url(struct fx *f)
{
    static int seq;
    const char *env = getenv("TL_TEST_DB");
    const char *mark = env != NULL ? strstr(env, "%d") : NULL;

    f->dir[0] = '\0';
    if (env != NULL && env[0] != '\0') {
        if (mark != NULL) {
            snprintf(f->url, sizeof(f->url), "%.*s%d_%d%s", (int)(mark - env), env, (int)getpid(),
                     ++seq, mark + 2);
            if (strncmp(f->url, "postgres", 8) == 0)
                fx_pg_createdb(f->url);
        } else {
            snprintf(f->url, sizeof(f->url), "%s", env);
        }
        return;
    }
    snprintf(f->dir, sizeof(f->dir), "/tmp/tl-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->url, sizeof(f->url), "sqlite:%s/t.db", f->dir);
}

/* Whether the store under test is the SQLite file of f->dir. */
static inline bool fx_sqlite_file(const struct fx *f)
{
    return f->dir[0] != '\0';
}

static inline int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char why[256];

    assert_non_null(f);
    fx_url(f);
    if (tl_store_open(f->url, &f->s, why, sizeof(why)) != TL_OK)
        fail_msg("cannot open %s: %s", f->url, why);
    f->a = tl_arena_new(ARENA_CAP);
    assert_non_null(f->a);
    f->admin.kind = TL_ACCOUNT_ADMIN;
    f->brand.kind = f->brand2.kind = TL_ACCOUNT_BRAND;
    f->partner.kind = f->partner2.kind = TL_ACCOUNT_PARTNER;
    f->brand.account_id = mk_account(f->s, TL_ACCOUNT_BRAND, "Acme", NULL, 1, "owner@acme.test");
    f->brand2.account_id = mk_account(f->s, TL_ACCOUNT_BRAND, "Other", NULL, 2, NULL);
    f->partner.account_id = mk_account(f->s, TL_ACCOUNT_PARTNER, "Pat", "pat@p.test", 3, NULL);
    f->partner2.account_id = mk_account(f->s, TL_ACCOUNT_PARTNER, "Quinn", "q@p.test", 4, NULL);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fx *f = *state;

    tl_store_close(f->s);
    tl_arena_free(f->a);
    if (fx_sqlite_file(f))
        rm_db_files(f->dir);
    free(f);
    return 0;
}

static const char *domains[] = {"acme.test", "*.acme.test"};

static inline int64_t mk_program(struct fx *f, const struct tl_actor *who, const char *name,
                                 const char *pbkey)
{
    struct tl_program p = {0};
    int64_t id = 0;

    p.name = name;
    p.default_landing_page = "https://acme.test/";
    p.permitted_domains = domains;
    p.n_permitted_domains = 2;
    p.postback_key = pbkey;
    assert_int_equal(TL_STORE(f->s, program_create, who, &p, &id), TL_OK);
    assert_true(id > 0);
    return id;
}

static inline int64_t mk_lp(struct fx *f, int64_t program_id, const char *url)
{
    struct tl_landing_page l = {0};
    int64_t id = 0;

    l.program_id = program_id;
    l.name = "LP";
    l.url = url;
    assert_int_equal(TL_STORE(f->s, landing_page_create, &f->brand, &l, &id), TL_OK);
    return id;
}

static inline struct tl_campaign campaign_in(int64_t program_id, const char *name)
{
    struct tl_campaign c = {0};

    c.program_id = program_id;
    c.name = name;
    c.status = TL_CAMPAIGN_ACTIVE;
    c.tracking_enabled = true;
    c.lp_mode = TL_LP_PARTNER_CHOICE;
    c.payout_type = TL_PAYOUT_FIXED;
    c.payout_amount = 500;
    return c;
}

static inline int64_t mk_campaign(struct fx *f, int64_t program_id, const char *name)
{
    struct tl_campaign c = campaign_in(program_id, name);
    int64_t id = 0;

    assert_int_equal(TL_STORE(f->s, campaign_create, &f->brand, &c, &id), TL_OK);
    return id;
}

/* ------------------------------------------------------------------ */
/* The asynchronous writer jobs: a callback after the commit, no waiting. */
struct async_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    enum tl_err err;
    void *handle;
    const struct tl_click *clicks; /* what fill hands over */
    size_t n, fills;
};

static inline void async_init(struct async_wait *w)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
}

static inline void async_wait_done(struct async_wait *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->calls == 0)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static inline void *fill_probe(void *ctx, const struct tl_click **clicks, size_t *n)
{
    struct async_wait *w = ctx;

    w->fills++;
    *clicks = w->clicks;
    *n = w->n;
    return w; /* the handle done gets back */
}

static inline void batch_done_probe(void *ctx, void *handle, enum tl_err err)
{
    struct async_wait *w = ctx;

    pthread_mutex_lock(&w->mu);
    w->calls++;
    w->err = err;
    w->handle = handle;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static inline void record_done_probe(void *arg, enum tl_err err)
{
    batch_done_probe(arg, NULL, err);
}

#define THREADS 64
#define WRITES  20

struct worker {
    struct fx *f;
    int64_t program_id;
    int index;
    int failures;
};

static inline void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_campaign c, got, *items;
    struct tl_program p;
    char name[32];
    size_t n;
    bool more;
    int64_t id;
    int i;

    if (a == NULL) {
        w->failures++;
        return NULL;
    }
    for (i = 0; i < WRITES; i++) {
        snprintf(name, sizeof(name), "c-%d-%d", w->index, i);
        c = campaign_in(w->program_id, name);
        if (TL_STORE(w->f->s, campaign_create, &w->f->brand, &c, &id) != TL_OK) {
            w->failures++;
            continue;
        }
        if (TL_STORE(w->f->s, campaign_get, &w->f->brand, id, a, &got) != TL_OK ||
            strcmp(got.name, name) != 0)
            w->failures++;
        if (TL_STORE(w->f->s, campaign_list, &w->f->brand, NULL, NULL, a, &items, &n, &more) !=
                TL_OK ||
            n == 0)
            w->failures++;
        if (TL_STORE(w->f->s, program_get, &w->f->brand, w->program_id, a, &p) != TL_OK)
            w->failures++;
    }
    tl_arena_free(a);
    return NULL;
}

/* Runs THREADS workers, each making WRITES campaigns in program pid. */
static inline void run_workers(struct fx *f, int64_t pid)
{
    struct worker w[THREADS];
    pthread_t th[THREADS];
    int i;

    for (i = 0; i < THREADS; i++) {
        w[i].f = f;
        w[i].program_id = pid;
        w[i].index = i;
        w[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
}

#endif
