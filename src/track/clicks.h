/*
 * clicks.h: the click queue and its writer thread.
 *
 * Redirects push clicks into a bounded queue (preallocated slots: a push
 * copies the click and allocates nothing). One writer thread takes what is
 * queued, at most TL_CLICKS_BATCH_MAX clicks, and stores them with their hourly rollups
 * in one transaction (tl_store click_batch). While a batch commits, the
 * next one gathers, so batches grow with the load.
 *
 * Durability: in async mode a redirect is answered once its click is
 * queued (a crash loses at most what was queued and not yet committed; a
 * clean stop drains the queue). In sync mode the redirect passes a token,
 * and the writer hands it to cfg->resume once the click's batch has
 * committed: the redirect is answered only then.
 *
 * A full queue makes tl_clicks_push wait: a click is never dropped. A
 * batch the store refuses is kept and tried again, with a backoff from
 * TL_CLICKS_RETRY_FIRST_MS doubling to TL_CLICKS_RETRY_MAX_MS, until it
 * is stored; meanwhile the queue fills and redirects wait. The log says
 * once that the store fails and once that it works again; /metrics counts
 * the retries (tracklink_click_batch_retries_total) and shows the state
 * (tracklink_click_store_failing). Only at shutdown is a click given up:
 * once tl_clicks_shutdown has been called, a failing store has
 * TL_CLICKS_STOP_RETRY_MS more; after that each batch is tried once and,
 * when it fails, counted in tracklink_clicks_failed_total (its tokens
 * resumed with stored false).
 *
 * Conversions: a click whose redirect was answered before its commit
 * (async mode) may be converted while it is still queued. A conversion
 * that does not find its click reads tl_clicks_floor before its lookup,
 * and asks tl_clicks_wait afterwards whether the click can be one of
 * those; if so it is called back once everything pushed until then is
 * stored, and looks again.
 */
#ifndef TL_TRACK_CLICKS_H
#define TL_TRACK_CLICKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/model.h"
#include "store/store.h"

#define TL_CLICKS_BATCH_MAX      2000
#define TL_CLICKS_LINGER_MS      10 /* the longest a batch stays open in async mode */
#define TL_CLICKS_QUEUE_DEFAULT  16384
#define TL_CLICKS_RETRY_FIRST_MS 10    /* the wait after a batch failed, doubling */
#define TL_CLICKS_RETRY_MAX_MS   1000  /* ... up to this */
#define TL_CLICKS_STOP_RETRY_MS  10000 /* a failing store's time once shutdown began */

struct tl_clicks;

struct tl_clicks_config {
    struct tl_store *store;
    size_t queue_cap; /* slots; 0: TL_CLICKS_QUEUE_DEFAULT */
    /* How long a batch may stay open for more clicks, once it has one
     * (async mode: nobody waits for the commit, and bigger batches write
     * each hot page once). 0: commit what is there at once (sync mode):
     * then, when the store has click_batch_async, batches go straight to
     * its writer as drain jobs, and resume is called on the store's
     * thread. */
    int linger_ms;
    /* Called with each token once its click is stored (stored is false
     * when the click was given up at shutdown), on the click thread or the
     * store's writer thread. May be NULL. */
    void (*resume)(void *token, bool stored);
};

/* Starts the writer. cfg must outlive the queue. NULL on failure. */
struct tl_clicks *tl_clicks_start(const struct tl_clicks_config *cfg);

/*
 * Queues a copy of k, waiting while the queue is full. token (may be NULL)
 * goes to cfg->resume after the commit. Returns TL_ERR_BUSY once the queue
 * is stopping (nothing was queued).
 */
enum tl_err tl_clicks_push(struct tl_clicks *q, const struct tl_click *k, void *token);

/* The server is shutting down: from now on a failing store has
 * TL_CLICKS_STOP_RETRY_MS before clicks are given up. Pushes still work. */
void tl_clicks_shutdown(struct tl_clicks *q);

/* Stores everything queued, stops the writer and frees. Returns the
 * clicks that could not be stored (given up; logged). NULL is a no-op. */
uint64_t tl_clicks_stop(struct tl_clicks *q);

/*
 * A lower bound on the time (ms, as in the click id) of every click that
 * is queued or being stored and whose redirect was answered before its
 * commit (pushed without a token); INT64_MAX when there is none. Lock-free.
 */
int64_t tl_clicks_floor(struct tl_clicks *q);

/* A caller's place in the line of tl_clicks_wait; the caller owns it. */
struct tl_clicks_waiter {
    uint64_t target; /* called once this many clicks are settled */
    void (*cb)(void *arg, bool stored);
    void *arg;
    struct tl_clicks_waiter *next;
};

enum tl_clicks_wait {
    TL_CLICKS_NOT_PENDING, /* no such click can be waiting: nothing to wait for */
    TL_CLICKS_STORED,      /* everything pushed so far is stored: look again now */
    TL_CLICKS_WAITING,     /* cb(arg, stored) will be called */
    TL_CLICKS_FAILED,      /* tl_clicks_wait_blocking: a batch failed meanwhile */
};

/*
 * For a conversion whose click, of time at_ms, was not in the store, with
 * floor read by tl_clicks_floor before that lookup: whether the click may
 * have been queued then. If so, and clicks are still queued or being
 * stored, w is queued and cb(arg, true) is called once every click pushed
 * before this call is stored, or cb(arg, false) as soon as a batch fails
 * (the store is failing; the click is stored later). cb runs on the click
 * thread or the store's writer thread, after the commit, and must not
 * block; w must live until then. A waiting call cuts the batch's linger
 * short. Lock-free when the click cannot be waiting.
 */
enum tl_clicks_wait tl_clicks_wait(struct tl_clicks *q, int64_t floor, int64_t at_ms,
                                   struct tl_clicks_waiter *w, void (*cb)(void *arg, bool stored),
                                   void *arg);

/* The same for a thread that may block: waits for the call back itself.
 * Returns TL_CLICKS_NOT_PENDING, TL_CLICKS_STORED (look again) or
 * TL_CLICKS_FAILED (the store is failing). */
enum tl_clicks_wait tl_clicks_wait_blocking(struct tl_clicks *q, int64_t floor, int64_t at_ms);

/* Counters, for /metrics and the tests. */
struct tl_clicks_stats {
    uint64_t queued;  /* pushed */
    uint64_t stored;  /* committed */
    uint64_t failed;  /* given up at shutdown, never stored */
    uint64_t batches; /* transactions */
    uint64_t retries; /* batches tried again after a failure */
    uint64_t depth;   /* waiting now */
    bool failing;     /* the last attempt failed */
};
void tl_clicks_stats(struct tl_clicks *q, struct tl_clicks_stats *out);

#endif
