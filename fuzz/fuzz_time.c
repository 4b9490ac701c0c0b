/*
 * fuzz_time.c: RFC 3339 times and dates (core/time.c), time zone names and
 * TZif files (core/tz.c), as the API reads them (?from=, ?to=, ?tz= of the
 * reports, occurred_at of a conversion).
 *
 * Input: when the first byte is 'Z', the rest is a TZif file
 * (tl_tz_parse), whose offsets are then looked up across the years an
 * RFC 3339 time can name. Otherwise lines: a date-time, a zone name, a
 * date. Checked: a parsed date-time formats back to itself up to the
 * second (in the years 0000-9999); a parsed date is its own midnight; a
 * zone that loads has a name with no ".." and no leading "/"; local
 * midnight is within a day and a half of the local time.
 */
#include <string.h>

#include "core/time.h"
#include "core/tz.h"
#include "fuzz.h"

#define DAY_MS 86400000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* -0000-01-01 .. 9999-12-31 and a little around, in ms */
static const int64_t probes[] = {
    -62167219200000LL - DAY_MS, -2208988800000LL, 0, 1764000000000LL, 2145916800000LL,
    253402300799000LL + DAY_MS};

static void use_zone(const struct tl_tz *z, int64_t ms)
{
    int64_t mid;
    int32_t off = tl_tz_offset(z, ms);

    mid = tl_tz_local_to_utc(z, ms + (int64_t)off * 1000);
    (void)tl_tz_whole_hours(z, mid, mid + DAY_MS);
    (void)tl_tz_whole_hours(z, probes[0], ms);
}

static void tzif(const uint8_t *data, size_t size)
{
    struct tl_tz *z = NULL;
    size_t i;

    if (tl_tz_parse(data, size, &z) != TL_OK)
        return;
    for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
        use_zone(z, probes[i]);
    tl_tz_free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[TL_TIME_LEN];
    struct fz_fields in;
    struct tl_tz *z = NULL;
    int64_t ms = 0, again = 0, day = 0;
    bool have_ms = false;

    if (size > 0 && data[0] == 'Z') {
        tzif(data + 1, size - 1);
        return 0;
    }
    if (size > 4096)
        return 0;
    fz_split(data, size, 3, &in);

    if (tl_time_parse(in.f[0], &ms) == TL_OK) {
        have_ms = true;
        tl_time_format(ms, out);
        if (strlen(out) == 20) {
            FZ_CHECK(tl_time_parse(out, &again) == TL_OK);
            FZ_CHECK(again == ms - ((ms % 1000) + 1000) % 1000);
        }
    }
    if (tl_time_parse_date(in.f[2], &day) == TL_OK) {
        FZ_CHECK(day % DAY_MS == 0);
        tl_time_format(day, out);
        FZ_CHECK(strncmp(out, in.f[2], 10) == 0 && strcmp(out + 10, "T00:00:00Z") == 0);
    }
    if (tl_tz_load(in.f[1], &z) == TL_OK) {
        FZ_CHECK(strstr(in.f[1], "..") == NULL && in.f[1][0] != '/');
        if (have_ms) {
            int32_t off = tl_tz_offset(z, ms);
            int64_t local = ms + (int64_t)off * 1000, mid = tl_tz_local_to_utc(z, local);

            FZ_CHECK(off > -26 * 3600 && off < 26 * 3600);
            FZ_CHECK(mid - local < 2 * DAY_MS && local - mid < 2 * DAY_MS);
            use_zone(z, ms);
        }
        use_zone(z, day);
        tl_tz_free(z);
    }
    fz_free(&in);
    return 0;
}
