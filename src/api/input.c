/*
 * input.c: reading request bodies (jansson) and query strings with the
 * API's error rules: 400 for malformed JSON or a wrong type, 422 for a
 * missing field or a value that breaks a rule. See input.h.
 *
 * List cursors are "c" + base64url (no padding) of "id:<decimal id>": the
 * reader re-encodes what it decodes, so only strings this file produced
 * are accepted.
 */
#include "api/input.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURSOR_MAX 64 /* longer ?cursor= values are refused outright */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum tl_err tl_in_body(const struct tl_req *req, json_t **out, struct tl_problem *prob)
{
    json_error_t jerr;
    json_t *root;
    size_t i;

    *out = NULL;
    for (i = 0; req->body != NULL && i < req->body_len && is_space(req->body[i]); i++)
        ;
    if (req->body == NULL || i == req->body_len) {
        root = json_object();
        if (root == NULL)
            return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
        *out = root;
        return TL_OK;
    }
    /* JSON_DECODE_ANY so that a scalar body is well-formed JSON of the
     * wrong type (invalid_type) rather than malformed (invalid_json);
     * a key given twice is malformed: which one counts would be a guess. */
    root = json_loadb(req->body, req->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return tl_problem_set(prob, TL_ERR_BADREQ, "invalid_json", NULL,
                              "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                              jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return tl_problem_set(prob, TL_ERR_BADREQ, "invalid_type", NULL,
                              "the request body must be a JSON object");
    }
    *out = root;
    return TL_OK;
}

/* The value at key, or NULL when absent or JSON null. */
static json_t *get(json_t *obj, const char *key)
{
    json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

    return v == NULL || json_is_null(v) ? NULL : v;
}

static enum tl_err missing(const char *field, struct tl_problem *prob)
{
    return tl_problem_set(prob, TL_ERR_INVALID, "missing_field", field, "%s is required", field);
}

static enum tl_err bad_type(const char *field, const char *want, struct tl_problem *prob)
{
    return tl_problem_set(prob, TL_ERR_BADREQ, "invalid_type", field, "%s must be %s", field, want);
}

enum tl_err tl_in_str(json_t *obj, const char *key, const char *field, bool required, size_t max,
                      const char **out, struct tl_problem *prob)
{
    json_t *v = get(obj, key);
    size_t len;

    *out = NULL;
    if (v == NULL)
        return required ? missing(field, prob) : TL_OK;
    if (!json_is_string(v))
        return bad_type(field, "a string", prob);
    len = json_string_length(v);
    if (required && len == 0)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field, "%s must not be empty",
                              field);
    if (max > 0 && len > max)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field,
                              "%s must be at most %zu bytes", field, max);
    *out = json_string_value(v);
    return TL_OK;
}

enum tl_err tl_in_int(json_t *obj, const char *key, const char *field, bool required, int64_t min,
                      int64_t max, const char *invalid_code, int64_t *out, bool *present,
                      struct tl_problem *prob)
{
    json_t *v = get(obj, key);
    const char *code = invalid_code != NULL ? invalid_code : "invalid_value";
    json_int_t n;

    if (present != NULL)
        *present = false;
    if (v == NULL)
        return required ? missing(field, prob) : TL_OK;
    if (json_is_real(v))
        return tl_problem_set(prob, TL_ERR_INVALID, code, field, "%s must be a whole number",
                              field);
    if (!json_is_integer(v))
        return bad_type(field, "an integer", prob);
    n = json_integer_value(v);
    if (n < min || n > max)
        return tl_problem_set(prob, TL_ERR_INVALID, code, field, "%s must be between %lld and %lld",
                              field, (long long)min, (long long)max);
    *out = (int64_t)n;
    if (present != NULL)
        *present = true;
    return TL_OK;
}

enum tl_err tl_in_bool(json_t *obj, const char *key, const char *field, bool required, bool *out,
                       bool *present, struct tl_problem *prob)
{
    json_t *v = get(obj, key);

    if (present != NULL)
        *present = false;
    if (v == NULL)
        return required ? missing(field, prob) : TL_OK;
    if (!json_is_boolean(v))
        return bad_type(field, "true or false", prob);
    *out = json_is_true(v);
    if (present != NULL)
        *present = true;
    return TL_OK;
}

enum tl_err tl_in_obj(json_t *obj, const char *key, const char *field, bool required, json_t **out,
                      struct tl_problem *prob)
{
    json_t *v = get(obj, key);

    *out = NULL;
    if (v == NULL)
        return required ? missing(field, prob) : TL_OK;
    if (!json_is_object(v))
        return bad_type(field, "an object", prob);
    *out = v;
    return TL_OK;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

enum tl_err tl_in_ids(struct tl_arena *a, json_t *obj, const char *key, const char *field,
                      bool required, int64_t **out, size_t *n, bool *present,
                      struct tl_problem *prob)
{
    json_t *v = get(obj, key), *el;
    int64_t *ids;
    size_t i, len, k;

    *out = NULL;
    *n = 0;
    if (present != NULL)
        *present = false;
    if (v == NULL)
        return required ? missing(field, prob) : TL_OK;
    if (!json_is_array(v))
        return bad_type(field, "an array of ids", prob);
    len = json_array_size(v);
    if (len > TL_IDS_MAX)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field,
                              "%s holds more than %d ids", field, TL_IDS_MAX);
    json_array_foreach(v, i, el)
    {
        if (json_is_real(el))
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field,
                                  "%s must hold positive integer ids", field);
        if (!json_is_integer(el))
            return bad_type(field, "an array of ids", prob);
        if (json_integer_value(el) < 1)
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field,
                                  "%s must hold positive integer ids", field);
    }
    if (present != NULL)
        *present = true;
    if (len == 0)
        return TL_OK;
    ids = tl_arena_alloc(a, len * sizeof(*ids));
    if (ids == NULL)
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    json_array_foreach(v, i, el) ids[i] = (int64_t)json_integer_value(el);
    qsort(ids, len, sizeof(*ids), cmp_id);
    for (i = 1, k = 1; i < len; i++)
        if (ids[i] != ids[k - 1])
            ids[k++] = ids[i];
    *out = ids;
    *n = k;
    return TL_OK;
}

enum tl_err tl_in_strs(struct tl_arena *a, json_t *obj, const char *key, const char *field,
                       bool required, size_t max, size_t max_items, const char ***out, size_t *n,
                       bool *present, struct tl_problem *prob)
{
    json_t *v = get(obj, key), *el;
    const char **strs;
    size_t i, len;

    *out = NULL;
    *n = 0;
    if (present != NULL)
        *present = false;
    if (v == NULL)
        return required ? missing(field, prob) : TL_OK;
    if (!json_is_array(v))
        return bad_type(field, "an array of strings", prob);
    len = json_array_size(v);
    json_array_foreach(v, i, el) if (!json_is_string(el)) return bad_type(
        field, "an array of strings", prob);
    if (max_items > 0 && len > max_items)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", field,
                              "%s holds more than %zu items", field, max_items);
    json_array_foreach(v, i, el) if (max > 0 && json_string_length(el) > max) return tl_problem_set(
        prob, TL_ERR_INVALID, "invalid_value", field, "each item of %s must be at most %zu bytes",
        field, max);
    if (present != NULL)
        *present = true;
    if (len == 0)
        return TL_OK;
    strs = tl_arena_alloc(a, len * sizeof(*strs));
    if (strs == NULL)
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    json_array_foreach(v, i, el) strs[i] = json_string_value(el);
    *out = strs;
    *n = len;
    return TL_OK;
}

enum tl_err tl_in_types(json_t *obj, const struct tl_in_field *spec, size_t n,
                        struct tl_problem *prob)
{
    size_t i, j;
    json_t *v, *el;

    for (i = 0; i < n; i++) {
        v = get(obj, spec[i].key);
        if (v == NULL)
            continue;
        switch (spec[i].kind) {
        case TL_IN_STR:
            if (!json_is_string(v))
                return bad_type(spec[i].field, "a string", prob);
            break;
        case TL_IN_INT:
            if (!json_is_number(v))
                return bad_type(spec[i].field, "an integer", prob);
            break;
        case TL_IN_BOOL:
            if (!json_is_boolean(v))
                return bad_type(spec[i].field, "true or false", prob);
            break;
        case TL_IN_OBJ:
            if (!json_is_object(v))
                return bad_type(spec[i].field, "an object", prob);
            break;
        case TL_IN_STRS:
            if (!json_is_array(v))
                return bad_type(spec[i].field, "an array of strings", prob);
            json_array_foreach(v, j, el) if (!json_is_string(el)) return bad_type(
                spec[i].field, "an array of strings", prob);
            break;
        case TL_IN_IDS:
            if (!json_is_array(v))
                return bad_type(spec[i].field, "an array of ids", prob);
            json_array_foreach(v, j, el) if (!json_is_number(el)) return bad_type(
                spec[i].field, "an array of ids", prob);
            break;
        }
    }
    return TL_OK;
}

/*
 * Parses a canonical positive decimal (digits only, no sign, no leading
 * zero). Returns false for anything else; *big is set when it is well
 * formed but past INT64_MAX.
 */
static bool parse_pos(const char *s, int64_t *out, bool *big)
{
    int64_t v = 0;
    size_t i;

    *big = false;
    if (s == NULL || s[0] < '1' || s[0] > '9')
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (!*big && v > (INT64_MAX - (s[i] - '0')) / 10)
            *big = true;
        if (!*big)
            v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Writes the cursor for last_id into out (cap at least CURSOR_MAX + 1). */
static void cursor_encode(int64_t last_id, char *out, size_t cap)
{
    char raw[32];
    int len = snprintf(raw, sizeof(raw), "id:%lld", (long long)last_id);

    out[0] = 'c';
    sodium_bin2base64(out + 1, cap - 1, (const unsigned char *)raw, (size_t)len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Reads a cursor back; false when this file did not produce it. */
static bool cursor_decode(const char *s, int64_t *id)
{
    unsigned char raw[CURSOR_MAX];
    char text[CURSOR_MAX + 1], again[CURSOR_MAX + 1];
    size_t len = strlen(s), rawlen;
    bool big;

    if (len < 2 || len > CURSOR_MAX || s[0] != 'c')
        return false;
    if (sodium_base642bin(raw, sizeof(raw) - 1, s + 1, len - 1, NULL, &rawlen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    if (rawlen < 4 || memcmp(raw, "id:", 3) != 0 || memchr(raw, '\0', rawlen) != NULL)
        return false;
    memcpy(text, raw + 3, rawlen - 3);
    text[rawlen - 3] = '\0';
    if (!parse_pos(text, id, &big) || big)
        return false;
    /* Only the canonical encoding counts (base64 has near-aliases). */
    cursor_encode(*id, again, sizeof(again));
    return strcmp(again, s) == 0;
}

enum tl_err tl_in_page(const struct tl_req *req, struct tl_page *out, struct tl_problem *prob)
{
    const char *limit = tl_req_query(req, "limit");
    const char *cursor = tl_req_query(req, "cursor");
    int64_t n;
    bool big;

    out->after = 0;
    out->limit = TL_LIST_DEFAULT;
    if (limit != NULL) {
        if (!parse_pos(limit, &n, &big))
            return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "limit",
                                  "limit must be a positive integer");
        out->limit = big || n > TL_LIST_MAX ? TL_LIST_MAX : (int)n;
    }
    /* An empty ?cursor= is what a client sends back for "start": allow it. */
    if (cursor != NULL && cursor[0] != '\0' && !cursor_decode(cursor, &out->after))
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "cursor",
                              "cursor is not one this server gave out");
    return TL_OK;
}

enum tl_err tl_in_order(const struct tl_req *req, bool *newest_first, struct tl_problem *prob)
{
    const char *order = tl_req_query(req, "order");

    *newest_first = false;
    if (order == NULL || order[0] == '\0' || strcmp(order, "asc") == 0)
        return TL_OK;
    if (strcmp(order, "desc") != 0)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "order",
                              "order must be asc or desc");
    *newest_first = true;
    return TL_OK;
}

enum tl_err tl_in_query_id(const struct tl_req *req, const char *key, int64_t *out,
                           struct tl_problem *prob)
{
    const char *s = tl_req_query(req, key);
    bool big;

    *out = 0;
    if (s == NULL)
        return TL_OK;
    if (!parse_pos(s, out, &big) || big) {
        *out = 0;
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", key,
                              "%s must be a positive integer", key);
    }
    return TL_OK;
}

void tl_in_cursor(int64_t last_id, char out[TL_CURSOR_LEN])
{
    cursor_encode(last_id, out, TL_CURSOR_LEN);
}

enum tl_err tl_in_partner_id(const struct tl_req *req, int64_t *out, struct tl_problem *prob)
{
    json_t *body;
    enum tl_err err;

    *out = 0;
    err = tl_in_body(req, &body, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_int(body, "partner_id", "partner_id", true, 1, TL_JSON_INT_MAX, NULL, out, NULL,
                    prob);
    json_decref(body);
    return err;
}
