/*
 * postgres_reports.c: the reports of the PostgreSQL backend, mirroring
 * sqlite_reports.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_reports_ops(struct tl_backend_ops *o)
{
    (void)o;
}
