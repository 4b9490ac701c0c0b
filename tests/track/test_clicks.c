/*
 * test_clicks.c: the click queue against a store that can be held and
 * made to fail: the floor and tl_clicks_wait (which ids need no wait, the
 * call back after the commit, a failure telling the waiter at once), a
 * failed batch kept and stored once the store works, and clicks that wait
 * for their commit (a token) leaving the floor alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "store/backend.h"
#include "track/clicks.h"

#define T0 1700000000000LL

/* The fake store: click_batch waits while held, then fails while failing. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool held, failing;
static size_t stored, calls;

static enum tl_err fake_batch(struct tl_store *s, const struct tl_click *clicks, size_t n)
{
    enum tl_err err;

    (void)s;
    (void)clicks;
    pthread_mutex_lock(&mu);
    while (held)
        pthread_cond_wait(&cv, &mu);
    calls++;
    err = failing ? TL_ERR_IO : TL_OK;
    if (err == TL_OK)
        stored += n;
    pthread_mutex_unlock(&mu);
    return err;
}

static const struct tl_backend_ops fake_ops = {.name = "fake", .click_batch = fake_batch};
static struct tl_store fake; /* tl_store_init in main */

static void set(bool *what, bool v)
{
    pthread_mutex_lock(&mu);
    *what = v;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static size_t get(size_t *what)
{
    size_t v;

    pthread_mutex_lock(&mu);
    v = *what;
    pthread_mutex_unlock(&mu);
    return v;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* What a waiter was told. */
struct told {
    _Atomic int calls;
    _Atomic bool stored;
    size_t stored_then; /* clicks the store held when called */
};

static void waiter_cb(void *arg, bool ok)
{
    struct told *t = arg;

    t->stored_then = get(&stored);
    atomic_store(&t->stored, ok);
    atomic_fetch_add(&t->calls, 1);
}

static bool wait_calls(struct told *t, int n)
{
    int i;

    for (i = 0; i < 3000 && atomic_load(&t->calls) < n; i++)
        sleep_ms(10);
    return atomic_load(&t->calls) == n;
}

static struct tl_click click_at(int64_t ts)
{
    struct tl_click k;

    memset(&k, 0, sizeof(k));
    k.ts_ms = ts;
    strcpy(k.click_id, "x");
    strcpy(k.currency, "USD");
    return k;
}

static int reset(void **state)
{
    (void)state;
    held = failing = false;
    stored = calls = 0;
    return 0;
}

static void floor_and_wait(void **state)
{
    struct tl_clicks_config cfg = {&fake, 64, TL_CLICKS_LINGER_MS, NULL};
    struct tl_clicks *q = tl_clicks_start(&cfg);
    struct tl_clicks_waiter w;
    struct told told = {0};
    struct tl_click k = click_at(T0);
    int64_t floor;

    (void)state;
    assert_non_null(q);
    /* Nothing queued: no id can be waiting. */
    floor = tl_clicks_floor(q);
    assert_true(floor == INT64_MAX);
    assert_int_equal(tl_clicks_wait(q, floor, T0, &w, waiter_cb, &told), TL_CLICKS_NOT_PENDING);

    set(&held, true);
    assert_int_equal(tl_clicks_push(q, &k, NULL), TL_OK);
    floor = tl_clicks_floor(q);
    assert_true(floor <= T0);
    /* Older than the floor, newer than every click: no wait, no lock. */
    assert_int_equal(tl_clicks_wait(q, floor, T0 - 1, &w, waiter_cb, &told), TL_CLICKS_NOT_PENDING);
    assert_int_equal(tl_clicks_wait(q, floor, T0 + 1, &w, waiter_cb, &told), TL_CLICKS_NOT_PENDING);
    /* Its own time: called back once the click is stored, not before. */
    assert_int_equal(tl_clicks_wait(q, floor, T0, &w, waiter_cb, &told), TL_CLICKS_WAITING);
    sleep_ms(50);
    assert_int_equal(atomic_load(&told.calls), 0);
    set(&held, false);
    assert_true(wait_calls(&told, 1));
    assert_true(atomic_load(&told.stored));
    assert_int_equal(told.stored_then, 1);
    /* Everything stored: the floor is lifted, a later wait is needless. */
    assert_true(tl_clicks_floor(q) == INT64_MAX);
    assert_int_equal(tl_clicks_wait(q, floor, T0, &w, waiter_cb, &told), TL_CLICKS_STORED);
    assert_int_equal(tl_clicks_stop(q), 0);
}

static void failed_batch_is_kept(void **state)
{
    struct tl_clicks_config cfg = {&fake, 64, TL_CLICKS_LINGER_MS, NULL};
    struct tl_clicks *q;
    struct tl_clicks_stats st;
    struct tl_clicks_waiter w;
    struct told told = {0};
    struct tl_click k = click_at(T0);
    int i;

    (void)state;
    set(&failing, true);
    q = tl_clicks_start(&cfg);
    assert_non_null(q);
    for (i = 0; i < 3; i++)
        assert_int_equal(tl_clicks_push(q, &k, NULL), TL_OK);
    for (i = 0; i < 3000 && get(&calls) < 3; i++)
        sleep_ms(10);
    assert_true(get(&calls) >= 3); /* tried again, and again */
    tl_clicks_stats(q, &st);
    assert_true(st.failing);
    assert_true(st.retries >= 2);
    assert_int_equal(st.failed, 0);
    /* A conversion waiting for these clicks hears at once that it fails. */
    assert_int_equal(tl_clicks_wait(q, tl_clicks_floor(q), T0, &w, waiter_cb, &told),
                     TL_CLICKS_WAITING);
    assert_true(wait_calls(&told, 1));
    assert_false(atomic_load(&told.stored));
    set(&failing, false);
    for (i = 0; i < 3000 && get(&stored) < 3; i++)
        sleep_ms(10);
    assert_int_equal(get(&stored), 3);
    tl_clicks_stats(q, &st);
    assert_false(st.failing);
    assert_int_equal(st.stored, 3);
    assert_int_equal(st.failed, 0);
    assert_int_equal(tl_clicks_stop(q), 0);
}

static _Atomic int resumed;

static void resume_cb(void *token, bool ok)
{
    (void)token;
    if (ok)
        atomic_fetch_add(&resumed, 1);
}

static void tokens_leave_the_floor(void **state)
{
    struct tl_clicks_config cfg = {&fake, 64, 0, resume_cb};
    struct tl_clicks *q = tl_clicks_start(&cfg);
    struct tl_clicks_waiter w;
    struct told told = {0};
    struct tl_click k = click_at(T0);
    int token, i;

    (void)state;
    assert_non_null(q);
    set(&held, true);
    assert_int_equal(tl_clicks_push(q, &k, &token), TL_OK);
    /* Answered after its commit: no conversion can come first. */
    assert_true(tl_clicks_floor(q) == INT64_MAX);
    assert_int_equal(tl_clicks_wait(q, tl_clicks_floor(q), T0, &w, waiter_cb, &told),
                     TL_CLICKS_NOT_PENDING);
    set(&held, false);
    for (i = 0; i < 3000 && atomic_load(&resumed) < 1; i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&resumed), 1);
    assert_int_equal(tl_clicks_stop(q), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(floor_and_wait, reset),
        cmocka_unit_test_setup(failed_batch_is_kept, reset),
        cmocka_unit_test_setup(tokens_leave_the_floor, reset),
    };

    tl_store_init(&fake, &fake_ops);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
