/*
 * time.c: RFC 3339 formatting and strict parsing over a proleptic
 * Gregorian calendar. days_from_civil / civil_from_days are H. Hinnant's
 * exact integer algorithms, which avoid timegm() and the TZ variable.
 */
#include "core/time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MS_PER_DAY  INT64_C(86400000)
#define TIME_MIN_MS INT64_C(-62167219200000) /* 0000-01-01T00:00:00Z */
#define TIME_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

int64_t tl_time_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tl_time_deadline_us(struct timespec *ts, int64_t us)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(us / 1000000);
    ts->tv_nsec += (long)(us % 1000000) * 1000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Days since 1970-01-01 of a Gregorian y-m-d (m 1-12, d 1-31). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void tl_time_format(int64_t ms, char out[TL_TIME_LEN])
{
    int64_t secs = floor_div(ms, 1000);
    int64_t days = floor_div(secs, 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    int m, d;
    char tmp[96];
    size_t len;

    civil_from_days(days, &y, &m, &d);
    /* the compiler cannot see the ranges: format wide, then copy (always < 32 bytes) */
    snprintf(tmp, sizeof(tmp), "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    len = strlen(tmp);
    if (len >= TL_TIME_LEN)
        len = TL_TIME_LEN - 1;
    memcpy(out, tmp, len);
    out[len] = '\0';
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n decimal digits at *s into *v and advances *s. */
static bool digits(const char **s, int n, int *v)
{
    int i, x = 0;

    for (i = 0; i < n; i++) {
        char c = (*s)[i];

        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (c - '0');
    }
    *s += n;
    *v = x;
    return true;
}

static bool expect(const char **s, char c)
{
    if (**s != c)
        return false;
    (*s)++;
    return true;
}

/* "YYYY-MM-DD" at *s, advancing it; *days since the epoch. */
static bool date_part(const char **s, int64_t *days)
{
    int y, m, d;

    if (!digits(s, 4, &y) || !expect(s, '-') || !digits(s, 2, &m) || !expect(s, '-') ||
        !digits(s, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

enum tl_err tl_time_parse(const char *s, int64_t *ms)
{
    int64_t days, total;
    int h, mi, sec, frac = 0, ndig = 0, oh = 0, om = 0, sign = 0;

    if (s == NULL || !date_part(&s, &days))
        return TL_ERR_INVALID;
    if (*s != 'T' && *s != 't')
        return TL_ERR_INVALID;
    s++;
    if (!digits(&s, 2, &h) || !expect(&s, ':') || !digits(&s, 2, &mi) || !expect(&s, ':') ||
        !digits(&s, 2, &sec))
        return TL_ERR_INVALID;
    if (h > 23 || mi > 59 || sec > 59)
        return TL_ERR_INVALID;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (++ndig > 9)
                return TL_ERR_INVALID;
            if (ndig <= 3)
                frac = frac * 10 + (*s - '0');
            s++;
        }
        if (ndig == 0)
            return TL_ERR_INVALID;
        for (; ndig < 3; ndig++)
            frac *= 10;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s == '+' ? 1 : -1;
        s++;
        if (!digits(&s, 2, &oh) || !expect(&s, ':') || !digits(&s, 2, &om))
            return TL_ERR_INVALID;
        if (oh > 23 || om > 59)
            return TL_ERR_INVALID;
    } else {
        return TL_ERR_INVALID;
    }
    if (*s != '\0')
        return TL_ERR_INVALID;
    /* local time minus the offset is UTC */
    total = days * MS_PER_DAY + ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
    total -= (int64_t)sign * ((int64_t)oh * 3600 + om * 60) * 1000;
    /* An offset can carry 0000-01-01 or 9999-12-31 into a year that RFC
     * 3339's four digits cannot name: such an instant could not be written
     * back (tl_time_format), so it is refused. */
    if (total < TIME_MIN_MS || total > TIME_MAX_MS)
        return TL_ERR_INVALID;
    *ms = total;
    return TL_OK;
}

enum tl_err tl_time_parse_date(const char *s, int64_t *ms)
{
    int64_t days;

    if (s == NULL || !date_part(&s, &days) || *s != '\0')
        return TL_ERR_INVALID;
    *ms = days * MS_PER_DAY;
    return TL_OK;
}
