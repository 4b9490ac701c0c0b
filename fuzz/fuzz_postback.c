/*
 * fuzz_postback.c: partner postback templates (core/postback.c): the check
 * of a partner's URL when it is set, the expansion of its {macros} with a
 * conversion's values, and event names.
 *
 * Input lines: the template, then the values: click id, order id, event
 * type, currency, subId1-3, sharedid, and a line of numbers (conversion id,
 * amount, payout, program, campaign and task ids); the first byte of the
 * template line also picks allow_private. Checked: a template without "{"
 * expands to itself; a template without control bytes or spaces expands to
 * a URL without them (values are percent-encoded); the expansion never
 * passes TL_PB_EXPANDED_MAX.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/model.h"
#include "core/postback.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool clean(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_arena *a;
    struct tl_conversion c;
    struct tl_postback_vars v;
    struct tl_problem p;
    struct fz_fields in;
    long long n[6] = {0};
    char *out = NULL;
    enum tl_err err;
    int i;

    if (size > 16 * 1024)
        return 0;
    if (a == NULL && (a = tl_arena_new(1024 * 1024)) == NULL)
        abort();
    fz_split(data, size, 10, &in);
    memset(&c, 0, sizeof(c));
    c.click_id = in.f[1];
    c.order_id = in.f[2];
    c.event_type = in.f[3];
    c.currency = in.f[4];
    c.status = (enum tl_conversion_status)(size % 3);
    sscanf(in.f[9], "%lld %lld %lld %lld %lld %lld", &n[0], &n[1], &n[2], &n[3], &n[4], &n[5]);
    c.id = n[0];
    c.amount = n[1];
    c.payout = n[2];
    c.program_id = n[3];
    c.campaign_id = n[4];
    c.task_id = n[5];
    v.conv = &c;
    for (i = 0; i < 4; i++)
        v.sub[i] = in.f[5 + i][0] != '\0' ? in.f[5 + i] : NULL;

    (void)tl_postback_event_parse(in.f[3]);
    tl_problem_init(&p);
    err = tl_postback_url_check(in.f[0], size > 0 && (data[0] & 1), &p);
    FZ_CHECK(err == TL_OK || err == TL_ERR_INVALID || err == TL_ERR_NOMEM);
    if (err == TL_ERR_INVALID)
        FZ_CHECK(p.code != NULL && strcmp(p.field, "url") == 0);

    err = tl_postback_expand(in.f[0], &v, a, &out);
    if (err == TL_OK) {
        FZ_CHECK(out != NULL && strlen(out) < TL_PB_EXPANDED_MAX);
        if (strchr(in.f[0], '{') == NULL)
            FZ_CHECK(strcmp(out, in.f[0]) == 0);
        if (clean(in.f[0]))
            FZ_CHECK(clean(out));
    } else {
        FZ_CHECK(err == TL_ERR_TOOLARGE || err == TL_ERR_NOMEM);
    }
    err = tl_postback_expand(in.f[0], NULL, a, &out);
    FZ_CHECK(err != TL_OK || strlen(out) <= strlen(in.f[0]));
    tl_arena_reset(a);
    fz_free(&in);
    return 0;
}
