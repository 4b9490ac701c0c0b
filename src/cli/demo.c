/*
 * demo.c: `tracklink admin load-demo` (see demo.h). Everything is written
 * through the store's operations as the admin, exactly as the server would
 * write it: accounts through tl_api_account_create(), clicks through
 * click_batch (so stats_hourly is filled by the real rollup code, in
 * batches of 2,000 like the click writer's), conversions through
 * conversion_create and reversals through conversion_move, from several
 * threads so that group commit batches them.
 *
 * The traffic: clicks spread over the full hours of the last --days days
 * with a diurnal curve (a peak in the evening UTC), a little more at
 * weekends and a slow growth; campaigns and partners are Zipf-skewed, as
 * real affiliate traffic is; ~5% bots, ~70% unique, 1-2% of human clicks
 * convert (the rate varies by campaign) some hours later, ~10% of the
 * conversions are reversed. Randomness comes from libsodium's
 * randombytes_buf_deterministic() keyed by --seed, so the same seed gives
 * the same figures.
 *
 * Speed: one thread generates batches while a few others hand them to the
 * store, so that generation overlaps the writer and batches waiting
 * together share a commit.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "cli/demo.h"
#include "core/payout.h"
#include "core/time.h"
#include "track/clickid.h"

#define HOUR_MS       3600000LL
#define DAY_MS        86400000LL
#define BATCH         2000 /* clicks per click_batch, as the click writer */
#define RING          8    /* batch buffers in flight */
#define SUBMITTERS    3    /* threads handing batches to the store */
#define BOT_RATE      0.05
#define UNIQUE_RATE   0.70
#define REVERSE_RATE  0.10
#define CONV_DELAY_MS (3 * HOUR_MS) /* mean time from click to conversion */
#define WINDOW_DAYS   30
#define CURRENCY      "USD"
#define PI            3.14159265358979323846

static const struct tl_actor admin = {0, TL_ACCOUNT_ADMIN};

static const char *const human_uas[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
};
static const char *const bot_uas[] = {
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
};
static const char *const referrers[] = {
    "",
    "",
    "https://www.instagram.com/",
    "https://t.co/",
    "https://blog.partner.example/review",
    "https://www.youtube.com/",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* deterministic randomness: libsodium's ChaCha20 keystream, keyed by
 * BLAKE2b(seed, stream, block) */

struct rng {
    uint64_t seed;
    uint32_t stream;
    uint64_t block;
    size_t pos;
    unsigned char buf[4096];
};

static void rng_init(struct rng *r, uint64_t seed, uint32_t stream)
{
    r->seed = seed;
    r->stream = stream;
    r->block = 0;
    r->pos = sizeof(r->buf);
}

static void rng_refill(struct rng *r)
{
    unsigned char in[20], key[randombytes_SEEDBYTES];

    memcpy(in, &r->seed, 8);
    memcpy(in + 8, &r->stream, 4);
    memcpy(in + 12, &r->block, 8);
    crypto_generichash(key, sizeof(key), in, sizeof(in), NULL, 0);
    randombytes_buf_deterministic(r->buf, sizeof(r->buf), key);
    r->block++;
    r->pos = 0;
}

static void rng_bytes(struct rng *r, unsigned char *out, size_t n)
{
    size_t k;

    while (n > 0) {
        if (r->pos == sizeof(r->buf))
            rng_refill(r);
        k = sizeof(r->buf) - r->pos < n ? sizeof(r->buf) - r->pos : n;
        memcpy(out, r->buf + r->pos, k);
        r->pos += k;
        out += k;
        n -= k;
    }
}

static uint64_t rng_u64(struct rng *r)
{
    uint64_t v;

    rng_bytes(r, (unsigned char *)&v, sizeof(v));
    return v;
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return (uint64_t)(rng_unit(r) * (double)n);
}

/* Index i with probability w[i] / cum[n-1], from cumulative weights cum. */
static size_t pick(struct rng *r, const double *cum, size_t n)
{
    double x = rng_unit(r) * cum[n - 1];
    size_t lo = 0, hi = n - 1;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ------------------------------------------------------------------ */
/* the objects */

struct camp {
    int64_t id, task_id;
    enum tl_payout_type type;
    int64_t amount;
    int rate_bp;
    double conv_rate;
    int64_t *partners; /* ids, ascending */
    int64_t *links;    /* link id of partners[i] */
    double *cum;       /* cumulative Zipf weights of partners */
    size_t n;
};

/* A conversion decided while generating clicks, written afterwards. */
struct conv_plan {
    char click_id[TL_CLICKID_LEN + 1];
    uint32_t camp;
    int64_t partner_id, link_id, amount, occurred_at;
    bool reverse;
};

struct demo {
    struct tl_store *s;
    const struct tl_demo_config *cfg;
    struct rng rng;
    int64_t brand_id, program_id;
    char *brand_key, *partner_key;
    int64_t *partner_ids;
    struct camp *camps;
    double *camp_cum;
    size_t n_links, n_members;
    int64_t start_ms, end_ms;

    /* the click pipeline */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct tl_click *bufs[RING];
    size_t fill[RING];
    int free_q[RING], full_q[RING];
    int n_free, n_full;
    bool gen_done;
    enum tl_err err;
    atomic_llong written;
    int64_t bots, uniques;

    struct conv_plan *plans;
    size_t n_plans, cap_plans;
    atomic_llong next_plan, convs_done, reversed;
    atomic_int running; /* worker threads not finished yet */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum tl_err fail(char *why, size_t len, enum tl_err err, const char *what)
{
    snprintf(why, len, "%s: %s", what, tl_err_str(err));
    return err;
}

/* A brand or partner through the API's own account code; *key gets its
 * API key (malloc'd) when key is not NULL. */
static enum tl_err make_account(struct demo *d, enum tl_account_kind kind, const char *name,
                                const char *email, int64_t *id, char **key)
{
    struct tl_app app;
    struct tl_problem prob;
    json_t *body, *out = NULL;
    enum tl_err err;

    memset(&app, 0, sizeof(app));
    app.store = d->s;
    tl_problem_init(&prob);
    body = json_pack("{s:s}", "name", name);
    if (body == NULL)
        return TL_ERR_NOMEM;
    if (email != NULL && json_object_set_new(body, "email", json_string(email)) != 0) {
        json_decref(body);
        return TL_ERR_NOMEM;
    }
    err = tl_api_account_create(&app, kind, body, &out, &prob);
    json_decref(body);
    if (err != TL_OK)
        return err;
    *id = json_integer_value(json_object_get(out, "id"));
    if (key != NULL) {
        *key = strdup(json_string_value(json_object_get(out, "api_key")));
        if (*key == NULL)
            err = TL_ERR_NOMEM;
    }
    json_decref(out);
    return err;
}

static char *postback_key(void)
{
    unsigned char raw[24];
    char *k = malloc(
        4 + sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING));

    if (k == NULL)
        return NULL;
    randombytes_buf(raw, sizeof(raw));
    memcpy(k, "pbk_", 4);
    sodium_bin2base64(
        k + 4, sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
        raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return k;
}

/* Reads the links of campaign c's task and matches them to its partners. */
static enum tl_err load_links(struct demo *d, struct camp *c)
{
    struct tl_page page = {0, TL_LIST_MAX};
    struct tl_link *items;
    struct tl_arena *a;
    size_t n, i, lo, hi, mid;
    bool more = true;
    enum tl_err err = TL_OK;

    while (more && err == TL_OK) {
        a = tl_arena_new(16 * 1024 * 1024);
        if (a == NULL)
            return TL_ERR_NOMEM;
        err = TL_STORE(d->s, link_list, &admin, &(struct tl_link_filter){c->task_id, 0, 0}, &page,
                       a, &items, &n, &more);
        for (i = 0; err == TL_OK && i < n; i++) {
            lo = 0;
            hi = c->n;
            while (lo < hi) {
                mid = (lo + hi) / 2;
                if (c->partners[mid] < items[i].partner_id)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < c->n && c->partners[lo] == items[i].partner_id && c->links[lo] == 0) {
                c->links[lo] = items[i].id;
                d->n_links++;
            }
            page.after = items[i].id;
        }
        tl_arena_free(a);
    }
    for (i = 0; err == TL_OK && i < c->n; i++)
        if (c->links[i] == 0)
            err = TL_ERR_INTERNAL;
    return err;
}

static enum tl_err setup(struct demo *d, char *why, size_t len)
{
    const struct tl_demo_config *cfg = d->cfg;
    static const char *domains[] = {"demo.test", "*.demo.test"};
    struct tl_program p;
    struct tl_campaign cp;
    struct tl_task t;
    char name[128], email[128];
    bool created;
    size_t made;
    double w, cum = 0;
    int i, j;
    enum tl_err err;

    err = make_account(d, TL_ACCOUNT_BRAND, "Demo Brand", NULL, &d->brand_id, &d->brand_key);
    if (err != TL_OK)
        return fail(why, len, err, "creating the brand");
    memset(&p, 0, sizeof(p));
    p.brand_id = d->brand_id;
    p.name = "Demo Program";
    p.default_landing_page = "https://shop.demo.test/";
    p.permitted_domains = domains;
    p.n_permitted_domains = N_OF(domains);
    p.click_id_param = "clickid";
    p.referral_window_days = WINDOW_DAYS;
    p.currency = CURRENCY;
    p.postback_key = postback_key();
    if (p.postback_key == NULL)
        return TL_ERR_NOMEM;
    err = TL_STORE(d->s, program_create, &admin, &p, &d->program_id);
    free((char *)p.postback_key);
    if (err != TL_OK)
        return fail(why, len, err, "creating the program");

    d->partner_ids = calloc((size_t)cfg->partners, sizeof(*d->partner_ids));
    d->camps = calloc((size_t)cfg->campaigns, sizeof(*d->camps));
    d->camp_cum = calloc((size_t)cfg->campaigns, sizeof(*d->camp_cum));
    if (d->partner_ids == NULL || d->camps == NULL || d->camp_cum == NULL)
        return TL_ERR_NOMEM;
    for (i = 0; i < cfg->partners; i++) {
        snprintf(name, sizeof(name), "Demo Partner %d", i + 1);
        snprintf(email, sizeof(email), "partner%d@demo.test", i + 1);
        err = make_account(d, TL_ACCOUNT_PARTNER, name, email, &d->partner_ids[i],
                           i == 0 ? &d->partner_key : NULL);
        if (err == TL_OK)
            err = TL_STORE(d->s, program_partner_add, &admin, d->program_id, d->partner_ids[i],
                           &created);
        if (err != TL_OK)
            return fail(why, len, err, "creating the partners");
    }

    for (i = 0; i < cfg->campaigns; i++) {
        struct camp *c = &d->camps[i];

        memset(&cp, 0, sizeof(cp));
        snprintf(name, sizeof(name), "Demo Campaign %d", i + 1);
        cp.program_id = d->program_id;
        cp.name = name;
        cp.status = TL_CAMPAIGN_ACTIVE;
        cp.tracking_enabled = true;
        cp.lp_mode = TL_LP_PROGRAM_DEFAULT;
        if (i % 2 == 0) {
            cp.payout_type = TL_PAYOUT_FIXED;
            cp.payout_amount = 200 + 100 * (int64_t)rng_below(&d->rng, 14);
        } else {
            cp.payout_type = TL_PAYOUT_PERCENT;
            cp.payout_rate_bp = 500 + 100 * (int)rng_below(&d->rng, 16);
        }
        err = TL_STORE(d->s, campaign_create, &admin, &cp, &c->id);
        if (err != TL_OK)
            return fail(why, len, err, "creating the campaigns");
        c->type = cp.payout_type;
        c->amount = cp.payout_amount;
        c->rate_bp = cp.payout_rate_bp;
        c->conv_rate = 0.01 + 0.01 * rng_unit(&d->rng);
        /* Each partner is in its "home" campaign and in about a quarter of
         * the others; Zipf weights by order of joining. */
        c->partners = calloc((size_t)cfg->partners, sizeof(*c->partners));
        c->links = calloc((size_t)cfg->partners, sizeof(*c->links));
        c->cum = calloc((size_t)cfg->partners, sizeof(*c->cum));
        if (c->partners == NULL || c->links == NULL || c->cum == NULL)
            return TL_ERR_NOMEM;
        for (j = 0; j < cfg->partners; j++) {
            if (j % cfg->campaigns != i && rng_unit(&d->rng) >= 0.25)
                continue;
            err = TL_STORE(d->s, campaign_partner_add, &admin, c->id, d->partner_ids[j], &created);
            if (err != TL_OK)
                return fail(why, len, err, "adding partners to the campaigns");
            w = 1.0 / pow((double)c->n + 1.0, 1.1);
            c->cum[c->n] = (c->n > 0 ? c->cum[c->n - 1] : 0) + w;
            c->partners[c->n++] = d->partner_ids[j];
        }
        d->n_members += c->n;
        memset(&t, 0, sizeof(t));
        snprintf(name, sizeof(name), "Promote Demo Campaign %d", i + 1);
        t.campaign_id = c->id;
        t.title = name;
        t.description = "Share your link with your audience.";
        t.partner_ids = c->partners;
        t.n_partner_ids = c->n;
        err = TL_STORE(d->s, task_create, &admin, &t, &c->task_id);
        if (err == TL_OK)
            err = TL_STORE(d->s, link_ensure_defaults, c->id, &made);
        if (err == TL_OK)
            err = load_links(d, c);
        if (err != TL_OK)
            return fail(why, len, err, "creating the tasks and links");
        cum += 1.0 / pow((double)i + 1.0, 0.7);
        d->camp_cum[i] = cum;
    }
    return TL_OK;
}

/* ------------------------------------------------------------------ */
/* clicks */

/* Relative traffic of the hour starting at ms: a diurnal curve peaking
 * around 19:00 UTC, weekends a little busier, a slow growth over the span. */
static double hour_weight(const struct demo *d, int64_t ms)
{
    int h = (int)((ms / HOUR_MS) % 24);
    int wday = (int)(((ms / DAY_MS) + 4) % 7); /* 0 = Sunday: 1970-01-01 was a Thursday */
    double w = 0.25 + 0.75 * (0.5 - 0.5 * cos(2.0 * PI * (h - 7) / 24.0));

    if (wday == 0 || wday == 6)
        w *= 1.15;
    return w * (1.0 + 0.3 * (double)(ms - d->start_ms) / (double)(d->end_ms - d->start_ms));
}

static enum tl_err plan_add(struct demo *d, const struct conv_plan *p)
{
    struct conv_plan *n;

    if (d->n_plans == d->cap_plans) {
        size_t cap = d->cap_plans == 0 ? 4096 : d->cap_plans * 2;

        n = realloc(d->plans, cap * sizeof(*n));
        if (n == NULL)
            return TL_ERR_NOMEM;
        d->plans = n;
        d->cap_plans = cap;
    }
    d->plans[d->n_plans++] = *p;
    return TL_OK;
}

/* Fills one click at ts and maybe plans its conversion. */
static enum tl_err make_click(struct demo *d, int64_t ts, struct tl_click *k)
{
    struct rng *r = &d->rng;
    size_t ci = pick(r, d->camp_cum, (size_t)d->cfg->campaigns), pi;
    struct camp *c = &d->camps[ci];
    struct conv_plan plan;
    const char *ua, *ref;
    double delay;

    pi = pick(r, c->cum, c->n);
    tl_clickid_new(ts, k->click_id);
    k->ts_ms = ts;
    k->link_id = c->links[pi];
    k->partner_id = c->partners[pi];
    k->task_id = c->task_id;
    k->campaign_id = c->id;
    k->program_id = d->program_id;
    memcpy(k->currency, CURRENCY, 4);
    rng_bytes(r, k->visitor, sizeof(k->visitor));
    k->bot = rng_unit(r) < BOT_RATE;
    k->uniq = rng_unit(r) < UNIQUE_RATE;
    k->landing_fallback = false;
    ua = k->bot ? bot_uas[rng_below(r, N_OF(bot_uas))] : human_uas[rng_below(r, N_OF(human_uas))];
    ref = referrers[rng_below(r, N_OF(referrers))];
    snprintf(k->user_agent, sizeof(k->user_agent), "%s", ua);
    snprintf(k->referrer, sizeof(k->referrer), "%s", ref);
    k->sub[0][0] = k->sub[1][0] = k->sub[2][0] = k->sub[3][0] = '\0';
    if (k->bot) {
        d->bots++;
        return TL_OK;
    }
    d->uniques += k->uniq;
    if (rng_unit(r) >= c->conv_rate)
        return TL_OK;
    memcpy(plan.click_id, k->click_id, sizeof(plan.click_id));
    plan.camp = (uint32_t)ci;
    plan.partner_id = k->partner_id;
    plan.link_id = k->link_id;
    plan.amount = 1000 + 100 * (int64_t)rng_below(r, 190); /* 10.00 .. 199.00 */
    delay = -log(1.0 - rng_unit(r)) * (double)CONV_DELAY_MS;
    if (delay > 7.0 * DAY_MS)
        delay = 7.0 * DAY_MS;
    plan.occurred_at = ts + (int64_t)delay;
    if (plan.occurred_at >= d->end_ms)
        plan.occurred_at = ts + (d->end_ms - ts) / 2;
    plan.reverse = rng_unit(r) < REVERSE_RATE;
    return plan_add(d, &plan);
}

static int take(int *q, int *n)
{
    int v = q[0];

    memmove(q, q + 1, (size_t)(*n - 1) * sizeof(*q));
    (*n)--;
    return v;
}

/* Generates every click in time order, BATCH at a time, into the ring. */
static void *generator(void *arg)
{
    struct demo *d = arg;
    int64_t hours = (d->end_ms - d->start_ms) / HOUR_MS, h, j, n, made = 0;
    double total = 0, cum = 0;
    enum tl_err err = TL_OK;
    size_t fill = 0;
    int b = -1;

    for (h = 0; h < hours; h++)
        total += hour_weight(d, d->start_ms + h * HOUR_MS);
    for (h = 0; h < hours && err == TL_OK; h++) {
        int64_t hs = d->start_ms + h * HOUR_MS;

        cum += hour_weight(d, hs);
        /* Cumulative rounding: the hours add up to exactly --clicks. */
        n = (int64_t)llround(cum / total * (double)d->cfg->clicks) - made;
        made += n;
        for (j = 0; j < n && err == TL_OK; j++) {
            if (b < 0) {
                pthread_mutex_lock(&d->mu);
                while (d->n_free == 0 && d->err == TL_OK)
                    pthread_cond_wait(&d->cv, &d->mu);
                if (d->err != TL_OK)
                    err = d->err;
                else
                    b = take(d->free_q, &d->n_free);
                pthread_mutex_unlock(&d->mu);
                if (err != TL_OK)
                    break;
                fill = 0;
            }
            err = make_click(d, hs + (int64_t)(((double)j + rng_unit(&d->rng)) * HOUR_MS / n),
                             &d->bufs[b][fill++]);
            if (fill == BATCH || (h == hours - 1 && j == n - 1)) {
                pthread_mutex_lock(&d->mu);
                d->fill[b] = fill;
                d->full_q[d->n_full++] = b;
                pthread_cond_broadcast(&d->cv);
                pthread_mutex_unlock(&d->mu);
                b = -1;
            }
        }
    }
    pthread_mutex_lock(&d->mu);
    if (b >= 0 && fill > 0 && err == TL_OK) {
        d->fill[b] = fill;
        d->full_q[d->n_full++] = b;
    }
    if (err != TL_OK && d->err == TL_OK)
        d->err = err;
    d->gen_done = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    atomic_fetch_sub(&d->running, 1);
    return NULL;
}

/* Hands full batches to the store. */
static void *submitter(void *arg)
{
    struct demo *d = arg;
    enum tl_err err;
    int b;

    for (;;) {
        pthread_mutex_lock(&d->mu);
        while (d->n_full == 0 && !d->gen_done && d->err == TL_OK)
            pthread_cond_wait(&d->cv, &d->mu);
        if (d->n_full == 0 || d->err != TL_OK) {
            pthread_mutex_unlock(&d->mu);
            atomic_fetch_sub(&d->running, 1);
            return NULL;
        }
        b = take(d->full_q, &d->n_full);
        pthread_mutex_unlock(&d->mu);

        err = TL_STORE(d->s, click_batch, d->bufs[b], d->fill[b]);
        atomic_fetch_add(&d->written, (long long)d->fill[b]);

        pthread_mutex_lock(&d->mu);
        if (err != TL_OK && d->err == TL_OK)
            d->err = err;
        d->free_q[d->n_free++] = b;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
    }
}

static void progress(const char *what, long long done, long long total, double t0)
{
    double secs = now_s() - t0, rate = secs > 0 ? (double)done / secs : 0;

    fprintf(stderr, "load-demo: %s %lld/%lld (%.1f%%), %.0f/s, ETA %.0f s\n", what, done, total,
            total > 0 ? 100.0 * (double)done / (double)total : 100.0, rate,
            rate > 0 ? (double)(total - done) / rate : 0.0);
    fflush(stderr);
}

/* Waits for threads to finish, printing progress every second. */
static void watch(struct demo *d, const char *what, atomic_llong *done, long long total, double t0,
                  pthread_t *th, int n)
{
    struct timespec tick = {0, 100 * 1000 * 1000};
    double last = now_s();
    int i;

    while (atomic_load(&d->running) > 0) {
        nanosleep(&tick, NULL);
        if (d->cfg->progress && now_s() - last >= 1.0) {
            last = now_s();
            progress(what, atomic_load(done), total, t0);
        }
    }
    for (i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    if (d->cfg->progress)
        progress(what, atomic_load(done), total, t0);
}

/* ------------------------------------------------------------------ */
/* conversions */

static void *converter(void *arg)
{
    struct demo *d = arg;
    struct tl_conversion in, out, moved;
    struct tl_arena *a;
    char order[32];
    bool created;
    enum tl_err err;
    long long i;

    while ((i = atomic_fetch_add(&d->next_plan, 1)) < (long long)d->n_plans) {
        const struct conv_plan *p = &d->plans[i];
        const struct camp *c = &d->camps[p->camp];

        pthread_mutex_lock(&d->mu);
        err = d->err;
        pthread_mutex_unlock(&d->mu);
        if (err != TL_OK)
            break;
        memset(&in, 0, sizeof(in));
        snprintf(order, sizeof(order), "demo-%lld", i + 1);
        in.click_id = p->click_id;
        in.order_id = order;
        in.event_type = "sale";
        in.amount = p->amount;
        in.currency = CURRENCY;
        in.partner_id = p->partner_id;
        in.campaign_id = c->id;
        in.task_id = c->task_id;
        in.link_id = p->link_id;
        in.program_id = d->program_id;
        in.occurred_at = p->occurred_at;
        err = tl_payout_compute(c->type, c->amount, c->rate_bp, p->amount, &in.payout);
        a = tl_arena_new(64 * 1024);
        if (a == NULL)
            err = TL_ERR_NOMEM;
        if (err == TL_OK)
            err = TL_STORE(d->s, conversion_create, &admin, &in, a, &out, &created);
        if (err == TL_OK && p->reverse) {
            err = TL_STORE(d->s, conversion_move, &admin, out.id, TL_CONV_REVERSED,
                           "demo: order returned", a, &moved);
            if (err == TL_OK)
                atomic_fetch_add(&d->reversed, 1);
        }
        tl_arena_free(a);
        if (err != TL_OK) {
            pthread_mutex_lock(&d->mu);
            if (d->err == TL_OK)
                d->err = err;
            pthread_mutex_unlock(&d->mu);
            break;
        }
        atomic_fetch_add(&d->convs_done, 1);
    }
    atomic_fetch_sub(&d->running, 1);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* the whole load */

static json_t *ids_json(const int64_t *ids, size_t n, size_t stride)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(
                a, json_integer(*(const int64_t *)((const char *)ids + i * stride))) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *summary_json(struct demo *d, double t_setup, double t_clicks, double t_convs)
{
    char from[TL_TIME_LEN], to[TL_TIME_LEN];
    json_t *o;

    tl_time_format(d->start_ms, from);
    tl_time_format(d->end_ms, to);
    o = json_pack(
        "{s:I, s:s, s:I, s:o?, s:o?, s:o?, s:s, s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:I, "
        "s:I, s:I, s:I, s:{s:f, s:f, s:f, s:f}, s:f}",
        "brand_id", (json_int_t)d->brand_id, "brand_api_key", d->brand_key, "program_id",
        (json_int_t)d->program_id, "campaign_ids",
        ids_json(&d->camps[0].id, (size_t)d->cfg->campaigns, sizeof(struct camp)), "task_ids",
        ids_json(&d->camps[0].task_id, (size_t)d->cfg->campaigns, sizeof(struct camp)),
        "partner_ids", ids_json(d->partner_ids, (size_t)d->cfg->partners, sizeof(int64_t)),
        "partner_api_key", d->partner_key, "memberships", (json_int_t)d->n_members, "links",
        (json_int_t)d->n_links, "from", from, "to", to, "days", (json_int_t)d->cfg->days, "clicks",
        (json_int_t)atomic_load(&d->written), "bot_clicks", (json_int_t)d->bots, "unique_clicks",
        (json_int_t)d->uniques, "conversions", (json_int_t)atomic_load(&d->convs_done), "reversed",
        (json_int_t)atomic_load(&d->reversed), "seed", (json_int_t)d->cfg->seed, "seconds", "setup",
        t_setup, "clicks", t_clicks, "conversions", t_convs, "total", t_setup + t_clicks + t_convs,
        "clicks_per_second", t_clicks > 0 ? (double)atomic_load(&d->written) / t_clicks : 0.0);
    return o;
}

enum tl_err tl_demo_load(struct tl_store *s, const struct tl_demo_config *cfg, json_t **summary,
                         char *why, size_t why_len)
{
    struct demo *d;
    pthread_t gen, th[256 + SUBMITTERS];
    int n_th = 0, i;
    double t0, t1, t2, t3;
    enum tl_err err = TL_OK;
    bool mu_ok = false;

    *summary = NULL;
    snprintf(why, why_len, "out of memory");
    if (cfg->clicks < 0 || cfg->days < 1 || cfg->campaigns < 1 || cfg->partners < 1 ||
        cfg->threads < 1 || cfg->threads > 256) {
        snprintf(why, why_len, "bad configuration");
        return TL_ERR_INVALID;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL)
        return TL_ERR_NOMEM;
    d->s = s;
    d->cfg = cfg;
    rng_init(&d->rng, cfg->seed, 0);
    d->end_ms = tl_time_now_ms() / HOUR_MS * HOUR_MS;
    d->start_ms = d->end_ms - (int64_t)cfg->days * DAY_MS;
    if (pthread_mutex_init(&d->mu, NULL) != 0)
        goto nomem;
    if (pthread_cond_init(&d->cv, NULL) != 0) {
        pthread_mutex_destroy(&d->mu);
        goto nomem;
    }
    mu_ok = true;
    for (i = 0; i < RING; i++) {
        d->bufs[i] = malloc(BATCH * sizeof(struct tl_click));
        if (d->bufs[i] == NULL)
            goto nomem;
        d->free_q[d->n_free++] = i;
    }

    t0 = now_s();
    err = setup(d, why, why_len);
    if (err != TL_OK)
        goto out;
    if (cfg->progress) {
        fprintf(stderr, "load-demo: %d partners, %d campaigns, %zu links in %.1f s\n",
                cfg->partners, cfg->campaigns, d->n_links, now_s() - t0);
        fflush(stderr);
    }

    t1 = now_s();
    atomic_store(&d->running, 1);
    if (pthread_create(&gen, NULL, generator, d) != 0) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    th[n_th++] = gen;
    for (i = 0; i < SUBMITTERS; i++) {
        atomic_fetch_add(&d->running, 1);
        if (pthread_create(&th[n_th], NULL, submitter, d) == 0)
            n_th++;
        else
            atomic_fetch_sub(&d->running, 1);
    }
    watch(d, "clicks", &d->written, cfg->clicks, t1, th, n_th);
    n_th = 0;
    if (d->err != TL_OK) {
        err = fail(why, why_len, d->err, "writing clicks");
        goto out;
    }

    t2 = now_s();
    for (i = 0; i < cfg->threads; i++) {
        atomic_fetch_add(&d->running, 1);
        if (pthread_create(&th[n_th], NULL, converter, d) == 0)
            n_th++;
        else
            atomic_fetch_sub(&d->running, 1);
    }
    if (n_th == 0) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    watch(d, "conversions", &d->convs_done, (long long)d->n_plans, t2, th, n_th);
    n_th = 0;
    if (d->err != TL_OK) {
        err = fail(why, why_len, d->err, "writing conversions");
        goto out;
    }
    t3 = now_s();
    *summary = summary_json(d, t1 - t0, t2 - t1, t3 - t2);
    if (*summary == NULL)
        err = TL_ERR_NOMEM;
out:
    for (i = 0; i < RING; i++)
        free(d->bufs[i]);
    for (i = 0; d->camps != NULL && i < cfg->campaigns; i++) {
        free(d->camps[i].partners);
        free(d->camps[i].links);
        free(d->camps[i].cum);
    }
    free(d->camps);
    free(d->camp_cum);
    free(d->partner_ids);
    free(d->plans);
    if (d->brand_key != NULL)
        sodium_memzero(d->brand_key, strlen(d->brand_key));
    free(d->brand_key);
    free(d->partner_key);
    if (mu_ok) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
    }
    free(d);
    return err;
nomem:
    err = TL_ERR_NOMEM;
    goto out;
}

/* ------------------------------------------------------------------ */
/* the subcommand */

static const char demo_usage[] =
    "usage: tracklink admin load-demo [--db URL] [--clicks N] [--days N] [--campaigns N]\n"
    "                                 [--partners N] [--seed N] [--threads N] [--quiet]\n"
    "defaults: --db $TRACKLINK_DB or sqlite:data/tracklink.db, 1000000 clicks over 90 days,\n"
    "20 campaigns, 500 partners, a random seed, 16 conversion threads.\n";

static bool parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;

    if (s == NULL || s[0] == '\0')
        return false;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int tl_demo_main(int argc, char **argv)
{
    struct tl_demo_config cfg = {1000000, 90, 20, 500, 0, 16, true};
    const char *db = getenv("TRACKLINK_DB");
    struct tl_store *store = NULL;
    json_t *summary = NULL;
    char why[512], *text;
    int64_t v;
    bool seeded = false;
    int i, rc = 0;
    enum tl_err err;

    if (db == NULL || db[0] == '\0')
        db = "sqlite:data/tracklink.db";
    for (i = 0; i < argc; i++) {
        const char *name = argv[i], *val = NULL, *eq = strchr(argv[i], '=');
        char flag[32];
        size_t n = eq != NULL ? (size_t)(eq - name) : strlen(name);

        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            fputs(demo_usage, stdout);
            return 0;
        }
        if (strcmp(name, "--quiet") == 0) {
            cfg.progress = false;
            continue;
        }
        if (n >= sizeof(flag) || strncmp(name, "--", 2) != 0)
            goto usage;
        memcpy(flag, name, n);
        flag[n] = '\0';
        if (eq != NULL)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            goto usage;
        if (strcmp(flag, "--db") == 0)
            db = val;
        else if (strcmp(flag, "--clicks") == 0 && parse_num(val, 0, INT64_C(1) << 40, &v))
            cfg.clicks = v;
        else if (strcmp(flag, "--days") == 0 && parse_num(val, 1, 3650, &v))
            cfg.days = (int)v;
        else if (strcmp(flag, "--campaigns") == 0 && parse_num(val, 1, 1000, &v))
            cfg.campaigns = (int)v;
        else if (strcmp(flag, "--partners") == 0 && parse_num(val, 1, 100000, &v))
            cfg.partners = (int)v;
        else if (strcmp(flag, "--threads") == 0 && parse_num(val, 1, 256, &v))
            cfg.threads = (int)v;
        else if (strcmp(flag, "--seed") == 0 && parse_num(val, 0, INT64_MAX, &v)) {
            cfg.seed = (uint64_t)v;
            seeded = true;
        } else
            goto usage;
    }
    if (!seeded)
        cfg.seed = ((uint64_t)randombytes_random() << 20) ^ randombytes_random();
    if (tl_store_open(db, &store, why, sizeof(why)) != TL_OK) {
        fprintf(stderr, "tracklink: cannot open the database %s: %s\n", db, why);
        return 1;
    }
    err = tl_demo_load(store, &cfg, &summary, why, sizeof(why));
    tl_store_close(store);
    if (err != TL_OK) {
        fprintf(stderr, "tracklink: load-demo failed: %s\n", why);
        return 1;
    }
    text = json_dumps(summary, JSON_COMPACT);
    json_decref(summary);
    if (text == NULL) {
        fprintf(stderr, "tracklink: out of memory\n");
        return 1;
    }
    printf("%s\n", text);
    fflush(stdout);
    free(text);
    return rc;
usage:
    fprintf(stderr, "tracklink: bad load-demo flag near %s\n%s", argv[i < argc ? i : argc - 1],
            demo_usage);
    return 2;
}
