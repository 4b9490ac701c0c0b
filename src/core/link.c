/*
 * link.c: short codes and link URLs. Randomness comes from libsodium,
 * percent-encoding from libcurl.
 */
#include "core/link.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* First path segments the server answers itself, now or in the plans
 * (the web UI, static files, well-known paths). Compared case-insensitively
 * so that no code can even look like one. */
static const char *const reserved[] = {
    "api",    "app",    "c",      "healthz", "metrics", "postback", "admin",   "login",
    "logout", "static", "assets", "docs",    "health",  "status",   "robots",  "favicon",
    "v1",     "me",     "qr",     "public",  "signup",  "session",  "sessions",
};

bool tl_link_code_reserved(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcasecmp(s, reserved[i]) == 0)
            return true;
    return false;
}

bool tl_link_code_valid(const char *s)
{
    size_t i;

    for (i = 0; i < TL_LINK_CODE_LEN; i++)
        if (s[i] == '\0' || strchr(base62, s[i]) == NULL)
            return false;
    return s[i] == '\0';
}

void tl_link_code_new(char *out)
{
    size_t i;

    do {
        for (i = 0; i < TL_LINK_CODE_LEN; i++)
            out[i] = base62[randombytes_uniform(62)];
        out[i] = '\0';
    } while (tl_link_code_reserved(out));
}

char *tl_link_short_url(struct tl_arena *a, const char *public_url, const char *code)
{
    return tl_arena_printf(a, "%s/%s", public_url, code);
}

char *tl_link_regular_url(struct tl_arena *a, const char *public_url, int64_t partner_id,
                          int64_t task_id, int64_t campaign_id, const char *landing)
{
    char *enc, *url;

    if (landing == NULL)
        return tl_arena_printf(a, "%s/c/%" PRId64 "/%" PRId64 "/%" PRId64, public_url,
                               partner_id, task_id, campaign_id);
    /* The handle argument of curl_easy_escape is unused since 7.82. */
    enc = curl_easy_escape(NULL, landing, 0);
    if (enc == NULL)
        return NULL;
    url = tl_arena_printf(a, "%s/c/%" PRId64 "/%" PRId64 "/%" PRId64 "?u=%s", public_url,
                          partner_id, task_id, campaign_id, enc);
    curl_free(enc);
    return url;
}
