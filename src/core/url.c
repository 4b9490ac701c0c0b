/*
 * url.c: the landing-page gate on top of libcurl's URL API.
 *
 * libcurl decides what the host of a URL is; this file adds the rules that
 * libcurl does not have (http(s) only, no userinfo, no backslashes, length)
 * and refuses every URL where its own reading of the authority and
 * libcurl's could differ, so that the host that was checked is the host a
 * browser will visit.
 */
#include "core/url.h"

#include <curl/curl.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/model.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/*
 * libcurl converts IDN hosts with idn2_lookup_ul(), which reads the host in
 * the locale's charset: in the "C" locale every non-ASCII host fails. A
 * UTF-8 LC_CTYPE is installed for the calling thread only, around that one
 * call. (locale_t)0 when the system has no UTF-8 locale: IDN hosts are then
 * refused, never misread.
 */
static locale_t utf8_locale = (locale_t)0;

static void init_once_fn(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (utf8_locale == (locale_t)0)
        utf8_locale = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
    if (utf8_locale == (locale_t)0)
        utf8_locale = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

void tl_url_global_init(void)
{
    pthread_once(&init_once, init_once_fn);
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void lower_str(char *s)
{
    for (; *s != '\0'; s++)
        *s = lower(*s);
}

/* ASCII-only, locale-independent comparison of n bytes. */
static bool eq_nocase(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ip_literal(const char *host, size_t len)
{
    size_t i;

    if (len > 0 && host[0] == '[')
        return true;
    /* libcurl rewrites every IPv4 form (0x7f.1, 2130706433) to dotted decimal */
    for (i = 0; i < len; i++)
        if (!is_digit(host[i]) && host[i] != '.')
            return false;
    return len > 0;
}

/*
 * Reads the host of a parsed URL, IDN labels converted to punycode, in
 * lower case, into out. TL_ERR_INVALID if it cannot be converted or does
 * not fit.
 */
static enum tl_err puny_host(CURLU *u, char *out, size_t cap)
{
    locale_t old = (locale_t)0;
    char *host = NULL;
    CURLUcode rc;
    size_t len;

    if (utf8_locale != (locale_t)0)
        old = uselocale(utf8_locale);
    rc = curl_url_get(u, CURLUPART_HOST, &host, CURLU_PUNYCODE);
    if (utf8_locale != (locale_t)0)
        uselocale(old);
    /* a host that libidn2 rejects comes back as CURLUE_OUT_OF_MEMORY in 7.88 */
    if (rc != CURLUE_OK || host == NULL) {
        curl_free(host);
        return TL_ERR_INVALID;
    }
    len = strlen(host);
    if (len >= cap) {
        curl_free(host);
        return TL_ERR_INVALID;
    }
    memcpy(out, host, len + 1);
    curl_free(host);
    lower_str(out);
    return TL_OK;
}

/*
 * A hostname as tracklink stores it: labels of 1-63 bytes, total at most
 * 253, no trailing dot. strict: letters, digits and inner hyphens only
 * (permitted domains); otherwise '_' is allowed too (hosts seen in URLs).
 */
static bool hostname_ok(const char *h, bool strict)
{
    size_t len = strlen(h), label = 0, i;
    const char *last;

    if (len == 0 || len > 253)
        return false;
    for (i = 0; i <= len; i++) {
        char c = h[i];

        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63)
                return false;
            if (strict && (h[i - 1] == '-' || h[i - label] == '-'))
                return false;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || (!strict && c == '_')))
            return false;
        label++;
    }
    /* A last label that is a number makes a browser read the whole name as
     * an IPv4 address (WHATWG URL, "ends in a number"): all digits, or "0x"
     * and hex digits ("0x7f", "1.0x7f"); libcurl leaves such a name alone
     * when it ends with a dot. */
    last = strrchr(h, '.');
    last = last == NULL ? h : last + 1;
    if (last[0] == '0' && last[1] == 'x') {
        for (last += 2; *last != '\0'; last++)
            if (!is_digit(*last) && !(*last >= 'a' && *last <= 'f'))
                return true;
        return false;
    }
    for (; *last != '\0'; last++)
        if (!is_digit(*last))
            return true;
    return false;
}

enum tl_err tl_url_domain_normalize(const char *in, char *out, size_t cap, struct tl_problem *p)
{
    enum tl_err err = TL_ERR_INVALID;
    const char *rest = in;
    bool wild = false;
    char buf[1100], host[TL_URL_HOST_LEN];
    CURLU *u = NULL;
    CURLUcode rc;
    size_t len, i;

    tl_url_global_init();
    if (in == NULL || in[0] == '\0')
        return tl_problem_set(p, TL_ERR_INVALID, "invalid_value", "permitted_domains",
                              "a permitted domain is empty");
    if (strncmp(in, "*.", 2) == 0) {
        wild = true;
        rest = in + 2;
    }
    len = strlen(rest);
    if (len == 0 || len > 1024)
        goto bad;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)rest[i];

        /* scheme, port, path, query, fragment, userinfo, IPv6, escapes */
        if (c <= 0x20 || c == 0x7f || strchr("*/\\:@?#[]%", c) != NULL)
            goto bad;
    }
    snprintf(buf, sizeof(buf), "http://%s/", rest);
    u = curl_url();
    if (u == NULL) {
        err = tl_problem_set(p, TL_ERR_NOMEM, "internal", NULL, "out of memory");
        goto out;
    }
    rc = curl_url_set(u, CURLUPART_URL, buf, 0);
    if (rc != CURLUE_OK || puny_host(u, host, sizeof(host)) != TL_OK)
        goto bad;
    len = strlen(host);
    if (len > 0 && host[len - 1] == '.')
        host[len - 1] = '\0';
    if (!hostname_ok(host, true))
        goto bad;
    if (strlen(host) + (wild ? 2 : 0) >= cap)
        goto bad;
    snprintf(out, cap, "%s%s", wild ? "*." : "", host);
    err = TL_OK;
    goto out;
bad:
    err = tl_problem_set(p, TL_ERR_INVALID, "invalid_value", "permitted_domains",
                         "a permitted domain must be a hostname or *. and a hostname");
out:
    curl_url_cleanup(u);
    return err;
}

bool tl_url_host_permitted(const char *host, const char *const *domains, size_t n)
{
    size_t hlen, dlen, i;

    if (host == NULL)
        return false;
    hlen = strlen(host);
    if (hlen > 0 && host[hlen - 1] == '.')
        hlen--;
    if (hlen == 0 || is_ip_literal(host, hlen) || memchr(host, ':', hlen) != NULL)
        return false;
    for (i = 0; i < n; i++) {
        const char *d = domains[i];

        if (d == NULL)
            continue;
        if (d[0] == '*' && d[1] == '.') {
            /* the suffix keeps its leading dot, so the match ends on a label boundary */
            const char *suffix = d + 1;

            dlen = strlen(suffix);
            if (dlen > 1 && hlen > dlen && eq_nocase(host + hlen - dlen, suffix, dlen))
                return true;
        } else {
            dlen = strlen(d);
            if (dlen == hlen && eq_nocase(host, d, hlen))
                return true;
        }
    }
    return false;
}

static enum tl_err invalid(struct tl_problem *p, const char *field, const char *why)
{
    return tl_problem_set(p, TL_ERR_INVALID, "landing_page_invalid", field,
                          "the landing page %s", why);
}

enum tl_err tl_url_landing_check(const char *url, const char *const *domains, size_t n,
                                 const char *field, char *out, size_t cap,
                                 struct tl_problem *p)
{
    enum tl_err err;
    char host[TL_URL_HOST_LEN], match[TL_URL_HOST_LEN], check[TL_URL_HOST_LEN];
    char *raw = NULL, *user = NULL;
    const char *auth, *host_end, *after;
    size_t len, scheme_len, host_len, i, mlen, olen;
    CURLU *u = NULL, *u2 = NULL;
    CURLUcode rc;

    tl_url_global_init();
    if (url == NULL || url[0] == '\0')
        return invalid(p, field, "is empty");
    len = strlen(url);
    if (len > TL_URL_MAX)
        return invalid(p, field, "is longer than 2048 bytes");
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];

        if (c < 0x20 || c == 0x7f)
            return invalid(p, field, "holds a control character");
        if (c == ' ')
            return invalid(p, field, "holds a space");
        if (c == '\\')
            return invalid(p, field, "holds a backslash");
    }

    /* scheme "://" authority, read here before libcurl, and compared after */
    if (!eq_nocase(url, "http", 4))
        return invalid(p, field, "must be an absolute http or https URL");
    scheme_len = lower(url[4]) == 's' ? 5 : 4;
    if (strncmp(url + scheme_len, "://", 3) != 0)
        return invalid(p, field, "must be an absolute http or https URL");
    auth = url + scheme_len + 3;
    host_end = auth + strcspn(auth, "/?#");
    if (memchr(auth, '@', (size_t)(host_end - auth)) != NULL)
        return invalid(p, field, "must not hold credentials");
    if (auth[0] == '[') {
        const char *close = memchr(auth, ']', (size_t)(host_end - auth));

        after = close == NULL ? host_end : close + 1;
    } else {
        after = auth + strcspn(auth, ":/?#");
    }
    host_len = (size_t)(after - auth);
    if (host_len == 0)
        return invalid(p, field, "has no host");
    if (memchr(auth, '%', host_len) != NULL)
        return invalid(p, field, "host must not be percent-encoded");

    u = curl_url();
    if (u == NULL)
        return tl_problem_set(p, TL_ERR_NOMEM, "internal", NULL, "out of memory");
    rc = curl_url_set(u, CURLUPART_URL, url, CURLU_DISALLOW_USER);
    if (rc == CURLUE_OUT_OF_MEMORY) {
        err = tl_problem_set(p, TL_ERR_NOMEM, "internal", NULL, "out of memory");
        goto out;
    }
    if (rc != CURLUE_OK) {
        err = invalid(p, field, "is not a valid URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_NO_USER) {
        err = invalid(p, field, "must not hold credentials");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &raw, 0) != CURLUE_OK || raw == NULL) {
        err = invalid(p, field, "has no host");
        goto out;
    }
    if (is_ip_literal(raw, strlen(raw))) {
        err = tl_problem_set(p, TL_ERR_INVALID, "landing_page_not_permitted", field,
                             "the landing page host is an IP address, not a permitted domain");
        goto out;
    }
    /* libcurl must have read the same host as the code above */
    if (strlen(raw) != host_len || !eq_nocase(raw, auth, host_len)) {
        err = invalid(p, field, "has an ambiguous host");
        goto out;
    }
    if (puny_host(u, host, sizeof(host)) != TL_OK) {
        err = invalid(p, field, "has an invalid host name");
        goto out;
    }
    mlen = strlen(host);
    memcpy(match, host, mlen + 1);
    if (mlen > 0 && match[mlen - 1] == '.')
        match[--mlen] = '\0';
    if (!hostname_ok(match, false)) {
        err = invalid(p, field, "has an invalid host name");
        goto out;
    }
    if (!tl_url_host_permitted(match, domains, n)) {
        err = tl_problem_set(p, TL_ERR_INVALID, "landing_page_not_permitted", field,
                             "the landing page host %s is not a permitted domain", match);
        goto out;
    }

    olen = scheme_len + 3 + strlen(host) + strlen(after);
    if (olen > TL_URL_MAX) {
        err = invalid(p, field, "is longer than 2048 bytes");
        goto out;
    }
    if (olen >= cap) {
        err = invalid(p, field, "does not fit");
        goto out;
    }
    snprintf(out, cap, "%s://%s%s", scheme_len == 5 ? "https" : "http", host, after);

    /* what is handed on must parse to the very host that was checked */
    u2 = curl_url();
    if (u2 == NULL) {
        err = tl_problem_set(p, TL_ERR_NOMEM, "internal", NULL, "out of memory");
        goto out;
    }
    if (curl_url_set(u2, CURLUPART_URL, out, CURLU_DISALLOW_USER) != CURLUE_OK ||
        puny_host(u2, check, sizeof(check)) != TL_OK || strcmp(check, host) != 0) {
        out[0] = '\0';
        err = invalid(p, field, "has an ambiguous host");
        goto out;
    }
    err = TL_OK;
out:
    curl_free(raw);
    curl_free(user);
    curl_url_cleanup(u);
    curl_url_cleanup(u2);
    return err;
}

enum tl_err tl_url_host_of(const char *url, char *out, size_t cap)
{
    enum tl_err err;
    char host[TL_URL_HOST_LEN];
    CURLU *u;
    CURLUcode rc;
    size_t len;

    tl_url_global_init();
    if (url == NULL)
        return TL_ERR_INVALID;
    u = curl_url();
    if (u == NULL)
        return TL_ERR_NOMEM;
    rc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (rc == CURLUE_OUT_OF_MEMORY) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    err = TL_ERR_INVALID;
    if (rc != CURLUE_OK || puny_host(u, host, sizeof(host)) != TL_OK)
        goto out;
    len = strlen(host);
    if (len > 0 && host[len - 1] == '.')
        host[--len] = '\0';
    if (len == 0 || len >= cap)
        goto out;
    memcpy(out, host, len + 1);
    err = TL_OK;
out:
    curl_url_cleanup(u);
    return err;
}
