/*
 * uniq.h: unique clicks. "A click is unique when it is the visitor's first
 * on that link in 24 h" (API.md). The visitor is a keyed hash of IP and
 * User-Agent; the raw IP is never stored, here or anywhere.
 *
 * The memory of who clicked what is a fixed-size, set-associative table
 * allocated once: buckets of 8 slots, each slot a 64-bit fingerprint of
 * (visitor, link) and a 32-bit time in seconds. When a bucket is full, its
 * oldest slot is overwritten, so a busy server forgets its oldest clicks
 * first and may count such a repeat as unique again: the rule is "about
 * one per visitor per link per 24 h", and memory never grows.
 *
 * Memory: 12 bytes per entry (max_entries rounded up to a multiple of 8)
 * plus about 3 KB, all allocated by tl_uniq_new. 1,000,000 entries take
 * about 12 MB.
 */
#ifndef TL_TRACK_UNIQ_H
#define TL_TRACK_UNIQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_UNIQ_VISITOR_LEN 16
#define TL_UNIQ_KEY_LEN     32
#define TL_UNIQ_WINDOW_MS   (24LL * 60 * 60 * 1000)

struct tl_uniq;

/*
 * Writes the visitor id of a request to out: keyed SipHash-2-4-128
 * (libsodium crypto_shorthash_siphashx24, keyed with the first 16 bytes of
 * key) of ip, one 0 byte, then ua (its first ~2 KiB). key is the
 * server's secret (TL_UNIQ_KEY_LEN bytes), so that visitor ids cannot be
 * reversed to IPs by trying them all. NULL ip or ua count as "".
 */
void tl_uniq_visitor(const unsigned char key[TL_UNIQ_KEY_LEN], const char *ip, const char *ua,
                     unsigned char out[TL_UNIQ_VISITOR_LEN]);

/*
 * Allocates a table that remembers at least max_entries (visitor, link)
 * pairs (at least 8, at most 2^34). Its fingerprints are keyed with a
 * fresh random key. sodium_init() must have run. The caller frees it with
 * tl_uniq_free. NULL when out of memory.
 */
struct tl_uniq *tl_uniq_new(size_t max_entries);

/* Frees u; NULL is a no-op. No thread may still be inside tl_uniq_seen. */
void tl_uniq_free(struct tl_uniq *u);

/* How many (visitor, link) pairs u can hold: max_entries rounded up to 8. */
size_t tl_uniq_capacity(const struct tl_uniq *u);

/*
 * True when visitor already clicked link_key within the last 24 h
 * (TL_UNIQ_WINDOW_MS, by second) before now_ms: the click is a repeat,
 * and the remembered time is NOT moved, so the window runs from the
 * unique click. False when the click is unique; now_ms is then
 * remembered. A time earlier than the remembered one (the clock stepped
 * back) counts as a repeat. Thread-safe: a short critical section on one
 * of 64 striped mutexes; allocates nothing.
 */
bool tl_uniq_seen(struct tl_uniq *u, const unsigned char visitor[TL_UNIQ_VISITOR_LEN],
                  int64_t link_key, int64_t now_ms);

#endif
