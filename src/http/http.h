/*
 * http.h: what a request handler sees of HTTP.
 *
 * The server (http/server.c) parses requests with libmicrohttpd, enforces
 * the limits, routes (http/router.c), authenticates, and then calls one
 * handler from the route table that main.c hands it. A handler reads a
 * struct tl_req and fills a struct tl_resp, or returns an error with a
 * struct tl_problem, which the server renders as application/problem+json
 * (http/problem.c is the one place where tl_err becomes an HTTP status).
 *
 * Handlers run on an API worker thread and may block (store writes wait
 * for their commit). The redirect hot path (track/) is served inline, on
 * the threads of the redirect front (http/front.c) or of libmicrohttpd,
 * and must not block.
 *
 * Ownership: everything in tl_req lives until the response has been
 * queued. Handlers allocate from req->arena; what they put in tl_resp must
 * be arena memory or, for resp->json, a jansson reference that the server
 * takes over (it calls json_decref).
 */
#ifndef TL_HTTP_HTTP_H
#define TL_HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"

#define TL_BODY_MAX (1024 * 1024) /* request bodies, in bytes (413 past it) */
#define TL_PATH_PARAMS_MAX 4
#define TL_RESP_HEADERS_MAX 8

enum tl_method {
    TL_GET = 1,
    TL_HEAD = 2,
    TL_POST = 4,
    TL_PUT = 8,
    TL_PATCH = 16,
    TL_DELETE = 32,
};

/* Which kinds of caller a route admits (bit mask of enum tl_account_kind).
 * TL_AUTH_NONE: no Authorization is needed at all. */
#define TL_AUTH_NONE 0
#define TL_AUTH_ADMIN TL_ACCOUNT_ADMIN
#define TL_AUTH_BRAND TL_ACCOUNT_BRAND
#define TL_AUTH_PARTNER TL_ACCOUNT_PARTNER
#define TL_AUTH_ANY (TL_ACCOUNT_ADMIN | TL_ACCOUNT_BRAND | TL_ACCOUNT_PARTNER)

struct tl_req_ops;

struct tl_req {
    struct tl_arena *arena;
    enum tl_method method;
    const char *path;
    /* Path parameters in pattern order: "{id}" segments parsed as positive
     * int64 in ids[], the raw text of every parameter in raw[]. */
    int64_t ids[TL_PATH_PARAMS_MAX];
    const char *raw[TL_PATH_PARAMS_MAX];
    size_t n_params;
    const char *body; /* NUL-terminated; "" when there is none */
    size_t body_len;
    struct tl_actor actor; /* the authenticated caller */
    void *app;             /* the application context given to the server */
    void *conn;            /* private: the server's connection */
    void *ctx;             /* private: the server's request context */
    /* private: the accessors below, as the server that read req answers
     * them (libmicrohttpd's, or the redirect front's: http/internal.h) */
    const struct tl_req_ops *ops;
    /* False while an inline route runs on a libmicrohttpd thread: the
     * handler must not block, and returns TL_ERR_AGAIN to be run again on
     * a worker thread, where may_block is true. */
    bool may_block;
};

struct tl_resp_header {
    const char *name;
    const char *value;
};

struct tl_resp {
    int status;  /* 200 when left 0 */
    json_t *json; /* rendered as application/json when set */
    /* Or a raw body (arena memory) with its content type. */
    const char *body;
    size_t body_len;
    const char *content_type;
    struct tl_resp_header headers[TL_RESP_HEADERS_MAX];
    size_t n_headers;
};

/*
 * A handler. Returns TL_OK with resp filled, or an error with prob filled
 * (tl_problem_set), in which case resp is ignored except that resp->json is
 * still released and, on libmicrohttpd's side, resp->headers are sent with
 * the problem (a 429's Retry-After).
 */
typedef enum tl_err (*tl_handler_fn)(struct tl_req *req, struct tl_resp *resp,
                                     struct tl_problem *prob);

/* Route flags. */
/* Run on the libmicrohttpd thread first (the redirect). Inline routes skip
 * authentication: they must be TL_AUTH_NONE. */
#define TL_ROUTE_INLINE 1u
/* Run on the libmicrohttpd thread that read the request, which may block:
 * for short handlers whose only wait is a commit (recording a conversion).
 * The hop to an API worker and back costs such a request more than its
 * work. libmicrohttpd's threads serve the API only (redirects have the
 * front, http/front.h), and there are as many of them as API workers. */
#define TL_ROUTE_DIRECT 2u
/* The front may run it on its thread (http/front.h) with may_block false:
 * the handler then answers at once, or suspends the request
 * (tl_req_suspend) while the store works, or returns TL_ERR_AGAIN to have
 * it run by libmicrohttpd instead. Elsewhere it runs as TL_ROUTE_DIRECT. */
#define TL_ROUTE_ASYNC 4u
/* A POST, PUT or PATCH route that takes no request body (it only acts:
 * rotating a key). GET, HEAD and DELETE routes never take one. The server
 * refuses a body on such a route before its handler runs
 * (tl_router_check_body), so no handler need look. */
#define TL_ROUTE_NOBODY 8u

struct tl_route {
    unsigned methods;   /* mask of enum tl_method */
    const char *pattern; /* "/api/v1/programs/{id}/campaigns"; "{code}" matches any segment */
    unsigned auth;       /* TL_AUTH_* mask */
    tl_handler_fn handler;
    const char *name;    /* for /metrics: "programs.create" */
    unsigned flags;      /* TL_ROUTE_* */
};

/* A query parameter, URL-decoded. value is NULL for a bare "?flag". */
struct tl_kv {
    const char *key;
    const char *value;
};

/* Value of a query parameter (URL-decoded), or NULL. Lives with req. */
const char *tl_req_query(const struct tl_req *req, const char *key);

/* Value of a request header, or NULL. Lives with req. */
const char *tl_req_header(const struct tl_req *req, const char *name);

/* The query parameters in order, at most max of them; returns how many. */
size_t tl_req_query_list(const struct tl_req *req, struct tl_kv *out, size_t max);

/* The socket peer's address as text ("127.0.0.1", "::1") into buf. */
const char *tl_req_peer(const struct tl_req *req, char *buf, size_t cap);

/*
 * Defers the answer: the connection is suspended when the handler returns
 * (with its response built as usual), and answered only when someone calls
 * tl_http_resume(token, ok) — from any thread, exactly once. With ok false
 * the prepared answer is replaced by a 503 problem. Returns the token, or
 * NULL when the request cannot be deferred (the server is stopping).
 */
void *tl_req_defer(struct tl_req *req);
void tl_http_resume(void *token, bool ok);

/* Builds a suspended request's answer, on the server's thread, once it is
 * resumed. ctx is tl_req_suspend's. It may use req->arena and req->actor,
 * but not the request's headers, query or body (they are gone). */
typedef enum tl_err (*tl_finish_fn)(struct tl_req *req, void *ctx, struct tl_resp *resp,
                                    struct tl_problem *prob);

/*
 * Suspends a request that a handler cannot answer yet without blocking:
 * the handler returns TL_OK with resp left empty, and whoever finishes the
 * work calls tl_http_resume(token, true) (from any thread, exactly once);
 * the server then calls finish(req, ctx, ...) and sends what it answers.
 * With ok false the answer is a 503 problem (finish still runs, to release
 * what ctx holds, and its answer is dropped). req->arena, and what the
 * handler put in it, live until finish returns. Returns the token, or NULL
 * when this request cannot be suspended (libmicrohttpd's, or the server is
 * stopping): then do the work blocking, when req->may_block, or return
 * TL_ERR_AGAIN.
 */
void *tl_req_suspend(struct tl_req *req, tl_finish_fn finish, void *ctx);

/* Adds a response header; name and value must outlive the response (static
 * or arena). Returns TL_ERR_NOMEM when TL_RESP_HEADERS_MAX is reached. */
enum tl_err tl_resp_header_add(struct tl_resp *resp, const char *name, const char *value);

/* Maps an error to its HTTP status (the one place that does). */
int tl_http_status(enum tl_err err);

/* Default stable code for an error when a problem carries none. */
const char *tl_http_default_code(enum tl_err err);

#endif
