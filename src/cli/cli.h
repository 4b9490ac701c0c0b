/*
 * cli.h: the `tracklink admin` commands, the operator's side of the store
 * (src/cli/). main.c parses the flags, opens the store (with its
 * subscribers) and closes it; each command runs on the open store, prints
 * JSON on stdout, and returns the process exit status: 0, or 1 with the
 * reason on stderr. The demo loader is demo.h.
 */
#ifndef TL_CLI_CLI_H
#define TL_CLI_CLI_H

#include <stdint.h>

#include "core/model.h"
#include "store/store.h"

/* What create-brand and create-partner were given (NULL: not given). */
struct tl_cli_account {
    enum tl_account_kind kind; /* TL_ACCOUNT_BRAND or TL_ACCOUNT_PARTNER */
    const char *name;
    const char *email;
    const char *user_email;
    const char *user_password;
};

/*
 * `admin create-brand | create-partner`: the account, under the same rules
 * as POST /api/v1/brands and /partners, with its first API key, printed
 * once as one JSON object (a failure prints the problem as the API would).
 */
int tl_cli_account_create(struct tl_store *s, const struct tl_cli_account *in);

/*
 * `admin clicks [--campaign ID] [--click-id ID]`: the stored clicks of a
 * campaign (0: every campaign) or the one click, one JSON object a line in
 * the click table's terms (visitor_hash in hex; absent strings and a link
 * id of 0 are null; bot, uniq and landing_fallback 0 or 1), oldest first,
 * at most TL_STORE_CLICKS_MAX (exit 1 beyond).
 */
int tl_cli_clicks(struct tl_store *s, int64_t campaign_id, const char *click_id);

/*
 * `admin report [--campaign ID]`: the hourly rollups' totals as the
 * operator sees them (every program; one campaign's when given), one JSON
 * object per currency: clicks, unique_clicks, bot_clicks, conversions,
 * revenue, payout.
 */
int tl_cli_report(struct tl_store *s, int64_t campaign_id);

#endif
