/*
 * arena.h: a bump allocator with a hard cap, freed in one go.
 *
 * Each request owns one arena. Everything a handler or a store read builds
 * for that request (strings, arrays, structs) is allocated from it and is
 * released together by tl_arena_free(). Nothing in an arena is freed alone.
 */
#ifndef TL_CORE_ARENA_H
#define TL_CORE_ARENA_H

#include <stddef.h>

struct tl_arena;

/*
 * Creates an arena that will hand out at most cap bytes in all (the cap is
 * what keeps input from growing memory without bound). Returns NULL on OOM.
 * The caller frees it with tl_arena_free().
 */
struct tl_arena *tl_arena_new(size_t cap);

/* Frees the arena and everything allocated from it. NULL is a no-op. */
void tl_arena_free(struct tl_arena *a);

/*
 * Returns n bytes aligned for any type, zeroed, owned by the arena. Returns
 * NULL when the cap would be passed or memory is exhausted.
 */
void *tl_arena_alloc(struct tl_arena *a, size_t n);

/*
 * As tl_arena_alloc, but the bytes are not zeroed: for buffers the caller
 * writes whole before reading them (a copy, a string it terminates), where
 * zeroing kilobytes per request is wasted work.
 */
void *tl_arena_alloc_raw(struct tl_arena *a, size_t n);

/* Copies s (NULL gives NULL) into the arena. NULL on cap/OOM. */
char *tl_arena_strdup(struct tl_arena *a, const char *s);

/* Copies the first n bytes of s and terminates them. NULL on cap/OOM. */
char *tl_arena_strndup(struct tl_arena *a, const char *s, size_t n);

/* printf into the arena. NULL on cap/OOM. */
char *tl_arena_printf(struct tl_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Takes back everything handed out (pointers into the arena die), keeping
 * the most recent chunk for reuse, so that a thread that serves one request
 * after another from the same arena stops allocating once it is warm.
 */
void tl_arena_reset(struct tl_arena *a);

/* Bytes handed out so far. */
size_t tl_arena_used(const struct tl_arena *a);

#endif
