/*
 * redirects.c: the glue between the route table and the redirect hot path
 * in track/. Its link cache learns of changes from the store itself
 * (tl_cache_on_change).
 */
#include "api/api.h"
#include "api/handlers.h"
#include "track/track.h"

TL_HANDLER(tl_api_redirect_short)
{
    struct tl_app *app = req->app;

    return tl_track_redirect(app->track, req, resp, prob, false);
}

TL_HANDLER(tl_api_redirect_regular)
{
    struct tl_app *app = req->app;

    return tl_track_redirect(app->track, req, resp, prob, true);
}
