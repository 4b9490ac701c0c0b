/*
 * sqlite_campaigns.c: campaigns, their landing pages and their partner
 * memberships in the SQLite backend.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "store/sqlite_internal.h"

/* ------------------------------------------------------------------ */
/* campaigns */

#define CAMPAIGN_COLS                                                                              \
    "c.id, c.program_id, c.brand_id, c.name, c.status, c.tracking_enabled, c.lp_mode,"             \
    " c.payout_type, c.payout_amount, c.payout_rate_bp, c.created_at, c.updated_at"

static const char SQL_CAMPAIGN_LPS[] =
    "SELECT landing_page_id FROM campaign_landing_page WHERE campaign_id = ?1 ORDER BY pos";

enum tl_err sq_fill_campaign(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                             struct tl_arena *a, void *item)
{
    struct tl_campaign *k = item;
    int status, mode, payout;
    enum tl_err err;

    (void)who;
    memset(k, 0, sizeof(*k));
    k->id = sqlite3_column_int64(s, 0);
    k->program_id = sqlite3_column_int64(s, 1);
    k->brand_id = sqlite3_column_int64(s, 2);
    status = tl_campaign_status_parse((const char *)sqlite3_column_text(s, 4));
    k->tracking_enabled = sqlite3_column_int(s, 5) != 0;
    mode = tl_lp_mode_parse((const char *)sqlite3_column_text(s, 6));
    payout = tl_payout_type_parse((const char *)sqlite3_column_text(s, 7));
    if (status < 0 || mode < 0 || payout < 0)
        return TL_ERR_IO;
    k->status = (enum tl_campaign_status)status;
    k->lp_mode = (enum tl_lp_mode)mode;
    k->payout_type = (enum tl_payout_type)payout;
    k->payout_amount = sqlite3_column_int64(s, 8);
    k->payout_rate_bp = sqlite3_column_int(s, 9);
    k->created_at = sqlite3_column_int64(s, 10);
    k->updated_at = sqlite3_column_int64(s, 11);
    if ((err = sq_col_str(s, 3, a, &k->name)) != TL_OK)
        return err;
    return sq_load_ids(c, SQL_CAMPAIGN_LPS, k->id, a, &k->landing_page_ids, &k->n_landing_page_ids);
}

struct campaign_write_ctx {
    const struct tl_actor *who;
    const struct tl_campaign *in;
    int64_t now;
    int64_t id;
};

static const char SQL_LP_OF_PROGRAM[] =
    "SELECT 1 FROM landing_page WHERE id = ?1 AND program_id = ?2";
static const char SQL_CAMPAIGN_LP_DELETE[] =
    "DELETE FROM campaign_landing_page WHERE campaign_id = ?1";
static const char SQL_CAMPAIGN_LP_INSERT[] =
    "INSERT OR IGNORE INTO campaign_landing_page (campaign_id, landing_page_id, pos)"
    " VALUES (?1, ?2, ?3)";

/* Replaces the campaign's landing pages; each must be of its program. */
static enum tl_err campaign_lps_store(struct conn *c, int64_t campaign_id, int64_t program_id,
                                      const struct tl_campaign *in)
{
    sqlite3_stmt *s;
    enum tl_err err;
    size_t i;

    err = sq_prep(c, SQL_CAMPAIGN_LP_DELETE, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, campaign_id);
    err = sq_step_done(c, s);
    sq_done(s);
    for (i = 0; err == TL_OK && i < in->n_landing_page_ids; i++) {
        err = sq_prep(c, SQL_LP_OF_PROGRAM, &s);
        if (err != TL_OK)
            break;
        sqlite3_bind_int64(s, 1, in->landing_page_ids[i]);
        sqlite3_bind_int64(s, 2, program_id);
        err = sq_step_row(c, s);
        sq_done(s);
        if (err == TL_ERR_NOTFOUND)
            err = TL_ERR_INVALID;
        if (err != TL_OK)
            break;
        err = sq_prep(c, SQL_CAMPAIGN_LP_INSERT, &s);
        if (err != TL_OK)
            break;
        sqlite3_bind_int64(s, 1, campaign_id);
        sqlite3_bind_int64(s, 2, in->landing_page_ids[i]);
        sqlite3_bind_int64(s, 3, (int64_t)i);
        err = sq_step_done(c, s);
        sq_done(s);
    }
    return err;
}

static const char SQL_CAMPAIGN_INSERT[] =
    "INSERT INTO campaign (program_id, brand_id, name, status, tracking_enabled, lp_mode,"
    " payout_type, payout_amount, payout_rate_bp, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)";

static enum tl_err campaign_create_job(struct conn *c, void *arg)
{
    struct campaign_write_ctx *x = arg;
    const struct tl_campaign *in = x->in;
    sqlite3_stmt *s;
    enum tl_err err;
    int64_t brand_id;

    err = sq_prep(c, SQ_PROGRAM_OWN, &s);
    if (err != TL_OK)
        return err;
    sq_bind_who(s, in->program_id, x->who);
    err = sq_step_row(c, s);
    brand_id = err == TL_OK ? sqlite3_column_int64(s, 0) : 0;
    sq_done(s);
    if (err != TL_OK)
        return err;

    err = sq_prep(c, SQL_CAMPAIGN_INSERT, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, in->program_id);
    sqlite3_bind_int64(s, 2, brand_id);
    sq_bind_str(s, 3, in->name);
    sq_bind_str(s, 4, tl_campaign_status_str(in->status));
    sqlite3_bind_int(s, 5, in->tracking_enabled ? 1 : 0);
    sq_bind_str(s, 6, tl_lp_mode_str(in->lp_mode));
    sq_bind_str(s, 7, tl_payout_type_str(in->payout_type));
    sqlite3_bind_int64(s, 8, in->payout_amount);
    sqlite3_bind_int(s, 9, in->payout_rate_bp);
    sqlite3_bind_int64(s, 10, in->created_at > 0 ? in->created_at : x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err != TL_OK)
        return err;
    x->id = sqlite3_last_insert_rowid(c->db);
    return campaign_lps_store(c, x->id, in->program_id, in);
}

enum tl_err sq_campaign_create(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_campaign *in, int64_t *id_out)
{
    struct campaign_write_ctx x = {who, in, tl_time_now_ms(), 0};
    enum tl_err err;

    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = sq_run_job((struct sqlite_store *)s, campaign_create_job, &x);
    if (err == TL_OK && id_out != NULL)
        *id_out = x.id;
    return err;
}

static const char SQL_CAMPAIGN_GET[] =
    "SELECT " CAMPAIGN_COLS " FROM campaign c WHERE c.id = ?1 AND " VIS_CAMPAIGN;

enum tl_err sq_campaign_get(struct tl_store *s, const struct tl_actor *who, int64_t id,
                            struct tl_arena *a, struct tl_campaign *out)
{
    return sq_get_one(s, SQL_CAMPAIGN_GET, id, who, a, sq_fill_campaign, out);
}

/* ?1 after, ?2 limit + 1, ?3 actor, ?4 status name or NULL, ?5 program id or 0 */
#define CAMPAIGN_FILTER " AND (?4 IS NULL OR c.status = ?4) AND (?5 = 0 OR c.program_id = ?5)"
static const char SQL_CAMPAIGN_LIST_ADMIN[] =
    "SELECT " CAMPAIGN_COLS " FROM campaign c WHERE c.id > ?1" CAMPAIGN_FILTER
    " ORDER BY c.id LIMIT ?2";
static const char SQL_CAMPAIGN_LIST_BRAND[] =
    "SELECT " CAMPAIGN_COLS " FROM campaign c WHERE c.brand_id = ?3 AND c.id > ?1" CAMPAIGN_FILTER
    " ORDER BY c.id LIMIT ?2";
static const char SQL_CAMPAIGN_LIST_PARTNER[] =
    "SELECT " CAMPAIGN_COLS " FROM campaign_partner m JOIN campaign c ON c.id = m.campaign_id"
    " WHERE m.partner_id = ?3 AND m.campaign_id > ?1" CAMPAIGN_FILTER
    " ORDER BY m.campaign_id LIMIT ?2";

enum tl_err sq_campaign_list(struct tl_store *s, const struct tl_actor *who,
                             const struct tl_campaign_filter *f, const struct tl_page *page,
                             struct tl_arena *a, struct tl_campaign **items, size_t *n, bool *more)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err;
    int64_t after;
    int limit;
    void *arr = NULL;

    *items = NULL;
    sq_list_init(n, more);
    if (!sq_actor_valid(who))
        return TL_OK;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    sq_page_norm(page, &after, &limit);
    err = sq_read_begin(c);
    if (err != TL_OK)
        return err;
    err = sq_prep(c,
                  sq_by_kind(who, SQL_CAMPAIGN_LIST_ADMIN, SQL_CAMPAIGN_LIST_BRAND,
                             SQL_CAMPAIGN_LIST_PARTNER),
                  &q);
    if (err != TL_OK)
        goto out;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit + 1);
    sqlite3_bind_int64(q, 3, who->account_id);
    if (f != NULL && f->status >= 0)
        sq_bind_str(q, 4, tl_campaign_status_str((enum tl_campaign_status)f->status));
    sqlite3_bind_int64(q, 5, f != NULL && f->program_id > 0 ? f->program_id : 0);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), sq_fill_campaign, &arr, n, more);
    *items = arr;
out:
    sq_read_end(c);
    return err;
}

const char SQ_CAMPAIGN_OWN[] =
    "SELECT c.program_id, c.brand_id FROM campaign c WHERE c.id = ?1 AND " OWN("c");
static const char SQL_CAMPAIGN_UPDATE[] =
    "UPDATE campaign SET name = COALESCE(?2, name), status = ?3, tracking_enabled = ?4,"
    " lp_mode = ?5, payout_type = ?6, payout_amount = ?7, payout_rate_bp = ?8, updated_at = ?9"
    " WHERE id = ?1";

static enum tl_err campaign_update_job(struct conn *c, void *arg)
{
    struct campaign_write_ctx *x = arg;
    const struct tl_campaign *in = x->in;
    sqlite3_stmt *s;
    enum tl_err err;
    int64_t program_id;

    err = sq_prep(c, SQ_CAMPAIGN_OWN, &s);
    if (err != TL_OK)
        return err;
    sq_bind_who(s, in->id, x->who);
    err = sq_step_row(c, s);
    program_id = err == TL_OK ? sqlite3_column_int64(s, 0) : 0;
    sq_done(s);
    if (err != TL_OK)
        return err;

    err = sq_prep(c, SQL_CAMPAIGN_UPDATE, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, in->id);
    sq_bind_str(s, 2, in->name);
    sq_bind_str(s, 3, tl_campaign_status_str(in->status));
    sqlite3_bind_int(s, 4, in->tracking_enabled ? 1 : 0);
    sq_bind_str(s, 5, tl_lp_mode_str(in->lp_mode));
    sq_bind_str(s, 6, tl_payout_type_str(in->payout_type));
    sqlite3_bind_int64(s, 7, in->payout_amount);
    sqlite3_bind_int(s, 8, in->payout_rate_bp);
    sqlite3_bind_int64(s, 9, x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err != TL_OK)
        return err;
    return campaign_lps_store(c, in->id, program_id, in);
}

enum tl_err sq_campaign_update(struct tl_store *s, const struct tl_actor *who,
                               const struct tl_campaign *in)
{
    struct campaign_write_ctx x = {who, in, tl_time_now_ms(), 0};

    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    return sq_run_job((struct sqlite_store *)s, campaign_update_job, &x);
}

/* campaign memberships: the partner must be in the campaign's program */

static const char SQL_PP_NEED[] =
    "SELECT 1 FROM program_partner WHERE program_id = ?1 AND partner_id = ?2";
static const char SQL_CP_INSERT[] =
    "INSERT OR IGNORE INTO campaign_partner (campaign_id, partner_id, created_at)"
    " VALUES (?1, ?2, ?3)";
static const char SQL_CP_LIST[] =
    "SELECT m.partner_id, a.name, a.email, m.created_at FROM campaign_partner m"
    " JOIN account a ON a.id = m.partner_id WHERE m.campaign_id = ?3 AND m.partner_id > ?1"
    " ORDER BY m.partner_id LIMIT ?2";
static const char SQL_CP_HAS[] =
    "SELECT 1 FROM campaign_partner WHERE campaign_id = ?1 AND partner_id = ?2";

enum tl_err sq_campaign_partner_add(struct tl_store *s, const struct tl_actor *who,
                                    int64_t campaign_id, int64_t partner_id, bool *created)
{
    struct sq_member_add x = {
        who,         SQ_CAMPAIGN_OWN, SQL_PP_NEED, TL_ERR_INVALID, SQL_CP_INSERT,
        campaign_id, partner_id,      0,           false,          0};

    return sq_member_add(s, &x, created);
}

enum tl_err sq_campaign_partner_list(struct tl_store *s, const struct tl_actor *who,
                                     int64_t campaign_id, const struct tl_page *page,
                                     struct tl_arena *a, struct tl_membership **items, size_t *n,
                                     bool *more)
{
    return sq_member_list(s, who, SQ_CAMPAIGN_OWN, SQL_CP_LIST, campaign_id, page, a, items, n,
                          more);
}

enum tl_err sq_campaign_partner_has(struct tl_store *s, int64_t campaign_id, int64_t partner_id,
                                    bool *yes)
{
    return sq_pair_has(s, SQL_CP_HAS, campaign_id, partner_id, yes);
}
