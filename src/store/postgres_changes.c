/*
 * postgres_changes.c: the changes other nodes commit, heard through
 * PostgreSQL and told to this store's subscribers (tl_store_announce), so
 * that the link cache and the API key cache of every node on one database
 * follow every write within about a second.
 *
 * The change log (migrations/postgres/007_change_log.sql) is the truth:
 * triggers add a row in the transaction of every change a cache depends
 * on and notify the channel tl_change. One thread per store holds a
 * connection of its own that LISTENs; on a notification (and every
 * POLL_MS anyway, which also finds a dead connection) it reads the rows
 * after the last one it saw and announces each.
 *
 * Rows commit out of id order (ids are taken when a row is inserted, and
 * transactions commit when they end), so "after the last id" alone could
 * miss a row whose transaction was still running at a read. Each read
 * therefore also takes the rows of the transactions that were running at
 * the previous read (xid at or above its snapshot's xmin), and skips
 * those it has announced already (the seen list).
 *
 * When the connection drops, the thread reconnects with backoff (100 ms
 * doubling to 1 s), LISTENs again, and reads everything after the last
 * row it saw before it says the channel is up. If the rows it missed were
 * pruned meanwhile (its last id is below the log's horizon), it announces
 * TL_CHANGE_ALL: the caches drop everything. It also prunes rows older than KEEP_MS.
 *
 * Its own node's changes come back too and are announced a second time:
 * every listener only invalidates, so that is harmless.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/time.h"
#include "store/postgres_internal.h"

#define POLL_MS        1000 /* a read at least this often */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
#define KEEP_MS        3600000 /* change log rows kept an hour */
#define PRUNE_EVERY_MS 60000
#define SEEN_MAX       4096 /* rows of running transactions remembered */

struct seen {
    int64_t id;
    uint64_t xid;
};

struct tl_pg_changes {
    struct tl_store *s;
    char *url;
    char app_name[64];
    int wake[2]; /* a byte written to wake[1] wakes the thread (stop) */
    pthread_t thread;
    bool started;
    _Atomic bool stop;
    _Atomic int up; /* enum tl_store_channel */
    _Atomic uint64_t announced, reads, reconnects;

    /* the thread's own */
    PGconn *c;
    bool has_cursor; /* cursor and hold come from a read of the log (from open on) */
    int64_t cursor;  /* the highest id read */
    uint64_t hold;   /* the xmin of the last read's snapshot */
    struct seen *seen;
    size_t n_seen;
    int64_t next_prune;
};

static const char SQL_READ[] =
    "WITH m AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,"
    " (SELECT pruned_to FROM change_log_horizon) AS pruned,"
    " (SELECT COALESCE(max(id), 0) FROM change_log) AS top)"
    " SELECT m.xmin, m.pruned, m.top, l.id, l.kind, l.object_id, l.campaign_id,"
    " encode(l.key_hash, 'hex'), l.xid::text"
    " FROM m LEFT JOIN change_log l ON $3 AND (l.id > $1 OR l.xid >= $2::text::xid8)"
    " ORDER BY l.id";

static const char SQL_PRUNE[] =
    "WITH d AS (DELETE FROM change_log WHERE created_at < $1 RETURNING id)"
    " UPDATE change_log_horizon"
    " SET pruned_to = GREATEST(pruned_to, (SELECT COALESCE(max(id), 0) FROM d))";

/* ------------------------------------------------------------------ */
/* the connection */

static void wait_ms(struct tl_pg_changes *ch, int fd, int ms)
{
    struct pollfd p[2] = {{ch->wake[0], POLLIN, 0}, {fd, POLLIN, 0}};

    (void)poll(p, fd >= 0 ? 2 : 1, ms); /* EINTR: the loop looks again */
}

/* Connects and LISTENs; NULL when the database cannot be reached. Keep-
 * alives and a user timeout find a connection whose peer went silent. */
static PGconn *listen_connect(struct tl_pg_changes *ch)
{
    const char *const kw[] = {"connect_timeout",     "keepalives",       "keepalives_idle",
                              "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                              "application_name",    "dbname",           NULL};
    const char *const val[] = {"5", "1", "5", "2", "2", "5000", ch->app_name, ch->url, NULL};
    PGconn *c = PQconnectdbParams(kw, val, 1);

    if (c == NULL)
        return NULL;
    if (PQstatus(c) != CONNECTION_OK || tl_pg_exec(c, "LISTEN tl_change") != TL_OK) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

static void lost(struct tl_pg_changes *ch)
{
    if (atomic_exchange(&ch->up, TL_STORE_CHANNEL_DOWN) == TL_STORE_CHANNEL_UP)
        fprintf(stderr, "tracklink: change notifications lost, reconnecting\n");
    PQfinish(ch->c);
    ch->c = NULL;
}

/* ------------------------------------------------------------------ */
/* reading the log */

static void announce_all(struct tl_pg_changes *ch)
{
    struct tl_change c = {.kind = TL_CHANGE_ALL};

    tl_store_announce(ch->s, &c);
    atomic_fetch_add(&ch->announced, 1);
}

static bool was_seen(const struct tl_pg_changes *ch, int64_t id)
{
    for (size_t i = 0; i < ch->n_seen; i++)
        if (ch->seen[i].id == id)
            return true;
    return false;
}

/* Announces row i of r unless it was announced before. */
static void announce_row(struct tl_pg_changes *ch, const PGresult *r, int i)
{
    unsigned char hash[32];
    struct tl_change c = {0};
    int64_t id = pg_col_i64(r, i, 3);
    long kind = (long)pg_col_i64(r, i, 4);
    const char *hex = PQgetvalue(r, i, 7);

    if (id <= ch->cursor && was_seen(ch, id))
        return;
    if (kind < TL_CHANGE_PROGRAM || kind > TL_CHANGE_API_KEY_REVOKED)
        return; /* a kind of a newer version: its node announces it itself */
    c.kind = (enum tl_change_kind)kind;
    c.id = pg_col_i64(r, i, 5);
    c.campaign_id = pg_col_i64(r, i, 6);
    if (c.kind == TL_CHANGE_API_KEY_REVOKED) {
        if (PQgetisnull(r, i, 7) ||
            sodium_hex2bin(hash, sizeof(hash), hex, strlen(hex), NULL, NULL, NULL) != 0)
            return;
        c.key_hash = hash;
    }
    tl_store_announce(ch->s, &c);
    atomic_fetch_add(&ch->announced, 1);
}

/*
 * One read: announces the rows after the cursor and the unseen rows of
 * transactions that ran at the last read, then moves the cursor, the
 * hold and the seen list on. The first read (no cursor) only places
 * them. TL_ERR_UNAVAILABLE when the connection is gone.
 */
static enum tl_err read_log(struct tl_pg_changes *ch)
{
    char cursor[24], hold[24];
    const char *params[3] = {pg_i64(cursor, ch->cursor), hold, ch->has_cursor ? "t" : "f"};
    PGresult *r;
    enum tl_err err = TL_OK;
    int n, i;
    int64_t pruned, top;
    uint64_t xmin;
    size_t keep = 0;

    snprintf(hold, sizeof(hold), "%llu", (unsigned long long)ch->hold);
    r = PQexecParams(ch->c, SQL_READ, 3, NULL, params, NULL, NULL, 0);
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = tl_pg_result_err(ch->c, r);
        goto out;
    }
    atomic_fetch_add(&ch->reads, 1);
    n = PQntuples(r);
    if (n == 0) {
        err = TL_ERR_IO;
        goto out;
    }
    xmin = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    pruned = pg_col_i64(r, 0, 1);
    top = pg_col_i64(r, 0, 2);
    if (!ch->has_cursor) {
        ch->cursor = top;
        ch->hold = xmin;
        ch->n_seen = 0;
        ch->has_cursor = true;
        goto out;
    }
    if (ch->cursor < pruned)
        announce_all(ch); /* rows after the cursor are gone: the gap is unknown */
    for (i = 0; i < n; i++)
        if (!PQgetisnull(r, i, 3))
            announce_row(ch, r, i);
    /* Those of transactions still running at this read are read again
     * next time: remember them. The result holds every row seen before
     * that can come back (it had xid >= the old hold, or was new). */
    for (i = 0; i < n && keep < SEEN_MAX; i++) {
        uint64_t xid;

        if (PQgetisnull(r, i, 3))
            continue;
        xid = strtoull(PQgetvalue(r, i, 8), NULL, 10);
        if (xid >= xmin) {
            ch->seen[keep].id = pg_col_i64(r, i, 3);
            ch->seen[keep].xid = xid;
            keep++;
        }
    }
    ch->n_seen = keep;
    if (top > ch->cursor)
        ch->cursor = top;
    ch->hold = xmin;
out:
    PQclear(r);
    return err;
}

static void prune(struct tl_pg_changes *ch, int64_t now)
{
    char before[24];
    const char *params[1] = {pg_i64(before, now - KEEP_MS)};
    PGresult *r;

    ch->next_prune = now + PRUNE_EVERY_MS;
    r = PQexecParams(ch->c, SQL_PRUNE, 1, NULL, params, NULL, NULL, 0);
    if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
        tl_pg_result_err(ch->c, r); /* logged; the next prune tries again */
    PQclear(r);
}

/* Reads and frees the notifications waiting; true when there was one. */
static bool drain_notifies(PGconn *c)
{
    PGnotify *n;
    bool any = false;

    while ((n = PQnotifies(c)) != NULL) {
        any = true;
        PQfreemem(n);
    }
    return any;
}

/* ------------------------------------------------------------------ */
/* the thread */

static void *listen_main(void *arg)
{
    struct tl_pg_changes *ch = arg;
    int backoff = BACKOFF_MIN_MS;
    int64_t now, next_read = 0;
    char b[16];

    while (!atomic_load(&ch->stop)) {
        if (ch->c == NULL) {
            ch->c = listen_connect(ch);
            if (ch->c == NULL) {
                atomic_store(&ch->up, TL_STORE_CHANNEL_DOWN);
                wait_ms(ch, -1, backoff);
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            /* Caught up before the channel counts as up: a cache filled
             * from now on is filled after every change missed. */
            if (read_log(ch) != TL_OK) {
                lost(ch);
                continue;
            }
            backoff = BACKOFF_MIN_MS;
            if (atomic_exchange(&ch->up, TL_STORE_CHANNEL_UP) == TL_STORE_CHANNEL_DOWN)
                fprintf(stderr, "tracklink: change notifications back\n");
            next_read = tl_time_now_ms() + POLL_MS;
        }
        wait_ms(ch, PQsocket(ch->c), POLL_MS);
        if (atomic_load(&ch->stop))
            break;
        while (read(ch->wake[0], b, sizeof(b)) > 0)
            ;
        if (PQconsumeInput(ch->c) != 1 || PQstatus(ch->c) != CONNECTION_OK) {
            lost(ch);
            atomic_fetch_add(&ch->reconnects, 1);
            continue;
        }
        now = tl_time_now_ms();
        if (drain_notifies(ch->c) || now >= next_read) {
            if (read_log(ch) != TL_OK) {
                lost(ch);
                atomic_fetch_add(&ch->reconnects, 1);
                continue;
            }
            next_read = now + POLL_MS;
        }
        if (now >= ch->next_prune)
            prune(ch, now);
    }
    PQfinish(ch->c);
    ch->c = NULL;
    return NULL;
}

enum tl_err pg_changes_start(struct tl_store *s, const char *url, struct tl_pg_changes **out,
                             char *why, size_t why_len)
{
    struct tl_pg_changes *ch;
    enum tl_err err = TL_ERR_NOMEM;

    *out = NULL;
    ch = calloc(1, sizeof(*ch));
    if (ch == NULL)
        return TL_ERR_NOMEM;
    ch->wake[0] = ch->wake[1] = -1;
    ch->s = s;
    ch->url = strdup(url);
    ch->seen = calloc(SEEN_MAX, sizeof(*ch->seen));
    atomic_init(&ch->up, TL_STORE_CHANNEL_DOWN);
    atomic_init(&ch->stop, false);
    snprintf(ch->app_name, sizeof(ch->app_name), "tracklink changes %ld", (long)getpid());
    if (ch->url == NULL || ch->seen == NULL)
        goto fail;
    if (pipe(ch->wake) != 0 || fcntl(ch->wake[0], F_SETFL, O_NONBLOCK) != 0) {
        err = TL_ERR_IO;
        goto fail;
    }
    ch->next_prune = tl_time_now_ms() + PRUNE_EVERY_MS;
    /* The first connection and read here, so that the store opens with
     * its cursor placed; the thread only keeps it. */
    ch->c = listen_connect(ch);
    if (ch->c == NULL || read_log(ch) != TL_OK) {
        if (why != NULL && why_len > 0)
            snprintf(why, why_len, "cannot listen for changes (change_log)");
        err = TL_ERR_UNAVAILABLE;
        goto fail;
    }
    atomic_store(&ch->up, TL_STORE_CHANNEL_UP);
    if (pthread_create(&ch->thread, NULL, listen_main, ch) != 0) {
        err = TL_ERR_IO;
        goto fail;
    }
    ch->started = true;
    *out = ch;
    return TL_OK;
fail:
    pg_changes_stop(ch);
    return err;
}

void pg_changes_stop(struct tl_pg_changes *ch)
{
    if (ch == NULL)
        return;
    atomic_store(&ch->stop, true);
    if (ch->wake[1] >= 0) {
        ssize_t w = write(ch->wake[1], "x", 1);

        (void)w; /* a failed write is harmless: the thread wakes within POLL_MS */
    }
    if (ch->started)
        pthread_join(ch->thread, NULL);
    PQfinish(ch->c);
    if (ch->wake[0] >= 0)
        close(ch->wake[0]);
    if (ch->wake[1] >= 0)
        close(ch->wake[1]);
    free(ch->seen);
    free(ch->url);
    free(ch);
}

enum tl_store_channel pg_changes_state(const struct tl_pg_changes *ch)
{
    return ch != NULL ? (enum tl_store_channel)atomic_load(&ch->up) : TL_STORE_CHANNEL_DOWN;
}
