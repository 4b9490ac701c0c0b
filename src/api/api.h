/*
 * api.h: the REST API of tracklink (/api/v1/...), the application context
 * handed to every handler, and the route table that main.c gives the HTTP
 * server.
 *
 * One handler file per resource: accounts.c (brands, partners), programs.c
 * (programs, landing pages, program memberships), campaigns.c (campaigns,
 * campaign memberships), tasks.c (tasks, task memberships, /me/tasks),
 * ops.c (/healthz), keys.c (API keys), session.c (UI sign-in). routes.c
 * holds the table. auth.c turns a request (API key or session cookie) into
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
    /* The recorder of refused conversion attempts (track/rejections.h);
     * NULL in `tracklink admin` (then nothing is recorded). */
    struct tl_rejections *rejections;
    /* --web-dir: serve the UI's files from this folder instead of the
     * copies compiled in (for working on the UI); NULL by default. */
    const char *web_dir;
};

struct tl_track;
struct tl_postbacks;
struct tl_rejections;

extern const struct tl_route tl_api_routes[];
extern const size_t tl_api_n_routes;

/*
 * The server's authentication hook (http/server.h): the caller of req, from
 * "Authorization: Bearer <key>" (the admin key or an account's API key;
 * when the header is sent it alone decides), else from the session cookie,
 * whose writes (POST, PUT, PATCH, DELETE) must carry the session's
 * X-CSRF-Token and a matching Origin when one is sent. Returns TL_OK with
 * *out set, or an error with prob filled: TL_ERR_UNAUTHORIZED (no key,
 * a bad or revoked key, no live session), TL_ERR_FORBIDDEN csrf_invalid.
 */
enum tl_err tl_api_authenticate(void *app, const struct tl_req *req, struct tl_actor *out,
                                struct tl_problem *prob);

/* The same without blocking: only the admin key and keys remembered from
 * an earlier request; TL_ERR_AGAIN when the store would have to be read
 * (an unknown key, or a session cookie). */
enum tl_err tl_api_authenticate_cached(void *app, const struct tl_req *req, struct tl_actor *out,
                                       struct tl_problem *prob);

/* Hashes an API key (or a session token) as it is stored: BLAKE2b-256. */
void tl_api_key_hash(const char *key, unsigned char out[32]);

/* A new API key: "tlk_" + base64url of 32 random bytes, its first
 * characters (kept for display) and its hash (accounts.c). */
#define TL_API_KEY_LEN        47
#define TL_API_KEY_PREFIX_LEN 12
void tl_api_key_new(char key[TL_API_KEY_LEN + 1], char prefix[TL_API_KEY_PREFIX_LEN + 1],
                    unsigned char hash[32]);

/* The store's change listener of the API key cache (tl_store_subscribe,
 * with the store as ctx): a revoked key is forgotten, so that it fails from
 * the next request on, on every path; TL_CHANGE_ALL forgets every key. */
void tl_api_keys_on_change(void *store, const struct tl_change *change);

/* UI sessions (auth.c, session.c). */
#define TL_SESSION_COOKIE    "tl_session"
#define TL_SESSION_TOKEN_LEN 43 /* base64url of 32 random bytes, unpadded */
#define TL_SESSION_IDLE_MS   (12 * 3600 * 1000LL)

/* The token of req's tl_session cookie copied into out, or NULL when there
 * is none of the right shape. */
const char *tl_api_session_token(const struct tl_req *req, char out[TL_SESSION_TOKEN_LEN + 1]);

/*
 * The live session of req's cookie, its strings in req->arena. Moves its
 * idle expiry forward when that is due (a queued write, at most once a
 * minute). TL_ERR_UNAUTHORIZED (prob filled) when there is none.
 */
enum tl_err tl_api_session_find(struct tl_app *app, const struct tl_req *req,
                                struct tl_session *out, struct tl_problem *prob);

/* A cookie write's checks: Origin (when sent) is the public URL's, and
 * X-CSRF-Token is the session's (constant time). TL_ERR_FORBIDDEN
 * csrf_invalid otherwise. */
enum tl_err tl_api_csrf_check(const struct tl_app *app, const struct tl_req *req,
                              const struct tl_session *s, struct tl_problem *prob);

/* The Origin check alone: TL_OK when req sends none or the public URL's. */
enum tl_err tl_api_origin_check(const struct tl_app *app, const struct tl_req *req,
                                struct tl_problem *prob);

/*
 * Creates a brand or a partner account from a request body (the shapes of
 * POST /api/v1/brands and /partners), with a fresh API key and an optional
 * UI user. Used by both the HTTP handlers and `tracklink admin`.
 * On success *out is a new JSON object (the caller decrefs it) holding the
 * key, which is never shown again. On failure prob says why.
 */
enum tl_err tl_api_account_create(struct tl_app *app, enum tl_account_kind kind, json_t *body,
                                  json_t **out, struct tl_problem *prob);

#endif
