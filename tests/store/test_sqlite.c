/*
 * test_sqlite.c: unit tests of the SQLite store (store/sqlite.c) through the
 * store.h interface: migrations, accounts and keys, every operation with its
 * tenancy rules, paging, memberships, conflicts, and group commit under 64
 * concurrent writers and readers. Each test gets a fresh database file in a
 * mkdtemp directory under /tmp.
 */
/* cmocka.h needs these first */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "store/sqlite.h"
#include "store/store.h"

#define ARENA_CAP (4u << 20)

/* Generated with the migrations (scripts/embed.py): how many there are. */
extern const size_t tl_migrations_sqlite_n;

struct fx {
    char dir[64];
    char url[128];
    struct tl_store *s;
    struct tl_arena *a;
    struct tl_actor admin;
    struct tl_actor brand, brand2;
    struct tl_actor partner, partner2;
};

static void key_of(unsigned char h[32], int seed)
{
    int i;

    for (i = 0; i < 32; i++)
        h[i] = (unsigned char)(seed * 31 + i);
}

static int64_t mk_account(struct tl_store *s, enum tl_account_kind kind, const char *name,
                          const char *email, int seed, const char *user_email)
{
    struct tl_account_new in = {0};
    int64_t id = 0;

    in.kind = kind;
    in.name = name;
    in.email = email;
    key_of(in.key_hash, seed);
    in.key_prefix = "tlk_abcd";
    in.user_email = user_email;
    in.user_pw_hash = user_email != NULL ? "$argon2id$v=19$m=65536,t=2,p=1$x$y" : NULL;
    assert_int_equal(TL_STORE(s, account_create, &in, &id), TL_OK);
    assert_true(id > 0);
    return id;
}

static void rm_db_files(const char *dir)
{
    static const char *const names[] = {"t.db",         "t.db-wal",     "t.db-shm", "sub/t.db",
                                        "sub/t.db-wal", "sub/t.db-shm", "sub"};
    char p[256];
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
    rmdir(dir);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char why[256];

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/tl-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->url, sizeof(f->url), "sqlite:%s/t.db", f->dir);
    assert_int_equal(tl_store_open(f->url, &f->s, why, sizeof(why)), TL_OK);
    f->a = tl_arena_new(ARENA_CAP);
    assert_non_null(f->a);
    f->admin.kind = TL_ACCOUNT_ADMIN;
    f->brand.kind = f->brand2.kind = TL_ACCOUNT_BRAND;
    f->partner.kind = f->partner2.kind = TL_ACCOUNT_PARTNER;
    f->brand.account_id = mk_account(f->s, TL_ACCOUNT_BRAND, "Acme", NULL, 1, "owner@acme.test");
    f->brand2.account_id = mk_account(f->s, TL_ACCOUNT_BRAND, "Other", NULL, 2, NULL);
    f->partner.account_id = mk_account(f->s, TL_ACCOUNT_PARTNER, "Pat", "pat@p.test", 3, NULL);
    f->partner2.account_id = mk_account(f->s, TL_ACCOUNT_PARTNER, "Quinn", "q@p.test", 4, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    tl_store_close(f->s);
    tl_arena_free(f->a);
    rm_db_files(f->dir);
    free(f);
    return 0;
}

static const char *domains[] = {"acme.test", "*.acme.test"};

static int64_t mk_program(struct fx *f, const struct tl_actor *who, const char *name,
                          const char *pbkey)
{
    struct tl_program p = {0};
    int64_t id = 0;

    p.name = name;
    p.default_landing_page = "https://acme.test/";
    p.permitted_domains = domains;
    p.n_permitted_domains = 2;
    p.postback_key = pbkey;
    assert_int_equal(TL_STORE(f->s, program_create, who, &p, &id), TL_OK);
    assert_true(id > 0);
    return id;
}

static int64_t mk_lp(struct fx *f, int64_t program_id, const char *url)
{
    struct tl_landing_page l = {0};
    int64_t id = 0;

    l.program_id = program_id;
    l.name = "LP";
    l.url = url;
    assert_int_equal(TL_STORE(f->s, landing_page_create, &f->brand, &l, &id), TL_OK);
    return id;
}

static struct tl_campaign campaign_in(int64_t program_id, const char *name)
{
    struct tl_campaign c = {0};

    c.program_id = program_id;
    c.name = name;
    c.status = TL_CAMPAIGN_ACTIVE;
    c.tracking_enabled = true;
    c.lp_mode = TL_LP_PARTNER_CHOICE;
    c.payout_type = TL_PAYOUT_FIXED;
    c.payout_amount = 500;
    return c;
}

static int64_t mk_campaign(struct fx *f, int64_t program_id, const char *name)
{
    struct tl_campaign c = campaign_in(program_id, name);
    int64_t id = 0;

    assert_int_equal(TL_STORE(f->s, campaign_create, &f->brand, &c, &id), TL_OK);
    return id;
}

/* ------------------------------------------------------------------ */

static void test_open_urls(void **state)
{
    char dir[] = "/tmp/tl-store-XXXXXX";
    char url[128], why[256];
    struct tl_store *s = NULL;

    (void)state;
    assert_int_equal(tl_store_open("postgres://db/x", &s, why, sizeof(why)), TL_ERR_INVALID);
    assert_null(s);
    assert_string_equal(why, "PostgreSQL backend not built yet");
    assert_int_equal(tl_store_open("postgresql://db/x", &s, why, sizeof(why)), TL_ERR_INVALID);
    assert_int_equal(tl_store_open("mysql://db/x", &s, why, sizeof(why)), TL_ERR_INVALID);
    assert_non_null(strstr(why, "mysql://db/x"));
    assert_int_equal(tl_store_open("sqlite:", &s, why, sizeof(why)), TL_ERR_INVALID);
    assert_int_equal(tl_store_open("", &s, why, sizeof(why)), TL_ERR_INVALID);
    tl_store_close(NULL);

    /* sqlite:// form, with a parent directory that does not exist yet */
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof(url), "sqlite://%s/sub/t.db", dir);
    assert_int_equal(tl_store_open(url, &s, why, sizeof(why)), TL_OK);
    assert_string_equal(tl_store_name(s), "sqlite");
    assert_int_equal(tl_store_migrations_applied(s), (int)tl_migrations_sqlite_n); /* all */
    assert_int_equal(tl_store_ping(s), TL_OK);
    tl_store_close(s);
    assert_int_equal(tl_store_open(url, &s, why, sizeof(why)), TL_OK);
    assert_int_equal(tl_store_migrations_applied(s), 0);
    tl_store_close(s);
    rm_db_files(dir);

    /* in memory: readers and the writer share one database */
    assert_int_equal(tl_store_open("sqlite::memory:", &s, why, sizeof(why)), TL_OK);
    assert_int_equal(tl_store_migrations_applied(s), (int)tl_migrations_sqlite_n);
    {
        struct tl_actor who;
        unsigned char h[32];
        int64_t id = mk_account(s, TL_ACCOUNT_BRAND, "Mem", NULL, 9, NULL);

        key_of(h, 9);
        assert_int_equal(TL_STORE(s, actor_by_key, h, &who, NULL, NULL), TL_OK);
        assert_int_equal(who.account_id, id);
    }
    tl_store_close(s);
}

static void test_reopen(void **state)
{
    struct fx *f = *state;
    char why[256];

    assert_int_equal(tl_store_migrations_applied(f->s), (int)tl_migrations_sqlite_n);
    tl_store_close(f->s);
    assert_int_equal(tl_store_open(f->url, &f->s, why, sizeof(why)), TL_OK);
    assert_int_equal(tl_store_migrations_applied(f->s), 0);
    /* the data survived */
    {
        struct tl_account acc;

        assert_int_equal(TL_STORE(f->s, account_get, f->brand.account_id, f->a, &acc), TL_OK);
        assert_string_equal(acc.name, "Acme");
    }
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

/* Every insert pays for each index of conversion: only the unique key's
 * is used by a query (003_conversion_indexes.sql). */
static void test_conversion_indexes(void **state)
{
    struct fx *f = *state;
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char path[128];
    int n = 0;

    snprintf(path, sizeof(path), "%s/t.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                        "tbl_name = 'conversion' ORDER BY name",
                                        -1, &q, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        assert_string_equal((const char *)sqlite3_column_text(q, 0),
                            "sqlite_autoindex_conversion_1");
        n++;
    }
    assert_int_equal(n, 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* conversion_record: what decide sees, and that a refusal stores nothing. */
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

/* The asynchronous writer jobs: a callback after the commit, no waiting. */
struct async_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    enum tl_err err;
    void *handle;
    const struct tl_click *clicks; /* what fill hands over */
    size_t n, fills;
};

static void async_init(struct async_wait *w)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
}

static void async_wait_done(struct async_wait *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->calls == 0)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static void *fill_probe(void *ctx, const struct tl_click **clicks, size_t *n)
{
    struct async_wait *w = ctx;

    w->fills++;
    *clicks = w->clicks;
    *n = w->n;
    return w; /* the handle done gets back */
}

static void batch_done_probe(void *ctx, void *handle, enum tl_err err)
{
    struct async_wait *w = ctx;

    pthread_mutex_lock(&w->mu);
    w->calls++;
    w->err = err;
    w->handle = handle;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void record_done_probe(void *arg, enum tl_err err)
{
    batch_done_probe(arg, NULL, err);
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

/* Deferred rollups: conversions that commit together add to the rollups
 * once per key, and a job that fails takes its additions with it. */
struct conv_plan {
    const char *click_id, *order_id;
    int64_t amount, occurred_at;
    enum tl_err answer;
    struct async_wait w;
    struct tl_conversion out;
    bool created;
};

static enum tl_err decide_plan(void *ctx, const struct tl_click_info *click,
                               const struct tl_program *program, const struct tl_campaign *campaign,
                               struct tl_conversion *out)
{
    struct conv_plan *pl = ctx;

    if (pl->answer != TL_OK)
        return pl->answer;
    memset(out, 0, sizeof(*out));
    out->click_id = click->click_id;
    out->order_id = pl->order_id;
    out->event_type = "sale";
    out->amount = pl->amount;
    out->currency = program->currency;
    out->payout = pl->amount / 10;
    out->partner_id = click->partner_id;
    out->campaign_id = click->campaign_id;
    out->task_id = click->task_id;
    out->program_id = click->program_id;
    out->occurred_at = pl->occurred_at;
    (void)campaign;
    return TL_OK;
}

struct gate {
    sem_t entered, open;
};

/* A click batch whose fill holds the writer until the test opens the gate. */
static void *fill_gate(void *ctx, const struct tl_click **clicks, size_t *n)
{
    struct gate *g = ctx;

    sem_post(&g->entered);
    while (sem_wait(&g->open) != 0)
        ;
    *clicks = NULL;
    *n = 0;
    return g;
}

static void gate_done(void *ctx, void *handle, enum tl_err err)
{
    (void)ctx;
    (void)handle;
    (void)err;
}

/* conversions, revenue, payout of a campaign's hour in stats_hourly (one
 * task's) or, task 0, in stats_campaign_hourly; -1 when no row */
static void rollup_sums(struct fx *f, int64_t campaign, int64_t hour, int64_t task, int64_t out[3])
{
    static const char fine[] =
        "SELECT conversions, revenue, payout FROM stats_hourly WHERE campaign_id = ?1 AND "
        "hour_ms = ?2 AND task_id = ?3";
    static const char coarse[] =
        "SELECT conversions, revenue, payout FROM stats_campaign_hourly WHERE campaign_id = ?1 "
        "AND hour_ms = ?2";
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *q;

    snprintf(path, sizeof(path), "%s/t.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, task != 0 ? fine : coarse, -1, &q, NULL), SQLITE_OK);
    sqlite3_bind_int64(q, 1, campaign);
    sqlite3_bind_int64(q, 2, hour);
    if (task != 0)
        sqlite3_bind_int64(q, 3, task);
    out[0] = out[1] = out[2] = -1;
    if (sqlite3_step(q) == SQLITE_ROW) {
        out[0] = sqlite3_column_int64(q, 0);
        out[1] = sqlite3_column_int64(q, 1);
        out[2] = sqlite3_column_int64(q, 2);
        assert_int_equal(sqlite3_step(q), SQLITE_DONE); /* one row per key */
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void expect_sums(struct fx *f, int64_t campaign, int64_t hour, int64_t task,
                        int64_t conversions, int64_t revenue)
{
    int64_t got[3];

    rollup_sums(f, campaign, hour, task, got);
    assert_int_equal(got[0], conversions);
    assert_int_equal(got[1], revenue);
    assert_int_equal(got[2], revenue / 10);
}

static void test_rollup_batches(void **state)
{
    struct fx *f = *state;
    const int64_t hour = 1700002800000, next = hour + 3600000; /* whole hours */
    struct conv_plan plan[] = {
        {.click_id = "rb-a",
         .order_id = "o1",
         .amount = 1000,
         .occurred_at = hour + 10,
         .answer = TL_OK},
        {.click_id = "rb-b",
         .order_id = "o2",
         .amount = 2000,
         .occurred_at = hour + 20,
         .answer = TL_OK}, /* same hour, other task */
        {.click_id = "rb-c",
         .order_id = "o3",
         .amount = 500,
         .occurred_at = hour + 30,
         .answer = TL_OK}, /* other campaign */
        {.click_id = "rb-a",
         .order_id = "o4",
         .amount = 700,
         .occurred_at = next + 5,
         .answer = TL_OK}, /* the next hour */
        {.click_id = "rb-b",
         .order_id = "o5",
         .amount = 9999,
         .occurred_at = hour,
         .answer = TL_ERR_INVALID}, /* refused */
        {.click_id = "rb-a",
         .order_id = "o1",
         .amount = 1000,
         .occurred_at = hour + 10,
         .answer = TL_OK}, /* a replay */
    };
    const size_t n = sizeof(plan) / sizeof(plan[0]);
    struct tl_click k[3];
    struct gate g;
    uint64_t jobs0, commits0, jobs, commits;
    int64_t pid, c1, c2;
    size_t i;

    pid = mk_program(f, &f->brand, "Main", "k1");
    c1 = mk_campaign(f, pid, "C1");
    c2 = mk_campaign(f, pid, "C2");
    memset(k, 0, sizeof(k));
    for (i = 0; i < 3; i++) {
        snprintf(k[i].click_id, sizeof(k[i].click_id), "rb-%c", (int)('a' + i));
        k[i].ts_ms = hour;
        k[i].partner_id = f->partner.account_id;
        k[i].task_id = 7 + (int64_t)i;
        k[i].campaign_id = i == 2 ? c2 : c1;
        k[i].program_id = pid;
        snprintf(k[i].currency, sizeof(k[i].currency), "USD");
    }
    assert_int_equal(TL_STORE(f->s, click_batch, k, 3), TL_OK);

    /* Hold the writer, queue every conversion, let go: one transaction. */
    sem_init(&g.entered, 0, 0);
    sem_init(&g.open, 0, 0);
    assert_int_equal(TL_STORE(f->s, click_batch_async, fill_gate, gate_done, &g), TL_OK);
    while (sem_wait(&g.entered) != 0)
        ;
    tl_sqlite_stats(f->s, &jobs0, &commits0);
    for (i = 0; i < n; i++) {
        async_init(&plan[i].w);
        assert_int_equal(TL_STORE(f->s, conversion_record_async, &f->brand, plan[i].click_id,
                                  decide_plan, &plan[i], f->a, &plan[i].out, &plan[i].created,
                                  record_done_probe, &plan[i].w),
                         TL_OK);
    }
    sem_post(&g.open);
    for (i = 0; i < n; i++) {
        async_wait_done(&plan[i].w);
        assert_int_equal(plan[i].w.err, plan[i].answer);
        assert_int_equal(plan[i].created, plan[i].answer == TL_OK && i != 5);
    }
    tl_sqlite_stats(f->s, &jobs, &commits);
    assert_int_equal(jobs - jobs0, 1 + n);
    assert_int_equal(commits - commits0, 2); /* the gate's, then all of them */
    sem_destroy(&g.entered);
    sem_destroy(&g.open);

    /* tasks 7 and 8 of C1, task 9 of C2 (clicks rb-a, rb-b, rb-c) */
    expect_sums(f, c1, hour, 7, 1, 1000);
    expect_sums(f, c1, hour, 8, 1, 2000);
    expect_sums(f, c1, hour, 0, 2, 3000);
    expect_sums(f, c1, next, 7, 1, 700);
    expect_sums(f, c1, next, 0, 1, 700);
    expect_sums(f, c2, hour, 9, 1, 500);
    expect_sums(f, c2, hour, 0, 1, 500);
}

static void test_conversion_record(void **state)
{
    struct fx *f = *state;
    struct tl_click k;
    struct tl_conversion out;
    struct seen x;
    bool created;
    int64_t pid, cid;

    pid = mk_program(f, &f->brand, "Main", "k1");
    cid = mk_campaign(f, pid, "C1");
    memset(&k, 0, sizeof(k));
    snprintf(k.click_id, sizeof(k.click_id), "c-1");
    k.ts_ms = 1700000000000;
    k.partner_id = f->partner.account_id;
    k.task_id = 7;
    k.campaign_id = cid;
    k.program_id = pid;
    snprintf(k.currency, sizeof(k.currency), "USD");
    snprintf(k.sub[0], sizeof(k.sub[0]), "s1");
    assert_int_equal(TL_STORE(f->s, click_batch, &k, 1), TL_OK);

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

#define THREADS 64
#define WRITES  20

struct worker {
    struct fx *f;
    int64_t program_id;
    int index;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct tl_arena *a = tl_arena_new(ARENA_CAP);
    struct tl_campaign c, got, *items;
    struct tl_program p;
    char name[32];
    size_t n;
    bool more;
    int64_t id;
    int i;

    if (a == NULL) {
        w->failures++;
        return NULL;
    }
    for (i = 0; i < WRITES; i++) {
        snprintf(name, sizeof(name), "c-%d-%d", w->index, i);
        c = campaign_in(w->program_id, name);
        if (TL_STORE(w->f->s, campaign_create, &w->f->brand, &c, &id) != TL_OK) {
            w->failures++;
            continue;
        }
        if (TL_STORE(w->f->s, campaign_get, &w->f->brand, id, a, &got) != TL_OK ||
            strcmp(got.name, name) != 0)
            w->failures++;
        if (TL_STORE(w->f->s, campaign_list, &w->f->brand, NULL, NULL, a, &items, &n, &more) !=
                TL_OK ||
            n == 0)
            w->failures++;
        if (TL_STORE(w->f->s, program_get, &w->f->brand, w->program_id, a, &p) != TL_OK)
            w->failures++;
    }
    tl_arena_free(a);
    return NULL;
}

static void test_concurrency(void **state)
{
    struct fx *f = *state;
    struct worker w[THREADS];
    pthread_t th[THREADS];
    uint64_t jobs0, commits0, jobs, commits;
    struct tl_campaign_filter flt = {-1, 0};
    struct tl_page page = {0, TL_LIST_MAX};
    struct tl_campaign *items;
    size_t n, total = 0;
    bool more = true;
    int64_t pid = mk_program(f, &f->brand, "Busy", "busy");
    int i;

    tl_sqlite_stats(f->s, &jobs0, &commits0);
    for (i = 0; i < THREADS; i++) {
        w[i].f = f;
        w[i].program_id = pid;
        w[i].index = i;
        w[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    tl_sqlite_stats(f->s, &jobs, &commits);
    jobs -= jobs0;
    commits -= commits0;
    print_message("group commit: %llu jobs in %llu commits\n", (unsigned long long)jobs,
                  (unsigned long long)commits);
    assert_int_equal(jobs, THREADS * WRITES);
    assert_true(commits < jobs);

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_urls),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_programs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_landing_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memberships, setup, teardown),
        cmocka_unit_test_setup_teardown(test_campaigns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conversion_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conversion_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollup_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
