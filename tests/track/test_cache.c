/*
 * test_cache.c: the link cache of the redirect hot path (track/cache.h):
 * a deep round trip of a target, negative entries, invalidation by
 * campaign, program and link-creation bumps, the stamp rule, the bound on
 * entries, a caller's arena without room, and threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "track/cache.h"

#define ARENA_CAP (64 * 1024)

/* ---- helpers ---- */

static const char *const domains[] = {"acme.test", "*.acme.test", "xn--bcher-kva.test"};
static const char *const pages[] = {"https://www.acme.test/a?x=1#f", "https://shop.acme.test/b"};
static const char *const link_landings[] = {"https://www.acme.test/a?x=1#f", NULL,
                                            "https://acme.test/"};
static int64_t link_ids[] = {11, 12, 13};

/* A target with every string and array set. */
static struct tl_target full_target(int64_t campaign_id, int64_t program_id)
{
    struct tl_target t;

    memset(&t, 0, sizeof(t));
    t.link_id = 42;
    t.partner_id = 7;
    t.task_id = 9;
    t.campaign_id = campaign_id;
    t.program_id = program_id;
    t.kind = TL_LINK_REGULAR;
    t.landing = "https://www.acme.test/spring?ref=x#top";
    t.default_landing = "https://shop.acme.test/landing";
    t.click_param = "irclickid";
    t.currency = "EUR";
    t.domains = (const char **)domains;
    t.n_domains = 3;
    t.mode = TL_LP_BRAND_SELECTED;
    t.pages = (const char **)pages;
    t.n_pages = 2;
    t.link_landings = (const char **)link_landings;
    t.link_ids = link_ids;
    t.n_links = 3;
    t.link_active = true;
    t.campaign_active = true;
    t.tracking_enabled = false;
    t.landing_ok = true;
    return t;
}

/* A target with no arrays and a NULL landing (it follows the default). */
static struct tl_target bare_target(int64_t campaign_id, int64_t program_id)
{
    struct tl_target t;

    memset(&t, 0, sizeof(t));
    t.link_id = 5;
    t.partner_id = 6;
    t.task_id = 8;
    t.campaign_id = campaign_id;
    t.program_id = program_id;
    t.kind = TL_LINK_SHORT;
    t.default_landing = "https://shop.acme.test/landing";
    t.click_param = "clickid";
    t.currency = "USD";
    t.mode = TL_LP_PROGRAM_DEFAULT;
    t.link_active = true;
    t.campaign_active = false;
    t.tracking_enabled = true;
    return t;
}

static void assert_str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        assert_null(a);
        assert_null(b);
        return;
    }
    assert_string_equal(a, b);
}

/* Deep equality; every pointer of got must differ from want's (a copy). */
static void assert_target_eq(const struct tl_target *got, const struct tl_target *want)
{
    size_t i;

    assert_int_equal(got->link_id, want->link_id);
    assert_int_equal(got->partner_id, want->partner_id);
    assert_int_equal(got->task_id, want->task_id);
    assert_int_equal(got->campaign_id, want->campaign_id);
    assert_int_equal(got->program_id, want->program_id);
    assert_int_equal(got->kind, want->kind);
    assert_int_equal(got->mode, want->mode);
    assert_int_equal(got->link_active, want->link_active);
    assert_int_equal(got->campaign_active, want->campaign_active);
    assert_int_equal(got->tracking_enabled, want->tracking_enabled);
    assert_int_equal(got->landing_ok, want->landing_ok);
    assert_str_eq(got->landing, want->landing);
    assert_str_eq(got->default_landing, want->default_landing);
    assert_str_eq(got->click_param, want->click_param);
    assert_str_eq(got->currency, want->currency);
    assert_int_equal(got->n_domains, want->n_domains);
    assert_int_equal(got->n_pages, want->n_pages);
    assert_int_equal(got->n_links, want->n_links);
    for (i = 0; i < want->n_domains; i++)
        assert_str_eq(got->domains[i], want->domains[i]);
    for (i = 0; i < want->n_pages; i++)
        assert_str_eq(got->pages[i], want->pages[i]);
    for (i = 0; i < want->n_links; i++) {
        assert_str_eq(got->link_landings[i], want->link_landings[i]);
        assert_int_equal(got->link_ids[i], want->link_ids[i]);
    }
    if (want->landing != NULL)
        assert_ptr_not_equal(got->landing, want->landing);
    if (want->n_domains > 0)
        assert_ptr_not_equal(got->domains, want->domains);
    if (want->n_links > 0)
        assert_ptr_not_equal(got->link_ids, want->link_ids);
}

/* A get that must hit a live link; returns the copy in a. */
static struct tl_target get_found(struct tl_cache *c, const char *key, struct tl_arena *a)
{
    struct tl_target out;
    bool found = false;

    memset(&out, 0, sizeof(out));
    assert_true(tl_cache_get(c, key, a, &out, &found));
    assert_true(found);
    return out;
}

static bool hits(struct tl_cache *c, const char *key)
{
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_target out;
    bool found, hit;

    assert_non_null(a);
    hit = tl_cache_get(c, key, a, &out, &found);
    tl_arena_free(a);
    return hit;
}

static void put(struct tl_cache *c, const char *key, const struct tl_target *t, int64_t neg)
{
    assert_int_equal(tl_cache_put(c, key, tl_cache_stamp(c), t, neg), TL_OK);
}

/* ---- tests ---- */

static void free_null(void **state)
{
    (void)state;
    tl_cache_free(NULL);
}

static void round_trip_deep(void **state)
{
    struct tl_cache *c = tl_cache_new(1000);
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_target want = full_target(3, 4), got, again;
    char landing[64];
    size_t used;

    (void)state;
    assert_non_null(c);
    assert_non_null(a);
    assert_false(hits(c, "AbCdEf1"));
    assert_int_equal(tl_cache_count(c), 0);

    /* The cache keeps its own copy: the caller's strings may change after. */
    snprintf(landing, sizeof(landing), "%s", want.landing);
    want.landing = landing;
    put(c, "AbCdEf1", &want, 0);
    assert_int_equal(tl_cache_count(c), 1);
    assert_true(tl_cache_bytes(c) > 0);
    landing[8] = 'X';
    want.landing = "https://www.acme.test/spring?ref=x#top";

    got = get_found(c, "AbCdEf1", a);
    assert_target_eq(&got, &want);
    used = tl_arena_used(a);
    assert_true(used > 0);
    assert_null(got.link_landings[1]);

    /* Two copies are independent: writing one leaves the other whole. */
    again = get_found(c, "AbCdEf1", a);
    assert_ptr_not_equal(again.landing, got.landing);
    ((char *)got.landing)[0] = 'Z';
    ((char **)got.domains)[0] = NULL;
    got.link_ids[0] = -1;
    assert_target_eq(&again, &want);
    again = get_found(c, "AbCdEf1", a);
    assert_target_eq(&again, &want);

    /* Other keys miss; a put under another key does not touch this one. */
    assert_false(hits(c, "AbCdEf2"));
    assert_false(hits(c, "c/7/9/3"));
    tl_arena_free(a);
    tl_cache_free(c);
}

static void copy_outlives_the_cache(void **state)
{
    struct tl_cache *c = tl_cache_new(10);
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_target want = full_target(3, 4), got;

    (void)state;
    put(c, "k", &want, 0);
    got = get_found(c, "k", a);
    /* The copy lives in the arena only: with the cache gone (and under
     * ASan), reading every string and array of it is still valid. */
    tl_cache_free(c);
    assert_target_eq(&got, &want);
    tl_arena_free(a);
}

static void round_trip_bare(void **state)
{
    struct tl_cache *c = tl_cache_new(10);
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_target want = bare_target(3, 4), got;

    (void)state;
    put(c, "c/6/8/3", &want, 0);
    got = get_found(c, "c/6/8/3", a);
    assert_target_eq(&got, &want);
    assert_null(got.landing);
    assert_null(got.domains);
    assert_null(got.pages);
    assert_null(got.link_landings);
    assert_null(got.link_ids);
    tl_arena_free(a);
    tl_cache_free(c);
}

static void replace_same_key(void **state)
{
    struct tl_cache *c = tl_cache_new(10);
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_target one = full_target(3, 4), two = bare_target(3, 4), got;
    bool found = true;

    (void)state;
    put(c, "AAAAAAA", &one, 0);
    put(c, "AAAAAAA", &two, 0);
    assert_int_equal(tl_cache_count(c), 1);
    got = get_found(c, "AAAAAAA", a);
    assert_target_eq(&got, &two);
    put(c, "AAAAAAA", NULL, 0);
    assert_int_equal(tl_cache_count(c), 1);
    assert_true(tl_cache_get(c, "AAAAAAA", a, &got, &found));
    assert_false(found);
    tl_arena_free(a);
    tl_cache_free(c);
}

static void long_key_refused(void **state)
{
    struct tl_cache *c = tl_cache_new(10);
    struct tl_target t = bare_target(1, 1);
    char key[TL_CACHE_KEY_MAX + 8];

    (void)state;
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    assert_int_not_equal(tl_cache_put(c, key, tl_cache_stamp(c), &t, 0), TL_OK);
    assert_false(hits(c, key));
    assert_int_equal(tl_cache_count(c), 0);
    /* The longest key that fits works. */
    key[TL_CACHE_KEY_MAX - 1] = '\0';
    put(c, key, &t, 0);
    assert_true(hits(c, key));
    tl_cache_free(c);
}

static void negative_short_code(void **state)
{
    struct tl_cache *c = tl_cache_new(10);
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_target out;
    bool found = true;

    (void)state;
    put(c, "Zz9Zz9Z", NULL, 0);
    assert_true(tl_cache_get(c, "Zz9Zz9Z", a, &out, &found));
    assert_false(found);
    assert_int_equal(tl_arena_used(a), 0); /* a negative hit copies nothing */
    /* Campaign and program bumps do not concern a code that never existed. */
    tl_cache_bump_campaign(c, 1);
    tl_cache_bump_program(c, 1);
    found = true;
    assert_true(tl_cache_get(c, "Zz9Zz9Z", a, &out, &found));
    assert_false(found);
    /* A link created anywhere may be this code: the entry is stale. */
    tl_cache_bump_links(c);
    assert_false(tl_cache_get(c, "Zz9Zz9Z", a, &out, &found));
    put(c, "Zz9Zz9Z", NULL, 0);
    assert_true(hits(c, "Zz9Zz9Z"));
    tl_arena_free(a);
    tl_cache_free(c);
}

static void negative_regular_path(void **state)
{
    struct tl_cache *c = tl_cache_new(10);
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_target out;
    bool found = true;

    (void)state;
    /* "partner 5 is not on task 6 of campaign 77": only campaign 77's
     * changes (an assignment) can make it exist. */
    put(c, "c/5/6/77", NULL, 77);
    assert_true(tl_cache_get(c, "c/5/6/77", a, &out, &found));
    assert_false(found);
    tl_cache_bump_campaign(c, 78);
    tl_cache_bump_program(c, 77);
    assert_true(hits(c, "c/5/6/77"));
    tl_cache_bump_campaign(c, 77);
    assert_false(hits(c, "c/5/6/77"));
    put(c, "c/5/6/77", NULL, 77);
    assert_true(hits(c, "c/5/6/77"));
    tl_arena_free(a);
    tl_cache_free(c);
}

static void invalidation_by_campaign_and_program(void **state)
{
    /* Ids in the first page of counters, in a later page, and past all of
     * them (the shared overflow counter). */
    static const int64_t ids[][2] = {{5, 9}, {4096 * 3 + 17, 4096 * 7 + 1}, {40000000, 50000000}};
    struct tl_cache *c = tl_cache_new(100);
    struct tl_target t;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        int64_t cid = ids[i][0], pid = ids[i][1];

        t = full_target(cid, pid);
        put(c, "link", &t, 0);
        assert_true(hits(c, "link"));
        /* Unrelated bumps and new links leave a live link's entry alone. */
        tl_cache_bump_campaign(c, cid + 1);
        tl_cache_bump_program(c, pid + 1);
        tl_cache_bump_links(c);
        if (i < 2) /* ids past the pages share one counter */
            assert_true(hits(c, "link"));
        put(c, "link", &t, 0);
        assert_true(hits(c, "link"));

        tl_cache_bump_campaign(c, cid);
        assert_false(hits(c, "link"));
        put(c, "link", &t, 0);
        assert_true(hits(c, "link"));

        tl_cache_bump_program(c, pid);
        assert_false(hits(c, "link"));
        put(c, "link", &t, 0);
        assert_true(hits(c, "link"));
    }
    /* A bump invalidates every key of that campaign, and only those. */
    t = full_target(300, 400);
    put(c, "a", &t, 0);
    put(c, "c/1/2/300", &t, 0);
    t = full_target(301, 400);
    put(c, "b", &t, 0);
    tl_cache_bump_campaign(c, 300);
    assert_false(hits(c, "a"));
    assert_false(hits(c, "c/1/2/300"));
    assert_true(hits(c, "b"));
    tl_cache_bump_program(c, 400);
    assert_false(hits(c, "b"));
    tl_cache_free(c);
}

static void stamp_rule(void **state)
{
    struct tl_cache *c = tl_cache_new(100);
    struct tl_target t = full_target(10, 20);
    uint64_t stamp;

    (void)state;
    /* A bump between the stamp and the put: nothing is cached, whatever
     * the bump concerned. */
    stamp = tl_cache_stamp(c);
    tl_cache_bump_campaign(c, 10);
    assert_int_equal(tl_cache_put(c, "k1", stamp, &t, 0), TL_OK);
    assert_false(hits(c, "k1"));

    stamp = tl_cache_stamp(c);
    tl_cache_bump_campaign(c, 999);
    assert_int_equal(tl_cache_put(c, "k2", stamp, &t, 0), TL_OK);
    assert_false(hits(c, "k2"));

    stamp = tl_cache_stamp(c);
    tl_cache_bump_program(c, 20);
    assert_int_equal(tl_cache_put(c, "k3", stamp, &t, 0), TL_OK);
    assert_false(hits(c, "k3"));

    stamp = tl_cache_stamp(c);
    tl_cache_bump_links(c);
    assert_int_equal(tl_cache_put(c, "k4", stamp, NULL, 0), TL_OK);
    assert_false(hits(c, "k4"));
    assert_int_equal(tl_cache_count(c), 0);

    /* A put after a stale stamp does not drop what is there either way,
     * and a fresh stamp caches. */
    stamp = tl_cache_stamp(c);
    assert_int_equal(tl_cache_put(c, "k1", stamp, &t, 0), TL_OK);
    assert_true(hits(c, "k1"));
    assert_int_equal(tl_cache_count(c), 1);

    /* The stamp is taken before the store is read: a stamp older than the
     * current one always loses, even after many later bumps. */
    stamp = tl_cache_stamp(c);
    tl_cache_bump_links(c);
    tl_cache_bump_links(c);
    assert_int_equal(tl_cache_put(c, "k5", stamp, &t, 0), TL_OK);
    assert_false(hits(c, "k5"));
    tl_cache_free(c);
}

static void eviction_bound(void **state)
{
    static const size_t caps[] = {1, 10, 100, 640, 1000};
    struct tl_target t = full_target(1, 1);
    char key[32];
    size_t i, k, n, count[5];
    bool newest[5];
    int over = 0;

    (void)state;
    for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        struct tl_cache *c = tl_cache_new(caps[i]);

        assert_non_null(c);
        n = caps[i] * 10 + 200;
        for (k = 0; k < n; k++) {
            snprintf(key, sizeof(key), "key%zu", k);
            put(c, key, k % 3 == 0 ? NULL : &t, 0);
        }
        newest[i] = hits(c, key);
        count[i] = tl_cache_count(c);
        assert_true(tl_cache_bytes(c) > 0);
        tl_cache_free(c);
    }
    for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        /* The newest entry is always there. */
        assert_true(newest[i]);
        /* No more than max_entries entries, whatever the hash spread. */
        if (count[i] > caps[i]) {
            print_error("tl_cache_new(%zu) holds %zu entries after %zu puts\n", caps[i], count[i],
                        caps[i] * 10 + 200);
            over++;
        }
    }
    assert_int_equal(over, 0);
}

/* Buckets double as shards fill: every entry stays reachable across the
 * growths, removals and evictions still find theirs, and the arrays
 * follow the entries held rather than max_entries. */
static void buckets_grow(void **state)
{
    struct tl_target t = bare_target(3, 4);
    struct tl_cache *c = tl_cache_new(20000);
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_target out;
    size_t k, empty, small;
    char key[32];
    bool found;

    (void)state;
    assert_non_null(c);
    assert_non_null(a);
    empty = tl_cache_bytes(c);
    assert_true(empty <= 64 * 16 * sizeof(void *)); /* 16 buckets a shard */
    for (k = 0; k < 5000; k++) {
        snprintf(key, sizeof(key), "g%zu", k);
        put(c, key, k % 2 == 0 ? &t : NULL, 0);
    }
    small = tl_cache_bytes(c);
    assert_int_equal(tl_cache_count(c), 5000);
    for (k = 0; k < 5000; k++) {
        snprintf(key, sizeof(key), "g%zu", k);
        found = k % 2 != 0;
        assert_true(tl_cache_get(c, key, a, &out, &found));
        assert_int_equal(found, k % 2 == 0);
        if (found)
            assert_int_equal(out.campaign_id, 3);
        tl_arena_reset(a);
    }
    /* replacing every other key removes the old entry from its chain */
    for (k = 0; k < 5000; k += 2) {
        snprintf(key, sizeof(key), "g%zu", k);
        put(c, key, NULL, 0);
    }
    assert_int_equal(tl_cache_count(c), 5000);
    for (k = 0; k < 5000; k++) {
        snprintf(key, sizeof(key), "g%zu", k);
        assert_true(tl_cache_get(c, key, a, &out, &found));
        assert_false(found);
    }
    /* past max_entries, the oldest go and the rest still answer */
    for (k = 5000; k < 30000; k++) {
        snprintf(key, sizeof(key), "g%zu", k);
        put(c, key, &t, 0);
    }
    assert_true(tl_cache_count(c) <= 20000);
    assert_true(hits(c, "g29999"));
    assert_true(hits(c, "g25000"));
    assert_false(hits(c, "g0"));
    assert_true(tl_cache_bytes(c) > small);
    tl_arena_free(a);
    tl_cache_free(c);
}

static void arena_too_small_is_a_miss(void **state)
{
    struct tl_cache *c = tl_cache_new(10);
    struct tl_target t = full_target(1, 2), out;
    struct tl_arena *tiny = tl_arena_new(64);
    struct tl_arena *full = tl_arena_new(1024);
    bool found;

    (void)state;
    put(c, "k", &t, 0);
    assert_false(tl_cache_get(c, "k", tiny, &out, &found));
    /* An arena that is almost used up also misses, and stays usable. */
    assert_non_null(tl_arena_alloc(full, 1024 - 64));
    assert_false(tl_cache_get(c, "k", full, &out, &found));
    /* The entry itself is still good. */
    assert_true(hits(c, "k"));
    assert_int_equal(tl_cache_count(c), 1);
    /* A negative entry needs no room. */
    put(c, "neg", NULL, 0);
    found = true;
    assert_true(tl_cache_get(c, "neg", tiny, &out, &found));
    assert_false(found);
    tl_arena_free(tiny);
    tl_arena_free(full);
    tl_cache_free(c);
}

/* ---- threads ---- */

#define THREADS 4
#define ROUNDS  3000

struct worker {
    struct tl_cache *c;
    int id;
    int bad;
};

/* Readers check that a hit is always the target put under that key; the
 * key's number is its campaign id. Writers bump and put concurrently. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct tl_arena *a = tl_arena_new(1 << 20);
    struct tl_target t, out;
    char key[32];
    bool found;
    int i, k;

    for (i = 0; i < ROUNDS && a != NULL; i++) {
        k = (i * 7 + w->id) % 50 + 1;
        snprintf(key, sizeof(key), "t%d", k);
        switch (i % 5) {
        case 0:
        case 1:
            t = full_target(k, 1000 + k % 3);
            tl_cache_put(w->c, key, tl_cache_stamp(w->c), &t, 0);
            break;
        case 2:
            tl_cache_bump_campaign(w->c, k);
            break;
        case 3:
            tl_cache_bump_program(w->c, 1000 + k % 3);
            break;
        default:
            if (tl_cache_get(w->c, key, a, &out, &found) &&
                (!found || out.campaign_id != k || out.n_domains != 3 ||
                 strcmp(out.domains[2], domains[2]) != 0 || out.link_ids[2] != 13))
                w->bad++;
            break;
        }
        if (i % 200 == 0) {
            tl_arena_free(a);
            a = tl_arena_new(1 << 20);
        }
    }
    tl_arena_free(a);
    return NULL;
}

static void threads(void **state)
{
    struct tl_cache *c = tl_cache_new(64);
    struct worker w[THREADS];
    pthread_t th[THREADS];
    int i;

    (void)state;
    for (i = 0; i < THREADS; i++) {
        w[i].c = c;
        w[i].id = i;
        w[i].bad = 0;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
    tl_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(free_null),
        cmocka_unit_test(round_trip_deep),
        cmocka_unit_test(copy_outlives_the_cache),
        cmocka_unit_test(round_trip_bare),
        cmocka_unit_test(replace_same_key),
        cmocka_unit_test(long_key_refused),
        cmocka_unit_test(negative_short_code),
        cmocka_unit_test(negative_regular_path),
        cmocka_unit_test(invalidation_by_campaign_and_program),
        cmocka_unit_test(stamp_rule),
        cmocka_unit_test(eviction_bound),
        cmocka_unit_test(buckets_grow),
        cmocka_unit_test(arena_too_small_is_a_miss),
        cmocka_unit_test(threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
