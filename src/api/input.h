/*
 * input.h: reading request bodies and query strings, with the API's error
 * rules (API.md "Errors" and "Decided edge cases"):
 * - malformed JSON (a key given twice included) → 400 invalid_json; a body that is not an object, or a
 *   field of the wrong JSON type → 400 invalid_type (with field);
 * - a required field missing → 422 missing_field (with field);
 * - a value out of range, too long, or not one of the allowed values →
 *   422 invalid_value (with field).
 * An empty body counts as {}. Nested fields are named with dots:
 * "payout.rate_bp", "user.email".
 *
 * Strings returned point into the JSON object (jansson owns them) or into
 * the request arena; they live as long as the request.
 */
#ifndef TL_API_INPUT_H
#define TL_API_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/model.h"
#include "http/http.h"
#include "store/store.h"

/* Integers in JSON are exact up to 2^53-1 for every client. */
#define TL_JSON_INT_MAX 9007199254740991LL

/*
 * Parses req->body as a JSON object (empty body → {}). *out is a new
 * reference the caller must json_decref(). Returns TL_ERR_BADREQ with
 * invalid_json or invalid_type.
 */
enum tl_err tl_in_body(const struct tl_req *req, json_t **out, struct tl_problem *prob);

/*
 * Reads a string field. Absent or null: *out = NULL, and missing_field if
 * required. Not a string: invalid_type. Empty (when required) or longer
 * than max bytes: invalid_value. field is the name used in problems (may
 * differ from key, for nested objects: key "rate_bp", field "payout.rate_bp").
 */
enum tl_err tl_in_str(json_t *obj, const char *key, const char *field, bool required, size_t max,
                      const char **out, struct tl_problem *prob);

/*
 * Reads an integer field in [min, max]. *present tells whether it was
 * there (absent or null: false, and missing_field if required). A real
 * number with a fraction gives invalid_value (or invalid_code when not
 * NULL, e.g. "invalid_amount"); any other non-integer type invalid_type.
 */
enum tl_err tl_in_int(json_t *obj, const char *key, const char *field, bool required,
                      int64_t min, int64_t max, const char *invalid_code, int64_t *out,
                      bool *present, struct tl_problem *prob);

/* Reads a boolean field; same rules as tl_in_int. */
enum tl_err tl_in_bool(json_t *obj, const char *key, const char *field, bool required, bool *out,
                       bool *present, struct tl_problem *prob);

/*
 * Reads an object field (nested input). Absent or null: *out = NULL.
 * Not an object: invalid_type. Borrowed reference.
 */
enum tl_err tl_in_obj(json_t *obj, const char *key, const char *field, bool required,
                      json_t **out, struct tl_problem *prob);

/*
 * Reads an array of positive ids (at most TL_IDS_MAX), into arena memory.
 * Absent or null: *present false, *n 0. Not an array, or an element not an
 * integer: invalid_type. An element < 1: invalid_value. Duplicates are
 * removed; the result is ascending.
 */
enum tl_err tl_in_ids(struct tl_arena *a, json_t *obj, const char *key, const char *field,
                      bool required, int64_t **out, size_t *n, bool *present,
                      struct tl_problem *prob);

/*
 * Reads an array of strings (each at most max bytes, at most max_items),
 * into arena memory. Same presence and type rules.
 */
enum tl_err tl_in_strs(struct tl_arena *a, json_t *obj, const char *key, const char *field,
                       bool required, size_t max, size_t max_items, const char ***out, size_t *n,
                       bool *present, struct tl_problem *prob);

/*
 * Reads a membership body, {"partner_id": <positive integer>} (required),
 * with the usual 400/422 rules. The body is released before returning.
 */
enum tl_err tl_in_partner_id(const struct tl_req *req, int64_t *out, struct tl_problem *prob);

/*
 * Reads ?limit= (default TL_LIST_DEFAULT, capped at TL_LIST_MAX, < 1 or
 * not a number → 422 invalid_value "limit") and ?cursor= (opaque string
 * produced by tl_out_list; anything else → 422 invalid_value "cursor").
 */
enum tl_err tl_in_page(const struct tl_req *req, struct tl_page *out, struct tl_problem *prob);

/*
 * Reads ?order= of a list: "desc" sets *newest_first, "asc", empty or
 * absent clears it, anything else is 422 invalid_value "order".
 */
enum tl_err tl_in_order(const struct tl_req *req, bool *newest_first, struct tl_problem *prob);

/*
 * Reads an optional positive id from the query string (?program_id=).
 * Absent: *out = 0. Not a positive integer: 422 invalid_value.
 */
enum tl_err tl_in_query_id(const struct tl_req *req, const char *key, int64_t *out,
                           struct tl_problem *prob);

/* What tl_in_types() checks a field for. */
enum tl_in_kind {
    TL_IN_STR,  /* a string */
    TL_IN_INT,  /* a number (a fraction is left to tl_in_int: 422, not 400) */
    TL_IN_BOOL, /* true or false */
    TL_IN_OBJ,  /* an object */
    TL_IN_STRS, /* an array of strings */
    TL_IN_IDS,  /* an array of numbers */
};

struct tl_in_field {
    const char *key;   /* key in obj */
    const char *field; /* name in problems */
    enum tl_in_kind kind;
};

/*
 * Checks only the JSON types of the listed fields of obj (absent or null
 * ones are skipped), so that a handler can answer every 400 invalid_type
 * before any 422 ("Order of checks": 400, then 422). Returns TL_OK or
 * TL_ERR_BADREQ with invalid_type and the field.
 */
enum tl_err tl_in_types(json_t *obj, const struct tl_in_field *spec, size_t n,
                        struct tl_problem *prob);

/* Size of a cursor string, with its NUL. */
#define TL_CURSOR_LEN 72

/* Writes the opaque list cursor that tl_in_page() reads back as after = last_id. */
void tl_in_cursor(int64_t last_id, char out[TL_CURSOR_LEN]);

#endif
