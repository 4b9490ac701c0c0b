/*
 * time.h: wall-clock time as tracklink stores and shows it: milliseconds
 * since the Unix epoch (UTC) inside, RFC 3339 text at the API boundary.
 * Pure arithmetic apart from tl_time_now_ms(); no time zone database and
 * no locale are involved.
 */
#ifndef TL_CORE_TIME_H
#define TL_CORE_TIME_H

#include <stdint.h>
#include <time.h>

#include "core/err.h"

/* Size of a buffer that holds any tl_time_format() output. */
#define TL_TIME_LEN 32

/* Milliseconds since the Unix epoch, from CLOCK_REALTIME. */
int64_t tl_time_now_ms(void);

/* *ts = CLOCK_MONOTONIC now plus us microseconds: a deadline for
 * pthread_cond_timedwait on a condition variable set to that clock. */
void tl_time_deadline_us(struct timespec *ts, int64_t us);

/*
 * Writes ms as RFC 3339 UTC without fraction ("2026-11-28T21:00:00Z") to
 * out; milliseconds are dropped (rounded down, also before 1970). Years
 * outside 0000-9999 come out with more digits or a sign, never truncated.
 */
void tl_time_format(int64_t ms, char out[TL_TIME_LEN]);

/*
 * Parses an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS", an optional
 * fraction of 1-9 digits (kept to the millisecond, rounded down), then "Z"
 * or "+hh:mm" / "-hh:mm" ("T" and "Z" may be lower case, as RFC 3339
 * allows). Exact digit counts; month, day (leap years included), hour
 * <= 23, minute <= 59, second <= 59 (no leap second) and offset are
 * checked, and the instant must fall in the years 0000-9999 once the offset
 * is applied (so that tl_time_format writes it back as RFC 3339).
 * Writes milliseconds since the epoch to *ms and returns TL_OK,
 * or returns TL_ERR_INVALID and leaves *ms alone.
 */
enum tl_err tl_time_parse(const char *s, int64_t *ms);

/*
 * Parses a date "YYYY-MM-DD" (exactly that, a valid calendar day) to
 * midnight UTC of that day in *ms. TL_OK or TL_ERR_INVALID.
 */
enum tl_err tl_time_parse_date(const char *s, int64_t *ms);

#endif
