/*
 * postback.h: the rules of partner postbacks that need no storage and no
 * network (API.md "Partner postbacks"): event names, the check of a
 * partner's URL when it is set, the addresses a postback may never reach,
 * the expansion of {macros}, and the retry schedule.
 */
#ifndef TL_CORE_POSTBACK_H
#define TL_CORE_POSTBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"

#define TL_PB_URL_MAX        2048             /* a partner's URL template, in bytes */
#define TL_PB_EXPANDED_MAX   (64 * 1024)      /* an expanded URL, in bytes */
#define TL_PB_FIRST_RETRY_MS 1000             /* then doubling */
#define TL_PB_GIVE_UP_MS     (24LL * 3600000) /* from the event's creation */

/* "conversion.created", ... for one event bit; NULL for anything else. */
const char *tl_postback_event_str(enum tl_postback_event e);
/* The bit of an event name, or 0 when unknown. */
unsigned tl_postback_event_parse(const char *s);

/*
 * Checks a partner's URL template as it is set: an absolute http(s) URL
 * (once every {macro} is replaced by a sample value) of at most
 * TL_PB_URL_MAX bytes, with a host and no credentials. Unless
 * allow_private, a host that is an IP literal in a loopback, private,
 * link-local or unspecified range, or "localhost" (or a name under
 * .localhost), is refused. Returns TL_OK, or TL_ERR_INVALID with prob set:
 * code invalid_value, or postback_url_not_allowed for a refused address;
 * field "url".
 */
enum tl_err tl_postback_url_check(const char *url, bool allow_private, struct tl_problem *prob);

/*
 * True when a socket address is one a postback may never connect to:
 * IPv4 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16,
 * 255.255.255.255; IPv6 ::, ::1, fc00::/7, fe80::/10, and IPv4-mapped or
 * -compatible forms of the IPv4 ranges. Other families are refused too.
 */
bool tl_postback_addr_blocked(const struct sockaddr *sa, socklen_t len);

/* The values that {macros} expand to, as of the event. NULL expands to "". */
struct tl_postback_vars {
    const struct tl_conversion *conv; /* status: as of the event */
    const char *sub[4];               /* the click's subId1..3, sharedid */
};

/*
 * Expands every known {macro} of tmpl (the list in API.md) with its value
 * percent-encoded (libcurl's escaping: everything but ALPHA DIGIT - . _ ~).
 * Unknown {words} are kept as they are. *out is arena memory. Returns
 * TL_OK, TL_ERR_TOOLARGE past TL_PB_EXPANDED_MAX, or TL_ERR_NOMEM.
 */
enum tl_err tl_postback_expand(const char *tmpl, const struct tl_postback_vars *v,
                               struct tl_arena *a, char **out);

/*
 * When to try again after attempt number attempts (1 for the first) failed
 * at now_ms, for a delivery created at created_ms: 1 s after the first
 * failure, doubling after each one. Returns 0 when that would be past
 * created_ms + TL_PB_GIVE_UP_MS: the delivery has failed for good.
 */
int64_t tl_postback_next_attempt(int64_t created_ms, int attempts, int64_t now_ms);

#endif
