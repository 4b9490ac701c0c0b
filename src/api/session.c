/*
 * session.c: the web UI's sign-in (POST|GET|DELETE /api/v1/session).
 *
 * A sign-in checks the email and password of a UI login (app_user, an
 * argon2id string) and answers a fresh random session token in the
 * tl_session cookie (HttpOnly, SameSite=Strict, Path=/, and Secure when
 * the public URL is https), kept on the server only as its hash, and a
 * CSRF token that the UI sends back on every write (auth.c checks both).
 *
 * Guessing is held off three ways:
 * - an unknown email is checked against a dummy argon2id hash of the same
 *   cost, so that it takes as long as a wrong password;
 * - failures are counted per email and per client address in a fixed
 *   window; past the limit every attempt (even a right one) answers 429
 *   too_many_attempts with Retry-After, before any hashing. An attempt is
 *   counted when it starts, so parallel guesses cannot overrun the limit;
 *   a success takes its own back and clears the email's count;
 * - at most VERIFY_PARALLEL password checks run at once (each takes 64 MiB
 *   and tens of milliseconds), with a bounded queue behind them, so that a
 *   flood of sign-ins cannot take every API worker or the memory.
 * The counts live in memory: a restart forgets them.
 */
#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "core/time.h"

#define EMAIL_MAX    254
#define PASSWORD_MAX 1024

#define FAIL_WINDOW_MS (15 * 60 * 1000LL)
#define EMAIL_FAILS    5  /* per email and window */
#define IP_FAILS       20 /* per client address and window */
/* Each table holds LIMIT_SETS * LIMIT_WAYS entries; a full set gives up
 * its oldest. The slot comes from a keyed hash, so nobody can aim at one. */
#define LIMIT_SETS 512
#define LIMIT_WAYS 4

#define VERIFY_PARALLEL 2
#define VERIFY_QUEUE    16 /* waiting checks; past it 429 with Retry-After: 1 */

#define IP_MAX 64

/* ---- failure counts ---- */

struct limit_entry {
    unsigned char id[16];
    int64_t since; /* the window's start; 0: a free entry */
    unsigned fails;
};

struct limit_table {
    unsigned max;
    struct limit_entry e[LIMIT_SETS][LIMIT_WAYS];
};

static struct limit_table by_email = {.max = EMAIL_FAILS};
static struct limit_table by_ip = {.max = IP_FAILS};
static unsigned char limit_hash_key[crypto_generichash_KEYBYTES];
static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- the password checks ---- */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static unsigned gate_busy, gate_waiting;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];
static bool dummy_ok;

/* The hash key of the tables, and the dummy hash an unknown email is
 * checked against, at the same cost as the hashes accounts.c makes. */
static void init_once(void)
{
    unsigned char pw[32];

    randombytes_buf(limit_hash_key, sizeof(limit_hash_key));
    randombytes_buf(pw, sizeof(pw));
    dummy_ok = crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof(pw),
                                 crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
    sodium_memzero(pw, sizeof(pw));
}

static void limit_id(const char *s, unsigned char out[16])
{
    crypto_generichash(out, 16, (const unsigned char *)s, strlen(s), limit_hash_key,
                       sizeof(limit_hash_key));
}

/* The entry of id (NULL when none and !create). Under limit_mu. */
static struct limit_entry *limit_find(struct limit_table *t, const unsigned char id[16],
                                      int64_t now, bool create)
{
    struct limit_entry *set = t->e[(id[0] | (unsigned)id[1] << 8) % LIMIT_SETS];
    struct limit_entry *victim = NULL, *e;
    size_t w;

    for (w = 0; w < LIMIT_WAYS; w++) {
        e = &set[w];
        if (e->since != 0 && now - e->since >= FAIL_WINDOW_MS)
            e->since = 0;
        if (e->since != 0 && memcmp(e->id, id, 16) == 0)
            return e;
        if (victim == NULL || (victim->since != 0 && (e->since == 0 || e->since < victim->since)))
            victim = e;
    }
    if (!create)
        return NULL;
    memcpy(victim->id, id, 16);
    victim->since = now;
    victim->fails = 0;
    return victim;
}

/* Seconds until e's window ends when it is over its limit, else 0. */
static int64_t limit_wait(const struct limit_table *t, const struct limit_entry *e, int64_t now)
{
    if (e == NULL || e->fails < t->max)
        return 0;
    return (e->since + FAIL_WINDOW_MS - now + 999) / 1000;
}

/* Counts an attempt against both ids, unless either is over its limit:
 * then returns the seconds to wait and counts nothing. */
static int64_t limit_reserve(const unsigned char email[16], const unsigned char ip[16], int64_t now)
{
    int64_t wait_email, wait_ip;

    pthread_mutex_lock(&limit_mu);
    wait_email = limit_wait(&by_email, limit_find(&by_email, email, now, false), now);
    wait_ip = limit_wait(&by_ip, limit_find(&by_ip, ip, now, false), now);
    if (wait_email == 0 && wait_ip == 0) {
        limit_find(&by_email, email, now, true)->fails++;
        limit_find(&by_ip, ip, now, true)->fails++;
    }
    pthread_mutex_unlock(&limit_mu);
    return wait_email > wait_ip ? wait_email : wait_ip;
}

/* Takes an attempt back; success also clears the email's count. */
static void limit_release(const unsigned char email[16], const unsigned char ip[16], int64_t now,
                          bool success)
{
    struct limit_entry *e;

    pthread_mutex_lock(&limit_mu);
    e = limit_find(&by_email, email, now, false);
    if (e != NULL && success)
        e->since = 0;
    else if (e != NULL && e->fails > 0)
        e->fails--;
    e = limit_find(&by_ip, ip, now, false);
    if (e != NULL && e->fails > 0)
        e->fails--;
    pthread_mutex_unlock(&limit_mu);
}

static bool gate_enter(void)
{
    pthread_mutex_lock(&gate_mu);
    if (gate_busy >= VERIFY_PARALLEL && gate_waiting >= VERIFY_QUEUE) {
        pthread_mutex_unlock(&gate_mu);
        return false;
    }
    gate_waiting++;
    while (gate_busy >= VERIFY_PARALLEL)
        pthread_cond_wait(&gate_cv, &gate_mu);
    gate_waiting--;
    gate_busy++;
    pthread_mutex_unlock(&gate_mu);
    return true;
}

static void gate_leave(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_busy--;
    pthread_cond_signal(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

/* ---- answers ---- */

/* The client's address: the socket peer, or the last X-Forwarded-For hop
 * behind --trust-proxy (as the redirect path reads it). */
static const char *client_ip(const struct tl_app *app, const struct tl_req *req, char *buf,
                             size_t cap)
{
    const char *xff, *last, *end;
    size_t n;

    if (app->trust_proxy && (xff = tl_req_header(req, "X-Forwarded-For")) != NULL) {
        last = strrchr(xff, ',');
        last = last != NULL ? last + 1 : xff;
        while (*last == ' ' || *last == '\t')
            last++;
        end = last + strlen(last);
        while (end > last && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        n = (size_t)(end - last);
        if (n > 0 && n < cap) {
            memcpy(buf, last, n);
            buf[n] = '\0';
            return buf;
        }
    }
    return tl_req_peer(req, buf, cap);
}

static enum tl_err too_many(struct tl_req *req, struct tl_resp *resp, int64_t wait_s,
                            struct tl_problem *prob)
{
    const char *v = tl_arena_printf(req->arena, "%lld", (long long)wait_s);

    if (v != NULL)
        tl_resp_header_add(resp, "Retry-After", v);
    return tl_problem_set(prob, TL_ERR_TOOMANY, "too_many_attempts", NULL,
                          "too many failed sign-ins; try again in %lld s", (long long)wait_s);
}

static bool secure_cookie(const struct tl_app *app)
{
    return strncasecmp(app->public_url, "https://", 8) == 0;
}

static enum tl_err set_cookie(struct tl_req *req, struct tl_resp *resp, const char *token)
{
    const struct tl_app *app = req->app;
    const char *v;

    /* An empty token clears the cookie. */
    v = tl_arena_printf(req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
                        TL_SESSION_COOKIE, token, token[0] == '\0' ? "; Max-Age=0" : "",
                        secure_cookie(app) ? "; Secure" : "");
    if (v == NULL || tl_resp_header_add(resp, "Set-Cookie", v) != TL_OK)
        return TL_ERR_NOMEM;
    /* The body holds the CSRF token: no cache keeps it. */
    return tl_resp_header_add(resp, "Cache-Control", "no-store");
}

/* {"account":{"id","kind","name"},"user":{"email"},"csrf_token"} */
static json_t *session_json(const struct tl_session *s)
{
    return json_pack("{s:{s:I, s:s, s:s}, s:{s:s}, s:s}", "account", "id",
                     (json_int_t)s->actor.account_id, "kind", tl_account_kind_str(s->actor.kind),
                     "name", s->account_name != NULL ? s->account_name : "", "user", "email",
                     s->user_email != NULL ? s->user_email : "", "csrf_token", s->csrf_token);
}

/* base64url of 32 random bytes into out. */
static void random_token(char out[TL_SESSION_TOKEN_LEN + 1])
{
    unsigned char raw[32];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, TL_SESSION_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

static bool password_ok(const char *pw_hash, const char *password)
{
    return crypto_pwhash_str_verify(pw_hash, password, strlen(password)) == 0;
}

TL_HANDLER(tl_api_session_create)
{
    static const struct tl_in_field types[] = {
        {"email", "email", TL_IN_STR},
        {"password", "password", TL_IN_STR},
    };
    struct tl_app *app = req->app;
    struct tl_session s;
    struct tl_user u;
    json_t *body = NULL;
    const char *email = NULL, *password = NULL;
    char ip_buf[IP_MAX], *lower = NULL, token[TL_SESSION_TOKEN_LEN + 1];
    char old[TL_SESSION_TOKEN_LEN + 1], csrf[TL_SESSION_TOKEN_LEN + 1];
    unsigned char email_id[16], ip_id[16], old_hash[32];
    int64_t now, wait_s;
    bool ok, have_old;
    enum tl_err err;
    size_t i;

    pthread_once(&once, init_once);
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_types(body, types, 2, prob);
    if (err == TL_OK)
        err = tl_in_str(body, "email", "email", true, EMAIL_MAX, &email, prob);
    if (err == TL_OK)
        err = tl_in_str(body, "password", "password", true, PASSWORD_MAX, &password, prob);
    /* Signing a visitor in to another account from a foreign page is a
     * forgery too. */
    if (err == TL_OK)
        err = tl_api_origin_check(app, req, prob);
    if (err != TL_OK)
        goto out;

    lower = tl_arena_strdup(req->arena, email);
    if (lower == NULL) {
        err = tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
        goto out;
    }
    for (i = 0; lower[i] != '\0'; i++)
        if (lower[i] >= 'A' && lower[i] <= 'Z')
            lower[i] = (char)(lower[i] - 'A' + 'a');
    limit_id(lower, email_id);
    limit_id(client_ip(app, req, ip_buf, sizeof(ip_buf)), ip_id);
    now = tl_time_now_ms();
    wait_s = limit_reserve(email_id, ip_id, now);
    if (wait_s > 0) {
        err = too_many(req, resp, wait_s, prob);
        goto out;
    }
    if (!gate_enter()) {
        limit_release(email_id, ip_id, now, false);
        err = too_many(req, resp, 1, prob);
        goto out;
    }
    err = TL_STORE(app->store, user_by_email, email, req->arena, &u);
    if (err == TL_ERR_NOTFOUND) {
        /* The same work as a wrong password, for the same time. */
        if (dummy_ok)
            password_ok(dummy_hash, password);
        ok = false;
        err = TL_OK;
    } else {
        ok = err == TL_OK && password_ok(u.pw_hash, password);
    }
    gate_leave();
    if (err != TL_OK) {
        limit_release(email_id, ip_id, now, false);
        err = tl_problem_set(prob, err, NULL, NULL, "could not check the sign-in");
        goto out;
    }
    if (!ok) {
        err = tl_problem_set(prob, TL_ERR_UNAUTHORIZED, "invalid_credentials", NULL,
                             "the email or the password is wrong");
        goto out;
    }
    limit_release(email_id, ip_id, now, true);

    /* A new token at each sign-in; the one this browser held ends. */
    have_old = tl_api_session_token(req, old) != NULL;
    if (have_old)
        tl_api_key_hash(old, old_hash);
    random_token(token);
    random_token(csrf);
    memset(&s, 0, sizeof(s));
    tl_api_key_hash(token, s.token_hash);
    s.user_id = u.id;
    s.user_email = u.email;
    s.actor.account_id = u.account_id;
    s.actor.kind = u.kind;
    s.account_name = u.account_name;
    s.csrf_token = csrf;
    s.created_at = now;
    s.expires_at = now + TL_SESSION_IDLE_MS;
    err = TL_STORE(app->store, session_create, &s, have_old ? old_hash : NULL);
    if (err != TL_OK) {
        err = tl_problem_set(prob, err, NULL, NULL, "could not start the session");
        goto out;
    }
    err = set_cookie(req, resp, token);
    if (err == TL_OK)
        err = tl_out_json(resp, 200, session_json(&s));
    if (err != TL_OK)
        err = tl_problem_set(prob, err, NULL, NULL, "out of memory");
out:
    sodium_memzero(token, sizeof(token));
    json_decref(body);
    return err;
}

TL_HANDLER(tl_api_session_get)
{
    struct tl_session s;
    enum tl_err err;

    err = tl_api_session_find(req->app, req, &s, prob);
    if (err != TL_OK)
        return err;
    if (tl_resp_header_add(resp, "Cache-Control", "no-store") != TL_OK)
        return TL_ERR_NOMEM;
    return tl_out_json(resp, 200, session_json(&s));
}

TL_HANDLER(tl_api_session_delete)
{
    struct tl_app *app = req->app;
    struct tl_session s;
    enum tl_err err;

    err = tl_api_session_find(app, req, &s, prob);
    if (err == TL_OK)
        err = tl_api_csrf_check(app, req, &s, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, session_delete, s.token_hash);
    /* NOTFOUND: a sign-out in parallel ended it first. */
    if (err != TL_OK && err != TL_ERR_NOTFOUND)
        return tl_problem_set(prob, err, NULL, NULL, "could not end the session");
    if (set_cookie(req, resp, "") != TL_OK)
        return TL_ERR_NOMEM;
    resp->status = 204;
    return TL_OK;
}
