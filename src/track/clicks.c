/*
 * clicks.c: the click queue (a ring of preallocated slots under one mutex)
 * and the writer thread that stores batches of clicks, keeps a failed
 * batch until the store takes it, and calls back the conversions that
 * wait for queued clicks (see clicks.h).
 *
 * Every click has a place in line: pushed, taken out of the ring, settled
 * (stored, or given up at shutdown), counted by q->pushed, q->taken and
 * q->settled. Batches settle in the order they were taken (one consumer at
 * a time: the click thread in async mode, the store's drain jobs in sync
 * mode, the click thread again while it owns a failed drain batch), so
 * "settled >= n" means that the first n clicks pushed are settled.
 */
#include "track/clicks.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "core/time.h"
#include "http/metrics.h"

/* A batch taken by a drain job (sync mode), copied out of the ring. */
struct drained {
    size_t n;
    enum tl_err err; /* of the drain job, when it failed */
    void **tokens;
    struct tl_click clicks[];
};

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
    bool flush;             /* a conversion waits: no lingering for the next batch */
    size_t pushers_waiting; /* pushes waiting on not_full */
    pthread_t thread;
    /* the writer's batch, copied out of the ring */
    struct tl_click *batch;
    void **batch_tokens;
    /* Sync mode: no hop through this module's thread. A push queues a
     * drain job on the store's writer when none is queued; the job takes
     * what the ring holds when the writer gets to it, and its callback
     * resumes the tokens after the commit. */
    bool drain;        /* sync mode, and the store can (click_batch_async) */
    bool drain_queued; /* a drain job waits for the writer (under mu) */
    size_t drains;     /* drain jobs not called back yet (under mu) */
    /* The click thread stores instead of drain jobs (a drain batch failed
     * or memory ran out), until the ring is empty again (under mu). */
    bool owned;
    struct drained *retry; /* a failed drain batch, for the click thread */
    /* The line (under mu). */
    uint64_t pushed, taken, settled;
    /* Lower bounds on the times of the clicks pushed without a token:
     * those in the ring (since it was last emptied) and those taken and
     * not settled; INT64_MAX when there are none. floor is their minimum,
     * published for tl_clicks_floor; max_ms the greatest time pushed. */
    int64_t ring_min, flight_min;
    _Atomic int64_t floor, max_ms;
    struct tl_clicks_waiter *wait_head, *wait_tail;
    int64_t give_up_at; /* monotonic ms after which a failed batch is given up; 0: never */
    /* A failure in progress: when it began (monotonic ms), its retries. */
    _Atomic bool failing;
    int64_t fail_since;
    _Atomic uint64_t fail_retries;
    _Atomic uint64_t queued, stored, failed, batches, retries;
};

/* Process-wide counters for /metrics (the last queue started feeds them). */
static _Atomic uint64_t g_queued, g_stored, g_failed, g_batches, g_depth, g_retries, g_failing;
static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void register_metrics(void)
{
    tl_metrics_register("tracklink_clicks_queued_total", "Clicks taken into the click queue.",
                        TL_METRIC_COUNTER, &g_queued);
    tl_metrics_register("tracklink_clicks_stored_total", "Clicks committed to the store.",
                        TL_METRIC_COUNTER, &g_stored);
    tl_metrics_register("tracklink_clicks_failed_total",
                        "Clicks never stored: given up when the store still failed at shutdown.",
                        TL_METRIC_COUNTER, &g_failed);
    tl_metrics_register("tracklink_click_batches_total", "Click batches committed.",
                        TL_METRIC_COUNTER, &g_batches);
    tl_metrics_register("tracklink_click_queue_depth", "Clicks waiting for the writer.",
                        TL_METRIC_GAUGE, &g_depth);
    tl_metrics_register("tracklink_click_batch_retries_total",
                        "Click batches tried again after the store refused them.",
                        TL_METRIC_COUNTER, &g_retries);
    tl_metrics_register("tracklink_click_store_failing",
                        "1 while the store refuses click batches (they are kept and retried).",
                        TL_METRIC_GAUGE, &g_failing);
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
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

/* ---- the line ---- */

/* Copies the first n clicks of the ring out and moves the line (under mu). */
static void take_into(struct tl_clicks *q, size_t n, struct tl_click *clicks, void **tokens)
{
    size_t i, slot;

    for (i = 0; i < n; i++) {
        slot = (q->head + i) % q->cap;
        click_copy(&clicks[i], &q->ring[slot]);
        tokens[i] = q->tokens[slot];
    }
    q->head = (q->head + n) % q->cap;
    q->n -= n;
    q->taken += n;
    q->flight_min = min64(q->flight_min, q->ring_min);
    if (q->n == 0)
        q->ring_min = INT64_MAX;
    q->flush = false;
    atomic_store(&g_depth, q->n);
    if (q->pushers_waiting > 0)
        pthread_cond_broadcast(&q->not_full);
}

/* Takes up to TL_CLICKS_BATCH_MAX clicks into the thread's batch (under mu). */
static size_t take(struct tl_clicks *q)
{
    size_t n = q->n < TL_CLICKS_BATCH_MAX ? q->n : TL_CLICKS_BATCH_MAX;

    take_into(q, n, q->batch, q->batch_tokens);
    return n;
}

/* Detaches the waiters to call: those whose clicks are all settled, or
 * every one when all is set (under mu). */
static struct tl_clicks_waiter *waiters_due(struct tl_clicks *q, bool all)
{
    struct tl_clicks_waiter *first = q->wait_head, *last = NULL, *w;

    for (w = q->wait_head; w != NULL && (all || w->target <= q->settled); w = w->next)
        last = w;
    if (last == NULL)
        return NULL;
    q->wait_head = last->next;
    if (q->wait_head == NULL)
        q->wait_tail = NULL;
    last->next = NULL;
    return first;
}

static void waiters_call(struct tl_clicks_waiter *w, bool stored)
{
    struct tl_clicks_waiter *next;

    for (; w != NULL; w = next) {
        next = w->next; /* w may be gone once called */
        w->cb(w->arg, stored);
    }
}

static void failing_begin(struct tl_clicks *q, enum tl_err err)
{
    if (atomic_exchange(&q->failing, true))
        return;
    q->fail_since = mono_ms();
    atomic_store(&q->fail_retries, 0);
    atomic_store(&g_failing, 1);
    fprintf(stderr,
            "tracklink: storing clicks failed (%s): they are kept and tried again; redirects "
            "wait once the click queue is full\n",
            tl_err_str(err));
}

static void failing_end(struct tl_clicks *q)
{
    if (!atomic_exchange(&q->failing, false))
        return;
    atomic_store(&g_failing, 0);
    fprintf(stderr, "tracklink: storing clicks works again, after %" PRIu64 " retries in %.1f s\n",
            atomic_load(&q->fail_retries), (double)(mono_ms() - q->fail_since) / 1000.0);
}

/* n clicks of the line are stored (or given up): counts, resumes their
 * tokens and calls the waiters that were waiting for them. */
static void settle(struct tl_clicks *q, void **tokens, size_t n, bool stored)
{
    struct tl_clicks_waiter *due;
    size_t i;

    pthread_mutex_lock(&q->mu);
    q->settled += n;
    if (q->settled == q->taken)
        q->flight_min = INT64_MAX;
    atomic_store(&q->floor, min64(q->ring_min, q->flight_min));
    due = waiters_due(q, !stored);
    pthread_mutex_unlock(&q->mu);
    if (stored) {
        failing_end(q);
        atomic_fetch_add(&q->stored, n);
        atomic_fetch_add(&g_stored, n);
        atomic_fetch_add(&q->batches, 1);
        atomic_fetch_add(&g_batches, 1);
    } else {
        atomic_fetch_add(&q->failed, n);
        atomic_fetch_add(&g_failed, n);
    }
    if (q->cfg->resume != NULL)
        for (i = 0; i < n; i++)
            if (tokens[i] != NULL)
                q->cfg->resume(tokens[i], stored);
    waiters_call(due, stored);
}

/*
 * After a failed attempt (err): says so once, tells the waiting
 * conversions, and sleeps *backoff_ms (doubled for the next time, up to
 * TL_CLICKS_RETRY_MAX_MS). Returns false, at once, when the batch is to be
 * given up (shutdown began more than TL_CLICKS_STOP_RETRY_MS ago).
 */
static bool retry_wait(struct tl_clicks *q, enum tl_err err, int64_t *backoff_ms)
{
    struct tl_clicks_waiter *due;
    struct timespec ts;
    int64_t wake, until, now;
    bool give_up;

    failing_begin(q, err);
    pthread_mutex_lock(&q->mu);
    due = waiters_due(q, true);
    give_up = q->give_up_at != 0 && mono_ms() >= q->give_up_at;
    pthread_mutex_unlock(&q->mu);
    waiters_call(due, false);
    if (give_up)
        return false;
    atomic_fetch_add(&q->retries, 1);
    atomic_fetch_add(&q->fail_retries, 1);
    atomic_fetch_add(&g_retries, 1);
    wake = mono_ms() + *backoff_ms;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        /* tl_clicks_shutdown and tl_clicks_stop wake this wait: the
         * deadline to give up may come first. */
        until = q->give_up_at != 0 ? min64(wake, q->give_up_at) : wake;
        now = mono_ms();
        if (now >= until)
            break;
        tl_time_deadline_us(&ts, (until - now) * 1000);
        pthread_cond_timedwait(&q->not_empty, &q->mu, &ts);
    }
    pthread_mutex_unlock(&q->mu);
    *backoff_ms = min64(*backoff_ms * 2, TL_CLICKS_RETRY_MAX_MS);
    return true;
}

/* Stores a batch, trying again until the store takes it or it is given
 * up; first is the error of an attempt already made (TL_OK: none). */
static void store_batch(struct tl_clicks *q, const struct tl_click *clicks, void **tokens, size_t n,
                        enum tl_err first)
{
    int64_t backoff = TL_CLICKS_RETRY_FIRST_MS;
    enum tl_err err = first;

    for (;;) {
        if (err != TL_OK && !retry_wait(q, err, &backoff)) {
            settle(q, tokens, n, false);
            return;
        }
        err = TL_STORE(q->cfg->store, click_batch, clicks, n);
        if (err == TL_OK) {
            settle(q, tokens, n, true);
            return;
        }
    }
}

/* ---- sync mode: drain jobs on the store's writer ---- */

static void drain_submit(struct tl_clicks *q);

/* On the writer thread, inside its transaction: the clicks to store. */
static void *drain_fill(void *ctx, const struct tl_click **clicks, size_t *n)
{
    struct tl_clicks *q = ctx;
    struct drained *d = NULL;
    size_t m;
    bool more = false;

    *clicks = NULL;
    *n = 0;
    pthread_mutex_lock(&q->mu);
    q->drain_queued = false;
    m = q->owned ? 0 : q->n < TL_CLICKS_BATCH_MAX ? q->n : TL_CLICKS_BATCH_MAX;
    if (m > 0)
        d = malloc(sizeof(*d) + m * sizeof(d->clicks[0]) + m * sizeof(void *));
    if (d != NULL) {
        d->n = m;
        d->err = TL_OK;
        d->tokens = (void **)(void *)&d->clicks[m];
        take_into(q, m, d->clicks, d->tokens);
        *clicks = d->clicks;
        *n = m;
    } else if (m > 0) {
        q->owned = true; /* out of memory: the thread takes them */
        pthread_cond_signal(&q->not_empty);
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

/*
 * On the writer thread, after the commit. A failed batch goes to the click
 * thread, which owns the line until the store works again: drain jobs
 * take nothing meanwhile (the next one's fill runs after this call), so
 * the batches still settle in order.
 */
static void drain_done(void *ctx, void *handle, enum tl_err err)
{
    struct tl_clicks *q = ctx;
    struct drained *d = handle;
    struct tl_clicks_waiter *due = NULL;

    if (d != NULL && err != TL_OK) {
        failing_begin(q, err);
        d->err = err;
        pthread_mutex_lock(&q->mu);
        q->owned = true;
        q->retry = d;
        due = waiters_due(q, true);
        q->drains--;
        pthread_cond_signal(&q->not_empty);
        pthread_mutex_unlock(&q->mu);
        waiters_call(due, false);
        return;
    }
    if (d != NULL) {
        settle(q, d->tokens, d->n, true);
        free(d);
    }
    pthread_mutex_lock(&q->mu);
    q->drains--;
    if (q->stopping && q->drains == 0)
        pthread_cond_signal(&q->not_empty);
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
    q->drains--;
    q->owned = true;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

/* ---- the click thread ---- */

/* Whether the click thread has work (under mu). */
static bool thread_has_work(const struct tl_clicks *q)
{
    return q->retry != NULL || (q->n > 0 && (!q->drain || q->owned || q->stopping)) ||
           (q->stopping && q->n == 0 && q->drains == 0);
}

static void *writer_main(void *arg)
{
    struct tl_clicks *q = arg;
    struct timespec deadline;
    struct drained *d;
    size_t n;

    prctl(PR_SET_NAME, "tl-clicks"); /* for top and perf */

    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (!thread_has_work(q)) {
            q->writer_idle = true;
            pthread_cond_wait(&q->not_empty, &q->mu);
            q->writer_idle = false;
        }
        if (q->retry != NULL) {
            d = q->retry;
            q->retry = NULL;
            pthread_mutex_unlock(&q->mu);
            store_batch(q, d->clicks, d->tokens, d->n, d->err);
            free(d);
        } else if (q->n == 0) {
            pthread_mutex_unlock(&q->mu);
            break; /* stopping, and everything is settled */
        } else {
            /* In async mode a batch stays open up to linger_ms for
             * company: fewer, bigger commits write each hot page (rollup
             * rows, index leaves) once per batch. In sync mode what
             * arrived while the last batch committed is the next batch. A
             * waiting conversion (flush) has it committed at once. */
            if (q->cfg->linger_ms > 0 && q->n < TL_CLICKS_BATCH_MAX && !q->stopping && !q->flush) {
                tl_time_deadline_us(&deadline, (int64_t)q->cfg->linger_ms * 1000);
                q->lingering = true;
                while (q->n < TL_CLICKS_BATCH_MAX && !q->stopping && !q->flush &&
                       pthread_cond_timedwait(&q->not_empty, &q->mu, &deadline) == 0)
                    ;
                q->lingering = false;
            }
            n = take(q);
            pthread_mutex_unlock(&q->mu);
            store_batch(q, q->batch, q->batch_tokens, n, TL_OK);
        }
        /* Owning the line (a drain batch failed, or memory ran out), this
         * thread gives it back to the drain jobs once the store works and
         * the ring is empty. */
        pthread_mutex_lock(&q->mu);
        if (q->owned && q->n == 0 && q->retry == NULL && !atomic_load(&q->failing))
            q->owned = false;
        pthread_mutex_unlock(&q->mu);
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
    atomic_store(&g_failing, 0);
    q->cfg = cfg;
    q->cap = cfg->queue_cap > 0 ? cfg->queue_cap : TL_CLICKS_QUEUE_DEFAULT;
    q->ring = calloc(q->cap, sizeof(*q->ring));
    q->tokens = calloc(q->cap, sizeof(*q->tokens));
    q->batch = calloc(TL_CLICKS_BATCH_MAX, sizeof(*q->batch));
    q->batch_tokens = calloc(TL_CLICKS_BATCH_MAX, sizeof(*q->batch_tokens));
    if (q->ring == NULL || q->tokens == NULL || q->batch == NULL || q->batch_tokens == NULL)
        goto fail;
    q->ring_min = q->flight_min = INT64_MAX;
    atomic_store(&q->floor, INT64_MAX);
    atomic_store(&q->max_ms, INT64_MIN);
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->not_empty, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&q->not_full, NULL);
    q->drain = cfg->linger_ms == 0 && tl_store_can(cfg->store, TL_STORE_QUEUED_WRITES);
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
    q->pushed++;
    /* Its answer goes out before the commit: a conversion may come first. */
    if (token == NULL) {
        if (k->ts_ms < q->ring_min) {
            q->ring_min = k->ts_ms;
            if (k->ts_ms < atomic_load_explicit(&q->floor, memory_order_relaxed))
                atomic_store(&q->floor, k->ts_ms);
        }
        if (k->ts_ms > atomic_load_explicit(&q->max_ms, memory_order_relaxed))
            atomic_store_explicit(&q->max_ms, k->ts_ms, memory_order_relaxed);
    }
    atomic_store(&g_depth, q->n);
    /* Wake the writer only when it sleeps: a busy writer takes this click
     * with the next batch, and a futex call per click would cost more
     * than the click. In drain mode the store's writer is told instead,
     * once per batch. */
    if (q->drain && !q->owned) {
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
    atomic_fetch_add(&g_queued, 1);
    if (drain)
        drain_submit(q);
    return TL_OK;
}

void tl_clicks_shutdown(struct tl_clicks *q)
{
    pthread_mutex_lock(&q->mu);
    if (q->give_up_at == 0)
        q->give_up_at = mono_ms() + TL_CLICKS_STOP_RETRY_MS;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

uint64_t tl_clicks_stop(struct tl_clicks *q)
{
    struct tl_clicks_waiter *due;
    uint64_t lost;

    if (q == NULL)
        return 0;
    tl_clicks_shutdown(q);
    pthread_mutex_lock(&q->mu);
    q->stopping = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_mutex_lock(&q->mu);
    due = waiters_due(q, true); /* none: every click is settled */
    pthread_mutex_unlock(&q->mu);
    waiters_call(due, false);
    lost = atomic_load(&q->failed);
    if (lost > 0)
        fprintf(stderr,
                "tracklink: %" PRIu64 " clicks could not be stored: the store still failed %d s "
                "after shutdown began\n",
                lost, TL_CLICKS_STOP_RETRY_MS / 1000);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->ring);
    free(q->tokens);
    free(q->batch);
    free(q->batch_tokens);
    free(q);
    return lost;
}

int64_t tl_clicks_floor(struct tl_clicks *q)
{
    return atomic_load(&q->floor);
}

enum tl_clicks_wait tl_clicks_wait(struct tl_clicks *q, int64_t floor, int64_t at_ms,
                                   struct tl_clicks_waiter *w, void (*cb)(void *arg, bool stored),
                                   void *arg)
{
    /* Older than every click that was waiting when the conversion came,
     * or newer than every click pushed: not a waiting click. */
    if (at_ms < floor || at_ms > atomic_load_explicit(&q->max_ms, memory_order_relaxed))
        return TL_CLICKS_NOT_PENDING;
    pthread_mutex_lock(&q->mu);
    if (q->settled == q->pushed) {
        pthread_mutex_unlock(&q->mu);
        return TL_CLICKS_STORED;
    }
    w->target = q->pushed;
    w->cb = cb;
    w->arg = arg;
    w->next = NULL;
    if (q->wait_tail != NULL)
        q->wait_tail->next = w;
    else
        q->wait_head = w;
    q->wait_tail = w;
    if (q->taken < q->pushed) {
        q->flush = true;
        if (q->lingering)
            pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    return TL_CLICKS_WAITING;
}

struct blocking_wait {
    sem_t done;
    bool stored;
};

static void blocking_done(void *arg, bool stored)
{
    struct blocking_wait *b = arg;

    b->stored = stored;
    sem_post(&b->done); /* b may be gone once posted (see sq_run_job) */
}

enum tl_clicks_wait tl_clicks_wait_blocking(struct tl_clicks *q, int64_t floor, int64_t at_ms)
{
    struct tl_clicks_waiter w;
    struct blocking_wait b;
    enum tl_clicks_wait r;

    if (sem_init(&b.done, 0, 0) != 0)
        return TL_CLICKS_FAILED;
    b.stored = false;
    r = tl_clicks_wait(q, floor, at_ms, &w, blocking_done, &b);
    if (r == TL_CLICKS_WAITING) {
        while (sem_wait(&b.done) != 0 && errno == EINTR)
            ;
        r = b.stored ? TL_CLICKS_STORED : TL_CLICKS_FAILED;
    }
    sem_destroy(&b.done);
    return r;
}

void tl_clicks_stats(struct tl_clicks *q, struct tl_clicks_stats *out)
{
    out->queued = atomic_load(&q->queued);
    out->stored = atomic_load(&q->stored);
    out->failed = atomic_load(&q->failed);
    out->batches = atomic_load(&q->batches);
    out->retries = atomic_load(&q->retries);
    out->failing = atomic_load(&q->failing);
    pthread_mutex_lock(&q->mu);
    out->depth = q->n;
    pthread_mutex_unlock(&q->mu);
}
