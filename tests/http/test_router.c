/*
 * test_router.c: table tests for http/router.c (path patterns, id
 * parameters, literal-over-parameter precedence, 404 versus 405 and the
 * Allow mask), and http/problem.c: the tl_err → HTTP status mapping and
 * the problem+json body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/problem.h"
#include "http/router.h"

static enum tl_err h_dummy(struct tl_req *req, struct tl_resp *resp, struct tl_problem *prob)
{
    (void)req;
    (void)resp;
    (void)prob;
    return TL_OK;
}

static const struct tl_route routes[] = {
    {TL_POST, "/api/v1/programs", TL_AUTH_BRAND, h_dummy, "programs.create", 0},           /* 0 */
    {TL_GET, "/api/v1/programs", TL_AUTH_BRAND, h_dummy, "programs.list", 0},              /* 1 */
    {TL_GET | TL_PATCH, "/api/v1/programs/{id}", TL_AUTH_BRAND, h_dummy, "programs.one", 0}, /* 2 */
    {TL_POST, "/api/v1/programs/{id}/campaigns", TL_AUTH_BRAND, h_dummy, "campaigns.create", 0}, /* 3 */
    {TL_GET, "/api/v1/me/tasks", TL_AUTH_PARTNER, h_dummy, "me.tasks", 0},                 /* 4 */
    {TL_POST, "/api/v1/{x}/tasks", TL_AUTH_ANY, h_dummy, "x.tasks", 0},                    /* 5 */
    {TL_GET, "/c/{partner_id}/{task_id}/{campaign_id}", TL_AUTH_NONE, h_dummy, "regular", 0}, /* 6 */
    {TL_GET, "/{code}", TL_AUTH_NONE, h_dummy, "short", 0},                                /* 7 */
    {TL_GET, "/healthz", TL_AUTH_NONE, h_dummy, "healthz", 0},                             /* 8 */
    {TL_DELETE, "/api/v1/links/{id}/{code}", TL_AUTH_ANY, h_dummy, "links.del", 0},        /* 9 */
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

struct case_ {
    enum tl_method m;
    const char *path;
    enum tl_err err;
    size_t route;     /* when TL_OK */
    unsigned allowed; /* when TL_ERR_METHOD */
    size_t n_params;
    int64_t ids[3];
    const char *raw[3];
};

static const struct case_ cases[] = {
    {TL_POST, "/api/v1/programs", TL_OK, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs", TL_OK, 1, 0, 0, {0}, {NULL}},
    {TL_HEAD, "/api/v1/programs", TL_OK, 1, 0, 0, {0}, {NULL}},
    {TL_DELETE, "/api/v1/programs", TL_ERR_METHOD, 0, TL_GET | TL_HEAD | TL_POST, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs?limit=3", TL_OK, 1, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs//", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1//programs", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/42", TL_OK, 2, 0, 1, {42}, {"42"}},
    {TL_PATCH, "/api/v1/programs/42", TL_OK, 2, 0, 1, {42}, {"42"}},
    {TL_POST, "/api/v1/programs/42", TL_ERR_METHOD, 0, TL_GET | TL_HEAD | TL_PATCH, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/999999999999999999", TL_OK, 2, 0, 1, {999999999999999999LL},
     {"999999999999999999"}},
    {TL_GET, "/api/v1/programs/1000000000000000000", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/99999999999999999999999", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/abc", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/0", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/007", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/-1", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/+1", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/1x", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/api/v1/programs/ 1", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_POST, "/api/v1/programs/7/campaigns", TL_OK, 3, 0, 1, {7}, {"7"}},
    {TL_GET, "/api/v1/programs/7/campaigns", TL_ERR_METHOD, 0, TL_POST, 0, {0}, {NULL}},
    {TL_POST, "/api/v1/programs/7/campaigns/", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_POST, "/api/v1/programs/7/campaign", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    /* Literal beats parameter: /me/tasks is its own resource, so a POST
     * there is 405, not the {x} route. */
    {TL_GET, "/api/v1/me/tasks", TL_OK, 4, 0, 0, {0}, {NULL}},
    {TL_HEAD, "/api/v1/me/tasks", TL_OK, 4, 0, 0, {0}, {NULL}},
    {TL_POST, "/api/v1/me/tasks", TL_ERR_METHOD, 0, TL_GET | TL_HEAD, 0, {0}, {NULL}},
    {TL_POST, "/api/v1/you/tasks", TL_OK, 5, 0, 1, {0}, {"you"}},
    {TL_GET, "/api/v1/you/tasks", TL_ERR_METHOD, 0, TL_POST, 0, {0}, {NULL}},
    {TL_GET, "/c/1/2/3", TL_OK, 6, 0, 3, {1, 2, 3}, {"1", "2", "3"}},
    {TL_GET, "/c/1/2/x", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/c/1/2", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/c/1/2/3/4", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/aB3-x_9", TL_OK, 7, 0, 1, {0}, {"aB3-x_9"}},
    {TL_GET, "/c", TL_OK, 7, 0, 1, {0}, {"c"}},
    /* A first segment sharing a literal's first byte (or all of it, as a
     * prefix) still falls to the parameter route, not past it. */
    {TL_GET, "/api", TL_OK, 7, 0, 1, {0}, {"api"}},
    {TL_GET, "/a", TL_OK, 7, 0, 1, {0}, {"a"}},
    {TL_GET, "/healthzz", TL_OK, 7, 0, 1, {0}, {"healthzz"}},
    {TL_GET, "/healt", TL_OK, 7, 0, 1, {0}, {"healt"}},
    {TL_GET, "/c?u=1", TL_OK, 7, 0, 1, {0}, {"c"}},
    {TL_GET, "/c/1/2/3?u=x", TL_OK, 6, 0, 3, {1, 2, 3}, {"1", "2", "3"}},
    {TL_GET, "//healthz", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/h/", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_POST, "/api/v1/Me/tasks", TL_OK, 5, 0, 1, {0}, {"Me"}},
    {TL_GET, "/healthz", TL_OK, 8, 0, 0, {0}, {NULL}},
    {TL_POST, "/healthz", TL_ERR_METHOD, 0, TL_GET | TL_HEAD, 0, {0}, {NULL}},
    {TL_POST, "/abc", TL_ERR_METHOD, 0, TL_GET | TL_HEAD, 0, {0}, {NULL}},
    {TL_GET, "/", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "abc", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/?x=1", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_DELETE, "/api/v1/links/5/abc", TL_OK, 9, 0, 2, {5, 0}, {"5", "abc"}},
    {TL_DELETE, "/api/v1/links/5/", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {(enum tl_method)0, "/healthz", TL_ERR_METHOD, 0, TL_GET | TL_HEAD, 0, {0}, {NULL}},
};

static void test_table(void **state)
{
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct case_ *c = &cases[i];
        struct tl_req req;
        size_t idx = SIZE_MAX;
        unsigned allowed = 12345;
        enum tl_err err;

        memset(&req, 0, sizeof(req));
        req.arena = tl_arena_new(4096);
        assert_non_null(req.arena);
        err = tl_router_match(routes, N_ROUTES, c->m, c->path, &req, &idx, &allowed);
        if (err != c->err)
            fail_msg("case %zu (%s): err %d, want %d", i, c->path, err, c->err);
        if (err == TL_OK) {
            if (idx != c->route)
                fail_msg("case %zu (%s): route %zu, want %zu", i, c->path, idx, c->route);
            assert_int_equal(req.n_params, c->n_params);
            for (j = 0; j < c->n_params; j++) {
                assert_int_equal(req.ids[j], c->ids[j]);
                assert_string_equal(req.raw[j], c->raw[j]);
            }
        } else if (err == TL_ERR_METHOD) {
            if (allowed != c->allowed)
                fail_msg("case %zu (%s): allowed %u, want %u", i, c->path, allowed, c->allowed);
        } else {
            assert_int_equal(allowed, 0);
        }
        tl_arena_free(req.arena);
    }
}

/* The web UI's shapes: the root pattern and a "{name*}" rest segment. */
static const struct tl_route web_routes[] = {
    {TL_GET, "/", TL_AUTH_NONE, h_dummy, "root", 0},               /* 0 */
    {TL_GET, "/app", TL_AUTH_NONE, h_dummy, "app", 0},             /* 1 */
    {TL_GET, "/app/{file*}", TL_AUTH_NONE, h_dummy, "file", 0},    /* 2 */
    {TL_GET, "/{code}", TL_AUTH_NONE, h_dummy, "short", 0},        /* 3 */
    {TL_GET, "/x/{a*}/y", TL_AUTH_NONE, h_dummy, "not_last", 0},   /* 4 */
    {TL_POST, "/api/v1/programs", TL_AUTH_BRAND, h_dummy, "p", 0}, /* 5 */
};

static const struct case_ web_cases[] = {
    {TL_GET, "/", TL_OK, 0, 0, 0, {0}, {NULL}},
    {TL_HEAD, "/?a=1", TL_OK, 0, 0, 0, {0}, {NULL}},
    {TL_POST, "/", TL_ERR_METHOD, 0, TL_GET | TL_HEAD, 0, {0}, {NULL}},
    {TL_GET, "", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "//", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/app", TL_OK, 1, 0, 0, {0}, {NULL}},
    {TL_GET, "/app/", TL_OK, 2, 0, 1, {0}, {""}},
    {TL_GET, "/app/index.html", TL_OK, 2, 0, 1, {0}, {"index.html"}},
    {TL_GET, "/app/campaigns/3/tasks?x=1", TL_OK, 2, 0, 1, {0}, {"campaigns/3/tasks"}},
    {TL_GET, "/app//a/", TL_OK, 2, 0, 1, {0}, {"/a/"}},
    {TL_POST, "/app/x", TL_ERR_METHOD, 0, TL_GET | TL_HEAD, 0, {0}, {NULL}},
    {TL_GET, "/apps/x", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/apps", TL_OK, 3, 0, 1, {0}, {"apps"}},
    {TL_GET, "/ap", TL_OK, 3, 0, 1, {0}, {"ap"}},
    {TL_GET, "/x/a/y", TL_ERR_NOTFOUND, 0, 0, 0, {0}, {NULL}},
    {TL_GET, "/x", TL_OK, 3, 0, 1, {0}, {"x"}},
    {TL_POST, "/api/v1/programs", TL_OK, 5, 0, 0, {0}, {NULL}},
};

static void run_cases(const struct tl_route *table, size_t n_routes, const struct case_ *cs,
                      size_t n_cases)
{
    size_t i, j;

    for (i = 0; i < n_cases; i++) {
        const struct case_ *c = &cs[i];
        struct tl_req req;
        size_t idx = SIZE_MAX;
        unsigned allowed = 12345;
        enum tl_err err;

        memset(&req, 0, sizeof(req));
        req.arena = tl_arena_new(4096);
        assert_non_null(req.arena);
        err = tl_router_match(table, n_routes, c->m, c->path, &req, &idx, &allowed);
        if (err != c->err)
            fail_msg("case %zu (%s): err %d, want %d", i, c->path, err, c->err);
        if (err == TL_OK) {
            if (idx != c->route)
                fail_msg("case %zu (%s): route %zu, want %zu", i, c->path, idx, c->route);
            assert_int_equal(req.n_params, c->n_params);
            for (j = 0; j < c->n_params; j++) {
                assert_int_equal(req.ids[j], c->ids[j]);
                assert_string_equal(req.raw[j], c->raw[j]);
            }
        } else if (err == TL_ERR_METHOD) {
            if (allowed != c->allowed)
                fail_msg("case %zu (%s): allowed %u, want %u", i, c->path, allowed, c->allowed);
        }
        tl_arena_free(req.arena);
    }
}

static void test_web_shapes(void **state)
{
    (void)state;
    run_cases(web_routes, sizeof(web_routes) / sizeof(web_routes[0]), web_cases,
              sizeof(web_cases) / sizeof(web_cases[0]));
}

static void test_null_outputs(void **state)
{
    (void)state;
    assert_int_equal(tl_router_match(routes, N_ROUTES, TL_GET, "/healthz", NULL, NULL, NULL),
                     TL_OK);
    assert_int_equal(tl_router_match(routes, 0, TL_GET, "/healthz", NULL, NULL, NULL),
                     TL_ERR_NOTFOUND);
}

static void test_arena_full(void **state)
{
    struct tl_req req;

    (void)state;
    memset(&req, 0, sizeof(req));
    req.arena = tl_arena_new(0);
    assert_int_equal(tl_router_match(routes, N_ROUTES, TL_GET, "/c/1/2/3", &req, NULL, NULL),
                     TL_ERR_NOMEM);
    tl_arena_free(req.arena);
}

static void test_method_names(void **state)
{
    char buf[64];

    (void)state;
    assert_int_equal(tl_router_method("GET"), TL_GET);
    assert_int_equal(tl_router_method("HEAD"), TL_HEAD);
    assert_int_equal(tl_router_method("PATCH"), TL_PATCH);
    assert_int_equal(tl_router_method("DELETE"), TL_DELETE);
    assert_int_equal(tl_router_method("get"), 0);
    assert_int_equal(tl_router_method("OPTIONS"), 0);
    assert_int_equal(tl_router_method(NULL), 0);
    assert_string_equal(tl_router_allow(TL_GET | TL_HEAD | TL_PATCH, buf, sizeof(buf)),
                        "GET, HEAD, PATCH");
    assert_string_equal(tl_router_allow(TL_POST, buf, sizeof(buf)), "POST");
    assert_string_equal(tl_router_allow(0, buf, sizeof(buf)), "");
    assert_string_equal(tl_router_allow(TL_GET | TL_HEAD, buf, 6), "GET");
}

static void test_status_map(void **state)
{
    static const struct {
        enum tl_err err;
        int status;
        const char *code;
    } map[] = {
        {TL_ERR_BADREQ, 400, "bad_request"},
        {TL_ERR_UNAUTHORIZED, 401, "unauthorized"},
        {TL_ERR_FORBIDDEN, 403, "forbidden"},
        {TL_ERR_NOTFOUND, 404, "not_found"},
        {TL_ERR_METHOD, 405, "method_not_allowed"},
        {TL_ERR_CONFLICT, 409, "conflict"},
        {TL_ERR_TOOLARGE, 413, "payload_too_large"},
        {TL_ERR_INVALID, 422, "invalid_value"},
        {TL_ERR_BUSY, 503, "unavailable"},
        {TL_ERR_NOMEM, 500, "internal_error"},
        {TL_ERR_IO, 500, "internal_error"},
        {TL_ERR_INTERNAL, 500, "internal_error"},
        {TL_OK, 500, "internal_error"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        assert_int_equal(tl_http_status(map[i].err), map[i].status);
        assert_string_equal(tl_http_default_code(map[i].err), map[i].code);
    }
}

static void test_problem_render(void **state)
{
    struct tl_problem p;
    size_t len = 0;
    int status = 0;
    char *s;

    (void)state;
    tl_problem_set(&p, TL_ERR_INVALID, "landing_page_not_permitted", "url", "host %s", "x.test");
    s = tl_http_problem_render(&p, &status, &len);
    assert_non_null(s);
    assert_int_equal(status, 422);
    assert_int_equal(len, strlen(s));
    assert_string_equal(s, "{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\","
                           "\"status\":422,\"code\":\"landing_page_not_permitted\","
                           "\"detail\":\"host x.test\",\"field\":\"url\"}");
    free(s);

    /* No code, no detail, no field: the defaults. */
    tl_problem_init(&p);
    p.err = TL_ERR_NOTFOUND;
    s = tl_http_problem_render(&p, &status, &len);
    assert_non_null(s);
    assert_int_equal(status, 404);
    assert_string_equal(s, "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
                           "\"code\":\"not_found\",\"detail\":\"Not Found\"}");
    free(s);

    /* A detail that is not UTF-8 is replaced, never fatal. */
    tl_problem_set(&p, TL_ERR_BADREQ, "invalid_json", NULL, "bad byte \xff");
    s = tl_http_problem_render(&p, &status, &len);
    assert_non_null(s);
    assert_int_equal(status, 400);
    assert_non_null(strstr(s, "\"detail\":\"Bad Request\""));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_web_shapes),
        cmocka_unit_test(test_null_outputs),
        cmocka_unit_test(test_arena_full),
        cmocka_unit_test(test_method_names),
        cmocka_unit_test(test_status_map),
        cmocka_unit_test(test_problem_render),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
