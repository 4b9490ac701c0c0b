/*
 * link.h: the rules of tracking links that need no storage: short codes,
 * the words a code may never be, and the shapes of short and regular URLs.
 */
#ifndef TL_CORE_LINK_H
#define TL_CORE_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/model.h"

/*
 * Writes a fresh code: TL_LINK_CODE_LEN base62 characters drawn from
 * libsodium's CSPRNG (uniformly, no modulo bias), never a reserved word.
 * out must hold TL_LINK_CODE_LEN + 1 bytes. sodium_init() must have run.
 */
void tl_link_code_new(char *out);

/*
 * True when s may not be a code because it is (case-insensitively) a
 * first path segment the server uses itself: api, app, c, healthz,
 * metrics, postback, and the like.
 */
bool tl_link_code_reserved(const char *s);

/* True when s has the shape of a code: TL_LINK_CODE_LEN base62 characters. */
bool tl_link_code_valid(const char *s);

/* "{public_url}/{code}", in the arena. NULL on OOM. */
char *tl_link_short_url(struct tl_arena *a, const char *public_url, const char *code);

/*
 * "{public_url}/c/{partner_id}/{task_id}/{campaign_id}", with
 * "?u={percent-encoded landing}" when landing is not NULL (the caller
 * passes NULL when the landing page is the program's default). In the
 * arena; NULL on OOM.
 */
char *tl_link_regular_url(struct tl_arena *a, const char *public_url, int64_t partner_id,
                          int64_t task_id, int64_t campaign_id, const char *landing);

#endif
