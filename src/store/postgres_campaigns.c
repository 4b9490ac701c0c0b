/*
 * postgres_campaigns.c: the campaigns of the PostgreSQL backend, mirroring
 * sqlite_campaigns.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_campaigns_ops(struct tl_backend_ops *o)
{
    (void)o;
}
