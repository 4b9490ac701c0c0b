/*
 * test_auth.c: unit tests of the authentication hook (api/auth.c) on a
 * SQLite store in memory, with requests made up of a method and headers:
 * the session's idle expiry and its sliding refresh (which the integration
 * tests cannot wait twelve hours for), the cookie's parsing, the CSRF and
 * Origin rules, and a bearer key deciding alone.
 */
/* cmocka.h needs these first */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "core/arena.h"
#include "core/time.h"
#include "http/internal.h"
#include "store/store.h"

#define TOKEN   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ" /* 43 characters */
#define CSRF    "csrf-token-of-the-session"
#define EXPIRED "expiredexpiredexpiredexpiredexpiredexpired7"
#define FRESH   "freshfreshfreshfreshfreshfreshfreshfreshfre"

struct fake_header {
    const char *name;
    const char *value;
};

struct fake {
    struct fake_header h[8];
    size_t n;
};

static const char *fake_header(const struct tl_req *req, const char *name)
{
    const struct fake *f = req->ctx;
    size_t i;

    for (i = 0; i < f->n; i++)
        if (strcasecmp(f->h[i].name, name) == 0)
            return f->h[i].value;
    return NULL;
}

static const struct tl_req_ops fake_ops = {.header = fake_header};

struct fx {
    struct tl_store *s;
    struct tl_arena *a;
    struct tl_app app;
    int64_t brand_id;
    struct tl_req req;
    struct fake headers;
};

static void req_reset(struct fx *f, enum tl_method m)
{
    memset(&f->req, 0, sizeof(f->req));
    memset(&f->headers, 0, sizeof(f->headers));
    f->req.arena = f->a;
    f->req.method = m;
    f->req.app = &f->app;
    f->req.ops = &fake_ops;
    f->req.ctx = &f->headers;
}

static void req_header(struct fx *f, const char *name, const char *value)
{
    assert_true(f->headers.n < 8);
    f->headers.h[f->headers.n].name = name;
    f->headers.h[f->headers.n].value = value;
    f->headers.n++;
}

/* A session of the brand's user whose token is TOKEN, expiring at expires. */
static int64_t mk_session(struct fx *f, const char *token, int64_t created, int64_t expires)
{
    struct tl_session s;
    struct tl_user u;

    assert_int_equal(TL_STORE(f->s, user_by_email, "owner@acme.test", f->a, &u), TL_OK);
    memset(&s, 0, sizeof(s));
    tl_api_key_hash(token, s.token_hash);
    s.user_id = u.id;
    s.csrf_token = CSRF;
    s.created_at = created;
    s.expires_at = expires;
    assert_int_equal(TL_STORE(f->s, session_create, &s, NULL), TL_OK);
    return s.id;
}

static int setup(void **state)
{
    static struct fx f;
    struct tl_account_new in;
    char why[256];

    memset(&f, 0, sizeof(f));
    if (tl_store_open("sqlite::memory:", &f.s, why, sizeof(why)) != TL_OK)
        return -1;
    f.a = tl_arena_new(1 << 20);
    f.app.store = f.s;
    f.app.public_url = "http://127.0.0.1:8080";
    memset(&in, 0, sizeof(in));
    in.kind = TL_ACCOUNT_BRAND;
    in.name = "Acme";
    tl_api_key_hash("tlk_brandkey", in.key_hash);
    in.key_prefix = "tlk_bran";
    in.user_email = "owner@acme.test";
    in.user_pw_hash = "$argon2id$v=19$m=65536,t=2,p=1$x$y";
    if (TL_STORE(f.s, account_create, &in, &f.brand_id) != TL_OK)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    tl_store_close(f->s);
    tl_arena_free(f->a);
    return 0;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static enum tl_err auth(struct fx *f, struct tl_actor *who, struct tl_problem *prob)
{
    tl_problem_init(prob);
    memset(who, 0, sizeof(*who));
    return tl_api_authenticate(&f->app, &f->req, who, prob);
}

static void test_idle_expiry(void **state)
{
    struct fx *f = *state;
    struct tl_problem prob;
    struct tl_actor who;
    int64_t now = tl_time_now_ms();

    mk_session(f, EXPIRED, now - TL_SESSION_IDLE_MS - 5, now - 5);
    req_reset(f, TL_GET);
    req_header(f, "Cookie", "tl_session=" EXPIRED);
    assert_int_equal(auth(f, &who, &prob), TL_ERR_UNAUTHORIZED);
    assert_string_equal(prob.code, "unauthorized");
}

static void test_sliding_refresh(void **state)
{
    struct fx *f = *state;
    struct tl_session s;
    struct tl_problem prob;
    struct tl_actor who;
    unsigned char hash[32];
    int64_t now = tl_time_now_ms(), old_expiry = now + 30000, deadline;

    /* used 12 h minus 30 s ago: the next use moves it to 12 h from now */
    mk_session(f, TOKEN, now - TL_SESSION_IDLE_MS + 30000, old_expiry);
    req_reset(f, TL_GET);
    req_header(f, "Cookie", "theme=dark; tl_session=" TOKEN "; lang=ja");
    assert_int_equal(auth(f, &who, &prob), TL_OK);
    assert_int_equal(who.kind, TL_ACCOUNT_BRAND);
    assert_int_equal(who.account_id, f->brand_id);
    /* the write is queued: wait until the session outlives its old expiry */
    tl_api_key_hash(TOKEN, hash);
    deadline = tl_time_now_ms() + 10000;
    while (TL_STORE(f->s, session_get, hash, old_expiry + 1000, f->a, &s) != TL_OK) {
        assert_true(tl_time_now_ms() < deadline);
        nap_ms(10);
    }
    assert_true(s.expires_at >= now + TL_SESSION_IDLE_MS);

    /* a fresh session is not written again at each use */
    now = tl_time_now_ms();
    /* (used 10 ms ago: a write now would move it) */
    mk_session(f, FRESH, now, now + TL_SESSION_IDLE_MS - 10);
    req_reset(f, TL_GET);
    req_header(f, "Cookie", "tl_session=" FRESH);
    assert_int_equal(auth(f, &who, &prob), TL_OK);
    nap_ms(50);
    tl_api_key_hash(FRESH, hash);
    assert_int_equal(TL_STORE(f->s, session_get, hash, now, f->a, &s), TL_OK);
    assert_int_equal(s.expires_at, now + TL_SESSION_IDLE_MS - 10);
}

static void test_cookie_shapes(void **state)
{
    struct fx *f = *state;
    struct tl_problem prob;
    struct tl_actor who;
    char token[TL_SESSION_TOKEN_LEN + 1];
    int64_t now = tl_time_now_ms();
    static const char *const bad[] = {
        "tl_sessions=" TOKEN, "xtl_session=" TOKEN, "tl_session=" TOKEN "x",
        "tl_session=",        "tl_session",         "",
        "tl_session =" TOKEN,
    };
    size_t i;

    mk_session(f, TOKEN, now, now + TL_SESSION_IDLE_MS);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        req_reset(f, TL_GET);
        req_header(f, "Cookie", bad[i]);
        assert_null(tl_api_session_token(&f->req, token));
        assert_int_equal(auth(f, &who, &prob), TL_ERR_UNAUTHORIZED);
    }
    req_reset(f, TL_GET);
    req_header(f, "Cookie", "a=b;tl_session=" TOKEN " ");
    assert_non_null(tl_api_session_token(&f->req, token));
    assert_string_equal(token, TOKEN);
    assert_int_equal(auth(f, &who, &prob), TL_OK);
    /* without a cookie the answer is 401, from the cached path AGAIN */
    req_reset(f, TL_GET);
    assert_int_equal(auth(f, &who, &prob), TL_ERR_UNAUTHORIZED);
    req_reset(f, TL_POST);
    req_header(f, "Cookie", "tl_session=" TOKEN);
    assert_int_equal(tl_api_authenticate_cached(&f->app, &f->req, &who, &prob), TL_ERR_AGAIN);
}

static void test_csrf(void **state)
{
    struct fx *f = *state;
    struct tl_problem prob;
    struct tl_actor who;
    int64_t now = tl_time_now_ms();
    static const enum tl_method writes[] = {TL_POST, TL_PUT, TL_PATCH, TL_DELETE};
    size_t i;

    mk_session(f, TOKEN, now, now + TL_SESSION_IDLE_MS);
    for (i = 0; i < 4; i++) {
        req_reset(f, writes[i]);
        req_header(f, "Cookie", "tl_session=" TOKEN);
        assert_int_equal(auth(f, &who, &prob), TL_ERR_FORBIDDEN);
        assert_string_equal(prob.code, "csrf_invalid");
        req_header(f, "X-CSRF-Token", CSRF);
        assert_int_equal(auth(f, &who, &prob), TL_OK);
    }
    /* GET and HEAD need none */
    req_reset(f, TL_HEAD);
    req_header(f, "Cookie", "tl_session=" TOKEN);
    assert_int_equal(auth(f, &who, &prob), TL_OK);

    /* a prefix or an extension of the token is not the token */
    req_reset(f, TL_POST);
    req_header(f, "Cookie", "tl_session=" TOKEN);
    req_header(f, "X-CSRF-Token", "csrf-token-of-the-sessio");
    assert_int_equal(auth(f, &who, &prob), TL_ERR_FORBIDDEN);
    f->headers.h[1].value = CSRF "n";
    assert_int_equal(auth(f, &who, &prob), TL_ERR_FORBIDDEN);

    /* Origin: the public URL's scheme and authority, in any case */
    f->headers.h[1].value = CSRF;
    req_header(f, "Origin", "HTTP://127.0.0.1:8080");
    assert_int_equal(auth(f, &who, &prob), TL_OK);
    f->headers.h[2].value = "http://127.0.0.1:8081";
    assert_int_equal(auth(f, &who, &prob), TL_ERR_FORBIDDEN);
    f->headers.h[2].value = "http://127.0.0.1:8080/";
    assert_int_equal(auth(f, &who, &prob), TL_ERR_FORBIDDEN);
    f->headers.h[2].value = "http://127.0.0.1";
    assert_int_equal(auth(f, &who, &prob), TL_ERR_FORBIDDEN);
    /* a public URL with a path keeps its origin */
    f->app.public_url = "https://acme.test/tracklink";
    f->headers.h[2].value = "https://acme.test";
    assert_int_equal(auth(f, &who, &prob), TL_OK);
    f->headers.h[2].value = "https://acme.test/tracklink";
    assert_int_equal(auth(f, &who, &prob), TL_ERR_FORBIDDEN);
    f->app.public_url = "http://127.0.0.1:8080";
}

static void test_bearer_decides_alone(void **state)
{
    struct fx *f = *state;
    struct tl_problem prob;
    struct tl_actor who;
    int64_t now = tl_time_now_ms();

    mk_session(f, TOKEN, now, now + TL_SESSION_IDLE_MS);
    /* a key needs no CSRF token */
    req_reset(f, TL_POST);
    req_header(f, "Cookie", "tl_session=" TOKEN);
    req_header(f, "Authorization", "Bearer tlk_brandkey");
    assert_int_equal(auth(f, &who, &prob), TL_OK);
    assert_int_equal(who.account_id, f->brand_id);
    /* a bad key is not saved by a good cookie */
    f->headers.h[1].value = "Bearer tlk_nosuchkey";
    assert_int_equal(auth(f, &who, &prob), TL_ERR_UNAUTHORIZED);
    f->headers.h[1].value = "";
    assert_int_equal(auth(f, &who, &prob), TL_ERR_UNAUTHORIZED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sliding_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cookie_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csrf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bearer_decides_alone, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
