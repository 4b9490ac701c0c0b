/*
 * track.h: the redirect hot path: GET /{code} and
 * GET /c/{partner_id}/{task_id}/{campaign_id}, answered with a 302 from
 * the link cache, the click recorded through the click queue.
 *
 * A redirect runs first on the libmicrohttpd thread (req->may_block is
 * false). On a cache hit it answers at once and blocks on nothing but a
 * full click queue. On a miss it returns TL_ERR_AGAIN, and the server runs
 * it again on a worker thread, which reads the store and fills the cache.
 * In sync durability the answer is deferred until the click's batch has
 * committed (tl_req_defer / tl_http_resume).
 *
 * Everything a redirect builds lives in the request's arena.
 */
#ifndef TL_TRACK_TRACK_H
#define TL_TRACK_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/http.h"
#include "store/store.h"
#include "track/cache.h"
#include "track/clicks.h"

#define TL_TRACK_CACHE_DEFAULT (1024 * 1024)
#define TL_TRACK_UNIQ_DEFAULT (1024 * 1024)

struct tl_track_config {
    struct tl_store *store;
    bool sync;            /* --click-durability sync */
    bool trust_proxy;     /* client IP from the last X-Forwarded-For hop */
    size_t cache_entries; /* 0: TL_TRACK_CACHE_DEFAULT */
    size_t uniq_entries;  /* 0: TL_TRACK_UNIQ_DEFAULT */
    size_t queue_cap;     /* 0: TL_CLICKS_QUEUE_DEFAULT */
};

struct tl_track;

/* Starts the cache, the unique-visitor table and the click writer. cfg is
 * copied. On failure writes why and returns NULL. */
struct tl_track *tl_track_start(const struct tl_track_config *cfg, char *why, size_t why_len);

/* The server is shutting down: a failing store has TL_CLICKS_STOP_RETRY_MS
 * more to take the queued clicks (tl_clicks_shutdown). */
void tl_track_shutdown(struct tl_track *t);

/* Drains the click queue (every queued click is stored) and frees.
 * Returns the clicks that could not be stored (the store still failed
 * TL_CLICKS_STOP_RETRY_MS after shutdown began). NULL is a no-op. */
uint64_t tl_track_stop(struct tl_track *t);

/* The link cache, for the API's invalidations. */
struct tl_cache *tl_track_cache(struct tl_track *t);

/* Click queue counters. */
void tl_track_click_stats(struct tl_track *t, struct tl_clicks_stats *out);

/*
 * For conversions, whose click may still be queued (clicks.h): the floor
 * to read before looking the click up (INT64_MAX when t is NULL), and,
 * when the lookup missed, whether click_id may be such a click (its time,
 * from the id, decides). tl_track_click_wait calls cb(arg, stored) once
 * it may be looked up again (TL_CLICKS_WAITING; w must live until then);
 * tl_track_click_wait_blocking waits for it. Both answer
 * TL_CLICKS_NOT_PENDING for an id that cannot be waiting (not of the
 * click id shape, or of another time), without a lock.
 */
int64_t tl_track_click_floor(struct tl_track *t);
enum tl_clicks_wait tl_track_click_wait(struct tl_track *t, int64_t floor, const char *click_id,
                                        struct tl_clicks_waiter *w,
                                        void (*cb)(void *arg, bool stored), void *arg);
enum tl_clicks_wait tl_track_click_wait_blocking(struct tl_track *t, int64_t floor,
                                                 const char *click_id);

/*
 * Answers a redirect: regular is false for /{code} (req->raw[0] is the
 * code) and true for /c/{partner_id}/{task_id}/{campaign_id} (req->ids[]).
 * Returns TL_OK with resp filled (302, or 404 with an HTML page), or
 * TL_ERR_AGAIN when it must run again with req->may_block set.
 */
enum tl_err tl_track_redirect(struct tl_track *t, struct tl_req *req, struct tl_resp *resp,
                              struct tl_problem *prob, bool regular);

#endif
