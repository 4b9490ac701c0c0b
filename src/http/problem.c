/*
 * problem.c: the one mapping from enum tl_err to HTTP statuses and default
 * problem codes, and the problem+json body (see problem.h).
 */
#include "http/problem.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int tl_http_status(enum tl_err err)
{
    switch (err) {
    case TL_ERR_BADREQ: return 400;
    case TL_ERR_UNAUTHORIZED: return 401;
    case TL_ERR_FORBIDDEN: return 403;
    case TL_ERR_NOTFOUND: return 404;
    case TL_ERR_METHOD: return 405;
    case TL_ERR_CONFLICT: return 409;
    case TL_ERR_TOOLARGE: return 413;
    case TL_ERR_URITOOLONG: return 414;
    case TL_ERR_HEADERS: return 431;
    case TL_ERR_TOOMANY: return 429;
    case TL_ERR_INVALID: return 422;
    case TL_ERR_BUSY:
    case TL_ERR_UNAVAILABLE: return 503;
    case TL_OK:
    case TL_ERR_NOMEM:
    case TL_ERR_IO:
    case TL_ERR_INTERNAL:
    case TL_ERR_AGAIN: break;
    }
    return 500;
}

const char *tl_http_default_code(enum tl_err err)
{
    switch (err) {
    case TL_ERR_BADREQ: return "bad_request";
    case TL_ERR_UNAUTHORIZED: return "unauthorized";
    case TL_ERR_FORBIDDEN: return "forbidden";
    case TL_ERR_NOTFOUND: return "not_found";
    case TL_ERR_METHOD: return "method_not_allowed";
    case TL_ERR_CONFLICT: return "conflict";
    case TL_ERR_TOOLARGE: return "payload_too_large";
    case TL_ERR_URITOOLONG: return "uri_too_long";
    case TL_ERR_HEADERS: return "headers_too_large";
    case TL_ERR_TOOMANY: return "too_many_requests";
    case TL_ERR_INVALID: return "invalid_value";
    case TL_ERR_BUSY: return "unavailable";
    case TL_ERR_UNAVAILABLE: return "store_unavailable";
    case TL_OK:
    case TL_ERR_NOMEM:
    case TL_ERR_IO:
    case TL_ERR_INTERNAL:
    case TL_ERR_AGAIN: break;
    }
    return "internal_error";
}

const char *tl_http_reason(int status)
{
    const char *r = status > 0 ? MHD_get_reason_phrase_for((unsigned)status) : NULL;

    return r != NULL && r[0] != '\0' ? r : "Unknown";
}

char *tl_http_problem_render(const struct tl_problem *p, int *status, size_t *len)
{
    int st = tl_http_status(p->err);
    const char *title = tl_http_reason(st);
    const char *code = p->code != NULL && p->code[0] != '\0' ? p->code
                                                             : tl_http_default_code(p->err);
    const char *detail = p->detail[0] != '\0' ? p->detail : title;
    json_t *o, *f;
    char *s = NULL;

    o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title", title, "status",
                  st, "code", code, "detail", detail);
    /* A detail that is not valid UTF-8 makes json_pack fail: drop it
     * rather than lose the answer. */
    if (o == NULL)
        o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title", title, "status",
                      st, "code", code, "detail", title);
    if (o == NULL)
        return NULL;
    if (p->field != NULL) {
        f = json_string(p->field);
        /* NULL here means a field name that is not UTF-8: leave it out. */
        if (f != NULL && json_object_set_new(o, "field", f) != 0)
            goto out;
    }
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s != NULL) {
        *status = st;
        *len = strlen(s);
    }
out:
    json_decref(o);
    return s;
}
