/*
 * url.h: the landing-page gate, which keeps tracklink from being an open
 * redirect.
 *
 * A program lists its permitted domains ("acme.test", "*.acme.test"); every
 * landing page, when it is stored, when a link is generated and again at
 * every click, must be an absolute http(s) URL whose host is one of them.
 * Parsing is libcurl's URL API; IDN hosts become punycode through libcurl
 * (libidn2). Nothing here does I/O.
 */
#ifndef TL_CORE_URL_H
#define TL_CORE_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* Buffer size that holds any normalised host or permitted domain. */
#define TL_URL_HOST_LEN 256

/*
 * Calls curl_global_init() once per process (thread-safe, idempotent).
 * Every function below calls it, so callers need not; main may call it
 * early so that it runs before threads start.
 */
void tl_url_global_init(void);

/*
 * Validates one permitted-domain entry and writes its normalised form to
 * out (cap bytes, TL_URL_HOST_LEN is always enough): a hostname, or "*."
 * and a hostname; lower case, IDN labels as punycode, one trailing dot
 * removed. Labels are letters, digits and inner hyphens, 1-63 bytes; the
 * last label may not be all digits (no IP addresses). Refused: schemes,
 * paths, ports, queries, userinfo, spaces, control characters and any
 * other wildcard. Returns TL_OK, or TL_ERR_INVALID with p set to
 * invalid_value / field "permitted_domains" (p may be NULL).
 */
enum tl_err tl_url_domain_normalize(const char *in, char *out, size_t cap, struct tl_problem *p);

/*
 * Decides whether url may be a landing page of a program whose permitted
 * domains (already normalised by tl_url_domain_normalize) are domains[0..n).
 * The URL must be absolute "http://" or "https://", at most TL_URL_MAX
 * (2048) bytes, and hold no userinfo, no control characters, no spaces and
 * no backslashes; its host may not be percent-encoded. On TL_OK the
 * normalised URL is written to out (cap bytes): the scheme and the host
 * lower-cased, an IDN host as punycode, everything else (port, path, query,
 * fragment) byte for byte as given. Returns TL_ERR_INVALID with p->code
 * "landing_page_invalid" (bad URL, or out too small) or
 * "landing_page_not_permitted" (host not permitted; IP literals never are),
 * p->field = field (a static string of the caller); TL_ERR_NOMEM if libcurl
 * runs out of memory.
 */
enum tl_err tl_url_landing_check(const char *url, const char *const *domains, size_t n,
                                 const char *field, char *out, size_t cap,
                                 struct tl_problem *p);

/*
 * The matching rule alone: true when host (lower case, punycode; one
 * trailing dot is ignored) equals a domain, or sits under a "*.x" entry on a
 * label boundary ("*.x" does not match "x" itself). IP literals never match.
 */
bool tl_url_host_permitted(const char *host, const char *const *domains, size_t n);

/*
 * Writes the normalised host of an absolute URL that libcurl accepts to out
 * (cap bytes): lower case, punycode, one trailing dot removed; an IPv6
 * literal keeps its brackets, an IPv4 address is in dotted decimal. Returns
 * TL_OK, TL_ERR_INVALID (unparsable, no host, or out too small) or
 * TL_ERR_NOMEM.
 */
enum tl_err tl_url_host_of(const char *url, char *out, size_t cap);

#endif
