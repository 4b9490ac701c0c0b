/*
 * postgres_internal.h: what the PostgreSQL backend's files share: the
 * store struct and the small helpers of parameters and columns (text
 * format: parameters as strings, bytea as "\x" hex). The engine is
 * postgres.h; each resource lives in postgres_<resource>.c, mirroring
 * sqlite_<resource>.c, on the backend interface (backend.h).
 */
#ifndef TL_STORE_POSTGRES_INTERNAL_H
#define TL_STORE_POSTGRES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/model.h"
#include "store/backend.h"
#include "store/postgres.h"

struct pg_store {
    struct tl_store base; /* first: the store's own part */
    struct tl_pg *pg;
};

static inline struct tl_pg *pg_of(struct tl_store *s)
{
    return ((struct pg_store *)s)->pg;
}

/* A 64-bit integer as a parameter: buf holds at least 24 bytes. */
const char *pg_i64(char *buf, int64_t v);
/* 32 bytes as a bytea parameter ("\x" and 64 hex digits): buf 67 bytes. */
const char *pg_bytea32(char *buf, const unsigned char v[32]);

/* Columns of row 0..: integers (NULL reads as 0), strings copied to a
 * (NULL stays NULL; TL_ERR_NOMEM when a is full). */
int64_t pg_col_i64(const PGresult *r, int row, int col);
enum tl_err pg_col_str(const PGresult *r, int row, int col, struct tl_arena *a, const char **out);

/*
 * Runs a read (sql with n text parameters) on a pooled connection and
 * hands back its result (*out, the caller PQclears it): TL_OK, or the
 * mapped error (TL_ERR_UNAVAILABLE while the database is unreachable).
 */
enum tl_err pg_read(struct tl_store *s, const char *sql, int n, const char *const *params,
                    PGresult **out);

/* postgres_accounts.c: accounts (the rest of the file's resources next). */
enum tl_err pg_account_create(struct tl_store *s, const struct tl_account_new *in, int64_t *id_out);
enum tl_err pg_actor_by_key(struct tl_store *s, const unsigned char key_hash[32],
                            struct tl_actor *out, int64_t *key_id, int64_t *last_used_at);
enum tl_err pg_account_get(struct tl_store *s, int64_t id, struct tl_arena *a,
                           struct tl_account *out);

#endif
