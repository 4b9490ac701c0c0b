/*
 * fuzz.h: what the libFuzzer drivers of fuzz/ share: splitting an input
 * into NUL-terminated fields, and a check that aborts (so that libFuzzer
 * records the input as a crash) when a property of the code under test
 * does not hold.
 *
 * Inputs with several fields put them on separate lines ("\n"); the last
 * field takes the rest of the input, newlines included. Every field is a
 * C string, as the parsers receive them (an embedded NUL ends it early,
 * exactly as it would in the server, where every string is a C string).
 */
#ifndef TL_FUZZ_FUZZ_H
#define TL_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_FIELDS_MAX 16

struct fz_fields {
    char *buf;              /* one copy of the input; the fields point into it */
    char *f[FZ_FIELDS_MAX]; /* writable */
    size_t n;               /* fields present; f[n..] are "" */
};

/* Splits data into at most max (<= FZ_FIELDS_MAX) fields. Free with fz_free. */
static inline void fz_split(const uint8_t *data, size_t size, size_t max, struct fz_fields *out)
{
    size_t i;
    char *p;

    out->buf = malloc(size + 1);
    if (out->buf == NULL)
        abort();
    if (size > 0)
        memcpy(out->buf, data, size);
    out->buf[size] = '\0';
    for (i = 0; i < FZ_FIELDS_MAX; i++)
        out->f[i] = out->buf + size;
    out->n = 0;
    if (max > FZ_FIELDS_MAX)
        max = FZ_FIELDS_MAX;
    p = out->buf;
    while (out->n < max) {
        char *nl = out->n + 1 < max ? memchr(p, '\n', (size_t)(out->buf + size - p)) : NULL;

        out->f[out->n++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
}

static inline void fz_free(struct fz_fields *f)
{
    free(f->buf);
    f->buf = NULL;
}

/* Aborts with a message when cond is false: a property of the code failed. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
