/*
 * metrics.c: lock-free counters and the Prometheus text rendering (see
 * metrics.h).
 *
 * Request counts sit in one row per route with a cell per status 100..599:
 * a little memory (4 KB a route) buys an increment that is a single atomic
 * add with no lookup and no lock.
 */
#include "http/metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MIN 100
#define STATUS_N 500

struct row {
    const char *name;
    _Atomic uint64_t by_status[STATUS_N];
};

struct table {
    const struct tl_route *routes;
    size_t n_routes;
    size_t n_rows; /* n_routes + unmatched + metrics */
    struct row rows[];
};

struct value {
    const char *name;
    const char *help;
    enum tl_metric_type type;
    _Atomic uint64_t *cell;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct table *_Atomic table;
static struct value values[TL_METRICS_MAX];
static size_t n_values;

enum tl_err tl_metrics_routes(const struct tl_route *routes, size_t n)
{
    struct table *t, *old;
    size_t i;

    pthread_mutex_lock(&mu);
    old = atomic_load(&table);
    if (old != NULL && old->routes == routes && old->n_routes == n) {
        pthread_mutex_unlock(&mu);
        return TL_OK;
    }
    t = calloc(1, sizeof(*t) + (n + 2) * sizeof(t->rows[0]));
    if (t == NULL) {
        pthread_mutex_unlock(&mu);
        return TL_ERR_NOMEM;
    }
    t->routes = routes;
    t->n_routes = n;
    t->n_rows = n + 2;
    for (i = 0; i < n; i++)
        t->rows[i].name = routes[i].name != NULL ? routes[i].name : routes[i].pattern;
    t->rows[n].name = "unmatched";
    t->rows[n + 1].name = "metrics";
    atomic_store(&table, t);
    pthread_mutex_unlock(&mu);
    free(old);
    return TL_OK;
}

void tl_metrics_request(size_t route_index, int status)
{
    struct table *t = atomic_load_explicit(&table, memory_order_acquire);
    size_t row, col;

    if (t == NULL)
        return;
    if (route_index == TL_METRICS_SELF)
        row = t->n_routes + 1;
    else if (route_index < t->n_routes)
        row = route_index;
    else
        row = t->n_routes;
    col = status >= STATUS_MIN && status < STATUS_MIN + STATUS_N ? (size_t)(status - STATUS_MIN)
                                                                 : STATUS_N - 1;
    atomic_fetch_add_explicit(&t->rows[row].by_status[col], 1, memory_order_relaxed);
}

enum tl_err tl_metrics_register(const char *name, const char *help, enum tl_metric_type type,
                                _Atomic uint64_t *cell)
{
    enum tl_err err = TL_OK;

    pthread_mutex_lock(&mu);
    if (n_values == TL_METRICS_MAX) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    values[n_values].name = name;
    values[n_values].help = help;
    values[n_values].type = type;
    values[n_values].cell = cell;
    n_values++;
out:
    pthread_mutex_unlock(&mu);
    return err;
}

/* Length of the family part of a metric name (before any '{'). */
static size_t family_len(const char *name)
{
    const char *brace = strchr(name, '{');

    return brace != NULL ? (size_t)(brace - name) : strlen(name);
}

static bool same_family(const char *a, const char *b)
{
    size_t la = family_len(a);

    return la == family_len(b) && memcmp(a, b, la) == 0;
}

/* A label value with \, " and newline escaped as the format requires. */
static void put_label(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* HELP text escapes only \ and newline. */
static void put_help(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void render_requests(FILE *f, const struct table *t)
{
    size_t r, c;
    uint64_t v;

    fputs("# HELP tracklink_http_requests_total HTTP requests answered, by route and status.\n"
          "# TYPE tracklink_http_requests_total counter\n",
          f);
    if (t == NULL)
        return;
    for (r = 0; r < t->n_rows; r++) {
        for (c = 0; c < STATUS_N; c++) {
            v = atomic_load_explicit(&t->rows[r].by_status[c], memory_order_relaxed);
            if (v == 0)
                continue;
            fputs("tracklink_http_requests_total{route=\"", f);
            put_label(f, t->rows[r].name);
            fprintf(f, "\",status=\"%zu\"} %llu\n", c + STATUS_MIN, (unsigned long long)v);
        }
    }
}

static void render_values(FILE *f)
{
    bool done[TL_METRICS_MAX] = {false};
    size_t i, j;

    for (i = 0; i < n_values; i++) {
        if (done[i])
            continue;
        fprintf(f, "# HELP %.*s ", (int)family_len(values[i].name), values[i].name);
        put_help(f, values[i].help != NULL ? values[i].help : "");
        fprintf(f, "\n# TYPE %.*s %s\n", (int)family_len(values[i].name), values[i].name,
                values[i].type == TL_METRIC_GAUGE ? "gauge" : "counter");
        for (j = i; j < n_values; j++) {
            if (done[j] || !same_family(values[i].name, values[j].name))
                continue;
            done[j] = true;
            fprintf(f, "%s %llu\n", values[j].name,
                    (unsigned long long)atomic_load_explicit(values[j].cell,
                                                             memory_order_relaxed));
        }
    }
}

enum tl_err tl_metrics_render(struct tl_arena *a, const char **out, size_t *len)
{
    enum tl_err err = TL_ERR_NOMEM;
    char *buf = NULL;
    size_t size = 0;
    FILE *f;
    char *copy;

    f = open_memstream(&buf, &size);
    if (f == NULL)
        return TL_ERR_NOMEM;
    pthread_mutex_lock(&mu);
    render_requests(f, atomic_load(&table));
    render_values(f);
    pthread_mutex_unlock(&mu);
    if (ferror(f)) {
        fclose(f);
        goto out;
    }
    if (fclose(f) != 0)
        goto out;
    copy = tl_arena_strndup(a, buf, size);
    if (copy == NULL)
        goto out;
    *out = copy;
    *len = size;
    err = TL_OK;
out:
    free(buf);
    return err;
}

void tl_metrics_reset(void)
{
    struct table *old;

    pthread_mutex_lock(&mu);
    old = atomic_exchange(&table, NULL);
    n_values = 0;
    pthread_mutex_unlock(&mu);
    free(old);
}
