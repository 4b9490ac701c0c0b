/*
 * test_frontread.c: the front's request reader (http/frontread.c) on
 * byte buffers: a request in one piece and byte by byte, pipelining, the
 * canonical copy libmicrohttpd gets (chunks decoded, one Content-Length,
 * framing headers dropped), and each refusal: llhttp's bytes, obs-fold,
 * Transfer-Encoding shapes, 413 as a chunked body crosses the cap, 414,
 * 431; and the query split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/frontread.h"

/* Feeds all of s (len bytes) in pieces of step; returns the state and the
 * bytes used in all. */
static enum tl_frontread_state feed_all(struct tl_frontread *r, const char *s, size_t len,
                                        size_t step, size_t *used_all)
{
    enum tl_frontread_state st = TL_FRONTREAD_MORE;
    size_t off = 0, used, n;

    while (off < len) {
        n = len - off < step ? len - off : step;
        st = tl_frontread_feed(r, s + off, n, &used);
        off += used;
        if (st == TL_FRONTREAD_DONE || st == TL_FRONTREAD_REFUSED)
            break;
        assert_int_equal(used, n);
    }
    *used_all = off;
    return st;
}

static void canonical(const char *in, size_t step, const char *want)
{
    struct tl_frontread *r = tl_frontread_new(1024 * 1024);
    char *out = NULL;
    size_t used, len;

    assert_non_null(r);
    assert_int_equal(feed_all(r, in, strlen(in), step, &used), TL_FRONTREAD_DONE);
    assert_int_equal(used, strlen(in));
    assert_true(tl_frontread_serialize(r, &out, &len));
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    free(out);
    tl_frontread_free(r);
}

static void test_canonical_copy(void **state)
{
    static const char get[] = "GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A:  v  \r\n\r\n";
    static const char chunked[] =
        "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
        "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer-X: y\r\n\r\n";
    static const char length[] = "PATCH /p HTTP/1.0\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    size_t step;

    (void)state;
    for (step = 1; step <= 64; step = step * 2 + 1) {
        canonical(get, step, "GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A: v\r\n\r\n");
        canonical(chunked, step, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde");
        canonical(length, step, "PATCH /p HTTP/1.0\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    }
}

static void test_pipelined_requests_split(void **state)
{
    static const char two[] =
        "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
    struct tl_frontread *r = tl_frontread_new(1024);
    size_t used;

    (void)state;
    assert_int_equal(tl_frontread_feed(r, two, strlen(two), &used), TL_FRONTREAD_DONE);
    assert_int_equal(used, strlen(two) / 2);
    assert_true(tl_frontread_keep_alive(r));
    tl_frontread_next(r);
    assert_false(tl_frontread_started(r));
    assert_int_equal(tl_frontread_feed(r, two + used, strlen(two) - used, &used),
                     TL_FRONTREAD_DONE);
    assert_int_equal(used, strlen(two) / 2);
    tl_frontread_free(r);
}

static void refused(const char *in, size_t len, enum tl_err err, const char *code)
{
    struct tl_frontread *r = tl_frontread_new(1024);
    size_t used, step;

    for (step = 1; step <= len; step = step * 3 + 1) {
        tl_frontread_next(r);
        assert_int_equal(feed_all(r, in, len, step, &used), TL_FRONTREAD_REFUSED);
        assert_int_equal(tl_frontread_problem(r)->err, err);
        if (code != NULL)
            assert_string_equal(tl_frontread_problem(r)->code, code);
    }
    tl_frontread_free(r);
}

#define REFUSED(s, err, code) refused(s, sizeof(s) - 1, err, code)

static void test_refusals(void **state)
{
    char big[10000], *p;
    size_t i;

    (void)state;
    REFUSED("POST /a\0x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", TL_ERR_BADREQ,
            "bad_request");
    REFUSED("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", TL_ERR_BADREQ, NULL);
    REFUSED("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01"
            "b\r\n\r\n",
            TL_ERR_BADREQ, NULL);
    REFUSED("GET / HTTP/1.1\nHost: x\n\n", TL_ERR_BADREQ, NULL);
    REFUSED("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", TL_ERR_BADREQ, NULL);
    REFUSED("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
            TL_ERR_BADREQ, NULL);
    REFUSED("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
            TL_ERR_BADREQ, NULL);
    REFUSED("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
            "chunked\r\n\r\n0\r\n\r\n",
            TL_ERR_BADREQ, NULL);
    REFUSED("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
            TL_ERR_BADREQ, NULL);
    REFUSED("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
            TL_ERR_BADREQ, NULL);
    REFUSED("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n", TL_ERR_TOOLARGE,
            "payload_too_large");

    /* 414: a request line that does not fit; 431: headers that do not. */
    p = big;
    p += sprintf(p, "GET /");
    memset(p, 'a', 9000);
    p += 9000;
    refused(big, (size_t)(p - big), TL_ERR_URITOOLONG, "uri_too_long");
    p = big + sprintf(big, "GET / HTTP/1.1\r\nX: ");
    memset(p, 'a', 9000);
    p += 9000;
    refused(big, (size_t)(p - big), TL_ERR_HEADERS, "headers_too_large");
    p = big + sprintf(big, "GET / HTTP/1.1\r\n");
    for (i = 0; i < 65; i++)
        p += sprintf(p, "X%zu: v\r\n", i);
    p += sprintf(p, "\r\n");
    refused(big, (size_t)(p - big), TL_ERR_HEADERS, "headers_too_large");
    p = big + sprintf(big, "GET /?");
    for (i = 0; i < 129; i++)
        p += sprintf(p, "%sa", i > 0 ? "&" : "");
    p += sprintf(p, " HTTP/1.1\r\nHost: x\r\n\r\n");
    refused(big, (size_t)(p - big), TL_ERR_URITOOLONG, "uri_too_long");
}

static void test_chunked_cap_crossed(void **state)
{
    static const char head[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    struct tl_frontread *r = tl_frontread_new(1024);
    char chunk[600];
    size_t used;
    int n;

    (void)state;
    assert_int_equal(tl_frontread_feed(r, head, strlen(head), &used), TL_FRONTREAD_BODY);
    n = snprintf(chunk, sizeof(chunk), "200\r\n");
    memset(chunk + n, 'a', 512);
    memcpy(chunk + n + 512, "\r\n", 2);
    assert_int_equal(tl_frontread_feed(r, chunk, (size_t)n + 514, &used), TL_FRONTREAD_BODY);
    assert_int_equal(tl_frontread_body_len(r), 512);
    assert_int_equal(tl_frontread_feed(r, chunk, (size_t)n + 514, &used), TL_FRONTREAD_BODY);
    /* The third crosses 1024: refused then, no last chunk needed. */
    assert_int_equal(tl_frontread_feed(r, chunk, (size_t)n + 514, &used), TL_FRONTREAD_REFUSED);
    assert_int_equal(tl_frontread_problem(r)->err, TL_ERR_TOOLARGE);
    tl_frontread_free(r);
}

static void test_query_split(void **state)
{
    struct tl_arena *a = tl_arena_new(4096);
    struct tl_kv *kv;
    size_t n;

    (void)state;
    assert_int_equal(tl_frontread_query(a, "a=1&b&c=x+y%21", 14, 8, &kv, &n), TL_OK);
    assert_int_equal(n, 3);
    assert_string_equal(kv[0].key, "a");
    assert_string_equal(kv[0].value, "1");
    assert_string_equal(kv[1].key, "b");
    assert_null(kv[1].value);
    assert_string_equal(kv[2].value, "x y!");
    assert_int_equal(tl_frontread_query(a, "a&&b", 4, 8, &kv, &n), TL_ERR_BADREQ);
    assert_int_equal(tl_frontread_query(a, "=1", 2, 8, &kv, &n), TL_ERR_BADREQ);
    assert_int_equal(tl_frontread_query(a, "a&b&c", 5, 2, &kv, &n), TL_ERR_URITOOLONG);
    assert_int_equal(tl_frontread_query_count("a&b&c", 5), 3);
    tl_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_copy), cmocka_unit_test(test_pipelined_requests_split),
        cmocka_unit_test(test_refusals),       cmocka_unit_test(test_chunked_cap_crossed),
        cmocka_unit_test(test_query_split),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
