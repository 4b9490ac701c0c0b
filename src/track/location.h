/*
 * location.h: the Location header of a click's 302 (API.md, "Redirects").
 *
 * The landing page keeps its own query and #fragment; the click id is
 * added under the brand's parameter name (replacing one the landing page
 * already has, never doubled); the visitor's own query parameters ride
 * along, percent-encoded, except the reserved ones, a click id of their
 * own, and names the landing page already carries.
 */
#ifndef TL_TRACK_LOCATION_H
#define TL_TRACK_LOCATION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

/* Only the first TL_LOCATION_MAX_PARAMS visitor parameters are considered. */
#define TL_LOCATION_MAX_PARAMS 128

/*
 * One query parameter of the visitor's request, as the HTTP server hands
 * it over: already URL-decoded, so any byte may appear. value is NULL for
 * a bare "?flag".
 */
struct tl_qparam {
    const char *key;
    const char *value;
};

/*
 * True when key is a parameter the redirect reads itself and never
 * forwards: u, subId1, subId2, subId3, sharedid (exact, case-sensitive).
 */
bool tl_location_reserved(const char *key);

/*
 * Writes the Location of a redirect to out (cap bytes, NUL-terminated).
 *
 * landing is an absolute http(s) URL that was validated and normalised
 * (tl_url_landing_check). The result is landing with, in its query, in
 * this order:
 *   - the landing page's own parameters, as they were, minus any named
 *     click_param (compared after percent-decoding the landing's names);
 *   - click_param=click_id (both percent-encoded);
 *   - each visitor parameter, key and value percent-encoded, unless the
 *     key is empty, reserved (tl_location_reserved), equal to click_param,
 *     carried by the landing page, or already forwarded (first wins).
 * The fragment stays last. A landing page without a path gets "/"
 * ("https://acme.test" -> "https://acme.test/?clickid=..."). Other than
 * that, the landing page's path is kept as is (dot segments too).
 *
 * click_id NULL adds no click id (a redirect that credits nobody): the
 * landing page's query is then kept whole, and visitor parameters are
 * still filtered, click_param included when not NULL. click_param must be
 * non-empty when click_id is given.
 *
 * When the result does not fit in cap, it is built again without the
 * visitor parameters. Allocates only temporarily (libcurl, a small
 * arena), freed before returning. Returns TL_OK; TL_ERR_INVALID when landing is not an absolute
 * http(s) URL, when even the URL without visitor parameters does not fit,
 * or when the result would hold a control character or a space (never
 * from a normalised landing page: visitor bytes are always encoded);
 * TL_ERR_NOMEM when libcurl runs out of memory. On error out is "".
 */
enum tl_err tl_location_build(const char *landing, const char *click_param, const char *click_id,
                              const struct tl_qparam *visitor, size_t n_visitor, char *out,
                              size_t cap);

/*
 * The same in two steps, so that the redirect path can do the libcurl part
 * once per landing page (when it fills its cache) and only the string work
 * per click. A split landing page: what comes before the query (libcurl's
 * normalised URL), and the query and the fragment byte for byte as given
 * (NULL when absent).
 */
struct tl_location_parts {
    const char *base;
    const char *query;
    const char *fragment;
};

/* Splits landing (an absolute http(s) URL) with strings in a. TL_OK,
 * TL_ERR_INVALID or TL_ERR_NOMEM. */
enum tl_err tl_location_split(const char *landing, struct tl_arena *a,
                              struct tl_location_parts *out);

/* tl_location_build from a split landing page; no allocation at all. */
enum tl_err tl_location_compose(const struct tl_location_parts *parts, const char *click_param,
                                const char *click_id, const struct tl_qparam *visitor,
                                size_t n_visitor, char *out, size_t cap);

#endif
