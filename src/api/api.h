/*
 * api.h: the REST API of tracklink (/api/v1/...), the application context
 * handed to every handler, and the route table that main.c gives the HTTP
 * server.
 *
 * One handler file per resource: accounts.c (brands, partners), programs.c
 * (programs, landing pages, program memberships), campaigns.c (campaigns,
 * campaign memberships), tasks.c (tasks, task memberships, /me/tasks),
 * ops.c (/healthz). routes.c holds the table. auth.c turns an API key into
 * a struct tl_actor.
 */
#ifndef TL_API_API_H
#define TL_API_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"
#include "http/http.h"
#include "store/store.h"

/* When a redirect answers: once its click is queued, or once it is committed. */
enum tl_click_durability {
    TL_CLICK_ASYNC = 0,
    TL_CLICK_SYNC,
};

/* The application context: req->app points to one of these. main.c owns it. */
struct tl_app {
    struct tl_store *store;
    const char *public_url;        /* "http://127.0.0.1:8080", no trailing slash */
    bool has_admin_key;            /* false: operator endpoints answer 401 */
    unsigned char admin_key_hash[32]; /* BLAKE2b-256 of TRACKLINK_ADMIN_KEY */
    enum tl_click_durability click_durability; /* --click-durability */
    bool trust_proxy;             /* --trust-proxy: client IP from X-Forwarded-For */
    bool allow_private_postbacks; /* --allow-private-postbacks (tests) */
    struct tl_track *track;       /* the redirect path; NULL in `tracklink admin` */
    /* The partner postback sender (track/postbacks.h), poked after a
     * commit that queued a delivery; NULL in `tracklink admin`. */
    struct tl_postbacks *postbacks;
    /* --web-dir: serve the UI's files from this folder instead of the
     * copies compiled in (for working on the UI); NULL by default. */
    const char *web_dir;
};

struct tl_track;
struct tl_postbacks;

extern const struct tl_route tl_api_routes[];
extern const size_t tl_api_n_routes;

/*
 * Authenticates an Authorization header value ("Bearer <key>"; NULL when
 * absent) against the admin key and the store's key hashes, in constant
 * time. Returns TL_OK with *out set, or TL_ERR_UNAUTHORIZED.
 */
enum tl_err tl_api_authenticate(void *app, const char *authorization, struct tl_actor *out);

/* The same without blocking: only the admin key and keys remembered from
 * an earlier request (60 s); TL_ERR_AGAIN when the store would have to be
 * read. */
enum tl_err tl_api_authenticate_cached(void *app, const char *authorization,
                                       struct tl_actor *out);

/* Hashes an API key as it is stored: BLAKE2b-256 (libsodium). */
void tl_api_key_hash(const char *key, unsigned char out[32]);

/*
 * Creates a brand or a partner account from a request body (the shapes of
 * POST /api/v1/brands and /partners), with a fresh API key and an optional
 * UI user. Used by both the HTTP handlers and `tracklink admin`.
 * On success *out is a new JSON object (the caller decrefs it) holding the
 * key, which is never shown again. On failure prob says why.
 */
enum tl_err tl_api_account_create(struct tl_app *app, enum tl_account_kind kind, json_t *body,
                                  json_t **out, struct tl_problem *prob);

/*
 * Tells the redirect path's link cache what changed: a program (its
 * default, domains, click id parameter), a campaign (its state, or the
 * assignments and links in it; 0 for none), and whether links were
 * created. Call after the change has committed.
 */
void tl_api_invalidate(struct tl_app *app, int64_t program_id, int64_t campaign_id,
                       bool links_created);

#endif
