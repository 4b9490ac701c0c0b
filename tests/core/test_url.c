/*
 * test_url.c: table tests of the landing-page gate (src/core/url.c):
 * hostile and friendly landing-page URLs, permitted-domain entries, the
 * matching rule and host extraction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/model.h"
#include "core/url.h"

#define INVALID "landing_page_invalid"
#define NOTPERM "landing_page_not_permitted"

/* domain sets used by the landing table */
static const char *const plain[] = {"acme.test", "xn--bcher-kva.example"};
static const char *const wild[] = {"*.acme.test"};
static const char *const both[] = {"acme.test", "*.shop.test"};
/* names whose last label a browser reads as a number (an IPv4 address) */
static const char *const hexnum[] = {"0x7f", "1.0x7f", "*.0x"};

struct landing_case {
    const char *url;
    const char *const *domains;
    size_t n;
    const char *code; /* NULL: accepted */
    const char *want; /* normalised URL when accepted */
};

#define P plain, 2
#define W wild, 1
#define B both, 2
#define H hexnum, 3

static const struct landing_case landing_cases[] = {
    /* friendly */
    {"https://acme.test", P, NULL, "https://acme.test"},
    {"https://acme.test/", P, NULL, "https://acme.test/"},
    {"http://acme.test/path?q=1#frag", P, NULL, "http://acme.test/path?q=1#frag"},
    {"https://Acme.TEST/Path?Q=1#F", P, NULL, "https://acme.test/Path?Q=1#F"},
    {"HTTPS://ACME.TEST/A", P, NULL, "https://acme.test/A"},
    {"HtTp://acme.test", P, NULL, "http://acme.test"},
    {"https://acme.test:8443/x", P, NULL, "https://acme.test:8443/x"},
    {"https://acme.test:443", P, NULL, "https://acme.test:443"},
    {"https://acme.test./x", P, NULL, "https://acme.test./x"},
    {"https://acme.test/a/../b/./c", P, NULL, "https://acme.test/a/../b/./c"},
    {"https://acme.test/%7Euser?x=%41%2f", P, NULL, "https://acme.test/%7Euser?x=%41%2f"},
    {"https://acme.test?x=1", P, NULL, "https://acme.test?x=1"},
    {"https://acme.test#top", P, NULL, "https://acme.test#top"},
    {"http://b\xc3\xbc" "cher.example/", P, NULL, "http://xn--bcher-kva.example/"},
    {"http://B\xc3\x9c" "CHER.example/Buch", P, NULL, "http://xn--bcher-kva.example/Buch"},
    {"http://xn--bcher-kva.example/", P, NULL, "http://xn--bcher-kva.example/"},
    {"https://www.acme.test/", W, NULL, "https://www.acme.test/"},
    {"https://a.b.c.acme.test/", W, NULL, "https://a.b.c.acme.test/"},
    {"https://WWW.Acme.Test/X", W, NULL, "https://www.acme.test/X"},
    {"https://eu.shop.test/", B, NULL, "https://eu.shop.test/"},
    {"https://acme.test/caf\xc3\xa9", P, NULL, "https://acme.test/caf\xc3\xa9"},
    {"https://acme.test/?redirect=https://evil.test/", P, NULL,
     "https://acme.test/?redirect=https://evil.test/"},

    /* not absolute http(s) */
    {"", P, INVALID, NULL},
    {"javascript:alert(1)", P, INVALID, NULL},
    {"JaVaScRiPt:alert(1)//acme.test", P, INVALID, NULL},
    {"//evil.test", P, INVALID, NULL},
    {"//acme.test/", P, INVALID, NULL},
    {"/path", P, INVALID, NULL},
    {"acme.test", P, INVALID, NULL},
    {"data:text/html,<script>alert(1)</script>", P, INVALID, NULL},
    {"ftp://acme.test/", P, INVALID, NULL},
    {"file:///etc/passwd", P, INVALID, NULL},
    {"file://acme.test/etc/passwd", P, INVALID, NULL},
    {"mailto:someone@acme.test", P, INVALID, NULL},
    {"ws://acme.test/", P, INVALID, NULL},
    {"httpx://acme.test/", P, INVALID, NULL},
    {"http:acme.test", P, INVALID, NULL},
    {"http:/acme.test/", P, INVALID, NULL},
    {"http:///acme.test/", P, INVALID, NULL},
    {"http://", P, INVALID, NULL},
    {"http://:80/", P, INVALID, NULL},
    {"http://acme.test:99999/", P, INVALID, NULL},
    {"http://acme.test:abc/", P, INVALID, NULL},

    /* credentials */
    {"http://acme.test@evil.test", P, INVALID, NULL},
    {"http://user:pass@acme.test/", P, INVALID, NULL},
    {"http://user@acme.test/", P, INVALID, NULL},
    {"http://:@acme.test/", P, INVALID, NULL},
    {"http://acme.test%2f@evil.test/", P, INVALID, NULL},
    {"http://acme.test:80@evil.test/", P, INVALID, NULL},

    /* backslash tricks */
    {"http://evil.test\\@acme.test", P, INVALID, NULL},
    {"http://acme.test\\.evil.test/", P, INVALID, NULL},
    {"http:\\\\acme.test\\", P, INVALID, NULL},
    {"https://acme.test/\\evil.test", P, INVALID, NULL},
    {"https:/\\evil.test", P, INVALID, NULL},

    /* host must be the one that is checked */
    {"http://evil.test/acme.test", P, NOTPERM, NULL},
    {"http://evil.test?acme.test", P, NOTPERM, NULL},
    {"http://evil.test#acme.test", P, NOTPERM, NULL},
    {"http://evil.test#@acme.test", P, NOTPERM, NULL},
    {"http://acme.test#@evil.test", P, NULL, "http://acme.test#@evil.test"},
    {"http://acme.test?@evil.test", P, NULL, "http://acme.test?@evil.test"},
    {"http://acme.test.evil.test/", P, NOTPERM, NULL},
    {"http://acme.test.evil.test/", W, NOTPERM, NULL},
    {"http://evilacme.test/", W, NOTPERM, NULL},
    {"http://evil-acme.test/", W, NOTPERM, NULL},
    {"http://acme.test/", W, NOTPERM, NULL},
    {"http://.acme.test/", W, INVALID, NULL},
    {"http://a..acme.test/", W, INVALID, NULL},
    {"http://www.acme.test/", P, NOTPERM, NULL},
    {"http://shop.test/", B, NOTPERM, NULL},
    {"http://acme%2etest/", P, INVALID, NULL},
    {"http://%61cme.test/", P, INVALID, NULL},
    {"http://acme.test..", P, INVALID, NULL},
    {"http://evil.test\xef\xbc\xa0" "acme.test/", P, INVALID, NULL},
    {"http://b\xc3\xbc" "cher.example/", W, NOTPERM, NULL},
    {"http://b\xff" "cher.example/", P, INVALID, NULL},

    /* IP literals never match a hostname */
    {"http://127.0.0.1/", P, NOTPERM, NULL},
    {"http://0x7f.1/", P, NOTPERM, NULL},
    {"http://2130706433/", P, NOTPERM, NULL},
    {"http://[::1]/", P, NOTPERM, NULL},
    {"http://[::ffff:127.0.0.1]:8080/", P, NOTPERM, NULL},
    {"http://[fe80::1%25eth0]/", P, INVALID, NULL},
    /* libcurl keeps these names (the trailing dot), a browser visits
     * 0.0.0.127 and 1.0.0.127 (found by fuzz_url) */
    {"http://0x7f./", H, INVALID, NULL},
    {"http://1.0x7f./", H, INVALID, NULL},
    {"http://a.0x./", H, INVALID, NULL},
    {"http://A.0X7F./x", H, INVALID, NULL},

    /* control characters and spaces */
    {"http://acme.test/\r\nSet-Cookie: a=b", P, INVALID, NULL},
    {"http://acme.test/\n", P, INVALID, NULL},
    {"http://acme.test/\r", P, INVALID, NULL},
    {"http://acme.test/\ta", P, INVALID, NULL},
    {"http://acme.test/\x7f", P, INVALID, NULL},
    {"http://acme.test/\x01", P, INVALID, NULL},
    {"\thttp://acme.test/", P, INVALID, NULL},
    {" http://acme.test/", P, INVALID, NULL},
    {"http://acme.test/ ", P, INVALID, NULL},
    {"http://acme.test/a b", P, INVALID, NULL},
    {"http://ac me.test/", P, INVALID, NULL},
};

static int check_landing(const struct landing_case *c, const char *url)
{
    char out[TL_URL_MAX + 64];
    struct tl_problem p;
    enum tl_err err;

    tl_problem_init(&p);
    memset(out, 'Z', sizeof(out));
    out[0] = '\0';
    err = tl_url_landing_check(url, c->domains, c->n, "url", out, sizeof(out), &p);
    if (c->code == NULL) {
        if (err != TL_OK || strcmp(out, c->want) != 0) {
            print_error("landing [%s]: want ok [%s], got %s %s [%s] (%s)\n", url, c->want,
                        tl_err_str(err), p.code ? p.code : "-", out, p.detail);
            return 1;
        }
        return 0;
    }
    if (err != TL_ERR_INVALID || p.err != TL_ERR_INVALID || p.code == NULL ||
        strcmp(p.code, c->code) != 0 || p.field == NULL || strcmp(p.field, "url") != 0) {
        print_error("landing [%s]: want %s, got %s %s (%s)\n", url, c->code, tl_err_str(err),
                    p.code ? p.code : "-", p.detail);
        return 1;
    }
    return 0;
}

static void test_landing_table(void **state)
{
    size_t i;
    int fails = 0;

    (void)state;
    for (i = 0; i < sizeof(landing_cases) / sizeof(landing_cases[0]); i++)
        fails += check_landing(&landing_cases[i], landing_cases[i].url);
    assert_int_equal(fails, 0);
}

/* "https://acme.test/" padded with 'a' to exactly len bytes */
static char *long_url(size_t len)
{
    const char *head = "https://acme.test/";
    size_t hl = strlen(head);
    char *s = malloc(len + 1);

    assert_non_null(s);
    memcpy(s, head, hl);
    memset(s + hl, 'a', len - hl);
    s[len] = '\0';
    return s;
}

static void test_landing_length(void **state)
{
    char *u2048 = long_url(2048), *u2049 = long_url(2049), *u10k = long_url(10000);
    struct landing_case ok = {NULL, P, NULL, NULL};
    struct landing_case bad = {NULL, P, INVALID, NULL};

    (void)state;
    ok.want = u2048;
    assert_int_equal(check_landing(&ok, u2048), 0);
    assert_int_equal(check_landing(&bad, u2049), 0);
    assert_int_equal(check_landing(&bad, u10k), 0);
    free(u2048);
    free(u2049);
    free(u10k);
}

static void test_landing_small_out(void **state)
{
    char out[18];
    struct tl_problem p;

    (void)state;
    tl_problem_init(&p);
    assert_int_equal(tl_url_landing_check("https://acme.test/x", plain, 2, "default_landing_page",
                                          out, sizeof(out), &p),
                     TL_ERR_INVALID);
    assert_string_equal(p.code, INVALID);
    assert_string_equal(p.field, "default_landing_page");
    /* exactly enough room */
    assert_int_equal(tl_url_landing_check("https://acme.test", plain, 2, "f", out, 18, &p), TL_OK);
    assert_string_equal(out, "https://acme.test");
    /* p may be NULL, and no domains permit nothing */
    assert_int_equal(tl_url_landing_check("https://acme.test", NULL, 0, "f", out, 18, NULL),
                     TL_ERR_INVALID);
    assert_int_equal(tl_url_landing_check(NULL, plain, 2, "f", out, 18, NULL), TL_ERR_INVALID);
}

struct domain_case {
    const char *in;
    const char *want; /* NULL: refused */
};

static const struct domain_case domain_cases[] = {
    {"acme.test", "acme.test"},
    {"*.acme.test", "*.acme.test"},
    {"ACME.test", "acme.test"},
    {"*.ACME.Test", "*.acme.test"},
    {"acme.test.", "acme.test"},
    {"localhost", "localhost"},
    {"a-b.c-d.test", "a-b.c-d.test"},
    {"xn--bcher-kva.example", "xn--bcher-kva.example"},
    {"b\xc3\xbc" "cher.example", "xn--bcher-kva.example"},
    {"B\xc3\x9c" "CHER.example", "xn--bcher-kva.example"},
    {"*.b\xc3\xbc" "cher.example", "*.xn--bcher-kva.example"},
    {"123.acme.test", "123.acme.test"},
    {"", NULL},
    {"*", NULL},
    {"*.", NULL},
    {"*.*.acme.test", NULL},
    {"**.acme.test", NULL},
    {"a.*.b", NULL},
    {"acme.*", NULL},
    {"*acme.test", NULL},
    {"http://acme.test", NULL},
    {"acme.test/path", NULL},
    {"acme.test/", NULL},
    {"acme.test:80", NULL},
    {"user@acme.test", NULL},
    {"acme.test?x", NULL},
    {"acme.test#x", NULL},
    {"acme .test", NULL},
    {" acme.test", NULL},
    {"acme.test\n", NULL},
    {"acme\\test", NULL},
    {"acme%2etest", NULL},
    {"-bad-.test", NULL},
    {"bad-.test", NULL},
    {"-bad.test", NULL},
    {"a_b.test", NULL},
    {"acme..test", NULL},
    {".acme.test", NULL},
    {"acme.test..", NULL},
    {"127.0.0.1", NULL},
    {"0x7f.1", NULL},
    {"0x7f.", NULL},
    {"1.0x7f.", NULL},
    {"*.0X1f.", NULL},
    {"shop.0x.", NULL},
    {"[::1]", NULL},
    {"b\xff" "cher.example", NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", NULL},
};

static void test_domain_table(void **state)
{
    size_t i;
    int fails = 0;

    (void)state;
    for (i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]); i++) {
        const struct domain_case *c = &domain_cases[i];
        char out[TL_URL_HOST_LEN] = "";
        struct tl_problem p;
        enum tl_err err;

        tl_problem_init(&p);
        err = tl_url_domain_normalize(c->in, out, sizeof(out), &p);
        if (c->want != NULL && (err != TL_OK || strcmp(out, c->want) != 0)) {
            print_error("domain [%s]: want [%s], got %s [%s]\n", c->in, c->want,
                        tl_err_str(err), out);
            fails++;
        } else if (c->want == NULL &&
                   (err != TL_ERR_INVALID || p.code == NULL ||
                    strcmp(p.code, "invalid_value") != 0 || p.field == NULL ||
                    strcmp(p.field, "permitted_domains") != 0)) {
            print_error("domain [%s]: want invalid_value, got %s [%s]\n", c->in,
                        tl_err_str(err), out);
            fails++;
        }
    }
    assert_int_equal(fails, 0);
}

static void test_domain_limits(void **state)
{
    char label63[64], name[300], out[TL_URL_HOST_LEN];

    (void)state;
    memset(label63, 'a', 63);
    label63[63] = '\0';
    snprintf(name, sizeof(name), "%s.test", label63);
    assert_int_equal(tl_url_domain_normalize(name, out, sizeof(out), NULL), TL_OK);
    assert_string_equal(out, name);
    /* 4 labels of 63 + 3 dots = 255 > 253 */
    snprintf(name, sizeof(name), "%s.%s.%s.%s", label63, label63, label63, label63);
    assert_int_equal(tl_url_domain_normalize(name, out, sizeof(out), NULL), TL_ERR_INVALID);
    assert_int_equal(tl_url_domain_normalize(NULL, out, sizeof(out), NULL), TL_ERR_INVALID);
    /* out too small */
    assert_int_equal(tl_url_domain_normalize("acme.test", out, 9, NULL), TL_ERR_INVALID);
    assert_int_equal(tl_url_domain_normalize("acme.test", out, 10, NULL), TL_OK);
}

static void test_host_permitted(void **state)
{
    static const char *const d[] = {"acme.test", "*.shop.test", NULL, "*.x"};

    (void)state;
    assert_true(tl_url_host_permitted("acme.test", d, 4));
    assert_true(tl_url_host_permitted("acme.test.", d, 4));
    assert_true(tl_url_host_permitted("eu.shop.test", d, 4));
    assert_true(tl_url_host_permitted("a.b.shop.test", d, 4));
    assert_true(tl_url_host_permitted("y.x", d, 4));
    assert_false(tl_url_host_permitted("shop.test", d, 4));
    assert_false(tl_url_host_permitted("evilshop.test", d, 4));
    assert_false(tl_url_host_permitted("www.acme.test", d, 4));
    assert_false(tl_url_host_permitted("acme.test.evil", d, 4));
    assert_false(tl_url_host_permitted("cme.test", d, 4));
    assert_false(tl_url_host_permitted("x", d, 4));
    assert_false(tl_url_host_permitted("", d, 4));
    assert_false(tl_url_host_permitted(".", d, 4));
    assert_false(tl_url_host_permitted(NULL, d, 4));
    assert_false(tl_url_host_permitted("acme.test", d, 0));
    assert_false(tl_url_host_permitted("acme.test", NULL, 0));
}

static void test_host_permitted_ip(void **state)
{
    static const char *const d[] = {"127.0.0.1", "*.0.1", "[::1]", "::1"};

    (void)state;
    /* even a (badly) stored numeric entry never matches an IP literal */
    assert_false(tl_url_host_permitted("127.0.0.1", d, 4));
    assert_false(tl_url_host_permitted("10.0.0.1", d, 4));
    assert_false(tl_url_host_permitted("[::1]", d, 4));
    assert_false(tl_url_host_permitted("::1", d, 4));
}

static void test_host_of(void **state)
{
    char out[TL_URL_HOST_LEN];

    (void)state;
    assert_int_equal(tl_url_host_of("https://Acme.TEST:8443/x", out, sizeof(out)), TL_OK);
    assert_string_equal(out, "acme.test");
    assert_int_equal(tl_url_host_of("http://b\xc3\xbc" "cher.example./", out, sizeof(out)), TL_OK);
    assert_string_equal(out, "xn--bcher-kva.example");
    assert_int_equal(tl_url_host_of("http://0x7f.1/", out, sizeof(out)), TL_OK);
    assert_string_equal(out, "127.0.0.1");
    assert_int_equal(tl_url_host_of("http://[::1]:80/", out, sizeof(out)), TL_OK);
    assert_string_equal(out, "[::1]");
    assert_int_equal(tl_url_host_of("https://acme.test/", out, 9), TL_ERR_INVALID);
    assert_int_equal(tl_url_host_of("https://acme.test/", out, 10), TL_OK);
    assert_int_equal(tl_url_host_of("/relative", out, sizeof(out)), TL_ERR_INVALID);
    assert_int_equal(tl_url_host_of("", out, sizeof(out)), TL_ERR_INVALID);
    assert_int_equal(tl_url_host_of(NULL, out, sizeof(out)), TL_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_landing_table),
        cmocka_unit_test(test_landing_length),
        cmocka_unit_test(test_landing_small_out),
        cmocka_unit_test(test_domain_table),
        cmocka_unit_test(test_domain_limits),
        cmocka_unit_test(test_host_permitted),
        cmocka_unit_test(test_host_permitted_ip),
        cmocka_unit_test(test_host_of),
    };

    tl_url_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
