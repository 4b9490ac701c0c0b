/*
 * routes.c: the API's route table, handed to the HTTP server by main.c.
 *
 * Each entry names the methods, the path pattern, which kinds of key may
 * call it (anything else is 403 before the handler runs), the handler, and
 * the route name used as the /metrics label. A path may appear once per
 * method with its own kind mask (the router picks the entry by method).
 * Tenancy (another account's object is 404) is the handlers' and the
 * store's job, not the table's.
 */
#include "api/api.h"
#include "api/handlers.h"

#define BRAND TL_AUTH_BRAND
#define PARTNER TL_AUTH_PARTNER
#define BOTH (TL_AUTH_BRAND | TL_AUTH_PARTNER)

const struct tl_route tl_api_routes[] = {
    {TL_GET, "/healthz", TL_AUTH_NONE, tl_api_healthz, "healthz", 0},

    /* accounts: the operator key only */
    {TL_POST, "/api/v1/brands", TL_AUTH_ADMIN, tl_api_brands_create, "brands.create", 0},
    {TL_POST, "/api/v1/partners", TL_AUTH_ADMIN, tl_api_partners_create, "partners.create", 0},

    /* the web UI's sign-in: the handlers read the body or the cookie */
    {TL_POST, "/api/v1/session", TL_AUTH_NONE, tl_api_session_create, "session.create", 0},
    {TL_GET, "/api/v1/session", TL_AUTH_NONE, tl_api_session_get, "session.get", 0},
    {TL_DELETE, "/api/v1/session", TL_AUTH_NONE, tl_api_session_delete, "session.delete", 0},

    /* API keys: an account's own, or any account's for the operator */
    {TL_GET, "/api/v1/api-keys", TL_AUTH_ANY, tl_api_keys_list, "api_keys.list", 0},
    {TL_POST, "/api/v1/api-keys", TL_AUTH_ANY, tl_api_keys_create, "api_keys.create", 0},
    {TL_DELETE, "/api/v1/api-keys/{id}", TL_AUTH_ANY, tl_api_keys_revoke, "api_keys.revoke", 0},

    /* programs */
    {TL_POST, "/api/v1/programs", BRAND, tl_api_programs_create, "programs.create", 0},
    {TL_GET, "/api/v1/programs", BRAND, tl_api_programs_list, "programs.list", 0},
    {TL_GET, "/api/v1/programs/{id}", BRAND, tl_api_programs_get, "programs.get", 0},
    {TL_PATCH, "/api/v1/programs/{id}", BRAND, tl_api_programs_patch, "programs.patch", 0},
    {TL_POST, "/api/v1/programs/{id}/postback-key", BRAND, tl_api_programs_rotate_key,
     "programs.rotate_key", TL_ROUTE_NOBODY},
    {TL_POST, "/api/v1/programs/{id}/landing-pages", BRAND, tl_api_landing_pages_create,
     "landing_pages.create", 0},
    {TL_GET, "/api/v1/programs/{id}/landing-pages", BRAND, tl_api_landing_pages_list,
     "landing_pages.list", 0},
    {TL_POST, "/api/v1/programs/{id}/partners", BRAND, tl_api_program_partners_add,
     "program_partners.add", 0},
    {TL_GET, "/api/v1/programs/{id}/partners", BRAND, tl_api_program_partners_list,
     "program_partners.list", 0},

    /* campaigns */
    {TL_POST, "/api/v1/programs/{id}/campaigns", BRAND, tl_api_campaigns_create, "campaigns.create",
     0},
    {TL_GET, "/api/v1/campaigns", BOTH, tl_api_campaigns_list, "campaigns.list", 0},
    {TL_GET, "/api/v1/campaigns/{id}", BOTH, tl_api_campaigns_get, "campaigns.get", 0},
    {TL_PATCH, "/api/v1/campaigns/{id}", BRAND, tl_api_campaigns_patch, "campaigns.patch", 0},
    {TL_POST, "/api/v1/campaigns/{id}/partners", BRAND, tl_api_campaign_partners_add,
     "campaign_partners.add", 0},
    {TL_GET, "/api/v1/campaigns/{id}/partners", BRAND, tl_api_campaign_partners_list,
     "campaign_partners.list", 0},

    /* tasks */
    {TL_POST, "/api/v1/campaigns/{id}/tasks", BRAND, tl_api_tasks_create, "tasks.create", 0},
    {TL_GET, "/api/v1/campaigns/{id}/tasks", BOTH, tl_api_tasks_list, "tasks.list", 0},
    {TL_GET, "/api/v1/tasks/{id}", BOTH, tl_api_tasks_get, "tasks.get", 0},
    {TL_PATCH, "/api/v1/tasks/{id}", BRAND, tl_api_tasks_patch, "tasks.patch", 0},
    {TL_POST, "/api/v1/tasks/{id}/partners", BRAND, tl_api_task_partners_add, "task_partners.add",
     0},
    {TL_GET, "/api/v1/tasks/{id}/partners", BRAND, tl_api_task_partners_list, "task_partners.list",
     0},
    {TL_GET, "/api/v1/me/tasks", PARTNER, tl_api_me_tasks, "me.tasks", 0},

    /* tracking links */
    {TL_POST, "/api/v1/tasks/{id}/links", BOTH, tl_api_links_create, "links.create", 0},
    {TL_GET, "/api/v1/tasks/{id}/links", BOTH, tl_api_links_list, "links.list", 0},
    {TL_GET, "/api/v1/links", BOTH, tl_api_links_list_all, "links.list_all", 0},
    {TL_GET, "/api/v1/links/{id}", BOTH, tl_api_links_get, "links.get", 0},
    {TL_PATCH, "/api/v1/links/{id}", BRAND, tl_api_links_patch, "links.patch", 0},
    {TL_GET, "/api/v1/links/{id}/qr.svg", BOTH, tl_api_links_qr, "links.qr", 0},

    /* reports */
    {TL_GET, "/api/v1/reports", BOTH, tl_api_reports, "reports", 0},

    /* conversions; GET /postback authenticates by the program's postback key itself */
    {TL_POST, "/api/v1/conversions", BRAND, tl_api_conversions_create, "conversions.create",
     TL_ROUTE_ASYNC},
    {TL_GET, "/api/v1/conversions", BOTH, tl_api_conversions_list, "conversions.list", 0},
    {TL_GET, "/api/v1/conversions/{id}", BOTH, tl_api_conversions_get, "conversions.get", 0},
    {TL_PATCH, "/api/v1/conversions/{id}", BRAND, tl_api_conversions_patch, "conversions.patch", 0},
    {TL_GET, "/api/v1/conversions/{id}/history", BOTH, tl_api_conversions_history,
     "conversions.history", 0},
    {TL_GET, "/postback", TL_AUTH_NONE, tl_api_postback, "postback", TL_ROUTE_DIRECT},
    {TL_GET, "/api/v1/conversions/rejected", BRAND, tl_api_conversions_rejected,
     "conversions.rejected", 0},

    /* partner postbacks */
    {TL_PUT, "/api/v1/me/postback", PARTNER, tl_api_me_postback_put, "me.postback.put", 0},
    {TL_GET, "/api/v1/me/postback", PARTNER, tl_api_me_postback_get, "me.postback.get", 0},
    {TL_GET, "/api/v1/me/postbacks", PARTNER, tl_api_me_postbacks_list, "me.postbacks.list", 0},

    /* redirects: public, served on the HTTP threads from the link cache */
    {TL_GET, "/{code}", TL_AUTH_NONE, tl_api_redirect_short, "redirect.short", TL_ROUTE_INLINE},
    {TL_GET, "/c/{partner_id}/{task_id}/{campaign_id}", TL_AUTH_NONE, tl_api_redirect_regular,
     "redirect.regular", TL_ROUTE_INLINE},

    /* the web UI: static files, answered on the thread that read the request */
    {TL_GET, "/", TL_AUTH_NONE, tl_api_web_root, "web.root", TL_ROUTE_DIRECT},
    {TL_GET, "/app", TL_AUTH_NONE, tl_api_web_app, "web.app", TL_ROUTE_DIRECT},
    {TL_GET, "/app/{file*}", TL_AUTH_NONE, tl_api_web_file, "web.file", TL_ROUTE_DIRECT},
};

const size_t tl_api_n_routes = sizeof(tl_api_routes) / sizeof(tl_api_routes[0]);
