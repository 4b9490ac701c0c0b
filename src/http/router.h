/*
 * router.h: matches a request path against the route table.
 *
 * Patterns are "/"-separated literal segments and "{name}" parameters. A
 * parameter named "{id}" or ending in "_id}" only matches a positive
 * decimal int64 written canonically (digits only, no sign, no leading zero,
 * at most 18 digits); any other parameter ("{code}") matches any non-empty
 * segment. A literal segment beats a parameter where both could match: the
 * most specific pattern that matches the path is "the resource", and the
 * method is checked against the routes of that resource only.
 * A trailing slash or an empty segment never matches; a query string, if
 * the path still carries one, is ignored.
 * Two shapes serve the web UI's files: the pattern "/" matches the root
 * path only, and a last segment "{name*}" matches the rest of the path,
 * slashes and empty segments included, and empty too ("/app/{file*}"
 * matches "/app/" and "/app/src/x.mjs", not "/app"); it counts as a
 * parameter for precedence, and its text is a parameter like the others.
 */
#ifndef TL_HTTP_ROUTER_H
#define TL_HTTP_ROUTER_H

#include <stddef.h>

#include "core/err.h"
#include "http/http.h"

/* Most segments a pattern may have (patterns with more never match). */
#define TL_ROUTE_SEGMENTS_MAX 32

/*
 * Finds the route for (m, path). HEAD matches routes that allow GET.
 * On TL_OK: *route_index is the route, and req->ids[], req->raw[] and
 * req->n_params hold the path parameters in pattern order (raw[] are
 * copies in req->arena; ids[] is 0 for non-id parameters).
 * Returns TL_ERR_NOTFOUND when no pattern matches the path, TL_ERR_METHOD
 * when one does but not for m (then *allowed_methods is the mask of
 * methods the resource accepts, HEAD included where GET is), or
 * TL_ERR_NOMEM when the arena is full. route_index and allowed_methods may
 * be NULL.
 */
enum tl_err tl_router_match(const struct tl_route *routes, size_t n, enum tl_method m,
                            const char *path, struct tl_req *req, size_t *route_index,
                            unsigned *allowed_methods);

/* The method named by an HTTP method token ("GET"), or 0 when unknown. */
enum tl_method tl_router_method(const char *name);

/*
 * Writes the mask as an Allow header value ("GET, HEAD, POST") into buf
 * (always terminated). Returns buf.
 */
const char *tl_router_allow(unsigned mask, char *buf, size_t len);

/*
 * The one rule for bodies on routes that take none (GET, HEAD, DELETE,
 * and TL_ROUTE_NOBODY): an empty body, blanks, or an empty JSON object
 * pass (an empty body counts as {}); malformed JSON is 400 invalid_json,
 * as on every endpoint; any other JSON is 400 body_not_allowed. Routes
 * that take a body pass. Returns TL_OK or TL_ERR_BADREQ with prob set.
 */
enum tl_err tl_router_check_body(const struct tl_route *route, enum tl_method m, const char *body,
                                 size_t body_len, struct tl_problem *prob);

#endif
