/*
 * test_store.c: the store's conformance suite, through store.h only:
 * accounts and keys, every operation with its tenancy rules, paging,
 * memberships, conflicts, the conversion lifecycle, asynchronous writes,
 * change events, and 64 concurrent writers and readers. It runs against
 * the backend named by TL_TEST_DB (an SQLite file when unset; see fx.h),
 * so that every backend passes the same tests.
 */
/* cmocka.h needs these first */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <time.h>

#include "fx.h"

struct seen {
    int calls;
    bool click, program, campaign;
    struct tl_click_info k;
    struct tl_program p;
    struct tl_campaign c;
    enum tl_err answer; /* what decide returns */
};

static enum tl_err decide_probe(void *ctx, const struct tl_click_info *click,
                                const struct tl_program *program,
                                const struct tl_campaign *campaign, struct tl_conversion *out)
{
    struct seen *x = ctx;

    x->calls++;
    x->click = click != NULL;
    x->program = program != NULL;
    x->campaign = campaign != NULL;
    if (click != NULL)
        x->k = *click;
    if (program != NULL)
        x->p = *program;
    if (campaign != NULL)
        x->c = *campaign;
    if (x->answer != TL_OK)
        return x->answer;
    memset(out, 0, sizeof(*out));
    out->click_id = click->click_id;
    out->order_id = "o-1";
    out->event_type = "sale";
    out->amount = 1000;
    out->currency = program->currency;
    out->payout = campaign->payout_amount;
    out->partner_id = click->partner_id;
    out->campaign_id = click->campaign_id;
    out->task_id = click->task_id;
    out->link_id = click->link_id;
    out->program_id = click->program_id;
    out->occurred_at = click->ts_ms + 1000;
    return TL_OK;
}

/* Stores one click of the partner on task 7 of cid, with subId1 "s1". */
static void mk_click(struct fx *f, const char *click_id, int64_t pid, int64_t cid)
{
    struct tl_click k;

    memset(&k, 0, sizeof(k));
    snprintf(k.click_id, sizeof(k.click_id), "%s", click_id);
    k.ts_ms = 1700000000000;
    k.partner_id = f->partner.account_id;
    k.task_id = 7;
    k.campaign_id = cid;
    k.program_id = pid;
    snprintf(k.currency, sizeof(k.currency), "USD");
    snprintf(k.sub[0], sizeof(k.sub[0]), "s1");
    assert_int_equal(TL_STORE(f->s, click_batch, &k, 1), TL_OK);
}

static void test_accounts(void **state)
{
    struct fx *f = *state;
    struct tl_account acc;
    struct tl_actor who;
    struct tl_account_new in = {0};
    unsigned char h[32];
    int64_t id = 0;

    key_of(h, 3);
    assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, NULL, NULL), TL_OK);
    assert_int_equal(who.account_id, f->partner.account_id);
    assert_int_equal(who.kind, TL_ACCOUNT_PARTNER);
    key_of(h, 1);
    assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, NULL, NULL), TL_OK);
    assert_int_equal(who.kind, TL_ACCOUNT_BRAND);
    key_of(h, 77);
    assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, NULL, NULL), TL_ERR_NOTFOUND);

    assert_int_equal(TL_STORE(f->s, account_get, f->partner.account_id, f->a, &acc), TL_OK);
    assert_int_equal(acc.kind, TL_ACCOUNT_PARTNER);
    assert_string_equal(acc.name, "Pat");
    assert_string_equal(acc.email, "pat@p.test");
    assert_true(acc.created_at > 1700000000000);
    assert_int_equal(TL_STORE(f->s, account_get, f->brand.account_id, f->a, &acc), TL_OK);
    assert_null(acc.email);
    assert_int_equal(TL_STORE(f->s, account_get, 999, f->a, &acc), TL_ERR_NOTFOUND);

    /* a taken user email (case does not matter) conflicts, and nothing stays */
    in.kind = TL_ACCOUNT_BRAND;
    in.name = "Dup";
    key_of(in.key_hash, 50);
    in.key_prefix = "tlk_x";
    in.user_email = "OWNER@acme.test";
    in.user_pw_hash = "h";
    assert_int_equal(TL_STORE(f->s, account_create, &in, &id), TL_ERR_CONFLICT);
    assert_int_equal(TL_STORE(f->s, actor_by_key, in.key_hash, &who, NULL, NULL), TL_ERR_NOTFOUND);
    /* a duplicate key hash conflicts too */
    in.user_email = NULL;
    key_of(in.key_hash, 2);
    assert_int_equal(TL_STORE(f->s, account_create, &in, &id), TL_ERR_CONFLICT);
    /* the next create still works */
    key_of(in.key_hash, 51);
    assert_int_equal(TL_STORE(f->s, account_create, &in, &id), TL_OK);
    assert_true(id > f->partner2.account_id);
}

static void nap_10ms(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};

    nanosleep(&ts, NULL);
}

/* Waits (generously) until the key's last-used time is at_ms. */
static void wait_key_used(struct fx *f, const unsigned char h[32], int64_t at_ms)
{
    struct tl_actor who;
    int64_t last = -1;

    for (int i = 0; i < 3000 && last != at_ms; i++) {
        assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, NULL, &last), TL_OK);
        if (last != at_ms)
            nap_10ms();
    }
    assert_int_equal(last, at_ms);
}

static void test_api_keys(void **state)
{
    struct fx *f = *state;
    struct tl_api_key k = {0}, k2 = {0}, *items;
    struct tl_page page = {0, 10};
    struct tl_actor who;
    unsigned char h[32], got[32];
    int64_t key_id = 0, last = -1;
    size_t n;
    bool more;

    /* a brand adds a key to itself; another's account is not found */
    k.account_id = f->brand.account_id;
    k.name = "ci";
    k.prefix = "tlk_ci";
    key_of(h, 60);
    assert_int_equal(TL_STORE(f->s, api_key_create, &f->brand, &k, h), TL_OK);
    assert_true(k.id > 0);
    assert_true(k.created_at > 1700000000000);
    assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, &key_id, &last), TL_OK);
    assert_int_equal(who.account_id, f->brand.account_id);
    assert_int_equal(key_id, k.id);
    assert_int_equal(last, 0);
    k2.account_id = f->brand.account_id;
    k2.name = "x";
    key_of(h, 61);
    assert_int_equal(TL_STORE(f->s, api_key_create, &f->partner, &k2, h), TL_ERR_NOTFOUND);
    /* a taken hash conflicts */
    key_of(h, 60);
    assert_int_equal(TL_STORE(f->s, api_key_create, &f->brand, &k2, h), TL_ERR_CONFLICT);
    /* the admin adds to any brand or partner */
    k2.account_id = f->partner2.account_id;
    key_of(h, 62);
    assert_int_equal(TL_STORE(f->s, api_key_create, &f->admin, &k2, h), TL_OK);

    /* lists: the caller's own (account_id ignored), the admin's by account or all */
    assert_int_equal(TL_STORE(f->s, api_key_list, &f->brand, f->partner.account_id, &page, f->a,
                              &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 2);
    assert_false(more);
    assert_true(items[0].id < items[1].id);
    assert_int_equal(items[1].id, k.id);
    assert_string_equal(items[1].name, "ci");
    assert_string_equal(items[1].prefix, "tlk_ci");
    assert_string_equal(items[0].name, "default");
    page.limit = 1;
    assert_int_equal(TL_STORE(f->s, api_key_list, &f->brand, 0, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 1);
    assert_true(more);
    page.after = items[0].id;
    assert_int_equal(TL_STORE(f->s, api_key_list, &f->brand, 0, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 1);
    assert_false(more);
    assert_int_equal(items[0].id, k.id);
    page = (struct tl_page){0, 10};
    assert_int_equal(TL_STORE(f->s, api_key_list, &f->admin, 0, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 6);
    assert_int_equal(TL_STORE(f->s, api_key_list, &f->admin, f->partner2.account_id, &page, f->a,
                              &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[1].id, k2.id);

    /* touches are queued; the latest time stays */
    key_of(h, 60);
    assert_int_equal(TL_STORE(f->s, api_key_touch, k.id, 1700000002000), TL_OK);
    assert_int_equal(TL_STORE(f->s, api_key_touch, k.id, 1700000001000), TL_OK);
    wait_key_used(f, h, 1700000002000);

    /* revoke: not another's; the last key of an account without a login stays */
    assert_int_equal(TL_STORE(f->s, api_key_revoke, &f->partner, k.id, got), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, api_key_revoke, &f->brand, k.id, got), TL_OK);
    assert_memory_equal(got, h, 32);
    assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, NULL, NULL), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, api_key_revoke, &f->brand, k.id, got), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, api_key_revoke, &f->admin, k2.id, got), TL_OK);
    key_of(h, 4);
    assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, &key_id, NULL), TL_OK);
    assert_int_equal(TL_STORE(f->s, api_key_revoke, &f->partner2, key_id, got), TL_ERR_CONFLICT);
    assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, NULL, NULL), TL_OK);
    /* the brand has a login: its last key may go */
    key_of(h, 1);
    assert_int_equal(TL_STORE(f->s, actor_by_key, h, &who, &key_id, NULL), TL_OK);
    assert_int_equal(TL_STORE(f->s, api_key_revoke, &f->brand, key_id, got), TL_OK);
}

static void test_sessions(void **state)
{
    struct fx *f = *state;
    struct tl_user u;
    struct tl_session a = {0}, b = {0}, c = {0}, got;
    int64_t now = 1800000000000;
    int i;

    assert_int_equal(TL_STORE(f->s, user_by_email, "Owner@ACME.test", f->a, &u), TL_OK);
    assert_int_equal(u.account_id, f->brand.account_id);
    assert_int_equal(u.kind, TL_ACCOUNT_BRAND);
    assert_string_equal(u.account_name, "Acme");
    assert_string_equal(u.email, "owner@acme.test");
    assert_string_equal(u.pw_hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
    assert_int_equal(TL_STORE(f->s, user_by_email, "nobody@acme.test", f->a, &u), TL_ERR_NOTFOUND);

    key_of(a.token_hash, 70);
    a.user_id = u.id;
    a.csrf_token = "csrf-a";
    a.created_at = now;
    a.expires_at = now + 1000;
    assert_int_equal(TL_STORE(f->s, session_create, &a, NULL), TL_OK);
    assert_true(a.id > 0);
    assert_int_equal(TL_STORE(f->s, session_get, a.token_hash, now + 999, f->a, &got), TL_OK);
    assert_int_equal(got.id, a.id);
    assert_int_equal(got.user_id, u.id);
    assert_string_equal(got.user_email, "owner@acme.test");
    assert_int_equal(got.actor.account_id, f->brand.account_id);
    assert_int_equal(got.actor.kind, TL_ACCOUNT_BRAND);
    assert_string_equal(got.account_name, "Acme");
    assert_string_equal(got.csrf_token, "csrf-a");
    assert_int_equal(got.created_at, now);
    assert_int_equal(got.expires_at, now + 1000);
    /* expired at its expiry */
    assert_int_equal(TL_STORE(f->s, session_get, a.token_hash, now + 1000, f->a, &got),
                     TL_ERR_NOTFOUND);

    /* a touch slides the expiry forward (queued), never back */
    assert_int_equal(TL_STORE(f->s, session_touch, a.id, now + 5000), TL_OK);
    assert_int_equal(TL_STORE(f->s, session_touch, a.id, now + 3000), TL_OK);
    for (i = 0; i < 3000; i++) {
        assert_int_equal(TL_STORE(f->s, session_get, a.token_hash, now, f->a, &got), TL_OK);
        if (got.expires_at == now + 5000)
            break;
        nap_10ms();
    }
    assert_int_equal(got.expires_at, now + 5000);

    /* a new session replacing a, in the same commit */
    key_of(b.token_hash, 71);
    b.user_id = u.id;
    b.csrf_token = "csrf-b";
    b.created_at = now + 1;
    b.expires_at = now + 100;
    assert_int_equal(TL_STORE(f->s, session_create, &b, a.token_hash), TL_OK);
    assert_true(b.id > 0);
    assert_int_equal(TL_STORE(f->s, session_get, a.token_hash, now, f->a, &got), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, session_get, b.token_hash, now, f->a, &got), TL_OK);
    /* a session created once b has expired removes b */
    key_of(c.token_hash, 72);
    c.user_id = u.id;
    c.csrf_token = "csrf-c";
    c.created_at = now + 100;
    c.expires_at = now + 10000;
    assert_int_equal(TL_STORE(f->s, session_create, &c, NULL), TL_OK);
    assert_int_equal(TL_STORE(f->s, session_get, b.token_hash, now, f->a, &got), TL_ERR_NOTFOUND);
    /* a taken token conflicts; a session needs a user and a CSRF token */
    c.created_at = now + 200;
    assert_int_equal(TL_STORE(f->s, session_create, &c, NULL), TL_ERR_CONFLICT);
    b.user_id = 0;
    assert_int_equal(TL_STORE(f->s, session_create, &b, NULL), TL_ERR_INVALID);

    assert_int_equal(TL_STORE(f->s, session_delete, c.token_hash), TL_OK);
    assert_int_equal(TL_STORE(f->s, session_get, c.token_hash, now, f->a, &got), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, session_delete, c.token_hash), TL_ERR_NOTFOUND);
}

static void test_programs(void **state)
{
    struct fx *f = *state;
    struct tl_program p, upd, *items;
    const char *one_domain[] = {"shop.test"};
    size_t n;
    bool more, created;
    int64_t id, id2;

    id = mk_program(f, &f->brand, "Main", "pbk1");
    id2 = mk_program(f, &f->brand2, "Theirs", "pbk2");
    /* a duplicate postback key conflicts */
    {
        struct tl_program dup = {0};
        int64_t x;

        dup.name = "Dup";
        dup.default_landing_page = "https://acme.test/";
        dup.postback_key = "pbk1";
        assert_int_equal(TL_STORE(f->s, program_create, &f->brand, &dup, &x), TL_ERR_CONFLICT);
        /* partners do not create programs */
        dup.postback_key = "pbk9";
        assert_int_equal(TL_STORE(f->s, program_create, &f->partner, &dup, &x), TL_ERR_NOTFOUND);
    }

    assert_int_equal(TL_STORE(f->s, program_get, &f->brand, id, f->a, &p), TL_OK);
    assert_int_equal(p.id, id);
    assert_int_equal(p.brand_id, f->brand.account_id);
    assert_string_equal(p.name, "Main");
    assert_string_equal(p.default_landing_page, "https://acme.test/");
    assert_int_equal(p.n_permitted_domains, 2);
    assert_string_equal(p.permitted_domains[0], "acme.test");
    assert_string_equal(p.permitted_domains[1], "*.acme.test");
    assert_string_equal(p.click_id_param, "clickid");
    assert_int_equal(p.referral_window_days, 30);
    assert_string_equal(p.currency, "USD");
    assert_string_equal(p.postback_key, "pbk1");
    assert_true(p.created_at > 0 && p.updated_at == p.created_at);

    /* tenancy */
    assert_int_equal(TL_STORE(f->s, program_get, &f->brand2, id, f->a, &p), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, program_get, &f->partner, id, f->a, &p), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, program_get, &f->admin, id2, f->a, &p), TL_OK);
    assert_int_equal(TL_STORE(f->s, program_get, &f->brand, 12345, f->a, &p), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, program_list, &f->brand, NULL, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, id);
    assert_false(more);
    assert_int_equal(TL_STORE(f->s, program_list, &f->admin, NULL, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(TL_STORE(f->s, program_list, &f->partner, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 0);

    /* a partner reads the programs they are members of */
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, id, f->partner.account_id, &created), TL_OK);
    assert_int_equal(TL_STORE(f->s, program_get, &f->partner, id, f->a, &p), TL_OK);
    assert_int_equal(TL_STORE(f->s, program_list, &f->partner, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].postback_key, "pbk1");

    /* update */
    memset(&upd, 0, sizeof(upd));
    upd.id = id;
    upd.name = "Renamed";
    upd.default_landing_page = "https://shop.test/x";
    upd.permitted_domains = one_domain;
    upd.n_permitted_domains = 1;
    upd.click_id_param = "cid";
    upd.referral_window_days = 7;
    upd.currency = "EUR";
    upd.postback_key = "pbk3";
    assert_int_equal(TL_STORE(f->s, program_update, &f->brand2, &upd), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, program_update, &f->partner, &upd), TL_ERR_NOTFOUND);
    upd.postback_key = "pbk2";
    assert_int_equal(TL_STORE(f->s, program_update, &f->brand, &upd), TL_ERR_CONFLICT);
    upd.postback_key = "pbk3";
    assert_int_equal(TL_STORE(f->s, program_update, &f->brand, &upd), TL_OK);
    assert_int_equal(TL_STORE(f->s, program_get, &f->brand, id, f->a, &p), TL_OK);
    assert_string_equal(p.name, "Renamed");
    assert_string_equal(p.default_landing_page, "https://shop.test/x");
    assert_int_equal(p.n_permitted_domains, 1);
    assert_string_equal(p.permitted_domains[0], "shop.test");
    assert_string_equal(p.click_id_param, "cid");
    assert_int_equal(p.referral_window_days, 7);
    assert_string_equal(p.currency, "EUR");
    assert_string_equal(p.postback_key, "pbk3");
    assert_true(p.updated_at >= p.created_at);
    upd.id = 9999;
    assert_int_equal(TL_STORE(f->s, program_update, &f->brand, &upd), TL_ERR_NOTFOUND);
}

static void test_landing_pages(void **state)
{
    struct fx *f = *state;
    struct tl_landing_page l, *items;
    size_t n;
    bool more, created;
    int64_t pid, pid2, lid, lid2, x;

    pid = mk_program(f, &f->brand, "Main", "k1");
    pid2 = mk_program(f, &f->brand2, "Theirs", "k2");
    lid = mk_lp(f, pid, "https://acme.test/a");
    lid2 = mk_lp(f, pid, "https://acme.test/b");
    assert_true(lid2 > lid);
    l.program_id = pid2;
    l.name = "x";
    l.url = "https://o.test/";
    l.created_at = 0;
    assert_int_equal(TL_STORE(f->s, landing_page_create, &f->brand, &l, &x), TL_ERR_NOTFOUND);

    assert_int_equal(TL_STORE(f->s, landing_page_get, &f->brand, lid, f->a, &l), TL_OK);
    assert_int_equal(l.program_id, pid);
    assert_string_equal(l.url, "https://acme.test/a");
    assert_string_equal(l.name, "LP");
    assert_int_equal(TL_STORE(f->s, landing_page_get, &f->brand2, lid, f->a, &l), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, landing_page_get, &f->partner, lid, f->a, &l), TL_ERR_NOTFOUND);
    assert_int_equal(
        TL_STORE(f->s, landing_page_list, &f->brand, pid, NULL, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, lid);
    assert_int_equal(items[1].id, lid2);
    assert_int_equal(
        TL_STORE(f->s, landing_page_list, &f->brand2, pid, NULL, f->a, &items, &n, &more),
        TL_ERR_NOTFOUND);
    /* a member partner may read them */
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->partner.account_id, &created),
        TL_OK);
    assert_int_equal(TL_STORE(f->s, landing_page_get, &f->partner, lid, f->a, &l), TL_OK);
    assert_int_equal(
        TL_STORE(f->s, landing_page_list, &f->partner, pid, NULL, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 2);
}

static void test_memberships(void **state)
{
    struct fx *f = *state;
    struct tl_membership *m;
    size_t n;
    bool more, created, yes;
    int64_t pid, cid, tid;

    pid = mk_program(f, &f->brand, "Main", "k1");
    /* program */
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->partner.account_id, &created),
        TL_OK);
    assert_true(created);
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->partner.account_id, &created),
        TL_OK);
    assert_false(created);
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->brand2.account_id, &created),
        TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, program_partner_add, &f->brand, pid, 4242, &created),
                     TL_ERR_NOTFOUND);
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand2, pid, f->partner2.account_id, &created),
        TL_ERR_NOTFOUND);
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->partner, pid, f->partner.account_id, &created),
        TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, program_partner_has, pid, f->partner.account_id, &yes), TL_OK);
    assert_true(yes);
    assert_int_equal(TL_STORE(f->s, program_partner_has, pid, f->partner2.account_id, &yes), TL_OK);
    assert_false(yes);
    assert_int_equal(
        TL_STORE(f->s, program_partner_list, &f->brand, pid, NULL, f->a, &m, &n, &more), TL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].partner_id, f->partner.account_id);
    assert_string_equal(m[0].name, "Pat");
    assert_string_equal(m[0].email, "pat@p.test");
    assert_true(m[0].created_at > 0);
    assert_int_equal(
        TL_STORE(f->s, program_partner_list, &f->brand2, pid, NULL, f->a, &m, &n, &more),
        TL_ERR_NOTFOUND);

    /* campaign: the partner must be in the program */
    cid = mk_campaign(f, pid, "C");
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_add, &f->brand, cid, f->partner2.account_id, &created),
        TL_ERR_INVALID);
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_add, &f->brand2, cid, f->partner.account_id, &created),
        TL_ERR_NOTFOUND);
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_add, &f->brand, cid, f->partner.account_id, &created),
        TL_OK);
    assert_true(created);
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_add, &f->brand, cid, f->partner.account_id, &created),
        TL_OK);
    assert_false(created);
    assert_int_equal(TL_STORE(f->s, campaign_partner_has, cid, f->partner.account_id, &yes), TL_OK);
    assert_true(yes);
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_list, &f->brand, cid, NULL, f->a, &m, &n, &more), TL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].email, "pat@p.test");
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_list, &f->partner, cid, NULL, f->a, &m, &n, &more),
        TL_ERR_NOTFOUND);

    /* task: the partner must be in the campaign */
    {
        struct tl_task t = {0};

        t.campaign_id = cid;
        t.title = "T";
        assert_int_equal(TL_STORE(f->s, task_create, &f->brand, &t, &tid), TL_OK);
    }
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->partner2.account_id, &created),
        TL_OK);
    assert_int_equal(
        TL_STORE(f->s, task_partner_add, &f->brand, tid, f->partner2.account_id, &created),
        TL_ERR_INVALID);
    assert_int_equal(
        TL_STORE(f->s, task_partner_add, &f->brand2, tid, f->partner.account_id, &created),
        TL_ERR_NOTFOUND);
    assert_int_equal(
        TL_STORE(f->s, task_partner_add, &f->brand, tid, f->partner.account_id, &created), TL_OK);
    assert_true(created);
    assert_int_equal(
        TL_STORE(f->s, task_partner_add, &f->brand, tid, f->partner.account_id, &created), TL_OK);
    assert_false(created);
    assert_int_equal(TL_STORE(f->s, task_partner_list, &f->brand, tid, NULL, f->a, &m, &n, &more),
                     TL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].partner_id, f->partner.account_id);
    assert_int_equal(TL_STORE(f->s, task_partner_list, &f->brand2, tid, NULL, f->a, &m, &n, &more),
                     TL_ERR_NOTFOUND);
}

static void test_campaigns(void **state)
{
    struct fx *f = *state;
    struct tl_campaign c, got, *items;
    struct tl_campaign_filter flt;
    int64_t lps[2], bad_lp[1];
    size_t n;
    bool more, created;
    int64_t pid, pid2, cid, cid2, cid3, x;

    pid = mk_program(f, &f->brand, "Main", "k1");
    pid2 = mk_program(f, &f->brand, "Second", "k2");
    lps[0] = mk_lp(f, pid, "https://acme.test/b");
    lps[1] = mk_lp(f, pid, "https://acme.test/a");
    bad_lp[0] = mk_lp(f, pid2, "https://acme.test/c");

    c = campaign_in(pid, "Winter");
    c.lp_mode = TL_LP_BRAND_SELECTED;
    c.landing_page_ids = lps;
    c.n_landing_page_ids = 2;
    assert_int_equal(TL_STORE(f->s, campaign_create, &f->brand, &c, &cid), TL_OK);
    c.landing_page_ids = bad_lp;
    c.n_landing_page_ids = 1;
    assert_int_equal(TL_STORE(f->s, campaign_create, &f->brand, &c, &x), TL_ERR_INVALID);
    assert_int_equal(TL_STORE(f->s, campaign_create, &f->brand2, &c, &x), TL_ERR_NOTFOUND);
    c = campaign_in(pid, "Draft one");
    c.status = TL_CAMPAIGN_DRAFT;
    c.payout_type = TL_PAYOUT_PERCENT;
    c.payout_rate_bp = 1000;
    assert_int_equal(TL_STORE(f->s, campaign_create, &f->brand, &c, &cid2), TL_OK);
    cid3 = mk_campaign(f, pid2, "Other program");

    assert_int_equal(TL_STORE(f->s, campaign_get, &f->brand, cid, f->a, &got), TL_OK);
    assert_int_equal(got.program_id, pid);
    assert_int_equal(got.brand_id, f->brand.account_id);
    assert_string_equal(got.name, "Winter");
    assert_int_equal(got.status, TL_CAMPAIGN_ACTIVE);
    assert_true(got.tracking_enabled);
    assert_int_equal(got.lp_mode, TL_LP_BRAND_SELECTED);
    assert_int_equal(got.n_landing_page_ids, 2);
    assert_int_equal(got.landing_page_ids[0], lps[0]);
    assert_int_equal(got.landing_page_ids[1], lps[1]);
    assert_int_equal(got.payout_type, TL_PAYOUT_FIXED);
    assert_int_equal(got.payout_amount, 500);
    assert_int_equal(TL_STORE(f->s, campaign_get, &f->brand, cid2, f->a, &got), TL_OK);
    assert_int_equal(got.payout_type, TL_PAYOUT_PERCENT);
    assert_int_equal(got.payout_rate_bp, 1000);
    assert_int_equal(got.n_landing_page_ids, 0);
    assert_int_equal(TL_STORE(f->s, campaign_get, &f->brand2, cid, f->a, &got), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, campaign_get, &f->partner, cid, f->a, &got), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, campaign_get, &f->admin, cid, f->a, &got), TL_OK);

    /* filters */
    flt.status = -1;
    flt.program_id = 0;
    assert_int_equal(TL_STORE(f->s, campaign_list, &f->brand, &flt, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(items[0].id, cid);
    assert_int_equal(items[0].n_landing_page_ids, 2);
    flt.status = TL_CAMPAIGN_ACTIVE;
    assert_int_equal(TL_STORE(f->s, campaign_list, &f->brand, &flt, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 2);
    flt.program_id = pid;
    assert_int_equal(TL_STORE(f->s, campaign_list, &f->brand, &flt, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, cid);
    flt.status = -1;
    assert_int_equal(TL_STORE(f->s, campaign_list, &f->brand2, &flt, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(TL_STORE(f->s, campaign_list, &f->brand, NULL, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 3);

    /* a partner sees only the campaigns they are in */
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->partner.account_id, &created),
        TL_OK);
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_add, &f->brand, cid2, f->partner.account_id, &created),
        TL_OK);
    assert_int_equal(
        TL_STORE(f->s, campaign_list, &f->partner, NULL, NULL, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, cid2);
    assert_int_equal(TL_STORE(f->s, campaign_get, &f->partner, cid2, f->a, &got), TL_OK);
    assert_int_equal(TL_STORE(f->s, campaign_get, &f->partner, cid, f->a, &got), TL_ERR_NOTFOUND);
    assert_int_equal(
        TL_STORE(f->s, campaign_list, &f->partner2, NULL, NULL, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 0);

    /* update */
    c = campaign_in(pid, "Winter II");
    c.id = cid;
    c.status = TL_CAMPAIGN_PAUSED;
    c.tracking_enabled = false;
    c.lp_mode = TL_LP_BRAND_SELECTED;
    c.landing_page_ids = &lps[1];
    c.n_landing_page_ids = 1;
    c.payout_type = TL_PAYOUT_PERCENT;
    c.payout_rate_bp = 250;
    assert_int_equal(TL_STORE(f->s, campaign_update, &f->brand2, &c), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, campaign_update, &f->partner, &c), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, campaign_update, &f->brand, &c), TL_OK);
    assert_int_equal(TL_STORE(f->s, campaign_get, &f->brand, cid, f->a, &got), TL_OK);
    assert_string_equal(got.name, "Winter II");
    assert_int_equal(got.status, TL_CAMPAIGN_PAUSED);
    assert_false(got.tracking_enabled);
    assert_int_equal(got.n_landing_page_ids, 1);
    assert_int_equal(got.landing_page_ids[0], lps[1]);
    assert_int_equal(got.payout_type, TL_PAYOUT_PERCENT);
    assert_int_equal(got.payout_rate_bp, 250);
    /* an invalid update changes nothing */
    c.name = "Nope";
    c.landing_page_ids = bad_lp;
    assert_int_equal(TL_STORE(f->s, campaign_update, &f->brand, &c), TL_ERR_INVALID);
    assert_int_equal(TL_STORE(f->s, campaign_get, &f->brand, cid, f->a, &got), TL_OK);
    assert_string_equal(got.name, "Winter II");
    assert_int_equal(got.n_landing_page_ids, 1);
    c.id = 99999;
    assert_int_equal(TL_STORE(f->s, campaign_update, &f->brand, &c), TL_ERR_NOTFOUND);
    (void)cid3;
}

static void test_tasks(void **state)
{
    struct fx *f = *state;
    struct tl_task t, got, *items;
    int64_t pids[2];
    size_t n;
    bool more, created;
    int64_t pid, cid, cid2, tid, tid2, tid3, x;

    pid = mk_program(f, &f->brand, "Main", "k1");
    cid = mk_campaign(f, pid, "C1");
    cid2 = mk_campaign(f, pid, "C2");
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->partner.account_id, &created),
        TL_OK);
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->partner2.account_id, &created),
        TL_OK);
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_add, &f->brand, cid, f->partner.account_id, &created),
        TL_OK);
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_add, &f->brand, cid, f->partner2.account_id, &created),
        TL_OK);

    memset(&t, 0, sizeof(t));
    t.campaign_id = cid;
    t.title = "Post a review";
    t.description = "Long text";
    t.due_at = 1800000000000;
    pids[0] = f->partner2.account_id;
    pids[1] = f->partner.account_id;
    t.partner_ids = pids;
    t.n_partner_ids = 2;
    assert_int_equal(TL_STORE(f->s, task_create, &f->brand, &t, &tid), TL_OK);
    t.title = "Second";
    t.description = NULL;
    t.due_at = 0;
    t.n_partner_ids = 0;
    assert_int_equal(TL_STORE(f->s, task_create, &f->brand, &t, &tid2), TL_OK);
    /* a partner not in the campaign: nothing is created */
    t.campaign_id = cid2;
    t.partner_ids = pids;
    t.n_partner_ids = 1;
    assert_int_equal(TL_STORE(f->s, task_create, &f->brand, &t, &x), TL_ERR_INVALID);
    t.n_partner_ids = 0;
    assert_int_equal(TL_STORE(f->s, task_create, &f->brand2, &t, &x), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, task_create, &f->partner, &t, &x), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, task_create, &f->brand, &t, &tid3), TL_OK);
    assert_int_equal(tid3, tid2 + 1); /* the failed create left no row */

    assert_int_equal(TL_STORE(f->s, task_get, &f->brand, tid, f->a, &got), TL_OK);
    assert_int_equal(got.campaign_id, cid);
    assert_int_equal(got.program_id, pid);
    assert_string_equal(got.title, "Post a review");
    assert_string_equal(got.description, "Long text");
    assert_int_equal(got.due_at, 1800000000000);
    assert_int_equal(got.n_partner_ids, 2);
    assert_true(got.partner_ids[0] < got.partner_ids[1]);
    assert_int_equal(TL_STORE(f->s, task_get, &f->brand, tid2, f->a, &got), TL_OK);
    assert_null(got.description);
    assert_int_equal(got.due_at, 0);
    assert_int_equal(got.n_partner_ids, 0);
    assert_int_equal(TL_STORE(f->s, task_get, &f->brand2, tid, f->a, &got), TL_ERR_NOTFOUND);
    /* partners see their own tasks only, and only themselves in partner_ids */
    assert_int_equal(TL_STORE(f->s, task_get, &f->partner, tid, f->a, &got), TL_OK);
    assert_int_equal(got.n_partner_ids, 1);
    assert_int_equal(got.partner_ids[0], f->partner.account_id);
    assert_int_equal(TL_STORE(f->s, task_get, &f->partner, tid2, f->a, &got), TL_ERR_NOTFOUND);

    /* lists */
    assert_int_equal(TL_STORE(f->s, task_list, &f->brand, cid, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, tid);
    assert_int_equal(items[1].id, tid2);
    assert_int_equal(TL_STORE(f->s, task_list, &f->brand, 0, NULL, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(TL_STORE(f->s, task_list, &f->brand2, cid, NULL, f->a, &items, &n, &more),
                     TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, task_list, &f->brand2, 0, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(TL_STORE(f->s, task_list, &f->partner, cid, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, tid);
    assert_int_equal(TL_STORE(f->s, task_list, &f->partner, 0, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 1);
    /* a partner not in campaign 2 cannot list its tasks */
    assert_int_equal(TL_STORE(f->s, task_list, &f->partner, cid2, NULL, f->a, &items, &n, &more),
                     TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, task_list, &f->admin, 0, NULL, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 3);

    /* assigning later makes the task visible */
    assert_int_equal(
        TL_STORE(f->s, task_partner_add, &f->brand, tid2, f->partner.account_id, &created), TL_OK);
    assert_true(created);
    assert_int_equal(TL_STORE(f->s, task_list, &f->partner, 0, NULL, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 2);

    /* update */
    memset(&t, 0, sizeof(t));
    t.id = tid;
    t.title = "New title";
    t.description = NULL;
    t.due_at = 0;
    assert_int_equal(TL_STORE(f->s, task_update, &f->brand2, &t), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, task_update, &f->partner, &t), TL_ERR_NOTFOUND);
    assert_int_equal(TL_STORE(f->s, task_update, &f->brand, &t), TL_OK);
    assert_int_equal(TL_STORE(f->s, task_get, &f->brand, tid, f->a, &got), TL_OK);
    assert_string_equal(got.title, "New title");
    assert_null(got.description);
    assert_int_equal(got.due_at, 0);
    assert_int_equal(got.n_partner_ids, 2);
    t.id = 4242;
    assert_int_equal(TL_STORE(f->s, task_update, &f->brand, &t), TL_ERR_NOTFOUND);
}

static void test_async_jobs(void **state)
{
    struct fx *f = *state;
    struct tl_click k[2];
    struct tl_conversion out;
    struct async_wait w;
    struct seen x;
    bool created = true;
    int64_t pid, cid;
    int i;

    pid = mk_program(f, &f->brand, "Main", "k1");
    cid = mk_campaign(f, pid, "C1");
    memset(k, 0, sizeof(k));
    for (i = 0; i < 2; i++) {
        snprintf(k[i].click_id, sizeof(k[i].click_id), "as-%d", i);
        k[i].ts_ms = 1700000000000 + i;
        k[i].partner_id = f->partner.account_id;
        k[i].task_id = 7;
        k[i].campaign_id = cid;
        k[i].program_id = pid;
        snprintf(k[i].currency, sizeof(k[i].currency), "USD");
    }

    /* A click batch decided when the writer gets to it. */
    async_init(&w);
    w.clicks = k;
    w.n = 2;
    assert_int_equal(TL_STORE(f->s, click_batch_async, fill_probe, batch_done_probe, &w), TL_OK);
    async_wait_done(&w);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.fills, 1);
    assert_int_equal(w.err, TL_OK);
    assert_ptr_equal(w.handle, &w);
    memset(&x, 0, sizeof(x));
    x.answer = TL_ERR_NOTFOUND;
    assert_int_equal(TL_STORE(f->s, conversion_record, &f->brand, "as-1", decide_probe, &x, f->a,
                              &out, &created),
                     TL_ERR_NOTFOUND);
    assert_true(x.click); /* stored */

    /* An empty one is called back all the same. */
    async_init(&w);
    assert_int_equal(TL_STORE(f->s, click_batch_async, fill_probe, batch_done_probe, &w), TL_OK);
    async_wait_done(&w);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.err, TL_OK);

    /* A conversion recorded without waiting: *out and *created are filled
     * when done is called. */
    async_init(&w);
    memset(&x, 0, sizeof(x));
    x.answer = TL_OK;
    assert_int_equal(TL_STORE(f->s, conversion_record_async, &f->brand, "as-0", decide_probe, &x,
                              f->a, &out, &created, record_done_probe, &w),
                     TL_OK);
    async_wait_done(&w);
    assert_int_equal(w.err, TL_OK);
    assert_true(created);
    assert_true(out.id > 0);
    assert_string_equal(out.click_id, "as-0");

    /* The same order again: a replay, not created. */
    async_init(&w);
    assert_int_equal(TL_STORE(f->s, conversion_record_async, &f->brand, "as-0", decide_probe, &x,
                              f->a, &out, &created, record_done_probe, &w),
                     TL_OK);
    async_wait_done(&w);
    assert_int_equal(w.err, TL_OK);
    assert_false(created);

    /* A refusal comes back as the job's error. */
    async_init(&w);
    x.answer = TL_ERR_INVALID;
    assert_int_equal(TL_STORE(f->s, conversion_record_async, &f->brand, "as-1", decide_probe, &x,
                              f->a, &out, &created, record_done_probe, &w),
                     TL_OK);
    async_wait_done(&w);
    assert_int_equal(w.err, TL_ERR_INVALID);
    assert_false(created);
}

static void test_conversion_record(void **state)
{
    struct fx *f = *state;
    struct tl_conversion out;
    struct seen x;
    bool created;
    int64_t pid, cid;

    pid = mk_program(f, &f->brand, "Main", "k1");
    cid = mk_campaign(f, pid, "C1");
    mk_click(f, "c-1", pid, cid);

    /* no such click */
    memset(&x, 0, sizeof(x));
    x.answer = TL_ERR_NOTFOUND;
    assert_int_equal(TL_STORE(f->s, conversion_record, &f->brand, "nope", decide_probe, &x, f->a,
                              &out, &created),
                     TL_ERR_NOTFOUND);
    assert_int_equal(x.calls, 1);
    assert_false(x.click);
    assert_false(x.program);
    assert_false(x.campaign);
    assert_false(created);

    /* another brand's click: its program is not visible */
    memset(&x, 0, sizeof(x));
    x.answer = TL_ERR_NOTFOUND;
    assert_int_equal(TL_STORE(f->s, conversion_record, &f->brand2, "c-1", decide_probe, &x, f->a,
                              &out, &created),
                     TL_ERR_NOTFOUND);
    assert_true(x.click);
    assert_false(x.program);
    assert_true(x.campaign);

    /* the owner sees all three; a refusal stores nothing */
    memset(&x, 0, sizeof(x));
    x.answer = TL_ERR_INVALID;
    assert_int_equal(
        TL_STORE(f->s, conversion_record, &f->brand, "c-1", decide_probe, &x, f->a, &out, &created),
        TL_ERR_INVALID);
    assert_true(x.click && x.program && x.campaign);
    assert_string_equal(x.k.click_id, "c-1");
    assert_int_equal(x.k.ts_ms, 1700000000000);
    assert_int_equal(x.k.partner_id, f->partner.account_id);
    assert_int_equal(x.k.task_id, 7);
    assert_int_equal(x.k.campaign_id, cid);
    assert_int_equal(x.k.program_id, pid);
    assert_int_equal(x.k.link_id, 0);
    assert_string_equal(x.k.sub[0], "s1");
    assert_null(x.k.sub[1]);
    assert_int_equal(x.p.id, pid);
    assert_int_equal(x.p.brand_id, f->brand.account_id);
    assert_int_equal(x.p.referral_window_days, 30);
    assert_string_equal(x.p.currency, "USD");
    assert_int_equal(x.c.id, cid);
    assert_int_equal(x.c.program_id, pid);
    assert_int_equal(x.c.brand_id, f->brand.account_id);
    assert_int_equal(x.c.status, TL_CAMPAIGN_ACTIVE);
    assert_true(x.c.tracking_enabled);
    assert_int_equal(x.c.payout_type, TL_PAYOUT_FIXED);
    assert_int_equal(x.c.payout_amount, 500);
    assert_int_equal(TL_STORE(f->s, conversion_get, &f->brand, 1, f->a, &out), TL_ERR_NOTFOUND);

    /* accepted: created once, then found */
    memset(&x, 0, sizeof(x));
    assert_int_equal(
        TL_STORE(f->s, conversion_record, &f->brand, "c-1", decide_probe, &x, f->a, &out, &created),
        TL_OK);
    assert_true(created);
    assert_int_equal(out.status, TL_CONV_PENDING);
    assert_string_equal(out.order_id, "o-1");
    assert_int_equal(out.payout, 500);
    assert_int_equal(out.occurred_at, 1700000001000);
    assert_true(out.created_at > 0);
    memset(&x, 0, sizeof(x));
    assert_int_equal(
        TL_STORE(f->s, conversion_record, &f->brand, "c-1", decide_probe, &x, f->a, &out, &created),
        TL_OK);
    assert_false(created);
    assert_int_equal(out.id, 1);

    /* partners do not record conversions */
    memset(&x, 0, sizeof(x));
    assert_int_equal(TL_STORE(f->s, conversion_record, &f->partner, "c-1", decide_probe, &x, f->a,
                              &out, &created),
                     TL_ERR_NOTFOUND);
    assert_int_equal(x.calls, 0);
}

static void test_paging(void **state)
{
    struct fx *f = *state;
    struct tl_program *items;
    struct tl_membership *m;
    struct tl_page page;
    int64_t ids[7];
    char key[16];
    size_t n;
    bool more, created;
    int i;

    for (i = 0; i < 7; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        ids[i] = mk_program(f, &f->brand, "P", key);
    }
    mk_program(f, &f->brand2, "Theirs", "theirs");
    page.after = 0;
    page.limit = 3;
    assert_int_equal(TL_STORE(f->s, program_list, &f->brand, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 3);
    assert_true(more);
    assert_int_equal(items[0].id, ids[0]);
    assert_int_equal(items[2].id, ids[2]);
    page.after = items[2].id;
    assert_int_equal(TL_STORE(f->s, program_list, &f->brand, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 3);
    assert_true(more);
    assert_int_equal(items[0].id, ids[3]);
    page.after = items[2].id;
    assert_int_equal(TL_STORE(f->s, program_list, &f->brand, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 1);
    assert_false(more);
    assert_int_equal(items[0].id, ids[6]);
    /* exactly a page: no more */
    page.after = ids[3];
    assert_int_equal(TL_STORE(f->s, program_list, &f->brand, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 3);
    assert_false(more);
    page.after = ids[6];
    assert_int_equal(TL_STORE(f->s, program_list, &f->brand, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 0);
    assert_false(more);

    /* membership lists page by partner id */
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, ids[0], f->partner.account_id, &created),
        TL_OK);
    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, ids[0], f->partner2.account_id, &created),
        TL_OK);
    page.after = 0;
    page.limit = 1;
    assert_int_equal(
        TL_STORE(f->s, program_partner_list, &f->brand, ids[0], &page, f->a, &m, &n, &more), TL_OK);
    assert_int_equal(n, 1);
    assert_true(more);
    assert_int_equal(m[0].partner_id, f->partner.account_id);
    page.after = m[0].partner_id;
    assert_int_equal(
        TL_STORE(f->s, program_partner_list, &f->brand, ids[0], &page, f->a, &m, &n, &more), TL_OK);
    assert_int_equal(n, 1);
    assert_false(more);
    assert_int_equal(m[0].partner_id, f->partner2.account_id);
}

static void test_arena_exhausted(void **state)
{
    struct fx *f = *state;
    struct tl_arena *tiny = tl_arena_new(16);
    struct tl_program p;
    int64_t id = mk_program(f, &f->brand, "A program with a long enough name", "k");

    assert_non_null(tiny);
    assert_int_equal(TL_STORE(f->s, program_get, &f->brand, id, tiny, &p), TL_ERR_NOMEM);
    tl_arena_free(tiny);
}

/* Half the threads race for one postback key: one wins, the rest conflict,
 * and the other half's writes, committed in the same batches, all land. */
struct racer {
    struct fx *f;
    int index;
    enum tl_err err;
};

static void *racer_main(void *arg)
{
    struct racer *r = arg;
    struct tl_program p = {0};
    char key[32];
    int64_t id;

    snprintf(key, sizeof(key), "own-%d", r->index);
    p.name = "Race";
    p.default_landing_page = "https://acme.test/";
    p.postback_key = r->index % 2 == 0 ? "contended" : key;
    r->err = TL_STORE(r->f->s, program_create, &r->f->brand, &p, &id);
    return NULL;
}

static void test_batch_isolation(void **state)
{
    struct fx *f = *state;
    struct racer r[32];
    pthread_t th[32];
    struct tl_program *items;
    struct tl_page page = {0, TL_LIST_MAX};
    size_t n;
    bool more;
    int i, ok = 0, conflict = 0;

    for (i = 0; i < 32; i++) {
        r[i].f = f;
        r[i].index = i;
        assert_int_equal(pthread_create(&th[i], NULL, racer_main, &r[i]), 0);
    }
    for (i = 0; i < 32; i++) {
        pthread_join(th[i], NULL);
        if (i % 2 == 1) {
            assert_int_equal(r[i].err, TL_OK);
        } else if (r[i].err == TL_OK) {
            ok++;
        } else {
            assert_int_equal(r[i].err, TL_ERR_CONFLICT);
            conflict++;
        }
    }
    assert_int_equal(ok, 1);
    assert_int_equal(conflict, 15);
    assert_int_equal(TL_STORE(f->s, program_list, &f->brand, &page, f->a, &items, &n, &more),
                     TL_OK);
    assert_int_equal(n, 17);
}

/* ------------------------------------------------------------------ */
/* concurrency: 64 writers and readers at once, and group commit */

/* 64 writers and readers at once: every write lands, once. */
static void test_concurrency(void **state)
{
    struct fx *f = *state;
    struct tl_campaign_filter flt = {-1, 0};
    struct tl_page page = {0, TL_LIST_MAX};
    struct tl_campaign *items;
    size_t n, total = 0;
    bool more = true;
    int64_t pid = mk_program(f, &f->brand, "Busy", "busy");

    run_workers(f, pid);
    while (more) {
        assert_int_equal(
            TL_STORE(f->s, campaign_list, &f->brand, &flt, &page, f->a, &items, &n, &more), TL_OK);
        total += n;
        if (n > 0)
            page.after = items[n - 1].id;
    }
    assert_int_equal(total, THREADS * WRITES);
}

/* Refused conversion attempts: a batch, the brand's list and its filters,
 * and pruning by age and by count per (brand, program) in several jobs. */
static void test_rejections(void **state)
{
    struct fx *f = *state;
    static struct tl_rejection r[2600];
    struct tl_rejection *items;
    struct tl_rejection_filter flt = {0, NULL, false};
    struct tl_page page = {0, 500};
    uint64_t removed = 0;
    size_t n, i;
    bool more;

    memset(r, 0, sizeof(r));
    for (i = 0; i < 2600; i++) {
        r[i].brand_id = f->brand.account_id;
        r[i].program_id = i < 2500 ? 7 : 0; /* 100 with no program */
        r[i].code = i % 2 ? "currency_mismatch" : "click_not_found";
        r[i].status = i % 2 ? 422 : 404;
        r[i].detail = "d";
        r[i].order_id = "o";
        r[i].has_amount = i == 0;
        r[i].facts = "{}";
        r[i].received_at = i < 10 ? 1000 : 5000; /* ten old ones */
    }
    r[0].field = "currency";
    r[0].postback = true;
    assert_int_equal(TL_STORE(f->s, rejection_add, r, 2600), TL_OK);
    r[0].brand_id = f->brand2.account_id;
    assert_int_equal(TL_STORE(f->s, rejection_add, r, 1), TL_OK);

    /* the brand's, ascending, filtered; another brand and a partner see theirs only */
    assert_int_equal(
        TL_STORE(f->s, rejection_list, &f->brand, &flt, &page, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 500);
    assert_true(more);
    assert_int_equal(items[0].brand_id, f->brand.account_id);
    assert_true(items[0].postback && items[0].has_amount && !items[1].has_amount);
    assert_string_equal(items[0].field, "currency");
    assert_null(items[1].field);
    assert_true(items[0].id < items[1].id);
    flt.program_id = 7;
    flt.code = "currency_mismatch";
    page.after = items[499].id;
    assert_int_equal(
        TL_STORE(f->s, rejection_list, &f->brand, &flt, &page, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 500);
    for (i = 0; i < n; i++) {
        assert_int_equal(items[i].program_id, 7);
        assert_string_equal(items[i].code, "currency_mismatch");
    }
    page.after = 0;
    flt.code = "click_not_found";
    assert_int_equal(
        TL_STORE(f->s, rejection_list, &f->brand2, &flt, &page, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].brand_id, f->brand2.account_id);
    assert_int_equal(
        TL_STORE(f->s, rejection_list, &f->partner, NULL, &page, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 0);

    /* by age: the ten old ones (of the brand) and brand2's one */
    assert_int_equal(TL_STORE(f->s, rejection_prune, 2000, 0, &removed), TL_OK);
    assert_int_equal(removed, 11);
    /* by count: 2490 of program 7 down to 20 (three jobs), 100 without one to 20 */
    assert_int_equal(TL_STORE(f->s, rejection_prune, 0, 20, &removed), TL_OK);
    assert_int_equal(removed, 2470 + 80);
    flt.code = NULL;
    flt.program_id = 7;
    assert_int_equal(
        TL_STORE(f->s, rejection_list, &f->brand, &flt, &page, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 20);
    flt.program_id = 0;
    assert_int_equal(
        TL_STORE(f->s, rejection_list, &f->brand, &flt, &page, f->a, &items, &n, &more), TL_OK);
    assert_int_equal(n, 40);
    assert_int_equal(items[39].program_id, 0); /* the newest are kept */
    assert_int_equal(TL_STORE(f->s, rejection_prune, 0, 20, &removed), TL_OK);
    assert_int_equal(removed, 0);
}

/* ---- change events ---- */

struct heard {
    int n;
    struct tl_change c[16];
    unsigned char hash[32];
};

static void listen_probe(void *ctx, const struct tl_change *change)
{
    struct heard *h = ctx;

    if (h->n < 16)
        h->c[h->n] = *change;
    if (change->key_hash != NULL)
        memcpy(h->hash, change->key_hash, 32);
    h->n++;
}

/* The last change heard, of the kind expected. */
static const struct tl_change *heard_last(struct heard *h, int n, enum tl_change_kind kind)
{
    assert_int_equal(h->n, n);
    assert_int_equal(h->c[n - 1].kind, kind);
    return &h->c[n - 1];
}

/* Every write that a cache depends on is announced once it committed, with
 * the ids the cache needs; a write that fails announces nothing. */
static void test_change_events(void **state)
{
    struct fx *f = *state;
    struct heard h;
    struct tl_program p;
    struct tl_campaign c;
    struct tl_task t;
    struct tl_link l, out;
    struct tl_api_key k;
    unsigned char hash[32], got[32];
    int64_t pid, cid, tid, pids[1];
    size_t made;
    bool created;
    int n = 0;

    memset(&h, 0, sizeof(h));
    assert_int_equal(tl_store_subscribe(f->s, listen_probe, &h), TL_OK);
    pid = mk_program(f, &f->brand, "Main", "k1");
    cid = mk_campaign(f, pid, "C1");
    assert_int_equal(h.n, 0); /* creations change nothing cached */

    assert_int_equal(TL_STORE(f->s, program_get, &f->brand, pid, f->a, &p), TL_OK);
    p.name = "Renamed";
    assert_int_equal(TL_STORE(f->s, program_update, &f->brand, &p), TL_OK);
    assert_int_equal(heard_last(&h, ++n, TL_CHANGE_PROGRAM)->id, pid);
    assert_int_equal(TL_STORE(f->s, program_update, &f->brand2, &p), TL_ERR_NOTFOUND);
    assert_int_equal(h.n, n);

    assert_int_equal(TL_STORE(f->s, campaign_get, &f->brand, cid, f->a, &c), TL_OK);
    c.status = TL_CAMPAIGN_PAUSED;
    assert_int_equal(TL_STORE(f->s, campaign_update, &f->brand, &c), TL_OK);
    assert_int_equal(heard_last(&h, ++n, TL_CHANGE_CAMPAIGN)->campaign_id, cid);

    assert_int_equal(
        TL_STORE(f->s, program_partner_add, &f->brand, pid, f->partner.account_id, &created),
        TL_OK);
    assert_int_equal(
        TL_STORE(f->s, campaign_partner_add, &f->brand, cid, f->partner.account_id, &created),
        TL_OK);
    assert_int_equal(h.n, n);
    memset(&t, 0, sizeof(t));
    t.campaign_id = cid;
    t.title = "T";
    assert_int_equal(TL_STORE(f->s, task_create, &f->brand, &t, &tid), TL_OK);
    assert_int_equal(h.n, n); /* no partners assigned */
    assert_int_equal(
        TL_STORE(f->s, task_partner_add, &f->brand, tid, f->partner.account_id, &created), TL_OK);
    assert_true(created);
    assert_int_equal(heard_last(&h, ++n, TL_CHANGE_TASK_PARTNERS)->campaign_id, cid);
    assert_int_equal(h.c[n - 1].id, tid);
    assert_int_equal(
        TL_STORE(f->s, task_partner_add, &f->brand, tid, f->partner.account_id, &created), TL_OK);
    assert_false(created);
    assert_int_equal(h.n, n); /* already assigned: nothing changed */
    pids[0] = f->partner.account_id;
    t.partner_ids = pids;
    t.n_partner_ids = 1;
    assert_int_equal(TL_STORE(f->s, task_create, &f->brand, &t, &tid), TL_OK);
    assert_int_equal(heard_last(&h, ++n, TL_CHANGE_TASK_PARTNERS)->campaign_id, cid);

    memset(&l, 0, sizeof(l));
    l.kind = TL_LINK_SHORT;
    l.partner_id = f->partner.account_id;
    l.task_id = tid;
    l.campaign_id = cid;
    l.program_id = pid;
    l.landing_url = "https://acme.test/a";
    l.active = true;
    assert_int_equal(TL_STORE(f->s, link_upsert, &f->brand, &l, f->a, &out, &created), TL_OK);
    assert_true(created);
    assert_int_equal(heard_last(&h, ++n, TL_CHANGE_LINK_CREATED)->campaign_id, cid);
    assert_int_equal(TL_STORE(f->s, link_upsert, &f->brand, &l, f->a, &out, &created), TL_OK);
    assert_false(created);
    assert_int_equal(h.n, n);
    assert_int_equal(TL_STORE(f->s, link_set_active, &f->brand, out.id, false), TL_OK);
    assert_int_equal(heard_last(&h, ++n, TL_CHANGE_LINK_UPDATED)->campaign_id, cid);
    assert_int_equal(h.c[n - 1].id, out.id);
    assert_int_equal(TL_STORE(f->s, link_set_active, &f->brand2, out.id, true), TL_ERR_NOTFOUND);
    assert_int_equal(h.n, n);
    assert_int_equal(TL_STORE(f->s, link_ensure_defaults, cid, &made), TL_OK);
    assert_int_equal(made, 2); /* the two assignments' default short links */
    assert_int_equal(heard_last(&h, ++n, TL_CHANGE_LINK_CREATED)->campaign_id, cid);
    assert_int_equal(TL_STORE(f->s, link_ensure_defaults, cid, &made), TL_OK);
    assert_int_equal(made, 0);
    assert_int_equal(h.n, n);

    memset(&k, 0, sizeof(k));
    k.account_id = f->brand.account_id;
    k.name = "second";
    k.prefix = "tlk_zzzz";
    key_of(hash, 99);
    assert_int_equal(TL_STORE(f->s, api_key_create, &f->brand, &k, hash), TL_OK);
    assert_int_equal(h.n, n);
    assert_int_equal(TL_STORE(f->s, api_key_revoke, &f->brand, k.id, got), TL_OK);
    assert_int_equal(heard_last(&h, ++n, TL_CHANGE_API_KEY_REVOKED)->id, k.id);
    assert_memory_equal(h.hash, hash, 32);
    assert_int_equal(TL_STORE(f->s, api_key_revoke, &f->brand, k.id, got), TL_ERR_NOTFOUND);
    assert_int_equal(h.n, n);
}

/* ---- the conversion lifecycle ---- */

/* One report row of totals for the program, as the brand sees it. */
static void report_totals(struct fx *f, int64_t pid, int64_t *conversions, int64_t *revenue,
                          int64_t *payout)
{
    struct tl_report_query q;
    struct tl_report_row *rows;
    size_t n, i;

    memset(&q, 0, sizeof(q));
    q.program_id = pid;
    q.group = TL_GROUP_NONE;
    assert_int_equal(TL_STORE(f->s, report, &f->brand, &q, f->a, &rows, &n), TL_OK);
    *conversions = *revenue = *payout = 0;
    for (i = 0; i < n; i++) {
        *conversions += rows[i].conversions;
        *revenue += rows[i].revenue;
        *payout += rows[i].payout;
    }
}

static size_t deliveries(struct fx *f, struct tl_postback_delivery **items)
{
    struct tl_page page = {0, TL_LIST_MAX};
    size_t n;
    bool more;

    assert_int_equal(
        TL_STORE(f->s, postback_deliveries, &f->partner, -1, false, &page, f->a, items, &n, &more),
        TL_OK);
    return n;
}

/* Creation is once per (program, event type, order id) with its event,
 * rollup and postback; moves follow the rules, a reversal takes the
 * rollup back, and each move is in the history and, when the partner asked
 * for it, in the outbox. */
static void test_conversion_lifecycle(void **state)
{
    struct fx *f = *state;
    struct tl_conversion in, out, again;
    struct tl_conversion_event *ev;
    struct tl_postback_delivery *d;
    struct tl_postback_config pb;
    struct seen x;
    int64_t pid, cid, conv, rev, pay;
    size_t n;
    bool created;

    pid = mk_program(f, &f->brand, "Main", "k1");
    cid = mk_campaign(f, pid, "C1");
    memset(&pb, 0, sizeof(pb));
    pb.url = "https://partner.test/pb?c={click_id}&s={sub_id1}&st={status}";
    pb.events = TL_PB_CREATED | TL_PB_REVERSED;
    assert_int_equal(TL_STORE(f->s, postback_set, &f->partner, &pb), TL_OK);
    mk_click(f, "lc-1", pid, cid);

    memset(&x, 0, sizeof(x));
    assert_int_equal(TL_STORE(f->s, conversion_record, &f->brand, "lc-1", decide_probe, &x, f->a,
                              &out, &created),
                     TL_OK);
    assert_true(created);
    report_totals(f, pid, &conv, &rev, &pay);
    assert_int_equal(conv, 1);
    assert_int_equal(rev, 1000);
    assert_int_equal(pay, 500);
    assert_int_equal(TL_STORE(f->s, conversion_history, &f->brand, out.id, f->a, &ev, &n), TL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].from_status, -1);
    assert_int_equal(ev[0].to_status, TL_CONV_PENDING);
    assert_int_equal(ev[0].actor_account_id, f->brand.account_id);
    assert_int_equal(deliveries(f, &d), 1);
    assert_string_equal(d[0].event, "conversion.created");
    assert_string_equal(d[0].url, "https://partner.test/pb?c=lc-1&s=s1&st=pending");
    assert_int_equal(d[0].status, TL_DELIVERY_PENDING);

    /* the same key again: found, not made twice */
    in = out;
    in.amount = 1;
    assert_int_equal(TL_STORE(f->s, conversion_create, &f->brand, &in, f->a, &again, &created),
                     TL_OK);
    assert_false(created);
    assert_int_equal(again.id, out.id);
    assert_int_equal(again.amount, 1000);
    report_totals(f, pid, &conv, &rev, &pay);
    assert_int_equal(conv, 1);

    /* moves: only the owner, only the allowed ones */
    assert_int_equal(
        TL_STORE(f->s, conversion_move, &f->partner, out.id, TL_CONV_APPROVED, NULL, f->a, &again),
        TL_ERR_NOTFOUND);
    assert_int_equal(
        TL_STORE(f->s, conversion_move, &f->brand2, out.id, TL_CONV_APPROVED, NULL, f->a, &again),
        TL_ERR_NOTFOUND);
    assert_int_equal(
        TL_STORE(f->s, conversion_move, &f->brand, out.id, TL_CONV_APPROVED, NULL, f->a, &again),
        TL_OK);
    assert_int_equal(again.status, TL_CONV_APPROVED);
    assert_int_equal(deliveries(f, &d), 1); /* approvals were not asked for */
    report_totals(f, pid, &conv, &rev, &pay);
    assert_int_equal(conv, 1);
    assert_int_equal(
        TL_STORE(f->s, conversion_move, &f->brand, out.id, TL_CONV_PENDING, NULL, f->a, &again),
        TL_ERR_CONFLICT);
    assert_int_equal(again.status, TL_CONV_APPROVED);
    assert_int_equal(TL_STORE(f->s, conversion_move, &f->brand, out.id, TL_CONV_REVERSED, "refund",
                              f->a, &again),
                     TL_OK);
    assert_int_equal(again.status, TL_CONV_REVERSED);
    report_totals(f, pid, &conv, &rev, &pay);
    assert_int_equal(conv, 0);
    assert_int_equal(rev, 0);
    assert_int_equal(pay, 0);
    assert_int_equal(
        TL_STORE(f->s, conversion_move, &f->brand, out.id, TL_CONV_REVERSED, NULL, f->a, &again),
        TL_ERR_CONFLICT);
    assert_int_equal(TL_STORE(f->s, conversion_history, &f->brand, out.id, f->a, &ev, &n), TL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ev[2].from_status, TL_CONV_APPROVED);
    assert_int_equal(ev[2].to_status, TL_CONV_REVERSED);
    assert_string_equal(ev[2].reason, "refund");
    assert_int_equal(deliveries(f, &d), 2);
    assert_string_equal(d[1].event, "conversion.reversed");
    assert_string_equal(d[1].url, "https://partner.test/pb?c=lc-1&s=s1&st=reversed");
    assert_int_equal(TL_STORE(f->s, conversion_get, &f->brand, out.id, f->a, &again), TL_OK);
    assert_int_equal(again.status, TL_CONV_REVERSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_programs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_landing_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memberships, setup, teardown),
        cmocka_unit_test_setup_teardown(test_campaigns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conversion_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conversion_lifecycle, setup, teardown),
    };

    /* TL_TEST_FILTER: run only the tests whose names match (a glob) */
    if (getenv("TL_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("TL_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
