/*
 * cache.h: the link cache of the redirect hot path.
 *
 * It maps a key (a short code, or "partner/task/campaign" for a regular
 * path) to the struct tl_target the store resolved, or to "no such link"
 * (a negative entry). It is filled on demand by whoever missed, and bounded:
 * past max_entries the oldest entries of a shard are evicted.
 *
 * Invalidation is by generation. Every campaign and every program has a
 * counter, bumped when the store announces a committed change to that
 * campaign (or to a task assignment or a link in it) or to that program
 * (tl_cache_on_change). An entry remembers the
 * counters it was filled under and is ignored once they moved. Negative
 * entries of short codes remember a global counter bumped whenever links
 * are created. A lookup costs a hash, a shard lock, and two atomic loads.
 *
 * Memory: one allocation per entry holding the target and its strings
 * (typically 300–600 bytes), 8 to 16 bytes of bucket per entry (a shard's
 * buckets double as its entries grow, from 16), plus the counters: 4 bytes
 * per campaign and per program id, allocated in pages of 4096 ids as ids
 * appear.
 */
#ifndef TL_TRACK_CACHE_H
#define TL_TRACK_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"
#include "store/store.h"

#define TL_CACHE_KEY_MAX 64

struct tl_cache;

/* A cache of at most max_entries entries. NULL on OOM. Freed with _free. */
struct tl_cache *tl_cache_new(size_t max_entries);
void tl_cache_free(struct tl_cache *c);

/*
 * The stamp to take BEFORE reading the store for a key, and to pass back
 * to tl_cache_put: when anything was invalidated in between, the put
 * caches nothing, so an entry is never fresher than what it holds.
 */
uint64_t tl_cache_stamp(struct tl_cache *c);

/*
 * Looks key up. Returns true on a fresh hit: then *found tells whether the
 * link exists and, when it does, *out is a copy of the target allocated in
 * a (it lives with the arena). Returns false on a miss or a stale entry,
 * or when a has no room (then the caller reads the store).
 */
bool tl_cache_get(struct tl_cache *c, const char *key, struct tl_arena *a, struct tl_target *out,
                  bool *found);

/*
 * Stores what the store said for key: t (copied) or NULL for "no such
 * link". Returns TL_ERR_NOMEM when the copy cannot be made (nothing is
 * cached then; the redirect still works).
 */
enum tl_err tl_cache_put(struct tl_cache *c, const char *key, uint64_t stamp,
                         const struct tl_target *t, int64_t negative_campaign);

/* Invalidation: see the header comment. */
void tl_cache_bump_campaign(struct tl_cache *c, int64_t campaign_id);
void tl_cache_bump_program(struct tl_cache *c, int64_t program_id);
void tl_cache_bump_links(struct tl_cache *c);
/* Every entry is stale (TL_CHANGE_ALL: changes may have been missed). */
void tl_cache_bump_all(struct tl_cache *c);

/*
 * The store's change listener (tl_store_subscribe, with the cache as ctx):
 * a program's or a campaign's settings, a task's assignments and a link's
 * state bump what they change, and created links the short codes' negative
 * entries too; TL_CHANGE_ALL makes every entry stale.
 */
void tl_cache_on_change(void *cache, const struct tl_change *change);

/* Entries held now, and bytes they take (for /metrics and the bench). */
size_t tl_cache_count(struct tl_cache *c);
size_t tl_cache_bytes(struct tl_cache *c);

#endif
