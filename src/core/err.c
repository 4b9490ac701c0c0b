/*
 * err.c: names of errors and the problem record.
 */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

const char *tl_err_str(enum tl_err err)
{
    switch (err) {
    case TL_OK: return "ok";
    case TL_ERR_BADREQ: return "badreq";
    case TL_ERR_UNAUTHORIZED: return "unauthorized";
    case TL_ERR_FORBIDDEN: return "forbidden";
    case TL_ERR_NOTFOUND: return "notfound";
    case TL_ERR_METHOD: return "method";
    case TL_ERR_CONFLICT: return "conflict";
    case TL_ERR_TOOLARGE: return "toolarge";
    case TL_ERR_URITOOLONG: return "uritoolong";
    case TL_ERR_HEADERS: return "headers";
    case TL_ERR_TOOMANY: return "toomany";
    case TL_ERR_INVALID: return "invalid";
    case TL_ERR_NOMEM: return "nomem";
    case TL_ERR_IO: return "io";
    case TL_ERR_BUSY: return "busy";
    case TL_ERR_UNAVAILABLE: return "unavailable";
    case TL_ERR_INTERNAL: return "internal";
    case TL_ERR_AGAIN: return "again";
    }
    return "unknown";
}

void tl_problem_init(struct tl_problem *p)
{
    p->err = TL_OK;
    p->code = NULL;
    p->field = NULL;
    p->detail[0] = '\0';
}

enum tl_err tl_problem_set(struct tl_problem *p, enum tl_err err, const char *code,
                           const char *field, const char *fmt, ...)
{
    va_list ap;

    if (p == NULL)
        return err;
    p->err = err;
    p->code = code;
    p->field = field;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
    va_end(ap);
    return err;
}
