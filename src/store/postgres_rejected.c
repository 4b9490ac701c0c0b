/*
 * postgres_rejected.c: the rejected of the PostgreSQL backend, mirroring
 * sqlite_rejected.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_rejected_ops(struct tl_backend_ops *o)
{
    (void)o;
}
