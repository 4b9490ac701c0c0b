/*
 * test_location.c: the Location header of a redirect: query merging, the
 * click id, visitor parameters, encoding, and the cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track/location.h"

#define ID  "0123456789ABCDEFGHIJabcde"
#define MAX 8

struct loc_case {
    const char *landing;
    const char *param;
    const char *id;
    struct tl_qparam v[MAX];
    const char *expect;
};

static const struct loc_case cases[] = {
    /* query and fragment kept, visitor utm_* forwarded, fragment last */
    {"https://acme.test/p?a=1&b=2#frag",
     "clickid",
     ID,
     {{"utm_source", "news"}, {"utm_medium", "email"}},
     "https://acme.test/p?a=1&b=2&clickid=" ID "&utm_source=news&utm_medium=email#frag"},
    {"https://acme.test/p",
     "clickid",
     ID,
     {{"gclid", "Cj0KCQ"}},
     "https://acme.test/p?clickid=" ID "&gclid=Cj0KCQ"},
    /* the landing page's click param is replaced, never doubled */
    {"https://acme.test/p?clickid=old", "clickid", ID, {{0}}, "https://acme.test/p?clickid=" ID},
    {"https://acme.test/p?clickid=old&a=1",
     "clickid",
     ID,
     {{0}},
     "https://acme.test/p?a=1&clickid=" ID},
    {"https://acme.test/p?a=1&clickid=old&b=2",
     "clickid",
     ID,
     {{0}},
     "https://acme.test/p?a=1&b=2&clickid=" ID},
    {"https://acme.test/p?a=1&clickid=old#f",
     "clickid",
     ID,
     {{0}},
     "https://acme.test/p?a=1&clickid=" ID "#f"},
    {"https://acme.test/p?clickid=x&a=1&clickid&%63lickid=y&clickid=",
     "clickid",
     ID,
     {{0}},
     "https://acme.test/p?a=1&clickid=" ID},
    {"https://acme.test/p?clickid2=1&xclickid=2&CLICKID=3",
     "clickid",
     ID,
     {{0}},
     "https://acme.test/p?clickid2=1&xclickid=2&CLICKID=3&clickid=" ID},
    {"https://acme.test/p?clickid=keep",
     "irclickid",
     ID,
     {{0}},
     "https://acme.test/p?clickid=keep&irclickid=" ID},
    /* a click id sent by the visitor is dropped */
    {"https://acme.test/p",
     "clickid",
     ID,
     {{"clickid", "evil"}, {"a", "1"}},
     "https://acme.test/p?clickid=" ID "&a=1"},
    /* reserved parameters are dropped; the names are case-sensitive */
    {"https://acme.test/p",
     "clickid",
     ID,
     {{"u", "https://evil.test"},
      {"subId1", "s1"},
      {"subId2", "s2"},
      {"subId3", "s3"},
      {"sharedid", "sh"},
      {"SubId1", "x"},
      {"U", "y"}},
     "https://acme.test/p?clickid=" ID "&SubId1=x&U=y"},
    /* the landing page's own parameters win */
    {"https://acme.test/p?utm_source=brand",
     "clickid",
     ID,
     {{"utm_source", "partner"}, {"utm_medium", "m"}},
     "https://acme.test/p?utm_source=brand&clickid=" ID "&utm_medium=m"},
    {"https://acme.test/p?utm%5Fsource=brand&flag",
     "clickid",
     ID,
     {{"utm_source", "partner"}, {"flag", "1"}},
     "https://acme.test/p?utm%5Fsource=brand&flag&clickid=" ID},
    /* the first of a visitor's repeated parameters wins; empty keys are dropped */
    {"https://acme.test/p",
     "clickid",
     ID,
     {{"a", "1"}, {"a", "2"}, {"", "x"}, {NULL, "y"}, {"b", NULL}, {"b", "3"}},
     "https://acme.test/p?clickid=" ID "&a=1&b"},
    /* every byte of the visitor is encoded: no new parameter, fragment or header */
    {"https://acme.test/p#f",
     "clickid",
     ID,
     {{"q", "a b"},
      {"amp", "x&clickid=evil"},
      {"hash", "#frag"},
      {"pct", "100%"},
      {"utf8", "\xc3\xa9t\xc3\xa9"},
      {"crlf", "x\r\nSet-Cookie: a=1"},
      {"k=v&u", "1"},
      {"utm[x]", "a+b"}},
     "https://acme.test/p?clickid=" ID "&q=a%20b&amp=x%26clickid%3Devil&hash=%23frag"
     "&pct=100%25&utf8=%C3%A9t%C3%A9&crlf=x%0D%0ASet-Cookie%3A%20a%3D1&k%3Dv%26u=1"
     "&utm%5Bx%5D=a%2Bb#f"},
    {"https://acme.test/p",
     "clickid",
     ID,
     {{"ctl", "\x01\x7f\t"}, {"\n", "x"}},
     "https://acme.test/p?clickid=" ID "&ctl=%01%7F%09&%0A=x"},
    /* bare flags and empty values */
    {"https://acme.test/p",
     "clickid",
     ID,
     {{"flag", NULL}, {"empty", ""}},
     "https://acme.test/p?clickid=" ID "&flag&empty="},
    /* landing pages without a path get "/" */
    {"https://acme.test", "clickid", ID, {{0}}, "https://acme.test/?clickid=" ID},
    {"https://acme.test#f", "clickid", ID, {{0}}, "https://acme.test/?clickid=" ID "#f"},
    {"https://acme.test?x=1", "clickid", ID, {{0}}, "https://acme.test/?x=1&clickid=" ID},
    {"http://acme.test:8080",
     "clickid",
     ID,
     {{"a", "1"}},
     "http://acme.test:8080/?clickid=" ID "&a=1"},
    /* empty query or fragment, empty pieces */
    {"https://acme.test/p?", "clickid", ID, {{0}}, "https://acme.test/p?clickid=" ID},
    {"https://acme.test/p?#", "clickid", ID, {{0}}, "https://acme.test/p?clickid=" ID},
    {"https://acme.test/p?a=1&&b=2&",
     "clickid",
     ID,
     {{0}},
     "https://acme.test/p?a=1&b=2&clickid=" ID},
    /* a fragment that looks like a query stays a fragment */
    {"https://acme.test/p#/route?x=1&clickid=2",
     "clickid",
     ID,
     {{"x", "9"}},
     "https://acme.test/p?clickid=" ID "&x=9#/route?x=1&clickid=2"},
    /* port, path, params and escapes go out as they came */
    {"https://acme.test:8443/a/../b;v=1/%7Euser?q=%41+b",
     "clickid",
     ID,
     {{0}},
     "https://acme.test:8443/a/../b;v=1/%7Euser?q=%41+b&clickid=" ID},
    {"https://xn--bcher-kva.test/\xc3\xa9?x=\xc3\xa9",
     "clickid",
     ID,
     {{0}},
     "https://xn--bcher-kva.test/\xc3\xa9?x=\xc3\xa9&clickid=" ID},
    /* a click param that needs encoding */
    {"https://acme.test/p?click%20id=old",
     "click id",
     ID,
     {{"click id", "v"}},
     "https://acme.test/p?click%20id=" ID},
    /* no click id: the query is kept whole; visitor parameters still filtered */
    {"https://acme.test/p?clickid=old",
     "clickid",
     NULL,
     {{"clickid", "v"}, {"u", "x"}, {"utm", "1"}},
     "https://acme.test/p?clickid=old&utm=1"},
    {"https://acme.test/p#f", NULL, NULL, {{"clickid", "v"}}, "https://acme.test/p?clickid=v#f"},
    {"https://acme.test/p#f", NULL, NULL, {{0}}, "https://acme.test/p#f"},
};

static size_t count(const struct tl_qparam *v)
{
    size_t n = 0;

    while (n < MAX && (v[n].key != NULL || v[n].value != NULL))
        n++;
    return n;
}

static void table(void **state)
{
    char out[4096];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct loc_case *c = &cases[i];
        enum tl_err err =
            tl_location_build(c->landing, c->param, c->id, c->v, count(c->v), out, sizeof(out));

        if (err != TL_OK || strcmp(out, c->expect) != 0)
            print_error("case %zu: %s\n  got    %s (%d)\n  wanted %s\n", i, c->landing, out,
                        (int)err, c->expect);
        assert_int_equal(err, TL_OK);
        assert_string_equal(out, c->expect);
    }
}

static void reserved(void **state)
{
    (void)state;
    assert_true(tl_location_reserved("u"));
    assert_true(tl_location_reserved("subId1"));
    assert_true(tl_location_reserved("subId2"));
    assert_true(tl_location_reserved("subId3"));
    assert_true(tl_location_reserved("sharedid"));
    assert_false(tl_location_reserved("U"));
    assert_false(tl_location_reserved("subid1"));
    assert_false(tl_location_reserved("sharedId"));
    assert_false(tl_location_reserved("subId4"));
    assert_false(tl_location_reserved("uu"));
    assert_false(tl_location_reserved(""));
    assert_false(tl_location_reserved(NULL));
}

static void bad_input(void **state)
{
    char out[256] = "junk";
    const struct tl_qparam v[] = {{"a", "1"}};

    (void)state;
    assert_int_equal(tl_location_build(NULL, "clickid", ID, v, 1, out, sizeof(out)),
                     TL_ERR_INVALID);
    assert_string_equal(out, "");
    assert_int_equal(tl_location_build("ftp://acme.test/x", "clickid", ID, v, 1, out, sizeof(out)),
                     TL_ERR_INVALID);
    assert_int_equal(tl_location_build("/relative", "clickid", ID, v, 1, out, sizeof(out)),
                     TL_ERR_INVALID);
    assert_int_equal(
        tl_location_build("https://user:pw@acme.test/", "clickid", ID, v, 1, out, sizeof(out)),
        TL_ERR_INVALID);
    assert_int_equal(
        tl_location_build("https://acme.test/p#a b", "clickid", ID, v, 1, out, sizeof(out)),
        TL_ERR_INVALID);
    assert_int_equal(
        tl_location_build("https://acme.test/p\r\nX: y", "clickid", ID, v, 1, out, sizeof(out)),
        TL_ERR_INVALID);
    assert_int_equal(tl_location_build("https://acme.test/", NULL, ID, v, 1, out, sizeof(out)),
                     TL_ERR_INVALID);
    assert_int_equal(tl_location_build("https://acme.test/", "", ID, v, 1, out, sizeof(out)),
                     TL_ERR_INVALID);
    assert_int_equal(tl_location_build("https://acme.test/", "clickid", ID, v, 1, out, 0),
                     TL_ERR_INVALID);
    assert_int_equal(tl_location_build("https://acme.test/", "clickid", ID, v, 1, NULL, 10),
                     TL_ERR_INVALID);
    /* visitor NULL is no visitor parameters */
    assert_int_equal(
        tl_location_build("https://acme.test/", "clickid", ID, NULL, 5, out, sizeof(out)), TL_OK);
    assert_string_equal(out, "https://acme.test/?clickid=" ID);
}

static void cap(void **state)
{
    const char *landing = "https://acme.test/p?a=1#f";
    const char *full = "https://acme.test/p?a=1&clickid=" ID "&utm=x#f";
    const char *bare = "https://acme.test/p?a=1&clickid=" ID "#f";
    const struct tl_qparam v[] = {{"utm", "x"}};
    char out[256], big[20000];
    struct tl_qparam huge[1], many[200];
    char keys[200][8];
    size_t i;

    (void)state;
    /* exactly enough */
    assert_int_equal(tl_location_build(landing, "clickid", ID, v, 1, out, strlen(full) + 1), TL_OK);
    assert_string_equal(out, full);
    /* one byte short: the visitor's parameters go, the click id stays */
    assert_int_equal(tl_location_build(landing, "clickid", ID, v, 1, out, strlen(full)), TL_OK);
    assert_string_equal(out, bare);
    assert_int_equal(tl_location_build(landing, "clickid", ID, v, 1, out, strlen(bare) + 1), TL_OK);
    assert_string_equal(out, bare);
    /* not even that fits */
    assert_int_equal(tl_location_build(landing, "clickid", ID, v, 1, out, strlen(bare)),
                     TL_ERR_INVALID);
    assert_string_equal(out, "");
    assert_int_equal(tl_location_build(landing, "clickid", ID, v, 1, out, 1), TL_ERR_INVALID);
    assert_int_equal(tl_location_build(landing, "clickid", ID, v, 1, out, 5), TL_ERR_INVALID);

    /* a huge visitor value is dropped whole, never cut */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    huge[0].key = "big";
    huge[0].value = big;
    assert_int_equal(tl_location_build(landing, "clickid", ID, huge, 1, out, sizeof(out)), TL_OK);
    assert_string_equal(out, bare);
    /* its encoding, three times longer, does not fit either */
    memset(big, '&', 200);
    big[200] = '\0';
    assert_int_equal(tl_location_build(landing, "clickid", ID, huge, 1, out, sizeof(out)), TL_OK);
    assert_string_equal(out, bare);

    /* only the first TL_LOCATION_MAX_PARAMS parameters are considered */
    for (i = 0; i < 200; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
        many[i].key = keys[i];
        many[i].value = NULL;
    }
    assert_int_equal(
        tl_location_build("https://acme.test/", "clickid", ID, many, 200, big, sizeof(big)), TL_OK);
    assert_non_null(strstr(big, "&k127"));
    assert_null(strstr(big, "&k128"));
}

/* Random visitor bytes: whatever comes in, the result parses back to it. */
static void round_trip(void **state)
{
    char out[8192], keys[4][16], vals[4][16];
    struct tl_qparam v[4];
    unsigned seed = 12345;
    int iter, i, j;

    (void)state;
    for (iter = 0; iter < 2000; iter++) {
        int n = 1 + iter % 4;
        char *q = NULL, *frag = NULL, *p, *save = NULL;
        CURLU *u;

        for (i = 0; i < n; i++) {
            int kl = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 10;
            int vl = (int)((seed = seed * 1103515245 + 12345) >> 16) % 12;

            /* a distinct first byte keeps keys distinct and never reserved */
            keys[i][0] = (char)('A' + i);
            for (j = 1; j < kl; j++)
                keys[i][j] = (char)(1 + ((seed = seed * 1103515245 + 12345) >> 16) % 255);
            keys[i][kl] = '\0';
            for (j = 0; j < vl; j++)
                vals[i][j] = (char)(1 + ((seed = seed * 1103515245 + 12345) >> 16) % 255);
            vals[i][vl] = '\0';
            v[i].key = keys[i];
            v[i].value = vals[i];
        }
        assert_int_equal(tl_location_build("https://acme.test/p?a=1#f", "zz", ID, v, (size_t)n, out,
                                           sizeof(out)),
                         TL_OK);
        for (p = out; *p != '\0'; p++)
            assert_true((unsigned char)*p > 0x20 && (unsigned char)*p != 0x7f);
        u = curl_url();
        assert_non_null(u);
        assert_int_equal(curl_url_set(u, CURLUPART_URL, out, 0), CURLUE_OK);
        assert_int_equal(curl_url_get(u, CURLUPART_QUERY, &q, 0), CURLUE_OK);
        assert_int_equal(curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0), CURLUE_OK);
        assert_string_equal(frag, "f");
        /* a=1, zz=ID, then each visitor parameter, decoded back to its bytes */
        p = strtok_r(q, "&", &save);
        assert_string_equal(p, "a=1");
        p = strtok_r(NULL, "&", &save);
        assert_string_equal(p, "zz=" ID);
        for (i = 0; i < n; i++) {
            char *eq, *k, *val;
            int kl, vl;

            p = strtok_r(NULL, "&", &save);
            assert_non_null(p);
            eq = strchr(p, '=');
            assert_non_null(eq);
            k = curl_easy_unescape(NULL, p, (int)(eq - p), &kl);
            val = curl_easy_unescape(NULL, eq + 1, 0, &vl);
            assert_string_equal(k, keys[i]);
            assert_string_equal(val, vals[i]);
            curl_free(k);
            curl_free(val);
        }
        assert_null(strtok_r(NULL, "&", &save));
        curl_free(q);
        curl_free(frag);
        curl_url_cleanup(u);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table), cmocka_unit_test(reserved),   cmocka_unit_test(bad_input),
        cmocka_unit_test(cap),   cmocka_unit_test(round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
