/*
 * frontread.c: the front's request reader (see frontread.h).
 *
 * While the head is incomplete, each feed appends to the head buffer and
 * llhttp parses that buffer again from its start (a head is at most 8 KiB,
 * and one contiguous buffer keeps every span valid and lets a folded
 * header line show as a value in two pieces). Once the head is complete,
 * the same parser goes on over the body as it streams in, and its decoded
 * bytes are copied out; the parser pauses at the message's end, so that a
 * pipelined request is left to the next read.
 */
#include "http/frontread.h"

#include <llhttp.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_FIRST_CAP (16 * 1024)

struct span {
    const char *at;
    size_t len;
};

struct tl_frontread {
    llhttp_t parser;
    size_t body_max;
    enum tl_frontread_state state;
    char *head; /* TL_FRONTREAD_HEAD_MAX */
    size_t head_len;
    /* What the last parse of the head found: spans into head. */
    struct span url;
    struct span names[TL_FRONTREAD_HEADERS_MAX], values[TL_FRONTREAD_HEADERS_MAX];
    size_t n_headers;
    bool in_value, url_done, head_done, done, expect_continue;
    /* The decoded body. */
    char *body;
    size_t body_len, body_cap;
    struct tl_problem prob;
};

static int refuse(struct tl_frontread *r, enum tl_err err, const char *code, const char *detail)
{
    if (r->prob.err == TL_OK)
        tl_problem_set(&r->prob, err, code, NULL, "%s", detail);
    return -1;
}

static int on_message_begin(llhttp_t *p)
{
    struct tl_frontread *r = p->data;

    r->url = (struct span){NULL, 0};
    r->n_headers = 0;
    r->in_value = r->url_done = r->head_done = r->done = r->expect_continue = false;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct tl_frontread *r = p->data;

    if (r->url.at == NULL)
        r->url.at = at;
    r->url.len = (size_t)(at + len - r->url.at);
    return 0;
}

static int on_url_complete(llhttp_t *p)
{
    struct tl_frontread *r = p->data;
    const char *q = r->url.at != NULL ? memchr(r->url.at, '?', r->url.len) : NULL;

    r->url_done = true;
    if (q != NULL && tl_frontread_query_count(q + 1, r->url.len - (size_t)(q + 1 - r->url.at)) >
                         TL_FRONTREAD_PARAMS_MAX)
        return refuse(r, TL_ERR_URITOOLONG, "uri_too_long", "too many query parameters");
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct tl_frontread *r = p->data;
    struct span *s;

    if (r->head_done)
        return 0; /* a chunked body's trailers: dropped */
    if (r->in_value || r->n_headers == 0) {
        if (r->n_headers == TL_FRONTREAD_HEADERS_MAX)
            return refuse(r, TL_ERR_HEADERS, "headers_too_large", "too many header fields");
        r->n_headers++;
        r->names[r->n_headers - 1] = (struct span){at, 0};
        r->values[r->n_headers - 1] = (struct span){NULL, 0};
        r->in_value = false;
    }
    s = &r->names[r->n_headers - 1];
    s->len = (size_t)(at + len - s->at);
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct tl_frontread *r = p->data;
    struct span *v;

    if (r->head_done)
        return 0;
    r->in_value = true;
    if (r->n_headers == 0)
        return refuse(r, TL_ERR_BADREQ, "bad_request", "a header value without a name");
    v = &r->values[r->n_headers - 1];
    if (v->at == NULL) {
        *v = (struct span){at, len};
        return 0;
    }
    /* One buffer is parsed at once: a value in two pieces was folded. */
    if (v->at + v->len != at)
        return refuse(r, TL_ERR_BADREQ, "bad_request", "obsolete line folding in a header");
    v->len += len;
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct tl_frontread *r = p->data;

    r->in_value = true; /* an empty value has no on_header_value */
    return 0;
}

static bool name_is(const struct span *s, const char *name)
{
    return s->len == strlen(name) && strncasecmp(s->at, name, s->len) == 0;
}

/* The value without trailing blanks (llhttp keeps them). */
static size_t value_len(const struct span *v)
{
    size_t n = v->len;

    while (n > 0 && (v->at[n - 1] == ' ' || v->at[n - 1] == '\t'))
        n--;
    return n;
}

static bool value_is(const struct span *v, const char *want)
{
    size_t n = value_len(v);

    return v->at != NULL && n == strlen(want) && strncasecmp(v->at, want, n) == 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct tl_frontread *r = p->data;
    size_t i, n_te = 0, n_length = 0;
    bool te_ok = true;

    if (r->head_done)
        return 0;
    r->head_done = true;
    if (llhttp_get_http_major(p) != 1 || llhttp_get_http_minor(p) > 1)
        return refuse(r, TL_ERR_BADREQ, "bad_request", "only HTTP/1.0 and HTTP/1.1 are served");
    if (llhttp_get_upgrade(p) || llhttp_get_method(p) == HTTP_CONNECT)
        return refuse(r, TL_ERR_BADREQ, "bad_request", "upgrades and CONNECT are not served");
    for (i = 0; i < r->n_headers; i++) {
        if (name_is(&r->names[i], "Transfer-Encoding")) {
            n_te++;
            te_ok = te_ok && value_is(&r->values[i], "chunked");
        } else if (name_is(&r->names[i], "Content-Length")) {
            n_length++;
        } else if (name_is(&r->names[i], "Expect") && value_is(&r->values[i], "100-continue")) {
            r->expect_continue = true;
        }
    }
    if (n_te > 1 || !te_ok || (n_te > 0 && n_length > 0) || n_length > 1)
        return refuse(r, TL_ERR_BADREQ, "bad_request",
                      "Transfer-Encoding must be exactly \"chunked\", once, without "
                      "Content-Length");
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > r->body_max)
        return refuse(r, TL_ERR_TOOLARGE, "payload_too_large", "the body is larger than 1 MiB");
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct tl_frontread *r = p->data;
    size_t cap;
    char *nb;

    if (len > r->body_max - r->body_len)
        return refuse(r, TL_ERR_TOOLARGE, "payload_too_large", "the body is larger than 1 MiB");
    if (r->body_len + len > r->body_cap) {
        cap = r->body_cap != 0 ? r->body_cap * 2 : BODY_FIRST_CAP;
        if ((p->flags & F_CONTENT_LENGTH) && cap < p->content_length + r->body_len)
            cap = (size_t)p->content_length + r->body_len; /* once, for a known length */
        while (cap < r->body_len + len)
            cap *= 2;
        if (cap > r->body_max)
            cap = r->body_max;
        nb = realloc(r->body, cap);
        if (nb == NULL)
            return refuse(r, TL_ERR_NOMEM, NULL, "out of memory");
        r->body = nb;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, at, len);
    r->body_len += len;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct tl_frontread *r = p->data;

    r->done = true;
    return HPE_PAUSED; /* what follows is the next request's */
}

static llhttp_settings_t settings;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

static void settings_init(void)
{
    llhttp_settings_init(&settings);
    settings.on_message_begin = on_message_begin;
    settings.on_url = on_url;
    settings.on_url_complete = on_url_complete;
    settings.on_header_field = on_header_field;
    settings.on_header_value = on_header_value;
    settings.on_header_value_complete = on_header_value_complete;
    settings.on_headers_complete = on_headers_complete;
    settings.on_body = on_body;
    settings.on_message_complete = on_message_complete;
}

struct tl_frontread *tl_frontread_new(size_t body_max)
{
    struct tl_frontread *r;

    pthread_once(&settings_once, settings_init);
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->head = malloc(TL_FRONTREAD_HEAD_MAX);
    if (r->head == NULL) {
        free(r);
        return NULL;
    }
    r->body_max = body_max;
    tl_frontread_next(r);
    return r;
}

void tl_frontread_free(struct tl_frontread *r)
{
    if (r == NULL)
        return;
    free(r->head);
    free(r->body);
    free(r);
}

void tl_frontread_next(struct tl_frontread *r)
{
    if (r->body_cap > BODY_FIRST_CAP) {
        /* A large body's buffer is not kept for a connection's idle time. */
        free(r->body);
        r->body = NULL;
        r->body_cap = 0;
    }
    llhttp_init(&r->parser, HTTP_REQUEST, &settings);
    r->parser.data = r;
    r->state = TL_FRONTREAD_MORE;
    r->head_len = 0;
    r->body_len = 0;
    r->url = (struct span){NULL, 0};
    r->n_headers = 0;
    r->in_value = r->url_done = r->head_done = r->done = r->expect_continue = false;
    tl_problem_init(&r->prob);
}

static enum tl_frontread_state refused(struct tl_frontread *r, llhttp_errno_t e)
{
    if (r->prob.err == TL_OK) {
        const char *why = llhttp_get_error_reason(&r->parser);

        tl_problem_set(&r->prob, TL_ERR_BADREQ, "bad_request", NULL, "malformed request: %s",
                       why != NULL ? why : llhttp_errno_name(e));
    }
    r->state = TL_FRONTREAD_REFUSED;
    return r->state;
}

/* The head phase: append, parse the whole head again. */
static enum tl_frontread_state feed_head(struct tl_frontread *r, const char *buf, size_t len,
                                         size_t *used)
{
    size_t old = r->head_len, take = TL_FRONTREAD_HEAD_MAX - r->head_len, end;
    llhttp_errno_t e;

    if (take > len)
        take = len;
    memcpy(r->head + r->head_len, buf, take);
    r->head_len += take;
    *used = take;
    llhttp_init(&r->parser, HTTP_REQUEST, &settings);
    r->parser.data = r;
    r->body_len = 0;
    tl_problem_init(&r->prob);
    e = llhttp_execute(&r->parser, r->head, r->head_len);
    if (e == HPE_PAUSED && r->done) {
        end = (size_t)(llhttp_get_error_pos(&r->parser) - r->head);
        *used = end > old ? end - old : 0;
        r->state = TL_FRONTREAD_DONE;
        return r->state;
    }
    if (e != HPE_OK)
        return refused(r, e);
    if (r->head_done) {
        r->state = TL_FRONTREAD_BODY;
        return r->state;
    }
    if (r->head_len == TL_FRONTREAD_HEAD_MAX) {
        if (r->url_done)
            tl_problem_set(&r->prob, TL_ERR_HEADERS, "headers_too_large", NULL,
                           "the request's headers are larger than 8 KiB");
        else
            tl_problem_set(&r->prob, TL_ERR_URITOOLONG, "uri_too_long", NULL,
                           "the request target is longer than 8 KiB");
        r->state = TL_FRONTREAD_REFUSED;
    }
    return r->state;
}

enum tl_frontread_state tl_frontread_feed(struct tl_frontread *r, const char *buf, size_t len,
                                          size_t *used)
{
    llhttp_errno_t e;

    *used = 0;
    switch (r->state) {
    case TL_FRONTREAD_DONE:
    case TL_FRONTREAD_REFUSED: return r->state;
    case TL_FRONTREAD_MORE: return feed_head(r, buf, len, used);
    case TL_FRONTREAD_BODY: break;
    }
    e = llhttp_execute(&r->parser, buf, len);
    if (e == HPE_PAUSED && r->done) {
        *used = (size_t)(llhttp_get_error_pos(&r->parser) - buf);
        r->state = TL_FRONTREAD_DONE;
        return r->state;
    }
    if (e != HPE_OK)
        return refused(r, e);
    *used = len;
    return r->state;
}

bool tl_frontread_started(const struct tl_frontread *r)
{
    return r->head_len > 0;
}

size_t tl_frontread_body_len(const struct tl_frontread *r)
{
    return r->body_len;
}

bool tl_frontread_expects_continue(const struct tl_frontread *r)
{
    return r->head_done && r->expect_continue;
}

bool tl_frontread_keep_alive(const struct tl_frontread *r)
{
    return r->state == TL_FRONTREAD_DONE && llhttp_should_keep_alive(&r->parser);
}

bool tl_frontread_is_head(const struct tl_frontread *r)
{
    return llhttp_get_method((llhttp_t *)&r->parser) == HTTP_HEAD;
}

const struct tl_problem *tl_frontread_problem(const struct tl_frontread *r)
{
    return &r->prob;
}

static void put(char **p, const char *s, size_t n)
{
    memcpy(*p, s, n);
    *p += n;
}

bool tl_frontread_serialize(const struct tl_frontread *r, char **out, size_t *out_len)
{
    const llhttp_t *p = &r->parser;
    uint8_t m = llhttp_get_method((llhttp_t *)p);
    const char *method = llhttp_method_name((llhttp_method_t)m);
    char line[64], *buf, *w;
    size_t need, i, n;
    bool length = r->body_len > 0 || m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH;
    int ll;

    *out = NULL;
    *out_len = 0;
    need = strlen(method) + 1 + r->url.len + 16 + 2;
    for (i = 0; i < r->n_headers; i++)
        need += r->names[i].len + 2 + r->values[i].len + 2;
    ll = length ? snprintf(line, sizeof(line), "Content-Length: %zu\r\n", r->body_len) : 0;
    need += (size_t)ll + 2 + r->body_len;
    buf = malloc(need);
    if (buf == NULL)
        return false;
    w = buf;
    put(&w, method, strlen(method));
    put(&w, " ", 1);
    put(&w, r->url.at, r->url.len);
    put(&w, llhttp_get_http_minor((llhttp_t *)p) == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n", 11);
    for (i = 0; i < r->n_headers; i++) {
        const struct span *k = &r->names[i], *v = &r->values[i];

        /* The framing is ours now: the body is whole and its length known. */
        if (name_is(k, "Content-Length") || name_is(k, "Transfer-Encoding") ||
            name_is(k, "Expect") || name_is(k, "Trailer"))
            continue;
        put(&w, k->at, k->len);
        put(&w, ": ", 2);
        n = value_len(v);
        if (n > 0)
            put(&w, v->at, n);
        put(&w, "\r\n", 2);
    }
    if (ll > 0)
        put(&w, line, (size_t)ll);
    put(&w, "\r\n", 2);
    if (r->body_len > 0)
        put(&w, r->body, r->body_len);
    *out = buf;
    *out_len = (size_t)(w - buf);
    return true;
}

size_t tl_frontread_query_count(const char *q, size_t n)
{
    size_t i, count = 1;

    for (i = 0; i < n; i++)
        count += q[i] == '&';
    return count;
}

enum tl_err tl_frontread_query(struct tl_arena *a, const char *q, size_t n, size_t max,
                               struct tl_kv **out, size_t *n_out)
{
    size_t cap = tl_frontread_query_count(q, n), i, start, len;
    struct tl_kv *params;
    const char *eq;
    char *k, *v, *p;

    *out = NULL;
    *n_out = 0;
    if (cap > max)
        return TL_ERR_URITOOLONG;
    params = tl_arena_alloc(a, cap * sizeof(*params));
    if (params == NULL)
        return TL_ERR_NOMEM;
    for (start = 0; start <= n; start = i + 1) {
        for (i = start; i < n && q[i] != '&'; i++)
            ;
        len = i - start;
        if (len == 0)
            return TL_ERR_BADREQ;
        eq = memchr(q + start, '=', len);
        if (eq == q + start)
            return TL_ERR_BADREQ;
        k = tl_arena_strndup(a, q + start, eq != NULL ? (size_t)(eq - (q + start)) : len);
        v = eq != NULL ? tl_arena_strndup(a, eq + 1, (size_t)(q + i - eq - 1)) : NULL;
        if (k == NULL || (eq != NULL && v == NULL))
            return TL_ERR_NOMEM;
        for (p = k; *p != '\0'; p++)
            if (*p == '+')
                *p = ' ';
        for (p = v; p != NULL && *p != '\0'; p++)
            if (*p == '+')
                *p = ' ';
        MHD_http_unescape(k);
        if (v != NULL)
            MHD_http_unescape(v);
        params[*n_out].key = k;
        params[*n_out].value = v;
        (*n_out)++;
    }
    *out = params;
    return TL_OK;
}
