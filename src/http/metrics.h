/*
 * metrics.h: process-wide counters and gauges, rendered for GET /metrics
 * in the Prometheus text format 0.0.4.
 *
 * Counting never takes a lock: every value is an _Atomic uint64_t that its
 * owner bumps with atomic_fetch_add (relaxed is enough). Registration and
 * rendering take a mutex. The server counts every answer as
 *   tracklink_http_requests_total{route="<route name>",status="<N>"}
 * where requests that match no route count as route="unmatched" and the
 * /metrics endpoint itself as route="metrics". Other modules add their own
 * values with tl_metrics_register().
 */
#ifndef TL_HTTP_METRICS_H
#define TL_HTTP_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/http.h"

/* Route indexes that are not in the table. */
#define TL_METRICS_UNMATCHED SIZE_MAX        /* route="unmatched" */
#define TL_METRICS_SELF      (SIZE_MAX - 1)  /* route="metrics" */

/* Most values tl_metrics_register() accepts. */
#define TL_METRICS_MAX 128

enum tl_metric_type {
    TL_METRIC_COUNTER,
    TL_METRIC_GAUGE,
};

/*
 * Sets the route table whose names label tracklink_http_requests_total
 * (route->name, or the pattern when it has none). routes must outlive the
 * counting. Registering the same table again keeps its counts; another
 * table starts from zero. Call it before any request is counted (the
 * server does, in tl_server_start). Returns TL_OK or TL_ERR_NOMEM.
 */
enum tl_err tl_metrics_routes(const struct tl_route *routes, size_t n);

/*
 * Counts one answer: route_index into the registered table, or
 * TL_METRICS_UNMATCHED / TL_METRICS_SELF. Lock-free; statuses outside
 * 100..599 and indexes past the table are counted as unmatched/599.
 */
void tl_metrics_request(size_t route_index, int status);

/*
 * Registers a value to render. name is the metric name, optionally with
 * labels: "tracklink_clicks_total" or "tracklink_clicks_total{kind=\"bot\"}";
 * values of one family (the name before '{') are rendered together under
 * the HELP and TYPE of the first one registered. name, help and cell are
 * not copied and must outlive the process (or tl_metrics_reset()); the
 * owner updates *cell atomically (a gauge with atomic_fetch_add/_sub or
 * atomic_store). Returns TL_OK, or TL_ERR_NOMEM past TL_METRICS_MAX.
 */
enum tl_err tl_metrics_register(const char *name, const char *help, enum tl_metric_type type,
                                _Atomic uint64_t *cell);

/*
 * Renders every value as Prometheus text (with HELP and TYPE lines) into
 * the arena: *out is NUL-terminated, *len bytes long, and lives with the
 * arena. Returns TL_OK or TL_ERR_NOMEM.
 */
enum tl_err tl_metrics_render(struct tl_arena *a, const char **out, size_t *len);

/* Forgets the route table, its counts and every registration (tests). */
void tl_metrics_reset(void);

#endif
