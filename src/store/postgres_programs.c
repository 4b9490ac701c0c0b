/*
 * postgres_programs.c: the programs of the PostgreSQL backend, mirroring
 * sqlite_programs.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_programs_ops(struct tl_backend_ops *o)
{
    (void)o;
}
