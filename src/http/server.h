/*
 * server.h: the HTTP server: the redirect front (http/front.h) on the
 * listening socket, libmicrohttpd (internal epoll thread pool) for every
 * connection the front hands over, and the pool of API worker threads that
 * run blocking handlers.
 *
 * Request flow: limits (body cap from Content-Length → 413, request
 * smuggling shapes → 400) → route (unknown → 404, wrong method → 405) →
 * authentication via cfg->authenticate (401) → the route's kind mask (403)
 * → the handler on a worker thread (the connection is suspended meanwhile,
 * so a handler waiting for a commit holds no libmicrohttpd thread).
 * The server itself answers GET /metrics (Prometheus text).
 */
#ifndef TL_HTTP_SERVER_H
#define TL_HTTP_SERVER_H

#include <stddef.h>

#include "core/err.h"
#include "core/model.h"
#include "http/http.h"

struct tl_server;

#define TL_LIMIT_OFF 0xffffffffu

struct tl_server_config {
    const char *listen;        /* "127.0.0.1:8080"; "[::1]:8080" for IPv6 */
    unsigned threads;          /* redirect front threads; 0: one per core */
    unsigned workers;          /* API workers and libmicrohttpd's pool; 0: default (32) */
    unsigned connection_limit; /* 0: default (4096) */
    unsigned per_ip_limit;     /* 0: default (256); TL_LIMIT_OFF: none */
    unsigned timeout_s;        /* idle connection timeout; 0: default (30) */
    unsigned head_timeout_s;   /* a request head's deadline from its first byte; 0: default (20) */
    unsigned body_min_rate;    /* bytes/s a body must average after that grace; 0: default (500) */
    const struct tl_route *routes;
    size_t n_routes;
    void *app; /* handed to handlers as req->app and to authenticate */
    /* Authenticates a request (its headers and method: a key, a session
     * cookie and its CSRF checks). Returns TL_OK with *out set, or an
     * error with prob filled, answered as that problem (401 gets
     * WWW-Authenticate: Bearer). */
    enum tl_err (*authenticate)(void *app, const struct tl_req *req, struct tl_actor *out,
                                struct tl_problem *prob);
    /* The same without blocking, for the front's TL_ROUTE_ASYNC routes:
     * TL_ERR_AGAIN when it would block (the connection then goes to
     * libmicrohttpd). NULL: the front takes no authenticated route. */
    enum tl_err (*authenticate_cached)(void *app, const struct tl_req *req, struct tl_actor *out,
                                       struct tl_problem *prob);
};

/*
 * Binds and starts serving. cfg (and what it points to) must outlive the
 * server. On failure writes a reason into why and returns NULL.
 * The caller stops and frees it with tl_server_free().
 */
struct tl_server *tl_server_start(const struct tl_server_config *cfg, char *why, size_t why_len);

/* The port actually bound (useful with ":0"). */
unsigned tl_server_port(const struct tl_server *srv);

/* Stops accepting, finishes the requests in flight, and frees. NULL is a no-op. */
void tl_server_free(struct tl_server *srv);

#endif
