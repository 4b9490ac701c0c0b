/*
 * test_currency.c: ISO 4217 codes and minor units (src/core/currency.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/currency.h"

struct cur {
    const char *code;
    int exponent;
};

static const struct cur known[] = {
    {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CHF", 2}, {"JPY", 0}, {"KRW", 0},
    {"ISK", 0}, {"CLP", 0}, {"VND", 0}, {"XAF", 0}, {"XOF", 0}, {"XPF", 0},
    {"KWD", 3}, {"BHD", 3}, {"JOD", 3}, {"OMR", 3}, {"TND", 3}, {"IQD", 3},
    {"LYD", 3}, {"CLF", 4}, {"UYW", 4}, {"AED", 2}, {"ZWL", 2}, {"ZWG", 2},
    {"XCD", 2}, {"XCG", 2}, {"INR", 2}, {"CNY", 2}, {"BRL", 2}, {"MXN", 2},
};

static void test_known(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        assert_true(tl_currency_valid(known[i].code));
        assert_int_equal(tl_currency_exponent(known[i].code), known[i].exponent);
    }
}

static const char *const refused[] = {
    NULL, "", "U", "US", "usd", "Usd", "uSD", "USDX", "USD ", " USD", "US1", "123",
    "ABC", "ZZZ", "AAA", "HRK", "DEM", "FRF", "XXX", "XTS", "XAU", "XAG", "XDR",
    "\xc3\x9cSD",
};

static void test_refused(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_false(tl_currency_valid(refused[i]));
        assert_int_equal(tl_currency_exponent(refused[i]), -1);
    }
}

/*
 * Every three-letter code: the valid ones are exactly the table (so a table
 * out of order, which bsearch would miss, shows up as a wrong count), and
 * each has an exponent from 0 to 4.
 */
static void test_all_codes(void **state)
{
    char code[4] = "AAA";
    int count = 0, a, b, c;

    (void)state;
    for (a = 0; a < 26; a++) {
        for (b = 0; b < 26; b++) {
            for (c = 0; c < 26; c++) {
                int e;

                code[0] = (char)('A' + a);
                code[1] = (char)('A' + b);
                code[2] = (char)('A' + c);
                e = tl_currency_exponent(code);
                if (tl_currency_valid(code)) {
                    count++;
                    assert_in_range(e, 0, 4);
                } else {
                    assert_int_equal(e, -1);
                }
            }
        }
    }
    assert_int_equal(count, 169);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_all_codes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
