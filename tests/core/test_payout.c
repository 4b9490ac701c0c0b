/*
 * test_payout.c: payout arithmetic (src/core/payout.c): percent payouts
 * rounded to the nearest minor unit with halves to even, at the edges of
 * the amount range (2^53-1 and INT64_MAX), and fixed payouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/payout.h"

struct row {
    int64_t amount;
    int rate_bp;
    int64_t payout;
};

/* Expected values computed with exact rationals (Python's Fraction and round). */
static const struct row rows[] = {
    {5LL, 1000, 0LL},  /* 0.5 -> 0 */
    {15LL, 1000, 2LL}, /* 1.5 -> 2 */
    {25LL, 1000, 2LL}, /* 2.5 -> 2 */
    {35LL, 1000, 4LL}, /* 3.5 -> 4 */
    {45LL, 1000, 4LL},
    {0LL, 1000, 0LL},
    {0LL, 0, 0LL},
    {12345LL, 0, 0LL},
    {12345LL, 10000, 12345LL},
    {1LL, 5000, 0LL},
    {3LL, 5000, 2LL},
    {5LL, 5000, 2LL},
    {7LL, 5000, 4LL},
    {1LL, 4999, 0LL},
    {1LL, 5001, 1LL},
    {12345LL, 1000, 1234LL},
    {12345LL, 1234, 1523LL},
    {19999LL, 250, 500LL},
    {9007199254740991LL, 10000, 9007199254740991LL},
    {9007199254740991LL, 1, 900719925474LL},
    {9007199254740991LL, 9999, 9006298534815517LL},
    {9007199254740991LL, 5000, 4503599627370496LL},
    {9007199254740990LL, 5000, 4503599627370495LL},
    {9223372036854775807LL, 10000, 9223372036854775807LL},
    {9223372036854775807LL, 9999, 9222449699651090329LL},
    {9223372036854775807LL, 1, 922337203685478LL},
    {100LL, 1, 0LL},
    {50LL, 1, 0LL},
    {150LL, 1, 0LL},
    {250LL, 1, 0LL},
    {10000LL, 1, 1LL},
    {5000LL, 1, 0LL},  /* 0.5 -> 0 */
    {15000LL, 1, 2LL}, /* 1.5 -> 2 */
    {99999LL, 3333, 33330LL},
    {1LL, 10000, 1LL},
    {2LL, 2500, 0LL},
    {6LL, 2500, 2LL},
    {10LL, 2500, 2LL},
};

static void test_percent_table(void **state)
{
    size_t i;
    int64_t got;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        got = tl_payout_percent(rows[i].amount, rows[i].rate_bp);
        if (got != rows[i].payout)
            fail_msg("row %zu: %lld at %d bp gave %lld, expected %lld", i,
                     (long long)rows[i].amount, rows[i].rate_bp, (long long)got,
                     (long long)rows[i].payout);
        assert_int_equal(
            tl_payout_compute(TL_PAYOUT_PERCENT, 999, rows[i].rate_bp, rows[i].amount, &got),
            TL_OK);
        assert_true(got == rows[i].payout);
    }
}

static void test_percent_out_of_range(void **state)
{
    int64_t out = 77;

    (void)state;
    assert_true(tl_payout_percent(-1, 1000) == -1);
    assert_true(tl_payout_percent(100, -1) == -1);
    assert_true(tl_payout_percent(100, 10001) == -1);
    assert_int_equal(tl_payout_compute(TL_PAYOUT_PERCENT, 0, 10001, 100, &out), TL_ERR_INVALID);
    assert_int_equal(tl_payout_compute(TL_PAYOUT_PERCENT, 0, 100, -5, &out), TL_ERR_INVALID);
    assert_true(out == 77);
}

static void test_fixed(void **state)
{
    int64_t out = 0;

    (void)state;
    assert_int_equal(tl_payout_compute(TL_PAYOUT_FIXED, 500, 0, 12345, &out), TL_OK);
    assert_true(out == 500);
    assert_int_equal(tl_payout_compute(TL_PAYOUT_FIXED, 500, 0, 0, &out), TL_OK);
    assert_true(out == 500);
    assert_int_equal(tl_payout_compute(TL_PAYOUT_FIXED, 0, 0, 1, &out), TL_OK);
    assert_true(out == 0);
    assert_int_equal(tl_payout_compute(TL_PAYOUT_FIXED, -1, 0, 1, &out), TL_ERR_INVALID);
    assert_int_equal(tl_payout_compute((enum tl_payout_type)9, 1, 1, 1, &out), TL_ERR_INVALID);
}

/* Every rate on a range of amounts agrees with a direct computation that
 * fits in int64 (amount x rate < 2^63 for these amounts). */
static void test_percent_exhaustive_small(void **state)
{
    int64_t a, want, rem;
    int r;

    (void)state;
    for (r = 0; r <= 10000; r += 7) {
        for (a = 0; a < 3000; a += 13) {
            want = a * r / 10000;
            rem = a * r % 10000;
            if (rem > 5000 || (rem == 5000 && want % 2 == 1))
                want++;
            assert_true(tl_payout_percent(a, r) == want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_table),
        cmocka_unit_test(test_percent_out_of_range),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_percent_exhaustive_small),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
