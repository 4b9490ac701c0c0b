/*
 * bots.h: tells link-preview fetchers and crawlers from people, by their
 * User-Agent, so that their clicks are redirected but left out of the
 * counts (API.md, "Redirects").
 *
 * The patterns live in src/track/bots.txt, compiled into the binary by
 * scripts/embed.py as tl_bots_data (one file). Each is a case-insensitive
 * substring of the User-Agent.
 */
#ifndef TL_TRACK_BOTS_H
#define TL_TRACK_BOTS_H

#include <stdbool.h>

#include "core/err.h"

/* Most patterns bots.txt may hold, and the longest pattern (bytes). */
#define TL_BOTS_MAX_PATTERNS 512
#define TL_BOTS_MAX_PATTERN  63

/*
 * Parses the embedded bots.txt once into a static, lower-cased pattern
 * table (no heap). Thread-safe and idempotent (pthread_once): every call
 * returns the result of the first. TL_ERR_INTERNAL when the embedded file
 * breaks the rules of bots.txt (a pattern under 2 or over
 * TL_BOTS_MAX_PATTERN bytes, too many patterns). tl_bots_match calls it
 * too; main may call it at start to fail early.
 */
enum tl_err tl_bots_init(void);

/*
 * True when ua is a bot: NULL, empty or all blanks (space, tab), or
 * holding one of the patterns, ASCII case-insensitively. Reads ua only,
 * allocates nothing, takes no lock; a few hundred nanoseconds for a
 * browser's User-Agent, and a strcmp when the thread's previous call had
 * the same User-Agent (each thread remembers its last answer). When the table failed to load, only the
 * empty-UA rule applies.
 */
bool tl_bots_match(const char *ua);

#endif
