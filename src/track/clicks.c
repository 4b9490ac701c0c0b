/*
 * clicks.c: the click queue (a ring of preallocated slots under one mutex)
 * and the writer thread that stores batches of clicks.
 */
#include "track/clicks.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "core/time.h"
#include "http/metrics.h"

struct tl_clicks {
    const struct tl_clicks_config *cfg;
    struct tl_click *ring;
    void **tokens;
    size_t cap, head, n;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    bool stopping;
    bool writer_idle;       /* the writer waits on not_empty */
    bool lingering;         /* the writer waits for a batch to fill */
    size_t pushers_waiting; /* pushes waiting on not_full */
    pthread_t thread;
    /* the writer's batch, copied out of the ring */
    struct tl_click *batch;
    void **batch_tokens;
    /* Sync mode: no hop through this module's thread. A push queues a
     * drain job on the store's writer when none is queued; the job takes
     * what the ring holds when the writer gets to it, and its callback
     * resumes the tokens after the commit. */
    bool drain;          /* sync mode, and the store can (click_batch_async) */
    bool drain_queued;   /* a drain job waits for the writer (under mu) */
    size_t drains;       /* drain jobs not called back yet (under mu) */
    pthread_cond_t drained;
    _Atomic uint64_t queued, stored, failed, batches;
};

/* Process-wide counters for /metrics (the last queue started feeds them). */
static _Atomic uint64_t g_stored, g_failed, g_batches, g_depth;
static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void register_metrics(void)
{
    tl_metrics_register("tracklink_clicks_stored_total", "Clicks committed to the store.",
                        TL_METRIC_COUNTER, &g_stored);
    tl_metrics_register("tracklink_clicks_failed_total", "Clicks in batches that failed.",
                        TL_METRIC_COUNTER, &g_failed);
    tl_metrics_register("tracklink_click_batches_total", "Click batches committed.",
                        TL_METRIC_COUNTER, &g_batches);
    tl_metrics_register("tracklink_click_queue_depth", "Clicks waiting for the writer.",
                        TL_METRIC_GAUGE, &g_depth);
}

/*
 * Copies a click: the fixed fields, then each string up to its end. A slot
 * is 1.7 KiB, mostly room for long strings that clicks rarely have;
 * copying the whole struct touched all of it, and was the costliest step
 * of a redirect.
 */
static void copy_str(char *dst, const char *src, size_t cap)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void click_copy(struct tl_click *dst, const struct tl_click *src)
{
    size_t i;

    memcpy(dst, src, offsetof(struct tl_click, user_agent));
    copy_str(dst->user_agent, src->user_agent, sizeof(dst->user_agent));
    copy_str(dst->referrer, src->referrer, sizeof(dst->referrer));
    for (i = 0; i < 4; i++)
        copy_str(dst->sub[i], src->sub[i], sizeof(dst->sub[i]));
}

/* Takes up to TL_CLICKS_BATCH_MAX clicks out of the ring (under mu). */
static size_t take(struct tl_clicks *q)
{
    size_t n = q->n < TL_CLICKS_BATCH_MAX ? q->n : TL_CLICKS_BATCH_MAX, i, slot;

    for (i = 0; i < n; i++) {
        slot = (q->head + i) % q->cap;
        click_copy(&q->batch[i], &q->ring[slot]);
        q->batch_tokens[i] = q->tokens[slot];
    }
    q->head = (q->head + n) % q->cap;
    q->n -= n;
    atomic_store(&g_depth, q->n);
    if (q->pushers_waiting > 0)
        pthread_cond_broadcast(&q->not_full);
    return n;
}

/* A drain job's clicks, copied out of the ring. */
struct drained {
    size_t n;
    void **tokens;
    struct tl_click clicks[];
};

static void drain_submit(struct tl_clicks *q);

/* On the writer thread, inside its transaction: the clicks to store. */
static void *drain_fill(void *ctx, const struct tl_click **clicks, size_t *n)
{
    struct tl_clicks *q = ctx;
    struct drained *d = NULL;
    size_t m, i, slot;
    bool more = false;

    *clicks = NULL;
    *n = 0;
    pthread_mutex_lock(&q->mu);
    q->drain_queued = false;
    m = q->n < TL_CLICKS_BATCH_MAX ? q->n : TL_CLICKS_BATCH_MAX;
    if (m > 0)
        d = malloc(sizeof(*d) + m * sizeof(d->clicks[0]) + m * sizeof(void *));
    if (d != NULL) {
        d->n = m;
        d->tokens = (void **)(void *)&d->clicks[m];
        for (i = 0; i < m; i++) {
            slot = (q->head + i) % q->cap;
            click_copy(&d->clicks[i], &q->ring[slot]);
            d->tokens[i] = q->tokens[slot];
        }
        q->head = (q->head + m) % q->cap;
        q->n -= m;
        atomic_store(&g_depth, q->n);
        if (q->pushers_waiting > 0)
            pthread_cond_broadcast(&q->not_full);
        *clicks = d->clicks;
        *n = m;
    } else if (m > 0) {
        pthread_cond_signal(&q->not_empty); /* out of memory: the thread takes them */
    }
    if (q->n > 0 && d != NULL && !q->stopping) {
        q->drain_queued = true; /* more than one batch was waiting */
        q->drains++;
        more = true;
    }
    pthread_mutex_unlock(&q->mu);
    if (more)
        drain_submit(q);
    return d;
}

/* On the writer thread, after the commit. */
static void drain_done(void *ctx, void *handle, enum tl_err err)
{
    struct tl_clicks *q = ctx;
    struct drained *d = handle;
    size_t i;

    if (d != NULL) {
        if (err != TL_OK) {
            fprintf(stderr, "tracklink: storing %zu clicks failed: %s\n", d->n, tl_err_str(err));
            atomic_fetch_add(&q->failed, d->n);
            atomic_fetch_add(&g_failed, d->n);
        } else {
            atomic_fetch_add(&q->stored, d->n);
            atomic_fetch_add(&g_stored, d->n);
        }
        atomic_fetch_add(&q->batches, 1);
        atomic_fetch_add(&g_batches, 1);
        if (q->cfg->resume != NULL)
            for (i = 0; i < d->n; i++)
                if (d->tokens[i] != NULL)
                    q->cfg->resume(d->tokens[i], err == TL_OK);
        free(d);
    }
    pthread_mutex_lock(&q->mu);
    if (--q->drains == 0)
        pthread_cond_broadcast(&q->drained);
    pthread_mutex_unlock(&q->mu);
}

/* Queues a drain job (drain_queued and drains already counted it); when
 * the store refuses, the module's thread takes the clicks instead. */
static void drain_submit(struct tl_clicks *q)
{
    enum tl_err err = TL_STORE(q->cfg->store, click_batch_async, drain_fill, drain_done, q);

    if (err == TL_OK)
        return;
    pthread_mutex_lock(&q->mu);
    q->drain_queued = false;
    if (--q->drains == 0)
        pthread_cond_broadcast(&q->drained);
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

static void *writer_main(void *arg)
{
    struct tl_clicks *q = arg;
    struct timespec deadline;
    enum tl_err err;
    size_t n, i;

    prctl(PR_SET_NAME, "tl-clicks"); /* for top and perf */

    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->n == 0 && !q->stopping) {
            q->writer_idle = true;
            pthread_cond_wait(&q->not_empty, &q->mu);
            q->writer_idle = false;
        }
        if (q->n == 0) {
            pthread_mutex_unlock(&q->mu);
            break;
        }
        /* In async mode a batch stays open up to linger_ms for company:
         * fewer, bigger commits write each hot page (rollup rows, index
         * leaves) once per batch. In sync mode what arrived while the last
         * batch committed is the next batch. */
        if (q->cfg->linger_ms > 0 && q->n < TL_CLICKS_BATCH_MAX && !q->stopping) {
            tl_time_deadline_us(&deadline, (int64_t)q->cfg->linger_ms * 1000);
            q->lingering = true;
            while (q->n < TL_CLICKS_BATCH_MAX && !q->stopping &&
                   pthread_cond_timedwait(&q->not_empty, &q->mu, &deadline) == 0)
                ;
            q->lingering = false;
        }
        n = take(q);
        pthread_mutex_unlock(&q->mu);

        err = TL_STORE(q->cfg->store, click_batch, q->batch, n);
        if (err != TL_OK) {
            fprintf(stderr, "tracklink: storing %zu clicks failed: %s\n", n, tl_err_str(err));
            atomic_fetch_add(&q->failed, n);
            atomic_fetch_add(&g_failed, n);
        } else {
            atomic_fetch_add(&q->stored, n);
            atomic_fetch_add(&g_stored, n);
        }
        atomic_fetch_add(&q->batches, 1);
        atomic_fetch_add(&g_batches, 1);
        if (q->cfg->resume != NULL)
            for (i = 0; i < n; i++)
                if (q->batch_tokens[i] != NULL)
                    q->cfg->resume(q->batch_tokens[i], err == TL_OK);
    }
    return NULL;
}

struct tl_clicks *tl_clicks_start(const struct tl_clicks_config *cfg)
{
    struct tl_clicks *q = calloc(1, sizeof(*q));
    pthread_condattr_t ca;

    if (q == NULL)
        return NULL;
    pthread_once(&metrics_once, register_metrics);
    q->cfg = cfg;
    q->cap = cfg->queue_cap > 0 ? cfg->queue_cap : TL_CLICKS_QUEUE_DEFAULT;
    q->ring = calloc(q->cap, sizeof(*q->ring));
    q->tokens = calloc(q->cap, sizeof(*q->tokens));
    q->batch = calloc(TL_CLICKS_BATCH_MAX, sizeof(*q->batch));
    q->batch_tokens = calloc(TL_CLICKS_BATCH_MAX, sizeof(*q->batch_tokens));
    if (q->ring == NULL || q->tokens == NULL || q->batch == NULL || q->batch_tokens == NULL)
        goto fail;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->not_empty, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&q->not_full, NULL);
    pthread_cond_init(&q->drained, NULL);
    q->drain = cfg->linger_ms == 0 && cfg->store->ops->click_batch_async != NULL;
    if (pthread_create(&q->thread, NULL, writer_main, q) != 0) {
        pthread_mutex_destroy(&q->mu);
        pthread_cond_destroy(&q->not_empty);
        pthread_cond_destroy(&q->not_full);
        goto fail;
    }
    return q;
fail:
    free(q->ring);
    free(q->tokens);
    free(q->batch);
    free(q->batch_tokens);
    free(q);
    return NULL;
}

enum tl_err tl_clicks_push(struct tl_clicks *q, const struct tl_click *k, void *token)
{
    size_t slot;
    bool drain = false;

    pthread_mutex_lock(&q->mu);
    while (q->n == q->cap && !q->stopping) {
        q->pushers_waiting++;
        pthread_cond_wait(&q->not_full, &q->mu);
        q->pushers_waiting--;
    }
    if (q->stopping) {
        pthread_mutex_unlock(&q->mu);
        return TL_ERR_BUSY;
    }
    slot = (q->head + q->n) % q->cap;
    click_copy(&q->ring[slot], k);
    q->tokens[slot] = token;
    q->n++;
    atomic_store(&g_depth, q->n);
    /* Wake the writer only when it sleeps: a busy writer takes this click
     * with the next batch, and a futex call per click would cost more
     * than the click. In drain mode the store's writer is told instead,
     * once per batch. */
    if (q->drain) {
        drain = !q->drain_queued;
        if (drain) {
            q->drain_queued = true;
            q->drains++;
        }
    } else if (q->writer_idle || (q->lingering && q->n == TL_CLICKS_BATCH_MAX)) {
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    atomic_fetch_add(&q->queued, 1);
    if (drain)
        drain_submit(q);
    return TL_OK;
}

void tl_clicks_stop(struct tl_clicks *q)
{
    if (q == NULL)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_mutex_lock(&q->mu);
    while (q->drains > 0)
        pthread_cond_wait(&q->drained, &q->mu);
    pthread_mutex_unlock(&q->mu);
    pthread_cond_destroy(&q->drained);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->ring);
    free(q->tokens);
    free(q->batch);
    free(q->batch_tokens);
    free(q);
}

void tl_clicks_stats(struct tl_clicks *q, struct tl_clicks_stats *out)
{
    out->queued = atomic_load(&q->queued);
    out->stored = atomic_load(&q->stored);
    out->failed = atomic_load(&q->failed);
    out->batches = atomic_load(&q->batches);
    pthread_mutex_lock(&q->mu);
    out->depth = q->n;
    pthread_mutex_unlock(&q->mu);
}
