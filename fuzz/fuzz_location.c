/*
 * fuzz_location.c: the Location header of a click's 302 (track/location.c).
 *
 * Input lines: a landing page, the program's click id parameter name, a
 * click id (an empty line: none), then up to twelve visitor parameters
 * "key=value" (no "=": a bare flag). The landing page is first put through
 * the gate (tl_url_landing_check, with its own host permitted), as every
 * landing page is before it reaches the builder. The Location is built in
 * one step (tl_location_build) and in two (split + compose, the redirect
 * path's way), in a roomy buffer and in a tight one.
 * Checked: both ways give the same answer; an answer holds no control
 * byte or space, starts with the landing page's scheme, keeps the landing
 * page's fragment (when not empty) last, and carries the click id when one was given.
 */
#include <string.h>

#include "core/arena.h"
#include "core/model.h"
#include "core/url.h"
#include "fuzz.h"
#include "track/location.h"

#define OUT_MAX (TL_URL_MAX * 4)
#define ALNUM   "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(const char *landing, const char *out, const char *click_id)
{
    const char *frag = strchr(landing, '#');
    const char *s;

    for (s = out; *s != '\0'; s++)
        FZ_CHECK((unsigned char)*s > 0x20 && *s != 0x7f);
    FZ_CHECK(strncmp(out, landing, strchr(landing, ':') - landing) == 0);
    /* an empty fragment ("#" alone) may go: it names nothing */
    if (frag != NULL && frag[1] != '\0') {
        size_t fl = strlen(frag), ol = strlen(out);

        FZ_CHECK(ol >= fl && strcmp(out + ol - fl, frag) == 0);
    }
    if (click_id != NULL && strspn(click_id, ALNUM) == strlen(click_id))
        FZ_CHECK(strstr(out, click_id) != NULL);
}

static void build_both(const char *landing, const char *param, const char *click_id,
                       const struct tl_qparam *v, size_t nv, size_t cap)
{
    static char one[OUT_MAX], two[OUT_MAX];
    struct tl_location_parts parts;
    struct tl_arena *a = tl_arena_new(64 * 1024);
    enum tl_err e1, e2;

    if (a == NULL)
        abort();
    e1 = tl_location_build(landing, param, click_id, v, nv, one, cap);
    e2 = tl_location_split(landing, a, &parts);
    if (e2 == TL_OK)
        e2 = tl_location_compose(&parts, param, click_id, v, nv, two, cap);
    FZ_CHECK(e1 == e2);
    if (e1 == TL_OK) {
        FZ_CHECK(strcmp(one, two) == 0);
        FZ_CHECK(strlen(one) < cap);
        check_answer(landing, one, click_id);
    } else {
        FZ_CHECK(one[0] == '\0');
    }
    tl_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char landing[TL_URL_MAX + 1], host[TL_URL_HOST_LEN], dom[TL_URL_HOST_LEN];
    const char *domains[1] = {dom};
    struct tl_qparam v[12];
    struct fz_fields in;
    const char *param, *click_id;
    size_t i, nv = 0;

    if (size > 4 * TL_URL_MAX)
        return 0;
    fz_split(data, size, 15, &in);
    if (tl_url_host_of(in.f[0], host, sizeof(host)) != TL_OK ||
        tl_url_domain_normalize(host, dom, sizeof(dom), NULL) != TL_OK ||
        tl_url_landing_check(in.f[0], domains, 1, "landing", landing, sizeof(landing), NULL) !=
            TL_OK)
        goto out;
    param = in.f[1][0] != '\0' ? in.f[1] : "clickid";
    click_id = in.f[2][0] != '\0' ? in.f[2] : NULL;
    for (i = 3; i < in.n; i++) {
        char *eq = strchr(in.f[i], '=');

        v[nv].key = in.f[i];
        v[nv].value = NULL;
        if (eq != NULL) {
            *eq = '\0';
            v[nv].value = eq + 1;
        }
        nv++;
    }
    build_both(landing, param, click_id, v, nv, OUT_MAX);
    build_both(landing, param, click_id, v, nv, strlen(landing) + 24);
out:
    fz_free(&in);
    return 0;
}
