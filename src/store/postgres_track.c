/*
 * postgres_track.c: the track of the PostgreSQL backend, mirroring
 * sqlite_track.c (see postgres_internal.h).
 */
#include "store/postgres_internal.h"

void pg_track_ops(struct tl_backend_ops *o)
{
    (void)o;
}
