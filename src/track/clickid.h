/*
 * clickid.h: click ids, the token appended to every redirect and later sent
 * back with a conversion.
 *
 * An id is TL_CLICKID_LEN characters of base62 in ASCII order
 * ("0-9A-Za-z"): 8 characters of the click's millisecond Unix time, fixed
 * width, so that ids sort by time as plain strings, then 17 random
 * characters (101 bits). They are URL-safe and need no escaping.
 */
#ifndef TL_TRACK_CLICKID_H
#define TL_TRACK_CLICKID_H

#include <stdbool.h>
#include <stdint.h>

#define TL_CLICKID_LEN      25
#define TL_CLICKID_TIME_LEN 8

/*
 * Writes a fresh, NUL-terminated id for a click at now_ms (Unix time in
 * milliseconds; clamped to [0, 62^8 - 1], i.e. until about year 8888) to
 * out. The random part comes from a per-thread ChaCha20 keystream seeded
 * once per thread from libsodium's randombytes_buf (reseeded in a forked
 * child), so no system call and no allocation is made per id. Never fails.
 */
void tl_clickid_new(int64_t now_ms, char out[TL_CLICKID_LEN + 1]);

/* True when s has the shape of an id: exactly TL_CLICKID_LEN base62 characters. */
bool tl_clickid_valid(const char *s);

/* The millisecond time encoded in id s, or -1 when s is not a valid id. */
int64_t tl_clickid_time(const char *s);

#endif
