/*
 * web.h: the web UI's files (everything under web/), compiled into the
 * binary by scripts/embed_web.py, and how the server finds them. The
 * handlers that serve them at / and /app/ are in web.c (declared in
 * handlers.h); UI.md says what they answer.
 *
 * The table is static data, sorted by path, never freed.
 */
#ifndef TL_API_WEB_H
#define TL_API_WEB_H

#include <stddef.h>

struct tl_web_file {
    const char *path; /* relative to web/: "index.html", "src/app.mjs" */
    const char *etag; /* strong, quoted: "\"<32 hex digits of BLAKE2b-128>\"" */
    const char *data;
    size_t len;
    const char *gz; /* a gzip copy of data, or NULL when it would not be smaller */
    size_t gz_len;
};

extern const struct tl_web_file tl_web_files[];
extern const size_t tl_web_files_n;

/* The embedded file at path ("src/app.mjs", no leading slash), or NULL. */
const struct tl_web_file *tl_web_find(const char *path);

/* The Content-Type for a file name, by its extension (never NULL). */
const char *tl_web_content_type(const char *path);

#endif
