/*
 * embedded.h: files compiled into the binary by scripts/embed.py
 * (migrations, later the web UI). The data is static and never freed.
 */
#ifndef TL_CORE_EMBEDDED_H
#define TL_CORE_EMBEDDED_H

#include <stddef.h>

struct tl_embedded {
    const char *name; /* base name: "001_init.sql" */
    const char *data; /* NUL-terminated contents */
    size_t len;
};

#endif
