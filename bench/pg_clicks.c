/*
 * pg_clicks.c: how a batch of clicks goes into PostgreSQL fastest, with
 * the rows actually inserted coming back (rollups are made from them, so
 * a batch retried after an unknown commit outcome counts nothing twice):
 *
 *   values  one INSERT ... VALUES (...), (...) ... with 17 parameters a
 *           click, ON CONFLICT (click_id) DO NOTHING RETURNING
 *   unnest  one INSERT ... SELECT FROM unnest($1::text[], ...), 17 array
 *           parameters, the same ON CONFLICT and RETURNING
 *   copy    COPY into a temporary table (ON COMMIT DELETE ROWS), then
 *           INSERT ... SELECT from it, the same ON CONFLICT and RETURNING
 *
 * Each batch is one transaction (BEGIN ... COMMIT, fsync on), on one
 * connection, as the click writer does; BATCH clicks a batch (default
 * 2,000, the writer's most). Every way also stores one batch twice: the
 * second time must insert and return nothing. Rounds alternate the ways;
 * the figures are medians, and ratios to values.
 *
 * usage: pg_clicks URL [batches per way and round, default 20] [rounds, 3]
 * Prints one line per way ("RESULT way=... clicks_per_s=... ratio=...").
 * Built by meson (build/pg_clicks); bench/pg_commit.sh runs it.
 */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NCOL       17
#define BATCH      2000
#define ROUNDS_MAX 9

static const char COLS[] =
    "click_id, ts_ms, link_id, partner_id, task_id, campaign_id, program_id, visitor_hash,"
    " user_agent, referrer, sub_id1, sub_id2, sub_id3, shared_id, bot, uniq, landing_fallback";
static const char *const TYPES[NCOL] = {"text",   "bigint", "bigint", "bigint", "bigint", "bigint",
                                        "bigint", "bytea",  "text",   "text",   "text",   "text",
                                        "text",   "text",   "bool",   "bool",   "bool"};

/* One click as text values (NULL: SQL NULL). */
struct click {
    char v[NCOL][160];
    bool null[NCOL];
};

static struct click g_batch[BATCH];
static long long g_seq;

static void die(const char *what, PGconn *c)
{
    fprintf(stderr, "pg_clicks: %s: %s\n", what, c != NULL ? PQerrorMessage(c) : "");
    exit(1);
}

static void make_batch(void)
{
    long long now = (long long)time(NULL) * 1000;

    for (int i = 0; i < BATCH; i++) {
        struct click *k = &g_batch[i];
        long long id = g_seq++;

        memset(k->null, 0, sizeof(k->null));
        snprintf(k->v[0], sizeof(k->v[0]), "%013lld%011lld", now, id);
        snprintf(k->v[1], sizeof(k->v[1]), "%lld", now + i);
        snprintf(k->v[2], sizeof(k->v[2]), "%lld", 1 + id % 1000);
        snprintf(k->v[3], sizeof(k->v[3]), "%lld", 1 + id % 50);
        snprintf(k->v[4], sizeof(k->v[4]), "%lld", 1 + id % 20);
        snprintf(k->v[5], sizeof(k->v[5]), "%lld", 1 + id % 4);
        snprintf(k->v[6], sizeof(k->v[6]), "1");
        snprintf(k->v[7], sizeof(k->v[7]), "\\x%016llx%016llx", id * 2654435761ULL, id * 40503ULL);
        snprintf(k->v[8], sizeof(k->v[8]),
                 "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/124.0 Safari/537.36");
        snprintf(k->v[9], sizeof(k->v[9]), "https://blog.example.test/post/%lld", id % 300);
        snprintf(k->v[10], sizeof(k->v[10]), "sub%lld", id % 7);
        k->null[11] = k->null[12] = k->null[13] = true;
        snprintf(k->v[14], sizeof(k->v[14]), "f");
        snprintf(k->v[15], sizeof(k->v[15]), "%s", id % 3 ? "t" : "f");
        snprintf(k->v[16], sizeof(k->v[16]), "f");
    }
}

static bool ok(PGconn *c, PGresult *r, ExecStatusType want, int *rows)
{
    bool good = PQresultStatus(r) == want;

    if (!good)
        fprintf(stderr, "pg_clicks: %s", PQerrorMessage(c));
    else if (rows != NULL)
        *rows = PQntuples(r);
    PQclear(r);
    return good;
}

static bool exec(PGconn *c, const char *sql)
{
    return ok(c, PQexec(c, sql), PGRES_COMMAND_OK, NULL);
}

/* ---- values ---- */

static char *g_values_sql;
static const char **g_values_params;

static int store_values(PGconn *c)
{
    int rows = -1, p = 0;

    for (int i = 0; i < BATCH; i++)
        for (int j = 0; j < NCOL; j++)
            g_values_params[p++] = g_batch[i].null[j] ? NULL : g_batch[i].v[j];
    if (!ok(c, PQexecParams(c, g_values_sql, BATCH * NCOL, NULL, g_values_params, NULL, NULL, 0),
            PGRES_TUPLES_OK, &rows))
        die("values", c);
    return rows;
}

static void values_init(void)
{
    size_t cap = 256 + (size_t)BATCH * NCOL * 16, n;
    int p = 1;

    g_values_sql = malloc(cap);
    g_values_params = malloc(sizeof(*g_values_params) * BATCH * NCOL);
    n = (size_t)snprintf(g_values_sql, cap, "INSERT INTO click (%s) VALUES ", COLS);
    for (int i = 0; i < BATCH; i++) {
        n += (size_t)snprintf(g_values_sql + n, cap - n, "%s(", i ? "," : "");
        for (int j = 0; j < NCOL; j++)
            n += (size_t)snprintf(g_values_sql + n, cap - n, "%s$%d::%s", j ? "," : "", p++,
                                  TYPES[j]);
        n += (size_t)snprintf(g_values_sql + n, cap - n, ")");
    }
    snprintf(g_values_sql + n, cap - n, " ON CONFLICT (click_id) DO NOTHING RETURNING click_id");
}

/* ---- unnest ---- */

static char *g_arrays[NCOL];
static size_t g_array_cap = (size_t)BATCH * 200;
static char *g_unnest_sql;

/* Appends s to an array literal, quoted ("" with \ and " escaped). */
static size_t arr_add(char *a, size_t n, const char *s, bool null, bool first)
{
    if (!first)
        a[n++] = ',';
    if (null) {
        memcpy(a + n, "NULL", 4);
        return n + 4;
    }
    a[n++] = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            a[n++] = '\\';
        a[n++] = *s;
    }
    a[n++] = '"';
    return n;
}

static int store_unnest(PGconn *c)
{
    const char *params[NCOL];
    int rows = -1;

    for (int j = 0; j < NCOL; j++) {
        size_t n = 0;

        g_arrays[j][n++] = '{';
        for (int i = 0; i < BATCH; i++)
            n = arr_add(g_arrays[j], n, g_batch[i].v[j], g_batch[i].null[j], i == 0);
        g_arrays[j][n++] = '}';
        g_arrays[j][n] = '\0';
        params[j] = g_arrays[j];
    }
    if (!ok(c, PQexecParams(c, g_unnest_sql, NCOL, NULL, params, NULL, NULL, 0), PGRES_TUPLES_OK,
            &rows))
        die("unnest", c);
    return rows;
}

static void unnest_init(void)
{
    size_t cap = 2048, n;

    for (int j = 0; j < NCOL; j++)
        g_arrays[j] = malloc(g_array_cap);
    g_unnest_sql = malloc(cap);
    n = (size_t)snprintf(g_unnest_sql, cap, "INSERT INTO click (%s) SELECT * FROM unnest(", COLS);
    for (int j = 0; j < NCOL; j++)
        n += (size_t)snprintf(g_unnest_sql + n, cap - n, "%s$%d::%s[]", j ? "," : "", j + 1,
                              TYPES[j]);
    snprintf(g_unnest_sql + n, cap - n, ") ON CONFLICT (click_id) DO NOTHING RETURNING click_id");
}

/* ---- copy ---- */

static char *g_copy_buf;

/* Appends s in COPY's text format (\N for NULL; \, tab, newline escaped). */
static size_t copy_add(char *b, size_t n, const char *s, bool null, bool first)
{
    if (!first)
        b[n++] = '\t';
    if (null) {
        memcpy(b + n, "\\N", 2);
        return n + 2;
    }
    for (; *s; s++) {
        if (*s == '\\' || *s == '\t' || *s == '\n') {
            b[n++] = '\\';
            b[n++] = *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\';
        } else {
            b[n++] = *s;
        }
    }
    return n;
}

static int store_copy(PGconn *c)
{
    char sql[512];
    PGresult *r;
    size_t n = 0;
    int rows = -1;

    snprintf(sql, sizeof(sql), "COPY click_stage (%s) FROM STDIN", COLS);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN)
        die("copy", c);
    PQclear(r);
    for (int i = 0; i < BATCH; i++) {
        for (int j = 0; j < NCOL; j++)
            n = copy_add(g_copy_buf, n, g_batch[i].v[j], g_batch[i].null[j], j == 0);
        g_copy_buf[n++] = '\n';
    }
    if (PQputCopyData(c, g_copy_buf, (int)n) != 1 || PQputCopyEnd(c, NULL) != 1)
        die("copy data", c);
    if (!ok(c, PQgetResult(c), PGRES_COMMAND_OK, NULL))
        die("copy end", c);
    snprintf(sql, sizeof(sql),
             "INSERT INTO click (%s) SELECT %s FROM click_stage"
             " ON CONFLICT (click_id) DO NOTHING RETURNING click_id",
             COLS, COLS);
    if (!ok(c, PQexec(c, sql), PGRES_TUPLES_OK, &rows))
        die("copy insert", c);
    return rows;
}

/* ---- driver ---- */

struct way {
    const char *name;
    int (*store)(PGconn *c);
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Stores one batch in one transaction; returns the rows inserted. */
static int batch_tx(PGconn *c, const struct way *w)
{
    int rows;

    if (!exec(c, "BEGIN"))
        die("begin", c);
    rows = w->store(c);
    if (!exec(c, "COMMIT"))
        die("commit", c);
    return rows;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static const struct way ways[] = {
        {"values", store_values}, {"unnest", store_unnest}, {"copy", store_copy}};
    enum { N = sizeof(ways) / sizeof(ways[0]) };
    int batches = argc > 2 ? atoi(argv[2]) : 20, rounds = argc > 3 ? atoi(argv[3]) : 3;
    double rate[N][ROUNDS_MAX], t0, med[N];
    PGconn *c;

    if (argc < 2 || batches <= 0 || rounds <= 0 || rounds > ROUNDS_MAX) {
        fprintf(stderr, "usage: pg_clicks URL [batches] [rounds]\n");
        return 2;
    }
    c = PQconnectdb(argv[1]);
    if (PQstatus(c) != CONNECTION_OK)
        die("connect", c);
    if (!exec(c, "CREATE TEMP TABLE click_stage (LIKE click) ON COMMIT DELETE ROWS"))
        die("stage", c);
    values_init();
    unnest_init();
    g_copy_buf = malloc((size_t)BATCH * NCOL * 180);
    for (int i = 0; i < N; i++) {
        /* a batch stored twice: the second time inserts nothing */
        make_batch();
        if (batch_tx(c, &ways[i]) != BATCH || batch_tx(c, &ways[i]) != 0) {
            fprintf(stderr, "pg_clicks: %s: a batch stored twice was counted twice\n",
                    ways[i].name);
            return 1;
        }
    }
    for (int k = 0; k < rounds; k++) {
        for (int i = 0; i < N; i++) {
            t0 = now_s();
            for (int b = 0; b < batches; b++) {
                make_batch();
                if (batch_tx(c, &ways[i]) != BATCH)
                    die("a fresh batch was not inserted whole", NULL);
            }
            rate[i][k] = (double)batches * BATCH / (now_s() - t0);
            printf("round %d/%d %-7s %8.0f clicks/s\n", k + 1, rounds, ways[i].name, rate[i][k]);
            fflush(stdout);
        }
    }
    for (int i = 0; i < N; i++) {
        qsort(rate[i], (size_t)rounds, sizeof(double), cmp_double);
        med[i] =
            rounds % 2 ? rate[i][rounds / 2] : (rate[i][rounds / 2 - 1] + rate[i][rounds / 2]) / 2;
    }
    for (int i = 0; i < N; i++)
        printf("RESULT way=%s clicks_per_s=%.0f ratio=%.2f\n", ways[i].name, med[i],
               med[i] / med[0]);
    printf("RESULT retried batches counted once: yes\n");
    PQfinish(c);
    return 0;
}
