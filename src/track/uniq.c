/*
 * uniq.c: the bounded memory of recent (visitor, link) pairs.
 *
 * A pair is reduced to a 64-bit SipHash (libsodium crypto_shorthash) under
 * a per-table random key, so that visitors cannot aim at one bucket to
 * flush it. The high bits of that fingerprint pick the bucket, and the
 * whole fingerprint is compared: two pairs collide with odds of about
 * 2^-64. A fingerprint of 0 marks a free slot.
 */
#include "track/uniq.h"

#include <pthread.h>
#include <sodium.h>

#define VISITOR_INPUT_MAX 2048 /* bytes of ip, 0 and user agent hashed */
#include <stdlib.h>
#include <string.h>

#define WAYS      8
#define STRIPES   64
#define WINDOW_S  ((int32_t)(TL_UNIQ_WINDOW_MS / 1000))
#define MAX_SLOTS ((size_t)1 << 34)

struct bucket {
    uint64_t fp[WAYS];
    uint32_t t[WAYS]; /* Unix seconds, modulo 2^32 */
};

struct tl_uniq {
    struct bucket *buckets;
    size_t n_buckets; /* at most 2^31 */
    unsigned char key[crypto_shorthash_KEYBYTES];
    pthread_mutex_t locks[STRIPES];
};

void tl_uniq_visitor(const unsigned char key[TL_UNIQ_KEY_LEN], const char *ip, const char *ua,
                     unsigned char out[TL_UNIQ_VISITOR_LEN])
{
    unsigned char buf[VISITOR_INPUT_MAX];
    size_t n, m;

    if (ip == NULL)
        ip = "";
    if (ua == NULL)
        ua = "";
    /* SipHash-2-4 with a 128-bit output (libsodium's siphashx24), keyed
     * with the first half of the key: a keyed hash as BLAKE2b is, at a
     * fifth of its cost on every click. The 0 byte keeps ("1.2.3.4", "5x")
     * apart from ("1.2.3.45", "x"); a user agent past the buffer is hashed
     * by its first kilobytes. */
    n = strnlen(ip, 64);
    memcpy(buf, ip, n);
    buf[n++] = 0;
    m = strnlen(ua, sizeof(buf) - n);
    memcpy(buf + n, ua, m);
    crypto_shorthash_siphashx24(out, buf, n + m, key);
}

struct tl_uniq *tl_uniq_new(size_t max_entries)
{
    struct tl_uniq *u;
    size_t i;

    if (max_entries < WAYS)
        max_entries = WAYS;
    if (max_entries > MAX_SLOTS)
        max_entries = MAX_SLOTS;
    u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->n_buckets = (max_entries + WAYS - 1) / WAYS;
    u->buckets = calloc(u->n_buckets, sizeof(struct bucket));
    if (u->buckets == NULL) {
        free(u);
        return NULL;
    }
    randombytes_buf(u->key, sizeof(u->key));
    for (i = 0; i < STRIPES; i++) {
        if (pthread_mutex_init(&u->locks[i], NULL) != 0) {
            while (i-- > 0)
                pthread_mutex_destroy(&u->locks[i]);
            free(u->buckets);
            free(u);
            return NULL;
        }
    }
    return u;
}

void tl_uniq_free(struct tl_uniq *u)
{
    size_t i;

    if (u == NULL)
        return;
    for (i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&u->locks[i]);
    free(u->buckets);
    free(u);
}

size_t tl_uniq_capacity(const struct tl_uniq *u)
{
    return u == NULL ? 0 : u->n_buckets * WAYS;
}

static uint64_t fingerprint(const struct tl_uniq *u, const unsigned char visitor[16],
                            int64_t link_key)
{
    unsigned char in[TL_UNIQ_VISITOR_LEN + 8], h[crypto_shorthash_BYTES];
    uint64_t link = (uint64_t)link_key, fp = 0;
    int i;

    memcpy(in, visitor, TL_UNIQ_VISITOR_LEN);
    for (i = 0; i < 8; i++)
        in[TL_UNIQ_VISITOR_LEN + i] = (unsigned char)(link >> (8 * i));
    crypto_shorthash(h, in, sizeof(in), u->key);
    for (i = 0; i < 8; i++)
        fp |= (uint64_t)h[i] << (8 * i);
    return fp == 0 ? 1 : fp;
}

bool tl_uniq_seen(struct tl_uniq *u, const unsigned char visitor[TL_UNIQ_VISITOR_LEN],
                  int64_t link_key, int64_t now_ms)
{
    uint64_t fp = fingerprint(u, visitor, link_key);
    /* multiply-shift maps the high half onto [0, n_buckets) without a division */
    size_t idx = (size_t)(((fp >> 32) * (uint64_t)u->n_buckets) >> 32);
    struct bucket *b = &u->buckets[idx];
    pthread_mutex_t *lock = &u->locks[idx % STRIPES];
    /* seconds modulo 2^32: ages are differences, which survive the wrap */
    uint32_t now = (uint32_t)(uint64_t)(now_ms / 1000);
    int victim = -1, w;
    int64_t victim_age = -1;
    bool seen = false;

    pthread_mutex_lock(lock);
    for (w = 0; w < WAYS; w++) {
        if (b->fp[w] == fp) {
            int32_t age = (int32_t)(now - b->t[w]);

            if (age < WINDOW_S) {
                seen = true;
            } else {
                b->t[w] = now;
            }
            goto out;
        }
    }
    for (w = 0; w < WAYS; w++) {
        int64_t age;

        if (b->fp[w] == 0) {
            victim = w;
            break;
        }
        age = (int32_t)(now - b->t[w]);
        if (age > victim_age) {
            victim_age = age;
            victim = w;
        }
    }
    /* every slot "from the future" (clock stepped back): overwrite the first */
    if (victim < 0)
        victim = 0;
    b->fp[victim] = fp;
    b->t[victim] = now;
out:
    pthread_mutex_unlock(lock);
    return seen;
}
