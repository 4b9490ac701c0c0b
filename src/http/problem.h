/*
 * problem.h: rendering a struct tl_problem as an RFC 9457 problem body
 * (application/problem+json). The status comes from tl_http_status() and
 * the code, when the problem carries none, from tl_http_default_code()
 * (both declared in http.h and defined in problem.c, the one place where
 * tl_err becomes an HTTP status).
 */
#ifndef TL_HTTP_PROBLEM_H
#define TL_HTTP_PROBLEM_H

#include <stddef.h>

#include "core/err.h"

#define TL_PROBLEM_CONTENT_TYPE "application/problem+json"

/* The standard reason phrase of an HTTP status ("Not Found"), never NULL. */
const char *tl_http_reason(int status);

/*
 * Renders p as
 *   {"type":"about:blank","title":…,"status":N,"code":…,"detail":…,"field":…}
 * ("field" only when set; "detail" falls back to the title when empty).
 * Returns a malloc'd NUL-terminated string the caller free()s, with its
 * length in *len and its status in *status; NULL on OOM.
 */
char *tl_http_problem_render(const struct tl_problem *p, int *status, size_t *len);

#endif
