/*
 * redirects.c: the glue between the route table and the redirect hot path
 * in track/, and the API's invalidations of its link cache.
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

void tl_api_invalidate(struct tl_app *app, int64_t program_id, int64_t campaign_id,
                       bool links_created)
{
    struct tl_cache *cache;

    if (app->track == NULL)
        return;
    cache = tl_track_cache(app->track);
    if (program_id > 0)
        tl_cache_bump_program(cache, program_id);
    if (campaign_id > 0)
        tl_cache_bump_campaign(cache, campaign_id);
    if (links_created)
        tl_cache_bump_links(cache);
}
