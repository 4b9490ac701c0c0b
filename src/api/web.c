/*
 * web.c: serves the web UI (UI.md "Stack").
 *
 *   GET /       302 to /app/
 *   GET /app    302 to /app/
 *   GET /app/…  a file of web/ ("/app/src/app.mjs" is web/src/app.mjs);
 *               "/app/" and any path that names no file and does not look
 *               like one (a client-side route, "/app/campaigns/3/tasks")
 *               answer web/index.html; a missing file (a path under an
 *               asset folder, or whose last segment has a dot) is 404.
 *
 * The files come from the table that scripts/embed_web.py compiles in, or,
 * with --web-dir DIR (app->web_dir), from DIR on disk at each request, for
 * working on the UI without rebuilding. Every answer carries the UI's
 * Content-Security-Policy, nosniff, Cache-Control: no-cache and a strong
 * ETag (BLAKE2b-128 of the bytes; If-None-Match answers 304), and the gzip
 * copy goes to clients that accept gzip (Vary: Accept-Encoding).
 *
 * Paths arrive percent-decoded by libmicrohttpd: a "." or ".." segment, a
 * backslash or a control character is refused (404) before any lookup,
 * so neither the table nor DIR can be left.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/web.h"

/* --web-dir: the largest file served from disk (the request arena holds it). */
#define WEB_DISK_FILE_MAX (2 * 1024 * 1024)
#define WEB_INDEX         "index.html"

static const char csp[] = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

/* First segments of web/ that hold files only: a miss there is a 404. */
static const char *const asset_dirs[] = {"vendor", "src", "i18n", "assets"};

/* One representation of a file to answer with. */
struct rep {
    const char *data;
    size_t len;
    const char *etag;
    bool gzip;
};

const char *tl_web_content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    size_t i;

    if (dot != NULL && strchr(dot, '/') == NULL) {
        for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return types[i].type;
    }
    return "application/octet-stream";
}

const struct tl_web_file *tl_web_find(const char *path)
{
    size_t lo = 0, hi = tl_web_files_n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(path, tl_web_files[mid].path);

        if (c == 0)
            return &tl_web_files[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* No "." or ".." segment, backslash or control character. */
static bool safe_rel(const char *rel)
{
    const char *s = rel, *p;

    for (p = rel; *p != '\0'; p++)
        if (*p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    for (;;) {
        size_t n = strcspn(s, "/");

        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        if (s[n] == '\0')
            return true;
        s += n + 1;
    }
}

/* A path that names a file (a miss is 404), not a client-side route. */
static bool names_file(const char *rel)
{
    size_t first = strcspn(rel, "/"), i;
    const char *last = strrchr(rel, '/');

    for (i = 0; i < sizeof(asset_dirs) / sizeof(asset_dirs[0]); i++)
        if (strlen(asset_dirs[i]) == first && strncmp(rel, asset_dirs[i], first) == 0)
            return true;
    return strchr(last != NULL ? last + 1 : rel, '.') != NULL;
}

/* Whether an Accept-Encoding value admits gzip: a "gzip", "x-gzip" or "*"
 * member whose q is not zero. */
static bool accepts_gzip(const char *ae)
{
    const char *s = ae;

    if (ae == NULL)
        return false;
    while (*s != '\0') {
        size_t n, m;
        const char *params;
        bool named, zero = false;

        s += strspn(s, " \t,");
        n = strcspn(s, " \t;,");
        named = (n == 4 && strncasecmp(s, "gzip", 4) == 0) ||
                (n == 6 && strncasecmp(s, "x-gzip", 6) == 0) || (n == 1 && s[0] == '*');
        params = s + n;
        m = strcspn(params, ",");
        /* q=0, q=0.0, q=0.00 or q=0.000 among the member's parameters */
        for (const char *q = params; q < params + m; q++) {
            if ((*q == 'q' || *q == 'Q') && q[1] == '=' && q > params &&
                (q[-1] == ';' || q[-1] == ' ' || q[-1] == '\t')) {
                const char *v = q + 2;

                zero = *v == '0';
                if (zero && v[1] == '.')
                    for (v += 2; *v >= '0' && *v <= '9'; v++)
                        zero = zero && *v == '0';
            }
        }
        if (named && !zero)
            return true;
        s = params + m;
    }
    return false;
}

/* Whether If-None-Match lists etag (weak comparison, as RFC 9110 asks). */
static bool none_match(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    const char *s = inm;

    if (inm == NULL)
        return false;
    while (*s != '\0') {
        size_t n;

        s += strspn(s, " \t,");
        if (*s == '*')
            return true;
        if (strncmp(s, "W/", 2) == 0)
            s += 2;
        n = strcspn(s, ",");
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n == elen && memcmp(s, etag, n) == 0)
            return true;
        s += n;
        s += strcspn(s, ",");
    }
    return false;
}

static enum tl_err redirect(struct tl_resp *resp, struct tl_problem *prob)
{
    resp->status = 302;
    if (tl_resp_header_add(resp, "Location", "/app/") != TL_OK ||
        tl_resp_header_add(resp, "Cache-Control", "no-cache") != TL_OK)
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    return TL_OK;
}

TL_HANDLER(tl_api_web_root)
{
    (void)req;
    return redirect(resp, prob);
}

TL_HANDLER(tl_api_web_app)
{
    (void)req;
    return redirect(resp, prob);
}

/* --web-dir: reads DIR/rel into the arena. TL_ERR_NOTFOUND when it is not
 * a regular file. */
static enum tl_err read_disk(struct tl_req *req, const char *dir, const char *rel, struct rep *r)
{
    const char *path = tl_arena_printf(req->arena, "%s/%s", dir, rel);
    unsigned char hash[16];
    char hex[2 * sizeof(hash) + 1];
    struct stat st;
    char *buf;
    size_t got = 0;
    ssize_t n;
    int fd;
    enum tl_err err = TL_OK;

    if (path == NULL)
        return TL_ERR_NOMEM;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == EISDIR ? TL_ERR_NOTFOUND
                                                                      : TL_ERR_INTERNAL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err = TL_ERR_NOTFOUND;
        goto out;
    }
    if (st.st_size > WEB_DISK_FILE_MAX) {
        err = TL_ERR_INTERNAL;
        goto out;
    }
    buf = tl_arena_alloc_raw(req->arena, (size_t)st.st_size + 1);
    if (buf == NULL) {
        err = TL_ERR_NOMEM;
        goto out;
    }
    while (got < (size_t)st.st_size) {
        n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    crypto_generichash(hash, sizeof(hash), (const unsigned char *)buf, got, NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    r->data = buf;
    r->len = got;
    r->etag = tl_arena_printf(req->arena, "\"%s\"", hex);
    r->gzip = false;
    if (r->etag == NULL)
        err = TL_ERR_NOMEM;
out:
    close(fd);
    return err;
}

/* The embedded file, in the representation the client accepts. */
static void pick_embedded(struct tl_req *req, const struct tl_web_file *f, struct rep *r)
{
    r->gzip = f->gz != NULL && accepts_gzip(tl_req_header(req, "Accept-Encoding"));
    r->data = r->gzip ? f->gz : f->data;
    r->len = r->gzip ? f->gz_len : f->len;
    r->etag = f->etag;
    if (r->gzip) {
        /* another representation, another strong tag: "<hash>-gz" */
        r->etag = tl_arena_printf(req->arena, "%.*s-gz\"", (int)strlen(f->etag) - 1, f->etag);
    }
}

TL_HANDLER(tl_api_web_file)
{
    struct tl_app *app = req->app;
    const char *rel = req->raw[0] != NULL ? req->raw[0] : "";
    const char *name;
    const struct tl_web_file *f = NULL;
    struct rep r;
    enum tl_err err;

    if (!safe_rel(rel))
        return tl_problem_set(prob, TL_ERR_NOTFOUND, "not_found", NULL, "no such file");
    name = rel[0] != '\0' ? rel : WEB_INDEX;
    memset(&r, 0, sizeof(r));
    if (app->web_dir != NULL) {
        err = read_disk(req, app->web_dir, name, &r);
        if (err == TL_ERR_NOTFOUND && !names_file(rel)) {
            name = WEB_INDEX;
            err = read_disk(req, app->web_dir, name, &r);
        }
        if (err == TL_ERR_NOTFOUND)
            return tl_problem_set(prob, err, "not_found", NULL, "no such file");
        if (err != TL_OK)
            return tl_problem_set(prob, err, NULL, NULL, "cannot read %s from --web-dir", name);
    } else {
        f = tl_web_find(name);
        if (f == NULL && !names_file(rel)) {
            name = WEB_INDEX;
            f = tl_web_find(name);
        }
        if (f == NULL)
            return tl_problem_set(prob, TL_ERR_NOTFOUND, "not_found", NULL, "no such file");
        pick_embedded(req, f, &r);
        if (r.etag == NULL)
            return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    }

    if (tl_resp_header_add(resp, "Content-Security-Policy", csp) != TL_OK ||
        tl_resp_header_add(resp, "X-Content-Type-Options", "nosniff") != TL_OK ||
        tl_resp_header_add(resp, "Cache-Control", "no-cache") != TL_OK ||
        tl_resp_header_add(resp, "ETag", r.etag) != TL_OK ||
        tl_resp_header_add(resp, "Vary", "Accept-Encoding") != TL_OK ||
        (r.gzip && tl_resp_header_add(resp, "Content-Encoding", "gzip") != TL_OK))
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    resp->content_type = tl_web_content_type(name);
    if (none_match(tl_req_header(req, "If-None-Match"), r.etag)) {
        resp->status = 304;
        return TL_OK;
    }
    resp->status = 200;
    resp->body = r.data;
    resp->body_len = r.len;
    return TL_OK;
}
