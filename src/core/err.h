/*
 * err.h: the one error enum of tracklink, and the problem record that
 * carries a stable machine code and a human detail up to the HTTP layer.
 *
 * Every module returns enum tl_err. Driver codes (SQLite, libpq, errno,
 * libcurl) never leave the module that called the driver. The mapping from
 * tl_err to an HTTP status lives in exactly one place: src/http/problem.c.
 */
#ifndef TL_CORE_ERR_H
#define TL_CORE_ERR_H

#include <stdarg.h>

enum tl_err {
    TL_OK = 0,
    TL_ERR_BADREQ,       /* 400: malformed input (JSON, types, framing) */
    TL_ERR_UNAUTHORIZED, /* 401: no key or a bad key */
    TL_ERR_FORBIDDEN,    /* 403: the key's kind may never use this */
    TL_ERR_NOTFOUND,     /* 404: not found, or another tenant's */
    TL_ERR_METHOD,       /* 405: route exists, method does not */
    TL_ERR_CONFLICT,     /* 409: conflicts with the current state */
    TL_ERR_TOOLARGE,     /* 413: body over the cap */
    TL_ERR_URITOOLONG,   /* 414: request target over the cap */
    TL_ERR_HEADERS,      /* 431: header section over the cap */
    TL_ERR_TOOMANY,      /* 429: too many attempts; retry later */
    TL_ERR_INVALID,      /* 422: well-formed input that breaks a rule */
    TL_ERR_NOMEM,        /* 500: allocation failed or a cap was hit */
    TL_ERR_IO,           /* 500: storage or OS failure */
    TL_ERR_BUSY,         /* 503: temporarily unable (shutting down, full) */
    TL_ERR_UNAVAILABLE,  /* 503: the store cannot be reached; retry later */
    TL_ERR_INTERNAL,     /* 500: a bug */
    TL_ERR_AGAIN,        /* not an answer: run again where blocking is allowed */
};

/* Short static name of an error ("notfound"), for logs. */
const char *tl_err_str(enum tl_err err);

/*
 * A problem: an error plus the stable machine-readable code that the API
 * promises ("landing_page_not_permitted"), the input field at fault, and a
 * human detail. code and field point to static strings (or strings that
 * outlive the problem, such as arena strings); detail is copied in.
 */
struct tl_problem {
    enum tl_err err;
    const char *code;
    const char *field;
    char detail[256];
};

/* Clears p to TL_OK. */
void tl_problem_init(struct tl_problem *p);

/*
 * Fills p and returns err, so that callers can write
 *   return tl_problem_set(p, TL_ERR_INVALID, "missing_field", "name", "name is required");
 * p may be NULL, in which case only err is returned. field may be NULL.
 */
enum tl_err tl_problem_set(struct tl_problem *p, enum tl_err err, const char *code,
                           const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
