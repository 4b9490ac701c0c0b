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
    {TL_GET, "/healthz", TL_AUTH_NONE, tl_api_healthz, "healthz"},

    /* accounts: the operator key only */
    {TL_POST, "/api/v1/brands", TL_AUTH_ADMIN, tl_api_brands_create, "brands.create"},
    {TL_POST, "/api/v1/partners", TL_AUTH_ADMIN, tl_api_partners_create, "partners.create"},

    /* programs */
    {TL_POST, "/api/v1/programs", BRAND, tl_api_programs_create, "programs.create"},
    {TL_GET, "/api/v1/programs", BRAND, tl_api_programs_list, "programs.list"},
    {TL_GET, "/api/v1/programs/{id}", BRAND, tl_api_programs_get, "programs.get"},
    {TL_PATCH, "/api/v1/programs/{id}", BRAND, tl_api_programs_patch, "programs.patch"},
    {TL_POST, "/api/v1/programs/{id}/postback-key", BRAND, tl_api_programs_rotate_key,
     "programs.rotate_key"},
    {TL_POST, "/api/v1/programs/{id}/landing-pages", BRAND, tl_api_landing_pages_create,
     "landing_pages.create"},
    {TL_GET, "/api/v1/programs/{id}/landing-pages", BRAND, tl_api_landing_pages_list,
     "landing_pages.list"},
    {TL_POST, "/api/v1/programs/{id}/partners", BRAND, tl_api_program_partners_add,
     "program_partners.add"},
    {TL_GET, "/api/v1/programs/{id}/partners", BRAND, tl_api_program_partners_list,
     "program_partners.list"},

    /* campaigns */
    {TL_POST, "/api/v1/programs/{id}/campaigns", BRAND, tl_api_campaigns_create,
     "campaigns.create"},
    {TL_GET, "/api/v1/campaigns", BOTH, tl_api_campaigns_list, "campaigns.list"},
    {TL_GET, "/api/v1/campaigns/{id}", BOTH, tl_api_campaigns_get, "campaigns.get"},
    {TL_PATCH, "/api/v1/campaigns/{id}", BRAND, tl_api_campaigns_patch, "campaigns.patch"},
    {TL_POST, "/api/v1/campaigns/{id}/partners", BRAND, tl_api_campaign_partners_add,
     "campaign_partners.add"},
    {TL_GET, "/api/v1/campaigns/{id}/partners", BRAND, tl_api_campaign_partners_list,
     "campaign_partners.list"},

    /* tasks */
    {TL_POST, "/api/v1/campaigns/{id}/tasks", BRAND, tl_api_tasks_create, "tasks.create"},
    {TL_GET, "/api/v1/campaigns/{id}/tasks", BOTH, tl_api_tasks_list, "tasks.list"},
    {TL_GET, "/api/v1/tasks/{id}", BOTH, tl_api_tasks_get, "tasks.get"},
    {TL_PATCH, "/api/v1/tasks/{id}", BRAND, tl_api_tasks_patch, "tasks.patch"},
    {TL_POST, "/api/v1/tasks/{id}/partners", BRAND, tl_api_task_partners_add,
     "task_partners.add"},
    {TL_GET, "/api/v1/tasks/{id}/partners", BRAND, tl_api_task_partners_list,
     "task_partners.list"},
    {TL_GET, "/api/v1/me/tasks", PARTNER, tl_api_me_tasks, "me.tasks"},

    /* tracking links */
    {TL_POST, "/api/v1/tasks/{id}/links", BOTH, tl_api_links_create, "links.create"},
    {TL_GET, "/api/v1/tasks/{id}/links", BOTH, tl_api_links_list, "links.list"},
    {TL_GET, "/api/v1/links/{id}", BOTH, tl_api_links_get, "links.get"},
    {TL_PATCH, "/api/v1/links/{id}", BRAND, tl_api_links_patch, "links.patch"},
    {TL_GET, "/api/v1/links/{id}/qr.svg", BOTH, tl_api_links_qr, "links.qr"},
};

const size_t tl_api_n_routes = sizeof(tl_api_routes) / sizeof(tl_api_routes[0]);
