/*
 * test_link.c: short codes and link URLs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "core/link.h"

static void codes_are_base62_and_distinct(void **state)
{
    char a[TL_LINK_CODE_LEN + 1], b[TL_LINK_CODE_LEN + 1];
    int i, same = 0;

    (void)state;
    for (i = 0; i < 1000; i++) {
        tl_link_code_new(a);
        tl_link_code_new(b);
        assert_int_equal(strlen(a), TL_LINK_CODE_LEN);
        assert_true(tl_link_code_valid(a));
        assert_false(tl_link_code_reserved(a));
        same += strcmp(a, b) == 0;
    }
    assert_int_equal(same, 0);
}

static void reserved_words(void **state)
{
    (void)state;
    assert_true(tl_link_code_reserved("api"));
    assert_true(tl_link_code_reserved("HEALTHZ"));
    assert_true(tl_link_code_reserved("Metrics"));
    assert_true(tl_link_code_reserved("c"));
    assert_false(tl_link_code_reserved("abc1234"));
}

static void code_shape(void **state)
{
    (void)state;
    assert_true(tl_link_code_valid("aB3dE6g"));
    assert_false(tl_link_code_valid("aB3dE6"));
    assert_false(tl_link_code_valid("aB3dE6gh"));
    assert_false(tl_link_code_valid("aB3-E6g"));
    assert_false(tl_link_code_valid(""));
}

static void urls(void **state)
{
    struct tl_arena *a = tl_arena_new(1 << 16);

    (void)state;
    assert_string_equal(tl_link_short_url(a, "http://t.test", "aB3dE6g"), "http://t.test/aB3dE6g");
    assert_string_equal(tl_link_regular_url(a, "http://t.test", 1, 2, 3, NULL),
                        "http://t.test/c/1/2/3");
    assert_string_equal(
        tl_link_regular_url(a, "http://t.test", 1, 2, 3, "https://acme.test/p?a=1&b=2#f"),
        "http://t.test/c/1/2/3?u=https%3A%2F%2Facme.test%2Fp%3Fa%3D1%26b%3D2%23f");
    tl_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes_are_base62_and_distinct),
        cmocka_unit_test(reserved_words),
        cmocka_unit_test(code_shape),
        cmocka_unit_test(urls),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
