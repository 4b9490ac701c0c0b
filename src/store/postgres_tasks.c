/*
 * postgres_tasks.c: the tasks of the PostgreSQL backend, mirroring
 * sqlite_tasks.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_tasks_ops(struct tl_backend_ops *o)
{
    (void)o;
}
