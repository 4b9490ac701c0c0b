/*
 * postbacks.c: the partner postback sender (see postbacks.h).
 */
#include "track/postbacks.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "core/arena.h"
#include "core/postback.h"
#include "core/time.h"

#define DUE_ARENA_MAX (8 * 1024 * 1024)
#define ERROR_MAX     256
#define POKE_MIN_MS   20 /* the least time between two reads of the outbox */

struct slot {
    bool used;
    bool blocked; /* the guard refused the address */
    CURL *easy;
    struct curl_slist *headers;
    struct tl_postbacks *owner;
    int64_t id;
    int64_t created_at;
    int attempts; /* before this one */
    int64_t started_ms;
    char errbuf[CURL_ERROR_SIZE];
};

struct tl_postbacks {
    struct tl_postbacks_config cfg;
    CURLM *multi;
    pthread_t thread;
    atomic_bool stopping;
    atomic_bool poked;
    struct slot slots[TL_POSTBACKS_INFLIGHT];
    size_t n_used;
};

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb;
}

/* The SSRF guard: runs for every address curl is about to connect to. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
    struct slot *s = clientp;

    (void)purpose;
    if (!s->owner->cfg.allow_private &&
        tl_postback_addr_blocked(&address->addr, address->addrlen)) {
        s->blocked = true;
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype, address->protocol);
}

static void slot_release(struct tl_postbacks *p, struct slot *s)
{
    if (s->easy != NULL) {
        curl_multi_remove_handle(p->multi, s->easy);
        curl_easy_cleanup(s->easy);
    }
    curl_slist_free_all(s->headers);
    memset(s, 0, sizeof(*s));
    p->n_used--;
}

/* Starts the GET of one delivery in a free slot. */
static void slot_start(struct tl_postbacks *p, const struct tl_postback_delivery *d)
{
    struct slot *s = NULL;
    char header[128];
    size_t i;
    CURL *e;

    for (i = 0; i < TL_POSTBACKS_INFLIGHT && s == NULL; i++)
        if (!p->slots[i].used)
            s = &p->slots[i];
    if (s == NULL)
        return;
    memset(s, 0, sizeof(*s));
    s->used = true;
    s->owner = p;
    s->id = d->id;
    s->created_at = d->created_at;
    s->attempts = d->attempts;
    s->started_ms = tl_time_now_ms();
    p->n_used++;
    snprintf(header, sizeof(header), "X-Tracklink-Event: %s", d->event);
    e = curl_easy_init();
    s->headers = curl_slist_append(NULL, header);
    if (e == NULL || s->headers == NULL) {
        curl_easy_cleanup(e);
        slot_release(p, s); /* still pending: tried again at the next poll */
        return;
    }
    s->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, d->url);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tracklink-postback/" TL_VERSION);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)TL_POSTBACKS_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)TL_POSTBACKS_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* no proxy from the environment */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, s);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    if (curl_multi_add_handle(p->multi, e) != CURLM_OK) {
        slot_release(p, s);
        return;
    }
}

/* Records the outcome of a finished transfer and frees its slot. */
static void slot_finish(struct tl_postbacks *p, struct slot *s, CURLcode rc)
{
    char error[ERROR_MAX];
    long code = 0;
    bool delivered;
    int64_t next = 0, now = tl_time_now_ms();
    enum tl_err err;

    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    delivered = rc == CURLE_OK && code >= 200 && code <= 299;
    error[0] = '\0';
    if (rc != CURLE_OK) {
        if (s->blocked)
            snprintf(error, sizeof(error),
                     "refused: the host resolves to a loopback, private or link-local address");
        else
            snprintf(error, sizeof(error), "%s",
                     s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc));
    } else if (!delivered) {
        snprintf(error, sizeof(error),
                 code >= 300 && code <= 399 ? "HTTP %ld: redirects are not followed" : "HTTP %ld",
                 code);
    }
    if (!delivered)
        next = tl_postback_next_attempt(s->created_at, s->attempts + 1, now);
    err =
        TL_STORE(p->cfg.store, outbox_record, s->id, s->started_ms, rc == CURLE_OK ? (int)code : 0,
                 error[0] != '\0' ? error : NULL, delivered, next);
    if (err != TL_OK)
        fprintf(stderr, "tracklink: postback %" PRId64 ": cannot record the attempt: %s\n", s->id,
                tl_err_str(err));
    slot_release(p, s);
}

/* Starts whatever is due, as far as slots allow. */
static void fetch_due(struct tl_postbacks *p)
{
    int64_t skip[TL_POSTBACKS_INFLIGHT];
    struct tl_postback_delivery *items = NULL;
    struct tl_arena *a;
    size_t n_skip = 0, n = 0, i;
    enum tl_err err;

    if (p->n_used >= TL_POSTBACKS_INFLIGHT)
        return;
    for (i = 0; i < TL_POSTBACKS_INFLIGHT; i++)
        if (p->slots[i].used)
            skip[n_skip++] = p->slots[i].id;
    a = tl_arena_new(DUE_ARENA_MAX);
    if (a == NULL)
        return;
    err = TL_STORE(p->cfg.store, outbox_due, tl_time_now_ms(),
                   (int)(TL_POSTBACKS_INFLIGHT - p->n_used), skip, n_skip, a, &items, &n);
    if (err != TL_OK)
        fprintf(stderr, "tracklink: postbacks: cannot read the outbox: %s\n", tl_err_str(err));
    for (i = 0; err == TL_OK && i < n; i++)
        slot_start(p, &items[i]);
    tl_arena_free(a);
}

static void *sender_main(void *arg)
{
    struct tl_postbacks *p = arg;
    struct slot *s;
    CURLMsg *msg;
    int64_t last_fetch = 0, now;
    int running, left;

    prctl(PR_SET_NAME, "tl-postbacks"); /* for top and perf */

    while (!atomic_load(&p->stopping)) {
        now = tl_time_now_ms();
        /* A poke (something was queued) fetches at once, but at most every
         * POKE_MIN_MS: under a load of conversions, one read of the outbox
         * serves many of them. */
        if (now - last_fetch >= TL_POSTBACKS_POLL_MS ||
            (now - last_fetch >= POKE_MIN_MS && atomic_load(&p->poked))) {
            atomic_store(&p->poked, false);
            last_fetch = now;
            fetch_due(p);
        }
        curl_multi_perform(p->multi, &running);
        while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            s = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            if (s != NULL) {
                slot_finish(p, s, msg->data.result);
                last_fetch = 0; /* a slot is free: look for more */
            }
        }
        if (last_fetch == 0)
            continue;
        curl_multi_poll(p->multi, NULL, 0,
                        atomic_load(&p->poked) ? POKE_MIN_MS : TL_POSTBACKS_POLL_MS, NULL);
    }
    return NULL;
}

struct tl_postbacks *tl_postbacks_start(const struct tl_postbacks_config *cfg, char *why,
                                        size_t why_len)
{
    struct tl_postbacks *p;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(why, why_len, "postbacks: cannot initialise libcurl");
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(why, why_len, "postbacks: out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    atomic_init(&p->stopping, false);
    atomic_init(&p->poked, true);
    p->multi = curl_multi_init();
    if (p->multi == NULL) {
        snprintf(why, why_len, "postbacks: cannot create a curl multi handle");
        free(p);
        return NULL;
    }
    if (pthread_create(&p->thread, NULL, sender_main, p) != 0) {
        snprintf(why, why_len, "postbacks: cannot start the sender thread");
        curl_multi_cleanup(p->multi);
        free(p);
        return NULL;
    }
    return p;
}

void tl_postbacks_poke(struct tl_postbacks *p)
{
    if (p == NULL)
        return;
    /* One wake-up per poke still pending: the sender polls every
     * POKE_MIN_MS while poked is set, so later pokes need not wake it (the
     * wake-up is a write to a socket, paid per conversion otherwise). */
    if (atomic_exchange(&p->poked, true))
        return;
    curl_multi_wakeup(p->multi);
}

void tl_postbacks_stop(struct tl_postbacks *p)
{
    size_t i;

    if (p == NULL)
        return;
    atomic_store(&p->stopping, true);
    curl_multi_wakeup(p->multi);
    pthread_join(p->thread, NULL);
    for (i = 0; i < TL_POSTBACKS_INFLIGHT; i++)
        if (p->slots[i].used)
            slot_release(p, &p->slots[i]);
    curl_multi_cleanup(p->multi);
    free(p);
}
