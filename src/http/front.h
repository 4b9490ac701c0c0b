/*
 * front.h: the redirect front, a small epoll server in front of
 * libmicrohttpd (DESIGN.md: "llhttp under a small epoll loop ... would serve
 * GET /{code} alone, with the API staying on MHD").
 *
 * The front owns the listening socket and every connection. It reads
 * requests with MSG_PEEK and parses them with llhttp; a complete GET or
 * HEAD of an inline route (the redirect) is answered on the front's own
 * thread, and only then are its bytes taken off the socket. So is a POST
 * to a TL_ROUTE_ASYNC route (recording a conversion) whose body the peek
 * holds and whose key the API remembers: its handler suspends it while the
 * store works (tl_req_suspend), and it is answered on resume. Anything else
 * (another route, a larger body, HTTP/1.0, a header it does not take, a
 * parse error, a cache miss that needs a worker) puts the connection in
 * read mode for good: each request is read whole by http/frontread.c
 * (which refuses what it must, 400/413/414/431, in problem+json), under an
 * absolute head deadline and a body minimum rate kept here, and only then
 * written, in canonical form, into a socketpair whose other end
 * libmicrohttpd took (MHD_add_connection, with the client's address); its
 * answer is relayed back. So libmicrohttpd never meets a slow client, the
 * API and every error answer keep exactly one implementation (server.c),
 * and a browser's redirect connection never meets libmicrohttpd at all.
 * Over the connection limits a new connection gets a 503 with Retry-After.
 *
 * Threads: one epoll loop per thread, all waiting on the listening socket
 * (EPOLLEXCLUSIVE). A deferred answer (--click-durability sync) is parked
 * on its connection and sent when tl_http_resume reaches the thread
 * through its eventfd.
 *
 * Memory: per thread a 16 KiB read buffer, an output buffer and a request
 * arena reset after every request; per connection a small struct, plus an
 * output buffer only while an answer waits (a full socket, or a deferral).
 */
#ifndef TL_HTTP_FRONT_H
#define TL_HTTP_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "http/http.h"

struct tl_front;

struct tl_front_config {
    int listen_fd;    /* bound, listening, non-blocking; stays the caller's */
    unsigned threads; /* at least 1 */
    unsigned connection_limit;
    unsigned per_ip_limit;   /* 0: none (behind a proxy every client has its address) */
    unsigned timeout_s;      /* idle keep-alive connections are closed after it */
    unsigned head_timeout_s; /* a request's head must be whole this long after its first byte */
    unsigned body_min_rate;  /* bytes/s a body must average, after head_timeout_s of grace */
    const struct tl_route *routes;
    size_t n_routes;
    void *app;
    /* Authenticates without blocking (TL_ERR_AGAIN: it would block); NULL
     * leaves every authenticated route to libmicrohttpd. */
    enum tl_err (*authenticate_cached)(void *app, const struct tl_req *req, struct tl_actor *out,
                                       struct tl_problem *prob);
    /* Takes over fd, libmicrohttpd's end of a socketpair (it closes it in
     * any case); addr is the client's. */
    void (*handoff)(void *cls, int fd, const struct sockaddr *addr, socklen_t addr_len);
    void *handoff_cls;
};

/* Starts the threads. cfg must outlive the front. NULL with why on failure. */
struct tl_front *tl_front_start(const struct tl_front_config *cfg, char *why, size_t why_len);

/*
 * Stops accepting; connections without an answer in progress are closed,
 * and each answer in progress (a deferral waits for its commit) is sent
 * before its connection closes; then the threads end and f is freed.
 * NULL is a no-op.
 */
void tl_front_free(struct tl_front *f);

#endif
