/*
 * handlers.h: the API's request handlers, one group per resource file.
 * Internal to api/: routes.c maps them to paths. Each is a tl_handler_fn
 * (see http/http.h); path ids arrive in req->ids[] in pattern order.
 */
#ifndef TL_API_HANDLERS_H
#define TL_API_HANDLERS_H

#include "http/http.h"

#define TL_HANDLER(name) \
    enum tl_err name(struct tl_req *req, struct tl_resp *resp, struct tl_problem *prob)

/* accounts.c */
TL_HANDLER(tl_api_brands_create);   /* POST /api/v1/brands (admin) */
TL_HANDLER(tl_api_partners_create); /* POST /api/v1/partners (admin) */

/* programs.c */
TL_HANDLER(tl_api_programs_create);        /* POST  /api/v1/programs */
TL_HANDLER(tl_api_programs_list);          /* GET   /api/v1/programs */
TL_HANDLER(tl_api_programs_get);           /* GET   /api/v1/programs/{id} */
TL_HANDLER(tl_api_programs_patch);         /* PATCH /api/v1/programs/{id} */
TL_HANDLER(tl_api_programs_rotate_key);    /* POST  /api/v1/programs/{id}/postback-key */
TL_HANDLER(tl_api_landing_pages_create);   /* POST  /api/v1/programs/{id}/landing-pages */
TL_HANDLER(tl_api_landing_pages_list);     /* GET   /api/v1/programs/{id}/landing-pages */
TL_HANDLER(tl_api_program_partners_add);   /* POST  /api/v1/programs/{id}/partners */
TL_HANDLER(tl_api_program_partners_list);  /* GET   /api/v1/programs/{id}/partners */

/* campaigns.c */
TL_HANDLER(tl_api_campaigns_create);        /* POST  /api/v1/programs/{id}/campaigns */
TL_HANDLER(tl_api_campaigns_list);          /* GET   /api/v1/campaigns */
TL_HANDLER(tl_api_campaigns_get);           /* GET   /api/v1/campaigns/{id} */
TL_HANDLER(tl_api_campaigns_patch);         /* PATCH /api/v1/campaigns/{id} */
TL_HANDLER(tl_api_campaign_partners_add);   /* POST  /api/v1/campaigns/{id}/partners */
TL_HANDLER(tl_api_campaign_partners_list);  /* GET   /api/v1/campaigns/{id}/partners */

/* tasks.c */
TL_HANDLER(tl_api_tasks_create);        /* POST  /api/v1/campaigns/{id}/tasks */
TL_HANDLER(tl_api_tasks_list);          /* GET   /api/v1/campaigns/{id}/tasks */
TL_HANDLER(tl_api_tasks_get);           /* GET   /api/v1/tasks/{id} */
TL_HANDLER(tl_api_tasks_patch);         /* PATCH /api/v1/tasks/{id} */
TL_HANDLER(tl_api_task_partners_add);   /* POST  /api/v1/tasks/{id}/partners */
TL_HANDLER(tl_api_task_partners_list);  /* GET   /api/v1/tasks/{id}/partners */
TL_HANDLER(tl_api_me_tasks);            /* GET   /api/v1/me/tasks (partner) */

/* links.c */
TL_HANDLER(tl_api_links_create); /* POST  /api/v1/tasks/{id}/links (brand, partner) */
TL_HANDLER(tl_api_links_list);   /* GET   /api/v1/tasks/{id}/links (brand, partner) */
TL_HANDLER(tl_api_links_list_all); /* GET /api/v1/links?campaign_id=&partner_id=&task_id= */
TL_HANDLER(tl_api_links_get);    /* GET   /api/v1/links/{id} (brand, partner) */
TL_HANDLER(tl_api_links_patch);  /* PATCH /api/v1/links/{id} (brand) */
TL_HANDLER(tl_api_links_qr);     /* GET   /api/v1/links/{id}/qr.svg (brand, partner) */

struct tl_app;
struct tl_campaign;
struct tl_link;

/*
 * The link object of the API. program_default is the program's current
 * default landing page (a link whose landing_url is NULL follows it).
 * Sub ids of a link a partner made read as null to anyone but a partner.
 * New reference, NULL on OOM.
 */
json_t *tl_api_link_json(const struct tl_app *app, const struct tl_actor *who,
                         const struct tl_link *l, const char *program_default);

/*
 * When the campaign is active, tracks, and runs in program_default mode,
 * makes every assigned partner's short link to the program default (the
 * links "made on assignment"). Call after any assignment or campaign
 * change. TL_OK when nothing was due.
 */
enum tl_err tl_api_links_ensure_defaults(struct tl_app *app, const struct tl_campaign *c);

/* reports.c */
TL_HANDLER(tl_api_reports); /* GET /api/v1/reports (brand, partner) */

/* conversions.c */
TL_HANDLER(tl_api_conversions_create);  /* POST  /api/v1/conversions (brand) */
TL_HANDLER(tl_api_conversions_list);    /* GET   /api/v1/conversions (brand, partner) */
TL_HANDLER(tl_api_conversions_get);     /* GET   /api/v1/conversions/{id} (brand, partner) */
TL_HANDLER(tl_api_conversions_patch);   /* PATCH /api/v1/conversions/{id} (brand) */
TL_HANDLER(tl_api_conversions_history); /* GET   /api/v1/conversions/{id}/history */
TL_HANDLER(tl_api_postback);            /* GET   /postback?key=... (the program's key) */

/* rejected.c: refused conversion attempts */
TL_HANDLER(tl_api_conversions_rejected); /* GET /api/v1/conversions/rejected (brand) */

/* postbacks.c: a partner's own postback configuration and delivery log */
TL_HANDLER(tl_api_me_postback_put);   /* PUT /api/v1/me/postback (partner) */
TL_HANDLER(tl_api_me_postback_get);   /* GET /api/v1/me/postback (partner) */
TL_HANDLER(tl_api_me_postbacks_list); /* GET /api/v1/me/postbacks (partner) */

/* redirects.c: the public redirect routes, handed to track/ */
TL_HANDLER(tl_api_redirect_short);   /* GET /{code} */
TL_HANDLER(tl_api_redirect_regular); /* GET /c/{partner_id}/{task_id}/{campaign_id} */

/* session.c: the web UI's sign-in (no key: the body or the cookie decides) */
TL_HANDLER(tl_api_session_create); /* POST   /api/v1/session */
TL_HANDLER(tl_api_session_get);    /* GET    /api/v1/session */
TL_HANDLER(tl_api_session_delete); /* DELETE /api/v1/session */

/* keys.c: API keys, an account's own; the operator's for any account */
TL_HANDLER(tl_api_keys_list);   /* GET    /api/v1/api-keys */
TL_HANDLER(tl_api_keys_create); /* POST   /api/v1/api-keys */
TL_HANDLER(tl_api_keys_revoke); /* DELETE /api/v1/api-keys/{id} */

/* ops.c */
TL_HANDLER(tl_api_healthz); /* GET /healthz (no auth) */

/* web.c: the web UI's files (UI.md) */
TL_HANDLER(tl_api_web_root); /* GET /: 302 to /app/ */
TL_HANDLER(tl_api_web_app);  /* GET /app: 302 to /app/ */
TL_HANDLER(tl_api_web_file); /* GET /app/{file*}: a file of web/, or index.html */

#endif
