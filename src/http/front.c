/*
 * front.c: the redirect front (see front.h).
 *
 * One connection's life on a front thread:
 * 1. accept4; the request is usually there already (TCP_DEFER_ACCEPT).
 * 2. on_input: recv(MSG_PEEK) up to 16 KiB, and llhttp parses one request
 *    after another from that copy, pausing at each message's end. A
 *    request the front answers is run through the route's handler and its
 *    answer appended to the thread's output buffer; one that it does not
 *    take ends the loop with a hand-off.
 * 3. The bytes of the answered requests are dropped from the socket
 *    (recv MSG_TRUNC), the answers sent in one send(); what the socket
 *    does not take waits in the connection's own buffer for EPOLLOUT.
 * 4. Hand-off: once nothing of ours is left to send, the connection leaves
 *    the front's epoll set and goes, with its unread request, to
 *    libmicrohttpd.
 * A deferred answer (sync clicks) is kept on its connection, which reads
 * nothing more until tl_http_resume posts it back to its thread. So is a
 * suspended request (a TL_ROUTE_ASYNC route, POST /api/v1/conversions,
 * whose body the peek holds): its handler queued work on the store and
 * returned; tl_http_resume posts it back, and its finish function builds
 * the answer on this thread.
 */
#define _GNU_SOURCE /* accept4 */
#include "http/front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <llhttp.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "http/frontread.h"
#include "http/internal.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "http/router.h"

#define READ_MAX        (16 * 1024) /* a request must fit, or it goes to MHD */
#define OUT_FLUSH       (64 * 1024) /* stop taking pipelined requests past it */
#define HEADERS_MAX     TL_FRONTREAD_HEADERS_MAX
#define EVENTS_MAX      64
#define ACCEPT_BATCH    32
#define IP_SLOTS        4096
#define REQ_ARENA_CAP   (1024 * 1024)
#define DATE_LEN        64
#define POST_BODY_MAX   (8 * 1024) /* larger bodies go to MHD */
#define ASYNC_ARENA_CAP (1024 * 1024)
#define ARENA_SPARES    64
/* Stop reading libmicrohttpd's answer while this much waits for the client. */
#define RELAY_PEND_MAX (256 * 1024)
#define RETRY_AFTER_S  "5"
/* After a refusal, how long what the client still sends is read and
 * dropped, so that closing with unread input (an RST) does not discard
 * the answer before the client has read it (nginx's lingering close). */
#define LINGER_S 2

/* epoll tags that are not connections */
static char tag_listen, tag_wake;

struct fthread;

struct fconn {
    struct tl_deferral defer_head; /* first: the token of tl_req_defer */
    struct fthread *t;
    int fd;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    unsigned ip_slot;
    struct fconn *prev, *next; /* the thread's connections */
    struct fconn *rnext;       /* the thread's list of resumed deferrals */
    time_t last;               /* monotonic seconds of the last request */
    /* Output the socket has not taken yet. */
    char *pend;
    size_t pend_off, pend_len, pend_cap;
    /* A deferred answer, sent (or replaced by a 503) on resume. */
    char *held;
    size_t held_len;
    size_t held_route;
    int held_status;
    bool held_close, held_head;
    /* A suspended request (tl_req_suspend): its answer is built by finish
     * on resume; req lives in its own arena, freed after finish. */
    tl_finish_fn finish;
    void *finish_ctx;
    struct tl_req *finish_req;
    bool deferred;  /* waiting for tl_http_resume */
    bool defer_ok;  /* set by the resumer, under the thread's mutex */
    bool dead;      /* closed while deferred: freed when the resume comes */
    bool closing;   /* close once pend is sent */
    bool handoff;   /* hand to MHD once pend is sent */
    bool peer_done; /* the peer shut its side: close once all it sent is answered */
    bool gone;      /* closed: freed at the end of the loop round */
    bool linger;    /* once the answer is out, read and drop what still comes, then close */
    bool lingering; /* our side is shut; dropping input until the peer's end or LINGER_S */
    struct fconn *gnext;
    time_t head_at; /* monotonic s of the current request's first byte; 0: none */
    time_t body_at; /* when its head was complete (read mode); 0: not yet */
    time_t out_at;  /* when pend last went out, or began to wait */
    /* Read mode: every request is read whole by rd and relayed to
     * libmicrohttpd over pair, one at a time; resp finds where its answer
     * ends. */
    struct tl_frontread *rd;
    int pair;         /* our end of the socketpair; -1: none */
    bool relaying;    /* a request went; its answer is on its way */
    bool relay_got;   /* some of the answer came */
    bool relay_head;  /* it was a HEAD */
    bool relay_close; /* close once the answer is relayed */
    bool continued;   /* 100 Continue was sent for this request */
    bool resp_done;
    char *tomhd; /* the canonical request, not all written yet */
    size_t tomhd_off, tomhd_len;
    llhttp_t resp;
};

struct fthread {
    struct tl_front *f;
    pthread_t tid;
    bool started;
    int ep, wake_fd;
    char *rbuf; /* READ_MAX, the peeked bytes */
    char *obuf; /* answers of this round */
    size_t olen, ocap;
    struct tl_arena *arena; /* one request's, reset after it */
    /* Arenas of requests that may be suspended, kept warm for the next. */
    struct tl_arena *spare[ARENA_SPARES];
    size_t n_spare;
    struct fconn *conns;
    size_t n_conns;
    pthread_mutex_t mu; /* guards resumed */
    struct fconn *resumed;
    char date[DATE_LEN]; /* "Date: ...\r\n" of date_at */
    time_t date_at;
    time_t swept_at;
    bool stop_seen;
    time_t accept_paused;    /* out of descriptors: the listener rests until then */
    struct fconn *graveyard; /* closed this round, freed after it */
};

struct tl_front {
    const struct tl_front_config *cfg;
    bool has_async; /* some route is TL_ROUTE_ASYNC: POST bodies are read */
    struct fthread *th;
    unsigned n_threads;
    _Atomic bool stopping;
    _Atomic unsigned n_conns;
    _Atomic unsigned ip_count[IP_SLOTS];
    unsigned char ip_key[crypto_shorthash_KEYBYTES];
    char *busy; /* the 503 answered over the connection limits */
    size_t busy_len;
};

/* One request as llhttp saw it: spans into the peeked bytes. */
struct span {
    const char *at;
    size_t len;
};

struct parse {
    struct span url, body;
    struct span names[HEADERS_MAX], values[HEADERS_MAX];
    size_t n_headers;
    bool in_value, too_many, done, has_host, refused;
    bool allow_post; /* the front has TL_ROUTE_ASYNC routes to serve */
};

/* What the handler sees behind req->ctx. */
struct freq {
    struct fconn *c;
    struct tl_kv *params;
    size_t n_params;
    const struct parse *ps; /* the headers, copied when asked for */
    struct tl_arena *arena;
};

enum step { STEP_ANSWERED, STEP_INCOMPLETE, STEP_HANDOFF, STEP_FAIL };

static const struct tl_req_ops front_req_ops;

/* Process-wide, for /metrics. */
static _Atomic uint64_t g_answers, g_handoffs, g_open, g_relayed, g_refused, g_slow, g_busy;
static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void register_metrics(void)
{
    tl_metrics_register("tracklink_front_answers_total",
                        "Requests answered by the redirect front (not libmicrohttpd).",
                        TL_METRIC_COUNTER, &g_answers);
    tl_metrics_register("tracklink_front_handoffs_total",
                        "Connections the redirect front relays to libmicrohttpd (a socketpair "
                        "each, for its requests read whole).",
                        TL_METRIC_COUNTER, &g_handoffs);
    tl_metrics_register("tracklink_front_connections", "Connections held by the redirect front.",
                        TL_METRIC_GAUGE, &g_open);
    tl_metrics_register("tracklink_front_relayed_total",
                        "Requests read whole by the front and relayed to libmicrohttpd.",
                        TL_METRIC_COUNTER, &g_relayed);
    tl_metrics_register("tracklink_front_refused_total",
                        "Requests the front refused while reading them (400, 413, 414, 431).",
                        TL_METRIC_COUNTER, &g_refused);
    tl_metrics_register("tracklink_front_slow_closed_total",
                        "Connections closed for missing the head deadline, the body's minimum "
                        "rate, or not reading their answer.",
                        TL_METRIC_COUNTER, &g_slow);
    tl_metrics_register("tracklink_front_busy_total",
                        "Connections answered 503 over the connection limits.", TL_METRIC_COUNTER,
                        &g_busy);
}

/* ---- llhttp callbacks: record spans; refuse what the front does not take ---- */

static int extend(struct span *s, const char *at, size_t len)
{
    if (s->at == NULL) {
        s->at = at;
        s->len = len;
        return 0;
    }
    if (s->at + s->len != at)
        return -1; /* only one contiguous buffer is ever parsed */
    s->len += len;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct parse *ps = p->data;

    return extend(&ps->url, at, len);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct parse *ps = p->data;

    if (ps->in_value || ps->n_headers == 0) {
        if (ps->n_headers == HEADERS_MAX) {
            ps->too_many = true;
            return -1;
        }
        ps->n_headers++;
        ps->names[ps->n_headers - 1] = (struct span){NULL, 0};
        ps->values[ps->n_headers - 1] = (struct span){NULL, 0};
        ps->in_value = false;
    }
    return extend(&ps->names[ps->n_headers - 1], at, len);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct parse *ps = p->data;

    ps->in_value = true;
    if (ps->n_headers == 0)
        return -1;
    return extend(&ps->values[ps->n_headers - 1], at, len);
}

static int on_header_value_complete(llhttp_t *p)
{
    struct parse *ps = p->data;

    ps->in_value = true; /* an empty value has no on_header_value */
    return 0;
}

static bool name_is(const struct span *s, const char *name)
{
    return s->len == strlen(name) && strncasecmp(s->at, name, s->len) == 0;
}

/* GET or HEAD, HTTP/1.1, no body, no upgrade, Host present, no Expect; or
 * (for TL_ROUTE_ASYNC routes) a POST whose body has a Content-Length that
 * the peek buffer holds. */
static int on_headers_complete(llhttp_t *p)
{
    struct parse *ps = p->data;
    uint8_t m = llhttp_get_method(p);
    bool post = m == HTTP_POST && ps->allow_post;
    size_t i, n_length = 0;

    if ((m != HTTP_GET && m != HTTP_HEAD && !post) || llhttp_get_http_major(p) != 1 ||
        llhttp_get_http_minor(p) != 1 || llhttp_get_upgrade(p) ||
        (p->flags & (F_CHUNKED | F_TRANSFER_ENCODING)) != 0 ||
        ((p->flags & F_CONTENT_LENGTH) != 0) != post ||
        (post && (p->content_length == 0 || p->content_length > POST_BODY_MAX))) {
        ps->refused = true;
        return -1;
    }
    for (i = 0; i < ps->n_headers; i++) {
        if (name_is(&ps->names[i], "Host"))
            ps->has_host = true;
        else if (name_is(&ps->names[i], "Content-Length"))
            n_length++;
        else if (name_is(&ps->names[i], "Expect") || name_is(&ps->names[i], "Transfer-Encoding")) {
            ps->refused = true;
            return -1;
        }
    }
    if (!ps->has_host || n_length != (post ? 1u : 0u)) {
        ps->refused = true; /* MHD answers the 400 */
        return -1;
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct parse *ps = p->data;

    return extend(&ps->body, at, len);
}

static int on_message_complete(llhttp_t *p)
{
    struct parse *ps = p->data;

    ps->done = true;
    return HPE_PAUSED; /* one request at a time: the position says where it ends */
}

static llhttp_settings_t parser_settings;
static llhttp_settings_t resp_settings; /* libmicrohttpd's answers, relayed */
static int resp_headers_complete(llhttp_t *p);
static int resp_message_complete(llhttp_t *p);
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

static void settings_init(void)
{
    llhttp_settings_init(&parser_settings);
    parser_settings.on_url = on_url;
    parser_settings.on_header_field = on_header_field;
    parser_settings.on_header_value = on_header_value;
    parser_settings.on_header_value_complete = on_header_value_complete;
    parser_settings.on_headers_complete = on_headers_complete;
    parser_settings.on_body = on_body;
    parser_settings.on_message_complete = on_message_complete;
    llhttp_settings_init(&resp_settings);
    resp_settings.on_headers_complete = resp_headers_complete;
    resp_settings.on_message_complete = resp_message_complete;
}

/* ---- output ---- */

static bool out_reserve(struct fthread *t, size_t n)
{
    size_t cap;
    char *nb;

    if (t->ocap - t->olen >= n)
        return true;
    cap = t->ocap != 0 ? t->ocap : OUT_FLUSH;
    while (cap - t->olen < n)
        cap *= 2;
    nb = realloc(t->obuf, cap);
    if (nb == NULL)
        return false;
    t->obuf = nb;
    t->ocap = cap;
    return true;
}

static void out_put(struct fthread *t, const char *s, size_t n)
{
    memcpy(t->obuf + t->olen, s, n);
    t->olen += n;
}

static void date_refresh(struct fthread *t)
{
    time_t now = time(NULL);
    struct tm tm;

    if (now == t->date_at && t->date[0] != '\0')
        return;
    gmtime_r(&now, &tm);
    strftime(t->date, sizeof(t->date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    t->date_at = now;
}

/*
 * Appends one answer to the thread's output. Header values come from the
 * handler; one that could split the header block makes the answer a 500,
 * as libmicrohttpd would refuse it too. Returns false on OOM.
 */
static void out_uint(struct fthread *t, size_t v)
{
    char d[24];
    size_t n = sizeof(d);

    do {
        d[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    out_put(t, d + n, sizeof(d) - n);
}

static void out_str(struct fthread *t, const char *s)
{
    out_put(t, s, strlen(s));
}

static bool render(struct fthread *t, int status, const struct tl_resp_header *hdrs, size_t n_hdrs,
                   const char *ctype, const char *body, size_t body_len, bool head, bool close)
{
    const char *reason = MHD_get_reason_phrase_for((unsigned)status);
    size_t need, i;

    if (status < 100 || status > 599)
        status = 500;
    need = 256 + body_len + (ctype != NULL ? strlen(ctype) : 0) +
           (reason != NULL ? strlen(reason) : 0);
    for (i = 0; i < n_hdrs; i++) {
        if (strpbrk(hdrs[i].value, "\r\n") != NULL || strpbrk(hdrs[i].name, "\r\n:") != NULL)
            return render(t, 500, NULL, 0, NULL, NULL, 0, head, close);
        need += strlen(hdrs[i].name) + strlen(hdrs[i].value) + 4;
    }
    if (!out_reserve(t, need))
        return false;
    out_put(t, "HTTP/1.1 ", 9);
    out_uint(t, (size_t)status);
    out_put(t, " ", 1);
    out_str(t, reason != NULL && reason[0] != '\0' ? reason : "Unknown");
    out_put(t, "\r\n", 2);
    for (i = 0; i < n_hdrs; i++) {
        out_str(t, hdrs[i].name);
        out_put(t, ": ", 2);
        out_str(t, hdrs[i].value);
        out_put(t, "\r\n", 2);
    }
    if (ctype != NULL) {
        out_put(t, "Content-Type: ", 14);
        out_str(t, ctype);
        out_put(t, "\r\n", 2);
    }
    if (close)
        out_put(t, "Connection: close\r\n", 19);
    date_refresh(t);
    out_str(t, t->date);
    out_put(t, "Content-Length: ", 16);
    out_uint(t, body_len);
    out_put(t, "\r\n\r\n", 4);
    if (!head && body_len > 0)
        out_put(t, body, body_len);
    return true;
}

static bool render_problem(struct fthread *t, const struct tl_problem *prob, bool head, bool close,
                           int *status)
{
    size_t len = 0;
    char *body = tl_http_problem_render(prob, status, &len);
    bool ok;

    if (body == NULL)
        return false;
    ok = render(t, *status, NULL, 0, TL_PROBLEM_CONTENT_TYPE, body, len, head, close);
    free(body);
    return ok;
}

/* An arena for a request that may outlive its read (a suspension). */
static struct tl_arena *arena_take(struct fthread *t)
{
    if (t->n_spare > 0)
        return t->spare[--t->n_spare];
    return tl_arena_new(ASYNC_ARENA_CAP);
}

static void arena_give(struct fthread *t, struct tl_arena *a)
{
    if (t->n_spare < ARENA_SPARES) {
        tl_arena_reset(a);
        t->spare[t->n_spare++] = a;
    } else {
        tl_arena_free(a);
    }
}

/* ---- connections ---- */

static unsigned ip_slot(const struct tl_front *f, const struct sockaddr_storage *sa)
{
    unsigned char h[crypto_shorthash_BYTES];
    const unsigned char *a = NULL;
    size_t n = 0;

    if (sa->ss_family == AF_INET) {
        a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        n = 4;
    } else if (sa->ss_family == AF_INET6) {
        a = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        n = 16;
    }
    if (a == NULL)
        return 0;
    crypto_shorthash(h, a, n, f->ip_key);
    return (unsigned)(((unsigned)h[0] | (unsigned)h[1] << 8) % IP_SLOTS);
}

static time_t mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return ts.tv_sec;
}

static void conn_unlink(struct fconn *c)
{
    struct fthread *t = c->t;

    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    t->n_conns--;
    atomic_fetch_sub_explicit(&g_open, 1, memory_order_relaxed);
    atomic_fetch_sub(&t->f->n_conns, 1);
    atomic_fetch_sub(&t->f->ip_count[c->ip_slot], 1);
}

static void conn_free(struct fconn *c)
{
    tl_frontread_free(c->rd);
    free(c->tomhd);
    free(c->pend);
    free(c->held);
    free(c);
}

/* Closes c; it is freed at the end of the loop round, since an event of
 * this round (its socket's or its pair's) may still name it. A deferred c
 * only loses its sockets here: the struct is the deferral token, closed
 * again when its resume comes (on_resumed). */
static void conn_close(struct fconn *c)
{
    if (c->gone)
        return;
    if (c->fd >= 0)
        close(c->fd); /* leaves the epoll set with it */
    c->fd = -1;
    if (c->pair >= 0)
        close(c->pair); /* libmicrohttpd sees the end and drops its side */
    c->pair = -1;
    if (c->deferred) {
        c->dead = true;
        return;
    }
    conn_unlink(c);
    c->gone = true;
    c->gnext = c->t->graveyard;
    c->t->graveyard = c;
}

/* Sends what c has waiting. Returns false when the connection failed. */
static bool conn_flush(struct fconn *c)
{
    ssize_t n;

    while (c->pend_off < c->pend_len) {
        n = send(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        c->pend_off += (size_t)n;
        c->out_at = mono_s();
    }
    c->pend_off = c->pend_len = 0;
    return true;
}

static bool pend_append(struct fconn *c, const char *s, size_t n)
{
    size_t cap;
    char *nb;

    if (c->pend_cap - c->pend_len < n) {
        cap = c->pend_cap != 0 ? c->pend_cap : 1024;
        while (cap - c->pend_len < n)
            cap *= 2;
        nb = realloc(c->pend, cap);
        if (nb == NULL)
            return false;
        c->pend = nb;
        c->pend_cap = cap;
    }
    memcpy(c->pend + c->pend_len, s, n);
    c->pend_len += n;
    return true;
}

/* Sends the thread's output for c: straight to the socket when nothing
 * waits before it, else after what waits. Returns false when c failed. */
static bool send_out(struct fthread *t, struct fconn *c)
{
    size_t off = 0;
    ssize_t n;
    bool ok = true;

    if (c->pend_len == 0) {
        while (off < t->olen) {
            n = send(c->fd, t->obuf + off, t->olen - off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    ok = false;
                break;
            }
            off += (size_t)n;
        }
    }
    if (ok && off < t->olen) {
        if (c->pend_len == 0)
            c->out_at = mono_s();
        ok = pend_append(c, t->obuf + off, t->olen - off);
    }
    t->olen = 0;
    return ok;
}

static bool read_begin(struct fthread *t, struct fconn *c);

/* Reads and drops what a lingering connection still sends; closes it at
 * the peer's end. */
static void linger_drain(struct fconn *c)
{
    ssize_t n;

    for (;;) {
        n = recv(c->fd, c->t->rbuf, READ_MAX, 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_close(c);
        return;
    }
}

/* After output: close, hand off, or go on. Returns false when c is gone
 * (or only lingers). */
static bool conn_settle(struct fconn *c)
{
    if (c->pend_len > 0 || c->deferred)
        return true;
    if (c->closing && c->linger && !c->lingering && c->fd >= 0) {
        shutdown(c->fd, SHUT_WR); /* the answer is out: the FIN follows it */
        c->lingering = true;
        c->out_at = mono_s();
        linger_drain(c);
        return false;
    }
    if (c->closing && !c->lingering) {
        conn_close(c);
        return false;
    }
    if (c->lingering)
        return false;
    if (c->handoff) {
        c->handoff = false;
        return read_begin(c->t, c);
    }
    return true;
}

/* ---- one request ---- */

static bool safe_path(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || s[0] != '/')
        return false;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '/' || ch == '-' || ch == '_' || ch == '.' || ch == '~'))
            return false;
    }
    return true;
}

static void log_5xx(const char *path, int status, const char *code, const char *detail)
{
    fprintf(stderr, "tracklink: %d %s (front): %s: %s\n", status, path, code != NULL ? code : "-",
            detail != NULL ? detail : "-");
}

/*
 * Appends the answer to what a handler (or a finish) returned. Returns
 * false on OOM; *status is the status answered.
 */
static bool render_result(struct fthread *t, enum tl_err err, struct tl_resp *resp,
                          struct tl_problem *prob, bool head, bool close, const char *what,
                          int *status)
{
    char *json = NULL;
    const char *body = resp->body, *ctype = resp->content_type;
    size_t body_len = resp->body_len;
    bool ok;

    if (err != TL_OK) {
        json_decref(resp->json);
        resp->json = NULL;
        prob->err = err;
        if (!render_problem(t, prob, head, close, status))
            return false;
        if (*status >= 500)
            log_5xx(what, *status, prob->code, prob->detail);
        return true;
    }
    *status = resp->status != 0 ? resp->status : 200;
    if (resp->json != NULL) {
        json = json_dumps(resp->json, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(resp->json);
        resp->json = NULL;
        body = json != NULL ? json : "";
        body_len = json != NULL ? strlen(json) : 0;
        ctype = "application/json";
    }
    ok = render(t, *status, resp->headers, resp->n_headers, ctype, body, body_len, head, close);
    free(json);
    return ok;
}

/* Authenticates req for route without blocking: false sends it to MHD
 * (which also answers 401 and 403). */
static bool front_auth(const struct tl_front_config *cfg, const struct tl_route *route,
                       struct tl_req *req)
{
    struct tl_problem prob;

    if (route->auth == TL_AUTH_NONE)
        return true;
    tl_problem_init(&prob);
    if (cfg->authenticate_cached == NULL ||
        cfg->authenticate_cached(cfg->app, req, &req->actor, &prob) != TL_OK)
        return false;
    return (route->auth & (unsigned)req->actor.kind) != 0;
}

/*
 * Parses the request at buf and, when the front takes it, answers it into
 * the thread's output (or suspends it). *used is its length on
 * STEP_ANSWERED.
 */
static enum step serve_one(struct fthread *t, struct fconn *c, const char *buf, size_t len,
                           size_t *used)
{
    const struct tl_front_config *cfg = t->f->cfg;
    struct tl_arena *a = t->arena, *own = NULL;
    struct parse ps;
    llhttp_t parser;
    llhttp_errno_t perr;
    struct tl_req *req;
    struct tl_resp resp;
    struct tl_problem prob;
    struct freq *fr;
    const struct tl_route *route;
    const char *qmark;
    char *path, *body;
    size_t path_len, route_idx = 0, start;
    bool head, close, post;
    uint8_t method;
    int status;
    enum tl_err err;
    enum step step = STEP_HANDOFF;

    memset(&ps, 0, sizeof(ps));
    ps.allow_post = t->f->has_async;
    llhttp_init(&parser, HTTP_REQUEST, &parser_settings);
    parser.data = &ps;
    perr = llhttp_execute(&parser, buf, len);
    if (perr == HPE_OK)
        return STEP_INCOMPLETE;
    if (perr != HPE_PAUSED || !ps.done || ps.url.at == NULL)
        return STEP_HANDOFF;
    *used = (size_t)(llhttp_get_error_pos(&parser) - buf);
    if (*used - ps.body.len > TL_FRONTREAD_HEAD_MAX)
        return STEP_HANDOFF; /* read mode answers 414 or 431 */
    method = llhttp_get_method(&parser);
    head = method == HTTP_HEAD;
    post = method == HTTP_POST;
    close = !llhttp_should_keep_alive(&parser);

    qmark = memchr(ps.url.at, '?', ps.url.len);
    path_len = qmark != NULL ? (size_t)(qmark - ps.url.at) : ps.url.len;
    if (!safe_path(ps.url.at, path_len) || (path_len == 8 && memcmp(ps.url.at, "/metrics", 8) == 0))
        return STEP_HANDOFF;

    /* A request that may be suspended gets an arena of its own. */
    if (post) {
        own = arena_take(t);
        if (own == NULL)
            return STEP_HANDOFF;
        a = own;
    } else {
        tl_arena_reset(a);
    }
    req = tl_arena_alloc(a, sizeof(*req));
    fr = tl_arena_alloc(a, sizeof(*fr));
    path = tl_arena_strndup(a, ps.url.at, path_len);
    body = tl_arena_strndup(a, ps.body.at != NULL ? ps.body.at : "", ps.body.len);
    if (req == NULL || fr == NULL || path == NULL || body == NULL)
        goto out;
    req->arena = a;
    req->method = head ? TL_HEAD : post ? TL_POST : TL_GET;
    req->path = path;
    req->body = body;
    req->body_len = ps.body.len;
    req->app = cfg->app;
    req->conn = c;
    req->ctx = fr;
    req->ops = &front_req_ops;
    fr->c = c;
    fr->ps = &ps;
    fr->arena = a;
    if (tl_router_match(cfg->routes, cfg->n_routes, req->method, path, req, &route_idx, NULL) !=
        TL_OK)
        goto out;
    route = &cfg->routes[route_idx];
    if (route->handler == NULL ||
        (route->flags & (post ? TL_ROUTE_ASYNC : TL_ROUTE_INLINE | TL_ROUTE_ASYNC)) == 0)
        goto out;
    /* The query as libmicrohttpd splits it (tl_frontread_query); a shape
     * whose reading is not obvious, or too many parameters, is read mode's. */
    if (qmark != NULL &&
        tl_frontread_query(a, qmark + 1, ps.url.len - path_len - 1, TL_FRONTREAD_PARAMS_MAX,
                           &fr->params, &fr->n_params) != TL_OK)
        goto out;
    if (!front_auth(cfg, route, req))
        goto out;

    memset(&resp, 0, sizeof(resp));
    tl_problem_init(&prob);
    err = route->handler(req, &resp, &prob);
    fr->ps = NULL; /* the headers are the peek buffer's: gone after this */
    if (err == TL_ERR_AGAIN && c->finish == NULL) {
        json_decref(resp.json); /* it wants to block: MHD's threads may */
        goto out;
    }
    if (c->finish != NULL) {
        /* Suspended: finish builds the answer on resume; the arena stays. */
        json_decref(resp.json);
        c->finish_req = req;
        c->held_route = route_idx;
        c->held_close = close;
        c->held_head = head;
        own = NULL;
        if (close)
            c->closing = true;
        return STEP_ANSWERED;
    }
    start = t->olen;
    if (!render_result(t, err, &resp, &prob, head, close, path, &status)) {
        step = STEP_FAIL;
        goto out;
    }
    if (c->deferred) {
        /* The answer waits for its commit, on the connection. */
        c->held = malloc(t->olen - start);
        if (c->held == NULL) {
            step = STEP_FAIL;
            goto out;
        }
        memcpy(c->held, t->obuf + start, t->olen - start);
        c->held_len = t->olen - start;
        c->held_route = route_idx;
        c->held_status = status;
        c->held_close = close;
        c->held_head = head;
        t->olen = start;
    } else {
        tl_metrics_request(route_idx, status);
        atomic_fetch_add_explicit(&g_answers, 1, memory_order_relaxed);
    }
    if (close)
        c->closing = true;
    step = STEP_ANSWERED;
out:
    if (own != NULL)
        arena_give(t, own);
    else if (a == t->arena)
        tl_arena_reset(t->arena);
    return step;
}

static void read_input(struct fthread *t, struct fconn *c);

/* Reads and answers what c has sent, until it needs more, is handed off,
 * closes, or waits. */
static void on_input(struct fthread *t, struct fconn *c)
{
    ssize_t n;
    size_t off, used;
    enum step step;

    if (c->rd != NULL) {
        read_input(t, c);
        return;
    }
    for (;;) {
        if (c->gone || c->deferred || c->pend_len > 0 || c->closing || c->handoff)
            return;
        n = recv(c->fd, t->rbuf, READ_MAX, MSG_PEEK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            conn_close(c); /* the peer is gone */
            return;
        }
        off = 0;
        step = STEP_INCOMPLETE;
        while (off < (size_t)n && t->olen < OUT_FLUSH) {
            step = serve_one(t, c, t->rbuf + off, (size_t)n - off, &used);
            if (step != STEP_ANSWERED)
                break;
            off += used;
            c->last = mono_s();
            if (c->deferred || c->closing)
                break;
        }
        if (step == STEP_FAIL) {
            t->olen = 0;
            conn_close(c);
            return;
        }
        /* The head deadline runs from a request's first byte. */
        if (off > 0)
            c->head_at = 0;
        if (off < (size_t)n && c->head_at == 0)
            c->head_at = mono_s();
        if (step == STEP_HANDOFF || (step == STEP_INCOMPLETE && off == 0 && n == READ_MAX))
            c->handoff = true; /* not ours, or too large for us */
        else if (c->peer_done && (off == (size_t)n || (size_t)n < READ_MAX))
            c->closing = true; /* all it sent is answered, or can never be whole */
        if (off > 0 && recv(c->fd, NULL, off, MSG_TRUNC) != (ssize_t)off) {
            t->olen = 0;
            conn_close(c);
            return;
        }
        if (!send_out(t, c)) {
            conn_close(c);
            return;
        }
        if (!conn_settle(c))
            return;
        /* Go on when answers were cut off by OUT_FLUSH (complete requests
         * left), or when more may wait past what one peek holds. */
        if (off == 0 || (!(step == STEP_ANSWERED && off < (size_t)n) && (size_t)n < READ_MAX))
            return;
    }
}

/* ---- read mode: requests read whole here, relayed to libmicrohttpd ---- */

static int resp_headers_complete(llhttp_t *p)
{
    struct fconn *c = p->data;

    return c->relay_head ? 1 : 0; /* an answer to HEAD has no body */
}

static int resp_message_complete(llhttp_t *p)
{
    struct fconn *c = p->data;

    c->resp_done = true;
    return HPE_PAUSED;
}

/* An answer of the front's own (a refusal), then close. */
static void read_refuse(struct fthread *t, struct fconn *c, const struct tl_problem *p,
                        const char *hname, const char *hvalue)
{
    struct tl_resp_header h = {hname, hvalue};
    size_t len = 0;
    int status = 500;
    char *body = tl_http_problem_render(p, &status, &len);

    c->closing = true;
    c->linger = true;
    if (body == NULL || !render(t, status, &h, hname != NULL ? 1 : 0, TL_PROBLEM_CONTENT_TYPE, body,
                                len, false, true)) {
        free(body);
        t->olen = 0;
        conn_close(c);
        return;
    }
    free(body);
    tl_metrics_request(TL_METRICS_UNMATCHED, status);
    if (!send_out(t, c))
        conn_close(c);
    else
        conn_settle(c);
}

static void relay_unavailable(struct fthread *t, struct fconn *c)
{
    struct tl_problem p;

    tl_problem_set(&p, TL_ERR_UNAVAILABLE, "unavailable", NULL, "%s",
                   "the server could not take the request; retry later");
    c->relaying = false;
    read_refuse(t, c, &p, "Retry-After", RETRY_AFTER_S);
}

/* Writes what is left of the request to libmicrohttpd. */
static bool relay_to_mhd(struct fconn *c)
{
    ssize_t n;

    while (c->tomhd != NULL && c->tomhd_off < c->tomhd_len) {
        n = send(c->pair, c->tomhd + c->tomhd_off, c->tomhd_len - c->tomhd_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        c->tomhd_off += (size_t)n;
    }
    free(c->tomhd);
    c->tomhd = NULL;
    c->tomhd_off = c->tomhd_len = 0;
    return true;
}

/* A socketpair whose other end libmicrohttpd takes, as if it were the
 * client's connection (with the client's address). */
static bool pair_open(struct fthread *t, struct fconn *c)
{
    const struct tl_front_config *cfg = t->f->cfg;
    struct epoll_event ev;
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        return false;
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = (void *)((uintptr_t)c | 1u); /* the low bit: the pair's event */
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, sv[0], &ev) != 0) {
        close(sv[0]);
        close(sv[1]);
        return false;
    }
    c->pair = sv[0];
    atomic_fetch_add_explicit(&g_handoffs, 1, memory_order_relaxed);
    /* It closes sv[1] itself when it cannot take it: we then see the end. */
    cfg->handoff(cfg->handoff_cls, sv[1], (struct sockaddr *)&c->addr, c->addr_len);
    return true;
}

static void relay_from_mhd(struct fthread *t, struct fconn *c);

/* rd holds a complete request: send it on. */
static void relay_start(struct fthread *t, struct fconn *c)
{
    if (!tl_frontread_serialize(c->rd, &c->tomhd, &c->tomhd_len)) {
        conn_close(c);
        return;
    }
    c->tomhd_off = 0;
    c->relay_head = tl_frontread_is_head(c->rd);
    c->relay_close = !tl_frontread_keep_alive(c->rd) || c->peer_done;
    c->relaying = true;
    c->relay_got = false;
    c->resp_done = false;
    c->head_at = c->body_at = 0;
    c->continued = false;
    c->last = mono_s();
    tl_frontread_next(c->rd);
    llhttp_init(&c->resp, HTTP_RESPONSE, &resp_settings);
    c->resp.data = c;
    atomic_fetch_add_explicit(&g_relayed, 1, memory_order_relaxed);
    if (c->pair < 0 && !pair_open(t, c)) {
        relay_unavailable(t, c);
        return;
    }
    if (!relay_to_mhd(c)) {
        relay_unavailable(t, c);
        return;
    }
    relay_from_mhd(t, c); /* an answer may be there already, or the end */
}

/* libmicrohttpd's side ended, or said something we cannot follow. */
static void relay_broken(struct fthread *t, struct fconn *c)
{
    close(c->pair);
    c->pair = -1;
    if (!c->relaying)
        return; /* an idle pair that libmicrohttpd timed out: the next request opens one */
    if (!c->relay_got) {
        relay_unavailable(t, c);
        return;
    }
    c->relaying = false;
    c->closing = true; /* an answer cut short: the client sees the close */
    conn_settle(c);
}

/* Relays what libmicrohttpd answered, until the answer ends, its socket is
 * empty, or the client has enough waiting. */
static void relay_from_mhd(struct fthread *t, struct fconn *c)
{
    llhttp_errno_t e;
    size_t take;
    ssize_t n;

    while (!c->gone && c->pair >= 0 && c->pend_len <= RELAY_PEND_MAX) {
        n = recv(c->pair, t->rbuf, READ_MAX, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0 || !c->relaying) {
            relay_broken(t, c); /* the end, or bytes nobody asked for */
            return;
        }
        e = llhttp_execute(&c->resp, t->rbuf, (size_t)n);
        if (e != HPE_OK && !(e == HPE_PAUSED && c->resp_done)) {
            relay_broken(t, c);
            return;
        }
        take = c->resp_done ? (size_t)(llhttp_get_error_pos(&c->resp) - t->rbuf) : (size_t)n;
        c->relay_got = true;
        if (!out_reserve(t, take)) {
            t->olen = 0;
            conn_close(c);
            return;
        }
        out_put(t, t->rbuf, take);
        if (!send_out(t, c)) {
            conn_close(c);
            return;
        }
        if (c->resp_done) {
            c->relaying = false;
            c->last = mono_s();
            if (c->relay_close || !llhttp_should_keep_alive(&c->resp) || take < (size_t)n ||
                atomic_load(&t->f->stopping))
                c->closing = true;
            if (conn_settle(c))
                on_input(t, c); /* the next request may be waiting */
            return;
        }
    }
}

/* Reads the request in front of c, whole, then relays it. */
static void read_input(struct fthread *t, struct fconn *c)
{
    enum tl_frontread_state st;
    size_t used;
    ssize_t n;

    for (;;) {
        if (c->gone || c->deferred || c->pend_len > 0 || c->closing || c->relaying)
            return;
        n = recv(c->fd, t->rbuf, READ_MAX, MSG_PEEK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            conn_close(c); /* the peer is gone */
            return;
        }
        st = tl_frontread_feed(c->rd, t->rbuf, (size_t)n, &used);
        if (used > 0 && recv(c->fd, NULL, used, MSG_TRUNC) != (ssize_t)used) {
            conn_close(c);
            return;
        }
        if (c->head_at == 0 && tl_frontread_started(c->rd))
            c->head_at = mono_s();
        switch (st) {
        case TL_FRONTREAD_REFUSED:
            atomic_fetch_add_explicit(&g_refused, 1, memory_order_relaxed);
            read_refuse(t, c, tl_frontread_problem(c->rd), NULL, NULL);
            return;
        case TL_FRONTREAD_DONE: relay_start(t, c); return;
        case TL_FRONTREAD_BODY:
            if (c->body_at == 0)
                c->body_at = mono_s();
            if (tl_frontread_expects_continue(c->rd) && !c->continued &&
                tl_frontread_body_len(c->rd) == 0) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

                c->continued = true;
                if (!out_reserve(t, sizeof(cont) - 1)) {
                    conn_close(c);
                    return;
                }
                out_put(t, cont, sizeof(cont) - 1);
                if (!send_out(t, c)) {
                    conn_close(c);
                    return;
                }
            }
            break;
        case TL_FRONTREAD_MORE: break;
        }
        if (used == (size_t)n && (size_t)n < READ_MAX && c->peer_done) {
            conn_close(c); /* a request it can never finish */
            return;
        }
        if (used == 0 || (used == (size_t)n && (size_t)n < READ_MAX))
            return; /* the socket is empty: wait for more */
    }
}

/* From here on, c's requests are read whole and relayed (see front.h). */
static bool read_begin(struct fthread *t, struct fconn *c)
{
    c->rd = tl_frontread_new(TL_BODY_MAX);
    if (c->rd == NULL) {
        conn_close(c);
        return false;
    }
    c->head_at = 0;
    read_input(t, c);
    return !c->gone;
}

static void on_pair_event(struct fthread *t, struct fconn *c, uint32_t events)
{
    if (c->gone || c->pair < 0)
        return;
    if ((events & EPOLLOUT) && c->tomhd != NULL && !relay_to_mhd(c)) {
        relay_broken(t, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        relay_from_mhd(t, c);
}

/* ---- deferral ---- */

static void front_resume(struct tl_deferral *d, bool ok)
{
    struct fconn *c = (struct fconn *)(void *)d; /* d is c's first member */
    struct fthread *t = c->t;
    uint64_t one = 1;
    ssize_t rc;
    bool first;

    pthread_mutex_lock(&t->mu);
    c->defer_ok = ok;
    c->rnext = t->resumed;
    t->resumed = c;
    first = c->rnext == NULL;
    pthread_mutex_unlock(&t->mu);
    /* One wake-up per list: the thread takes the whole list after reading
     * its eventfd, so a list that was not empty has a wake-up coming (a
     * batch of sync clicks resumes tens of connections at once). */
    if (first) {
        rc = write(t->wake_fd, &one, sizeof(one));
        (void)rc; /* a full counter still wakes the thread */
    }
}

static void *front_suspend(struct tl_req *req, tl_finish_fn finish, void *ctx)
{
    struct fconn *c = req->conn;

    if (atomic_load(&c->t->f->stopping) || c->deferred || finish == NULL)
        return NULL;
    c->deferred = true;
    c->finish = finish;
    c->finish_ctx = ctx;
    c->defer_head.resume = front_resume;
    return &c->defer_head;
}

static void *front_defer(struct tl_req *req)
{
    struct fconn *c = req->conn;

    if (atomic_load(&c->t->f->stopping) || c->deferred)
        return NULL;
    c->deferred = true;
    c->defer_head.resume = front_resume;
    return &c->defer_head;
}

/* A suspended request's answer: its finish runs (always: it releases what
 * the handler holds), then its arena goes. The answer is dropped when the
 * connection died, and is a 503 when the work could not be done. */
static bool finish_suspended(struct fthread *t, struct fconn *c, bool ok, int *status)
{
    struct tl_req *req = c->finish_req;
    struct tl_resp resp;
    struct tl_problem prob;
    enum tl_err err;
    bool rendered = true;

    memset(&resp, 0, sizeof(resp));
    tl_problem_init(&prob);
    err = c->finish(req, c->finish_ctx, &resp, &prob);
    if (!c->dead) {
        if (!ok) {
            json_decref(resp.json);
            resp.json = NULL;
            tl_problem_set(&prob, TL_ERR_BUSY, "unavailable", NULL, "%s",
                           "the request could not be completed");
            err = TL_ERR_BUSY;
        }
        rendered =
            render_result(t, err, &resp, &prob, c->held_head, c->held_close, req->path, status);
    } else {
        json_decref(resp.json);
    }
    c->finish = NULL;
    c->finish_ctx = NULL;
    c->finish_req = NULL;
    arena_give(t, req->arena); /* req lives in it */
    return rendered;
}

static void on_resumed(struct fthread *t)
{
    struct fconn *c, *next;
    uint64_t v;
    ssize_t rc;
    int status;
    bool ok;

    rc = read(t->wake_fd, &v, sizeof(v));
    (void)rc;
    pthread_mutex_lock(&t->mu);
    c = t->resumed;
    t->resumed = NULL;
    pthread_mutex_unlock(&t->mu);
    for (; c != NULL; c = next) {
        next = c->rnext;
        pthread_mutex_lock(&t->mu);
        ok = c->defer_ok;
        pthread_mutex_unlock(&t->mu);
        c->deferred = false;
        status = c->held_status;
        if (c->finish != NULL) {
            ok = finish_suspended(t, c, ok, &status);
        } else if (c->dead) {
            ok = true;
        } else if (ok) {
            ok = out_reserve(t, c->held_len);
            if (ok)
                out_put(t, c->held, c->held_len);
        } else {
            struct tl_problem prob;

            tl_problem_set(&prob, TL_ERR_BUSY, "unavailable", NULL, "%s",
                           "the click could not be stored");
            ok = render_problem(t, &prob, c->held_head, c->held_close, &status);
        }
        free(c->held);
        c->held = NULL;
        c->held_len = 0;
        if (c->dead || !ok) {
            t->olen = 0;
            conn_close(c);
            continue;
        }
        tl_metrics_request(c->held_route, status);
        atomic_fetch_add_explicit(&g_answers, 1, memory_order_relaxed);
        if (atomic_load(&t->f->stopping))
            c->closing = true;
        if (!send_out(t, c)) {
            conn_close(c);
            continue;
        }
        if (conn_settle(c))
            on_input(t, c); /* pipelined requests may be waiting */
    }
}

/* ---- accepting ---- */

/* Over a connection limit: a 503 with Retry-After, not a bare reset. What
 * the client sent is read first, so that the close sends a FIN, not an RST
 * that could discard the answer before the client reads it. */
static void refuse_busy(struct tl_front *f, int fd)
{
    char sink[4096];
    ssize_t n;
    int i;

    atomic_fetch_add_explicit(&g_busy, 1, memory_order_relaxed);
    for (i = 0; i < 16; i++) {
        n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            break;
    }
    if (f->busy != NULL) {
        n = send(fd, f->busy, f->busy_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)n; /* a fresh socket's buffer holds it; if not, the close says enough */
    }
    shutdown(fd, SHUT_WR);
    close(fd);
}

static void on_accept(struct fthread *t)
{
    struct tl_front *f = t->f;
    const struct tl_front_config *cfg = f->cfg;
    struct epoll_event ev;
    struct sockaddr_storage addr;
    socklen_t len;
    struct fconn *c;
    unsigned slot, i;
    int fd, one = 1;

    for (i = 0; i < ACCEPT_BATCH; i++) {
        len = sizeof(addr);
        fd = accept4(cfg->listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* The listener would wake this thread again at once: let it
                 * rest a second, while connections close. */
                if (epoll_ctl(t->ep, EPOLL_CTL_DEL, cfg->listen_fd, NULL) == 0)
                    t->accept_paused = mono_s() + 1;
                fprintf(stderr, "tracklink: front: accept: %s; pausing accepts for 1 s\n",
                        strerror(errno));
            }
            return; /* EAGAIN */
        }
        slot = cfg->per_ip_limit != 0 ? ip_slot(f, &addr) : 0;
        if (atomic_fetch_add(&f->n_conns, 1) >= cfg->connection_limit) {
            atomic_fetch_sub(&f->n_conns, 1);
            refuse_busy(f, fd);
            continue;
        }
        if (atomic_fetch_add(&f->ip_count[slot], 1) >= cfg->per_ip_limit &&
            cfg->per_ip_limit != 0) {
            atomic_fetch_sub(&f->ip_count[slot], 1);
            atomic_fetch_sub(&f->n_conns, 1);
            refuse_busy(f, fd);
            continue;
        }
        c = calloc(1, sizeof(*c));
        if (c == NULL) {
            atomic_fetch_sub(&f->ip_count[slot], 1);
            atomic_fetch_sub(&f->n_conns, 1);
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->t = t;
        c->fd = fd;
        c->pair = -1;
        c->addr = addr;
        c->addr_len = len;
        c->ip_slot = slot;
        c->last = mono_s();
        c->next = t->conns;
        if (t->conns != NULL)
            t->conns->prev = c;
        t->conns = c;
        t->n_conns++;
        atomic_fetch_add_explicit(&g_open, 1, memory_order_relaxed);
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.ptr = c;
        if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            conn_close(c);
            continue;
        }
        on_input(t, c); /* the request is usually there already */
    }
}

/* ---- the loop ---- */

/* Closes idle connections; when stopping, every one without an answer
 * on its way. */
static void sweep(struct fthread *t, time_t now, bool stopping)
{
    const struct tl_front_config *cfg = t->f->cfg;
    struct fconn *c, *next;

    for (c = t->conns; c != NULL; c = next) {
        next = c->next;
        if (c->deferred)
            continue;
        if (stopping) {
            /* A relayed request in flight gets its answer, within reason. */
            if (c->relaying ? now - c->last > (time_t)cfg->timeout_s
                            : c->pend_len == 0 || now - c->last > 1)
                conn_close(c);
        } else if (c->lingering) {
            if (now - c->out_at > LINGER_S)
                conn_close(c);
        } else if (c->relaying) {
            continue; /* the server is working: no deadline for the client */
        } else if (c->pend_len > 0) {
            if (now - c->out_at > (time_t)cfg->timeout_s) {
                atomic_fetch_add_explicit(&g_slow, 1, memory_order_relaxed);
                conn_close(c); /* it does not read its answers */
            }
        } else if (c->body_at != 0) {
            size_t got = c->rd != NULL ? tl_frontread_body_len(c->rd) : 0;

            if (now - c->body_at >
                (time_t)cfg->head_timeout_s + (time_t)(got / cfg->body_min_rate)) {
                atomic_fetch_add_explicit(&g_slow, 1, memory_order_relaxed);
                conn_close(c); /* its body comes slower than the minimum rate */
            }
        } else if (c->head_at != 0) {
            if (now - c->head_at > (time_t)cfg->head_timeout_s) {
                atomic_fetch_add_explicit(&g_slow, 1, memory_order_relaxed);
                conn_close(c); /* its head missed the deadline */
            }
        } else if (now - c->last > (time_t)cfg->timeout_s) {
            conn_close(c); /* idle */
        }
    }
}

static void on_event(struct fthread *t, struct epoll_event *ev)
{
    struct fconn *c = ev->data.ptr;

    if ((uintptr_t)c & 1u) {
        on_pair_event(t, (struct fconn *)((uintptr_t)c & ~(uintptr_t)1), ev->events);
        return;
    }
    if (c->gone)
        return;
    if (c->lingering) {
        linger_drain(c);
        return;
    }
    if (ev->events & EPOLLRDHUP)
        c->peer_done = true;
    if (c->deferred)
        return; /* its answer comes first; a dead peer shows when it is sent */
    bool drained = false;

    if ((ev->events & EPOLLOUT) && c->pend_len > 0) {
        if (!conn_flush(c)) {
            conn_close(c);
            return;
        }
        if (!conn_settle(c))
            return;
        /* Requests that arrived while the answers waited have had their
         * edge already: look at them now. */
        drained = c->pend_len == 0;
        if (c->relaying && c->pend_len <= RELAY_PEND_MAX) {
            relay_from_mhd(t, c); /* it stopped reading while the client was full */
            return;
        }
    }
    if (drained || (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        on_input(t, c); /* a hang-up shows as a failed peek */
}

static void *thread_main(void *arg)
{
    struct fthread *t = arg;
    struct epoll_event evs[EVENTS_MAX];
    time_t now;
    bool stopping, woken;
    int n, i;

    prctl(PR_SET_NAME, "tl-front");
    for (;;) {
        n = epoll_wait(t->ep, evs, EVENTS_MAX, 250);
        woken = false;
        for (i = 0; i < n; i++) {
            if (evs[i].data.ptr == &tag_listen)
                on_accept(t);
            else if (evs[i].data.ptr == &tag_wake)
                woken = true;
            else
                on_event(t, &evs[i]);
        }
        /* Last: answering a resumed connection may close it, and an event
         * of this round may still name it. */
        if (woken)
            on_resumed(t);
        while (t->graveyard != NULL) {
            struct fconn *g = t->graveyard;

            t->graveyard = g->gnext;
            conn_free(g);
        }
        stopping = atomic_load(&t->f->stopping);
        now = mono_s();
        if (stopping && !t->stop_seen) {
            epoll_ctl(t->ep, EPOLL_CTL_DEL, t->f->cfg->listen_fd, NULL);
            t->stop_seen = true;
            t->swept_at = 0;
        }
        if (now != t->swept_at) {
            sweep(t, now, stopping);
            t->swept_at = now;
        }
        if (t->accept_paused != 0 && now > t->accept_paused && !stopping) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &tag_listen};

            if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->f->cfg->listen_fd, &ev) == 0)
                t->accept_paused = 0;
        }
        if (stopping && t->n_conns == 0)
            return NULL;
    }
}

/* ---- request accessors for handlers ---- */

static const char *front_query(const struct tl_req *req, const char *key)
{
    const struct freq *fr = req->ctx;
    size_t i;

    for (i = 0; i < fr->n_params; i++)
        if (strcmp(fr->params[i].key, key) == 0)
            return fr->params[i].value;
    return NULL;
}

static const char *front_header(const struct tl_req *req, const char *name)
{
    const struct freq *fr = req->ctx;
    const struct parse *ps = fr->ps;
    size_t i, n = strlen(name), vl;

    for (i = 0; i < ps->n_headers; i++) {
        const struct span *v = &ps->values[i];

        if (ps->names[i].len != n || strncasecmp(ps->names[i].at, name, n) != 0)
            continue;
        vl = v->len;
        while (vl > 0 && (v->at[vl - 1] == ' ' || v->at[vl - 1] == '\t'))
            vl--;
        return tl_arena_strndup(fr->arena, v->at != NULL ? v->at : "", vl);
    }
    return NULL;
}

static size_t front_query_list(const struct tl_req *req, struct tl_kv *out, size_t max)
{
    const struct freq *fr = req->ctx;
    size_t n = fr->n_params < max ? fr->n_params : max;

    if (n > 0)
        memcpy(out, fr->params, n * sizeof(*out));
    return n;
}

static const char *front_peer(const struct tl_req *req, char *buf, size_t cap)
{
    const struct fconn *c = req->conn;
    const void *a = NULL;

    if (c->addr.ss_family == AF_INET)
        a = &((const struct sockaddr_in *)(const void *)&c->addr)->sin_addr;
    else if (c->addr.ss_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)&c->addr)->sin6_addr;
    if (a == NULL || inet_ntop(c->addr.ss_family, a, buf, (socklen_t)cap) == NULL)
        snprintf(buf, cap, "unknown");
    return buf;
}

static const struct tl_req_ops front_req_ops = {
    .query = front_query,
    .header = front_header,
    .query_list = front_query_list,
    .peer = front_peer,
    .defer = front_defer,
    .suspend = front_suspend,
};

/* ---- start and stop ---- */

static void thread_release(struct fthread *t)
{
    while (t->graveyard != NULL) {
        struct fconn *g = t->graveyard;

        t->graveyard = g->gnext;
        conn_free(g);
    }
    if (t->ep >= 0)
        close(t->ep);
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    free(t->rbuf);
    free(t->obuf);
    tl_arena_free(t->arena);
    while (t->n_spare > 0)
        tl_arena_free(t->spare[--t->n_spare]);
    pthread_mutex_destroy(&t->mu);
}

static bool thread_init(struct tl_front *f, struct fthread *t, char *why, size_t why_len)
{
    struct epoll_event ev;

    t->f = f;
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    t->rbuf = malloc(READ_MAX);
    t->arena = tl_arena_new(REQ_ARENA_CAP);
    if (t->ep < 0 || t->wake_fd < 0 || t->rbuf == NULL || t->arena == NULL ||
        !out_reserve(t, OUT_FLUSH)) {
        snprintf(why, why_len, "cannot start the redirect front: %s", strerror(errno));
        return false;
    }
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.ptr = &tag_listen;
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, f->cfg->listen_fd, &ev) != 0) {
        snprintf(why, why_len, "cannot watch the listening socket: %s", strerror(errno));
        return false;
    }
    ev.events = EPOLLIN;
    ev.data.ptr = &tag_wake;
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->wake_fd, &ev) != 0) {
        snprintf(why, why_len, "cannot watch the wake-up descriptor: %s", strerror(errno));
        return false;
    }
    return true;
}

/* The 503 of refuse_busy, built once. */
static bool busy_answer(struct tl_front *f)
{
    struct tl_problem p;
    size_t len = 0;
    int status = 503;
    char *body, *out;
    int n;

    tl_problem_set(&p, TL_ERR_UNAVAILABLE, "too_many_connections", NULL, "%s",
                   "too many connections from this address; retry later");
    body = tl_http_problem_render(&p, &status, &len);
    if (body == NULL)
        return false;
    out = malloc(len + 256);
    if (out == NULL) {
        free(body);
        return false;
    }
    n = snprintf(out, len + 256,
                 "HTTP/1.1 503 Service Unavailable\r\nContent-Type: %s\r\nRetry-After: %s\r\n"
                 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
                 TL_PROBLEM_CONTENT_TYPE, RETRY_AFTER_S, len, body);
    free(body);
    f->busy = out;
    f->busy_len = (size_t)n;
    return true;
}

struct tl_front *tl_front_start(const struct tl_front_config *cfg, char *why, size_t why_len)
{
    struct tl_front *f;
    unsigned i;
    int rc;

    pthread_once(&settings_once, settings_init);
    pthread_once(&metrics_once, register_metrics);
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    f->cfg = cfg;
    if (!busy_answer(f)) {
        free(f);
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    for (i = 0; i < cfg->n_routes; i++)
        if (cfg->routes[i].flags & TL_ROUTE_ASYNC)
            f->has_async = true;
    crypto_shorthash_keygen(f->ip_key);
    f->n_threads = cfg->threads != 0 ? cfg->threads : 1;
    f->th = calloc(f->n_threads, sizeof(*f->th));
    if (f->th == NULL) {
        free(f);
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    for (i = 0; i < f->n_threads; i++) {
        f->th[i].ep = f->th[i].wake_fd = -1;
        pthread_mutex_init(&f->th[i].mu, NULL);
    }
    for (i = 0; i < f->n_threads; i++)
        if (!thread_init(f, &f->th[i], why, why_len))
            goto fail;
    for (i = 0; i < f->n_threads; i++) {
        rc = pthread_create(&f->th[i].tid, NULL, thread_main, &f->th[i]);
        if (rc != 0) {
            snprintf(why, why_len, "cannot start the redirect front: %s", strerror(rc));
            goto fail;
        }
        f->th[i].started = true;
    }
    return f;
fail:
    tl_front_free(f);
    return NULL;
}

void tl_front_free(struct tl_front *f)
{
    unsigned i;

    if (f == NULL)
        return;
    atomic_store(&f->stopping, true);
    for (i = 0; i < f->n_threads; i++) {
        if (f->th[i].started)
            pthread_join(f->th[i].tid, NULL);
        thread_release(&f->th[i]);
    }
    free(f->th);
    free(f->busy);
    free(f);
}
