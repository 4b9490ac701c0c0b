/*
 * test_ops.c: the store above its backends (store/ops.c) over a fake
 * backend that gives only the required operations: the generic fallbacks
 * of the optional abilities (a queued write and a click batch done on the
 * caller's thread, with their callbacks called before the call returns),
 * tl_store_can, and the change events of writes that commit or fail.
 */
/* cmocka.h needs these first */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "store/backend.h"
#include "store/store.h"

static int writes, batches, changes;
static size_t stored;
static enum tl_err update_answer;

static enum tl_err fake_write(struct tl_store *s, tl_tx_fn fn, void *ctx)
{
    (void)s;
    writes++;
    return fn(NULL, ctx);
}

/* No click has any id: the attribution finds nothing. */
static enum tl_err fake_attribution(struct tl_tx *tx, const struct tl_actor *who,
                                    const char *click_id, struct tl_arena *a,
                                    struct tl_click_info *click, bool *found,
                                    struct tl_program *program, bool *has_program,
                                    struct tl_campaign *campaign, bool *has_campaign)
{
    (void)tx, (void)who, (void)click_id, (void)a, (void)click, (void)program, (void)campaign;
    *found = *has_program = *has_campaign = false;
    return TL_OK;
}

static enum tl_err fake_batch(struct tl_store *s, const struct tl_click *clicks, size_t n)
{
    (void)s, (void)clicks;
    batches++;
    stored += n;
    return TL_OK;
}

static enum tl_err fake_campaign_update(struct tl_store *s, const struct tl_actor *who,
                                        const struct tl_campaign *in)
{
    (void)s, (void)who, (void)in;
    return update_answer;
}

static const struct tl_backend_ops fake_ops = {
    .name = "fake",
    .write = fake_write,
    .attribution = fake_attribution,
    .click_batch = fake_batch,
    .campaign_update = fake_campaign_update,
};

static enum tl_err decide_none(void *ctx, const struct tl_click_info *click,
                               const struct tl_program *program, const struct tl_campaign *campaign,
                               struct tl_conversion *out)
{
    (void)ctx, (void)program, (void)campaign, (void)out;
    assert_null(click);
    return TL_ERR_NOTFOUND;
}

struct done_probe {
    int calls;
    enum tl_err err;
};

static void record_done(void *arg, enum tl_err err)
{
    struct done_probe *p = arg;

    p->calls++;
    p->err = err;
}

static struct tl_click batch[3];

static void *fill(void *ctx, const struct tl_click **clicks, size_t *n)
{
    (void)ctx;
    *clicks = batch;
    *n = 3;
    return batch;
}

static void batch_done(void *ctx, void *handle, enum tl_err err)
{
    struct done_probe *p = ctx;

    assert_ptr_equal(handle, batch);
    p->calls++;
    p->err = err;
}

static void count_change(void *ctx, const struct tl_change *c)
{
    (void)ctx;
    assert_int_equal(c->kind, TL_CHANGE_CAMPAIGN);
    assert_int_equal(c->campaign_id, 42);
    changes++;
}

static void test_fallbacks_run_on_the_caller(void **state)
{
    struct tl_store s;
    struct tl_actor brand = {7, TL_ACCOUNT_BRAND};
    struct tl_arena *a = tl_arena_new(1 << 16);
    struct tl_conversion out;
    struct done_probe p = {0, TL_OK};
    bool created = true;

    (void)state;
    assert_non_null(a);
    tl_store_init(&s, &fake_ops);
    assert_false(tl_store_can(&s, TL_STORE_QUEUED_WRITES));
    assert_string_equal(tl_store_name(&s), "fake");

    /* a queued conversion without the ability: done, then the return */
    assert_int_equal(TL_STORE(&s, conversion_record_async, &brand, "k", decide_none, NULL, a, &out,
                              &created, record_done, &p),
                     TL_OK);
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.err, TL_ERR_NOTFOUND);
    assert_false(created);
    assert_int_equal(writes, 1);

    /* a click batch decided late, stored at once */
    memset(&p, 0, sizeof(p));
    assert_int_equal(TL_STORE(&s, click_batch_async, fill, batch_done, &p), TL_OK);
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.err, TL_OK);
    assert_int_equal(batches, 1);
    assert_int_equal(stored, 3);
    tl_arena_free(a);
}

static void test_changes_follow_commits(void **state)
{
    struct tl_store s;
    struct tl_actor brand = {7, TL_ACCOUNT_BRAND};
    struct tl_campaign c;

    (void)state;
    tl_store_init(&s, &fake_ops);
    assert_int_equal(tl_store_subscribe(&s, count_change, NULL), TL_OK);
    memset(&c, 0, sizeof(c));
    c.id = 42;
    update_answer = TL_OK;
    assert_int_equal(TL_STORE(&s, campaign_update, &brand, &c), TL_OK);
    assert_int_equal(changes, 1);
    update_answer = TL_ERR_IO; /* not committed: nothing to tell */
    assert_int_equal(TL_STORE(&s, campaign_update, &brand, &c), TL_ERR_IO);
    assert_int_equal(changes, 1);
    while (tl_store_subscribe(&s, count_change, NULL) == TL_OK)
        ;
    assert_int_equal(TL_STORE(&s, campaign_update, &brand, &c), TL_ERR_IO);
    update_answer = TL_OK;
    assert_int_equal(TL_STORE(&s, campaign_update, &brand, &c), TL_OK);
    assert_int_equal(changes, 1 + TL_STORE_LISTENERS_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fallbacks_run_on_the_caller),
        cmocka_unit_test(test_changes_follow_commits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
