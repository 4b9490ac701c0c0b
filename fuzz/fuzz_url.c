/*
 * fuzz_url.c: the landing-page gate (core/url.c): permitted domains and
 * landing pages, through libcurl's URL API as the server uses it.
 *
 * Input lines: a landing page, then up to eight permitted-domain entries.
 * Each entry goes through tl_url_domain_normalize; the landing page through
 * tl_url_landing_check against the entries that passed, and tl_url_host_of.
 * Checked: a normalised domain normalises to itself; an accepted landing
 * page is at most TL_URL_MAX bytes, holds no control byte, space or
 * backslash, has a permitted host (tl_url_host_of agrees) and is accepted
 * again, unchanged, when checked a second time (so the stored form is
 * stable); a refusal always carries one of the two codes.
 */
#include <string.h>

#include "core/err.h"
#include "core/model.h"
#include "core/url.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s)
{
    for (; *s != '\0'; s++)
        FZ_CHECK((unsigned char)*s > 0x20 && *s != 0x7f && *s != '\\');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dom[8][TL_URL_HOST_LEN];
    const char *domains[8];
    char out[TL_URL_MAX + 1], again[TL_URL_MAX + 1], host[TL_URL_HOST_LEN], norm[TL_URL_HOST_LEN];
    struct tl_problem p;
    struct fz_fields in;
    size_t i, n = 0;
    enum tl_err err;

    if (size > 4 * TL_URL_MAX)
        return 0;
    fz_split(data, size, 9, &in);
    for (i = 1; i < in.n; i++) {
        tl_problem_init(&p);
        if (tl_url_domain_normalize(in.f[i], dom[n], sizeof(dom[n]), &p) != TL_OK) {
            FZ_CHECK(p.err == TL_ERR_INVALID);
            continue;
        }
        FZ_CHECK(tl_url_domain_normalize(dom[n], norm, sizeof(norm), NULL) == TL_OK);
        FZ_CHECK(strcmp(norm, dom[n]) == 0);
        domains[n] = dom[n];
        n++;
    }

    tl_problem_init(&p);
    err = tl_url_landing_check(in.f[0], domains, n, "landing_url", out, sizeof(out), &p);
    if (err == TL_OK) {
        FZ_CHECK(strlen(out) <= TL_URL_MAX);
        check_clean(out);
        FZ_CHECK(strncmp(out, "http://", 7) == 0 || strncmp(out, "https://", 8) == 0);
        FZ_CHECK(tl_url_host_of(out, host, sizeof(host)) == TL_OK);
        FZ_CHECK(tl_url_host_permitted(host, domains, n));
        tl_problem_init(&p);
        FZ_CHECK(tl_url_landing_check(out, domains, n, "landing_url", again, sizeof(again), &p) ==
                 TL_OK);
        FZ_CHECK(strcmp(out, again) == 0);
    } else if (err == TL_ERR_INVALID) {
        FZ_CHECK(p.code != NULL && (strcmp(p.code, "landing_page_invalid") == 0 ||
                                    strcmp(p.code, "landing_page_not_permitted") == 0));
    } else {
        FZ_CHECK(err == TL_ERR_NOMEM);
    }
    (void)tl_url_host_of(in.f[0], host, sizeof(host));
    fz_free(&in);
    return 0;
}
