/*
 * server.c: the HTTP server on libmicrohttpd (see server.h), and the pool
 * of API worker threads that runs handlers off the MHD threads. The
 * listening socket is the front's (http/front.c): MHD has none, and gets
 * every connection the front does not answer itself (MHD_add_connection).
 *
 * One request's life (the access handler is called several times):
 * 1. First call: create the request context (struct ctx, in its own
 *    arena), route, and reject framing that MHD would accept but we must
 *    not (Content-Length with Transfer-Encoding, conflicting lengths → 400
 *    and close; Content-Length past TL_BODY_MAX → 413). Nothing else is
 *    answered on the first call: MHD closes the connection after an answer
 *    queued there, which would cost keep-alive.
 * 2. Upload calls: the body is copied into a buffer capped at TL_BODY_MAX;
 *    past the cap (chunked bodies) the rest is read and dropped, and the
 *    answer is 413.
 * 3. Final call: 404/405/413 and GET /metrics are answered inline, inline
 *    routes (a redirect) run inline, and TL_ROUTE_DIRECT routes run here,
 *    on this MHD thread, blocking it. Anything else is handed to a worker:
 *    the connection is suspended, the worker
 *    authenticates (401), checks the caller's kind (403), runs the handler,
 *    builds the MHD response and resumes the connection; MHD then calls
 *    the access handler once more and the response is queued there.
 *
 * The context is reference counted (MHD's side and the worker's side), and
 * the worker resumes the connection only while MHD has not closed it, so a
 * connection torn down under a running handler is never touched again.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/front.h"
#include "http/internal.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "http/router.h"

#define REQ_ARENA_CAP       (4 * 1024 * 1024)
#define DEFAULT_WORKERS     32
#define DEFAULT_CONNECTIONS 4096
#define DEFAULT_PER_IP      256
#define DEFAULT_TIMEOUT_S   30
#define DEFAULT_HEAD_S      20
#define DEFAULT_BODY_RATE   500
/* Per-connection memory for MHD: the request line and headers, an entry
 * per header and query parameter, and the response headers. The front
 * hands it heads of up to 8 KiB with 64 headers and 128 parameters
 * (http/frontread.h), which 16 KiB did not hold (MHD answered its own
 * HTML 431 or closed); 32 KiB does. More costs on every request, because
 * MHD clears its pool per request (measured when MHD served redirects:
 * 64 KiB made them 20% slower with keep-alive); it serves only the API
 * now. */
#define CONN_MEMORY_LIMIT (32 * 1024)
/* A chunked body past TL_BODY_MAX is read and dropped so that the client
 * gets its 413; past this much more, the connection is just closed. */
#define DISCARD_MAX    (8 * (size_t)TL_BODY_MAX)
#define BODY_FIRST_CAP (16 * 1024)
/* How long tl_server_free() waits for requests in flight. */
#define DRAIN_WAIT_MS 10000
#define METRICS_PATH  "/metrics"
#define METRICS_TYPE  "text/plain; version=0.0.4; charset=utf-8"

enum state {
    ST_READING,  /* headers seen, body (if any) arriving */
    ST_WORKING,  /* suspended, a worker has it */
    ST_READY,    /* the worker built the response; queue it */
    ST_ANSWERED, /* a response was queued */
};

struct ctx {
    struct tl_deferral defer_head; /* first: the token of tl_req_defer */
    struct tl_server *srv;
    struct MHD_Connection *conn;
    _Atomic unsigned refs; /* MHD's side, plus the worker's while it has one */
    _Atomic bool in_worker;
    bool closed; /* MHD completed the request (under srv->resume_mu) */
    enum state state;
    const char *method_name;
    struct tl_req req;
    enum tl_err route_err;
    size_t route; /* index when route_err == TL_OK */
    unsigned allowed;
    uint64_t content_length; /* when has_length */
    bool has_length;
    char *body; /* malloc'd, NUL-terminated, at most TL_BODY_MAX bytes */
    size_t body_len, body_cap;
    size_t dropped; /* bytes read and dropped past the cap */
    struct MHD_Response *response;
    int status;
    struct ctx *next; /* worker queue */
    /* A deferred answer (tl_req_defer): two events must both happen before
     * the connection resumes: the response is built, and the deferrer calls
     * tl_http_resume. Whoever comes second resumes. */
    bool deferred;
    _Atomic int defer_pending;
    _Atomic bool defer_failed;
};

struct tl_server {
    const struct tl_server_config *cfg;
    int listen_fd;
    struct tl_front_config front_cfg;
    struct tl_front *front; /* owns the listening socket's connections first */
    struct MHD_Daemon *daemon;
    pthread_t *workers;
    size_t n_workers;
    pthread_mutex_t qmu;
    pthread_cond_t qcond;
    struct ctx *qhead, *qtail;
    bool stopping; /* under qmu: no more work is accepted */
    pthread_mutex_t resume_mu;
    _Atomic uint64_t active;   /* request contexts alive */
    _Atomic uint64_t deferred; /* tokens of tl_req_defer not resumed yet */
};

/* Process-wide gauges for /metrics. */
static _Atomic uint64_t g_in_flight;
static _Atomic uint64_t g_queued;
static pthread_once_t gauges_once = PTHREAD_ONCE_INIT;

static void register_gauges(void)
{
    tl_metrics_register("tracklink_http_in_flight", "HTTP requests being read or answered.",
                        TL_METRIC_GAUGE, &g_in_flight);
    tl_metrics_register("tracklink_http_worker_queue", "Requests waiting for an API worker.",
                        TL_METRIC_GAUGE, &g_queued);
}

static const struct tl_req_ops mhd_req_ops;

/* ---- request context ---- */

static struct ctx *ctx_new(struct tl_server *srv, struct MHD_Connection *conn, const char *url,
                           const char *method)
{
    struct tl_arena *a = tl_arena_new(REQ_ARENA_CAP);
    struct ctx *c;

    if (a == NULL)
        return NULL;
    c = tl_arena_alloc(a, sizeof(*c));
    if (c == NULL) {
        tl_arena_free(a);
        return NULL;
    }
    c->srv = srv;
    c->conn = conn;
    atomic_init(&c->refs, 1);
    atomic_init(&c->in_worker, false);
    c->state = ST_READING;
    c->method_name = method;
    c->req.arena = a;
    c->req.method = tl_router_method(method);
    c->req.path = url;
    c->req.body = "";
    c->req.app = srv->cfg->app;
    c->req.conn = conn;
    c->req.ctx = c;
    c->req.ops = &mhd_req_ops;
    c->route = SIZE_MAX;
    atomic_fetch_add(&srv->active, 1);
    atomic_fetch_add_explicit(&g_in_flight, 1, memory_order_relaxed);
    return c;
}

static void ctx_unref(struct ctx *c)
{
    struct tl_server *srv = c->srv;

    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    if (c->response != NULL)
        MHD_destroy_response(c->response);
    free(c->body);
    tl_arena_free(c->req.arena); /* c lives in it */
    atomic_fetch_sub_explicit(&g_in_flight, 1, memory_order_relaxed);
    atomic_fetch_sub(&srv->active, 1);
}

/* ---- responses ---- */

static bool add_header(struct MHD_Response *r, const char *name, const char *value)
{
    return MHD_add_response_header(r, name, value) == MHD_YES;
}

static const char *route_name(const struct ctx *c)
{
    const struct tl_route *r;

    if (c->route == TL_METRICS_SELF)
        return "metrics";
    if (c->route_err != TL_OK || c->route == SIZE_MAX)
        return "unmatched";
    r = &c->srv->cfg->routes[c->route];
    return r->name != NULL ? r->name : r->pattern;
}

static void log_5xx(const struct ctx *c, int status, const char *code, const char *detail)
{
    fprintf(stderr, "tracklink: %d %s %s (%s): %s: %s\n", status,
            c->method_name != NULL ? c->method_name : "-", c->req.path != NULL ? c->req.path : "-",
            route_name(c), code != NULL ? code : "-", detail != NULL ? detail : "-");
}

/*
 * Builds a problem response into c (c->response, c->status), with one
 * extra header when hname is set and Connection: close when asked.
 */
static void set_problem(struct ctx *c, const struct tl_problem *p, const char *hname,
                        const char *hvalue, bool close_conn)
{
    struct MHD_Response *r;
    size_t len = 0;
    int status = 500;
    char *body = tl_http_problem_render(p, &status, &len);

    if (body == NULL) {
        c->response = NULL;
        return;
    }
    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        c->response = NULL;
        return;
    }
    if (!add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, TL_PROBLEM_CONTENT_TYPE) ||
        (hname != NULL && !add_header(r, hname, hvalue)) ||
        (close_conn && !add_header(r, MHD_HTTP_HEADER_CONNECTION, "close"))) {
        MHD_destroy_response(r);
        c->response = NULL;
        return;
    }
    if (status >= 500)
        log_5xx(c, status, p->code != NULL ? p->code : tl_http_default_code(p->err), p->detail);
    c->response = r;
    c->status = status;
}

static void set_error(struct ctx *c, enum tl_err err, const char *code, const char *detail,
                      const char *hname, const char *hvalue, bool close_conn)
{
    struct tl_problem p;

    tl_problem_set(&p, err, code, NULL, "%s", detail);
    set_problem(c, &p, hname, hvalue, close_conn);
}

/* Turns what a handler returned into c->response (never fails: an answer
 * that cannot be built becomes a 500, or NULL when even that fails). */
static void set_result(struct ctx *c, enum tl_err err, struct tl_resp *resp,
                       struct tl_problem *prob)
{
    struct MHD_Response *r = NULL;
    char *json = NULL;
    size_t i;
    int status;

    if (err != TL_OK) {
        json_decref(resp->json);
        resp->json = NULL;
        /* The handler's err is authoritative; a problem left unset still
         * gets the default code and a generic detail. */
        prob->err = err;
        set_problem(c, prob, NULL, NULL, false);
        /* The handler's headers go with its problem (a 429's Retry-After). */
        for (i = 0; c->response != NULL && i < resp->n_headers && i < TL_RESP_HEADERS_MAX; i++)
            add_header(c->response, resp->headers[i].name, resp->headers[i].value);
        return;
    }
    status = resp->status != 0 ? resp->status : 200;
    if (status < 100 || status > 599) {
        json_decref(resp->json);
        set_error(c, TL_ERR_INTERNAL, NULL, "handler answered an invalid status", NULL, NULL,
                  false);
        return;
    }
    if (resp->json != NULL) {
        json = json_dumps(resp->json, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(resp->json);
        resp->json = NULL;
        if (json == NULL)
            goto fail;
        r = MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
        if (r == NULL) {
            free(json);
            goto fail;
        }
        if (!add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json"))
            goto fail;
    } else {
        /* An empty body (a redirect) needs no copy. */
        r = MHD_create_response_from_buffer(resp->body_len, (void *)resp->body,
                                            resp->body_len == 0 ? MHD_RESPMEM_PERSISTENT
                                                                : MHD_RESPMEM_MUST_COPY);
        if (r == NULL)
            goto fail;
        if (resp->content_type != NULL &&
            !add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type))
            goto fail;
    }
    for (i = 0; i < resp->n_headers && i < TL_RESP_HEADERS_MAX; i++) {
        if (!add_header(r, resp->headers[i].name, resp->headers[i].value))
            goto fail;
    }
    if (status >= 500)
        log_5xx(c, status, "-", "answered by the handler");
    c->response = r;
    c->status = status;
    return;
fail:
    if (r != NULL)
        MHD_destroy_response(r);
    set_error(c, TL_ERR_NOMEM, NULL, "could not build the response", NULL, NULL, false);
}

/* Queues c->response (built on this thread or by a worker) and counts it. */
static enum MHD_Result answer(struct ctx *c)
{
    enum MHD_Result ret;
    size_t idx;

    if (c->response == NULL)
        return MHD_NO; /* out of memory: drop the connection */
    ret = MHD_queue_response(c->conn, (unsigned)c->status, c->response);
    MHD_destroy_response(c->response);
    c->response = NULL;
    c->state = ST_ANSWERED;
    if (c->route == TL_METRICS_SELF)
        idx = TL_METRICS_SELF;
    else
        idx = c->route_err == TL_OK ? c->route : TL_METRICS_UNMATCHED;
    tl_metrics_request(idx, c->status);
    return ret;
}

/* ---- running a request ---- */

/* Authentication, the kind check and the handler. Runs on a worker (it may
 * block); leaves the response in c. */
static void run_request(struct ctx *c)
{
    const struct tl_server_config *cfg = c->srv->cfg;
    const struct tl_route *route = &cfg->routes[c->route];
    struct tl_resp resp;
    struct tl_problem prob;
    enum tl_err err;

    memset(&resp, 0, sizeof(resp));
    tl_problem_init(&prob);
    if (route->auth != TL_AUTH_NONE) {
        err = cfg->authenticate != NULL ? cfg->authenticate(cfg->app, &c->req, &c->req.actor, &prob)
                                        : tl_problem_set(&prob, TL_ERR_UNAUTHORIZED, "unauthorized",
                                                         NULL, "a valid API key is required");
        if (err != TL_OK) {
            prob.err = err;
            set_problem(c, &prob,
                        err == TL_ERR_UNAUTHORIZED ? MHD_HTTP_HEADER_WWW_AUTHENTICATE : NULL,
                        "Bearer", false);
            return;
        }
        if ((route->auth & (unsigned)c->req.actor.kind) == 0) {
            set_error(c, TL_ERR_FORBIDDEN, "forbidden", "this key may not use this endpoint", NULL,
                      NULL, false);
            return;
        }
    }
    err = tl_router_check_body(route, c->req.method, c->req.body, c->req.body_len, &prob);
    if (err != TL_OK) {
        prob.err = err;
        set_problem(c, &prob, NULL, NULL, false);
        return;
    }
    if (route->handler == NULL) {
        set_error(c, TL_ERR_INTERNAL, NULL, "route has no handler", NULL, NULL, false);
        return;
    }
    err = route->handler(&c->req, &resp, &prob);
    set_result(c, err, &resp, &prob);
}

/* Marks c's response ready and wakes its suspended connection. */
static void resume(struct ctx *c)
{
    struct tl_server *srv = c->srv;

    c->state = ST_READY;
    pthread_mutex_lock(&srv->resume_mu);
    if (!c->closed)
        MHD_resume_connection(c->conn);
    pthread_mutex_unlock(&srv->resume_mu);
}

/* One of the two events a deferred answer waits for (see struct ctx). */
static void defer_step(struct ctx *c)
{
    if (atomic_fetch_sub(&c->defer_pending, 1) == 1)
        resume(c);
}

static void *worker_main(void *arg)
{
    struct tl_server *srv = arg;
    struct ctx *c;

    prctl(PR_SET_NAME, "tl-worker"); /* for top and perf */

    for (;;) {
        pthread_mutex_lock(&srv->qmu);
        while (srv->qhead == NULL && !srv->stopping)
            pthread_cond_wait(&srv->qcond, &srv->qmu);
        c = srv->qhead;
        if (c == NULL) {
            pthread_mutex_unlock(&srv->qmu);
            return NULL; /* stopping, and nothing left to run */
        }
        srv->qhead = c->next;
        if (srv->qhead == NULL)
            srv->qtail = NULL;
        pthread_mutex_unlock(&srv->qmu);
        atomic_fetch_sub_explicit(&g_queued, 1, memory_order_relaxed);

        c->req.may_block = true;
        run_request(c);
        if (c->deferred)
            defer_step(c);
        else
            resume(c);
        ctx_unref(c);
    }
}

/*
 * Hands c to the workers, suspending its connection. Returns false when
 * the server is stopping (nothing was suspended). The suspension happens
 * under the queue lock, before any worker can see c, so a worker can never
 * resume a connection that is not suspended yet.
 */
static bool dispatch(struct ctx *c)
{
    struct tl_server *srv = c->srv;

    pthread_mutex_lock(&srv->qmu);
    if (srv->stopping) {
        pthread_mutex_unlock(&srv->qmu);
        return false;
    }
    c->state = ST_WORKING;
    atomic_store(&c->in_worker, true);
    atomic_fetch_add(&c->refs, 1);
    MHD_suspend_connection(c->conn);
    c->next = NULL;
    if (srv->qtail != NULL)
        srv->qtail->next = c;
    else
        srv->qhead = c;
    srv->qtail = c;
    atomic_fetch_add_explicit(&g_queued, 1, memory_order_relaxed);
    pthread_cond_signal(&srv->qcond);
    pthread_mutex_unlock(&srv->qmu);
    return true;
}

/* ---- the MHD callbacks ---- */

struct framing {
    unsigned n_length;
    bool conflicting; /* two different Content-Length values */
    bool bad_length;  /* not a plain decimal number */
    bool has_te;
    uint64_t length;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct framing *f = cls;
    uint64_t v = 0;
    const char *p;

    (void)kind;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->has_te = true;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (value == NULL || value[0] == '\0')
            f->bad_length = true;
        for (p = value != NULL ? value : ""; *p != '\0'; p++) {
            if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10) {
                f->bad_length = true;
                break;
            }
            v = v * 10 + (uint64_t)(*p - '0');
        }
        if (f->n_length > 0 && v != f->length)
            f->conflicting = true;
        f->length = v;
        f->n_length++;
    }
    return MHD_YES;
}

/* First call: route, and answer at once only what must not read on. */
static enum MHD_Result first_call(struct ctx *c)
{
    struct framing f;

    memset(&f, 0, sizeof(f));
    MHD_get_connection_values(c->conn, MHD_HEADER_KIND, scan_header, &f);
    if (strcmp(c->req.path, METRICS_PATH) == 0) {
        c->route = TL_METRICS_SELF;
        c->route_err = TL_OK;
    } else {
        c->route_err = tl_router_match(c->srv->cfg->routes, c->srv->cfg->n_routes, c->req.method,
                                       c->req.path, &c->req, &c->route, &c->allowed);
    }
    if ((f.has_te && f.n_length > 0) || f.conflicting || f.bad_length) {
        set_error(c, TL_ERR_BADREQ, "bad_request",
                  f.has_te && f.n_length > 0 ? "both Content-Length and Transfer-Encoding were sent"
                                             : "conflicting or malformed Content-Length",
                  NULL, NULL, true);
        return answer(c);
    }
    if (f.n_length > 0 && f.length > TL_BODY_MAX) {
        set_error(c, TL_ERR_TOOLARGE, "payload_too_large", "the body is larger than 1 MiB", NULL,
                  NULL, true);
        return answer(c);
    }
    c->has_length = f.n_length > 0;
    c->content_length = f.length;
    return MHD_YES;
}

static bool take_upload(struct ctx *c, const char *data, size_t size)
{
    size_t cap;
    char *nb;

    if (c->dropped > 0 || size > TL_BODY_MAX - c->body_len) {
        c->dropped += size;
        return c->dropped <= DISCARD_MAX;
    }
    if (c->body_len + size + 1 > c->body_cap) {
        cap = c->has_length ? (size_t)c->content_length + 1 : BODY_FIRST_CAP;
        if (cap < c->body_cap * 2)
            cap = c->body_cap * 2;
        if (cap < c->body_len + size + 1)
            cap = c->body_len + size + 1;
        if (cap > TL_BODY_MAX + 1)
            cap = TL_BODY_MAX + 1;
        nb = realloc(c->body, cap);
        if (nb == NULL)
            return false;
        c->body = nb;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, data, size);
    c->body_len += size;
    return true;
}

/* Final call: the request is complete. */
static enum MHD_Result final_call(struct ctx *c)
{
    const char *text = NULL;
    char allow[64];
    size_t len = 0;
    struct MHD_Response *r;

    if (c->dropped > 0) {
        set_error(c, TL_ERR_TOOLARGE, "payload_too_large", "the body is larger than 1 MiB", NULL,
                  NULL, false);
        return answer(c);
    }
    if (c->body != NULL) {
        c->body[c->body_len] = '\0';
        c->req.body = c->body;
        c->req.body_len = c->body_len;
    }
    if (c->route == TL_METRICS_SELF) {
        if (c->req.method != TL_GET && c->req.method != TL_HEAD) {
            set_error(c, TL_ERR_METHOD, "method_not_allowed", "method not allowed",
                      MHD_HTTP_HEADER_ALLOW, "GET, HEAD", false);
            return answer(c);
        }
        if (tl_metrics_render(c->req.arena, &text, &len) != TL_OK) {
            set_error(c, TL_ERR_NOMEM, NULL, "could not render metrics", NULL, NULL, false);
            return answer(c);
        }
        r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
        if (r == NULL)
            return MHD_NO;
        if (!add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_TYPE)) {
            MHD_destroy_response(r);
            return MHD_NO;
        }
        c->response = r;
        c->status = 200;
        return answer(c);
    }
    switch (c->route_err) {
    case TL_OK: break;
    case TL_ERR_NOTFOUND:
        set_error(c, TL_ERR_NOTFOUND, "not_found", "no such resource", NULL, NULL, false);
        return answer(c);
    case TL_ERR_METHOD:
        set_error(c, TL_ERR_METHOD, "method_not_allowed", "method not allowed",
                  MHD_HTTP_HEADER_ALLOW, tl_router_allow(c->allowed, allow, sizeof(allow)), false);
        return answer(c);
    default:
        set_error(c, c->route_err, NULL, "could not route the request", NULL, NULL, false);
        return answer(c);
    }
    /* Inline routes (the redirect) run here, on the MHD thread, unless they
     * ask for a worker because they would block. */
    if (c->srv->cfg->routes[c->route].flags & TL_ROUTE_INLINE) {
        struct tl_resp resp;
        struct tl_problem prob;
        enum tl_err err;

        memset(&resp, 0, sizeof(resp));
        tl_problem_init(&prob);
        err = tl_router_check_body(&c->srv->cfg->routes[c->route], c->req.method, c->req.body,
                                   c->req.body_len, &prob);
        if (err == TL_OK)
            err = c->srv->cfg->routes[c->route].handler(&c->req, &resp, &prob);
        if (err != TL_ERR_AGAIN) {
            set_result(c, err, &resp, &prob);
            if (!c->deferred)
                return answer(c);
            defer_step(c);
            return MHD_YES;
        }
        json_decref(resp.json);
    }
    if (c->srv->cfg->routes[c->route].flags & (TL_ROUTE_DIRECT | TL_ROUTE_ASYNC)) {
        c->req.may_block = true;
        run_request(c);
        return answer(c);
    }
    if (!dispatch(c)) {
        set_error(c, TL_ERR_BUSY, "unavailable", "the server is shutting down", NULL, NULL, true);
        return answer(c);
    }
    return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct tl_server *srv = cls;
    struct ctx *c = *con_cls;

    (void)version;
    if (c == NULL) {
        c = ctx_new(srv, conn, url, method);
        if (c == NULL)
            return MHD_NO;
        *con_cls = c;
        return first_call(c);
    }
    if (*upload_data_size > 0) {
        size_t size = *upload_data_size;

        *upload_data_size = 0;
        if (c->state != ST_READING)
            return MHD_YES; /* answered early: drop what still arrives */
        return take_upload(c, upload_data, size) ? MHD_YES : MHD_NO;
    }
    switch (c->state) {
    case ST_READING: return final_call(c);
    case ST_READY:
        if (atomic_load(&c->defer_failed)) {
            if (c->response != NULL)
                MHD_destroy_response(c->response);
            set_error(c, TL_ERR_BUSY, "unavailable", "the click could not be stored", NULL, NULL,
                      false);
        }
        return answer(c);
    case ST_WORKING:
    case ST_ANSWERED: break;
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct tl_server *srv = cls;
    struct ctx *c = *con_cls;

    (void)conn;
    (void)toe;
    if (c == NULL)
        return;
    *con_cls = NULL;
    if (atomic_load(&c->in_worker)) {
        pthread_mutex_lock(&srv->resume_mu);
        c->closed = true;
        pthread_mutex_unlock(&srv->resume_mu);
    }
    ctx_unref(c);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    /* Its connections are the front's socketpairs (http/front.h), where
     * TCP options do not apply: that is no news. */
    if (strstr(line, "TCP_NODELAY") != NULL || strstr(line, "TCP_CORK") != NULL ||
        strstr(line, "push the data from buffers") != NULL)
        return;
    fprintf(stderr, "tracklink: mhd: %s", line);
}

/* ---- request helpers for handlers ---- */

static const char *mhd_query(const struct tl_req *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

static const char *mhd_header(const struct tl_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct query_list {
    struct tl_kv *out;
    size_t n, max;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct query_list *q = cls;

    (void)kind;
    if (q->n == q->max)
        return MHD_NO;
    q->out[q->n].key = key;
    q->out[q->n].value = value;
    q->n++;
    return MHD_YES;
}

static size_t mhd_query_list(const struct tl_req *req, struct tl_kv *out, size_t max)
{
    struct query_list q = {out, 0, max};

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
    return q.n;
}

static const char *mhd_peer(const struct tl_req *req, char *buf, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
    const void *addr = NULL;

    if (sa != NULL && sa->sa_family == AF_INET)
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa != NULL && sa->sa_family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (addr == NULL || inet_ntop(sa->sa_family, addr, buf, (socklen_t)cap) == NULL)
        snprintf(buf, cap, "unknown");
    return buf;
}

static void mhd_resume(struct tl_deferral *d, bool ok);

static void *mhd_defer(struct tl_req *req)
{
    struct ctx *c = req->ctx;
    struct tl_server *srv = c->srv;

    pthread_mutex_lock(&srv->qmu);
    if (srv->stopping) {
        pthread_mutex_unlock(&srv->qmu);
        return NULL;
    }
    if (!atomic_load(&c->in_worker)) {
        /* Still on the MHD thread: suspend here; answered on resume. */
        c->state = ST_WORKING;
        atomic_store(&c->in_worker, true);
        MHD_suspend_connection(c->conn);
    }
    c->deferred = true;
    c->defer_head.resume = mhd_resume;
    atomic_store(&c->defer_pending, 2);
    atomic_fetch_add(&c->refs, 1);
    atomic_fetch_add(&srv->deferred, 1);
    pthread_mutex_unlock(&srv->qmu);
    return c;
}

static void mhd_resume(struct tl_deferral *d, bool ok)
{
    struct ctx *c = (struct ctx *)(void *)d; /* d is c's first member */
    struct tl_server *srv = c->srv;

    if (!ok)
        atomic_store(&c->defer_failed, true);
    defer_step(c);
    ctx_unref(c);
    atomic_fetch_sub(&srv->deferred, 1); /* last: tl_server_free waits for it */
}

static const struct tl_req_ops mhd_req_ops = {
    .query = mhd_query,
    .header = mhd_header,
    .query_list = mhd_query_list,
    .peer = mhd_peer,
    .defer = mhd_defer,
};

/* ---- start and stop ---- */

static bool valid_port(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= 5 && strspn(s, "0123456789") == n && strtol(s, NULL, 10) <= 65535;
}

/* "host:port", "[v6]:port" or ":port" → a socket address (getaddrinfo
 * does the parsing; this only splits host from port). */
static bool parse_listen(const char *listen, struct sockaddr_storage *out, socklen_t *out_len,
                         char *why, size_t why_len)
{
    char host[256];
    const char *colon, *port, *hs;
    size_t hl;
    struct addrinfo hints, *res = NULL;
    int rc;

    if (listen == NULL || listen[0] == '\0') {
        snprintf(why, why_len, "no listen address");
        return false;
    }
    if (listen[0] == '[') {
        colon = strchr(listen, ']');
        if (colon == NULL || colon[1] != ':') {
            snprintf(why, why_len, "bad listen address '%s' (want [v6]:port)", listen);
            return false;
        }
        hs = listen + 1;
        hl = (size_t)(colon - hs);
        port = colon + 2;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL) {
            snprintf(why, why_len, "bad listen address '%s' (want host:port)", listen);
            return false;
        }
        hs = listen;
        hl = (size_t)(colon - listen);
        port = colon + 1;
    }
    if (hl >= sizeof(host) || !valid_port(port)) {
        snprintf(why, why_len, "bad listen address '%s' (bad port)", listen);
        return false;
    }
    memcpy(host, hs, hl);
    host[hl] = '\0';
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(hl > 0 ? host : NULL, port, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(why, why_len, "bad listen address '%s': %s", listen, gai_strerror(rc));
        if (res != NULL)
            freeaddrinfo(res);
        return false;
    }
    if (res->ai_addrlen > sizeof(*out)) {
        freeaddrinfo(res);
        snprintf(why, why_len, "bad listen address '%s'", listen);
        return false;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *out_len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

static void stop_workers(struct tl_server *srv)
{
    size_t i;

    pthread_mutex_lock(&srv->qmu);
    srv->stopping = true;
    pthread_cond_broadcast(&srv->qcond);
    pthread_mutex_unlock(&srv->qmu);
    for (i = 0; i < srv->n_workers; i++)
        pthread_join(srv->workers[i], NULL);
    srv->n_workers = 0;
}

/* The listening socket: the front accepts on it (http/front.h). */
static int open_listener(const struct sockaddr_storage *addr, socklen_t addr_len, const char *text,
                         char *why, size_t why_len)
{
    int fd, one = 1, defer_s = 1;

    fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, why_len, "cannot listen on %s: %s", text, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (addr->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    /* accept() returns once the request is there (nginx's "deferred"). */
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof(defer_s));
    if (bind(fd, (const struct sockaddr *)addr, addr_len) != 0 || listen(fd, 4096) != 0) {
        snprintf(why, why_len, "cannot listen on %s (%s)", text, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The front's hand-off: libmicrohttpd takes the connection, request unread. */
static void front_handoff(void *cls, int fd, const struct sockaddr *addr, socklen_t addr_len)
{
    struct tl_server *srv = cls;

    /* MHD closes fd itself when it cannot take it (its limits, OOM). */
    MHD_add_connection(srv->daemon, fd, addr, addr_len);
}

struct tl_server *tl_server_start(const struct tl_server_config *cfg, char *why, size_t why_len)
{
    struct tl_server *srv = NULL;
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    unsigned flags, threads, workers, i;
    long cores;
    int rc;

    if (why_len > 0)
        why[0] = '\0';
    if (cfg == NULL || (cfg->routes == NULL && cfg->n_routes > 0)) {
        snprintf(why, why_len, "no server configuration");
        return NULL;
    }
    if (!parse_listen(cfg->listen, &addr, &addr_len, why, why_len))
        return NULL;
    if (tl_metrics_routes(cfg->routes, cfg->n_routes) != TL_OK) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    pthread_once(&gauges_once, register_gauges);

    srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    srv->cfg = cfg;
    srv->listen_fd = -1;
    atomic_init(&srv->active, 0);
    pthread_mutex_init(&srv->qmu, NULL);
    pthread_cond_init(&srv->qcond, NULL);
    pthread_mutex_init(&srv->resume_mu, NULL);

    workers = cfg->workers != 0 ? cfg->workers : DEFAULT_WORKERS;
    srv->workers = calloc(workers, sizeof(srv->workers[0]));
    if (srv->workers == NULL) {
        snprintf(why, why_len, "out of memory");
        goto fail;
    }
    for (i = 0; i < workers; i++) {
        rc = pthread_create(&srv->workers[i], NULL, worker_main, srv);
        if (rc != 0) {
            snprintf(why, why_len, "cannot start worker threads: %s", strerror(rc));
            goto fail;
        }
        srv->n_workers++;
    }

    srv->listen_fd = open_listener(&addr, addr_len, cfg->listen, why, why_len);
    if (srv->listen_fd < 0)
        goto fail;
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cfg->threads != 0 ? cfg->threads : (cores > 0 ? (unsigned)cores : 1);
    /* No listening socket of its own: every connection comes from the
     * front (MHD_add_connection), ITC so that MHD sees it at once. */
    flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
            MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, on_log,
        NULL, /* first, or MHD logs by itself */
        MHD_OPTION_THREAD_POOL_SIZE, workers, MHD_OPTION_CONNECTION_LIMIT,
        cfg->connection_limit != 0 ? cfg->connection_limit : DEFAULT_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s != 0 ? cfg->timeout_s : DEFAULT_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT, MHD_OPTION_STRICT_FOR_CLIENT,
        1, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(why, why_len, "cannot start libmicrohttpd for %s", cfg->listen);
        goto fail;
    }
    srv->front_cfg = (struct tl_front_config){
        .listen_fd = srv->listen_fd,
        .threads = threads,
        .connection_limit =
            cfg->connection_limit != 0 ? cfg->connection_limit : DEFAULT_CONNECTIONS,
        .per_ip_limit = cfg->per_ip_limit == TL_LIMIT_OFF ? 0
                        : cfg->per_ip_limit != 0          ? cfg->per_ip_limit
                                                          : DEFAULT_PER_IP,
        .timeout_s = cfg->timeout_s != 0 ? cfg->timeout_s : DEFAULT_TIMEOUT_S,
        .head_timeout_s = cfg->head_timeout_s != 0 ? cfg->head_timeout_s : DEFAULT_HEAD_S,
        .body_min_rate = cfg->body_min_rate != 0 ? cfg->body_min_rate : DEFAULT_BODY_RATE,
        .routes = cfg->routes,
        .n_routes = cfg->n_routes,
        .app = cfg->app,
        .authenticate_cached = cfg->authenticate_cached,
        .handoff = front_handoff,
        .handoff_cls = srv,
    };
    srv->front = tl_front_start(&srv->front_cfg, why, why_len);
    if (srv->front == NULL)
        goto fail;
    return srv;
fail:
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    stop_workers(srv);
    free(srv->workers);
    pthread_mutex_destroy(&srv->resume_mu);
    pthread_cond_destroy(&srv->qcond);
    pthread_mutex_destroy(&srv->qmu);
    free(srv);
    return NULL;
}

unsigned tl_server_port(const struct tl_server *srv)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (srv == NULL || srv->listen_fd < 0 ||
        getsockname(srv->listen_fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
    return 0;
}

void tl_server_free(struct tl_server *srv)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    int waited = 0;

    if (srv == NULL)
        return;
    /* The front first: it stops accepting, sends the answers it has on
     * their way (deferred ones after their commit) and closes its
     * connections; what it handed off is MHD's. */
    tl_front_free(srv->front);
    close(srv->listen_fd);
    /* Let the requests in flight finish (workers resume their connections
     * and MHD sends the answers), then stop the workers (which drain their
     * queue first) and only then the daemon, so that no worker can resume a
     * connection of a stopped daemon. MHD_quiesce_daemon is not used: in
     * libmicrohttpd 0.9.75 it races with its own epoll threads removing the
     * listening socket, and aborts the process ("Failed to remove listen FD
     * from epoll set"). */
    while (atomic_load(&srv->active) > 0 && waited < DRAIN_WAIT_MS) {
        nanosleep(&ts, NULL);
        waited += 10;
    }
    /* A deferred answer is resumed by whoever deferred it (the click
     * writer, after its commit), which touches this server: wait for every
     * one, however long the commit takes. */
    while (atomic_load(&srv->deferred) > 0)
        nanosleep(&ts, NULL);
    stop_workers(srv);
    MHD_stop_daemon(srv->daemon);
    free(srv->workers);
    pthread_mutex_destroy(&srv->resume_mu);
    pthread_cond_destroy(&srv->qcond);
    pthread_mutex_destroy(&srv->qmu);
    free(srv);
}
