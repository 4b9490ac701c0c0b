/*
 * postgres_members.c: the members of the PostgreSQL backend, mirroring
 * sqlite_members.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_members_ops(struct tl_backend_ops *o)
{
    (void)o;
}
