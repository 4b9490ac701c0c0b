/*
 * output.h: rendering domain objects as the API's JSON.
 *
 * Every function returns a new jansson reference (the caller decrefs it,
 * or hands it to tl_resp.json), or NULL on OOM. Times are RFC 3339 UTC
 * strings ("2026-11-28T21:00:00Z"), or null when 0.
 */
#ifndef TL_API_OUTPUT_H
#define TL_API_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"
#include "http/http.h"

/* A time in ms as an RFC 3339 JSON string; 0 gives null. */
json_t *tl_out_time(int64_t ms);

/*
 * A list page: {"data": items, "next_cursor": null | "<cursor>"}. Steals the
 * reference to items. When more is set, the cursor encodes last_id (the id
 * of the last item in data), and tl_in_page() reads it back.
 */
json_t *tl_out_list(json_t *items, bool more, int64_t last_id);

/* A JSON array of ids. */
json_t *tl_out_ids(const int64_t *ids, size_t n);

/* Objects. A program's postback_key is included only when with_secret. */
json_t *tl_out_program(const struct tl_program *p, bool with_secret);
json_t *tl_out_landing_page(const struct tl_landing_page *lp);
json_t *tl_out_campaign(const struct tl_campaign *c);
json_t *tl_out_task(const struct tl_task *t);
/* A membership, with its parent named: parent_key "program_id", parent_id 7. */
json_t *tl_out_membership(const struct tl_membership *m, const char *parent_key, int64_t parent_id);

/* Sets resp to status with the JSON body (stolen). Returns TL_ERR_NOMEM when json is NULL. */
enum tl_err tl_out_json(struct tl_resp *resp, int status, json_t *json);

#endif
