/*
 * req.c: the request accessors of http.h, answered by whichever reader made
 * the request (req->ops, http/internal.h).
 */
#include "http/internal.h"

#include <stdio.h>

const char *tl_req_query(const struct tl_req *req, const char *key)
{
    if (req->ops == NULL || key == NULL)
        return NULL;
    return req->ops->query(req, key);
}

const char *tl_req_header(const struct tl_req *req, const char *name)
{
    if (req->ops == NULL || name == NULL)
        return NULL;
    return req->ops->header(req, name);
}

size_t tl_req_query_list(const struct tl_req *req, struct tl_kv *out, size_t max)
{
    if (req->ops == NULL || max == 0)
        return 0;
    return req->ops->query_list(req, out, max);
}

const char *tl_req_peer(const struct tl_req *req, char *buf, size_t cap)
{
    if (req->ops == NULL) {
        snprintf(buf, cap, "unknown");
        return buf;
    }
    return req->ops->peer(req, buf, cap);
}

void *tl_req_defer(struct tl_req *req)
{
    return req->ops != NULL ? req->ops->defer(req) : NULL;
}

void *tl_req_suspend(struct tl_req *req, tl_finish_fn finish, void *ctx)
{
    if (req->ops == NULL || req->ops->suspend == NULL)
        return NULL;
    return req->ops->suspend(req, finish, ctx);
}

void tl_http_resume(void *token, bool ok)
{
    struct tl_deferral *d = token;

    d->resume(d, ok);
}

enum tl_err tl_resp_header_add(struct tl_resp *resp, const char *name, const char *value)
{
    if (resp->n_headers >= TL_RESP_HEADERS_MAX)
        return TL_ERR_NOMEM;
    resp->headers[resp->n_headers].name = name;
    resp->headers[resp->n_headers].value = value;
    resp->n_headers++;
    return TL_OK;
}
