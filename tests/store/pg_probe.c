/*
 * pg_probe.c: drives the PostgreSQL engine (store/postgres.h) for
 * tests/store/test_pg_engine.py, which starts the database.
 *
 *   pg_probe url URL      prints "ok", or the reason and exits 1
 *   pg_probe migrate URL  opens a pool of one (which migrates) and prints
 *                         {"applied":N}; exits 1 with the reason on failure
 *   pg_probe serve URL    opens a pool of two, then answers each line of
 *                         stdin: "ping" -> ok|unavailable|..., "health" ->
 *                         up|down; closes at end of input
 */
#include <stdio.h>
#include <string.h>

#include "store/postgres.h"

static int cmd_serve(const char *url)
{
    struct tl_pg_options opt = {.pool_size = 2};
    struct tl_pg *pg = NULL;
    char why[512], line[64];
    enum tl_err err = tl_pg_open(url, &opt, &pg, why, sizeof(why));

    if (err != TL_OK) {
        fprintf(stderr, "pg_probe: %s\n", why);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        if (strncmp(line, "ping", 4) == 0) {
            err = tl_pg_ping(pg);
            printf("%s\n", err == TL_OK ? "ok" : tl_err_str(err));
        } else if (strncmp(line, "health", 6) == 0) {
            printf("%s\n", tl_pg_health(pg) == TL_PG_UP ? "up" : "down");
        } else {
            printf("?\n");
        }
        fflush(stdout);
    }
    tl_pg_close(pg);
    return 0;
}

int main(int argc, char **argv)
{
    struct tl_pg_options opt = {.pool_size = 1};
    struct tl_pg *pg = NULL;
    char why[512];
    enum tl_err err;

    if (argc != 3) {
        fprintf(stderr, "usage: pg_probe url|migrate|serve URL\n");
        return 2;
    }
    if (strcmp(argv[1], "url") == 0) {
        err = tl_pg_url_check(argv[2], why, sizeof(why));
        if (err != TL_OK) {
            printf("%s\n", why);
            return 1;
        }
        printf("ok\n");
        return 0;
    }
    if (strcmp(argv[1], "migrate") == 0) {
        err = tl_pg_open(argv[2], &opt, &pg, why, sizeof(why));
        if (err != TL_OK) {
            fprintf(stderr, "pg_probe: %s (%s)\n", why, tl_err_str(err));
            return 1;
        }
        printf("{\"applied\":%d}\n", tl_pg_migrations_applied(pg));
        tl_pg_close(pg);
        return 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argv[2]);
    fprintf(stderr, "pg_probe: unknown command %s\n", argv[1]);
    return 2;
}
