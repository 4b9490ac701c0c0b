/*
 * tz.h: UTC offsets of IANA time zones, read from the system's tz database
 * (/usr/share/zoneinfo, Debian's tzdata), for the reports' day boundaries.
 *
 * The files are TZif (RFC 8536); the transitions they list are used, and
 * past the last one its offset holds (Debian ships "fat" files listing
 * transitions to 2037).
 */
#ifndef TL_CORE_TZ_H
#define TL_CORE_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct tl_tz;

/*
 * Loads the zone name ("Asia/Tokyo", "UTC"). TL_ERR_INVALID when the name
 * is malformed or no such zone exists, TL_ERR_NOMEM. The caller frees the
 * zone with tl_tz_free().
 */
enum tl_err tl_tz_load(const char *name, struct tl_tz **out);

/*
 * The same from the bytes of a TZif file already read (len bytes at buf),
 * as tl_tz_load does after reading the file: for callers that have the
 * file in memory. TL_ERR_INVALID when it is not a valid TZif file of
 * version 2 or later, TL_ERR_NOMEM.
 */
enum tl_err tl_tz_parse(const unsigned char *buf, size_t len, struct tl_tz **out);

void tl_tz_free(struct tl_tz *z);

/* Offset from UTC, in seconds, in force at the instant utc_ms. */
int32_t tl_tz_offset(const struct tl_tz *z, int64_t utc_ms);

/*
 * Whether every offset the zone takes in [from_ms, to_ms) is a whole
 * number of hours (so that hourly rollups fold into its days exactly).
 */
bool tl_tz_whole_hours(const struct tl_tz *z, int64_t from_ms, int64_t to_ms);

/* The UTC instant of local midnight starting the local day that holds
 * local_ms (a local time expressed as ms since the epoch). */
int64_t tl_tz_local_to_utc(const struct tl_tz *z, int64_t local_ms);

#endif
