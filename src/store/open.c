/*
 * open.c: opens a store from its URL, by picking the backend for the
 * scheme ("sqlite:", "postgres://"), and closes it. The one file
 * of store/ that knows every backend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "store/backend.h"
#include "store/postgres_internal.h"
#include "store/sqlite.h"
#include "store/store.h"

static void set_why(char *why, size_t why_len, const char *msg, const char *arg)
{
    if (why != NULL && why_len > 0)
        snprintf(why, why_len, "%s%s", msg, arg != NULL ? arg : "");
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Creates the parent directory of path when it is missing (one level only:
 * a data directory such as ./data/, not a whole tree).
 */
static enum tl_err make_parent_dir(const char *path, char *why, size_t why_len)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n;

    if (slash == NULL || slash == path)
        return TL_OK;
    n = (size_t)(slash - path);
    if (n >= sizeof(dir)) {
        set_why(why, why_len, "database path too long", NULL);
        return TL_ERR_INVALID;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        if (why != NULL && why_len > 0)
            snprintf(why, why_len, "cannot create directory %s: %s", dir, strerror(errno));
        return TL_ERR_IO;
    }
    return TL_OK;
}

enum tl_err tl_store_open(const char *url, struct tl_store **out, char *why, size_t why_len)
{
    const char *path;
    enum tl_err err;

    *out = NULL;
    if (why != NULL && why_len > 0)
        why[0] = '\0';
    if (url == NULL || url[0] == '\0') {
        set_why(why, why_len, "no database URL given", NULL);
        return TL_ERR_INVALID;
    }
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"))
        return tl_postgres_open(url, out, why, why_len);
    if (has_prefix(url, "sqlite://"))
        path = url + strlen("sqlite://");
    else if (has_prefix(url, "sqlite:"))
        path = url + strlen("sqlite:");
    else {
        set_why(why, why_len,
                "unsupported database URL (expected sqlite:PATH or postgres://...): ", url);
        return TL_ERR_INVALID;
    }
    if (path[0] == '\0') {
        set_why(why, why_len, "sqlite URL without a path: ", url);
        return TL_ERR_INVALID;
    }
    if (strcmp(path, ":memory:") != 0) {
        err = make_parent_dir(path, why, why_len);
        if (err != TL_OK)
            return err;
    }
    return tl_sqlite_open(path, out, why, why_len);
}

void tl_store_close(struct tl_store *s)
{
    if (s == NULL)
        return;
    s->ops.close(s);
}
