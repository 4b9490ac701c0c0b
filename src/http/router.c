/*
 * router.c: path matching over the route table (see router.h).
 *
 * The table is small (tens of routes), so each request walks it once
 * without allocating; only the chosen route's parameters are copied into
 * the request arena.
 */
#include "http/router.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

struct span {
    const char *s;
    size_t len;
};

struct match {
    struct span params[TL_PATH_PARAMS_MAX];
    int64_t ids[TL_PATH_PARAMS_MAX];
    size_t n_params;
    /* Bit (63 - i) is set when segment i is literal: a larger key is a more
     * specific pattern, decided by the leftmost segment that differs. */
    uint64_t key;
};

static bool is_id_param(const char *name, size_t len)
{
    return (len == 2 && memcmp(name, "id", 2) == 0) ||
           (len >= 3 && memcmp(name + len - 3, "_id", 3) == 0);
}

/* Canonical positive decimal int64 of at most 18 digits. */
static bool parse_id(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (len == 0 || len > 18 || s[0] == '0')
        return false;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Length of the next path segment starting at s (up to '/' or end). */
static size_t seg_len(const char *s, const char *end)
{
    const char *p = s;

    while (p < end && *p != '/')
        p++;
    return (size_t)(p - s);
}

/* Length of the next pattern segment (up to '/' or the terminating NUL):
 * patterns are scanned once, without a strlen of each per request. */
static size_t pat_len(const char *s)
{
    const char *p = s;

    while (*p != '\0' && *p != '/')
        p++;
    return (size_t)(p - s);
}

/* "{name*}": the last segment of a pattern, matching the rest of the path. */
static bool is_rest_param(const char *p, size_t pl)
{
    return pl >= 3 && p[0] == '{' && p[pl - 2] == '*' && p[pl - 1] == '}';
}

static bool match_one(const char *pattern, const char *path, size_t path_len, struct match *m)
{
    const char *qend = path + path_len;
    const char *p = pattern, *q = path;
    size_t i = 0, pl, ql;

    if (*p != '/' || path_len == 0 || *q != '/')
        return false;
    m->n_params = 0;
    m->key = 0;
    if (p[1] == '\0')
        return path_len == 1; /* the root pattern "/" */
    for (;;) {
        if (i >= TL_ROUTE_SEGMENTS_MAX)
            return false;
        p++;
        q++;
        pl = pat_len(p);
        ql = seg_len(q, qend);
        if (is_rest_param(p, pl)) {
            if (p[pl] != '\0' || m->n_params == TL_PATH_PARAMS_MAX)
                return false;
            m->ids[m->n_params] = 0;
            m->params[m->n_params].s = q;
            m->params[m->n_params].len = (size_t)(qend - q);
            m->n_params++;
            return true;
        }
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (ql == 0 || m->n_params == TL_PATH_PARAMS_MAX)
                return false;
            m->ids[m->n_params] = 0;
            if (is_id_param(p + 1, pl - 2) && !parse_id(q, ql, &m->ids[m->n_params]))
                return false;
            m->params[m->n_params].s = q;
            m->params[m->n_params].len = ql;
            m->n_params++;
        } else {
            if (pl != ql || ql == 0 || memcmp(p, q, pl) != 0)
                return false;
            m->key |= (uint64_t)1 << (63 - i);
        }
        p += pl;
        q += ql;
        if (*p == '\0' || q == qend)
            return *p == '\0' && q == qend;
        i++;
    }
}

static unsigned route_methods(const struct tl_route *r)
{
    return (r->methods & TL_GET) ? r->methods | TL_HEAD : r->methods;
}

enum tl_err tl_router_match(const struct tl_route *routes, size_t n, enum tl_method m,
                            const char *path, struct tl_req *req, size_t *route_index,
                            unsigned *allowed_methods)
{
    const char *qmark = strchr(path, '?');
    size_t path_len = qmark != NULL ? (size_t)(qmark - path) : strlen(path);
    struct match cur, best = {0};
    size_t i, best_i = SIZE_MAX;
    unsigned allowed = 0;
    bool found = false;

    if (allowed_methods != NULL)
        *allowed_methods = 0;
    for (i = 0; i < n; i++) {
        const char *pat = routes[i].pattern;

        /* A pattern whose first segment is a literal starting with another
         * byte cannot match: skip it without scanning the path (most of
         * the table, for a redirect). path[1] lies within path_len here,
         * or only the root pattern "/" could match. */
        if (path_len < 2) {
            if (path_len == 0 || strcmp(pat, "/") != 0)
                continue;
        } else if (pat[0] == '/' && pat[1] != '{' && pat[1] != path[1]) {
            continue;
        }
        if (!match_one(pat, path, path_len, &cur))
            continue;
        if (found && cur.key < best.key)
            continue;
        if (!found || cur.key > best.key) {
            /* A more specific resource: forget the less specific ones. */
            allowed = 0;
            best_i = SIZE_MAX;
            best = cur;
            found = true;
        }
        allowed |= route_methods(&routes[i]);
        if (best_i == SIZE_MAX && m != 0 && (route_methods(&routes[i]) & m)) {
            best_i = i;
            best = cur;
        }
    }
    if (!found)
        return TL_ERR_NOTFOUND;
    if (best_i == SIZE_MAX) {
        if (allowed_methods != NULL)
            *allowed_methods = allowed;
        return TL_ERR_METHOD;
    }
    if (req != NULL) {
        for (i = 0; i < best.n_params; i++) {
            req->raw[i] = tl_arena_strndup(req->arena, best.params[i].s, best.params[i].len);
            if (req->raw[i] == NULL)
                return TL_ERR_NOMEM;
            req->ids[i] = best.ids[i];
        }
        for (; i < TL_PATH_PARAMS_MAX; i++) {
            req->raw[i] = NULL;
            req->ids[i] = 0;
        }
        req->n_params = best.n_params;
    }
    if (route_index != NULL)
        *route_index = best_i;
    return TL_OK;
}

enum tl_method tl_router_method(const char *name)
{
    static const struct {
        const char *name;
        enum tl_method m;
    } names[] = {
        {"GET", TL_GET}, {"HEAD", TL_HEAD},   {"POST", TL_POST},
        {"PUT", TL_PUT}, {"PATCH", TL_PATCH}, {"DELETE", TL_DELETE},
    };
    size_t i;

    if (name == NULL)
        return 0;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0)
            return names[i].m;
    }
    return 0;
}

const char *tl_router_allow(unsigned mask, char *buf, size_t len)
{
    static const char *names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    size_t i, off = 0;
    int w;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(mask & (1u << i)))
            continue;
        w = snprintf(buf + off, len - off, "%s%s", off > 0 ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= len - off) {
            buf[off] = '\0'; /* drop the truncated name */
            break;
        }
        off += (size_t)w;
    }
    return buf;
}

enum tl_err tl_router_check_body(const struct tl_route *route, enum tl_method m, const char *body,
                                 size_t body_len, struct tl_problem *prob)
{
    json_error_t jerr;
    json_t *v;
    size_t i = 0;
    bool empty;

    if ((m & (TL_POST | TL_PUT | TL_PATCH)) != 0 && (route->flags & TL_ROUTE_NOBODY) == 0)
        return TL_OK;
    while (body != NULL && i < body_len &&
           (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (body == NULL || i == body_len)
        return TL_OK;
    v = json_loadb(body, body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        return tl_problem_set(prob, TL_ERR_BADREQ, "invalid_json", NULL,
                              "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                              jerr.text);
    empty = json_is_object(v) && json_object_size(v) == 0;
    json_decref(v);
    if (empty)
        return TL_OK;
    return tl_problem_set(prob, TL_ERR_BADREQ, "body_not_allowed", NULL,
                          "this endpoint takes no request body");
}
