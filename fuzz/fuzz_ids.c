/*
 * fuzz_ids.c: link codes (core/link.c) and click ids (track/clickid.c),
 * the tokens a visitor's request and a brand's conversion carry, and the
 * link URLs built from them.
 *
 * Input lines: a token (tried as a code and as a click id), then a public
 * URL and a landing page for tl_link_short_url / tl_link_regular_url.
 * Checked: a valid code is TL_LINK_CODE_LEN base62 characters; a valid click id has a time
 * in [0, 62^8) that a fresh id made at that time encodes the same way; an
 * invalid one has time -1; the regular URL percent-encodes the landing
 * page (no space or control byte in it).
 */
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/link.h"
#include "core/model.h"
#include "fuzz.h"
#include "track/clickid.h"

#define BASE62 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_arena *a;
    char fresh[TL_CLICKID_LEN + 1];
    struct fz_fields in;
    const char *tok;
    char *url;
    int64_t t;

    if (size > 8192)
        return 0;
    if (a == NULL) {
        if (sodium_init() < 0 || (a = tl_arena_new(256 * 1024)) == NULL)
            abort();
    }
    fz_split(data, size, 3, &in);
    tok = in.f[0];

    if (tl_link_code_valid(tok))
        FZ_CHECK(strlen(tok) == TL_LINK_CODE_LEN && strspn(tok, BASE62) == TL_LINK_CODE_LEN);
    (void)tl_link_code_reserved(tok);

    t = tl_clickid_time(tok);
    if (tl_clickid_valid(tok)) {
        FZ_CHECK(strlen(tok) == TL_CLICKID_LEN && strspn(tok, BASE62) == TL_CLICKID_LEN);
        FZ_CHECK(t >= 0);
        tl_clickid_new(t, fresh);
        FZ_CHECK(memcmp(fresh, tok, TL_CLICKID_TIME_LEN) == 0);
        FZ_CHECK(tl_clickid_time(fresh) == t);
    } else {
        FZ_CHECK(t == -1);
    }

    url = tl_link_short_url(a, in.f[1], tok);
    FZ_CHECK(url != NULL);
    url = tl_link_regular_url(a, in.f[1], 1, 2, 3, in.n > 2 ? in.f[2] : NULL);
    FZ_CHECK(url != NULL);
    if (in.n > 2) {
        size_t pre = strlen(in.f[1]) + strlen("/c/1/2/3?u=");
        const char *s;

        FZ_CHECK(strlen(url) >= pre && strncmp(url + pre - 3, "?u=", 3) == 0);
        for (s = url + pre; *s != '\0'; s++)
            FZ_CHECK((unsigned char)*s > 0x20 && *s != 0x7f);
    }
    tl_arena_reset(a);
    fz_free(&in);
    return 0;
}
