/*
 * test_time.c: RFC 3339 formatting and strict parsing (src/core/time.c):
 * known instants, tables of valid and invalid strings, round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/time.h"

#define NOV28 INT64_C(1795899600000) /* 2026-11-28T21:00:00Z */

struct known {
    const char *text;
    int64_t ms;
};

/* exact instants (checked against Python's datetime) */
static const struct known knowns[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"2026-11-28T21:00:00Z", NOV28},
    {"2000-01-01T00:00:00Z", INT64_C(946684800000)},
    {"1969-12-31T23:59:59Z", -1000},
    {"0001-01-01T00:00:00Z", INT64_C(-62135596800000)},
    {"9999-12-31T23:59:59Z", INT64_C(253402300799000)},
    {"0000-01-01T00:00:00Z", INT64_C(-62167219200000)},
    {"1900-03-01T00:00:00Z", INT64_C(-2203891200000)},
    {"1600-02-29T00:00:00Z", INT64_C(-11670998400000)},
    {"2024-02-29T12:34:56Z", INT64_C(1709210096000)},
};

static void test_known_instants(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(knowns) / sizeof(knowns[0]); i++) {
        char buf[TL_TIME_LEN];
        int64_t ms = 42;

        tl_time_format(knowns[i].ms, buf);
        assert_string_equal(buf, knowns[i].text);
        assert_int_equal(tl_time_parse(knowns[i].text, &ms), TL_OK);
        assert_int_equal(ms, knowns[i].ms);
    }
}

static void test_format_drops_ms(void **state)
{
    char buf[TL_TIME_LEN];

    (void)state;
    tl_time_format(NOV28 + 999, buf);
    assert_string_equal(buf, "2026-11-28T21:00:00Z");
    /* before the epoch, milliseconds round down too */
    tl_time_format(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
    tl_time_format(-1001, buf);
    assert_string_equal(buf, "1969-12-31T23:59:58Z");
    /* extremes do not overflow the buffer */
    tl_time_format(INT64_MAX, buf);
    assert_true(strlen(buf) < TL_TIME_LEN);
    tl_time_format(INT64_MIN, buf);
    assert_true(strlen(buf) < TL_TIME_LEN);
}

static const struct known valid[] = {
    {"2026-11-28T21:00:00Z", NOV28},
    {"2026-11-28t21:00:00z", NOV28},
    {"2026-11-28T21:00:00+00:00", NOV28},
    {"2026-11-28T21:00:00-00:00", NOV28},
    {"2026-11-28T23:30:00+02:30", NOV28},
    {"2026-11-28T18:00:00-03:00", NOV28},
    {"2026-11-29T20:59:00+23:59", NOV28},
    {"2026-11-27T21:01:00-23:59", NOV28},
    {"2026-11-28T21:00:00.5Z", NOV28 + 500},
    {"2026-11-28T21:00:00.05Z", NOV28 + 50},
    {"2026-11-28T21:00:00.123Z", NOV28 + 123},
    {"2026-11-28T21:00:00.1239Z", NOV28 + 123},
    {"2026-11-28T21:00:00.999999999Z", NOV28 + 999},
    {"2026-11-28T21:00:00.000000000Z", NOV28},
    {"2026-11-28T23:00:00.250+02:00", NOV28 + 250},
    {"2024-02-29T00:00:00Z", INT64_C(1709164800000)},
    {"2000-02-29T00:00:00Z", INT64_C(951782400000)},
    {"2026-12-31T23:59:59Z", INT64_C(1798761599000)},
    {"1970-01-01T00:00:00+01:00", -3600000},
};

static void test_parse_valid(void **state)
{
    size_t i;
    int fails = 0;

    (void)state;
    for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        int64_t ms = 0;
        enum tl_err err = tl_time_parse(valid[i].text, &ms);

        if (err != TL_OK || ms != valid[i].ms) {
            print_error("[%s]: want %lld, got %s %lld\n", valid[i].text,
                        (long long)valid[i].ms, tl_err_str(err), (long long)ms);
            fails++;
        }
    }
    assert_int_equal(fails, 0);
}

static const char *const invalid[] = {
    "",
    "2026",
    "2026-11-28",
    "2026-11-28T21:00",
    "2026-11-28T21:00Z",
    "2026-11-28T21:00:00",
    "2026-11-28 21:00:00Z",
    "2026-11-28_21:00:00Z",
    "2026-11-28T21:00:00ZZ",
    "2026-11-28T21:00:00Z ",
    " 2026-11-28T21:00:00Z",
    "2026-11-28T21:00:00.Z",
    "2026-11-28T21:00:00.1234567890Z",
    "2026-11-28T21:00:00,5Z",
    "2026-11-28T21:00:00+0200",
    "2026-11-28T21:00:00+02",
    "2026-11-28T21:00:00+2:00",
    "2026-11-28T21:00:00+24:00",
    "2026-11-28T21:00:00+02:60",
    "2026-11-28T21:00:00UTC",
    "2026-11-28T21:00:00GMT",
    "26-11-28T21:00:00Z",
    "+2026-11-28T21:00:00Z",
    "02026-11-28T21:00:00Z",
    "2026-1-28T21:00:00Z",
    "2026-11-8T21:00:00Z",
    "2026-11-28T1:00:00Z",
    "2026-11-28T21:0:00Z",
    "2026-11-28T21:00:0Z",
    "2026/11/28T21:00:00Z",
    "2026-00-28T21:00:00Z",
    "2026-13-28T21:00:00Z",
    "2026-11-00T21:00:00Z",
    "2026-11-31T21:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-01-32T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2100-02-29T00:00:00Z",
    "2026-11-28T24:00:00Z",
    "2026-11-28T21:60:00Z",
    "2026-11-28T21:00:60Z",
    "2026-11-28T21:00:61Z",
    "2026-11-28T-1:00:00Z",
    "2026-11-28T21:00:00.-5Z",
    "2026-11-2aT21:00:00Z",
    "１９７０-01-01T00:00:00Z",
    "now",
    /* an offset carrying the instant out of 0000-9999 (found by fuzz_time) */
    "0000-01-01T00:00:00+23:59",
    "0000-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-00:01",
};

static void test_parse_invalid(void **state)
{
    size_t i;
    int fails = 0;

    (void)state;
    for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        int64_t ms = 42;
        enum tl_err err = tl_time_parse(invalid[i], &ms);

        if (err != TL_ERR_INVALID || ms != 42) {
            print_error("[%s]: want invalid, got %s %lld\n", invalid[i], tl_err_str(err),
                        (long long)ms);
            fails++;
        }
    }
    assert_int_equal(fails, 0);
    assert_int_equal(tl_time_parse(NULL, NULL), TL_ERR_INVALID);
}

static void test_parse_date(void **state)
{
    int64_t ms = 42;

    (void)state;
    assert_int_equal(tl_time_parse_date("2026-11-28", &ms), TL_OK);
    assert_int_equal(ms, NOV28 - 21 * 3600000);
    assert_int_equal(tl_time_parse_date("1970-01-01", &ms), TL_OK);
    assert_int_equal(ms, 0);
    assert_int_equal(tl_time_parse_date("1969-12-31", &ms), TL_OK);
    assert_int_equal(ms, -86400000);
    assert_int_equal(tl_time_parse_date("2024-02-29", &ms), TL_OK);
    assert_int_equal(ms, INT64_C(1709164800000));
    ms = 42;
    assert_int_equal(tl_time_parse_date("2023-02-29", &ms), TL_ERR_INVALID);
    assert_int_equal(tl_time_parse_date("2026-11-28T00:00:00Z", &ms), TL_ERR_INVALID);
    assert_int_equal(tl_time_parse_date("2026-11-28 ", &ms), TL_ERR_INVALID);
    assert_int_equal(tl_time_parse_date("2026-11-2", &ms), TL_ERR_INVALID);
    assert_int_equal(tl_time_parse_date("2026-13-01", &ms), TL_ERR_INVALID);
    assert_int_equal(tl_time_parse_date("20261128", &ms), TL_ERR_INVALID);
    assert_int_equal(tl_time_parse_date("", &ms), TL_ERR_INVALID);
    assert_int_equal(tl_time_parse_date(NULL, &ms), TL_ERR_INVALID);
    assert_int_equal(ms, 42);
}

/* every day from 1600 to 2400 at a few times of day survives format → parse */
static void test_round_trip(void **state)
{
    int64_t day, first = INT64_C(-11676096000000) / 86400000, last = INT64_C(13574563200);
    static const int64_t offsets[] = {0, 1000, 3599000, 43200000, 86399000};

    (void)state;
    last /= 86400;
    for (day = first; day <= last; day++) {
        size_t i;

        for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
            int64_t ms = day * 86400000 + offsets[i], back = 0;
            char buf[TL_TIME_LEN];

            tl_time_format(ms, buf);
            if (tl_time_parse(buf, &back) != TL_OK || back != ms)
                fail_msg("round trip of %lld gave [%s] -> %lld", (long long)ms, buf,
                         (long long)back);
        }
        /* midnight of the same day, through the date-only parser */
        {
            char buf[TL_TIME_LEN];
            int64_t back = 0;

            tl_time_format(day * 86400000, buf);
            buf[10] = '\0';
            if (tl_time_parse_date(buf, &back) != TL_OK || back != day * 86400000)
                fail_msg("date round trip of day %lld failed", (long long)day);
        }
    }
}

static void test_now(void **state)
{
    int64_t a = tl_time_now_ms(), b = tl_time_now_ms();

    (void)state;
    /* after 2024-01-01 and monotone enough for two calls in a row */
    assert_true(a > INT64_C(1704067200000));
    assert_true(b >= a);
}

static void test_deadline_us(void **state)
{
    struct timespec now, d;
    int64_t delta_ns;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &now);
    tl_time_deadline_us(&d, 1500000); /* 1.5 s: crosses a second */
    assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    delta_ns = (int64_t)(d.tv_sec - now.tv_sec) * 1000000000 + (d.tv_nsec - now.tv_nsec);
    assert_true(delta_ns >= 1500000000 && delta_ns < 1600000000);
    tl_time_deadline_us(&d, 999999);
    assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_us),
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_format_drops_ms),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_now),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
