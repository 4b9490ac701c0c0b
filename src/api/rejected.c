/*
 * rejected.c: GET /api/v1/conversions/rejected (docs/api.md "Rejected
 * conversions"): the refused conversion attempts a brand sent, with the
 * code, detail and field of each refusal and the figures that decided it
 * (facts), so that the UI can say why in the brand's language. Oldest
 * first like every list, or newest first with ?order=desc (the cursor then
 * walks back in time), which is how the UI shows them.
 *
 * Which attempts are kept, and how, is conversions.c's (keep_refusal) and
 * track/rejections.c's; this file only lists them.
 */
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"

#define CODE_FILTER_MAX 64

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* The stored facts (a JSON object as text); {} if they cannot be read. */
static json_t *facts_json(const char *text)
{
    json_t *o = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;

    if (o != NULL && json_is_object(o))
        return o;
    json_decref(o);
    return json_object();
}

static json_t *rejection_json(const struct tl_rejection *r)
{
    return json_pack("{s:I, s:s, s:i, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)r->id, "code", r->code, "status", r->status, "detail", r->detail,
                     "field", str_or_null(r->field), "source", r->postback ? "postback" : "api",
                     "program_id",
                     r->program_id != 0 ? json_integer((json_int_t)r->program_id) : json_null(),
                     "click_id", str_or_null(r->click_id), "order_id", str_or_null(r->order_id),
                     "event_type", str_or_null(r->event_type), "amount",
                     r->has_amount ? json_integer((json_int_t)r->amount) : json_null(), "currency",
                     str_or_null(r->currency), "received_at", tl_out_time(r->received_at), "facts",
                     facts_json(r->facts));
}

TL_HANDLER(tl_api_conversions_rejected)
{
    struct tl_app *app = req->app;
    struct tl_rejection_filter f;
    struct tl_rejection *items;
    struct tl_page page;
    size_t n, i;
    bool more;
    json_t *data, *o;
    enum tl_err err;

    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    memset(&f, 0, sizeof(f));
    err = tl_in_query_id(req, "program_id", &f.program_id, prob);
    if (err != TL_OK)
        return err;
    err = tl_in_order(req, &f.newest_first, prob);
    if (err != TL_OK)
        return err;
    f.code = tl_req_query(req, "code");
    if (f.code != NULL && f.code[0] == '\0')
        f.code = NULL;
    if (f.code != NULL && strlen(f.code) > CODE_FILTER_MAX)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "code",
                              "code is at most %d bytes", CODE_FILTER_MAX);
    err =
        TL_STORE(app->store, rejection_list, &req->actor, &f, &page, req->arena, &items, &n, &more);
    if (err != TL_OK)
        return err;
    data = json_array();
    if (data == NULL)
        return TL_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        o = rejection_json(&items[i]);
        if (o == NULL || json_array_append_new(data, o) != 0) {
            json_decref(data);
            return TL_ERR_NOMEM;
        }
    }
    return tl_out_json(resp, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
}
