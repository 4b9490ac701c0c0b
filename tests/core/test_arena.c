/*
 * test_arena.c: the per-request bump allocator (src/core/arena.c):
 * zeroed aligned blocks, the cap, strdup/strndup/printf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"

static void test_alloc_zeroed_aligned(void **state)
{
    struct tl_arena *a = tl_arena_new(1 << 20);
    size_t sizes[] = {1, 3, 7, 16, 17, 100, 4095, 4096, 5000, 70000};
    size_t i, j;

    (void)state;
    assert_non_null(a);
    assert_int_equal(tl_arena_used(a), 0);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *p = tl_arena_alloc(a, sizes[i]);

        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (j = 0; j < sizes[i]; j++)
            assert_int_equal(p[j], 0);
        /* the whole block is writable (ASan would catch an overrun) */
        memset(p, 0xAB, sizes[i]);
    }
    assert_true(tl_arena_used(a) >= 1 + 3 + 7 + 16 + 17 + 100 + 4095 + 4096 + 5000 + 70000);
    tl_arena_free(a);
}

/* Raw blocks: aligned, capped, counted like zeroed ones; and a zeroed
 * block over memory a raw one dirtied (after a reset) is still zeroed. */
static void test_alloc_raw(void **state)
{
    struct tl_arena *a = tl_arena_new(8192);
    unsigned char *p, *q;
    size_t j;

    (void)state;
    assert_non_null(a);
    p = tl_arena_alloc_raw(a, 3000);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    assert_true(tl_arena_used(a) >= 3000);
    memset(p, 0xAB, 3000);
    q = tl_arena_alloc_raw(a, 1);
    assert_non_null(q);
    assert_true(q >= p + 3000 || q + 1 <= p);
    assert_null(tl_arena_alloc_raw(a, 8192)); /* past the cap */
    tl_arena_reset(a);
    p = tl_arena_alloc(a, 3000);
    assert_non_null(p);
    for (j = 0; j < 3000; j++)
        assert_int_equal(p[j], 0);
    tl_arena_free(a);
}

static void test_blocks_do_not_overlap(void **state)
{
    struct tl_arena *a = tl_arena_new(1 << 16);
    unsigned char *p[64];
    size_t i, j;

    (void)state;
    assert_non_null(a);
    for (i = 0; i < 64; i++) {
        p[i] = tl_arena_alloc(a, 40);
        assert_non_null(p[i]);
        memset(p[i], (int)i, 40);
    }
    for (i = 0; i < 64; i++)
        for (j = 0; j < 40; j++)
            assert_int_equal(p[i][j], i);
    tl_arena_free(a);
}

static void test_cap(void **state)
{
    struct tl_arena *a = tl_arena_new(100);

    (void)state;
    assert_non_null(a);
    assert_non_null(tl_arena_alloc(a, 64));
    /* 64 used; 48 more rounds to 48 > 36 left */
    assert_null(tl_arena_alloc(a, 37));
    assert_non_null(tl_arena_alloc(a, 32));
    assert_int_equal(tl_arena_used(a), 96);
    assert_null(tl_arena_alloc(a, 5));
    assert_null(tl_arena_alloc(a, SIZE_MAX));
    assert_null(tl_arena_alloc(a, SIZE_MAX - 3));
    assert_null(tl_arena_strdup(a, "hello"));
    assert_null(tl_arena_printf(a, "%d", 12345));
    assert_int_equal(tl_arena_used(a), 96);
    tl_arena_free(a);

    /* a cap of zero hands out nothing */
    a = tl_arena_new(0);
    assert_non_null(a);
    assert_null(tl_arena_alloc(a, 1));
    tl_arena_free(a);
}

static void test_strings(void **state)
{
    struct tl_arena *a = tl_arena_new(4096);
    char big[3000];
    char *s;

    (void)state;
    assert_non_null(a);
    s = tl_arena_strdup(a, "landing");
    assert_string_equal(s, "landing");
    assert_null(tl_arena_strdup(a, NULL));
    s = tl_arena_strndup(a, "abcdef", 3);
    assert_string_equal(s, "abc");
    s = tl_arena_strndup(a, "", 0);
    assert_string_equal(s, "");
    assert_null(tl_arena_strndup(a, NULL, 3));
    s = tl_arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.14159);
    assert_string_equal(s, "x-42-003.1");
    s = tl_arena_printf(a, "%s", "");
    assert_string_equal(s, "");

    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = tl_arena_printf(a, "%s", big);
    assert_non_null(s);
    assert_int_equal(strlen(s), sizeof(big) - 1);
    /* the cap (4096) is reached: a second copy does not fit */
    assert_null(tl_arena_printf(a, "%s", big));
    assert_null(tl_arena_strdup(a, big));
    tl_arena_free(a);
}

/* reset gives the whole cap back and reuses the warm chunk. */
static void test_reset(void **state)
{
    struct tl_arena *a = tl_arena_new(64 * 1024);
    char *p, *q;
    int i;

    (void)state;
    assert_non_null(a);
    for (i = 0; i < 40; i++)
        assert_non_null(tl_arena_alloc(a, 1024));
    assert_null(tl_arena_alloc(a, 32 * 1024)); /* past the cap */
    tl_arena_reset(a);
    assert_int_equal(tl_arena_used(a), 0);
    p = tl_arena_alloc(a, 100);
    assert_non_null(p);
    assert_int_equal(p[0], 0);
    memset(p, 'x', 100);
    tl_arena_reset(a);
    q = tl_arena_alloc(a, 100);
    assert_ptr_equal(p, q); /* the same chunk, zeroed again */
    assert_int_equal(q[99], 0);
    assert_non_null(tl_arena_alloc(a, 60 * 1024)); /* the whole cap again */
    tl_arena_reset(a);
    tl_arena_free(a);
}

static void test_free_null(void **state)
{
    (void)state;
    tl_arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_zeroed_aligned),
        cmocka_unit_test(test_alloc_raw),
        cmocka_unit_test(test_blocks_do_not_overlap),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_free_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
