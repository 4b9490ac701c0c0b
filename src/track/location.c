/*
 * location.c: builds the Location of a redirect with libcurl's URL API.
 *
 * libcurl parses the landing page and serialises everything before its
 * query; this file composes the new query and appends it and the
 * fragment. The landing page's query is split on '&' and '=' to learn its
 * parameter names (it was validated when the link was made and again by
 * the caller); every byte that comes from the visitor goes through
 * curl_easy_escape, so no visitor input can end the query, start a
 * fragment or a header.
 */
#include "track/location.h"

#include <curl/curl.h>
#include <limits.h>
#include <string.h>

/* The query under construction, written into the caller's out buffer. */
struct qbuf {
    char *p;
    size_t len;
    size_t cap;
    bool full;
};

static const char *const reserved[] = {"u", "subId1", "subId2", "subId3", "sharedid"};

bool tl_location_reserved(const char *key)
{
    size_t i;

    if (key == NULL)
        return false;
    for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(key, reserved[i]) == 0)
            return true;
    return false;
}

static void put(struct qbuf *q, const char *s, size_t n)
{
    if (q->full || n >= q->cap - q->len) {
        q->full = true;
        return;
    }
    memcpy(q->p + q->len, s, n);
    q->len += n;
    q->p[q->len] = '\0';
}

static void put_sep(struct qbuf *q)
{
    if (q->len > 0)
        put(q, "&", 1);
}

static enum tl_err put_escaped(struct qbuf *q, const char *s)
{
    size_t n = strlen(s);
    char *e;

    /* percent-encoding never shrinks: what does not fit raw never fits */
    if (q->full || n >= q->cap - q->len || n > INT_MAX) {
        q->full = true;
        return TL_OK;
    }
    if (n == 0)
        return TL_OK;
    /* Unreserved characters only (click ids, most names): as is, the
     * same bytes libcurl would give, without its allocation. */
    if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") == n) {
        put(q, s, n);
        return TL_OK;
    }
    e = curl_easy_escape(NULL, s, (int)n);
    if (e == NULL)
        return TL_ERR_NOMEM;
    put(q, e, strlen(e));
    curl_free(e);
    return TL_OK;
}

/*
 * 1 when the raw (percent-encoded) landing name raw[0..len) decodes to
 * want, 0 when not, -1 when out of memory.
 */
static int same_name(const char *raw, size_t len, const char *want)
{
    size_t wlen = strlen(want);
    char *dec;
    int dlen, same;

    if (memchr(raw, '%', len) == NULL)
        return len == wlen && memcmp(raw, want, len) == 0;
    if (len > INT_MAX)
        return 0;
    dec = curl_easy_unescape(NULL, raw, (int)len, &dlen);
    if (dec == NULL)
        return -1;
    same = (size_t)dlen == wlen && memcmp(dec, want, wlen) == 0;
    curl_free(dec);
    return same;
}

/* The piece of query q starting at p: [p, *end), its name [p, *name_end). */
static void piece(const char *p, const char **end, const char **name_end)
{
    *end = p + strcspn(p, "&");
    *name_end = p + strcspn(p, "&=");
}

/* 1 when the landing page's query lq has a parameter named key, 0 if not, -1 on OOM. */
static int landing_has(const char *lq, const char *key)
{
    const char *p = lq, *end, *name_end;

    while (p != NULL && *p != '\0') {
        int same;

        piece(p, &end, &name_end);
        same = same_name(p, (size_t)(name_end - p), key);
        if (same != 0)
            return same;
        p = *end == '&' ? end + 1 : end;
    }
    return 0;
}

/* 1 when visitor[i] must not be forwarded, 0 when it may, -1 on OOM. */
static int visitor_dropped(const char *lq, const char *click_param, const struct tl_qparam *visitor,
                           size_t i)
{
    const char *key = visitor[i].key;
    size_t j;

    if (key == NULL || key[0] == '\0' || tl_location_reserved(key))
        return 1;
    if (click_param != NULL && strcmp(key, click_param) == 0)
        return 1;
    /* every drop rule depends on the key alone: an earlier same key decided already */
    for (j = 0; j < i; j++)
        if (visitor[j].key != NULL && strcmp(visitor[j].key, key) == 0)
            return 1;
    return landing_has(lq, key);
}

/*
 * Writes the new query into q: TL_OK (q->full when it did not fit) or
 * TL_ERR_NOMEM.
 */
static enum tl_err compose(struct qbuf *q, const char *lq, const char *click_param,
                           const char *click_id, const struct tl_qparam *visitor, size_t n)
{
    const char *p = lq, *end, *name_end;
    enum tl_err err;
    size_t i;

    q->len = 0;
    q->full = false;
    q->p[0] = '\0';
    while (p != NULL && *p != '\0') {
        int drop = 0;

        piece(p, &end, &name_end);
        if (click_id != NULL)
            drop = same_name(p, (size_t)(name_end - p), click_param);
        if (drop < 0)
            return TL_ERR_NOMEM;
        /* empty pieces ("a=1&&b=2") are dropped too */
        if (!drop && end > p) {
            put_sep(q);
            put(q, p, (size_t)(end - p));
        }
        p = *end == '&' ? end + 1 : end;
    }
    if (click_id != NULL) {
        put_sep(q);
        err = put_escaped(q, click_param);
        if (err == TL_OK) {
            put(q, "=", 1);
            err = put_escaped(q, click_id);
        }
        if (err != TL_OK)
            return err;
    }
    if (n > TL_LOCATION_MAX_PARAMS)
        n = TL_LOCATION_MAX_PARAMS;
    for (i = 0; i < n && !q->full; i++) {
        int drop = visitor_dropped(lq, click_param, visitor, i);

        if (drop < 0)
            return TL_ERR_NOMEM;
        if (drop)
            continue;
        put_sep(q);
        err = put_escaped(q, visitor[i].key);
        if (err == TL_OK && visitor[i].value != NULL) {
            put(q, "=", 1);
            err = put_escaped(q, visitor[i].value);
        }
        if (err != TL_OK)
            return err;
    }
    return TL_OK;
}

static bool header_safe(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static enum tl_err curl_err(CURLUcode rc)
{
    return rc == CURLUE_OUT_OF_MEMORY ? TL_ERR_NOMEM : TL_ERR_INVALID;
}

enum tl_err tl_location_split(const char *landing, struct tl_arena *a,
                              struct tl_location_parts *out)
{
    enum tl_err err = TL_ERR_INVALID;
    char *lq = NULL, *frag = NULL, *scheme = NULL, *base = NULL;
    CURLUcode rc;
    CURLU *u = NULL;

    memset(out, 0, sizeof(*out));
    if (landing == NULL)
        return TL_ERR_INVALID;
    u = curl_url();
    if (u == NULL)
        return TL_ERR_NOMEM;
    /* PATH_AS_IS: the path goes out byte for byte as it was validated */
    rc = curl_url_set(u, CURLUPART_URL, landing, CURLU_PATH_AS_IS | CURLU_DISALLOW_USER);
    if (rc == CURLUE_OK)
        rc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (rc != CURLUE_OK) {
        err = curl_err(rc);
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        err = TL_ERR_INVALID;
        goto out;
    }
    rc = curl_url_get(u, CURLUPART_QUERY, &lq, 0);
    if (rc != CURLUE_OK && rc != CURLUE_NO_QUERY) {
        err = curl_err(rc);
        goto out;
    }
    rc = curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
    if (rc != CURLUE_OK && rc != CURLUE_NO_FRAGMENT) {
        err = curl_err(rc);
        goto out;
    }
    /*
     * The query and the fragment are put back by hand, byte for byte:
     * libcurl 7.88 lower-cases the escapes of a query it is given
     * ("%5F" -> "%5f"), which would change the landing page's own bytes
     * (and break a signed landing URL).
     */
    rc = curl_url_set(u, CURLUPART_QUERY, NULL, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_get(u, CURLUPART_URL, &base, 0);
    if (rc != CURLUE_OK) {
        err = curl_err(rc);
        goto out;
    }
    out->base = tl_arena_strdup(a, base);
    out->query = tl_arena_strdup(a, lq);
    out->fragment = tl_arena_strdup(a, frag);
    err = out->base == NULL || (lq != NULL && out->query == NULL) ||
                  (frag != NULL && out->fragment == NULL)
              ? TL_ERR_NOMEM
              : TL_OK;
out:
    curl_free(base);
    curl_free(frag);
    curl_free(lq);
    curl_free(scheme);
    curl_url_cleanup(u);
    return err;
}

enum tl_err tl_location_compose(const struct tl_location_parts *parts, const char *click_param,
                                const char *click_id, const struct tl_qparam *visitor,
                                size_t n_visitor, char *out, size_t cap)
{
    const char *frag = parts->fragment;
    size_t blen, flen = 0, len;
    struct qbuf q;
    bool with_visitor = true;
    enum tl_err err;

    if (out == NULL || cap == 0)
        return TL_ERR_INVALID;
    out[0] = '\0';
    if (parts->base == NULL ||
        (click_id != NULL && (click_param == NULL || click_param[0] == '\0')))
        return TL_ERR_INVALID;
    if (visitor == NULL)
        n_visitor = 0;
    blen = strlen(parts->base);
    if (frag != NULL)
        flen = strlen(frag);
    /* room for base, "?", the query, "#", the fragment and the NUL */
    if (blen + 1 + flen + 1 >= cap)
        return TL_ERR_INVALID;
    memcpy(out, parts->base, blen);
    q.p = out + blen + 1;
    q.cap = cap - blen - 1 - (frag != NULL ? flen + 1 : 0);

    for (;;) {
        err =
            compose(&q, parts->query, click_param, click_id, visitor, with_visitor ? n_visitor : 0);
        if (err != TL_OK)
            goto out;
        if (!q.full)
            break;
        if (!with_visitor) {
            err = TL_ERR_INVALID;
            goto out;
        }
        with_visitor = false;
    }
    len = blen;
    if (q.len > 0) {
        out[len] = '?';
        len += 1 + q.len;
    }
    if (frag != NULL) {
        out[len] = '#';
        memcpy(out + len + 1, frag, flen);
        len += 1 + flen;
    }
    out[len] = '\0';
    /* the last word before a header: nothing that could end it or split it */
    err = header_safe(out) ? TL_OK : TL_ERR_INVALID;
out:
    if (err != TL_OK)
        out[0] = '\0';
    return err;
}

enum tl_err tl_location_build(const char *landing, const char *click_param, const char *click_id,
                              const struct tl_qparam *visitor, size_t n_visitor, char *out,
                              size_t cap)
{
    struct tl_location_parts parts;
    struct tl_arena *a;
    enum tl_err err;

    if (out == NULL || cap == 0)
        return TL_ERR_INVALID;
    out[0] = '\0';
    if (landing == NULL || (click_id != NULL && (click_param == NULL || click_param[0] == '\0')))
        return TL_ERR_INVALID;
    a = tl_arena_new(3 * strlen(landing) + 256);
    if (a == NULL)
        return TL_ERR_NOMEM;
    err = tl_location_split(landing, a, &parts);
    if (err == TL_OK)
        err = tl_location_compose(&parts, click_param, click_id, visitor, n_visitor, out, cap);
    tl_arena_free(a);
    return err;
}
