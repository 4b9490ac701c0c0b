/*
 * ops.c: operational endpoints served through the route table. GET
 * /healthz answers 200 once the store answers a ping (load balancers and
 * the test harness poll it); /metrics is the server's own.
 */
#include "api/api.h"
#include "api/handlers.h"
#include "api/output.h"

TL_HANDLER(tl_api_healthz)
{
    struct tl_app *app = req->app;
    json_t *o;
    enum tl_err err;

    err = tl_store_ping(app->store);
    if (err != TL_OK)
        return tl_problem_set(prob, TL_ERR_BUSY, "unavailable", NULL,
                              "the store cannot be reached");
    o = json_pack("{s:s}", "status", "ok");
    if (tl_out_json(resp, 200, o) != TL_OK)
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    return TL_OK;
}
