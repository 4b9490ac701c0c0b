/*
 * main.c: the tracklink binary. Wiring only: reads flags and environment,
 * opens the store, starts the HTTP server with the API's route table, and
 * waits for SIGTERM/SIGINT. Subcommands:
 *   serve     run the server
 *   migrate   apply pending migrations and print {"applied":N}
 *   admin     create-brand | create-partner, offline (same JSON as the API)
 *   version   print the version
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/demo.h"
#include "core/url.h"
#include "http/problem.h"
#include "http/server.h"
#include "store/store.h"
#include "track/postbacks.h"
#include "track/rejections.h"
#include "track/track.h"

#ifndef TL_VERSION
#define TL_VERSION "0.0.0"
#endif

#define EXIT_USAGE     2
#define PUBLIC_URL_MAX 2048

struct opts {
    const char *listen;
    const char *db;
    const char *public_url;
    const char *click_durability;
    unsigned threads;
    unsigned workers;
    long per_ip_limit; /* -1: the default (256, or none behind --trust-proxy) */
    unsigned head_timeout;
    unsigned body_min_rate;
    bool trust_proxy;
    bool allow_private_postbacks;
    const char *web_dir;
    /* admin */
    const char *name;
    const char *email;
    const char *user_email;
    const char *user_password;
    const char *campaign; /* admin clicks, admin report */
    const char *click_id;
};

static const char usage_text[] =
    "usage: tracklink <command> [flags]\n"
    "\n"
    "commands:\n"
    "  serve     run the HTTP server\n"
    "  migrate   apply pending database migrations, print {\"applied\":N}\n"
    "  admin create-brand --name NAME [--user-email E --user-password P]\n"
    "  admin create-partner --name NAME --email E [--user-email E --user-password P]\n"
    "  admin load-demo --clicks N --days N --campaigns N --partners N [--seed N]\n"
    "  admin clicks [--campaign ID] [--click-id ID]   the stored clicks, a JSON line each\n"
    "  admin report [--campaign ID]   the rollups' totals per currency\n"
    "  version   print the version\n"
    "\n"
    "serve flags (environment variable in brackets):\n"
    "  --listen HOST:PORT          default 127.0.0.1:8080 [TRACKLINK_LISTEN]\n"
    "  --db URL                    default sqlite:data/tracklink.db [TRACKLINK_DB]\n"
    "  --public-url URL            default http://<listen> [TRACKLINK_PUBLIC_URL]\n"
    "  --click-durability MODE     async (default) or sync [TRACKLINK_CLICK_DURABILITY]\n"
    "  --threads N                 redirect front threads, 0 = one per core [TRACKLINK_THREADS]\n"
    "  --workers N                 API worker (and libmicrohttpd) threads, 0 = default\n"
    "                              [TRACKLINK_WORKERS]\n"
    "  --trust-proxy               client IP from X-Forwarded-For [TRACKLINK_TRUST_PROXY=1]\n"
    "  --per-ip-limit N            connections per client address, 0 = none; default 256,\n"
    "                              none with --trust-proxy [TRACKLINK_PER_IP_LIMIT]\n"
    "  --head-timeout S            a request's line and headers must arrive within S seconds\n"
    "                              of its first byte, default 20 [TRACKLINK_HEAD_TIMEOUT]\n"
    "  --body-min-rate B           a body must average B bytes/s after that grace, default 500\n"
    "                              [TRACKLINK_BODY_MIN_RATE]\n"
    "  --allow-private-postbacks   allow postbacks to private addresses\n"
    "                              [TRACKLINK_ALLOW_PRIVATE_POSTBACKS=1]\n"
    "  --web-dir DIR               serve the web UI from DIR, not the copy built in\n"
    "                              [TRACKLINK_WEB_DIR]\n"
    "migrate and admin take --db too. TRACKLINK_ADMIN_KEY sets the operator key.\n";

static int usage(FILE *f, int code)
{
    fputs(usage_text, f);
    return code;
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "tracklink: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return usage(stderr, EXIT_USAGE);
}

static bool env_flag(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0);
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : dflt;
}

/* A thread count: decimal, 0..1024. */
static bool parse_count(const char *s, unsigned *out)
{
    unsigned long v = 0;
    size_t i;

    if (s == NULL || s[0] == '\0' || strlen(s) > 4)
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 1024)
        return false;
    *out = (unsigned)v;
    return true;
}

/* A decimal number in [min, max]. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    size_t i;

    if (s == NULL || s[0] == '\0' || strlen(s) > 9)
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* The limits' flags and variables: name, environment, range, target. */
static int set_limit(struct opts *o, const char *name, const char *val)
{
    unsigned long v;

    if (strcmp(name, "--per-ip-limit") == 0 || strcmp(name, "TRACKLINK_PER_IP_LIMIT") == 0) {
        if (!parse_uint(val, 0, 1000000, &v))
            return bad_usage("bad per-IP connection limit: %s", val);
        o->per_ip_limit = (long)v;
    } else if (strcmp(name, "--head-timeout") == 0 || strcmp(name, "TRACKLINK_HEAD_TIMEOUT") == 0) {
        if (!parse_uint(val, 1, 3600, &v))
            return bad_usage("bad head timeout (1-3600 s): %s", val);
        o->head_timeout = (unsigned)v;
    } else {
        if (!parse_uint(val, 1, 100000000, &v))
            return bad_usage("bad body minimum rate (bytes/s): %s", val);
        o->body_min_rate = (unsigned)v;
    }
    return 0;
}

/*
 * Reads flags ("--flag value" or "--flag=value") into o. allowed lists the
 * flags this subcommand takes. Returns 0, or EXIT_USAGE after printing why.
 */
static int parse_flags(int argc, char **argv, const char *const *allowed, struct opts *o)
{
    static const char *const booleans[] = {"--trust-proxy", "--allow-private-postbacks"};
    int i;
    size_t j, n;

    for (i = 0; i < argc; i++) {
        char name[64];
        const char *arg = argv[i], *eq, *val = NULL;
        bool known = false, is_bool = false;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout, 0);
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0)
            return bad_usage("unexpected argument: %s", arg);
        eq = strchr(arg, '=');
        n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        if (n >= sizeof(name))
            return bad_usage("unknown flag: %s", arg);
        memcpy(name, arg, n);
        name[n] = '\0';
        for (j = 0; allowed[j] != NULL; j++)
            if (strcmp(allowed[j], name) == 0)
                known = true;
        if (!known)
            return bad_usage("unknown flag: %s", name);
        for (j = 0; j < sizeof(booleans) / sizeof(booleans[0]); j++)
            if (strcmp(booleans[j], name) == 0)
                is_bool = true;
        if (is_bool) {
            if (eq != NULL && strcmp(eq + 1, "1") != 0 && strcmp(eq + 1, "true") != 0 &&
                strcmp(eq + 1, "0") != 0 && strcmp(eq + 1, "false") != 0)
                return bad_usage("bad value for %s", name);
            bool on = eq == NULL || strcmp(eq + 1, "1") == 0 || strcmp(eq + 1, "true") == 0;
            if (strcmp(name, "--trust-proxy") == 0)
                o->trust_proxy = on;
            else
                o->allow_private_postbacks = on;
            continue;
        }
        if (eq != NULL)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return bad_usage("%s needs a value", name);
        if (strcmp(name, "--listen") == 0)
            o->listen = val;
        else if (strcmp(name, "--db") == 0)
            o->db = val;
        else if (strcmp(name, "--public-url") == 0)
            o->public_url = val;
        else if (strcmp(name, "--click-durability") == 0)
            o->click_durability = val;
        else if (strcmp(name, "--web-dir") == 0)
            o->web_dir = val;
        else if (strcmp(name, "--threads") == 0) {
            if (!parse_count(val, &o->threads))
                return bad_usage("bad --threads: %s", val);
        } else if (strcmp(name, "--workers") == 0) {
            if (!parse_count(val, &o->workers))
                return bad_usage("bad --workers: %s", val);
        } else if (strcmp(name, "--per-ip-limit") == 0 || strcmp(name, "--head-timeout") == 0 ||
                   strcmp(name, "--body-min-rate") == 0) {
            if (set_limit(o, name, val) != 0)
                return EXIT_USAGE;
        } else if (strcmp(name, "--name") == 0)
            o->name = val;
        else if (strcmp(name, "--email") == 0)
            o->email = val;
        else if (strcmp(name, "--user-email") == 0)
            o->user_email = val;
        else if (strcmp(name, "--user-password") == 0)
            o->user_password = val;
        else if (strcmp(name, "--campaign") == 0)
            o->campaign = val;
        else if (strcmp(name, "--click-id") == 0)
            o->click_id = val;
    }
    return 0;
}

/* Defaults, then the environment; flags parsed afterwards override both. */
static int opts_init(struct opts *o)
{
    const char *v;

    memset(o, 0, sizeof(*o));
    o->listen = env_or("TRACKLINK_LISTEN", "127.0.0.1:8080");
    o->db = env_or("TRACKLINK_DB", "sqlite:data/tracklink.db");
    o->public_url = env_or("TRACKLINK_PUBLIC_URL", NULL);
    o->click_durability = env_or("TRACKLINK_CLICK_DURABILITY", "async");
    o->web_dir = env_or("TRACKLINK_WEB_DIR", NULL);
    o->trust_proxy = env_flag("TRACKLINK_TRUST_PROXY");
    o->allow_private_postbacks = env_flag("TRACKLINK_ALLOW_PRIVATE_POSTBACKS");
    v = env_or("TRACKLINK_THREADS", NULL);
    if (v != NULL && !parse_count(v, &o->threads))
        return bad_usage("bad TRACKLINK_THREADS: %s", v);
    v = env_or("TRACKLINK_WORKERS", NULL);
    if (v != NULL && !parse_count(v, &o->workers))
        return bad_usage("bad TRACKLINK_WORKERS: %s", v);
    o->per_ip_limit = -1;
    v = env_or("TRACKLINK_PER_IP_LIMIT", NULL);
    if (v != NULL && set_limit(o, "TRACKLINK_PER_IP_LIMIT", v) != 0)
        return EXIT_USAGE;
    v = env_or("TRACKLINK_HEAD_TIMEOUT", NULL);
    if (v != NULL && set_limit(o, "TRACKLINK_HEAD_TIMEOUT", v) != 0)
        return EXIT_USAGE;
    v = env_or("TRACKLINK_BODY_MIN_RATE", NULL);
    if (v != NULL && set_limit(o, "TRACKLINK_BODY_MIN_RATE", v) != 0)
        return EXIT_USAGE;
    return 0;
}

/* Splits "HOST:PORT" ("[::1]:PORT" for IPv6) at its last colon. */
static bool split_listen(const char *listen, char *host, size_t cap, unsigned *port)
{
    const char *colon = strrchr(listen, ':');
    size_t n;
    unsigned long p = 0;
    const char *s;

    if (colon == NULL || colon == listen || colon[1] == '\0')
        return false;
    n = (size_t)(colon - listen);
    if (n >= cap)
        return false;
    for (s = colon + 1; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || p > 65535)
            return false;
        p = p * 10 + (unsigned long)(*s - '0');
    }
    if (p > 65535)
        return false;
    memcpy(host, listen, n);
    host[n] = '\0';
    *port = (unsigned)p;
    return true;
}

static int open_store(const char *db, struct tl_store **out)
{
    char why[512];

    if (tl_store_open(db, out, why, sizeof(why)) != TL_OK) {
        fprintf(stderr, "tracklink: cannot open the database %s: %s\n", db, why);
        return 1;
    }
    /* The API key cache hears of revoked keys from the store. */
    if (tl_store_subscribe(*out, tl_api_keys_on_change, *out) != TL_OK) {
        fprintf(stderr, "tracklink: out of memory\n");
        tl_store_close(*out);
        *out = NULL;
        return 1;
    }
    return 0;
}

/* Every connection is a descriptor: take the hard limit (nginx's
 * worker_rlimit_nofile does the same when asked), not the soft default. */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* A whole number of seconds 0..10 years from the environment, in ms. */
static bool env_seconds(const char *name, int64_t *ms)
{
    const char *v = getenv(name);
    char *end;
    long long n;

    if (v == NULL || v[0] == '\0')
        return true;
    n = strtoll(v, &end, 10);
    if (*end != '\0' || n < 0 || n > 10LL * 366 * 86400)
        return false;
    *ms = (int64_t)n * 1000;
    return true;
}

/* The retention of rejected conversion attempts: defaults, then the
 * environment (docs/api.md "Rejected conversions"). */
static int rejections_config(struct tl_rejections_config *rc, struct tl_store *store)
{
    const char *rows = getenv("TRACKLINK_REJECTED_MAX_ROWS");
    char *end;
    long long n;

    memset(rc, 0, sizeof(*rc));
    rc->store = store;
    rc->max_age_ms = TL_REJECTIONS_MAX_AGE_MS;
    rc->max_rows = TL_REJECTIONS_MAX_ROWS;
    rc->prune_every_ms = TL_REJECTIONS_PRUNE_EVERY;
    if (!env_seconds("TRACKLINK_REJECTED_MAX_AGE", &rc->max_age_ms))
        return bad_usage("bad TRACKLINK_REJECTED_MAX_AGE: %s",
                         getenv("TRACKLINK_REJECTED_MAX_AGE"));
    if (!env_seconds("TRACKLINK_REJECTED_PRUNE_EVERY", &rc->prune_every_ms) ||
        rc->prune_every_ms == 0)
        return bad_usage("bad TRACKLINK_REJECTED_PRUNE_EVERY: %s",
                         getenv("TRACKLINK_REJECTED_PRUNE_EVERY"));
    if (rows != NULL && rows[0] != '\0') {
        n = strtoll(rows, &end, 10);
        if (*end != '\0' || n < 0 || n > 1000000000LL)
            return bad_usage("bad TRACKLINK_REJECTED_MAX_ROWS: %s", rows);
        rc->max_rows = n;
    }
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    static const char *const allowed[] = {
        "--listen",  "--db",           "--public-url",   "--click-durability",
        "--threads", "--workers",      "--trust-proxy",  "--allow-private-postbacks",
        "--web-dir", "--per-ip-limit", "--head-timeout", "--body-min-rate",
        NULL,
    };
    struct tl_server_config cfg;
    struct tl_track_config tcfg;
    struct tl_postbacks_config pbcfg;
    struct tl_rejections_config rjcfg;
    struct tl_track *track;
    struct tl_server *srv = NULL;
    struct tl_store *store = NULL;
    struct tl_app app;
    struct opts o;
    static char public_url[PUBLIC_URL_MAX + 64];
    char host[256], why[512];
    const char *admin_key;
    unsigned port;
    size_t len;
    sigset_t sigs;
    uint64_t lost;
    int sig = 0, rc;

    rc = opts_init(&o);
    if (rc == 0)
        rc = parse_flags(argc, argv, allowed, &o);
    if (rc != 0)
        return rc;
    memset(&app, 0, sizeof(app));
    if (strcmp(o.click_durability, "async") == 0)
        app.click_durability = TL_CLICK_ASYNC;
    else if (strcmp(o.click_durability, "sync") == 0)
        app.click_durability = TL_CLICK_SYNC;
    else
        return bad_usage("--click-durability must be async or sync, not %s", o.click_durability);
    if (!split_listen(o.listen, host, sizeof(host), &port))
        return bad_usage("--listen must be HOST:PORT, not %s", o.listen);
    if (o.public_url != NULL) {
        len = strlen(o.public_url);
        while (len > 0 && o.public_url[len - 1] == '/')
            len--;
        if (len == 0 || len > PUBLIC_URL_MAX)
            return bad_usage("bad --public-url: %s", o.public_url);
        memcpy(public_url, o.public_url, len);
        public_url[len] = '\0';
    } else {
        snprintf(public_url, sizeof(public_url), "http://%s", o.listen);
    }
    app.public_url = public_url;
    app.trust_proxy = o.trust_proxy;
    app.allow_private_postbacks = o.allow_private_postbacks;
    app.web_dir = o.web_dir;
    admin_key = getenv("TRACKLINK_ADMIN_KEY");
    if (admin_key != NULL && admin_key[0] != '\0') {
        app.has_admin_key = true;
        tl_api_key_hash(admin_key, app.admin_key_hash);
    }

    /* Every thread (the store's writer, the server's pools) inherits this
     * mask, so the signals reach only the sigwait() below. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0) {
        fprintf(stderr, "tracklink: cannot block signals\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    /* A file size limit (RLIMIT_FSIZE) reached makes a write fail with
     * EFBIG, which the store reports like a full disk, instead of killing
     * the process with the clicks it has queued. */
    signal(SIGXFSZ, SIG_IGN);
    raise_fd_limit();

    if (rejections_config(&rjcfg, NULL) != 0)
        return EXIT_USAGE;
    if (open_store(o.db, &store) != 0)
        return 1;
    app.store = store;
    rjcfg.store = store;
    fprintf(stderr, "tracklink: migrations applied: %d\n", tl_store_migrations_applied(store));
    fflush(stderr);

    memset(&tcfg, 0, sizeof(tcfg));
    tcfg.store = store;
    tcfg.sync = app.click_durability == TL_CLICK_SYNC;
    tcfg.trust_proxy = o.trust_proxy;
    track = tl_track_start(&tcfg, why, sizeof(why));
    if (track == NULL) {
        fprintf(stderr, "tracklink: %s\n", why);
        tl_store_close(store);
        return 1;
    }
    app.track = track;
    /* The link cache hears of every committed change that it depends on. */
    if (tl_store_subscribe(store, tl_cache_on_change, tl_track_cache(track)) != TL_OK) {
        fprintf(stderr, "tracklink: out of memory\n");
        tl_track_stop(track);
        tl_store_close(store);
        return 1;
    }
    pbcfg.store = store;
    pbcfg.allow_private = o.allow_private_postbacks;
    app.postbacks = tl_postbacks_start(&pbcfg, why, sizeof(why));
    if (app.postbacks == NULL) {
        fprintf(stderr, "tracklink: %s\n", why);
        tl_track_stop(track);
        tl_store_close(store);
        return 1;
    }
    app.rejections = tl_rejections_start(&rjcfg, why, sizeof(why));
    if (app.rejections == NULL) {
        fprintf(stderr, "tracklink: %s\n", why);
        tl_postbacks_stop(app.postbacks);
        tl_track_stop(track);
        tl_store_close(store);
        return 1;
    }

    memset(&cfg, 0, sizeof(cfg));
    cfg.listen = o.listen;
    cfg.threads = o.threads;
    cfg.workers = o.workers;
    /* Behind a proxy every client has the proxy's address: a per-address
     * limit would cap everyone together, so there is none unless asked
     * (the global limit and the proxy's own limits hold). */
    if (o.per_ip_limit == 0 || (o.per_ip_limit < 0 && o.trust_proxy))
        cfg.per_ip_limit = TL_LIMIT_OFF;
    else if (o.per_ip_limit > 0)
        cfg.per_ip_limit = (unsigned)o.per_ip_limit;
    cfg.head_timeout_s = o.head_timeout;
    cfg.body_min_rate = o.body_min_rate;
    cfg.routes = tl_api_routes;
    cfg.n_routes = tl_api_n_routes;
    cfg.app = &app;
    cfg.authenticate = tl_api_authenticate;
    cfg.authenticate_cached = tl_api_authenticate_cached;
    srv = tl_server_start(&cfg, why, sizeof(why));
    if (srv == NULL) {
        fprintf(stderr, "tracklink: cannot listen on %s: %s\n", o.listen, why);
        tl_rejections_stop(app.rejections);
        tl_postbacks_stop(app.postbacks);
        tl_track_stop(track);
        tl_store_close(store);
        return 1;
    }
    port = tl_server_port(srv);
    /* With port 0 the real port is only known now; no client can know it
     * before the line below, so nothing reads public_url yet. */
    if (o.public_url == NULL)
        snprintf(public_url, sizeof(public_url), "http://%s:%u", host, port);
    fprintf(stderr, "tracklink: listening on %s:%u\n", host, port);
    fflush(stderr);

    for (;;) {
        if (sigwait(&sigs, &sig) == 0 && (sig == SIGTERM || sig == SIGINT))
            break;
    }
    fprintf(stderr, "tracklink: %s received, shutting down\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    fflush(stderr);
    /* Answer what is in flight, then store every queued click, then close.
     * A failing store gets TL_CLICKS_STOP_RETRY_MS from now; clicks it
     * still refuses then are logged as lost, and the exit status is 1. */
    tl_track_shutdown(track);
    tl_server_free(srv);
    tl_rejections_stop(app.rejections); /* writes what is queued */
    tl_postbacks_stop(app.postbacks);
    lost = tl_track_stop(track);
    tl_store_close(store);
    return lost > 0 ? 1 : 0;
}

static int cmd_migrate(int argc, char **argv)
{
    static const char *const allowed[] = {"--db", NULL};
    struct tl_store *store = NULL;
    struct opts o;
    int rc;

    rc = opts_init(&o);
    if (rc == 0)
        rc = parse_flags(argc, argv, allowed, &o);
    if (rc != 0)
        return rc;
    if (open_store(o.db, &store) != 0)
        return 1;
    printf("{\"applied\":%d}\n", tl_store_migrations_applied(store));
    fflush(stdout);
    tl_store_close(store);
    return 0;
}

/* An id flag's value: decimal, 1..2^63-1. */
static bool parse_id(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (s == NULL || s[0] == '\0' || strlen(s) > 18)
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v > 0;
}

/* `tracklink admin ...`: the flags, the store, then the command in cli/. */
static int cmd_admin(int argc, char **argv)
{
    static const char *const brand_flags[] = {"--name", "--user-email", "--user-password", "--db",
                                              NULL};
    static const char *const partner_flags[] = {"--name",          "--email", "--user-email",
                                                "--user-password", "--db",    NULL};
    static const char *const clicks_flags[] = {"--campaign", "--click-id", "--db", NULL};
    static const char *const report_flags[] = {"--campaign", "--db", NULL};
    struct tl_cli_account acc;
    struct tl_store *store = NULL;
    const char *const *allowed;
    const char *cmd;
    struct opts o;
    int64_t campaign_id = 0;
    int rc;

    if (argc < 1)
        return bad_usage("admin needs a command: %s",
                         "create-brand | create-partner | load-demo | clicks | report");
    cmd = argv[0];
    if (strcmp(cmd, "load-demo") == 0)
        return tl_demo_main(argc - 1, argv + 1);
    if (strcmp(cmd, "create-brand") == 0)
        allowed = brand_flags;
    else if (strcmp(cmd, "create-partner") == 0)
        allowed = partner_flags;
    else if (strcmp(cmd, "clicks") == 0)
        allowed = clicks_flags;
    else if (strcmp(cmd, "report") == 0)
        allowed = report_flags;
    else
        return bad_usage("unknown admin command: %s", cmd);
    rc = opts_init(&o);
    if (rc == 0)
        rc = parse_flags(argc - 1, argv + 1, allowed, &o);
    if (rc != 0)
        return rc;
    if (o.campaign != NULL && !parse_id(o.campaign, &campaign_id))
        return bad_usage("bad --campaign: %s", o.campaign);
    if (open_store(o.db, &store) != 0)
        return 1;
    if (strcmp(cmd, "clicks") == 0) {
        rc = tl_cli_clicks(store, campaign_id, o.click_id);
    } else if (strcmp(cmd, "report") == 0) {
        rc = tl_cli_report(store, campaign_id);
    } else {
        memset(&acc, 0, sizeof(acc));
        acc.kind = allowed == brand_flags ? TL_ACCOUNT_BRAND : TL_ACCOUNT_PARTNER;
        acc.name = o.name;
        acc.email = o.email;
        acc.user_email = o.user_email;
        acc.user_password = o.user_password;
        rc = tl_cli_account_create(store, &acc);
    }
    tl_store_close(store);
    return rc;
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2)
        return usage(stderr, EXIT_USAGE);
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return usage(stdout, 0);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("tracklink %s\n", TL_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0 && strcmp(cmd, "admin") != 0)
        return bad_usage("unknown command: %s", cmd);
    if (sodium_init() < 0) {
        fprintf(stderr, "tracklink: libsodium failed to initialise\n");
        return 1;
    }
    tl_url_global_init();
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 2, argv + 2);
    return cmd_admin(argc - 2, argv + 2);
}
