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
 * A full queue makes tl_clicks_push wait: a click is never dropped.
 */
#ifndef TL_TRACK_CLICKS_H
#define TL_TRACK_CLICKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/model.h"
#include "store/store.h"

#define TL_CLICKS_BATCH_MAX 2000
#define TL_CLICKS_LINGER_MS 10 /* the longest a batch stays open in async mode */
#define TL_CLICKS_QUEUE_DEFAULT 16384

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
     * when the batch failed), on the click thread or the store's writer
     * thread. May be NULL. */
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

/* Stores everything queued, stops the writer and frees. NULL is a no-op. */
void tl_clicks_stop(struct tl_clicks *q);

/* Counters, for /metrics and the tests. */
struct tl_clicks_stats {
    uint64_t queued;  /* pushed */
    uint64_t stored;  /* committed */
    uint64_t failed;  /* in batches that failed */
    uint64_t batches; /* transactions */
    uint64_t depth;   /* waiting now */
};
void tl_clicks_stats(struct tl_clicks *q, struct tl_clicks_stats *out);

#endif
