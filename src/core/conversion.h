/*
 * conversion.h: the rules of conversions that need no storage (API.md
 * "Conversions"): status names and the allowed moves between them, the
 * shape of an event type, and the referral window.
 */
#ifndef TL_CORE_CONVERSION_H
#define TL_CORE_CONVERSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"

#define TL_DAY_MS  86400000LL
#define TL_HOUR_MS 3600000LL
/* How long before its click a conversion may claim to have happened
 * (clocks of shops and of tracklink disagree a little). */
#define TL_CONV_BEFORE_CLICK_MS TL_HOUR_MS

/* "pending", "approved", "reversed"; "?" for anything else. */
const char *tl_conversion_status_str(enum tl_conversion_status s);
int tl_conversion_status_parse(const char *s); /* -1 if unknown */

/*
 * True when a conversion may move from one status to another: pending to
 * approved, pending to reversed, approved to reversed. Nothing else (no
 * move to the same status, nothing out of reversed).
 */
bool tl_conversion_can_move(enum tl_conversion_status from, enum tl_conversion_status to);

/* True when s is 1..TL_EVENT_TYPE_MAX characters of [a-z0-9_.-]. */
bool tl_conversion_event_type_valid(const char *s);

/*
 * True when a conversion that occurred at occurred_ms may be credited to a
 * click made at click_ms with a window of window_days: from one hour
 * before the click up to and including click + window.
 */
bool tl_conversion_in_window(int64_t click_ms, int window_days, int64_t occurred_ms);

#endif
