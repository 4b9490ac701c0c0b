/*
 * cache_rss.c: what the redirect path's link cache costs in memory.
 *
 * Fills a struct tl_cache of capacity N (default 1M) with N realistic
 * short-link targets (a distinct ~60-byte landing page, the program's
 * default landing page, click parameter, currency and two permitted
 * domains; 1,000 campaigns in 100 programs) and prints the growth of the
 * process's resident set per entry held, next to the cache's own account
 * (tl_cache_bytes). Built and run by bench/run.sh:
 *
 *   cc -O2 -std=c11 -Isrc bench/cache_rss.c src/track/cache.c src/core/arena.c \
 *      $(pkg-config --cflags --libs libsodium) -lpthread
 *
 * Output, one line: "CACHE entries=N rss_bytes=B bytes_per_link=X
 * accounted_per_link=Y".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/arena.h"
#include "track/cache.h"

/* Resident bytes of this process, from /proc/self/statm. */
static long rss_bytes(void)
{
    long pages_total, pages_resident;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
        pages_resident = -1;
    fclose(f);
    return pages_resident < 0 ? -1 : pages_resident * sysconf(_SC_PAGESIZE);
}

/* A 7-character base62 code, as the server generates them. */
static void make_code(char out[8], size_t i)
{
    static const char abc[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned long long x = (unsigned long long)i * 2654435761ULL + 12345;
    int k;

    for (k = 0; k < 7; k++) {
        out[k] = abc[x % 62];
        x /= 62;
    }
    out[7] = '\0';
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    const char *domains[2] = {"shop.acme-outdoor.test", "*.acme-outdoor.test"};
    struct tl_cache *c;
    struct tl_arena *a;
    struct tl_target t, got;
    char code[8], landing[128], deflt[128];
    long before, after;
    size_t i, held;
    bool found;

    if (n == 0 || sodium_init() < 0) {
        fprintf(stderr, "cache_rss: bad count or libsodium failed\n");
        return 1;
    }
    before = rss_bytes();
    c = tl_cache_new(n);
    a = tl_arena_new(64 * 1024);
    if (c == NULL || a == NULL) {
        fprintf(stderr, "cache_rss: out of memory\n");
        return 1;
    }
    for (i = 0; i < n; i++) {
        memset(&t, 0, sizeof(t));
        t.link_id = (int64_t)i + 1;
        t.partner_id = (int64_t)(i % 5000) + 1;
        t.task_id = (int64_t)(i % 3000) + 1;
        t.campaign_id = (int64_t)(i % 1000) + 1;
        t.program_id = (int64_t)(i % 100) + 1;
        t.kind = TL_LINK_SHORT;
        /* 60 bytes: a product page with a partner tag. */
        snprintf(landing, sizeof(landing), "https://shop.acme-outdoor.test/p/tent-%07zu?utm_source=aff",
                 i);
        snprintf(deflt, sizeof(deflt), "https://shop.acme-outdoor.test/?prog=%zu", i % 100);
        t.landing = landing;
        t.default_landing = deflt;
        t.click_param = "clickid";
        t.currency = "USD";
        t.domains = domains;
        t.n_domains = 2;
        t.mode = TL_LP_PARTNER_CHOICE;
        t.link_active = true;
        t.campaign_active = true;
        t.tracking_enabled = true;
        t.landing_ok = true;
        make_code(code, i);
        if (tl_cache_put(c, code, tl_cache_stamp(c), &t, 0) != TL_OK) {
            fprintf(stderr, "cache_rss: put failed at %zu\n", i);
            return 1;
        }
    }
    after = rss_bytes();
    held = tl_cache_count(c);
    /* A read back, so that a broken fill cannot pass for a cheap one. */
    make_code(code, n - 1);
    if (!tl_cache_get(c, code, a, &got, &found) || !found || got.link_id != (int64_t)n ||
        strstr(got.landing, "tent-") == NULL) {
        fprintf(stderr, "cache_rss: the last entry does not read back\n");
        return 1;
    }
    if (before < 0 || after < 0 || held == 0) {
        fprintf(stderr, "cache_rss: cannot read /proc/self/statm\n");
        return 1;
    }
    printf("CACHE entries=%zu rss_bytes=%ld bytes_per_link=%.0f accounted_per_link=%.0f\n", held,
           after - before, (double)(after - before) / (double)held,
           (double)tl_cache_bytes(c) / (double)held);
    tl_arena_free(a);
    tl_cache_free(c);
    return 0;
}
