/*
 * fuzz_router.c: the router (http/router.c) on the API's real route table.
 *
 * Input: the first byte picks the method (and whether the text is also
 * tried as a method token), the rest is the request path. Checked: a match
 * names a route of the table that allows the method, with at most
 * TL_PATH_PARAMS_MAX parameters, every one non-empty (but a "{name*}"
 * tail) and every "{id}" a positive id; a method refusal names methods.
 */
#include <string.h>

#include "api/api.h"
#include "fuzz.h"
#include "http/router.h"

static const enum tl_method methods[] = {TL_GET, TL_HEAD, TL_POST, TL_PUT, TL_PATCH, TL_DELETE};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_arena *arena;
    struct fz_fields in;
    struct tl_req req;
    enum tl_method m;
    size_t idx = (size_t)-1, i;
    unsigned allowed = 0;
    enum tl_err err;
    char allow[64];

    if (size < 1)
        return 0;
    if (arena == NULL && (arena = tl_arena_new(64 * 1024)) == NULL)
        abort();
    m = methods[data[0] % 6];
    fz_split(data + 1, size - 1, 1, &in);
    if (data[0] & 0x80)
        (void)tl_router_method(in.f[0]);

    memset(&req, 0, sizeof(req));
    req.arena = arena;
    req.method = m;
    req.path = in.f[0];
    err = tl_router_match(tl_api_routes, tl_api_n_routes, m, in.f[0], &req, &idx, &allowed);
    if (err == TL_OK) {
        const struct tl_route *r;

        FZ_CHECK(idx < tl_api_n_routes);
        r = &tl_api_routes[idx];
        FZ_CHECK((r->methods & m) != 0 || (m == TL_HEAD && (r->methods & TL_GET) != 0));
        FZ_CHECK(req.n_params <= TL_PATH_PARAMS_MAX);
        for (i = 0; i < req.n_params; i++) {
            FZ_CHECK(req.raw[i] != NULL);
            FZ_CHECK(req.ids[i] >= 0);
            if (strstr(r->pattern, "*}") == NULL)
                FZ_CHECK(req.raw[i][0] != '\0' && strchr(req.raw[i], '/') == NULL);
        }
    } else if (err == TL_ERR_METHOD) {
        FZ_CHECK(allowed != 0);
        tl_router_allow(allowed, allow, sizeof(allow));
        FZ_CHECK(allow[0] != '\0');
    } else {
        FZ_CHECK(err == TL_ERR_NOTFOUND || err == TL_ERR_NOMEM);
    }
    tl_arena_reset(arena);
    fz_free(&in);
    return 0;
}
