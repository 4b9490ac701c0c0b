/*
 * rejections.h: the recorder of refused conversion attempts.
 *
 * A refused POST /conversions or GET /postback is answered at once; what
 * it was (struct tl_rejection) is copied into a bounded in-memory queue,
 * and one thread writes the queue to the store in batches (rejection_add:
 * one writer job per batch, group-committed with the other writes), so
 * that no request waits for a commit of its refusal. A batch is written
 * TL_REJECTIONS_LINGER_MS after its first entry, or once it holds
 * TL_REJECTIONS_FLUSH_AT: the store has one writer, and a commit per
 * refusal would make every write behind it wait (measured: a client
 * refused in a loop got 4x fewer answers per second). The queue is two
 * buffers of TL_REJECTIONS_QUEUE entries: callers fill one while the
 * thread writes the other. When the one being filled is full, a rejection
 * is dropped and counted in /metrics (tracklink_rejections_dropped_total);
 * a caller never blocks on the store.
 *
 * The same thread applies the retention: at start and every prune_every_ms
 * it asks the store to remove the rejections older than max_age_ms and all
 * but the newest max_rows of each program (rejection_prune).
 *
 * What a rejection keeps of each value is capped (model.h), and text that
 * is not UTF-8 keeps its ASCII bytes and gets '?' for the others, so that
 * every stored rejection can be shown as JSON.
 */
#ifndef TL_TRACK_REJECTIONS_H
#define TL_TRACK_REJECTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "store/store.h"

#define TL_REJECTIONS_QUEUE       1024          /* entries per buffer */
#define TL_REJECTIONS_QUEUE_BYTES (1024 * 1024) /* their strings, per buffer */
#define TL_REJECTIONS_FLUSH_AT    (TL_REJECTIONS_QUEUE / 2) /* entries that start a write */
#define TL_REJECTIONS_LINGER_MS   250 /* the longest an entry waits for company */

#define TL_REJECTIONS_MAX_AGE_MS  (90LL * 86400 * 1000)
#define TL_REJECTIONS_MAX_ROWS    10000
#define TL_REJECTIONS_PRUNE_EVERY (600LL * 1000)

struct tl_rejections_config {
    struct tl_store *store;
    int64_t max_age_ms;     /* retention by age; 0: none */
    int64_t max_rows;       /* at most this many per program (per brand without one); 0: none */
    int64_t prune_every_ms; /* how often the retention runs; > 0 */
};

struct tl_rejections;

/* Starts the recorder's thread (cfg is copied; the store must outlive
 * it). On failure writes why and returns NULL. */
struct tl_rejections *tl_rejections_start(const struct tl_rejections_config *cfg, char *why,
                                          size_t why_len);

/*
 * Queues a copy of r (its id is ignored; received_at 0 means now). Never
 * waits for the store: a full queue drops r and counts it. Any thread;
 * r's strings are borrowed for the call only. NULL q is a no-op.
 */
void tl_rejections_add(struct tl_rejections *q, const struct tl_rejection *r);

/* Writes what is queued, stops the thread and frees q. NULL is a no-op. */
void tl_rejections_stop(struct tl_rejections *q);

#endif
