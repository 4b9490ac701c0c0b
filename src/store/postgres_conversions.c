/*
 * postgres_conversions.c: the conversions of the PostgreSQL backend, mirroring
 * sqlite_conversions.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_conversions_ops(struct tl_backend_ops *o)
{
    (void)o;
}
