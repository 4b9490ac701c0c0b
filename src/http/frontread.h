/*
 * frontread.h: the front's request reader, without sockets: bytes in, one
 * complete and validated HTTP/1.x request out (or the 4xx that refuses
 * it), so that a fuzzer can drive it with a byte buffer.
 *
 * The front (http/front.c) reads every request that it does not answer
 * itself through this reader, and hands libmicrohttpd only the canonical
 * copy that tl_frontread_serialize writes: the request line, the headers
 * as they came (framing headers dropped), one Content-Length, and the
 * decoded body. So libmicrohttpd never meets a slow client, a chunked
 * body, or a framing shape it would read differently from llhttp.
 *
 * What is refused, each with a problem the front answers and then closes:
 * - any byte or shape llhttp refuses (a NUL or a control byte in the
 *   request line or a header, bare LF line ends, a bad chunk size) → 400;
 * - an obs-folded header line → 400;
 * - Transfer-Encoding other than exactly one "chunked", or with a
 *   Content-Length, or two Content-Length headers → 400;
 * - an Upgrade or CONNECT → 400;
 * - a request line and headers over TL_FRONTREAD_HEAD_MAX → 414 when the
 *   request line is not complete, else 431; more than
 *   TL_FRONTREAD_HEADERS_MAX headers → 431;
 * - more than TL_FRONTREAD_PARAMS_MAX query parameters → 414;
 * - a Content-Length over the body cap → 413 at once, and a chunked body
 *   → 413 as soon as the decoded bytes cross it.
 *
 * Memory: the reader holds the head (a buffer of TL_FRONTREAD_HEAD_MAX)
 * and the decoded body (grown up to the cap); tl_frontread_free releases
 * both. tl_frontread_next forgets the request and keeps the buffers.
 */
#ifndef TL_HTTP_FRONTREAD_H
#define TL_HTTP_FRONTREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/http.h"

/* The request line and headers, CRLFs included (nginx's default). */
#define TL_FRONTREAD_HEAD_MAX    (8 * 1024)
#define TL_FRONTREAD_HEADERS_MAX 64
/* Query parameters; libmicrohttpd keeps each in its 16 KiB connection
 * pool, where this many still fit beside a full head. */
#define TL_FRONTREAD_PARAMS_MAX 128

enum tl_frontread_state {
    TL_FRONTREAD_MORE,    /* give it more bytes */
    TL_FRONTREAD_BODY,    /* the head is complete; the body is being read */
    TL_FRONTREAD_DONE,    /* one complete request */
    TL_FRONTREAD_REFUSED, /* answer tl_frontread_problem, then close */
};

struct tl_frontread;

/* A reader whose bodies may hold up to body_max bytes. NULL on OOM. */
struct tl_frontread *tl_frontread_new(size_t body_max);
void tl_frontread_free(struct tl_frontread *r);

/*
 * Reads from buf: *used says how many bytes belong to this request (the
 * rest, a pipelined request, is the next one's). Call again with more
 * bytes while it answers TL_FRONTREAD_MORE or TL_FRONTREAD_BODY; DONE and
 * REFUSED stay until tl_frontread_next.
 */
enum tl_frontread_state tl_frontread_feed(struct tl_frontread *r, const char *buf, size_t len,
                                          size_t *used);

/* Forgets the request, for the next on the same connection. */
void tl_frontread_next(struct tl_frontread *r);

/* Whether any byte of a request has been read (false: an idle connection). */
bool tl_frontread_started(const struct tl_frontread *r);

/* Bytes of the body read so far (decoded). */
size_t tl_frontread_body_len(const struct tl_frontread *r);

/* After BODY or DONE: the client sent Expect: 100-continue. */
bool tl_frontread_expects_continue(const struct tl_frontread *r);

/* After DONE: whether the connection may carry another request. */
bool tl_frontread_keep_alive(const struct tl_frontread *r);

/* After DONE: a HEAD request (its answer has no body). */
bool tl_frontread_is_head(const struct tl_frontread *r);

/* After REFUSED: what to answer (err, code, detail). */
const struct tl_problem *tl_frontread_problem(const struct tl_frontread *r);

/*
 * After DONE: the canonical request into out (malloc'd; *out_len bytes).
 * Returns false on OOM.
 */
bool tl_frontread_serialize(const struct tl_frontread *r, char **out, size_t *out_len);

/*
 * Splits a query string (without its '?') as libmicrohttpd splits it for
 * handlers: at '&' and the first '=', '+' read as a space, each part
 * percent-decoded; a bare "flag" has a NULL value. Strings go in arena a.
 * Returns TL_OK, TL_ERR_URITOOLONG past max parameters, TL_ERR_BADREQ for
 * a shape whose reading is not obvious (an empty parameter or name), or
 * TL_ERR_NOMEM. *out has *n entries.
 */
enum tl_err tl_frontread_query(struct tl_arena *a, const char *q, size_t n, size_t max,
                               struct tl_kv **out, size_t *n_out);

/* How many parameters tl_frontread_query would find in q. */
size_t tl_frontread_query_count(const char *q, size_t n);

#endif
