/*
 * sqlite.h: the SQLite backend of the store (see store.h for the
 * interface). store.c picks it for "sqlite:" URLs; nothing else needs to
 * include this header except the backend's own tests.
 */
#ifndef TL_STORE_SQLITE_H
#define TL_STORE_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/*
 * Opens (creating it if needed) the SQLite database at path (":memory:"
 * gives a private in-memory database shared by this store's connections),
 * applies pending migrations and starts the writer thread. On success *out
 * is a store to free with tl_store_close(). On failure returns TL_ERR_IO
 * (or TL_ERR_NOMEM) and writes a human reason into why (cap why_len).
 */
enum tl_err tl_sqlite_open(const char *path, struct tl_store **out, char *why, size_t why_len);

/*
 * Test hook: how many write jobs the writer has run and how many
 * transactions it has committed them in, since the store was opened.
 * jobs / commits is the group-commit factor. Either pointer may be NULL.
 */
void tl_sqlite_stats(struct tl_store *s, uint64_t *jobs, uint64_t *commits);

#endif
