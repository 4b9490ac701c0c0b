/*
 * clickid.c: click ids from a per-thread keystream.
 *
 * A redirect must not pay a system call (getrandom) per click, so each
 * thread runs its own ChaCha20 generator, seeded once from libsodium's
 * CSPRNG. Each refill draws the next 32-byte key from the same keystream
 * block ("fast key erasure"), so memory read later does not reveal ids
 * already handed out.
 */
#include "track/clickid.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#define POOL_LEN 256

/* ASCII order, so that fixed-width numbers compare like strings. */
static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

struct rng {
    unsigned char key[crypto_stream_chacha20_ietf_KEYBYTES];
    unsigned char pool[POOL_LEN];
    size_t pos;
    unsigned gen; /* fork generation the key was seeded in */
    bool seeded;
};

static _Thread_local struct rng rng;

/* Bumped in every forked child, so that parent and child never share a stream. */
static atomic_uint fork_gen;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void after_fork_child(void)
{
    atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
}

static void init_once_fn(void)
{
    /*
     * Idempotent; makes randombytes_buf safe to call from any thread. It
     * fails only when no entropy source exists, and randombytes_buf then
     * aborts, which is the right answer for a server that hands out ids.
     */
    int rc = sodium_init();

    (void)rc;
    pthread_atfork(NULL, NULL, after_fork_child);
}

static void refill(struct rng *r)
{
    static const unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES];
    unsigned char block[POOL_LEN + crypto_stream_chacha20_ietf_KEYBYTES];
    unsigned gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);

    if (!r->seeded || r->gen != gen) {
        pthread_once(&once, init_once_fn);
        randombytes_buf(r->key, sizeof(r->key));
        r->gen = gen;
        r->seeded = true;
    }
    /* a fresh key per block makes a fixed nonce safe */
    crypto_stream_chacha20_ietf(block, sizeof(block), nonce, r->key);
    memcpy(r->pool, block, POOL_LEN);
    memcpy(r->key, block + POOL_LEN, sizeof(r->key));
    sodium_memzero(block, sizeof(block));
    r->pos = 0;
}

static unsigned char next_byte(struct rng *r)
{
    if (r->pos == POOL_LEN || r->gen != atomic_load_explicit(&fork_gen, memory_order_relaxed) ||
        !r->seeded)
        refill(r);
    return r->pool[r->pos++];
}

void tl_clickid_new(int64_t now_ms, char out[TL_CLICKID_LEN + 1])
{
    /* 62^8 - 1: the largest time that fits in 8 characters */
    const int64_t max = 218340105584895LL;
    uint64_t t;
    int i;

    if (now_ms < 0)
        now_ms = 0;
    if (now_ms > max)
        now_ms = max;
    t = (uint64_t)now_ms;
    for (i = TL_CLICKID_TIME_LEN - 1; i >= 0; i--) {
        out[i] = alphabet[t % 62];
        t /= 62;
    }
    i = TL_CLICKID_TIME_LEN;
    while (i < TL_CLICKID_LEN) {
        unsigned char b = next_byte(&rng);

        /* 248 = 4 * 62: bytes at or above it would bias the first characters */
        if (b < 248)
            out[i++] = alphabet[b % 62];
    }
    out[TL_CLICKID_LEN] = '\0';
}

static int digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 36;
    return -1;
}

bool tl_clickid_valid(const char *s)
{
    size_t i;

    if (s == NULL)
        return false;
    for (i = 0; i < TL_CLICKID_LEN; i++)
        if (digit(s[i]) < 0)
            return false;
    return s[TL_CLICKID_LEN] == '\0';
}

int64_t tl_clickid_time(const char *s)
{
    int64_t t = 0;
    int i;

    if (!tl_clickid_valid(s))
        return -1;
    for (i = 0; i < TL_CLICKID_TIME_LEN; i++)
        t = t * 62 + digit(s[i]);
    return t;
}
