/*
 * rejections.c: the recorder of refused conversion attempts (see
 * rejections.h): two buffers under one mutex, and the thread that writes
 * them to the store and applies the retention.
 */
#include "track/rejections.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "core/arena.h"
#include "core/time.h"
#include "http/metrics.h"

#define CODE_MAX  64
#define FIELD_MAX 64

/* One buffer: the entries and the arena their strings are copied into. */
struct buf {
    struct tl_rejection *items; /* TL_REJECTIONS_QUEUE of them */
    size_t n;
    struct tl_arena *a;
};

struct tl_rejections {
    struct tl_rejections_config cfg;
    struct buf bufs[2];
    int fill; /* the buffer callers copy into; the thread writes the other (under mu) */
    int64_t first_ms; /* when the filling buffer got its first entry (monotonic, under mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    bool stopping;
    pthread_t thread;
};

/* Process-wide counters for /metrics (the last recorder started feeds them). */
static _Atomic uint64_t g_stored, g_dropped, g_failed, g_pruned, g_queued;
static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void register_metrics(void)
{
    tl_metrics_register("tracklink_rejections_stored_total",
                        "Refused conversion attempts written to the store.", TL_METRIC_COUNTER,
                        &g_stored);
    tl_metrics_register("tracklink_rejections_dropped_total",
                        "Refused conversion attempts not kept: the queue was full.",
                        TL_METRIC_COUNTER, &g_dropped);
    tl_metrics_register("tracklink_rejections_failed_total",
                        "Refused conversion attempts lost in a failed store write.",
                        TL_METRIC_COUNTER, &g_failed);
    tl_metrics_register("tracklink_rejections_pruned_total",
                        "Stored refused conversion attempts removed by the retention.",
                        TL_METRIC_COUNTER, &g_pruned);
    tl_metrics_register("tracklink_rejections_queued",
                        "Refused conversion attempts waiting to be written.", TL_METRIC_GAUGE,
                        &g_queued);
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Copies at most cap bytes of s into a, not cutting a UTF-8 sequence;
 * text that is not UTF-8 (jansson's check, as the list will render it)
 * keeps its ASCII bytes and gets '?' for the others. NULL stays NULL;
 * *ok is cleared when the arena is full.
 */
static const char *copy_text(struct tl_arena *a, const char *s, size_t cap, bool *ok)
{
    size_t n, i;
    json_t *probe;
    char *out;

    if (s == NULL)
        return NULL;
    n = strnlen(s, cap + 1);
    if (n > cap) {
        n = cap;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] continues a sequence: cut before its start */
    }
    out = tl_arena_strndup(a, s, n);
    if (out == NULL) {
        *ok = false;
        return NULL;
    }
    probe = json_stringn(out, n);
    if (probe == NULL) {
        for (i = 0; i < n; i++)
            if ((unsigned char)out[i] >= 0x80)
                out[i] = '?';
    }
    json_decref(probe);
    return out;
}

/* Copies r into b's next entry (under mu). False when b has no room. */
static bool copy_in(struct buf *b, const struct tl_rejection *r)
{
    struct tl_rejection *d;
    bool ok = true;

    if (b->n == TL_REJECTIONS_QUEUE)
        return false;
    d = &b->items[b->n];
    *d = *r;
    d->id = 0;
    if (d->received_at == 0)
        d->received_at = tl_time_now_ms();
    d->code = copy_text(b->a, r->code, CODE_MAX, &ok);
    d->detail = copy_text(b->a, r->detail, TL_REJECTION_DETAIL_MAX, &ok);
    d->field = copy_text(b->a, r->field, FIELD_MAX, &ok);
    d->click_id = copy_text(b->a, r->click_id, TL_CLICK_ID_MAX, &ok);
    d->order_id = copy_text(b->a, r->order_id, TL_ORDER_ID_MAX, &ok);
    d->event_type = copy_text(b->a, r->event_type, TL_EVENT_TYPE_MAX, &ok);
    d->currency = copy_text(b->a, r->currency, TL_REJECTION_CURRENCY_MAX, &ok);
    /* Facts are JSON: a cut would break them, so too long ones are {}. */
    d->facts = copy_text(
        b->a, r->facts != NULL && strlen(r->facts) <= TL_REJECTION_FACTS_MAX ? r->facts : "{}",
        TL_REJECTION_FACTS_MAX, &ok);
    if (!ok)
        return false; /* what was copied stays in the arena until its reset */
    b->n++;
    return true;
}

void tl_rejections_add(struct tl_rejections *q, const struct tl_rejection *r)
{
    struct buf *b;
    bool was_empty, kept;

    if (q == NULL || r == NULL)
        return;
    pthread_mutex_lock(&q->mu);
    b = &q->bufs[q->fill];
    was_empty = b->n == 0;
    kept = !q->stopping && copy_in(b, r);
    if (kept && was_empty)
        q->first_ms = mono_ms();
    /* The thread waits for the first entry's linger to end, or for this. */
    if (kept && (was_empty || b->n == TL_REJECTIONS_FLUSH_AT))
        pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    if (kept)
        atomic_fetch_add_explicit(&g_queued, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&g_dropped, 1, memory_order_relaxed);
}

/* Writes one buffer (the thread's, not under mu). */
static void write_buf(struct tl_rejections *q, struct buf *b)
{
    enum tl_err err = TL_STORE(q->cfg.store, rejection_add, b->items, b->n);

    atomic_fetch_add_explicit(err == TL_OK ? &g_stored : &g_failed, b->n, memory_order_relaxed);
    atomic_fetch_sub_explicit(&g_queued, b->n, memory_order_relaxed);
    if (err != TL_OK) {
        fprintf(stderr, "tracklink: %zu rejected conversion attempts not stored: %s\n", b->n,
                tl_err_str(err));
        fflush(stderr);
    }
}

static void prune(struct tl_rejections *q)
{
    int64_t before = q->cfg.max_age_ms > 0 ? tl_time_now_ms() - q->cfg.max_age_ms : 0;
    uint64_t removed = 0;
    enum tl_err err;

    err = TL_STORE(q->cfg.store, rejection_prune, before, q->cfg.max_rows, &removed);
    atomic_fetch_add_explicit(&g_pruned, removed, memory_order_relaxed);
    if (err != TL_OK) {
        fprintf(stderr, "tracklink: pruning rejected conversion attempts failed: %s\n",
                tl_err_str(err));
        fflush(stderr);
    }
}

static void *recorder_main(void *arg)
{
    struct tl_rejections *q = arg;
    int64_t next_prune = mono_ms(); /* once at start */
    struct timespec deadline;
    struct buf *b;
    int64_t now, wake;

    prctl(PR_SET_NAME, "tl-rejections");
    pthread_mutex_lock(&q->mu);
    for (;;) {
        b = &q->bufs[q->fill];
        now = mono_ms();
        if (b->n > 0 && (q->stopping || b->n >= TL_REJECTIONS_FLUSH_AT ||
                         now - q->first_ms >= TL_REJECTIONS_LINGER_MS)) {
            /* Callers fill the other buffer while this one is written. */
            q->fill ^= 1;
            pthread_mutex_unlock(&q->mu);
            write_buf(q, b);
            pthread_mutex_lock(&q->mu);
            b->n = 0;
            tl_arena_reset(b->a);
            continue;
        }
        if (q->stopping)
            break;
        if (now >= next_prune) {
            pthread_mutex_unlock(&q->mu);
            prune(q);
            pthread_mutex_lock(&q->mu);
            next_prune = mono_ms() + q->cfg.prune_every_ms;
            continue;
        }
        wake = next_prune;
        if (b->n > 0 && q->first_ms + TL_REJECTIONS_LINGER_MS < wake)
            wake = q->first_ms + TL_REJECTIONS_LINGER_MS;
        tl_time_deadline_us(&deadline, (wake - now) * 1000);
        pthread_cond_timedwait(&q->cv, &q->mu, &deadline);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void bufs_free(struct tl_rejections *q)
{
    int i;

    for (i = 0; i < 2; i++) {
        free(q->bufs[i].items);
        tl_arena_free(q->bufs[i].a);
    }
}

struct tl_rejections *tl_rejections_start(const struct tl_rejections_config *cfg, char *why,
                                          size_t why_len)
{
    struct tl_rejections *q = calloc(1, sizeof(*q));
    pthread_condattr_t ca;
    int i;

    if (q == NULL) {
        snprintf(why, why_len, "out of memory for the rejections queue");
        return NULL;
    }
    q->cfg = *cfg;
    if (q->cfg.prune_every_ms <= 0)
        q->cfg.prune_every_ms = TL_REJECTIONS_PRUNE_EVERY;
    for (i = 0; i < 2; i++) {
        q->bufs[i].items = calloc(TL_REJECTIONS_QUEUE, sizeof(*q->bufs[i].items));
        q->bufs[i].a = tl_arena_new(TL_REJECTIONS_QUEUE_BYTES);
        if (q->bufs[i].items == NULL || q->bufs[i].a == NULL) {
            bufs_free(q);
            free(q);
            snprintf(why, why_len, "out of memory for the rejections queue");
            return NULL;
        }
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_once(&metrics_once, register_metrics);
    if (pthread_create(&q->thread, NULL, recorder_main, q) != 0) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        bufs_free(q);
        free(q);
        snprintf(why, why_len, "cannot start the rejections thread");
        return NULL;
    }
    return q;
}

void tl_rejections_stop(struct tl_rejections *q)
{
    if (q == NULL)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = true;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    bufs_free(q);
    free(q);
}
