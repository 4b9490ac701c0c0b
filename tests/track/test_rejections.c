/*
 * test_rejections.c: the recorder of refused conversion attempts, over a
 * stub store whose writes can be held: callers never wait for the store,
 * a full queue drops and counts in /metrics, what is queued at stop is
 * written, the retention runs at start, and values are copied capped and
 * readable as UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/metrics.h"
#include "store/backend.h"
#include "track/rejections.h"

/* A store that only takes rejections: the first write waits for release. */
struct stub {
    struct tl_store base;
    sem_t entered, release;
    pthread_mutex_t mu;
    size_t stored, writes, prunes;
    bool hold;
    int64_t max_age_seen, max_rows_seen;
    char first_order[512], first_click[128], bad_utf8[64];
    int64_t first_received;
};

static enum tl_err stub_add(struct tl_store *s, const struct tl_rejection *items, size_t n)
{
    struct stub *st = (struct stub *)s;
    bool hold;
    size_t i;

    pthread_mutex_lock(&st->mu);
    hold = st->hold;
    st->hold = false;
    if (st->writes == 0) {
        snprintf(st->first_order, sizeof(st->first_order), "%s", items[0].order_id);
        snprintf(st->first_click, sizeof(st->first_click), "%s", items[0].click_id);
        st->first_received = items[0].received_at;
    }
    for (i = 0; i < n; i++)
        if (items[i].event_type != NULL && strcmp(items[i].code, "utf8") == 0)
            snprintf(st->bad_utf8, sizeof(st->bad_utf8), "%s", items[i].event_type);
    pthread_mutex_unlock(&st->mu);
    if (hold) {
        sem_post(&st->entered);
        sem_wait(&st->release);
    }
    pthread_mutex_lock(&st->mu);
    st->stored += n;
    st->writes++;
    pthread_mutex_unlock(&st->mu);
    return TL_OK;
}

static enum tl_err stub_prune(struct tl_store *s, int64_t before_ms, int64_t max_rows,
                              uint64_t *removed)
{
    struct stub *st = (struct stub *)s;

    pthread_mutex_lock(&st->mu);
    st->prunes++;
    st->max_age_seen = before_ms;
    st->max_rows_seen = max_rows;
    pthread_mutex_unlock(&st->mu);
    *removed = 2;
    return TL_OK;
}

static const struct tl_backend_ops stub_ops = {
    .name = "stub",
    .rejection_add = stub_add,
    .rejection_prune = stub_prune,
};

static uint64_t metric(const char *name)
{
    struct tl_arena *a = tl_arena_new(1 << 20);
    const char *text, *p;
    size_t len, n = strlen(name);
    uint64_t v = UINT64_MAX;

    assert_non_null(a);
    assert_int_equal(tl_metrics_render(a, &text, &len), TL_OK);
    for (p = strstr(text, name); p != NULL; p = strstr(p + 1, name))
        if ((p == text || p[-1] == '\n') && p[n] == ' ') {
            v = strtoull(p + n + 1, NULL, 10);
            break;
        }
    tl_arena_free(a);
    return v;
}

static struct tl_rejection sample(const char *code, const char *order)
{
    struct tl_rejection r;

    memset(&r, 0, sizeof(r));
    r.brand_id = 1;
    r.code = code;
    r.status = 422;
    r.detail = "detail";
    r.order_id = order;
    r.click_id = "c";
    r.facts = "{}";
    return r;
}

static void full_queue_drops_and_stop_writes_the_rest(void **state)
{
    struct stub st;
    struct tl_rejections_config cfg = {&st.base, 1000, 5, 3600 * 1000};
    struct tl_rejections *q;
    struct tl_rejection r;
    char why[128], long_order[600];
    uint64_t dropped0;
    size_t i;

    (void)state;
    memset(&st, 0, sizeof(st));
    tl_store_init(&st.base, &stub_ops);
    sem_init(&st.entered, 0, 0);
    sem_init(&st.release, 0, 0);
    pthread_mutex_init(&st.mu, NULL);
    st.hold = true;
    q = tl_rejections_start(&cfg, why, sizeof(why));
    assert_non_null(q);
    dropped0 = metric("tracklink_rejections_dropped_total");

    /* the first is taken by the thread, whose write is held */
    memset(long_order, 'x', sizeof(long_order) - 1);
    long_order[sizeof(long_order) - 1] = '\0';
    r = sample("currency_mismatch", long_order);
    tl_rejections_add(q, &r);
    sem_wait(&st.entered);
    /* the other buffer fills without waiting for the store, then drops */
    for (i = 0; i < TL_REJECTIONS_QUEUE; i++) {
        r = sample(i == 5 ? "utf8" : "click_not_found", "o");
        r.event_type = i == 5 ? "ok\xff\xfe-\xc3\xa9" : NULL;
        tl_rejections_add(q, &r);
    }
    assert_int_equal(metric("tracklink_rejections_dropped_total"), dropped0);
    r = sample("click_not_found", "one too many");
    tl_rejections_add(q, &r);
    tl_rejections_add(q, &r);
    assert_int_equal(metric("tracklink_rejections_dropped_total"), dropped0 + 2);
    assert_int_equal(metric("tracklink_rejections_queued"), TL_REJECTIONS_QUEUE + 1);
    /* released, then stopped: everything kept is written */
    sem_post(&st.release);
    tl_rejections_stop(q);
    assert_int_equal(st.stored, TL_REJECTIONS_QUEUE + 1);
    assert_int_equal(metric("tracklink_rejections_queued"), 0);
    /* copies are capped, stamped, and readable */
    assert_int_equal(strlen(st.first_order), TL_ORDER_ID_MAX);
    assert_string_equal(st.first_click, "c");
    assert_true(st.first_received > 0);
    assert_string_equal(st.bad_utf8, "ok?"
                                     "?-?"
                                     "?"); /* not UTF-8: ASCII kept, the rest '?' */
    /* the retention ran at start with the configured bounds */
    assert_true(st.prunes >= 1);
    assert_int_equal(st.max_rows_seen, 5);
    assert_true(st.max_age_seen > 0);
    assert_true(metric("tracklink_rejections_pruned_total") >= 2);
    sem_destroy(&st.entered);
    sem_destroy(&st.release);
    pthread_mutex_destroy(&st.mu);
}

static void null_is_a_no_op(void **state)
{
    struct tl_rejection r = sample("x", "o");

    (void)state;
    tl_rejections_add(NULL, &r);
    tl_rejections_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_queue_drops_and_stop_writes_the_rest),
        cmocka_unit_test(null_is_a_no_op),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
