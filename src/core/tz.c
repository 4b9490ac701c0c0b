/*
 * tz.c: a reader for TZif files (RFC 8536), version 2 and later, and
 * offset lookups by binary search over the transitions.
 */
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONEINFO     "/usr/share/zoneinfo/"
#define NAME_MAX_LEN 64
#define FILE_MAX     (1024 * 1024)
#define HOUR_S       3600

struct tl_tz {
    size_t n;        /* transitions */
    int64_t *at;     /* transition instants, seconds, ascending */
    int32_t *offset; /* offset in force from at[i] */
    int32_t first;   /* offset before the first transition */
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool name_ok(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > NAME_MAX_LEN || name[0] == '/' || strstr(name, "..") != NULL)
        return false;
    for (i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
    }
    return true;
}

struct counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static bool header(const unsigned char *p, size_t len, struct counts *c)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    c->isut = be32(p + 20);
    c->isstd = be32(p + 24);
    c->leap = be32(p + 28);
    c->time = be32(p + 32);
    c->type = be32(p + 36);
    c->chars = be32(p + 40);
    return c->type > 0 && c->time < FILE_MAX && c->type < 256 && c->chars < FILE_MAX &&
           c->leap < FILE_MAX && c->isut < 256 && c->isstd < 256;
}

/* Parses the 64-bit body of a version 2+ file held in buf. */
static enum tl_err parse(const unsigned char *buf, size_t len, struct tl_tz *z)
{
    struct counts c;
    const unsigned char *p = buf, *times, *idx, *types;
    size_t v1, need, i;

    if (!header(p, len, &c) || p[4] < '2')
        return TL_ERR_INVALID;
    v1 = 44 + (size_t)c.time * 5 + (size_t)c.type * 6 + c.chars + (size_t)c.leap * 8 + c.isstd +
         c.isut;
    if (v1 > len)
        return TL_ERR_INVALID;
    p += v1;
    len -= v1;
    if (!header(p, len, &c))
        return TL_ERR_INVALID;
    need = 44 + (size_t)c.time * 9 + (size_t)c.type * 6;
    if (need > len)
        return TL_ERR_INVALID;
    times = p + 44;
    idx = times + (size_t)c.time * 8;
    types = idx + c.time;
    z->n = c.time;
    z->at = calloc(c.time + 1, sizeof(*z->at));
    z->offset = calloc(c.time + 1, sizeof(*z->offset));
    if (z->at == NULL || z->offset == NULL)
        return TL_ERR_NOMEM;
    for (i = 0; i < c.time; i++) {
        if (idx[i] >= c.type)
            return TL_ERR_INVALID;
        z->at[i] = be64(times + i * 8);
        z->offset[i] = (int32_t)be32(types + (size_t)idx[i] * 6);
        if (i > 0 && z->at[i] <= z->at[i - 1])
            return TL_ERR_INVALID;
    }
    /* RFC 8536: local time type 0 applies before the first transition. */
    z->first = (int32_t)be32(types);
    return TL_OK;
}

enum tl_err tl_tz_load(const char *name, struct tl_tz **out)
{
    char path[sizeof(ZONEINFO) + NAME_MAX_LEN];
    unsigned char *buf = NULL;
    struct tl_tz *z = NULL;
    size_t len;
    FILE *f = NULL;
    enum tl_err err;

    *out = NULL;
    if (name == NULL || !name_ok(name))
        return TL_ERR_INVALID;
    z = calloc(1, sizeof(*z));
    buf = malloc(FILE_MAX);
    if (z == NULL || buf == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    if (strcmp(name, "UTC") == 0) {
        err = TL_OK; /* no transitions, offset 0: needs no file */
        goto out;
    }
    snprintf(path, sizeof(path), "%s%s", ZONEINFO, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        err = TL_ERR_INVALID;
        goto out;
    }
    len = fread(buf, 1, FILE_MAX, f);
    err = parse(buf, len, z);
out:
    if (f != NULL)
        fclose(f);
    free(buf);
    if (err != TL_OK) {
        tl_tz_free(z);
        return err;
    }
    *out = z;
    return TL_OK;
}

enum tl_err tl_tz_parse(const unsigned char *buf, size_t len, struct tl_tz **out)
{
    struct tl_tz *z = calloc(1, sizeof(*z));
    enum tl_err err;

    *out = NULL;
    if (z == NULL)
        return TL_ERR_NOMEM;
    err = parse(buf, len, z);
    if (err != TL_OK) {
        tl_tz_free(z);
        return err;
    }
    *out = z;
    return TL_OK;
}

void tl_tz_free(struct tl_tz *z)
{
    if (z == NULL)
        return;
    free(z->at);
    free(z->offset);
    free(z);
}

/* Index of the last transition at or before t (seconds), or -1. */
static long last_at(const struct tl_tz *z, int64_t t)
{
    long lo = 0, hi = (long)z->n - 1, mid, found = -1;

    while (lo <= hi) {
        mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

int32_t tl_tz_offset(const struct tl_tz *z, int64_t utc_ms)
{
    /* seconds, rounded down (also before 1970) */
    int64_t t = utc_ms / 1000 - (utc_ms % 1000 < 0 ? 1 : 0);
    long i = last_at(z, t);

    return i < 0 ? z->first : z->offset[i];
}

bool tl_tz_whole_hours(const struct tl_tz *z, int64_t from_ms, int64_t to_ms)
{
    long i = last_at(z, from_ms / 1000);
    /* at * 1000 < to_ms, in seconds: a TZif file's instants (up to 2^63 s)
     * do not fit in milliseconds */
    int64_t to_s = to_ms / 1000 + (to_ms % 1000 > 0 ? 1 : 0);
    size_t j;

    if ((i < 0 ? z->first : z->offset[i]) % HOUR_S != 0)
        return false;
    for (j = (size_t)(i + 1); j < z->n && z->at[j] < to_s; j++)
        if (z->offset[j] % HOUR_S != 0)
            return false;
    return true;
}

int64_t tl_tz_local_to_utc(const struct tl_tz *z, int64_t local_ms)
{
    int64_t day = 86400000LL, midnight, utc;
    int32_t off;

    midnight = local_ms - ((local_ms % day) + day) % day;
    /* Two rounds settle the offset in force at that instant. */
    off = tl_tz_offset(z, midnight);
    utc = midnight - (int64_t)off * 1000;
    off = tl_tz_offset(z, utc);
    return midnight - (int64_t)off * 1000;
}
