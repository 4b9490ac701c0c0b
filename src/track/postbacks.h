/*
 * postbacks.h: the partner postback sender.
 *
 * Conversions queue notifications in the store's outbox (postback_outbox),
 * in the same commit as the change they announce, with the URL already
 * expanded. One thread sends them with libcurl's multi interface: every
 * 500 ms at the latest, and at once when poked after a commit that queued
 * something, it reads the deliveries that are due and starts a GET for
 * each (at most TL_POSTBACKS_INFLIGHT at a time), with the header
 * X-Tracklink-Event, a 5 s connect and 10 s total timeout, and no redirect
 * following. A 2xx answer is a delivery; anything else is retried after
 * 1 s, doubling, until 24 h after the event, then the delivery is failed
 * (core/postback.h). Every attempt is logged in the store.
 *
 * Unless allow_private, the sender refuses to connect to loopback, private
 * and link-local addresses, whatever name resolved to them: the check is
 * made on the address about to be connected (CURLOPT_OPENSOCKETFUNCTION),
 * so DNS rebinding gains nothing. Proxies from the environment are not
 * used.
 *
 * Nothing is lost across restarts: the outbox is in the database, and a
 * delivery in flight when the process died is still pending, and is sent
 * again on the next start (partners may see an event twice, never zero
 * times).
 */
#ifndef TL_TRACK_POSTBACKS_H
#define TL_TRACK_POSTBACKS_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

#define TL_POSTBACKS_INFLIGHT           32
#define TL_POSTBACKS_POLL_MS            500
#define TL_POSTBACKS_CONNECT_TIMEOUT_MS 5000
#define TL_POSTBACKS_TIMEOUT_MS         10000

struct tl_postbacks_config {
    struct tl_store *store;
    bool allow_private; /* --allow-private-postbacks */
};

struct tl_postbacks;

/* Starts the sender thread (cfg is copied; the store must outlive it).
 * Initialises libcurl globally. On failure writes why and returns NULL. */
struct tl_postbacks *tl_postbacks_start(const struct tl_postbacks_config *cfg, char *why,
                                        size_t why_len);

/* Wakes the sender to look at the outbox now, or within 20 ms when it was
 * already poked (call after a commit that queued a delivery; cheap when
 * called often). Any thread; NULL is a no-op. */
void tl_postbacks_poke(struct tl_postbacks *p);

/* Stops the sender and frees it. Transfers in flight are abandoned: their
 * deliveries stay pending and are sent after the next start. NULL is a
 * no-op. */
void tl_postbacks_stop(struct tl_postbacks *p);

#endif
