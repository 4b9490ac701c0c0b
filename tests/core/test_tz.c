/*
 * test_tz.c: zone offsets from the system's tz database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/time.h"
#include "core/tz.h"

static int64_t at(const char *s)
{
    int64_t ms = 0;

    assert_int_equal(tl_time_parse(s, &ms), TL_OK);
    return ms;
}

static void fixed_zones(void **state)
{
    struct tl_tz *z;

    (void)state;
    assert_int_equal(tl_tz_load("UTC", &z), TL_OK);
    assert_int_equal(tl_tz_offset(z, at("2026-11-28T21:00:00Z")), 0);
    tl_tz_free(z);
    assert_int_equal(tl_tz_load("Asia/Tokyo", &z), TL_OK);
    assert_int_equal(tl_tz_offset(z, at("2026-11-28T21:00:00Z")), 9 * 3600);
    assert_true(tl_tz_whole_hours(z, at("2000-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z")));
    tl_tz_free(z);
}

static void daylight_saving(void **state)
{
    struct tl_tz *z;

    (void)state;
    assert_int_equal(tl_tz_load("America/New_York", &z), TL_OK);
    assert_int_equal(tl_tz_offset(z, at("2026-01-15T12:00:00Z")), -5 * 3600);
    assert_int_equal(tl_tz_offset(z, at("2026-07-15T12:00:00Z")), -4 * 3600);
    /* 2026-03-08 07:00Z is 03:00 EDT, the first instant of summer time. */
    assert_int_equal(tl_tz_offset(z, at("2026-03-08T06:59:59Z")), -5 * 3600);
    assert_int_equal(tl_tz_offset(z, at("2026-03-08T07:00:00Z")), -4 * 3600);
    /* Local midnight of 2026-07-15 is 04:00 UTC. */
    assert_int_equal(tl_tz_local_to_utc(z, at("2026-07-15T10:00:00Z")),
                     at("2026-07-15T04:00:00Z"));
    tl_tz_free(z);
}

static void fractional_zones(void **state)
{
    struct tl_tz *z;

    (void)state;
    assert_int_equal(tl_tz_load("Asia/Kolkata", &z), TL_OK);
    assert_int_equal(tl_tz_offset(z, at("2026-11-28T21:00:00Z")), 5 * 3600 + 1800);
    assert_false(tl_tz_whole_hours(z, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")));
    tl_tz_free(z);
}

static void bad_names(void **state)
{
    static const char *const bad[] = {"",           "Nowhere/City", "../etc/passwd", "/etc/passwd",
                                      "Asia/Tokyo ", "Asia/Tok;yo", "Asia"};
    struct tl_tz *z;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        z = (struct tl_tz *)1;
        assert_int_equal(tl_tz_load(bad[i], &z), TL_ERR_INVALID);
        assert_null(z);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_zones),
        cmocka_unit_test(daylight_saving),
        cmocka_unit_test(fractional_zones),
        cmocka_unit_test(bad_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
