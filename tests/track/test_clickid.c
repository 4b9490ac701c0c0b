/*
 * test_clickid.c: click id shape, uniqueness, time order and decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "track/clickid.h"

#define N_IDS 100000

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void shape(void **state)
{
    char id[TL_CLICKID_LEN + 1];
    int i;

    (void)state;
    for (i = 0; i < 1000; i++) {
        tl_clickid_new(1700000000000LL + i, id);
        assert_int_equal(strlen(id), TL_CLICKID_LEN);
        assert_true(strspn(id, alphabet) == TL_CLICKID_LEN);
        assert_true(tl_clickid_valid(id));
    }
}

static void unique_over_100k(void **state)
{
    char(*ids)[TL_CLICKID_LEN + 1] = malloc(sizeof(*ids) * N_IDS);
    int i;

    (void)state;
    assert_non_null(ids);
    /* the same millisecond for all: only the random part can tell them apart */
    for (i = 0; i < N_IDS; i++)
        tl_clickid_new(1700000000000LL, ids[i]);
    qsort(ids, N_IDS, sizeof(*ids), cmp_ids);
    for (i = 1; i < N_IDS; i++)
        assert_true(strcmp(ids[i - 1], ids[i]) < 0);
    free(ids);
}

static void random_part_is_roughly_uniform(void **state)
{
    unsigned counts[62] = {0};
    char id[TL_CLICKID_LEN + 1];
    int i, j, n = 20000;
    double expected, chi = 0;

    (void)state;
    for (i = 0; i < n; i++) {
        tl_clickid_new(0, id);
        for (j = TL_CLICKID_TIME_LEN; j < TL_CLICKID_LEN; j++)
            counts[strchr(alphabet, id[j]) - alphabet]++;
    }
    expected = (double)n * (TL_CLICKID_LEN - TL_CLICKID_TIME_LEN) / 62.0;
    for (i = 0; i < 62; i++)
        chi += (counts[i] - expected) * (counts[i] - expected) / expected;
    /* 61 degrees of freedom: the 99.99th percentile is about 113 */
    assert_true(chi < 113.0);
}

static void sorts_by_time(void **state)
{
    static const int64_t times[] = {
        0,
        1,
        61,
        62,
        63,
        3843,
        3844,
        1000000,
        1699999999999LL,
        1700000000000LL,
        1700000000001LL,
        1700000000061LL,
        1700000000062LL,
        4102444800000LL,
        218340105584894LL,
        218340105584895LL,
    };
    char prev[TL_CLICKID_LEN + 1], cur[TL_CLICKID_LEN + 1];
    size_t i;
    int64_t t;

    (void)state;
    tl_clickid_new(times[0], prev);
    for (i = 1; i < sizeof(times) / sizeof(times[0]); i++) {
        tl_clickid_new(times[i], cur);
        assert_true(strcmp(prev, cur) < 0);
        memcpy(prev, cur, sizeof(cur));
    }
    /* every millisecond across a few carries */
    tl_clickid_new(1700000000000LL, prev);
    for (t = 1700000000001LL; t < 1700000000000LL + 5000; t++) {
        tl_clickid_new(t, cur);
        assert_true(strncmp(prev, cur, TL_CLICKID_TIME_LEN) < 0);
        memcpy(prev, cur, sizeof(cur));
    }
}

static void time_round_trip(void **state)
{
    static const int64_t times[] = {
        0, 1, 61, 62, 1700000000123LL, 4102444800000LL, 218340105584895LL};
    char id[TL_CLICKID_LEN + 1];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        tl_clickid_new(times[i], id);
        assert_int_equal(tl_clickid_time(id), times[i]);
    }
    tl_clickid_new(-5, id);
    assert_int_equal(tl_clickid_time(id), 0);
    assert_memory_equal(id, "00000000", TL_CLICKID_TIME_LEN);
    tl_clickid_new(INT64_MAX, id);
    assert_int_equal(tl_clickid_time(id), 218340105584895LL);
    assert_memory_equal(id, "zzzzzzzz", TL_CLICKID_TIME_LEN);
    assert_int_equal(tl_clickid_time("0000000100000000000000000"), 1);
    assert_int_equal(tl_clickid_time("00000010zzzzzzzzzzzzzzzzz"), 62);
}

static void shapes(void **state)
{
    (void)state;
    assert_true(tl_clickid_valid("0123456789ABCDEFGHIJabcde"));
    assert_true(tl_clickid_valid("zzzzzzzzzzzzzzzzzzzzzzzzz"));
    assert_false(tl_clickid_valid(NULL));
    assert_false(tl_clickid_valid(""));
    assert_false(tl_clickid_valid("0123456789ABCDEFGHIJabcd"));   /* 24 */
    assert_false(tl_clickid_valid("0123456789ABCDEFGHIJabcdef")); /* 26 */
    assert_false(tl_clickid_valid("0123456789ABCDEFGHIJabc-e"));
    assert_false(tl_clickid_valid("0123456789ABCDEFGHIJabc_e"));
    assert_false(tl_clickid_valid("0123456789ABCDEFGHIJabc e"));
    assert_false(tl_clickid_valid("0123456789ABCDEFGHIJabc\xc3\xa9"));
    assert_false(tl_clickid_valid("0123456789ABCDEFGHIJabcd\n"));
    assert_int_equal(tl_clickid_time("0123456789ABCDEFGHIJabc-e"), -1);
    assert_int_equal(tl_clickid_time(NULL), -1);
    assert_int_equal(tl_clickid_time(""), -1);
}

static void *thread_id(void *arg)
{
    tl_clickid_new(1700000000000LL, arg);
    return NULL;
}

static void threads_and_forks_differ(void **state)
{
    char a[TL_CLICKID_LEN + 1], b[TL_CLICKID_LEN + 1], c[TL_CLICKID_LEN + 1];
    pthread_t t;
    int fds[2], status;
    pid_t pid;

    (void)state;
    tl_clickid_new(1700000000000LL, a);
    assert_int_equal(pthread_create(&t, NULL, thread_id, b), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_string_not_equal(a, b);

    /* a forked child must not continue the parent's stream */
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char id[TL_CLICKID_LEN + 1];
        ssize_t w;

        tl_clickid_new(1700000000000LL, id);
        w = write(fds[1], id, TL_CLICKID_LEN + 1);
        _exit(w == TL_CLICKID_LEN + 1 ? 0 : 1);
    }
    tl_clickid_new(1700000000000LL, a);
    assert_int_equal(read(fds[0], c, sizeof(c)), (ssize_t)sizeof(c));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_string_not_equal(a, c);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shape),
        cmocka_unit_test(unique_over_100k),
        cmocka_unit_test(random_part_is_roughly_uniform),
        cmocka_unit_test(sorts_by_time),
        cmocka_unit_test(time_round_trip),
        cmocka_unit_test(shapes),
        cmocka_unit_test(threads_and_forks_differ),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
