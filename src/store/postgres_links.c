/*
 * postgres_links.c: the links of the PostgreSQL backend, mirroring
 * sqlite_links.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_links_ops(struct tl_backend_ops *o)
{
    (void)o;
}
