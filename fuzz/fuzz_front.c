/*
 * fuzz_front.c: the front's request reading (http/frontread.c): llhttp
 * under the front's rules, the canonical copy handed to libmicrohttpd, and
 * the query split.
 *
 * Input: when the first byte is odd, the rest is a query string for
 * tl_frontread_query. Otherwise the first byte picks where the stream is
 * cut (the bytes arrive in pieces of that size, as a slow client sends
 * them), and the rest is the bytes a client sends on one connection: one
 * request or several, pipelined. Checked: a reader never takes more bytes
 * than it was given; a refusal is a 4xx problem with a code; a complete
 * request's canonical copy is itself read as one complete request, whose
 * canonical copy is the same bytes (what libmicrohttpd reads is what the
 * front read); a query split gives at most max parameters, each with a
 * name, as many as tl_frontread_query_count counts.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "fuzz.h"
#include "http/frontread.h"

#define BODY_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds all of buf to r in pieces of step bytes; the final state, *used in all. */
static enum tl_frontread_state feed_all(struct tl_frontread *r, const char *buf, size_t len,
                                        size_t step, size_t *used)
{
    enum tl_frontread_state st = TL_FRONTREAD_MORE;
    size_t off = 0;

    *used = 0;
    while (off < len) {
        size_t n = len - off < step ? len - off : step, u = 0;

        st = tl_frontread_feed(r, buf + off, n, &u);
        FZ_CHECK(u <= n);
        off += u;
        if (st == TL_FRONTREAD_DONE || st == TL_FRONTREAD_REFUSED || u == 0)
            break;
    }
    *used = off;
    return st;
}

static void check_refusal(const struct tl_frontread *r)
{
    const struct tl_problem *p = tl_frontread_problem(r);
    int st;

    FZ_CHECK(p != NULL);
    st = tl_http_status(p->err);
    FZ_CHECK(st >= 400 && st < 500);
    FZ_CHECK(p->code != NULL && p->code[0] != '\0');
}

/* The canonical copy of a complete request reads back as itself. */
static void check_canonical(const struct tl_frontread *r)
{
    struct tl_frontread *again;
    char *one = NULL, *two = NULL;
    size_t n1 = 0, n2 = 0, used = 0;

    FZ_CHECK(tl_frontread_serialize(r, &one, &n1));
    again = tl_frontread_new(BODY_MAX);
    FZ_CHECK(again != NULL);
    FZ_CHECK(feed_all(again, one, n1, n1, &used) == TL_FRONTREAD_DONE);
    FZ_CHECK(used == n1);
    FZ_CHECK(tl_frontread_serialize(again, &two, &n2));
    FZ_CHECK(n1 == n2 && memcmp(one, two, n1) == 0);
    free(one);
    free(two);
    tl_frontread_free(again);
}

static void query(const uint8_t *data, size_t size)
{
    struct tl_arena *a = tl_arena_new(1024 * 1024);
    struct tl_kv *kv = NULL;
    size_t n = 0, i, max = 128;
    enum tl_err err;

    FZ_CHECK(a != NULL);
    err = tl_frontread_query(a, (const char *)data, size, max, &kv, &n);
    if (err == TL_OK) {
        FZ_CHECK(n <= max);
        FZ_CHECK(n == tl_frontread_query_count((const char *)data, size));
        for (i = 0; i < n; i++)
            FZ_CHECK(kv[i].key != NULL);
    } else {
        FZ_CHECK(err == TL_ERR_URITOOLONG || err == TL_ERR_BADREQ || err == TL_ERR_NOMEM);
    }
    tl_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_frontread *r;
    const char *buf;
    size_t len, step, used, rounds;

    if (size < 1 || size > 256 * 1024)
        return 0;
    if (data[0] & 1) {
        query(data + 1, size - 1);
        return 0;
    }
    if (r == NULL && (r = tl_frontread_new(BODY_MAX)) == NULL)
        abort();
    step = (size_t)(data[0] >> 1) + 1;
    buf = (const char *)data + 1;
    len = size - 1;
    /* each complete request, then the next one pipelined behind it */
    for (rounds = 0; len > 0 && rounds < 16; rounds++) {
        enum tl_frontread_state st = feed_all(r, buf, len, step, &used);

        FZ_CHECK(used <= len);
        if (st == TL_FRONTREAD_REFUSED)
            check_refusal(r);
        if (st != TL_FRONTREAD_DONE)
            break;
        check_canonical(r);
        (void)tl_frontread_keep_alive(r);
        (void)tl_frontread_is_head(r);
        tl_frontread_next(r);
        if (used == 0)
            break;
        buf += used;
        len -= used;
    }
    tl_frontread_next(r);
    return 0;
}
