/*
 * clicks.c: `tracklink admin clicks` and `tracklink admin report` (cli.h):
 * what the store holds of the traffic, for the operator and for the tests,
 * which observe the clicks this way instead of opening the database.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/arena.h"

#define ARENA_MAX ((size_t)1 << 30) /* the most clicks listed, with room */

/* A string, or null when it is empty. */
static json_t *str_or_null(const char *s)
{
    return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *click_json(const struct tl_click *k)
{
    static const char *const subs[] = {"sub_id1", "sub_id2", "sub_id3", "shared_id"};
    char hex[2 * sizeof(k->visitor) + 1];
    json_t *o;
    size_t i;

    for (i = 0; i < sizeof(k->visitor); i++)
        snprintf(hex + 2 * i, 3, "%02x", k->visitor[i]);
    o = json_pack("{s:s, s:I, s:o, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:i, s:i, s:i}", "click_id",
                  k->click_id, "ts_ms", (json_int_t)k->ts_ms, "link_id",
                  k->link_id != 0 ? json_integer(k->link_id) : json_null(), "partner_id",
                  (json_int_t)k->partner_id, "task_id", (json_int_t)k->task_id, "campaign_id",
                  (json_int_t)k->campaign_id, "program_id", (json_int_t)k->program_id,
                  "visitor_hash", hex, "user_agent", str_or_null(k->user_agent), "referrer",
                  str_or_null(k->referrer), "bot", k->bot ? 1 : 0, "uniq", k->uniq ? 1 : 0,
                  "landing_fallback", k->landing_fallback ? 1 : 0);
    for (i = 0; o != NULL && i < 4; i++)
        if (json_object_set_new(o, subs[i], str_or_null(k->sub[i])) != 0) {
            json_decref(o);
            o = NULL;
        }
    return o;
}

/* Prints o as one line and frees it; false on OOM. */
static bool print_line(json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    json_decref(o);
    if (text == NULL)
        return false;
    printf("%s\n", text);
    free(text);
    return true;
}

int tl_cli_clicks(struct tl_store *s, int64_t campaign_id, const char *click_id)
{
    struct tl_arena *a = tl_arena_new(ARENA_MAX);
    struct tl_click *items;
    size_t n, i;
    bool more;
    enum tl_err err;
    int rc = 1;

    if (a == NULL)
        goto oom;
    err = TL_STORE(s, click_list, campaign_id, click_id, TL_STORE_CLICKS_MAX, a, &items, &n, &more);
    if (err != TL_OK) {
        fprintf(stderr, "tracklink: cannot list the clicks: %s\n", tl_err_str(err));
        goto out;
    }
    if (more) {
        fprintf(stderr, "tracklink: more than %d clicks: name a campaign or a click\n",
                TL_STORE_CLICKS_MAX);
        goto out;
    }
    for (i = 0; i < n; i++)
        if (!print_line(click_json(&items[i])))
            goto oom;
    fflush(stdout);
    rc = 0;
out:
    tl_arena_free(a);
    return rc;
oom:
    fprintf(stderr, "tracklink: out of memory\n");
    rc = 1;
    goto out;
}

int tl_cli_report(struct tl_store *s, int64_t campaign_id)
{
    struct tl_actor admin = {0, TL_ACCOUNT_ADMIN};
    struct tl_report_query q = {0};
    struct tl_report_row *rows;
    struct tl_arena *a = tl_arena_new(1 << 20);
    size_t n, i;
    enum tl_err err;
    int rc = 1;

    if (a == NULL)
        goto oom;
    q.campaign_id = campaign_id;
    q.group = TL_GROUP_NONE;
    err = TL_STORE(s, report, &admin, &q, a, &rows, &n);
    if (err != TL_OK) {
        fprintf(stderr, "tracklink: cannot read the report: %s\n", tl_err_str(err));
        goto out;
    }
    for (i = 0; i < n; i++)
        if (!print_line(json_pack(
                "{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "currency",
                rows[i].currency != NULL ? rows[i].currency : "", "clicks",
                (json_int_t)rows[i].clicks, "unique_clicks", (json_int_t)rows[i].unique_clicks,
                "bot_clicks", (json_int_t)rows[i].bot_clicks, "conversions",
                (json_int_t)rows[i].conversions, "revenue", (json_int_t)rows[i].revenue, "payout",
                (json_int_t)rows[i].payout)))
            goto oom;
    fflush(stdout);
    rc = 0;
out:
    tl_arena_free(a);
    return rc;
oom:
    fprintf(stderr, "tracklink: out of memory\n");
    rc = 1;
    goto out;
}
