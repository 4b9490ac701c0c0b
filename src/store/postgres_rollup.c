/*
 * postgres_rollup.c: the rollup of the PostgreSQL backend, mirroring
 * sqlite_rollup.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_rollup_ops(struct tl_backend_ops *o)
{
    (void)o;
}

const struct tl_pg_hooks *pg_rollup_hooks(void)
{
    return NULL;
}
