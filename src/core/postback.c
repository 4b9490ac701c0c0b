/*
 * postback.c: partner postback rules (see postback.h).
 *
 * URL parsing and percent-encoding are libcurl's (curl_url,
 * curl_easy_escape); address ranges are compared on the raw bytes.
 */
#include "core/postback.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/conversion.h"

static const char *const event_names[] = {"conversion.created", "conversion.approved",
                                          "conversion.reversed"};

const char *tl_postback_event_str(enum tl_postback_event e)
{
    switch (e) {
    case TL_PB_CREATED: return event_names[0];
    case TL_PB_APPROVED: return event_names[1];
    case TL_PB_REVERSED: return event_names[2];
    }
    return NULL;
}

unsigned tl_postback_event_parse(const char *s)
{
    unsigned i;

    if (s == NULL)
        return 0;
    for (i = 0; i < 3; i++)
        if (strcmp(s, event_names[i]) == 0)
            return 1u << i;
    return 0;
}

/* ------------------------------------------------------------------ */
/* addresses */

static bool v4_blocked(const unsigned char b[4])
{
    return b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
           (b[0] == 169 && b[1] == 254) || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] >= 224); /* multicast, reserved, broadcast */
}

static bool v6_blocked(const unsigned char b[16])
{
    static const unsigned char zero[12] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    /* ::, ::1, and the IPv4-compatible and -mapped forms: judge the IPv4
     * part (:: and ::1 fall in 0/8). */
    if (memcmp(b, zero, 12) == 0 || memcmp(b, mapped, 12) == 0)
        return v4_blocked(b + 12);
    return (b[0] & 0xfe) == 0xfc ||                   /* fc00::/7 unique local */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 link-local */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) || /* fec0::/10 site-local (old) */
           b[0] == 0xff;                              /* multicast */
}

bool tl_postback_addr_blocked(const struct sockaddr *sa, socklen_t len)
{
    if (sa == NULL)
        return true;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
        return v4_blocked((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
        return v6_blocked((const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return true;
}

/* A host as curl_url gives it: "1.2.3.4", "[::1]", "name". */
static bool host_blocked(const char *host)
{
    unsigned char buf[16];
    char v6[64];
    size_t n = strlen(host);

    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0 ||
        (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
        return true;
    if (inet_pton(AF_INET, host, buf) == 1)
        return v4_blocked(buf);
    if (host[0] == '[' && n >= 2 && n - 2 < sizeof(v6)) {
        memcpy(v6, host + 1, n - 2);
        v6[n - 2] = '\0';
        /* a zone id ("fe80::1%25eth0") makes it link-local anyway */
        if (strchr(v6, '%') != NULL)
            return true;
        if (inet_pton(AF_INET6, v6, buf) == 1)
            return v6_blocked(buf);
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* macros */

enum macro {
    M_CONVERSION_ID,
    M_CLICK_ID,
    M_ORDER_ID,
    M_EVENT_TYPE,
    M_AMOUNT,
    M_PAYOUT,
    M_CURRENCY,
    M_STATUS,
    M_SUB_ID1,
    M_SUB_ID2,
    M_SUB_ID3,
    M_SHARED_ID,
    M_PROGRAM_ID,
    M_CAMPAIGN_ID,
    M_TASK_ID,
    M_N,
};

static const char *const macro_names[M_N] = {
    "conversion_id", "click_id",  "order_id",   "event_type",  "amount",
    "payout",        "currency",  "status",     "sub_id1",     "sub_id2",
    "sub_id3",       "shared_id", "program_id", "campaign_id", "task_id",
};

/* The macro named by s[0..n), or -1. */
static int macro_find(const char *s, size_t n)
{
    int i;

    for (i = 0; i < M_N; i++)
        if (strlen(macro_names[i]) == n && memcmp(macro_names[i], s, n) == 0)
            return i;
    return -1;
}

/* The raw value of macro m into num (for numbers) or as a borrowed string. */
static const char *macro_value(int m, const struct tl_postback_vars *v, char num[24])
{
    const struct tl_conversion *c = v->conv;
    int64_t x;

    switch (m) {
    case M_CLICK_ID: return c->click_id;
    case M_ORDER_ID: return c->order_id;
    case M_EVENT_TYPE: return c->event_type;
    case M_CURRENCY: return c->currency;
    case M_STATUS: return tl_conversion_status_str(c->status);
    case M_SUB_ID1: return v->sub[0];
    case M_SUB_ID2: return v->sub[1];
    case M_SUB_ID3: return v->sub[2];
    case M_SHARED_ID: return v->sub[3];
    case M_CONVERSION_ID: x = c->id; break;
    case M_AMOUNT: x = c->amount; break;
    case M_PAYOUT: x = c->payout; break;
    case M_PROGRAM_ID: x = c->program_id; break;
    case M_CAMPAIGN_ID: x = c->campaign_id; break;
    case M_TASK_ID: x = c->task_id; break;
    default: return NULL;
    }
    snprintf(num, 24, "%" PRId64, x);
    return num;
}

/* A growing output buffer in an arena, capped at TL_PB_EXPANDED_MAX. */
struct out {
    struct tl_arena *a;
    char *buf;
    size_t len, cap;
};

static enum tl_err put(struct out *o, const char *s, size_t n)
{
    size_t ncap;
    char *nb;

    if (o->len + n + 1 > TL_PB_EXPANDED_MAX)
        return TL_ERR_TOOLARGE;
    if (o->len + n + 1 > o->cap) {
        ncap = o->cap * 2 > o->len + n + 1 ? o->cap * 2 : o->len + n + 1;
        if (ncap < 256)
            ncap = 256;
        nb = tl_arena_alloc(o->a, ncap);
        if (nb == NULL)
            return TL_ERR_NOMEM;
        if (o->len > 0)
            memcpy(nb, o->buf, o->len);
        o->buf = nb;
        o->cap = ncap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
    return TL_OK;
}

enum tl_err tl_postback_expand(const char *tmpl, const struct tl_postback_vars *v,
                               struct tl_arena *a, char **out)
{
    struct out o = {a, NULL, 0, 0};
    const char *p = tmpl, *open, *close, *val;
    char num[24], *esc;
    enum tl_err err = TL_OK;
    int m;

    *out = NULL;
    while (err == TL_OK && (open = strchr(p, '{')) != NULL) {
        close = strchr(open + 1, '}');
        if (close == NULL)
            break;
        m = macro_find(open + 1, (size_t)(close - open - 1));
        if (m < 0) {
            /* not a macro: keep the "{" and look again after it */
            err = put(&o, p, (size_t)(open + 1 - p));
            p = open + 1;
            continue;
        }
        err = put(&o, p, (size_t)(open - p));
        if (err != TL_OK)
            break;
        val = v != NULL ? macro_value(m, v, num) : NULL;
        if (val != NULL && val[0] != '\0') {
            esc = curl_easy_escape(NULL, val, (int)strlen(val));
            if (esc == NULL)
                return TL_ERR_NOMEM;
            err = put(&o, esc, strlen(esc));
            curl_free(esc);
        }
        p = close + 1;
    }
    if (err == TL_OK)
        err = put(&o, p, strlen(p));
    if (err == TL_OK)
        *out = o.buf;
    return err;
}

/* ------------------------------------------------------------------ */
/* the URL as it is set */

static enum tl_err bad_url(struct tl_problem *prob, const char *why)
{
    return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "url", "url %s", why);
}

enum tl_err tl_postback_url_check(const char *url, bool allow_private, struct tl_problem *prob)
{
    static const struct tl_conversion sample = {
        .id = 1,
        .click_id = "x",
        .order_id = "x",
        .event_type = "sale",
        .currency = "USD",
    };
    static const struct tl_postback_vars vars = {&sample, {"x", "x", "x", "x"}};
    struct tl_arena *a;
    char *expanded = NULL, *scheme = NULL, *host = NULL, *user = NULL;
    CURLU *u = NULL;
    const char *p;
    enum tl_err err;

    if (url == NULL || url[0] == '\0')
        return bad_url(prob, "is required");
    if (strlen(url) > TL_PB_URL_MAX)
        return bad_url(prob, "is longer than 2048 bytes");
    for (p = url; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\')
            return bad_url(prob, "holds spaces, control characters or backslashes");
    a = tl_arena_new(4 * TL_PB_EXPANDED_MAX);
    if (a == NULL)
        return TL_ERR_NOMEM;
    err = tl_postback_expand(url, &vars, a, &expanded);
    if (err == TL_ERR_TOOLARGE)
        err = bad_url(prob, "is too long once expanded");
    if (err != TL_OK)
        goto out;
    u = curl_url();
    if (u == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, expanded, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        err = bad_url(prob, "must be an absolute http(s) URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host == NULL || host[0] == '\0') {
        err = bad_url(prob, "has no host");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_NO_USER) {
        err = bad_url(prob, "may not hold credentials");
        goto out;
    }
    if (!allow_private && host_blocked(host)) {
        err = tl_problem_set(prob, TL_ERR_INVALID, "postback_url_not_allowed", "url",
                             "url points to a loopback, private or link-local address");
        goto out;
    }
    err = TL_OK;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    tl_arena_free(a);
    return err;
}

/* ------------------------------------------------------------------ */

int64_t tl_postback_next_attempt(int64_t created_ms, int attempts, int64_t now_ms)
{
    int64_t delay = TL_PB_FIRST_RETRY_MS;
    int i;

    for (i = 1; i < attempts && delay < TL_PB_GIVE_UP_MS; i++)
        delay *= 2;
    if (now_ms + delay > created_ms + TL_PB_GIVE_UP_MS)
        return 0;
    return now_ms + delay;
}
