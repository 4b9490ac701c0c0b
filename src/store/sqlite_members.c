/*
 * sqlite_members.c: what the membership tables of the SQLite backend share
 * (program_partner, campaign_partner, task_partner): adding a partner under
 * the owner's checks, listing, and testing a pair.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "store/sqlite_internal.h"

/* ------------------------------------------------------------------ */
/* memberships (shared by programs, campaigns and tasks) */

static enum tl_err fill_membership(struct conn *c, sqlite3_stmt *s, const struct tl_actor *who,
                                   struct tl_arena *a, void *item)
{
    struct tl_membership *m = item;
    enum tl_err err;

    (void)c;
    (void)who;
    memset(m, 0, sizeof(*m));
    m->partner_id = sqlite3_column_int64(s, 0);
    m->created_at = sqlite3_column_int64(s, 3);
    if ((err = sq_col_str(s, 1, a, &m->name)) != TL_OK)
        return err;
    return sq_col_str(s, 2, a, &m->email);
}

/*
 * Lists the members of parent: own_sql checks that the caller owns parent
 * (bound with bind_who), list_sql takes ?1 after, ?2 limit + 1, ?3 parent.
 */
enum tl_err sq_member_list(struct tl_store *s, const struct tl_actor *who, const char *own_sql,
                           const char *list_sql, int64_t parent, const struct tl_page *page,
                           struct tl_arena *a, struct tl_membership **items, size_t *n, bool *more)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err;
    int64_t after;
    int limit;
    void *arr = NULL;

    *items = NULL;
    sq_list_init(n, more);
    if (!sq_actor_writes(who))
        return TL_ERR_NOTFOUND;
    err = sq_reader((struct sqlite_store *)s, &c);
    if (err != TL_OK)
        return err;
    sq_page_norm(page, &after, &limit);
    err = sq_read_begin(c);
    if (err != TL_OK)
        return err;
    err = sq_check_who(c, own_sql, parent, who);
    if (err != TL_OK)
        goto out;
    err = sq_prep(c, list_sql, &q);
    if (err != TL_OK)
        goto out;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit + 1);
    sqlite3_bind_int64(q, 3, parent);
    err = sq_collect(c, q, limit, who, a, sizeof(**items), fill_membership, &arr, n, more);
    *items = arr;
out:
    sq_read_end(c);
    return err;
}

/* Answers whether the pair (?1, ?2) is in a membership table. */
enum tl_err sq_pair_has(struct tl_store *s, const char *sql, int64_t a, int64_t b, bool *yes)
{
    struct conn *c;
    sqlite3_stmt *q;
    enum tl_err err = sq_reader((struct sqlite_store *)s, &c);

    *yes = false;
    if (err != TL_OK)
        return err;
    err = sq_prep(c, sql, &q);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(q, 1, a);
    sqlite3_bind_int64(q, 2, b);
    err = sq_step_row(c, q);
    sq_done(q);
    if (err == TL_OK)
        *yes = true;
    return err == TL_ERR_NOTFOUND ? TL_OK : err;
}

static enum tl_err member_add_job(struct conn *c, void *arg)
{
    struct sq_member_add *x = arg;
    sqlite3_stmt *s;
    enum tl_err err;
    int64_t ref;

    err = sq_prep(c, x->own_sql, &s);
    if (err != TL_OK)
        return err;
    sq_bind_who(s, x->parent, x->who);
    err = sq_step_row(c, s);
    ref = err == TL_OK ? sqlite3_column_int64(s, 0) : 0;
    sq_done(s);
    x->ref = ref;
    if (err != TL_OK)
        return err;

    err = sq_prep(c, x->need_sql, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, ref);
    sqlite3_bind_int64(s, 2, x->partner_id);
    err = sq_step_row(c, s);
    sq_done(s);
    if (err == TL_ERR_NOTFOUND)
        return x->need_err;
    if (err != TL_OK)
        return err;

    err = sq_prep(c, x->insert_sql, &s);
    if (err != TL_OK)
        return err;
    sqlite3_bind_int64(s, 1, x->parent);
    sqlite3_bind_int64(s, 2, x->partner_id);
    sqlite3_bind_int64(s, 3, x->now);
    err = sq_step_done(c, s);
    sq_done(s);
    if (err == TL_OK)
        x->created = sqlite3_changes(c->db) > 0;
    return err;
}

enum tl_err sq_member_add(struct tl_store *s, struct sq_member_add *x, bool *created)
{
    enum tl_err err;

    if (created != NULL)
        *created = false;
    if (!sq_actor_writes(x->who))
        return TL_ERR_NOTFOUND;
    x->now = tl_time_now_ms();
    err = sq_run_job((struct sqlite_store *)s, member_add_job, x);
    if (err == TL_OK && created != NULL)
        *created = x->created;
    return err;
}
