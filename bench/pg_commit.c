/*
 * pg_commit.c: durable conversion-like writes on PostgreSQL with 32
 * concurrent clients, in four ways, each given as a ratio to the naive
 * loop measured in the same run on the same server:
 *
 *   naive     one connection; each write is its own transaction
 *             (BEGIN, insert, two rollup upserts, COMMIT), one after the
 *             other: one commit flush per write.
 *   pool N    N connections; each client takes a free one and runs the
 *             same transaction. The server groups the WAL flushes of
 *             commits that wait at the same time, but writes to the same
 *             rollup row wait for each other's commit (the row lock).
 *   group     one writer connection; it takes every queued write (up to
 *             GROUP_MAX) into one transaction, each in a SAVEPOINT (a
 *             failing write would be rolled back alone), adds their
 *             rollups up in memory and upserts each rollup row once,
 *             commits once and then answers every waiter. Statements are
 *             sent one at a time and waited for.
 *   pipeline  group, with libpq's pipeline mode: the whole batch is sent
 *             without waiting for any answer, then the answers are read.
 *             pipeline-nosp: the same without the savepoints.
 *   group-4, pipeline-2: that many writers, each on its own connection,
 *             taking batches from the one queue (while one commits, the
 *             next batch is being written).
 *   engine    tracklink's own writer (store/postgres.c, tl_pg_write) with
 *             the job conversion_create makes: the insert waited for (its
 *             id), the event sent, the rollups deferred to the commit by
 *             the writer's hooks. engine-2: two writers.
 *
 * A write is what conversion_create stores: a conversion row (INSERT ...
 * ON CONFLICT DO NOTHING on its unique key) with its conversion_event (one
 * statement), and the two rollups (stats_hourly, stats_campaign_hourly,
 * INSERT ... ON CONFLICT DO UPDATE), on the real schema (the caller runs
 * the migrations first: bench/pg_commit.sh). Conversions spread over
 * BENCH_PG_CAMPAIGNS campaigns (default 4) in one hour, as a brand's
 * traffic does: rollup rows are hot.
 *
 * Built by meson (build/pg_commit, linked with tracklink's library).
 * usage: pg_commit URL [seconds per mode, default 5] [clients, default 32] [rounds]
 * Prints one line per mode ("RESULT mode=... writes=... rate=... ratio=...")
 * and a summary line.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/postgres.h"

#define GROUP_MAX 512
#define HOUR_MS   3600000LL

static const char *g_url;
static int g_campaigns = 4;
static int64_t g_program;
static int64_t g_hour;

static const char SQL_CONV[] =
    "WITH c AS (INSERT INTO conversion (click_id, order_id, event_type, amount, currency, payout,"
    " status, partner_id, task_id, campaign_id, program_id, occurred_at, created_at)"
    " VALUES ($1, $2, 'sale', 1000, 'USD', 100, 'pending', 1, 1, $3, $4, $5, $5)"
    " ON CONFLICT (program_id, event_type, order_id) DO NOTHING RETURNING id)"
    " INSERT INTO conversion_event (conversion_id, from_status, to_status, actor_account_id, at)"
    " SELECT id, NULL, 'pending', 1, $5 FROM c";
static const char SQL_FINE[] =
    "INSERT INTO stats_hourly (hour_ms, program_id, campaign_id, task_id, partner_id, link_id,"
    " currency, conversions, revenue, payout) VALUES ($1, $2, $3, 1, 1, 0, 'USD', $4, $5, $6)"
    " ON CONFLICT (hour_ms, campaign_id, task_id, partner_id, link_id, currency) DO UPDATE SET"
    " conversions = stats_hourly.conversions + excluded.conversions,"
    " revenue = stats_hourly.revenue + excluded.revenue,"
    " payout = stats_hourly.payout + excluded.payout";
static const char SQL_COARSE[] =
    "INSERT INTO stats_campaign_hourly (campaign_id, hour_ms, currency, program_id, conversions,"
    " revenue, payout) VALUES ($3, $1, 'USD', $2, $4, $5, $6)"
    " ON CONFLICT (campaign_id, hour_ms, currency) DO UPDATE SET"
    " conversions = stats_campaign_hourly.conversions + excluded.conversions,"
    " revenue = stats_campaign_hourly.revenue + excluded.revenue,"
    " payout = stats_campaign_hourly.payout + excluded.payout";

/* One write, as a client hands it over. */
struct write {
    char click_id[32], order_id[32];
    int64_t campaign;
    bool done;
    bool failed;
    struct write *next;
};

static void die(const char *what, PGconn *c)
{
    fprintf(stderr, "pg_commit: %s: %s\n", what, c != NULL ? PQerrorMessage(c) : "");
    exit(1);
}

static PGconn *connect_db(void)
{
    PGconn *c = PQconnectdb(g_url);

    if (PQstatus(c) != CONNECTION_OK)
        die("connect", c);
    return c;
}

static bool ok(PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    bool good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

    if (!good)
        fprintf(stderr, "pg_commit: %s", PQresultErrorMessage(r));
    PQclear(r);
    return good;
}

static bool exec(PGconn *c, const char *sql)
{
    return ok(PQexec(c, sql));
}

/* Parameters of SQL_CONV and the rollups, as text. */
struct params {
    char campaign[24], program[24], now[24], hour[24], n[24], revenue[24], payout[24];
    const char *conv[5], *roll[6];
};

static void params_fill(struct params *p, const struct write *w, int64_t n)
{
    snprintf(p->campaign, sizeof(p->campaign), "%lld", (long long)w->campaign);
    snprintf(p->program, sizeof(p->program), "%lld", (long long)g_program);
    snprintf(p->now, sizeof(p->now), "%lld", (long long)(g_hour + 1000));
    snprintf(p->hour, sizeof(p->hour), "%lld", (long long)g_hour);
    snprintf(p->n, sizeof(p->n), "%lld", (long long)n);
    snprintf(p->revenue, sizeof(p->revenue), "%lld", (long long)(n * 1000));
    snprintf(p->payout, sizeof(p->payout), "%lld", (long long)(n * 100));
    p->conv[0] = w->click_id;
    p->conv[1] = w->order_id;
    p->conv[2] = p->campaign;
    p->conv[3] = p->program;
    p->conv[4] = p->now;
    p->roll[0] = p->hour;
    p->roll[1] = p->program;
    p->roll[2] = p->campaign;
    p->roll[3] = p->n;
    p->roll[4] = p->revenue;
    p->roll[5] = p->payout;
}

/* One write in its own transaction (naive and pool). */
static bool write_alone(PGconn *c, const struct write *w)
{
    struct params p;
    bool good;

    params_fill(&p, w, 1);
    good = exec(c, "BEGIN") && ok(PQexecParams(c, SQL_CONV, 5, NULL, p.conv, NULL, NULL, 0)) &&
           ok(PQexecParams(c, SQL_FINE, 6, NULL, p.roll, NULL, NULL, 0)) &&
           ok(PQexecParams(c, SQL_COARSE, 6, NULL, p.roll, NULL, NULL, 0)) && exec(c, "COMMIT");
    if (!good)
        exec(c, "ROLLBACK");
    return good;
}

/* ------------------------------------------------------------------ */
/* the modes */

enum mode { NAIVE, POOL, GROUP, PIPELINE, PIPELINE_NOSP, ENGINE };

static enum mode g_mode;
static int g_pool;
static PGconn **g_conns;
static bool *g_busy;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;   /* a connection or a write is done */
static pthread_cond_t g_work = PTHREAD_COND_INITIALIZER; /* a write is queued */
static struct write *g_queue, **g_tail = &g_queue;
static atomic_bool g_stop;
static atomic_llong g_writes, g_failed, g_commits;

/* ------------------------------------------------------------------ */
/* engine: tracklink's own writer (store/postgres.c, tl_pg_write) */

static struct tl_pg *g_pg;

static const char SQL_CONV_ONLY[] =
    "INSERT INTO conversion (click_id, order_id, event_type, amount, currency, payout,"
    " status, partner_id, task_id, campaign_id, program_id, occurred_at, created_at)"
    " VALUES ($1, $2, 'sale', 1000, 'USD', 100, 'pending', 1, 1, $3, $4, $5, $5)"
    " ON CONFLICT (program_id, event_type, order_id) DO NOTHING RETURNING id";
static const char SQL_EVENT[] =
    "INSERT INTO conversion_event (conversion_id, from_status, to_status, actor_account_id, at)"
    " VALUES ($1, NULL, 'pending', 1, $2)";

struct sums;
struct engine_hooks {
    struct sums *batch; /* GROUP_MAX */
    int n;
    int64_t job_campaign; /* the current job's rollup, 0: none */
};

static int add_sum(struct sums *s, int n, int64_t campaign);
static int cmp_sums(const void *a, const void *b);

static void *eh_new(void);
static void eh_free(void *ctx);
static void eh_begin(void *ctx);
static void eh_job_end(void *ctx, bool keep);
static enum tl_err eh_flush(void *ctx, struct tl_pg_tx *tx);
static void eh_abort(void *ctx);

static const struct tl_pg_hooks g_hooks = {eh_new,     eh_free,  eh_begin,
                                           eh_job_end, eh_flush, eh_abort};

/* What conversion_create does: the insert (its id is needed), the event
 * (sent without waiting), the rollup (deferred to the commit). */
static enum tl_err engine_job(struct tl_pg_tx *tx, void *ctx)
{
    struct write *w = ctx;
    struct engine_hooks *h = tl_pg_tx_hooks_ctx(tx);
    struct params p;
    PGresult *r = NULL;
    const char *ev[2];
    char id[24];
    enum tl_err err;

    params_fill(&p, w, 1);
    err = tl_pg_tx_query(tx, SQL_CONV_ONLY, 5, p.conv, &r);
    if (err != TL_OK)
        return err;
    if (PQntuples(r) == 1) {
        snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
        ev[0] = id;
        ev[1] = p.now;
        err = tl_pg_tx_send(tx, SQL_EVENT, 2, ev);
        h->job_campaign = w->campaign;
    }
    PQclear(r);
    return err;
}

static bool submit(struct write *w)
{
    int i;
    bool good;

    if (g_mode == ENGINE)
        return tl_pg_write(g_pg, engine_job, w) == TL_OK;
    if (g_mode == NAIVE || g_mode == POOL) {
        pthread_mutex_lock(&g_mu);
        for (;;) {
            for (i = 0; i < g_pool && g_busy[i]; i++)
                ;
            if (i < g_pool)
                break;
            pthread_cond_wait(&g_cv, &g_mu);
        }
        g_busy[i] = true;
        pthread_mutex_unlock(&g_mu);
        good = write_alone(g_conns[i], w);
        atomic_fetch_add(&g_commits, 1);
        pthread_mutex_lock(&g_mu);
        g_busy[i] = false;
        pthread_cond_signal(&g_cv);
        pthread_mutex_unlock(&g_mu);
        return good;
    }
    pthread_mutex_lock(&g_mu);
    w->done = false;
    w->failed = false;
    w->next = NULL;
    *g_tail = w;
    g_tail = &w->next;
    pthread_cond_signal(&g_work);
    while (!w->done)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    return !w->failed;
}

/* The rollup sums of one batch, per campaign (one hour here). */
struct sums {
    int64_t campaign, n;
};

/* Rollup rows are upserted in key order: two writers whose batches touch
 * the same rows in different orders would deadlock. */
static int cmp_sums(const void *a, const void *b)
{
    const struct sums *x = a, *y = b;

    return x->campaign < y->campaign ? -1 : x->campaign > y->campaign;
}

static int add_sum(struct sums *s, int n, int64_t campaign)
{
    for (int i = 0; i < n; i++) {
        if (s[i].campaign == campaign) {
            s[i].n++;
            return n;
        }
    }
    s[n].campaign = campaign;
    s[n].n = 1;
    return n + 1;
}

static void *eh_new(void)
{
    struct engine_hooks *h = calloc(1, sizeof(*h));

    h->batch = calloc(GROUP_MAX, sizeof(*h->batch));
    return h;
}

static void eh_free(void *ctx)
{
    struct engine_hooks *h = ctx;

    free(h->batch);
    free(h);
}

static void eh_begin(void *ctx)
{
    struct engine_hooks *h = ctx;

    h->n = 0;
    h->job_campaign = 0;
}

static void eh_job_end(void *ctx, bool keep)
{
    struct engine_hooks *h = ctx;

    if (keep && h->job_campaign != 0)
        h->n = add_sum(h->batch, h->n, h->job_campaign);
    h->job_campaign = 0;
}

static enum tl_err eh_flush(void *ctx, struct tl_pg_tx *tx)
{
    struct engine_hooks *h = ctx;
    struct params p;
    struct write w;
    enum tl_err err = TL_OK;

    qsort(h->batch, (size_t)h->n, sizeof(h->batch[0]), cmp_sums);
    for (int i = 0; err == TL_OK && i < h->n; i++) {
        w.campaign = h->batch[i].campaign;
        params_fill(&p, &w, h->batch[i].n);
        err = tl_pg_tx_send(tx, SQL_FINE, 6, p.roll);
        if (err == TL_OK)
            err = tl_pg_tx_send(tx, SQL_COARSE, 6, p.roll);
    }
    h->n = 0;
    return err;
}

static void eh_abort(void *ctx)
{
    eh_begin(ctx);
}

/* group: statement by statement. */
static bool run_group(PGconn *c, struct write **batch, int n)
{
    struct sums sums[GROUP_MAX];
    struct params p;
    struct write w;
    int ns = 0;
    bool good = exec(c, "BEGIN");

    for (int i = 0; good && i < n; i++) {
        params_fill(&p, batch[i], 1);
        good = exec(c, "SAVEPOINT j") &&
               ok(PQexecParams(c, SQL_CONV, 5, NULL, p.conv, NULL, NULL, 0)) &&
               exec(c, "RELEASE j");
        ns = add_sum(sums, ns, batch[i]->campaign);
    }
    qsort(sums, (size_t)ns, sizeof(sums[0]), cmp_sums);
    for (int i = 0; good && i < ns; i++) {
        w.campaign = sums[i].campaign;
        params_fill(&p, &w, sums[i].n);
        good = ok(PQexecParams(c, SQL_FINE, 6, NULL, p.roll, NULL, NULL, 0)) &&
               ok(PQexecParams(c, SQL_COARSE, 6, NULL, p.roll, NULL, NULL, 0));
    }
    good = good && exec(c, "COMMIT");
    if (!good)
        exec(c, "ROLLBACK");
    return good;
}

/* pipeline: the whole batch sent, then every answer read. Without
 * savepoints, one failing write fails the batch (a writer would then run
 * each write of it alone). */
static bool run_pipeline(PGconn *c, struct write **batch, int n, bool savepoints)
{
    struct sums sums[GROUP_MAX];
    struct params p;
    struct write w;
    int ns = 0, sent = 0;
    bool good = true;
    PGresult *r;

    sent += PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
    for (int i = 0; i < n; i++) {
        params_fill(&p, batch[i], 1);
        if (savepoints)
            sent += PQsendQueryParams(c, "SAVEPOINT j", 0, NULL, NULL, NULL, NULL, 0);
        sent += PQsendQueryParams(c, SQL_CONV, 5, NULL, p.conv, NULL, NULL, 0);
        if (savepoints)
            sent += PQsendQueryParams(c, "RELEASE j", 0, NULL, NULL, NULL, NULL, 0);
        ns = add_sum(sums, ns, batch[i]->campaign);
    }
    qsort(sums, (size_t)ns, sizeof(sums[0]), cmp_sums);
    for (int i = 0; i < ns; i++) {
        w.campaign = sums[i].campaign;
        params_fill(&p, &w, sums[i].n);
        sent += PQsendQueryParams(c, SQL_FINE, 6, NULL, p.roll, NULL, NULL, 0);
        sent += PQsendQueryParams(c, SQL_COARSE, 6, NULL, p.roll, NULL, NULL, 0);
    }
    sent += PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
    if (PQpipelineSync(c) != 1)
        die("pipeline sync", c);
    /* Each query's results end with a NULL; the sync with its own result. */
    for (int q = 0; q < sent; q++) {
        while ((r = PQgetResult(c)) != NULL)
            good = ok(r) && good;
    }
    r = PQgetResult(c);
    if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC)
        die("pipeline: no sync", c);
    PQclear(r);
    if (!good)
        exec(c, "ROLLBACK"); /* after the sync: out of the aborted pipeline */
    return good;
}

static void *writer_main(void *arg)
{
    PGconn *c = arg;
    struct write *batch[GROUP_MAX];
    int n;
    bool good;

    if (g_mode != GROUP && PQenterPipelineMode(c) != 1)
        die("pipeline mode", c);
    pthread_mutex_lock(&g_mu);
    for (;;) {
        while (g_queue == NULL && !atomic_load(&g_stop))
            pthread_cond_wait(&g_work, &g_mu);
        if (g_queue == NULL)
            break;
        for (n = 0; g_queue != NULL && n < GROUP_MAX; n++) {
            batch[n] = g_queue;
            g_queue = g_queue->next;
        }
        if (g_queue == NULL)
            g_tail = &g_queue;
        pthread_mutex_unlock(&g_mu);
        good = g_mode == GROUP ? run_group(c, batch, n)
                               : run_pipeline(c, batch, n, g_mode == PIPELINE);
        atomic_fetch_add(&g_commits, 1);
        pthread_mutex_lock(&g_mu);
        for (int i = 0; i < n; i++) {
            batch[i]->failed = !good;
            batch[i]->done = true;
        }
        pthread_cond_broadcast(&g_cv);
    }
    pthread_mutex_unlock(&g_mu);
    if (g_mode != GROUP)
        PQexitPipelineMode(c);
    return NULL;
}

static atomic_llong g_seq;

static void *client_main(void *arg)
{
    struct write w;
    unsigned seed = (unsigned)(uintptr_t)arg;

    memset(&w, 0, sizeof(w));
    while (!atomic_load(&g_stop)) {
        long long id = atomic_fetch_add(&g_seq, 1);

        snprintf(w.click_id, sizeof(w.click_id), "c%012lld", id);
        snprintf(w.order_id, sizeof(w.order_id), "o-%lld", id);
        w.campaign = 1 + (int64_t)(rand_r(&seed) % (unsigned)g_campaigns);
        if (submit(&w))
            atomic_fetch_add(&g_writes, 1);
        else
            atomic_fetch_add(&g_failed, 1);
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one mode for secs with clients threads; returns writes per second. */
static double run_mode(enum mode m, int pool, int secs, int clients, long long *commits)
{
    pthread_t th[256], writers[16];
    int nconn = m == NAIVE ? 1 : pool; /* pool: connections, or writers */
    double t0, t1;

    g_mode = m;
    if (m == ENGINE)
        nconn = 0;
    g_pool = nconn;
    g_conns = calloc((size_t)nconn, sizeof(*g_conns));
    g_busy = calloc((size_t)nconn, sizeof(*g_busy));
    for (int i = 0; i < nconn; i++)
        g_conns[i] = connect_db();
    if (m == ENGINE) {
        struct tl_pg_options opt = {.pool_size = pool + 1, .writers = pool, .hooks = &g_hooks};
        char why[256];

        if (tl_pg_open(g_url, &opt, &g_pg, why, sizeof(why)) != TL_OK) {
            fprintf(stderr, "pg_commit: %s\n", why);
            exit(1);
        }
    }
    atomic_store(&g_stop, false);
    atomic_store(&g_writes, 0);
    atomic_store(&g_failed, 0);
    atomic_store(&g_commits, 0);
    if (m >= GROUP)
        for (int i = 0; i < nconn; i++)
            pthread_create(&writers[i], NULL, writer_main, g_conns[i]);
    t0 = now_s();
    for (int i = 0; i < clients; i++)
        pthread_create(&th[i], NULL, client_main, (void *)(uintptr_t)(i + 1));
    struct timespec ts = {.tv_sec = secs};
    nanosleep(&ts, NULL);
    atomic_store(&g_stop, true);
    for (int i = 0; i < clients; i++)
        pthread_join(th[i], NULL);
    t1 = now_s();
    if (m >= GROUP) {
        pthread_mutex_lock(&g_mu);
        pthread_cond_broadcast(&g_work);
        pthread_mutex_unlock(&g_mu);
        for (int i = 0; i < nconn; i++)
            pthread_join(writers[i], NULL);
    }
    for (int i = 0; i < nconn; i++)
        PQfinish(g_conns[i]);
    if (m == ENGINE) {
        uint64_t jobs, n;

        tl_pg_stats(g_pg, &jobs, &n);
        tl_pg_close(g_pg);
        g_pg = NULL;
        atomic_store(&g_commits, (long long)n);
    }
    free(g_conns);
    free(g_busy);
    if (atomic_load(&g_failed) > 0) {
        fprintf(stderr, "pg_commit: %lld writes failed\n", (long long)atomic_load(&g_failed));
        exit(1);
    }
    *commits = atomic_load(&g_commits);
    return (double)atomic_load(&g_writes) / (t1 - t0);
}

static void setup(void)
{
    PGconn *c = connect_db();
    PGresult *r;
    char sql[512];

    r = PQexec(c, "INSERT INTO account (kind, name, created_at) VALUES ('brand', 'bench', 0)"
                  " RETURNING id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die("account", c);
    snprintf(sql, sizeof(sql),
             "INSERT INTO program (brand_id, name, default_landing_page, postback_key,"
             " created_at, updated_at) VALUES (%s, 'bench', 'https://shop.test/', 'pk-%s', 0, 0)"
             " RETURNING id",
             PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 0));
    PQclear(r);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die("program", c);
    g_program = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    g_hour = (int64_t)time(NULL) * 1000 / HOUR_MS * HOUR_MS;
    PQfinish(c);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define ROUNDS_MAX 9

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        enum mode m;
        int pool;
    } modes[] = {
        {"naive", NAIVE, 1},       {"pool-4", POOL, 4},         {"pool-8", POOL, 8},
        {"pool-16", POOL, 16},     {"group", GROUP, 1},         {"group-4", GROUP, 4},
        {"pipeline", PIPELINE, 1}, {"pipeline-2", PIPELINE, 2}, {"pipeline-nosp", PIPELINE_NOSP, 1},
        {"engine", ENGINE, 1},     {"engine-2", ENGINE, 2},
    };
    enum { N_MODES = sizeof(modes) / sizeof(modes[0]) };
    int secs = argc > 2 ? atoi(argv[2]) : 5, clients = argc > 3 ? atoi(argv[3]) : 32;
    int rounds = argc > 4 ? atoi(argv[4]) : 3;
    double rate[N_MODES][ROUNDS_MAX], ratio[N_MODES][ROUNDS_MAX], per[N_MODES][ROUNDS_MAX];
    double best = 0, r, q;
    const char *best_name = "";
    long long commits;
    const char *env = getenv("BENCH_PG_CAMPAIGNS");

    if (argc < 2) {
        fprintf(stderr, "usage: pg_commit URL [seconds] [clients] [rounds]\n");
        return 2;
    }
    g_url = argv[1];
    if (env != NULL && atoi(env) > 0)
        g_campaigns = atoi(env);
    if (secs <= 0 || clients <= 0 || clients > 256 || rounds <= 0 || rounds > ROUNDS_MAX)
        return 2;
    setup();
    for (int k = 0; k < rounds; k++) {
        for (int i = 0; i < N_MODES; i++) {
            r = run_mode(modes[i].m, modes[i].pool, secs, clients, &commits);
            rate[i][k] = r;
            ratio[i][k] = rate[0][k] > 0 ? r / rate[0][k] : 0;
            per[i][k] = commits > 0 ? (double)atomic_load(&g_writes) / (double)commits : 0;
            printf("round %d/%d %-14s %6.0f writes/s, %5.1f writes per commit, ratio %.2f\n", k + 1,
                   rounds, modes[i].name, r, per[i][k], ratio[i][k]);
            fflush(stdout);
        }
    }
    for (int i = 0; i < N_MODES; i++) {
        q = median(ratio[i], rounds);
        printf("RESULT mode=%s rate=%.0f writes_per_commit=%.1f ratio=%.2f\n", modes[i].name,
               median(rate[i], rounds), median(per[i], rounds), q);
        if (q > best) {
            best = q;
            best_name = modes[i].name;
        }
    }
    printf("BEST mode=%s ratio=%.2f campaigns=%d clients=%d\n", best_name, best, g_campaigns,
           clients);
    return 0;
}
