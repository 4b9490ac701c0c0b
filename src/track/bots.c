/*
 * bots.c: the User-Agent matcher.
 *
 * The User-Agent is scanned once. At each position, a bitmap of the
 * patterns' first two (lower-case) bytes rejects almost every position
 * with one lookup; only on a hit are the patterns starting with that byte
 * compared. That keeps a browser's 150-250 byte User-Agent against ~100
 * patterns well under a microsecond, with no copy and no length limit.
 */
#include "track/bots.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"

extern const struct tl_embedded tl_bots_data[];
extern const size_t tl_bots_data_n;

#define POOL_LEN (TL_BOTS_MAX_PATTERNS * (TL_BOTS_MAX_PATTERN + 1))

struct pattern {
    const char *s; /* lower case, NUL-terminated, in pool */
    size_t len;
};

/* Written once under pthread_once, read-only afterwards. */
static char pool[POOL_LEN];
static struct pattern patterns[TL_BOTS_MAX_PATTERNS];
static size_t n_patterns;
/* patterns[first[c] .. first[c + 1]) start with byte c */
static uint16_t first[257];
/* bit (c0 << 8 | c1) set when some pattern starts with c0 c1 */
static uint8_t pairs[65536 / 8];
static enum tl_err init_err = TL_ERR_INTERNAL;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Each thread remembers the last User-Agent it matched and the answer: a
 * burst of clicks from one browser repeats it, and one strcmp is cheaper
 * than the scan. The table never changes after init, so an answer stays
 * right. Longer User-Agents are not remembered. */
#define MEMO_MAX 512
static _Thread_local char memo_ua[MEMO_MAX];
static _Thread_local bool memo_bot;
static _Thread_local bool memo_set;

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int cmp_first(const void *a, const void *b)
{
    const struct pattern *x = a, *y = b;

    return (int)(unsigned char)x->s[0] - (int)(unsigned char)y->s[0];
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Adds every pattern of one embedded file. */
static enum tl_err load_file(const struct tl_embedded *f, size_t *used)
{
    const char *p = f->data, *end = f->data + f->len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl == NULL ? end : nl;
        const char *b = p, *e = line_end;
        size_t len, i;
        char *dst;

        p = nl == NULL ? end : nl + 1;
        while (b < e && (blank(*b) || *b == '\r'))
            b++;
        while (e > b && (blank(e[-1]) || e[-1] == '\r'))
            e--;
        if (b == e || *b == '#')
            continue;
        len = (size_t)(e - b);
        if (len < 2 || len > TL_BOTS_MAX_PATTERN || n_patterns == TL_BOTS_MAX_PATTERNS ||
            memchr(b, '\0', len) != NULL)
            return TL_ERR_INTERNAL;
        dst = pool + *used;
        for (i = 0; i < len; i++)
            dst[i] = (char)lower((unsigned char)b[i]);
        dst[len] = '\0';
        *used += len + 1;
        patterns[n_patterns].s = dst;
        patterns[n_patterns].len = len;
        n_patterns++;
    }
    return TL_OK;
}

static void init_once_fn(void)
{
    size_t used = 0, i;
    unsigned c;

    for (i = 0; i < tl_bots_data_n; i++) {
        if (load_file(&tl_bots_data[i], &used) != TL_OK) {
            n_patterns = 0;
            return;
        }
    }
    qsort(patterns, n_patterns, sizeof(patterns[0]), cmp_first);
    for (c = 0, i = 0; c < 256; c++) {
        first[c] = (uint16_t)i;
        while (i < n_patterns && (unsigned char)patterns[i].s[0] == c)
            i++;
    }
    first[256] = (uint16_t)n_patterns;
    for (i = 0; i < n_patterns; i++) {
        unsigned pair =
            (unsigned)(unsigned char)patterns[i].s[0] << 8 | (unsigned char)patterns[i].s[1];

        pairs[pair >> 3] |= (uint8_t)(1u << (pair & 7));
    }
    init_err = TL_OK;
}

enum tl_err tl_bots_init(void)
{
    pthread_once(&once, init_once_fn);
    return init_err;
}

/* True when pattern p (lower case, length >= 2) occurs at ua. */
static bool match_at(const unsigned char *ua, const struct pattern *p)
{
    size_t k;

    /* p->s has no NUL, so a mismatch stops the loop at the end of ua */
    for (k = 2; k < p->len; k++)
        if (lower(ua[k]) != (unsigned char)p->s[k])
            return false;
    return true;
}

static bool scan(const char *ua)
{
    const unsigned char *s = (const unsigned char *)ua;

    while (blank((char)*s))
        s++;
    if (*s == '\0')
        return true;
    for (; s[1] != '\0'; s++) {
        unsigned c0 = lower(s[0]), c1 = lower(s[1]), pair = c0 << 8 | c1;
        unsigned i;

        if (!(pairs[pair >> 3] & (1u << (pair & 7))))
            continue;
        for (i = first[c0]; i < first[c0 + 1]; i++)
            if ((unsigned char)patterns[i].s[1] == c1 && match_at(s, &patterns[i]))
                return true;
    }
    return false;
}

bool tl_bots_match(const char *ua)
{
    size_t len;
    bool bot;

    if (ua == NULL)
        return true;
    if (memo_set && strcmp(ua, memo_ua) == 0)
        return memo_bot;
    tl_bots_init(); /* before the scan, so a remembered answer is final */
    bot = scan(ua);
    len = strnlen(ua, MEMO_MAX);
    if (len < MEMO_MAX) {
        memcpy(memo_ua, ua, len + 1);
        memo_bot = bot;
        memo_set = true;
    }
    return bot;
}
