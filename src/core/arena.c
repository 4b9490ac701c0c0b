/*
 * arena.c: chunked bump allocator. Chunks grow geometrically up to the cap;
 * a large request gets a chunk of its own.
 */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#define FIRST_CHUNK 4096

struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    _Alignas(ALIGN) unsigned char data[];
};

struct tl_arena {
    struct chunk *head;
    size_t cap;
    size_t used;
};

struct tl_arena *tl_arena_new(size_t cap)
{
    struct tl_arena *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return NULL;
    a->cap = cap;
    return a;
}

void tl_arena_free(struct tl_arena *a)
{
    struct chunk *c, *next;

    if (a == NULL)
        return;
    for (c = a->head; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void *tl_arena_alloc_raw(struct tl_arena *a, size_t n)
{
    struct chunk *c = a->head;
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    size_t size;
    void *p;

    if (need < n || need > a->cap - a->used)
        return NULL;
    if (c == NULL || c->size - c->used < need) {
        size = c == NULL ? FIRST_CHUNK : c->size * 2;
        if (size < need)
            size = need;
        c = malloc(sizeof(*c) + size);
        if (c == NULL)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    p = c->data + c->used;
    c->used += need;
    a->used += need;
    return p;
}

void *tl_arena_alloc(struct tl_arena *a, size_t n)
{
    void *p = tl_arena_alloc_raw(a, n);

    if (p != NULL)
        memset(p, 0, n);
    return p;
}

char *tl_arena_strndup(struct tl_arena *a, const char *s, size_t n)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = tl_arena_alloc_raw(a, n + 1); /* written whole below */
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *tl_arena_strdup(struct tl_arena *a, const char *s)
{
    return s == NULL ? NULL : tl_arena_strndup(a, s, strlen(s));
}

char *tl_arena_printf(struct tl_arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *d;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    d = tl_arena_alloc(a, (size_t)n + 1);
    if (d == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void tl_arena_reset(struct tl_arena *a)
{
    struct chunk *c, *next;

    if (a->head == NULL)
        return;
    for (c = a->head->next; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    a->head->next = NULL;
    a->head->used = 0;
    a->used = 0;
}

size_t tl_arena_used(const struct tl_arena *a)
{
    return a->used;
}
