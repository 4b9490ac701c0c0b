/*
 * test_sqlite.c: the SQLite backend's own tests, beside the conformance
 * suite (test_store.c): opening files and URLs, migrations on reopen, the
 * conversion indexes, deferred rollups in one commit, and group commit
 * (jobs per commit) under 64 concurrent writers. Each test gets a fresh
 * database file in a mkdtemp directory under /tmp; TL_TEST_DB is ignored.
 */
/* cmocka.h needs these first */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <sqlite3.h>

#include "fx.h"
#include "store/sqlite.h"

/* Generated with the migrations (scripts/embed.py): how many there are. */
extern const size_t tl_migrations_sqlite_n;

/* The fixture on an SQLite file whatever TL_TEST_DB says. */
static int setup_sqlite(void **state)
{
    unsetenv("TL_TEST_DB");
    return setup(state);
}

static void test_open_urls(void **state)
{
    char dir[] = "/tmp/tl-store-XXXXXX";
    char url[128], why[256];
    struct tl_store *s = NULL;

    (void)state;
    assert_int_equal(tl_store_open("postgres://db/x", &s, why, sizeof(why)), TL_ERR_INVALID);
    assert_null(s);
    assert_non_null(strstr(why, "PostgreSQL backend incomplete"));
    assert_int_equal(tl_store_open("postgresql://db/x", &s, why, sizeof(why)), TL_ERR_INVALID);
    assert_int_equal(tl_store_open("mysql://db/x", &s, why, sizeof(why)), TL_ERR_INVALID);
    assert_non_null(strstr(why, "mysql://db/x"));
    assert_int_equal(tl_store_open("sqlite:", &s, why, sizeof(why)), TL_ERR_INVALID);
    assert_int_equal(tl_store_open("", &s, why, sizeof(why)), TL_ERR_INVALID);
    tl_store_close(NULL);

    /* sqlite:// form, with a parent directory that does not exist yet */
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof(url), "sqlite://%s/sub/t.db", dir);
    assert_int_equal(tl_store_open(url, &s, why, sizeof(why)), TL_OK);
    assert_string_equal(tl_store_name(s), "sqlite");
    assert_int_equal(tl_store_migrations_applied(s), (int)tl_migrations_sqlite_n); /* all */
    assert_int_equal(tl_store_ping(s), TL_OK);
    tl_store_close(s);
    assert_int_equal(tl_store_open(url, &s, why, sizeof(why)), TL_OK);
    assert_int_equal(tl_store_migrations_applied(s), 0);
    tl_store_close(s);
    rm_db_files(dir);

    /* in memory: readers and the writer share one database */
    assert_int_equal(tl_store_open("sqlite::memory:", &s, why, sizeof(why)), TL_OK);
    assert_int_equal(tl_store_migrations_applied(s), (int)tl_migrations_sqlite_n);
    {
        struct tl_actor who;
        unsigned char h[32];
        int64_t id = mk_account(s, TL_ACCOUNT_BRAND, "Mem", NULL, 9, NULL);

        key_of(h, 9);
        assert_int_equal(TL_STORE(s, actor_by_key, h, &who, NULL, NULL), TL_OK);
        assert_int_equal(who.account_id, id);
    }
    tl_store_close(s);
}

static void test_reopen(void **state)
{
    struct fx *f = *state;
    char why[256];

    assert_int_equal(tl_store_migrations_applied(f->s), (int)tl_migrations_sqlite_n);
    tl_store_close(f->s);
    assert_int_equal(tl_store_open(f->url, &f->s, why, sizeof(why)), TL_OK);
    assert_int_equal(tl_store_migrations_applied(f->s), 0);
    /* the data survived */
    {
        struct tl_account acc;

        assert_int_equal(TL_STORE(f->s, account_get, f->brand.account_id, f->a, &acc), TL_OK);
        assert_string_equal(acc.name, "Acme");
    }
}

/* Every insert pays for each index of conversion: only the unique key's
 * is used by a query (003_conversion_indexes.sql). */
static void test_conversion_indexes(void **state)
{
    struct fx *f = *state;
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char path[128];
    int n = 0;

    snprintf(path, sizeof(path), "%s/t.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                        "tbl_name = 'conversion' ORDER BY name",
                                        -1, &q, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        assert_string_equal((const char *)sqlite3_column_text(q, 0),
                            "sqlite_autoindex_conversion_1");
        n++;
    }
    assert_int_equal(n, 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* conversion_record: what decide sees, and that a refusal stores nothing. */
/* Deferred rollups: conversions that commit together add to the rollups
 * once per key, and a job that fails takes its additions with it. */
struct conv_plan {
    const char *click_id, *order_id;
    int64_t amount, occurred_at;
    enum tl_err answer;
    struct async_wait w;
    struct tl_conversion out;
    bool created;
};

static enum tl_err decide_plan(void *ctx, const struct tl_click_info *click,
                               const struct tl_program *program, const struct tl_campaign *campaign,
                               struct tl_conversion *out)
{
    struct conv_plan *pl = ctx;

    if (pl->answer != TL_OK)
        return pl->answer;
    memset(out, 0, sizeof(*out));
    out->click_id = click->click_id;
    out->order_id = pl->order_id;
    out->event_type = "sale";
    out->amount = pl->amount;
    out->currency = program->currency;
    out->payout = pl->amount / 10;
    out->partner_id = click->partner_id;
    out->campaign_id = click->campaign_id;
    out->task_id = click->task_id;
    out->program_id = click->program_id;
    out->occurred_at = pl->occurred_at;
    (void)campaign;
    return TL_OK;
}

struct gate {
    sem_t entered, open;
};

/* A click batch whose fill holds the writer until the test opens the gate. */
static void *fill_gate(void *ctx, const struct tl_click **clicks, size_t *n)
{
    struct gate *g = ctx;

    sem_post(&g->entered);
    while (sem_wait(&g->open) != 0)
        ;
    *clicks = NULL;
    *n = 0;
    return g;
}

static void gate_done(void *ctx, void *handle, enum tl_err err)
{
    (void)ctx;
    (void)handle;
    (void)err;
}

/* conversions, revenue, payout of a campaign's hour in stats_hourly (one
 * task's) or, task 0, in stats_campaign_hourly; -1 when no row */
static void rollup_sums(struct fx *f, int64_t campaign, int64_t hour, int64_t task, int64_t out[3])
{
    static const char fine[] =
        "SELECT conversions, revenue, payout FROM stats_hourly WHERE campaign_id = ?1 AND "
        "hour_ms = ?2 AND task_id = ?3";
    static const char coarse[] =
        "SELECT conversions, revenue, payout FROM stats_campaign_hourly WHERE campaign_id = ?1 "
        "AND hour_ms = ?2";
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *q;

    snprintf(path, sizeof(path), "%s/t.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, task != 0 ? fine : coarse, -1, &q, NULL), SQLITE_OK);
    sqlite3_bind_int64(q, 1, campaign);
    sqlite3_bind_int64(q, 2, hour);
    if (task != 0)
        sqlite3_bind_int64(q, 3, task);
    out[0] = out[1] = out[2] = -1;
    if (sqlite3_step(q) == SQLITE_ROW) {
        out[0] = sqlite3_column_int64(q, 0);
        out[1] = sqlite3_column_int64(q, 1);
        out[2] = sqlite3_column_int64(q, 2);
        assert_int_equal(sqlite3_step(q), SQLITE_DONE); /* one row per key */
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void expect_sums(struct fx *f, int64_t campaign, int64_t hour, int64_t task,
                        int64_t conversions, int64_t revenue)
{
    int64_t got[3];

    rollup_sums(f, campaign, hour, task, got);
    assert_int_equal(got[0], conversions);
    assert_int_equal(got[1], revenue);
    assert_int_equal(got[2], revenue / 10);
}

static void test_rollup_batches(void **state)
{
    struct fx *f = *state;
    const int64_t hour = 1700002800000, next = hour + 3600000; /* whole hours */
    struct conv_plan plan[] = {
        {.click_id = "rb-a",
         .order_id = "o1",
         .amount = 1000,
         .occurred_at = hour + 10,
         .answer = TL_OK},
        {.click_id = "rb-b",
         .order_id = "o2",
         .amount = 2000,
         .occurred_at = hour + 20,
         .answer = TL_OK}, /* same hour, other task */
        {.click_id = "rb-c",
         .order_id = "o3",
         .amount = 500,
         .occurred_at = hour + 30,
         .answer = TL_OK}, /* other campaign */
        {.click_id = "rb-a",
         .order_id = "o4",
         .amount = 700,
         .occurred_at = next + 5,
         .answer = TL_OK}, /* the next hour */
        {.click_id = "rb-b",
         .order_id = "o5",
         .amount = 9999,
         .occurred_at = hour,
         .answer = TL_ERR_INVALID}, /* refused */
        {.click_id = "rb-a",
         .order_id = "o1",
         .amount = 1000,
         .occurred_at = hour + 10,
         .answer = TL_OK}, /* a replay */
    };
    const size_t n = sizeof(plan) / sizeof(plan[0]);
    struct tl_click k[3];
    struct gate g;
    uint64_t jobs0, commits0, jobs, commits;
    int64_t pid, c1, c2;
    size_t i;

    pid = mk_program(f, &f->brand, "Main", "k1");
    c1 = mk_campaign(f, pid, "C1");
    c2 = mk_campaign(f, pid, "C2");
    memset(k, 0, sizeof(k));
    for (i = 0; i < 3; i++) {
        snprintf(k[i].click_id, sizeof(k[i].click_id), "rb-%c", (int)('a' + i));
        k[i].ts_ms = hour;
        k[i].partner_id = f->partner.account_id;
        k[i].task_id = 7 + (int64_t)i;
        k[i].campaign_id = i == 2 ? c2 : c1;
        k[i].program_id = pid;
        snprintf(k[i].currency, sizeof(k[i].currency), "USD");
    }
    assert_int_equal(TL_STORE(f->s, click_batch, k, 3), TL_OK);

    /* Hold the writer, queue every conversion, let go: one transaction. */
    sem_init(&g.entered, 0, 0);
    sem_init(&g.open, 0, 0);
    assert_int_equal(TL_STORE(f->s, click_batch_async, fill_gate, gate_done, &g), TL_OK);
    while (sem_wait(&g.entered) != 0)
        ;
    tl_sqlite_stats(f->s, &jobs0, &commits0);
    for (i = 0; i < n; i++) {
        async_init(&plan[i].w);
        assert_int_equal(TL_STORE(f->s, conversion_record_async, &f->brand, plan[i].click_id,
                                  decide_plan, &plan[i], f->a, &plan[i].out, &plan[i].created,
                                  record_done_probe, &plan[i].w),
                         TL_OK);
    }
    sem_post(&g.open);
    for (i = 0; i < n; i++) {
        async_wait_done(&plan[i].w);
        assert_int_equal(plan[i].w.err, plan[i].answer);
        assert_int_equal(plan[i].created, plan[i].answer == TL_OK && i != 5);
    }
    tl_sqlite_stats(f->s, &jobs, &commits);
    assert_int_equal(jobs - jobs0, 1 + n);
    assert_int_equal(commits - commits0, 2); /* the gate's, then all of them */
    sem_destroy(&g.entered);
    sem_destroy(&g.open);

    /* tasks 7 and 8 of C1, task 9 of C2 (clicks rb-a, rb-b, rb-c) */
    expect_sums(f, c1, hour, 7, 1, 1000);
    expect_sums(f, c1, hour, 8, 1, 2000);
    expect_sums(f, c1, hour, 0, 2, 3000);
    expect_sums(f, c1, next, 7, 1, 700);
    expect_sums(f, c1, next, 0, 1, 700);
    expect_sums(f, c2, hour, 9, 1, 500);
    expect_sums(f, c2, hour, 0, 1, 500);
}

/* Concurrent writes share commits: fewer commits than jobs. */
static void test_group_commit(void **state)
{
    struct fx *f = *state;
    uint64_t jobs0, commits0, jobs, commits;
    int64_t pid = mk_program(f, &f->brand, "Busy", "busy");

    tl_sqlite_stats(f->s, &jobs0, &commits0);
    run_workers(f, pid);
    tl_sqlite_stats(f->s, &jobs, &commits);
    jobs -= jobs0;
    commits -= commits0;
    print_message("group commit: %llu jobs in %llu commits\n", (unsigned long long)jobs,
                  (unsigned long long)commits);
    assert_int_equal(jobs, THREADS * WRITES);
    assert_true(commits < jobs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_urls),
        cmocka_unit_test_setup_teardown(test_reopen, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_conversion_indexes, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_rollup_batches, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup_sqlite, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
