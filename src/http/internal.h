/*
 * internal.h: what the two request readers of http/ share: libmicrohttpd
 * (server.c) and the redirect front (front.c). Not for handlers.
 *
 * A struct tl_req is answered by whichever of them read it: req->ops says
 * how its accessors (tl_req_query, tl_req_header, ...) are answered, and a
 * deferral token (tl_req_defer) starts with a struct tl_deferral that says
 * how tl_http_resume reaches its connection again.
 */
#ifndef TL_HTTP_INTERNAL_H
#define TL_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

struct tl_req_ops {
    const char *(*query)(const struct tl_req *req, const char *key);
    const char *(*header)(const struct tl_req *req, const char *name);
    size_t (*query_list)(const struct tl_req *req, struct tl_kv *out, size_t max);
    const char *(*peer)(const struct tl_req *req, char *buf, size_t cap);
    void *(*defer)(struct tl_req *req); /* returns a struct tl_deferral *, or NULL */
    void *(*suspend)(struct tl_req *req, tl_finish_fn finish, void *ctx); /* NULL: cannot */
};

/* The first member of every deferral token. resume is called once, from
 * any thread, by tl_http_resume. */
struct tl_deferral {
    void (*resume)(struct tl_deferral *d, bool ok);
};

#endif
