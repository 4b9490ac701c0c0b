/*
 * demo.h: `tracklink admin load-demo`, a loader of realistic demo traffic
 * (one brand, one program, campaigns, partners, tasks, links, millions of
 * clicks over the last days, conversions and reversals), written through
 * the store's own operations so that the hourly rollups are filled by the
 * real click and conversion code. Used for demos and by bench/reports.sh.
 */
#ifndef TL_CLI_DEMO_H
#define TL_CLI_DEMO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

struct tl_demo_config {
    int64_t clicks; /* clicks to write, bots included */
    int days;       /* spread over the last days (full hours before now) */
    int campaigns;  /* 1..1000 */
    int partners;   /* 1..100000 */
    uint64_t seed;  /* the same seed gives the same traffic */
    int threads;    /* conversion writers, 1..256 */
    bool progress;  /* a line on stderr about every second */
};

/*
 * Loads the demo into the open store s as the admin. On success *summary
 * is a new JSON object (ids created, counts, seconds, the brand's API
 * key; the caller decrefs it). On failure writes a human reason into why.
 * Traffic figures (times, counts, amounts, which clicks convert) depend
 * only on cfg; click ids and link codes are random, as in production.
 */
enum tl_err tl_demo_load(struct tl_store *s, const struct tl_demo_config *cfg, json_t **summary,
                         char *why, size_t why_len);

/*
 * The subcommand: parses `--db URL --clicks N --days N --campaigns N
 * --partners N [--seed N] [--threads N] [--quiet]` (argv after
 * "load-demo"), opens the store, loads, prints the summary as one JSON
 * line on stdout. Returns the process exit code (0, 1 failure, 2 usage).
 */
int tl_demo_main(int argc, char **argv);

#endif
